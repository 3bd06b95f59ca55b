// The route planner's edges that the mutation run (issue 9) found unguarded: which observed route is
// "podnet's route" to a destination, what a right route is, the node's own subnet in gateway mode,
// the reasons of stale routes on a router and on a node without peers, a waiting route beside a
// route that is not IPv4.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster, DesiredRoute, ObservedRoute, RouterSpec } from '../../src/model/types.js';
import { desiredState, routerDesiredState } from '../../src/state/desired.js';
import { planNode } from '../../src/plan/plan-node.js';
import { routeIsRight } from '../../src/plan/plan-routes.js';
import { classicCluster, classicSubnets } from '../support/classic-cluster.js';
import { loadObserved } from '../support/ip-fixtures.js';
import { observedHost } from '../support/plan-helpers.js';

const CTX = { podCidr: '10.244.0.0/16', nodeAddress: '192.168.1.11' };
const ROUTER: RouterSpec = {
  name: 'router',
  address: '192.168.1.254',
  ssh: { host: '192.168.1.254', port: 22, user: 'root', knownHostsFile: '/dev/null', become: false, connectTimeoutMs: 5000 },
};
const gatewayCluster = (): Cluster => classicCluster({ routing: 'gateway', router: ROUTER });
const hostGw = () => {
  const cluster = classicCluster();
  return desiredState(cluster, classicSubnets(cluster), 'node1');
};
const podnet = (dst: string, gateway: string, more: Partial<ObservedRoute> = {}): ObservedRoute => ({ dst, gateway, protocol: '201', ...more });
const changeList = (plan: ReturnType<typeof planNode>) => plan.changes.map((c) => [c.action, c.key, c.reason.code]);

test('routeIsRight: a plain unicast route via the desired gateway, nothing else', () => {
  const want: DesiredRoute = { dst: '10.244.2.0/24', gateway: '192.168.1.12', peer: 'node2' };
  assert.equal(routeIsRight(podnet('10.244.2.0/24', '192.168.1.12'), want), true);
  assert.equal(routeIsRight(podnet('10.244.2.0/24', '192.168.1.99'), want), false);
  assert.equal(routeIsRight(podnet('10.244.2.0/24', '192.168.1.12', { type: 'blackhole' }), want), false);
  const multipath = podnet('10.244.2.0/24', '192.168.1.12', { nexthops: [{ gateway: '192.168.1.12', dev: 'eth0' }] });
  assert.equal(routeIsRight(multipath, want), false);
});

test("two podnet routes to one destination: the first found is podnet's route, the other is left as it is", () => {
  const observed = loadObserved('converged');
  observed.routes = observed.routes.filter((r) => r.dst !== '10.244.2.0/24');
  observed.routes.push(podnet('10.244.2.0/24', '192.168.1.99'), podnet('10.244.2.0/24', '192.168.1.12'));
  const plan = planNode(hostGw(), observed, CTX);
  assert.deepEqual(changeList(plan), [['update', '10.244.2.0/24', 'differs']]);
  assert.deepEqual(plan.changes[0]!.before, { dst: '10.244.2.0/24', gateway: '192.168.1.99', protocol: '201' });
});

test('a foreign route inside a peer is found whatever the order of the foreign routes (the longest prefix bounds the search)', () => {
  const observed = loadObserved('converged');
  // A more specific route inside node3's subnet, then a shorter one elsewhere.
  observed.routes.push(
    { dst: '10.244.3.128/25', gateway: '192.168.1.50', dev: 'eth0', protocol: 'boot' },
    { dst: '172.16.0.0/12', gateway: '192.168.1.50', dev: 'eth0', protocol: 'boot' },
  );
  const plan = planNode(hostGw(), observed, CTX);
  assert.deepEqual(plan.conflicts.map((c) => [c.code, c.key]), [['foreign-route-inside-peer', '10.244.3.128/25']]);
});

test("gateway mode: only the kernel's route of the node's own subnet on its bridge is expected inside the pod-CIDR route", () => {
  const cluster = gatewayCluster();
  const desired = desiredState(cluster, classicSubnets(cluster), 'node1');
  const base = () => observedHost('node1', '192.168.1.11', '10.244.1.0/24', [podnet('10.244.0.0/16', ROUTER.address)]);
  assert.deepEqual(planNode(desired, base(), CTX).conflicts, [], 'the connected route of 10.244.1.0/24 on v-net-0');
  const inTheWay: ObservedRoute[] = [
    { dst: '10.244.7.0/24', dev: 'v-net-0', protocol: 'static', scope: 'link' }, // another subnet on the bridge
    { dst: '10.244.1.0/24', dev: 'eth0', protocol: 'static', scope: 'link' }, // the own subnet on another link
    { dst: '10.244.1.0/24', gateway: '10.244.1.5', dev: 'v-net-0', protocol: 'static' }, // the own subnet via a gateway
  ];
  for (const route of inTheWay) {
    const observed = base();
    observed.routes = observed.routes.filter((r) => r.dst !== '10.244.1.0/24');
    observed.routes.push(route);
    const plan = planNode(desired, observed, CTX);
    assert.deepEqual(plan.conflicts.map((c) => [c.code, c.key]), [['foreign-route-inside-peer', route.dst]], JSON.stringify(route));
  }
});

test('the router (no bridge) plans past a foreign route to the pod CIDR, and names a stale one of its own right', () => {
  const cluster = gatewayCluster();
  const router = routerDesiredState(cluster, classicSubnets(cluster));
  const observed = observedHost('router', ROUTER.address, undefined, [
    podnet('10.244.1.0/24', '192.168.1.11'),
    podnet('10.244.2.0/24', '192.168.1.12'),
    podnet('10.244.3.0/24', '192.168.1.13'),
    { dst: '10.244.0.0/16', type: 'blackhole', protocol: 'static' },
  ]);
  const ctx = { podCidr: cluster.podCidr, nodeAddress: ROUTER.address };
  const plan = planNode(router, observed, ctx);
  assert.deepEqual([plan.changes, plan.conflicts], [[], []]);
  // podnet's own route to the pod CIDR on the router: the pod CIDR's, not "the node's own subnet"
  observed.routes.pop();
  observed.routes.push(podnet('10.244.0.0/16', '192.168.1.1'));
  assert.deepEqual(changeList(planNode(router, observed, ctx)), [['delete', '10.244.0.0/16', 'stale-route-pod-cidr']]);
});

test('a node with no peer routes: a stale route is "no node", not the router\'s host-gw leftover', () => {
  const desired = { ...hostGw(), routes: [] };
  const observed = loadObserved('converged');
  observed.routes = observed.routes.filter((r) => r.dst !== '10.244.3.0/24');
  assert.deepEqual(changeList(planNode(desired, observed, CTX)), [['delete', '10.244.2.0/24', 'stale-route-no-node']]);
});

test('a waiting route keeps podnet routes it overlaps; a podnet route that is not IPv4 is not one of them', () => {
  const observed = loadObserved('converged');
  observed.routes = observed.routes.filter((r) => r.dst !== '10.244.2.0/24');
  observed.routes.push(podnet('10.244.2.0/25', '192.168.1.12'), { dst: 'fd00::/64', gateway: 'fe80::1', protocol: '201' });
  const unreached = new Map([['192.168.1.12', { peer: 'node2', why: 'not-reached' as const }]]);
  const plan = planNode(hostGw(), observed, { ...CTX, unreached });
  assert.deepEqual(plan.waiting?.map((w) => w.key), ['10.244.2.0/24']);
  assert.deepEqual(changeList(plan), [['delete', 'fd00::/64', 'stale-route-outside-pod-cidr']]);
});
