// What the planner does to stay fast at 1,000–5,000 nodes (see README "Planning at scale"), held
// to the values it must give: shared route values, the short path for a route in place, the
// plugin's digest from its header and its body's bytes, and the order subnets come out in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderPlugin } from '../../src/cni/render-plugin.js';
import type { Change } from '../../src/model/plan.js';
import type { ObservedState } from '../../src/model/types.js';
import { buildClusterState } from '../../src/plan/node-state.js';
import { planNode } from '../../src/plan/plan-node.js';
import { desiredState } from '../../src/state/desired.js';
import { desiredFiles } from '../../src/state/node-files.js';
import { sha256Hex } from '../../src/state/sha256.js';
import { allocateSubnets } from '../../src/state/subnets.js';
import { classicCluster, classicSubnets } from '../support/classic-cluster.js';
import { observedHost } from '../support/plan-helpers.js';

const routeChange = (changes: readonly Change[], key: string): Change => {
  const found = changes.find((c) => c.kind === 'route' && c.key === key);
  assert.ok(found, `a change of route ${key}`);
  return found;
};

test('a route to a peer planned on several nodes is one value and one step in the plan, not one per node', () => {
  const cluster = classicCluster();
  const observed = new Map(cluster.nodes.map((n) => [n.name, observedHost(n.name, n.address, undefined, [])] as const));
  const { plan } = buildClusterState(cluster, observed);
  const [node1, node2] = plan.nodes;
  const a = routeChange(node1?.changes ?? [], '10.244.3.0/24');
  const b = routeChange(node2?.changes ?? [], '10.244.3.0/24');
  assert.equal(a.steps, b.steps);
  assert.equal(a.kind === 'route' && b.kind === 'route' ? a.after : undefined, b.kind === 'route' ? b.after : null);
  assert.deepEqual(a.steps, [{ run: 'ip', args: ['route', 'replace', '10.244.3.0/24', 'via', '192.168.1.13', 'proto', '201'] }]);
  // Planned alone (no plan around it) a host still gets the same values.
  const alone = planNode(desiredState(cluster, classicSubnets(cluster), 'node1'), observed.get('node1') as ObservedState, { podCidr: cluster.podCidr, nodeAddress: '192.168.1.11' });
  assert.deepEqual(alone.changes, node1?.changes);
});

test('podnet’s route in place with a foreign route to the same destination: still the conflict, nothing planned', () => {
  const cluster = classicCluster();
  const desired = desiredState(cluster, classicSubnets(cluster), 'node1');
  const observed = observedHost('node1', '192.168.1.11', '10.244.1.0/24', [
    { dst: '10.244.2.0/24', gateway: '192.168.1.12', dev: 'eth0', protocol: '201' },
    { dst: '10.244.3.0/24', gateway: '192.168.1.13', dev: 'eth0', protocol: '201' },
    { dst: '10.244.3.0/24', gateway: '192.168.1.99', dev: 'eth0', protocol: 'static', metric: 50 },
  ]);
  observed.ipForward = true;
  const plan = planNode(desired, observed, { podCidr: cluster.podCidr, nodeAddress: '192.168.1.11' });
  assert.deepEqual(plan.changes.filter((c) => c.kind === 'route'), []);
  assert.deepEqual(plan.conflicts.map((c) => [c.code, c.key]), [['foreign-route-to-peer', '10.244.3.0/24 metric 50']]);
});

test('podnet’s route in place with a foreign default route and a foreign /25 inside a peer: the /25 is the conflict', () => {
  const cluster = classicCluster();
  const desired = desiredState(cluster, classicSubnets(cluster), 'node1');
  const observed = observedHost('node1', '192.168.1.11', '10.244.1.0/24', [
    { dst: 'default', gateway: '192.168.1.1', dev: 'eth0', protocol: 'boot' },
    { dst: '10.244.2.0/24', gateway: '192.168.1.12', dev: 'eth0', protocol: '201' },
    { dst: '10.244.3.0/24', gateway: '192.168.1.13', dev: 'eth0', protocol: '201' },
    { dst: '10.244.2.0/25', gateway: '192.168.1.99', dev: 'eth0', protocol: 'boot' },
  ]);
  const plan = planNode(desired, observed, { podCidr: cluster.podCidr, nodeAddress: '192.168.1.11' });
  assert.deepEqual(plan.changes.filter((c) => c.kind === 'route'), []);
  assert.deepEqual(plan.conflicts.map((c) => [c.code, c.key]), [['foreign-route-inside-peer', '10.244.2.0/25']]);
});

test('the plugin file is renderPlugin’s text, and its digest is the sha256 of that text', () => {
  for (const [cluster, subnet, gateway] of [
    [classicCluster(), '10.244.1.0/24', '10.244.1.1'],
    [classicCluster({ bridge: { name: 'br-pods', mtu: 9000 }, cni: { ...classicCluster().cni, networkName: 'lab.net_1', dataDir: '/srv/cni-store' } }), '172.20.0.0/16', '172.20.255.254'],
  ] as const) {
    const [plugin] = desiredFiles(cluster, subnet, gateway);
    const text = renderPlugin({ networkName: cluster.cni.networkName, bridge: cluster.bridge.name, subnet, gateway, mtu: cluster.bridge.mtu ?? 1500, dataDir: cluster.cni.dataDir });
    assert.equal(plugin?.content, text);
    assert.equal(plugin?.sha256, sha256Hex(text));
    // The body holds characters beyond ASCII (its section rules): the digest is of UTF-8 bytes.
    assert.ok(Buffer.byteLength(text, 'utf8') > text.length);
  }
});

test('subnets come out explicit first, then observed, then fresh, each in node order', () => {
  const base = classicCluster();
  const [n1, n2, n3] = base.nodes;
  const cluster = classicCluster({
    nodes: [
      { ...(n1 as (typeof base.nodes)[0]), subnet: undefined },
      { ...(n2 as (typeof base.nodes)[0]), subnet: undefined },
      n3 as (typeof base.nodes)[0],
      { ...(n1 as (typeof base.nodes)[0]), name: 'node4', address: '192.168.1.14', subnet: undefined },
    ].map(({ subnet, ...rest }) => (subnet === undefined ? rest : { ...rest, subnet })),
  });
  const observed = new Map<string, ObservedState>([
    ['node2', observedHost('node2', '192.168.1.12', '10.244.7.0/24', [])],
    ['node4', observedHost('node4', '192.168.1.14', '10.244.9.0/24', [])],
  ]);
  const { subnets, diagnostics } = allocateSubnets(cluster, observed);
  assert.deepEqual(diagnostics, []);
  assert.deepEqual([...subnets], [
    ['node3', '10.244.3.0/24'],
    ['node2', '10.244.7.0/24'],
    ['node4', '10.244.9.0/24'],
    ['node1', '10.244.1.0/24'],
  ]);
});

test('a podnet route pointing at a node is its subnet only when written in network form', () => {
  const base = classicCluster();
  const nodes = base.nodes.map(({ subnet: _subnet, ...rest }) => rest);
  const hint = (dst: string): string | undefined => {
    const observed = new Map<string, ObservedState>([['node1', observedHost('node1', '192.168.1.11', '10.244.1.0/24', [{ dst, gateway: '192.168.1.12', dev: 'eth0', protocol: '201' }])]]);
    return allocateSubnets(classicCluster({ nodes }), observed).subnets.get('node2');
  };
  assert.equal(hint('10.244.7.0/24'), '10.244.7.0/24');
  assert.equal(hint('10.244.8.0/9'), '10.244.2.0/24', 'outside the pod CIDR');
  // Not the network form: fresh allocation (node1 has 10.244.1.0/24 on its bridge).
  assert.equal(hint('10.244.7.5/24'), '10.244.2.0/24', 'host bits set');
  assert.equal(hint('10.244.7.0/024'), '10.244.2.0/24', 'a leading zero in the prefix');
  assert.equal(hint('10.244.7.0/'), '10.244.2.0/24');
});
