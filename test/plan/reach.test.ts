// Issue 11, items 2 and 3 (pure): peers are only pointed at hosts that answered in this run, and a
// node that left cluster.yaml is found by its peers' routes, warned about, and pruned on request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster, ObservedRoute, ObservedState, RouterSpec } from '../../src/model/types.js';
import { observedHost } from '../support/plan-helpers.js';
import type { NodePlan, Plan } from '../../src/model/plan.js';
import { buildClusterState, removedHost, type BuildOptions } from '../../src/plan/node-state.js';
import { checkConverged, countOk } from '../../src/plan/converged.js';
import { findRemovedNodes, unreachedHosts } from '../../src/plan/reach.js';
import { allocateSubnets } from '../../src/state/subnets.js';
import { describeChange } from '../../src/render/sentences.js';
import { classicCluster } from '../support/classic-cluster.js';

const ROUTER: RouterSpec = {
  name: 'router',
  address: '192.168.1.254',
  ssh: { host: '192.168.1.254', port: 22, user: 'root', knownHostsFile: '/dev/null', become: false, connectTimeoutMs: 5000 },
};

const route = (dst: string, gateway: string): ObservedRoute => ({ dst, gateway, dev: 'eth0', protocol: '201' });

/** The classic three nodes as they stand after an apply: every route in place. */
function converged(): Map<string, ObservedState> {
  return new Map([
    ['node1', observedHost('node1', '192.168.1.11', '10.244.1.0/24', [route('10.244.2.0/24', '192.168.1.12'), route('10.244.3.0/24', '192.168.1.13')])],
    ['node2', observedHost('node2', '192.168.1.12', '10.244.2.0/24', [route('10.244.1.0/24', '192.168.1.11'), route('10.244.3.0/24', '192.168.1.13')])],
    ['node3', observedHost('node3', '192.168.1.13', '10.244.3.0/24', [route('10.244.1.0/24', '192.168.1.11'), route('10.244.2.0/24', '192.168.1.12')])],
  ]);
}

function withAddress(cluster: Cluster, node: string, address: string): Cluster {
  return { ...cluster, nodes: cluster.nodes.map((n) => (n.name === node ? { ...n, address, ssh: { ...n.ssh, host: address } } : n)) };
}

function nodePlan(plan: Plan, name: string): NodePlan {
  const found = plan.nodes.find((n) => n.node === name);
  assert.ok(found, `no plan for ${name}`);
  return found;
}

/** A node's route changes as plan lines. */
function routeLines(plan: Plan, name: string): string[] {
  return nodePlan(plan, name).changes.filter((c) => c.kind === 'route').map(describeChange);
}

function waitingOf(plan: Plan, name: string): string[] {
  return (nodePlan(plan, name).waiting ?? []).map((w) => `${w.key} ${w.peer} ${w.why} want=${w.want?.gateway ?? '-'} found=${w.found?.gateway ?? '-'}`);
}

test('a mistyped node address: its peers keep their route, the plan says they wait for it', () => {
  const cluster = withAddress(classicCluster(), 'node2', '192.168.1.99');
  const observed = converged();
  observed.delete('node2'); // .99 does not answer
  const { plan } = buildClusterState(cluster, observed);
  assert.deepEqual(routeLines(plan, 'node1'), []);
  assert.deepEqual(routeLines(plan, 'node3'), []);
  assert.deepEqual(waitingOf(plan, 'node1'), ['10.244.2.0/24 node2 not-reached want=192.168.1.99 found=192.168.1.12']);
  assert.deepEqual(waitingOf(plan, 'node3'), ['10.244.2.0/24 node2 not-reached want=192.168.1.99 found=192.168.1.12']);
  assert.equal(plan.summary.waiting, 2);
  assert.deepEqual([plan.summary.add, plan.summary.change, plan.summary.destroy], [0, 0, 0]);
});

test('a host that answers over SSH but does not hold its address is not routed to (address-not-held, warned on it)', () => {
  const cluster = withAddress(classicCluster(), 'node2', '192.168.1.99');
  const { plan } = buildClusterState(cluster, converged()); // node2 answered (ssh.host), but holds .12
  assert.deepEqual(waitingOf(plan, 'node1'), ['10.244.2.0/24 node2 address-not-held want=192.168.1.99 found=192.168.1.12']);
  assert.deepEqual(routeLines(plan, 'node1'), []);
  assert.deepEqual(nodePlan(plan, 'node2').warnings?.map((w) => w.code), ['address-not-held']);
  assert.deepEqual([...unreachedHosts(cluster, converged())], [['192.168.1.99', { peer: 'node2', why: 'address-not-held' }]]);
});

test('a route already in place via a host not reached is left alone and is not waiting', () => {
  const observed = converged();
  observed.delete('node2');
  const { plan, states } = buildClusterState(classicCluster(), observed);
  assert.deepEqual(routeLines(plan, 'node1'), []);
  assert.equal(nodePlan(plan, 'node1').waiting, undefined);
  assert.equal(plan.summary.waiting, undefined);
  // and it counts as ok (it is right)
  const node1 = states.find((s) => s.host.name === 'node1');
  assert.ok(node1);
  assert.equal(countOk(node1), countOk(buildClusterState(classicCluster(), converged()).states[0]!));
});

test('a new node not reached yet: peers wait for it; once it answers, its routes are planned on them in the same run', () => {
  const base = classicCluster();
  const node4 = { ...base.nodes[2]!, name: 'node4', address: '192.168.1.14', subnet: '10.244.4.0/24', ssh: { ...base.nodes[2]!.ssh, host: '192.168.1.14' } };
  const cluster = { ...base, nodes: [...base.nodes, node4] };
  const first = buildClusterState(cluster, converged()).plan;
  for (const name of ['node1', 'node2', 'node3']) {
    assert.deepEqual(routeLines(first, name), [], name);
    assert.deepEqual(waitingOf(first, name), ['10.244.4.0/24 node4 not-reached want=192.168.1.14 found=-'], name);
  }
  const observed = converged();
  observed.set('node4', observedHost('node4', '192.168.1.14', undefined, []));
  const second = buildClusterState(cluster, observed).plan;
  for (const name of ['node1', 'node2', 'node3']) assert.deepEqual(routeLines(second, name), ['+ route 10.244.4.0/24 via 192.168.1.14 (missing)'], name);
  assert.equal(second.summary.waiting, undefined);
});

test('a stale route via a host not reached stays (its subnet moved while it was away): kept, shown as waiting', () => {
  const base = classicCluster();
  const cluster = { ...base, nodes: base.nodes.map((n) => (n.name === 'node2' ? { ...n, subnet: '10.244.20.0/24' } : n)) };
  const observed = converged();
  observed.delete('node2');
  const { plan } = buildClusterState(cluster, observed);
  assert.deepEqual(routeLines(plan, 'node1'), []);
  assert.deepEqual(waitingOf(plan, 'node1'), ['10.244.20.0/24 node2 not-reached want=192.168.1.12 found=-', '10.244.2.0/24 node2 not-reached found=192.168.1.12 want=-'.replace(' found=192.168.1.12 want=-', ' want=- found=192.168.1.12')]);
});

test('the convergence check plans with the same reachability: a waiting route does not make a node unconverged', () => {
  const cluster = withAddress(classicCluster(), 'node2', '192.168.1.99');
  const observed = converged();
  observed.delete('node2');
  const { states } = buildClusterState(cluster, observed);
  const node1 = states.find((s) => s.host.name === 'node1');
  assert.ok(node1);
  const again = checkConverged(cluster, node1, observed.get('node1')!);
  assert.deepEqual(again.unmet.map(describeChange), []);
  assert.equal(again.converged, true);
  // ok: the waiting route is not counted as held
  const full = buildClusterState(classicCluster(), converged()).states.find((s) => s.host.name === 'node1')!;
  assert.equal(countOk(node1), countOk(full) - 1);
});

test('gateway mode: nodes wait for a router not reached and keep their host-gw routes; the router waits for a node not reached', () => {
  const cluster = classicCluster({ routing: 'gateway', router: ROUTER });
  const nodesOnly = converged(); // host-gw routes in place, router silent
  const { plan } = buildClusterState(cluster, nodesOnly);
  for (const name of ['node1', 'node2', 'node3']) {
    assert.deepEqual(routeLines(plan, name), [], `${name} keeps its per-peer routes while the pod CIDR route waits`);
    assert.deepEqual(waitingOf(plan, name), ['10.244.0.0/16 router not-reached want=192.168.1.254 found=-'], name);
  }
  const observed = converged();
  observed.delete('node3');
  observed.set('router', observedHost('router', '192.168.1.254', undefined, []));
  const second = buildClusterState(cluster, observed).plan;
  assert.deepEqual(routeLines(second, 'router'), ['+ route 10.244.1.0/24 via 192.168.1.11 (missing)', '+ route 10.244.2.0/24 via 192.168.1.12 (missing)']);
  assert.deepEqual(waitingOf(second, 'router'), ['10.244.3.0/24 node3 not-reached want=192.168.1.13 found=-']);
  // node1's route via node3 goes (the router is reached: its pod CIDR route is set)
  assert.ok(routeLines(second, 'node1').includes('+ route 10.244.0.0/16 via 192.168.1.254 (missing)'));
});

test('--limit (targets): only the targets are planned, the other gathered hosts only tell who answers', () => {
  const cluster = withAddress(classicCluster(), 'node2', '192.168.1.99');
  const observed = converged();
  observed.delete('node2');
  const { plan } = buildClusterState(cluster, observed, 'present', { targets: new Set(['node1']) });
  assert.deepEqual(plan.nodes.map((n) => n.node), ['node1']);
  assert.deepEqual(waitingOf(plan, 'node1'), ['10.244.2.0/24 node2 not-reached want=192.168.1.99 found=192.168.1.12']);
});

// ───────────────────────────── removed nodes ─────────────────────────────

function withoutNode3(): Cluster {
  const base = classicCluster();
  return { ...base, nodes: base.nodes.filter((n) => n.name !== 'node3') };
}

function observedWithout3(): Map<string, ObservedState> {
  const observed = converged();
  observed.delete('node3');
  return observed;
}

test('a node that left cluster.yaml is found by its peers\' routes (gateway no host\'s address, subnet no node\'s)', () => {
  const cluster = withoutNode3();
  const observed = observedWithout3();
  const { subnets } = allocateSubnets(cluster, observed);
  assert.deepEqual(findRemovedNodes(cluster, observed, subnets), [{ address: '192.168.1.13', subnets: ['10.244.3.0/24'], routedBy: ['node1', 'node2'] }]);
  // a route via a node that is still listed is no trace, whatever its destination
  assert.deepEqual(findRemovedNodes(classicCluster(), converged(), allocateSubnets(classicCluster(), converged()).subnets), []);
  // an address change keeps the subnet assigned: no trace either
  const moved = withAddress(classicCluster(), 'node3', '192.168.1.33');
  assert.deepEqual(findRemovedNodes(moved, converged(), allocateSubnets(moved, converged()).subnets), []);
});

test('without --prune-removed the routes to a removed node are left alone and the plan warns, naming the command', () => {
  const { plan } = buildClusterState(withoutNode3(), observedWithout3());
  assert.deepEqual(routeLines(plan, 'node1'), []);
  assert.deepEqual(routeLines(plan, 'node2'), []);
  assert.deepEqual(plan.warnings, [
    { code: 'node-removed', address: '192.168.1.13', subnets: ['10.244.3.0/24'], routedBy: ['node1', 'node2'], cluster: 'cluster.yaml' },
  ]);
});

test('--prune-removed, the removed node answered: its podnet state is destroyed and its peers\' routes to it go', () => {
  const node3 = observedHost('192.168.1.13', '192.168.1.13', '10.244.3.0/24', [route('10.244.1.0/24', '192.168.1.11'), route('10.244.2.0/24', '192.168.1.12')]);
  const options: BuildOptions = { pruneRemoved: { hosts: new Map([['192.168.1.13', { observed: node3 }]]) } };
  const { plan, states } = buildClusterState(withoutNode3(), observedWithout3(), 'present', options);
  assert.deepEqual(routeLines(plan, 'node1'), ['- route 10.244.3.0/24 via 192.168.1.13 (stale: 192.168.1.13 left cluster.yaml (--prune-removed))']);
  assert.deepEqual(routeLines(plan, 'node2'), ['- route 10.244.3.0/24 via 192.168.1.13 (stale: 192.168.1.13 left cluster.yaml (--prune-removed))']);
  const removed = nodePlan(plan, '192.168.1.13');
  assert.equal(removed.role, 'removed');
  assert.equal(removed.subnet, '10.244.3.0/24');
  assert.deepEqual(
    removed.changes.map((c) => `${c.action} ${c.kind} ${c.key}`),
    ['delete route 10.244.1.0/24', 'delete route 10.244.2.0/24', 'delete link v-net-0'],
  );
  assert.equal(plan.warnings, undefined);
  // its convergence check is destroy's: nothing of podnet left
  const state = states.find((s) => s.role === 'removed');
  assert.ok(state);
  assert.equal(checkConverged(withoutNode3(), state, observedHost('x', '192.168.1.13', undefined, [])).converged, true);
});

test('--prune-removed, the removed node did not answer: only the peers\' routes go, and the plan says so', () => {
  const options: BuildOptions = { pruneRemoved: { hosts: new Map([['192.168.1.13', { problem: 'connection timed out' }]]) } };
  const { plan } = buildClusterState(withoutNode3(), observedWithout3(), 'present', options);
  assert.equal(routeLines(plan, 'node1').length, 1);
  assert.equal(routeLines(plan, 'node2').length, 1);
  assert.deepEqual(plan.nodes.map((n) => n.node), ['node1', 'node2']);
  assert.deepEqual(plan.warnings?.map((w) => w.code), ['node-removed-unreached']);
});

test('--prune-removed does nothing while a host of cluster.yaml is not reached (it may be the "removed" one under a new address)', () => {
  // node2 (allocated subnet 10.244.5.0/24) was re-addressed .12 → .22 in the file and does not answer
  // there: its peers' routes via .12 look exactly like a removed node's.
  const base = withAddress(classicCluster(), 'node2', '192.168.1.22');
  const cluster = { ...base, nodes: base.nodes.map((n) => (n.name === 'node2' ? { ...n, subnet: undefined } : n)) };
  const observed = new Map([
    ['node1', observedHost('node1', '192.168.1.11', '10.244.1.0/24', [route('10.244.5.0/24', '192.168.1.12'), route('10.244.3.0/24', '192.168.1.13')])],
    ['node3', observedHost('node3', '192.168.1.13', '10.244.3.0/24', [route('10.244.1.0/24', '192.168.1.11'), route('10.244.5.0/24', '192.168.1.12')])],
  ]);
  const removed = findRemovedNodes(cluster, observed, allocateSubnets(cluster, observed).subnets);
  assert.deepEqual(removed.map((r) => r.address), ['192.168.1.12']);
  const options: BuildOptions = { pruneRemoved: { hosts: new Map([['192.168.1.12', { observed: observedHost('x', '192.168.1.12', '10.244.5.0/24', []) }]]) } };
  const { plan } = buildClusterState(cluster, observed, 'present', options);
  assert.deepEqual(plan.nodes.map((n) => n.node), ['node1', 'node3']);
  assert.deepEqual(routeLines(plan, 'node1').filter((l) => l.includes('192.168.1.12')), []);
  assert.deepEqual(plan.warnings?.map((w) => w.code), ['prune-removed-incomplete', 'node-removed']);
});

test('removedHost: the cluster\'s default SSH settings at the removed address', () => {
  const cluster = { ...withoutNode3(), defaultSsh: { host: '', port: 2222, user: 'admin', knownHostsFile: '/k', become: true, connectTimeoutMs: 1000 } };
  const spec = removedHost(cluster, { address: '192.168.1.13', subnets: ['10.244.3.0/24'] });
  assert.deepEqual(spec, { name: '192.168.1.13', address: '192.168.1.13', subnet: '10.244.3.0/24', ssh: { host: '192.168.1.13', port: 2222, user: 'admin', knownHostsFile: '/k', become: true, connectTimeoutMs: 1000 } });
});

// ───────────────────────────── destroy --limit ─────────────────────────────

test('destroy --limit node3: node3 loses everything, its peers only their routes to its subnet', () => {
  const cluster = classicCluster();
  const { plan, states } = buildClusterState(cluster, converged(), 'absent', { targets: new Set(['node3']) });
  assert.deepEqual(plan.nodes.map((n) => n.node), ['node3', 'node1', 'node2']);
  assert.ok(nodePlan(plan, 'node3').changes.some((c) => c.kind === 'link' && c.action === 'delete'));
  for (const name of ['node1', 'node2']) {
    assert.deepEqual(nodePlan(plan, name).changes.map(describeChange), ["- route 10.244.3.0/24 via 192.168.1.13 (podnet's route to node3, which is being destroyed)"], name);
  }
  // a peer's convergence check asks only for that route to be gone
  const node1 = states.find((s) => s.host.name === 'node1');
  assert.ok(node1);
  const after = converged().get('node1')!;
  after.routes = after.routes.filter((r) => r.dst !== '10.244.3.0/24');
  assert.equal(checkConverged(cluster, node1, after).converged, true);
  assert.equal(checkConverged(cluster, node1, converged().get('node1')!).converged, false);
});

test('destroy --limit: a peer not reached keeps its route, and the plan warns', () => {
  const observed = converged();
  observed.delete('node2');
  const { plan } = buildClusterState(classicCluster(), observed, 'absent', { targets: new Set(['node3']) });
  assert.deepEqual(plan.nodes.map((n) => n.node), ['node3', 'node1']);
  assert.deepEqual(plan.warnings, [{ code: 'peer-routes-left', peers: ['node2'], subnets: ['10.244.3.0/24'] }]);
});

test('destroy --limit in gateway mode: the router loses its route to the destroyed node', () => {
  const cluster = classicCluster({ routing: 'gateway', router: ROUTER });
  const observed = converged();
  observed.set('router', observedHost('router', '192.168.1.254', undefined, [route('10.244.1.0/24', '192.168.1.11'), route('10.244.3.0/24', '192.168.1.13')]));
  const { plan } = buildClusterState(cluster, observed, 'absent', { targets: new Set(['node3']) });
  assert.deepEqual(nodePlan(plan, 'router').changes.map((c) => `${c.action} ${c.key}`), ['delete 10.244.3.0/24']);
});

test('a removed node\'s subnet is not handed to a new node while its peers still route to it', () => {
  const base = classicCluster();
  // allocated subnets: node3 (10.244.3.0/24) leaves, node4 joins in the same edit
  const node4 = { ...base.nodes[2]!, name: 'node4', address: '192.168.1.14', subnet: undefined, ssh: { ...base.nodes[2]!.ssh, host: '192.168.1.14' } };
  const cluster = { ...base, nodes: [...base.nodes.filter((n) => n.name !== 'node3').map((n) => ({ ...n, subnet: undefined })), node4] };
  const observed = observedWithout3();
  observed.set('node4', observedHost('node4', '192.168.1.14', undefined, []));
  const { plan } = buildClusterState(cluster, observed);
  assert.equal(nodePlan(plan, 'node4').subnet, '10.244.4.0/24');
  assert.deepEqual(routeLines(plan, 'node1'), ['+ route 10.244.4.0/24 via 192.168.1.14 (missing)']);
  assert.deepEqual(plan.warnings?.map((w) => w.code), ['node-removed']);
});

test('gateway mode: a removed node is found on the router, and --prune-removed deletes the router\'s route to it', () => {
  const cluster = { ...withoutNode3(), routing: 'gateway' as const, router: ROUTER };
  const observed = observedWithout3();
  for (const name of ['node1', 'node2']) observed.get(name)!.routes = observed.get(name)!.routes.filter((r) => r.protocol !== '201').concat(route('10.244.0.0/16', '192.168.1.254'));
  observed.set('router', observedHost('router', '192.168.1.254', undefined, [route('10.244.1.0/24', '192.168.1.11'), route('10.244.2.0/24', '192.168.1.12'), route('10.244.3.0/24', '192.168.1.13')]));
  const warned = buildClusterState(cluster, observed).plan;
  assert.deepEqual(warned.warnings, [{ code: 'node-removed', address: '192.168.1.13', subnets: ['10.244.3.0/24'], routedBy: ['router'], cluster: 'cluster.yaml' }]);
  assert.deepEqual(routeLines(warned, 'router'), []);
  const pruned = buildClusterState(cluster, observed, 'present', { pruneRemoved: { hosts: new Map([['192.168.1.13', { problem: 'gone' }]]) } }).plan;
  assert.deepEqual(routeLines(pruned, 'router'), ['- route 10.244.3.0/24 via 192.168.1.13 (stale: 192.168.1.13 left cluster.yaml (--prune-removed))']);
  assert.deepEqual(routeLines(pruned, 'node1'), []);
});

test('--prune-removed never destroys a listed host that also answers at the removed address', () => {
  const twoAddresses = observedHost('192.168.1.13', '192.168.1.13', '10.244.3.0/24', []);
  twoAddresses.addresses.push({ dev: 'eth0', family: 'inet', local: '192.168.1.12', prefixlen: 24 });
  const options: BuildOptions = { pruneRemoved: { hosts: new Map([['192.168.1.13', { observed: twoAddresses }]]) } };
  const { plan } = buildClusterState(withoutNode3(), observedWithout3(), 'present', options);
  assert.deepEqual(plan.nodes.map((n) => n.node), ['node1', 'node2']);
  assert.deepEqual(plan.warnings, [{ code: 'node-removed-is-listed', address: '192.168.1.13', node: 'node2' }]);
  assert.equal(routeLines(plan, 'node1').length, 1);
});
