// What countOk counts by (desiredObjectKeys: kind and key of every desired object), and a file's
// "before" when the gather could not read its mode: edges the mutation run (issue 9) found unguarded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ObservedState } from '../../src/model/types.js';
import { countOk, desiredObjectKeys } from '../../src/plan/converged.js';
import { desiredState } from '../../src/state/desired.js';
import { planNode } from '../../src/plan/plan-node.js';
import { classicCluster, classicSubnets } from '../support/classic-cluster.js';
import { loadObserved } from '../support/ip-fixtures.js';
import { nodeStateOf } from '../support/plan-helpers.js';
import { observedFirewall } from '../support/iptables-fixtures.js';

const cluster = classicCluster();

test('desiredObjectKeys names every object by kind and key, as the plan names its changes', () => {
  const desired = nodeStateOf(cluster, 'node1', loadObserved('empty')).desired!;
  const keys = desiredObjectKeys(desired);
  assert.deepEqual(
    keys.map((k) => k.split(' ')[0]),
    ['sysctl', 'link', 'address', 'route', 'route', 'file', 'file', 'chain', 'rule', 'rule', 'rule'],
  );
  assert.deepEqual(keys.slice(5, 7), desired.files.map((f) => `file ${f.path}`));
  // Every created object of a plan from nothing is one of them: none counts as ok.
  const fromNothing = nodeStateOf(cluster, 'node1', { ...loadObserved('empty'), files: [], firewall: observedFirewall('empty') } as ObservedState);
  const created = fromNothing.plan.changes.map((c) => `${c.kind} ${c.key}`);
  for (const key of keys.filter((k) => !k.startsWith('sysctl'))) assert.ok(created.includes(key), key);
});

test('countOk: a file or a firewall object to create is not ok', () => {
  const observed = { ...loadObserved('converged'), files: [], firewall: observedFirewall('empty') } as ObservedState;
  const state = nodeStateOf(cluster, 'node1', observed);
  assert.ok(state.plan.changes.some((c) => c.kind === 'file') && state.plan.changes.some((c) => c.kind === 'rule'));
  // Only forwarding, the bridge, its address and the two routes hold.
  assert.equal(countOk(state), 5);
});

test("a file whose mode the gather did not read: its before has no mode (not mode: undefined)", () => {
  const desired = desiredState(cluster, classicSubnets(cluster), 'node1');
  const [plugin] = desired.files;
  const observed = { ...loadObserved('converged'), files: [{ path: plugin!.path, sha256: 'ab'.repeat(32), mentionsPodnet: true }] } as ObservedState;
  const plan = planNode(desired, observed, { podCidr: cluster.podCidr, nodeAddress: '192.168.1.11' });
  const change = plan.changes.find((c) => c.key === plugin!.path);
  assert.deepStrictEqual(change?.before, { path: plugin!.path, role: 'cni-plugin', sha256: 'ab'.repeat(32) });
});
