// Routing mode gateway: desired state of nodes and router, planning both modes and the switch
// between them (host-gw → gateway → host-gw), the router's section in the rendered plan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredState, routerDesiredState } from '../../src/state/desired.js';
import type { Cluster, ObservedRoute, ObservedState, RouterSpec } from '../../src/model/types.js';
import type { Plan } from '../../src/model/plan.js';
import { buildClusterState, planCluster } from '../../src/plan/node-state.js';
import { planNode } from '../../src/plan/plan-node.js';
import { describeChange, describeReason, describeRefusal } from '../../src/render/sentences.js';
import { argvOf, convergenceOf, observedHost } from '../support/plan-helpers.js';
import { parsePlanJson, renderPlanJson, renderPlanText } from '../../src/render/render-plan.js';
import { allocateSubnets } from '../../src/state/subnets.js';
import { targetHosts } from '../../src/run/targets.js';
import { classicCluster, classicSubnets } from '../support/classic-cluster.js';

const ROUTER: RouterSpec = {
  name: 'router',
  address: '192.168.1.254',
  ssh: { host: '192.168.1.254', port: 22, user: 'root', knownHostsFile: '/dev/null', become: false, connectTimeoutMs: 5000 },
};

function gatewayCluster(): Cluster {
  return classicCluster({ routing: 'gateway', router: ROUTER });
}

function hostGwWithRouter(): Cluster {
  return classicCluster({ router: ROUTER });
}

const podnetRoute = (dst: string, gateway: string): ObservedRoute => ({ dst, gateway, protocol: '201' });

const NODES = [
  { name: 'node1', address: '192.168.1.11', subnet: '10.244.1.0/24' },
  { name: 'node2', address: '192.168.1.12', subnet: '10.244.2.0/24' },
  { name: 'node3', address: '192.168.1.13', subnet: '10.244.3.0/24' },
];

/** Every node and the router converged for host-gw (router without routes). */
function hostGwObserved(): Map<string, ObservedState> {
  const observed = new Map<string, ObservedState>();
  for (const node of NODES) {
    const peers = NODES.filter((p) => p.name !== node.name).map((p) => podnetRoute(p.subnet, p.address));
    observed.set(node.name, observedHost(node.name, node.address, node.subnet, peers));
  }
  observed.set('router', observedHost('router', ROUTER.address, undefined, []));
  return observed;
}

/** Every node and the router converged for gateway mode. */
function gatewayObserved(): Map<string, ObservedState> {
  const observed = new Map<string, ObservedState>();
  for (const node of NODES) {
    observed.set(node.name, observedHost(node.name, node.address, node.subnet, [podnetRoute('10.244.0.0/16', ROUTER.address)]));
  }
  observed.set('router', observedHost('router', ROUTER.address, undefined, NODES.map((n) => podnetRoute(n.subnet, n.address))));
  return observed;
}

const lines = (plan: Plan, node: string): string[][] =>
  (plan.nodes.find((n) => n.node === node)?.changes ?? []).map((c) => [c.action, c.steps.map((s) => argvOf(s).join(' ')).join('; '), describeReason(c)]);

test('gateway mode: a node keeps bridge, address and files, and has ONE route: the pod CIDR via the router', () => {
  const cluster = gatewayCluster();
  const desired = desiredState(cluster, classicSubnets(cluster), 'node1');
  assert.deepEqual(desired.routes, [{ dst: '10.244.0.0/16', gateway: '192.168.1.254', peer: 'router' }]);
  assert.deepEqual(desired.bridge, { name: 'v-net-0', alias: 'podnet' });
  assert.deepEqual(desired.address, { dev: 'v-net-0', local: '10.244.1.1', prefixlen: 24 });
  assert.equal(desired.files.length, 2);
  assert.equal(desired.role, undefined);
});

test('the router: forwarding and one route per node via that node; no bridge, address or files', () => {
  const cluster = gatewayCluster();
  const router = routerDesiredState(cluster, classicSubnets(cluster));
  const { node, role, subnet, ipForward, routes, files, bridge, address } = router;
  assert.deepEqual({ node, role, subnet, ipForward, routes, files, bridge, address }, {
    node: 'router',
    role: 'router',
    subnet: '10.244.0.0/16',
    ipForward: true,
    routes: [
      { dst: '10.244.1.0/24', gateway: '192.168.1.11', peer: 'node1' },
      { dst: '10.244.2.0/24', gateway: '192.168.1.12', peer: 'node2' },
      { dst: '10.244.3.0/24', gateway: '192.168.1.13', peer: 'node3' },
    ],
    files: [],
    bridge: undefined,
    address: undefined,
  });
  assert.deepEqual(routerDesiredState(hostGwWithRouter(), classicSubnets()).routes, [], 'host-gw: a listed router keeps no routes');
  assert.throws(() => routerDesiredState(classicCluster(), classicSubnets()), /needs a router/);
});

test('host-gw mode is unchanged by a listed router', () => {
  const withRouter = desiredState(hostGwWithRouter(), classicSubnets(), 'node2');
  const without = desiredState(classicCluster(), classicSubnets(), 'node2');
  assert.deepEqual(withRouter, without);
});

test('a router from scratch: forwarding on, then its three routes', () => {
  const cluster = gatewayCluster();
  const router = routerDesiredState(cluster, classicSubnets(cluster));
  const observed = observedHost('router', ROUTER.address, undefined, []);
  observed.ipForward = false;
  const plan = planNode(router, observed, { podCidr: cluster.podCidr, nodeAddress: ROUTER.address });
  assert.equal(plan.role, 'router');
  assert.deepEqual(
    plan.changes.map((c) => c.steps.map((s) => argvOf(s).join(' ')).join('; ')),
    [
      'sysctl -w net.ipv4.ip_forward=1',
      'ip route replace 10.244.1.0/24 via 192.168.1.11 proto 201',
      'ip route replace 10.244.2.0/24 via 192.168.1.12 proto 201',
      'ip route replace 10.244.3.0/24 via 192.168.1.13 proto 201',
    ],
  );
  assert.deepEqual(plan.conflicts, []);
  assert.equal(plan.refused, undefined);
});

test('converged in either mode: empty plans, router included as its own section', () => {
  const gw = planCluster(gatewayCluster(), gatewayObserved());
  assert.deepEqual(
    gw.nodes.map((n) => [n.node, n.role, n.changes.length, n.conflicts.length]),
    [
      ['node1', undefined, 0, 0],
      ['node2', undefined, 0, 0],
      ['node3', undefined, 0, 0],
      ['router', 'router', 0, 0],
    ],
    'the node’s own subnet on its bridge is no conflict with the pod-CIDR route',
  );
  const hostGw = planCluster(hostGwWithRouter(), hostGwObserved());
  assert.deepEqual(hostGw.summary, { add: 0, change: 0, destroy: 0, conflicts: 0, refused: 0 });
});

test('switch host-gw → gateway: per-peer routes deleted, the pod-CIDR route created; router routes created', () => {
  const plan = planCluster(gatewayCluster(), hostGwObserved());
  assert.deepEqual(lines(plan, 'node1'), [
    ['delete', 'ip route del 10.244.2.0/24 via 192.168.1.12 proto 201', 'stale: routing mode gateway sends the pod CIDR via router (192.168.1.254)'],
    ['delete', 'ip route del 10.244.3.0/24 via 192.168.1.13 proto 201', 'stale: routing mode gateway sends the pod CIDR via router (192.168.1.254)'],
    ['create', 'ip route replace 10.244.0.0/16 via 192.168.1.254 proto 201', 'missing'],
  ]);
  assert.deepEqual(lines(plan, 'router'), [
    ['create', 'ip route replace 10.244.1.0/24 via 192.168.1.11 proto 201', 'missing'],
    ['create', 'ip route replace 10.244.2.0/24 via 192.168.1.12 proto 201', 'missing'],
    ['create', 'ip route replace 10.244.3.0/24 via 192.168.1.13 proto 201', 'missing'],
  ]);
  assert.deepEqual(plan.summary, { add: 6, change: 0, destroy: 6, conflicts: 0, refused: 0 });
});

test('switch gateway → host-gw with the router still listed: per-peer routes back, the router pruned', () => {
  const plan = planCluster(hostGwWithRouter(), gatewayObserved());
  assert.deepEqual(lines(plan, 'node2'), [
    ['delete', 'ip route del 10.244.0.0/16 via 192.168.1.254 proto 201', 'stale: only routing mode gateway routes the whole pod CIDR via the router'],
    ['create', 'ip route replace 10.244.1.0/24 via 192.168.1.11 proto 201', 'missing'],
    ['create', 'ip route replace 10.244.3.0/24 via 192.168.1.13 proto 201', 'missing'],
  ]);
  assert.deepEqual(lines(plan, 'router'), [
    ['delete', 'ip route del 10.244.1.0/24 via 192.168.1.11 proto 201', 'stale: routing mode host-gw keeps no routes on the router'],
    ['delete', 'ip route del 10.244.2.0/24 via 192.168.1.12 proto 201', 'stale: routing mode host-gw keeps no routes on the router'],
    ['delete', 'ip route del 10.244.3.0/24 via 192.168.1.13 proto 201', 'stale: routing mode host-gw keeps no routes on the router'],
  ]);
});

test('switch back without the router listed: nodes converge, the router is not touched', () => {
  const observed = gatewayObserved();
  const plan = planCluster(classicCluster(), observed);
  assert.deepEqual(plan.nodes.map((n) => n.node), ['node1', 'node2', 'node3']);
  assert.equal(lines(plan, 'node1').length, 3);
});

test('subnets of unnamed nodes are recovered from the router’s routes (gateway mode, no bridge yet)', () => {
  const cluster = gatewayCluster();
  cluster.nodes = cluster.nodes.map(({ subnet: _subnet, ...node }) => node);
  const observed = new Map<string, ObservedState>([
    ['node1', observedHost('node1', '192.168.1.11', undefined, [])],
    ['node2', observedHost('node2', '192.168.1.12', undefined, [])],
    ['node3', observedHost('node3', '192.168.1.13', undefined, [])],
    ['router', observedHost('router', ROUTER.address, undefined, [podnetRoute('10.244.7.0/24', '192.168.1.12')])],
  ]);
  assert.deepEqual([...allocateSubnets(cluster, observed).subnets], [
    ['node2', '10.244.7.0/24'],
    ['node1', '10.244.1.0/24'],
    ['node3', '10.244.2.0/24'],
  ]);
});

test('the management path guard protects the router too', () => {
  const cluster = gatewayCluster();
  const router = routerDesiredState(cluster, classicSubnets(cluster));
  // A stale podnet route that covers the SSH client's address would cut the session.
  const observed = observedHost('router', ROUTER.address, undefined, [podnetRoute('192.168.0.0/16', '192.168.1.11')]);
  const plan = planNode(router, observed, { podCidr: cluster.podCidr, nodeAddress: ROUTER.address });
  assert.deepEqual(plan.refused?.offences, [{ kind: 'route', key: '192.168.0.0/16', action: 'delete', takes: { address: '192.168.1.254', what: 'node-address' } }]);
  assert.match(plan.refused === undefined ? '' : describeRefusal(plan.node, plan.refused), /refusing to touch router's management path .*route 192\.168\.0\.0\/16 \(delete\)/);
});

test('converged check on the router: forwarding and its routes, nothing about a bridge', () => {
  const cluster = gatewayCluster();
  const state = buildClusterState(cluster, hostGwObserved()).states.find((s) => s.role === 'router')!;
  assert.equal(state.desired?.role, 'router');
  const converged = convergenceOf(cluster, state, gatewayObserved().get('router') as ObservedState);
  assert.deepEqual([converged.converged, converged.lines, converged.conflicts], [true, [], []]);
  const partial = convergenceOf(cluster, state, observedHost('router', ROUTER.address, undefined, [podnetRoute('10.244.1.0/24', '192.168.1.11')]));
  assert.equal(partial.converged, false);
  assert.deepEqual(partial.lines, ['+ route 10.244.2.0/24 via 192.168.1.12 (missing)', '+ route 10.244.3.0/24 via 192.168.1.13 (missing)']);
  // A stale podnet route left behind on the router is not convergence either (re-planning deletes it).
  const stale = convergenceOf(cluster, state, observedHost('router', ROUTER.address, undefined, [...NODES.map((n) => podnetRoute(n.subnet, n.address)), podnetRoute('10.244.9.0/24', '192.168.1.19')]));
  assert.equal(stale.converged, false);
  assert.deepEqual(stale.unmet.map(describeChange), ['- route 10.244.9.0/24 via 192.168.1.19 (stale: no node has subnet 10.244.9.0/24)']);
});

test('the rendered plan shows the router in a section of its own; JSON keeps the role', () => {
  const plan = planCluster(gatewayCluster(), hostGwObserved());
  const text = renderPlanText(plan, { color: false });
  assert.match(text, /^router router \(192\.168\.1\.254, routes pods 10\.244\.0\.0\/16\)\n {2}\+ route 10\.244\.1\.0\/24 via 192\.168\.1\.11/m);
  assert.match(text, /^node1 \(192\.168\.1\.11, pods 10\.244\.1\.0\/24\)$/m);
  const back = parsePlanJson(renderPlanJson(plan));
  assert.deepEqual(back.nodes.map((n) => n.role), [undefined, undefined, undefined, 'router']);
});

test('targetHosts: the router after the nodes; --limit may name it or leave it out', () => {
  const cluster = gatewayCluster();
  assert.deepEqual(targetHosts(cluster, undefined).map((h) => h.name), ['node1', 'node2', 'node3', 'router']);
  assert.deepEqual(targetHosts(cluster, ['node2']).map((h) => h.name), ['node2']);
  assert.deepEqual(targetHosts(cluster, ['router', 'node3']).map((h) => h.name), ['node3', 'router']);
  assert.deepEqual(targetHosts(classicCluster(), undefined).map((h) => h.name), ['node1', 'node2', 'node3']);
  assert.throws(() => targetHosts(cluster, ['nodeX']), /unknown node/);
});
