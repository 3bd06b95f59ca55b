// The `cni:` section: defaults, overrides, and where the plugin and conflist then go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CNI } from '../../src/model/types.js';
import { conflistPath, pluginPath } from '../../src/state/node-files.js';
import { loadText } from './helpers.js';

const NODES = 'nodes:\n  - name: node1\n    address: 192.168.1.11\n';

test('without a cni section the defaults apply', () => {
  const result = loadText(`podCidr: 10.244.0.0/16\n${NODES}`);
  assert.ok(result.ok);
  assert.deepEqual(result.cluster.cni, DEFAULT_CNI);
  assert.equal(pluginPath(result.cluster), '/opt/cni/bin/podnet');
  assert.equal(conflistPath(result.cluster), '/etc/cni/net.d/10-podnet.conflist');
});

test('every cni key can be set', () => {
  const text = `podCidr: 10.244.0.0/16\ncni:\n  binDir: /usr/libexec/cni\n  confDir: /etc/cni/conf.d\n  dataDir: /run/cni-ipam\n  networkName: pods\n  cniVersion: 1.1.0\n${NODES}`;
  const result = loadText(text);
  assert.ok(result.ok);
  assert.deepEqual(result.cluster.cni, { binDir: '/usr/libexec/cni', confDir: '/etc/cni/conf.d', dataDir: '/run/cni-ipam', networkName: 'pods', cniVersion: '1.1.0' });
  assert.equal(pluginPath(result.cluster), '/usr/libexec/cni/podnet');
  assert.equal(conflistPath(result.cluster), '/etc/cni/conf.d/10-pods.conflist');
});

test('a relative or unsafe cni path is refused at its line and column', () => {
  const result = loadText(`podCidr: 10.244.0.0/16\ncni:\n  confDir: etc/cni\n  networkName: "a b"\n${NODES}`);
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.deepEqual(
    result.diagnostics.map((d) => [d.line, d.col, d.message.split(' must')[0]]),
    [
      [3, 12, '`confDir` "etc/cni"'],
      [4, 16, '`networkName` "a b"'],
    ],
  );
});
