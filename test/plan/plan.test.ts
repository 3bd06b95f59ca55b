import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredState } from '../../src/state/desired.js';
import type { DesiredState, ManagementPath, ObservedState } from '../../src/model/types.js';
import type { Change, Conflict, NodePlan } from '../../src/model/plan.js';
import { planNode } from '../../src/plan/plan-node.js';
import { summarisePlan } from '../../src/plan/summary.js';
import { describeChange, describeConflict, describeReason, describeRefusal } from '../../src/render/sentences.js';
import { classicCluster, classicSubnets } from '../support/classic-cluster.js';
import { loadObserved } from '../support/ip-fixtures.js';
import { objectOf, stepArgvs } from '../support/plan-helpers.js';

const CTX = { podCidr: '10.244.0.0/16', nodeAddress: '192.168.1.11' };

function desiredFor(node = 'node1', mtu?: number): DesiredState {
  const cluster = classicCluster(mtu !== undefined ? { bridge: { name: 'v-net-0', mtu } } : {});
  return desiredState(cluster, classicSubnets(cluster), node);
}

function planFixture(caseName: string, desired = desiredFor(), management?: ManagementPath) {
  return planNode(desired, loadObserved(caseName, desired.node, management), CTX);
}

/** Every step of the plan as one command line, in order. */
const argvs = (plan: NodePlan): string[] => stepArgvs(plan.changes).map((a) => a.join(' '));
/** A change's steps as command lines. */
const stepsOf = (c: Change): string[] => stepArgvs([c]).map((a) => a.join(' '));
const conflictText = (c: Conflict): { node: string; object: string; message: string } => ({ node: c.node, ...describeConflict(c) });
const refusalText = (plan: NodePlan): string => (plan.refused === undefined ? '' : describeRefusal(plan.node, plan.refused));

test('a converged node gets an empty plan', () => {
  for (const fixture of ['converged', 'converged-named-proto']) {
    const plan = planFixture(fixture);
    assert.deepEqual(plan.changes, [], fixture);
    assert.deepEqual(plan.conflicts, [], fixture);
    assert.equal(plan.refused, undefined);
    assert.equal(plan.node, 'node1');
    assert.equal(plan.address, '192.168.1.11');
    assert.equal(plan.subnet, '10.244.1.0/24');
  }
  const node2 = desiredFor('node2');
  assert.deepEqual(planNode(node2, loadObserved('converged-node2', 'node2'), { ...CTX, nodeAddress: '192.168.1.12' }).changes, []);
});

test('an empty node: sysctl, bridge (one change, four steps), address, then routes — exact argv', () => {
  const plan = planFixture('empty', desiredFor('node1', 1500));
  assert.deepEqual(argvs(plan), [
    'sysctl -w net.ipv4.ip_forward=1',
    'ip link add v-net-0 type bridge',
    'ip link set dev v-net-0 alias podnet',
    'ip link set dev v-net-0 mtu 1500',
    'ip link set dev v-net-0 up',
    'ip address add 10.244.1.1/24 dev v-net-0',
    'ip route replace 10.244.2.0/24 via 192.168.1.12 proto 201',
    'ip route replace 10.244.3.0/24 via 192.168.1.13 proto 201',
  ]);
  assert.deepEqual(
    plan.changes.map((c) => [c.action, c.kind, c.key, c.reason.code, c.steps.length]),
    [
      ['update', 'sysctl', 'net.ipv4.ip_forward', 'differs', 1],
      ['create', 'link', 'v-net-0', 'missing', 4],
      ['create', 'address', '10.244.1.1/24 on v-net-0', 'missing', 1],
      ['create', 'route', '10.244.2.0/24', 'missing', 1],
      ['create', 'route', '10.244.3.0/24', 'missing', 1],
    ],
  );
  assert.deepEqual(plan.changes.map(describeReason), ['forwarding is off (0), want 1', 'missing', 'missing', 'missing', 'missing']);
  assert.deepEqual(plan.changes[0]?.before, { key: 'net.ipv4.ip_forward', value: 0 });
  assert.deepEqual(plan.changes[0]?.after, { key: 'net.ipv4.ip_forward', value: 1 });
  assert.deepEqual(plan.changes[1]?.after, { name: 'v-net-0', kind: 'bridge', alias: 'podnet', mtu: 1500, up: true });
  assert.equal(plan.changes[1]?.before, undefined);
  assert.deepEqual(plan.changes[2]?.after, { address: '10.244.1.1/24', dev: 'v-net-0' });
  assert.deepEqual(plan.changes[3]?.after, { dst: '10.244.2.0/24', gateway: '192.168.1.12', protocol: '201' });
  assert.deepEqual(summarisePlan([plan]), { add: 4, change: 1, destroy: 0, conflicts: 0, refused: 0 });
});

test('without a configured MTU the bridge keeps the kernel default (no mtu step)', () => {
  assert.ok(!argvs(planFixture('empty')).some((a) => a.includes('mtu')));
});

test('a drifted node: deletions first (stale route, wrong address), then repairs', () => {
  const plan = planFixture('drifted', desiredFor('node1', 1500));
  assert.deepEqual(
    plan.changes.map((c) => [c.action, objectOf(c), describeReason(c), stepsOf(c)]),
    [
      ['update', 'sysctl net.ipv4.ip_forward', 'forwarding is off (0), want 1', ['sysctl -w net.ipv4.ip_forward=1']],
      ['delete', 'route 10.244.9.0/24', 'stale: no node has subnet 10.244.9.0/24', ['ip route del 10.244.9.0/24 via 192.168.1.19 proto 201']],
      ['delete', 'address 10.244.1.7/24 on v-net-0', 'stale: the bridge address is 10.244.1.1/24', ['ip address del 10.244.1.7/24 dev v-net-0']],
      ['update', 'link v-net-0', 'mtu is 1400, want 1500; link is down', ['ip link set dev v-net-0 mtu 1500', 'ip link set dev v-net-0 up']],
      ['create', 'address 10.244.1.1/24 on v-net-0', 'missing', ['ip address add 10.244.1.1/24 dev v-net-0']],
      ['update', 'route 10.244.2.0/24', 'gateway is 192.168.1.99, want 192.168.1.12', ['ip route replace 10.244.2.0/24 via 192.168.1.12 proto 201']],
      ['create', 'route 10.244.3.0/24', 'missing', ['ip route replace 10.244.3.0/24 via 192.168.1.13 proto 201']],
    ],
  );
  assert.deepEqual(
    plan.changes.map((c) => c.reason),
    [{ code: 'differs' }, { code: 'stale-route-no-node' }, { code: 'stale-address', want: '10.244.1.1/24' }, { code: 'differs' }, { code: 'missing' }, { code: 'differs' }, { code: 'missing' }],
  );
  const link = plan.changes.find((c) => c.kind === 'link');
  assert.deepEqual([link?.before, link?.after], [
    { name: 'v-net-0', mtu: 1400, up: false },
    { name: 'v-net-0', mtu: 1500, up: true },
  ]);
  const update = plan.changes.find((c) => c.kind === 'route' && c.key === '10.244.2.0/24');
  assert.deepEqual(update?.before, { dst: '10.244.2.0/24', gateway: '192.168.1.99', dev: 'eth0', protocol: '201' });
  assert.deepEqual(update?.after, { dst: '10.244.2.0/24', gateway: '192.168.1.12', protocol: '201' });
  assert.deepEqual(plan.conflicts, []);
  assert.deepEqual(summarisePlan([plan]), { add: 2, change: 3, destroy: 2, conflicts: 0, refused: 0 });
});

test('a foreign route to a peer subnet is a conflict and is not replaced', () => {
  const plan = planFixture('foreign-route');
  assert.deepEqual(plan.changes, []);
  assert.deepEqual(plan.conflicts.map(conflictText), [
    {
      node: 'node1',
      object: 'route 10.244.2.0/24 via 192.168.1.99 proto static',
      message: "a foreign route to node2's pod subnet 10.244.2.0/24; podnet will not replace it",
    },
  ]);
  assert.deepEqual(plan.conflicts.map((c) => [c.code, c.kind, c.key]), [['foreign-route-to-peer', 'route', '10.244.2.0/24']]);
});

test('a foreign route inside a peer subnet (more specific) is a conflict too', () => {
  const observed = loadObserved('converged');
  observed.routes.push({ dst: '10.244.3.128/25', gateway: '192.168.1.50', dev: 'eth0', protocol: 'boot' });
  const plan = planNode(desiredFor(), observed, CTX);
  assert.deepEqual(plan.changes, []);
  assert.equal(plan.conflicts.length, 1);
  assert.deepEqual([plan.conflicts[0]?.code, plan.conflicts[0]?.key], ['foreign-route-inside-peer', '10.244.3.128/25']);
  const { object, message } = describeConflict(plan.conflicts[0]!);
  assert.equal(object, 'route 10.244.3.128/25 via 192.168.1.50 proto boot');
  assert.match(message, /inside node3's pod subnet 10\.244\.3\.0\/24/);
});

test('a non-bridge link with the bridge name is a conflict; the bridge and its address are left alone', () => {
  const plan = planFixture('bridge-name-taken');
  assert.deepEqual(plan.conflicts.map(conflictText), [
    { node: 'node1', object: 'link v-net-0 (veth)', message: "a veth link has the name of podnet's bridge; podnet will not replace it" },
  ]);
  assert.deepEqual(plan.conflicts.map((c) => [c.code, c.key]), [['link-not-bridge', 'v-net-0']]);
  assert.ok(plan.changes.every((c) => c.kind === 'route' || c.kind === 'sysctl'), argvs(plan).join('\n'));
  assert.equal(plan.changes.filter((c) => c.kind === 'route').length, 2);
});

test('a bridge with the name but without the podnet alias is not adopted', () => {
  const plan = planFixture('bridge-no-alias');
  assert.equal(plan.conflicts.length, 1);
  assert.deepEqual([plan.conflicts[0]?.code, plan.conflicts[0]?.key], ['bridge-not-podnet', 'v-net-0']);
  const { object, message } = describeConflict(plan.conflicts[0]!);
  assert.equal(object, 'link v-net-0 (bridge)');
  assert.match(message, /without the alias "podnet".*ip link set dev v-net-0 alias podnet/);
  assert.ok(plan.changes.every((c) => c.kind !== 'link' && c.kind !== 'address'));
});

test('a foreign address on podnet’s bridge is a conflict, never deleted', () => {
  const plan = planFixture('foreign-address');
  assert.deepEqual(plan.changes, []);
  assert.deepEqual(plan.conflicts.map((c) => [c.code, c.key]), [['foreign-address-on-bridge', '172.31.5.1/24 on v-net-0']]);
  assert.deepEqual(plan.conflicts.map(conflictText), [
    {
      node: 'node1',
      object: 'address 172.31.5.1/24 on v-net-0',
      message: "a foreign address (outside the pod CIDR 10.244.0.0/16) on podnet's bridge; podnet leaves it alone",
    },
  ]);
});

test('podnet’s bridge under an old name is deleted (after the routes, before creations)', () => {
  const plan = planFixture('stale-bridge');
  assert.deepEqual(
    plan.changes.map((c) => [c.action, objectOf(c), describeReason(c), stepsOf(c)]),
    [['delete', 'link cni-old', "stale: podnet's bridge is now v-net-0", ['ip link del dev cni-old']]],
  );
  assert.deepEqual(plan.changes[0]?.reason, { code: 'stale-bridge', want: 'v-net-0' });
});

test('pods attached to podnet’s bridge change nothing', () => {
  const plan = planFixture('pod-attached');
  assert.deepEqual(plan.changes, []);
  assert.deepEqual(plan.conflicts, []);
});

test('podnet’s old bridge with ports or foreign addresses is kept and reported', () => {
  const plan = planFixture('stale-bridge-ports');
  assert.deepEqual(plan.changes, []);
  assert.deepEqual(plan.conflicts.map(conflictText), [
    { node: 'node1', object: 'link cni-old', message: "podnet's old bridge still has ports (veth77b0e1); podnet will not delete it while they are attached" },
  ]);
  assert.deepEqual(plan.conflicts.map((c) => [c.code, c.key]), [['old-bridge-has-ports', 'cni-old']]);

  const withAddress = loadObserved('stale-bridge');
  withAddress.addresses.push({ dev: 'cni-old', family: 'inet', local: '172.31.0.1', prefixlen: 24 });
  const plan2 = planNode(desiredFor(), withAddress, CTX);
  assert.deepEqual(plan2.changes, []);
  assert.deepEqual(plan2.conflicts.map((c) => [c.code, c.key]), [['old-bridge-foreign-addresses', 'cni-old']]);
  assert.match(describeConflict(plan2.conflicts[0]!).message, /carries foreign addresses \(172\.31\.0\.1\/24\)/);
});

test('an admin route outside the pod CIDR survives (never changed, never a conflict)', () => {
  const plan = planFixture('admin-route');
  assert.deepEqual(plan.changes, []);
  assert.deepEqual(plan.conflicts, []);
});

test('stale podnet routes: removed node, own subnet, outside the pod CIDR, a second metric', () => {
  const observed = loadObserved('converged');
  observed.routes.push(
    { dst: '10.244.1.0/24', gateway: '192.168.1.12', dev: 'eth0', protocol: '201' },
    { dst: '10.50.0.0/16', gateway: '192.168.1.12', dev: 'eth0', protocol: 'podnet' },
    { dst: '10.244.2.0/24', gateway: '192.168.1.12', dev: 'eth0', protocol: '201', metric: 100 },
    { dst: '10.244.4.0/24', type: 'blackhole', protocol: '201' },
  );
  const plan = planNode(desiredFor(), observed, CTX);
  assert.deepEqual(
    plan.changes.map((c) => [c.action, c.key, describeReason(c), stepsOf(c)]),
    [
      ['delete', '10.244.1.0/24', "stale: 10.244.1.0/24 is this node's own subnet", ['ip route del 10.244.1.0/24 via 192.168.1.12 proto 201']],
      ['delete', '10.50.0.0/16', 'stale: outside the pod CIDR 10.244.0.0/16', ['ip route del 10.50.0.0/16 via 192.168.1.12 proto 201']],
      ['delete', '10.244.2.0/24 metric 100', "stale: metric 100 (podnet's route to node2 has none)", ['ip route del 10.244.2.0/24 via 192.168.1.12 proto 201 metric 100']],
      ['delete', '10.244.4.0/24', 'stale: no node has subnet 10.244.4.0/24', ['ip route del blackhole 10.244.4.0/24 proto 201']],
    ],
  );
  assert.deepEqual(
    plan.changes.map((c) => c.reason),
    [{ code: 'stale-route-own-subnet' }, { code: 'stale-route-outside-pod-cidr', podCidr: '10.244.0.0/16' }, { code: 'stale-route-metric', peer: 'node2' }, { code: 'stale-route-no-node' }],
  );
});

test('kernel routes are never planned for, even inside the pod CIDR of this node', () => {
  const plan = planFixture('converged');
  assert.deepEqual(plan.changes, []);
});

test('unreadable ip_forward is set, saying why', () => {
  const observed = loadObserved('converged');
  observed.ipForward = null;
  const plan = planNode(desiredFor(), observed, CTX);
  assert.deepEqual(plan.changes.map((c) => [describeReason(c), c.before, c.after]), [
    ['could not be read, want 1', { key: 'net.ipv4.ip_forward', value: null }, { key: 'net.ipv4.ip_forward', value: 1 }],
  ]);
});

test('a podnet route of the wrong type or multipath is replaced', () => {
  const observed = loadObserved('converged');
  observed.routes = observed.routes.filter((r) => r.dst !== '10.244.2.0/24' && r.dst !== '10.244.3.0/24');
  observed.routes.push(
    { dst: '10.244.2.0/24', type: 'blackhole', protocol: '201' },
    { dst: '10.244.3.0/24', protocol: '201', nexthops: [{ gateway: '192.168.1.13', dev: 'eth0' }, { gateway: '192.168.1.14', dev: 'eth0' }] },
  );
  const plan = planNode(desiredFor(), observed, CTX);
  assert.deepEqual(plan.changes.map((c) => [c.action, c.key, describeReason(c), stepsOf(c)]), [
    ['update', '10.244.2.0/24', 'type is blackhole, want a route via 192.168.1.12', ['ip route replace 10.244.2.0/24 via 192.168.1.12 proto 201']],
    ['update', '10.244.3.0/24', 'multipath, want a single route via 192.168.1.13', ['ip route replace 10.244.3.0/24 via 192.168.1.13 proto 201']],
  ]);
});

test('management path: deleting a route that carries the SSH client is refused', () => {
  const management = { localAddress: '192.168.1.11', peerAddress: '10.244.9.20', dev: 'eth0' };
  const plan = planFixture('drifted', desiredFor(), management);
  assert.deepEqual(plan.refused, {
    nodeAddress: '192.168.1.11',
    management,
    offences: [{ kind: 'route', key: '10.244.9.0/24', action: 'delete', takes: { address: '10.244.9.20', what: 'ssh-client' } }],
  });
  assert.equal(
    refusalText(plan),
    "refusing to touch node1's management path (SSH from 10.244.9.20 to 192.168.1.11 on eth0): " +
      'route 10.244.9.0/24 (delete) would take the path to the SSH client 10.244.9.20',
  );
  assert.ok(plan.changes.length > 0, 'the changes stay visible');
  assert.equal(summarisePlan([plan]).refused, 1);
});

test('management path: a route to the node’s own address, or changing the SSH link, is refused', () => {
  const desired = desiredFor();
  desired.routes.push({ dst: '192.168.1.0/28', gateway: '192.168.1.50', peer: 'weird' });
  const plan = planNode(desired, loadObserved('converged'), CTX);
  assert.match(refusalText(plan), /route 192\.168\.1\.0\/28 \(create\) would take the path to the node's own address 192\.168\.1\.11/);

  const viaBridge = { localAddress: '10.244.1.1', peerAddress: '10.244.1.50', dev: 'v-net-0' };
  const drifted = planFixture('drifted', desiredFor(), viaBridge);
  assert.deepEqual(drifted.refused?.offences, [{ kind: 'link', key: 'v-net-0', action: 'update' }]);
  assert.match(refusalText(drifted), /link v-net-0 \(update\) carries the SSH session/);
});

test('management path: deleting the SSH address is refused', () => {
  const management = { localAddress: '10.244.1.7', peerAddress: '10.244.1.50', dev: 'v-net-0' };
  const observed: ObservedState = loadObserved('drifted', 'node1', management);
  observed.links = observed.links.map((l) => (l.name === 'v-net-0' ? { ...l, up: true, mtu: 1500 } : l));
  const plan = planNode(desiredFor(), observed, CTX);
  assert.deepEqual(plan.refused?.offences, [
    { kind: 'address', key: '10.244.1.7/24 on v-net-0', action: 'delete', takes: { address: '10.244.1.7', what: 'ssh-address' } },
  ]);
  assert.match(refusalText(plan), /address 10\.244\.1\.7\/24 on v-net-0 \(delete\) is the node's SSH address/);
});

test('a converged node with management info is not refused', () => {
  const plan = planFixture('converged', desiredFor(), { localAddress: '192.168.1.11', peerAddress: '192.168.1.1', dev: 'eth0' });
  assert.equal(plan.refused, undefined);
});

test('one change per object: a new bridge is one add with its four steps, the summary counts objects', () => {
  const plan = planFixture('empty', desiredFor('node1', 1500));
  assert.deepEqual(
    plan.changes.map((c) => [objectOf(c), c.steps.length]),
    [
      ['sysctl net.ipv4.ip_forward', 1],
      ['link v-net-0', 4],
      ['address 10.244.1.1/24 on v-net-0', 1],
      ['route 10.244.2.0/24', 1],
      ['route 10.244.3.0/24', 1],
    ],
  );
  assert.deepEqual(
    plan.changes.map(describeChange),
    [
      '~ sysctl net.ipv4.ip_forward = 1 (forwarding is off (0), want 1)',
      '+ link v-net-0 (bridge, alias podnet, mtu 1500, up) (missing)',
      '+ address 10.244.1.1/24 on v-net-0 (missing)',
      '+ route 10.244.2.0/24 via 192.168.1.12 (missing)',
      '+ route 10.244.3.0/24 via 192.168.1.13 (missing)',
    ],
  );
  // A bridge and nothing else: 1 to add, however many steps make it.
  const bridgeOnly = { ...plan, changes: plan.changes.filter((c) => c.kind === 'link') };
  assert.deepEqual(summarisePlan([bridgeOnly]), { add: 1, change: 0, destroy: 0, conflicts: 0, refused: 0 });
  // A bridge update with two steps (mtu and up) is 1 to change.
  const drifted = planFixture('drifted', desiredFor('node1', 1500));
  const linkUpdate = { ...drifted, changes: drifted.changes.filter((c) => c.kind === 'link') };
  assert.equal(linkUpdate.changes[0]?.steps.length, 2);
  assert.deepEqual(summarisePlan([linkUpdate]), { add: 0, change: 1, destroy: 0, conflicts: 0, refused: 0 });
  // Conflicts and refusals are counted per conflict and per node, across nodes.
  const conflicted = planFixture('flannel-leftover');
  const refused = planFixture('drifted', desiredFor(), { localAddress: '192.168.1.11', peerAddress: '10.244.9.20', dev: 'eth0' });
  const total = summarisePlan([plan, conflicted, refused]);
  assert.deepEqual(total, {
    add: 4 + conflicted.changes.filter((c) => c.action === 'create').length + refused.changes.filter((c) => c.action === 'create').length,
    change: 1 + conflicted.changes.filter((c) => c.action === 'update').length + refused.changes.filter((c) => c.action === 'update').length,
    destroy: refused.changes.filter((c) => c.action === 'delete').length,
    conflicts: 3,
    refused: 1,
  });
});

test("another CNI's leftovers (flannel's cni0 and boot routes) are conflicts, never touched", () => {
  const plan = planFixture('flannel-leftover');
  assert.deepEqual(
    plan.conflicts.map((c) => describeConflict(c).object),
    ['address 10.244.1.1/24 on cni0', 'route 10.244.2.0/24 via 192.168.1.12 proto boot', 'route 10.244.3.0/24 via 192.168.1.13 proto boot'],
  );
  assert.deepEqual(
    plan.conflicts.map((c) => [c.code, c.key]),
    [
      ['pod-address-on-foreign-link', '10.244.1.1/24 on cni0'],
      ['foreign-route-to-peer', '10.244.2.0/24'],
      ['foreign-route-to-peer', '10.244.3.0/24'],
    ],
  );
  assert.match(describeConflict(plan.conflicts[0]!).message, /inside the pod CIDR 10\.244\.0\.0\/16 on a link podnet does not own/);
  assert.ok(stepArgvs(plan.changes).every((argv) => !argv.includes('cni0')), argvs(plan).join('\n'));
  assert.ok(plan.changes.every((c) => c.kind !== 'route'), argvs(plan).join('\n'));
});

test('pod-CIDR addresses on podnet’s own bridges are not foreign', () => {
  assert.deepEqual(planFixture('stale-bridge').conflicts, []);
  assert.deepEqual(planFixture('drifted').conflicts, []);
});
