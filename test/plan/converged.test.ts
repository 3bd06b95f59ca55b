// Convergence is the planner's own comparison run again: a node has converged when re-planning it
// against fresh observations leaves nothing to do and nothing foreign in the way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster, ObservedState } from '../../src/model/types.js';
import { countOk, desiredObjectKeys } from '../../src/plan/converged.js';
import { classicCluster } from '../support/classic-cluster.js';
import { loadObserved } from '../support/ip-fixtures.js';
import { convergenceOf, nodeStateOf } from '../support/plan-helpers.js';

function clusterFor(mtu?: number): Cluster {
  return classicCluster(mtu !== undefined ? { bridge: { name: 'v-net-0', mtu } } : {});
}

function after(observed: ObservedState, mtu?: number): ReturnType<typeof convergenceOf> {
  const cluster = clusterFor(mtu);
  const state = nodeStateOf(cluster, 'node1', loadObserved('empty'));
  return convergenceOf(cluster, state, observed);
}

test('a converged node has nothing left (kernel and admin routes are extra, fine)', () => {
  for (const [name, mtu] of [['converged', 1500], ['converged-named-proto', undefined], ['admin-route', undefined], ['pod-attached', undefined]] as const) {
    const result = after(loadObserved(name), mtu);
    assert.equal(result.converged, true, `${name}: ${result.lines.join('; ')}`);
    assert.deepEqual(result.conflicts, []);
  }
});

test('a drifted node: what is left, as the planner says it', () => {
  assert.deepEqual(after(loadObserved('drifted'), 1500).lines, [
    '~ sysctl net.ipv4.ip_forward = 1 (forwarding is off (0), want 1)',
    '- route 10.244.9.0/24 via 192.168.1.19 (stale: no node has subnet 10.244.9.0/24)',
    '- address 10.244.1.7/24 on v-net-0 (stale: the bridge address is 10.244.1.1/24)',
    '~ link v-net-0 (mtu 1500, up) (mtu is 1400, want 1500; link is down)',
    '+ address 10.244.1.1/24 on v-net-0 (missing)',
    '~ route 10.244.2.0/24 via 192.168.1.12 (gateway is 192.168.1.99, want 192.168.1.12)',
    '+ route 10.244.3.0/24 via 192.168.1.13 (missing)',
  ]);
});

test('an empty node lacks everything', () => {
  const result = after(loadObserved('empty'));
  assert.equal(result.converged, false);
  assert.deepEqual(result.lines, [
    '~ sysctl net.ipv4.ip_forward = 1 (forwarding is off (0), want 1)',
    '+ link v-net-0 (bridge, alias podnet, up) (missing)',
    '+ address 10.244.1.1/24 on v-net-0 (missing)',
    '+ route 10.244.2.0/24 via 192.168.1.12 (missing)',
    '+ route 10.244.3.0/24 via 192.168.1.13 (missing)',
  ]);
});

test('a foreign object in the way is not convergence, even with nothing left to do', () => {
  const route = after(loadObserved('foreign-route'));
  assert.equal(route.converged, false);
  assert.deepEqual(route.unmet, []);
  assert.deepEqual(route.conflicts.map((c) => `${c.code} ${c.key}`), ['foreign-route-to-peer 10.244.2.0/24']);
  for (const name of ['bridge-name-taken', 'bridge-no-alias']) {
    const taken = after(loadObserved(name));
    assert.equal(taken.converged, false, name);
    assert.ok(taken.conflicts.some((c) => c.kind === 'link' && c.key === 'v-net-0'), name);
  }
});

test('unreadable ip_forward is not converged', () => {
  const observed = loadObserved('converged');
  observed.ipForward = null;
  assert.deepEqual(after(observed).lines, ['~ sysctl net.ipv4.ip_forward = 1 (could not be read, want 1)']);
});

test('ok counts the desired objects the plan leaves alone', () => {
  const cluster = clusterFor(1500);
  const keys = desiredObjectKeys(nodeStateOf(cluster, 'node1', loadObserved('empty')).desired!);
  assert.equal(keys.length, 3 + 2 + 2 + 1 + 3); // forwarding, bridge, address; 2 routes; 2 files; 1 chain, 3 rules
  assert.equal(countOk(nodeStateOf(cluster, 'node1', loadObserved('empty'))), 2 + 4); // files and firewall not gathered: not planned
  assert.equal(countOk(nodeStateOf(cluster, 'node1', loadObserved('converged'))), keys.length);
  // drifted: forwarding, the bridge, its address and the route to node2 are wrong, node3's is missing
  assert.equal(countOk(nodeStateOf(cluster, 'node1', loadObserved('drifted'))), keys.length - 5);
  // a foreign route in the way blocks its object
  assert.equal(countOk(nodeStateOf(cluster, 'node1', loadObserved('foreign-route'))), keys.length - 1);
});
