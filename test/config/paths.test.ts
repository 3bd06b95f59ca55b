import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirnamePosix, joinPosix, normalizePosixPath, resolveConfigPath } from '../../src/config/paths.js';
import { closestMatch } from '../../src/config/did-you-mean.js';

test('posix paths without node:path', () => {
  assert.equal(normalizePosixPath('a/./b//../c'), 'a/c');
  assert.equal(normalizePosixPath('../../x'), '../../x');
  assert.equal(normalizePosixPath('/../x'), '/x');
  assert.equal(normalizePosixPath('a/..'), '.');
  assert.equal(dirnamePosix('examples/lab/cluster.yaml'), 'examples/lab');
  assert.equal(dirnamePosix('cluster.yaml'), '.');
  assert.equal(dirnamePosix('/cluster.yaml'), '/');
  assert.equal(joinPosix('examples/inventory', '../../inventories/hosts.ini'), 'inventories/hosts.ini');
  assert.equal(resolveConfigPath('~/.ssh/id', 'x', '/root'), '/root/.ssh/id');
  assert.equal(resolveConfigPath('~', 'x', '/root'), '/root');
  assert.equal(resolveConfigPath('k/id', 'site', '/root', '/srv'), '/srv/site/k/id');
  assert.equal(resolveConfigPath('/abs', 'site', '/root', '/srv'), '/abs');
});

test('did you mean: case, separators and small typos', () => {
  const keys = ['podCidr', 'subnetPrefix', 'routing', 'bridge', 'nodes'];
  assert.equal(closestMatch('pod_cidr', keys), 'podCidr');
  assert.equal(closestMatch('subnet-prefix', keys), 'subnetPrefix');
  assert.equal(closestMatch('nodse', keys), 'nodes');
  assert.equal(closestMatch('colour', keys), undefined);
});
