// Make-before-break, the pure part: which deletes of a host wait for the break pass, and when a
// plan needs the two passes at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Change, NodePlan, Plan } from '../../src/model/plan.js';
import { deferrable, needsPasses, splitPasses } from '../../src/plan/make-before-break.js';
import { summarisePlan } from '../../src/plan/summary.js';

const routeCreate = (dst: string, via: string): Change => ({
  kind: 'route', key: dst, action: 'create', after: { dst, gateway: via, protocol: '201' }, reason: { code: 'missing' },
  steps: [{ run: 'ip', args: ['route', 'replace', dst, 'via', via, 'proto', '201'] }],
});
const routeDelete = (dst: string, via: string): Change => ({
  kind: 'route', key: dst, action: 'delete', before: { dst, gateway: via, protocol: '201' }, reason: { code: 'stale-route-no-node' },
  steps: [{ run: 'ip', args: ['route', 'del', dst, 'via', via, 'proto', '201'] }],
});
const addressCreate = (address: string): Change => ({
  kind: 'address', key: `${address} dev v-net-0`, action: 'create', after: { address, dev: 'v-net-0' }, reason: { code: 'missing' },
  steps: [{ run: 'ip', args: ['address', 'add', address, 'dev', 'v-net-0'] }],
});
const addressDelete = (address: string, dev = 'v-net-0'): Change => ({
  kind: 'address', key: `${address} dev ${dev}`, action: 'delete', before: { address, dev }, reason: { code: 'stale-address', want: '' },
  steps: [{ run: 'ip', args: ['address', 'del', address, 'dev', dev] }],
});
const linkDelete = (name: string): Change => ({ kind: 'link', key: name, action: 'delete', before: { name, kind: 'bridge' }, reason: { code: 'stale-bridge', want: 'v-net-0' }, steps: [{ run: 'ip', args: ['link', 'del', 'dev', name] }] });

function plan(nodes: Record<string, Change[]>): Plan {
  const nodePlans: NodePlan[] = Object.entries(nodes).map(([node, changes]) => ({ node, address: '192.168.1.1', subnet: '', changes, conflicts: [] }));
  return { formatVersion: 2, cluster: 'c', nodes: nodePlans, summary: summarisePlan(nodePlans) };
}

test('a subnet move: the peer routes and the old bridge address wait for the break pass, the new ones do not', () => {
  const peer = [routeDelete('10.244.2.0/24', '192.168.1.12'), routeCreate('10.244.20.0/24', '192.168.1.12')];
  assert.deepEqual(deferrable(peer), [true, false]);
  const moved = [addressDelete('10.244.2.1/24'), addressCreate('10.244.20.1/24')];
  assert.deepEqual(splitPasses(moved), { make: [moved[1]], break: [moved[0]] });
  assert.equal(needsPasses(plan({ node1: peer, node2: moved, node3: peer })), true);
});

test('deletes another change of the same host needs gone first stay in the make pass, in order', () => {
  // A podnet route to the network of the address the host adds: the connected route takes that destination.
  assert.deepEqual(deferrable([routeDelete('10.244.1.0/24', '192.168.1.12'), addressCreate('10.244.1.1/24')]), [false, false]);
  // The same network: the new address could be a secondary of the old one, and go with it.
  assert.deepEqual(deferrable([addressDelete('10.244.1.2/24'), addressCreate('10.244.1.1/24')]), [false, false]);
  assert.deepEqual(deferrable([addressDelete('10.244.0.1/23'), addressCreate('10.244.1.1/24')]), [false, false]);
  // An address on a link the plan deletes goes with the link.
  assert.deepEqual(deferrable([addressDelete('10.244.1.1/24', 'cni0'), linkDelete('cni0')]), [false, false]);
  // Anything else that is deleted keeps its place.
  assert.deepEqual(deferrable([linkDelete('cni0')]), [false]);
});

test('no two passes without a make on another host: converged, from scratch, a node joining, one host alone, a removal', () => {
  assert.equal(needsPasses(plan({ node1: [], node2: [] })), false);
  assert.equal(needsPasses(plan({ node1: [routeCreate('10.244.2.0/24', '192.168.1.12')], node2: [addressCreate('10.244.2.1/24')] })), false);
  assert.equal(needsPasses(plan({ node1: [routeDelete('10.244.9.0/24', '192.168.1.19'), routeCreate('10.244.2.0/24', '192.168.1.12')] })), false);
  assert.equal(needsPasses(plan({ node1: [routeDelete('10.244.9.0/24', '192.168.1.19')], node2: [routeDelete('10.244.9.0/24', '192.168.1.19')] })), false);
});

test('a host torn down as a whole is a break: it waits for the makes of the others', () => {
  const teardown = [linkDelete('v-net-0')];
  assert.deepEqual(splitPasses(teardown, true), { make: [], break: teardown });
  const p = plan({ old: teardown, node1: [routeCreate('10.244.2.0/24', '192.168.1.12')] });
  assert.equal(needsPasses(p, new Set(['old'])), true);
  assert.equal(needsPasses(p), false);
});

test('host-gw to gateway: the direct routes of the nodes wait until the router has its routes and every node its route via the router', () => {
  const node1 = [routeDelete('10.244.2.0/24', '192.168.1.12'), routeDelete('10.244.3.0/24', '192.168.1.13'), routeCreate('10.244.0.0/16', '192.168.1.254')];
  assert.deepEqual(splitPasses(node1), { make: [node1[2]], break: [node1[0], node1[1]] });
  const router = [routeCreate('10.244.1.0/24', '192.168.1.11'), routeCreate('10.244.2.0/24', '192.168.1.12')];
  assert.equal(needsPasses(plan({ node1, router })), true);
});

test('a refused host or one with conflicts is not applied: it brings no dependency', () => {
  const p = plan({ node1: [routeDelete('10.244.2.0/24', '192.168.1.12')], node2: [addressCreate('10.244.20.1/24')] });
  (p.nodes[1] as NodePlan).conflicts = [{ node: 'node2', code: 'foreign-file', kind: 'file', key: '/x', role: 'cni-plugin' }];
  assert.equal(needsPasses(p), false);
});
