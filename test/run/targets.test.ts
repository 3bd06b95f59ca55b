// --limit: which hosts a run works on, and that the others are never contacted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/model/errors.js';
import { gatherCluster } from '../../src/run/gather.js';
import { targetHosts, targetNodes } from '../../src/run/targets.js';
import { classicCluster } from '../support/classic-cluster.js';
import { FakeTransport, ok } from '../support/fake-transport.js';
import { emptyNodeStdout } from '../support/gather-output.js';

const cluster = classicCluster();

test('targetNodes: all nodes, or those --limit names in cluster order; unknown names are a UserError', () => {
  assert.deepEqual(targetNodes(cluster, undefined).map((n) => n.name), ['node1', 'node2', 'node3']);
  assert.deepEqual(targetNodes(cluster, []).map((n) => n.name), ['node1', 'node2', 'node3']);
  assert.deepEqual(targetNodes(cluster, ['node3', 'node1']).map((n) => n.name), ['node1', 'node3']);
  assert.throws(() => targetNodes(cluster, ['node1', 'node9']), (err) => err instanceof UserError && /unknown node\(s\): node9/.test(err.message));
});

test('with --limit only the named hosts are connected to', async () => {
  const fake = new FakeTransport();
  for (const n of [1, 2, 3]) fake.on(`node${n}`, { replies: [ok(emptyNodeStdout(n))] });
  const gathered = await gatherCluster(cluster, targetHosts(cluster, ['node2']), fake, { forks: 10, hooks: {} });
  assert.deepEqual(fake.connects, ['node2']);
  assert.deepEqual([...gathered.observed.keys()], ['node2']);
});
