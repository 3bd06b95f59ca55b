// Subnet allocation: explicit first, observed state kept, deterministic, stable when nodes are added.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocateSubnets, gatewayAddress, subnetPrefixLength } from '../../src/state/subnets.js';
import { DEFAULT_CNI, type Cluster, type NodeSpec, type ObservedState, type ObservedRoute } from '../../src/model/types.js';

function spec(name: string, address: string, subnet?: string): NodeSpec {
  const node: NodeSpec = { name, address, ssh: { host: address, port: 22, user: 'root', knownHostsFile: '/kh', become: false, connectTimeoutMs: 10000 } };
  if (subnet !== undefined) node.subnet = subnet;
  return node;
}

function cluster(nodes: NodeSpec[], podCidr = '10.244.0.0/16', subnetPrefix = 24): Cluster {
  return { sourcePath: 'cluster.yaml', podCidr, subnetPrefix, routing: 'host-gw', bridge: { name: 'v-net-0' }, cni: DEFAULT_CNI, nodes };
}

function observedWithBridge(node: string, local: string, prefixlen: number, alias: string | null = 'podnet'): ObservedState {
  return {
    node,
    links: [
      { ifindex: 1, name: 'lo', kind: null, up: true, operstate: 'UNKNOWN', mtu: 65536 },
      { ifindex: 3, name: 'v-net-0', kind: 'bridge', up: true, operstate: 'UP', mtu: 1500, ...(alias === null ? {} : { alias }) },
    ],
    addresses: [
      { dev: 'eth0', family: 'inet', local: '192.168.1.11', prefixlen: 24 },
      { dev: 'v-net-0', family: 'inet', local, prefixlen },
    ],
    routes: [],
    ipForward: true,
  };
}

function observedWithRoutes(node: string, routes: ObservedRoute[]): ObservedState {
  return { node, links: [], addresses: [], routes, ipForward: true };
}

const entries = (map: Map<string, string>): [string, string][] => [...map.entries()];

test('a fresh cluster gets 10.244.1.0/24, 10.244.2.0/24 … in node order (the first /24 is skipped)', () => {
  const result = allocateSubnets(cluster([spec('node1', '192.168.1.11'), spec('node2', '192.168.1.12'), spec('node3', '192.168.1.13')]));
  assert.deepEqual(entries(result.subnets), [
    ['node1', '10.244.1.0/24'],
    ['node2', '10.244.2.0/24'],
    ['node3', '10.244.3.0/24'],
  ]);
  assert.deepEqual(result.diagnostics, []);
});

test('deterministic: the same input gives the same allocation', () => {
  const input = cluster([spec('b', '192.168.1.12'), spec('a', '192.168.1.11', '10.244.2.0/24'), spec('c', '192.168.1.13')]);
  const first = entries(allocateSubnets(input).subnets).sort();
  for (let i = 0; i < 5; i++) assert.deepEqual(entries(allocateSubnets(input).subnets).sort(), first);
});

test('explicit subnets come first; allocation fills around them, lowest free first', () => {
  const result = allocateSubnets(cluster([spec('a', '192.168.1.11'), spec('b', '192.168.1.12', '10.244.1.0/24'), spec('c', '192.168.1.13', '10.244.2.0/23')]));
  assert.equal(result.subnets.get('b'), '10.244.1.0/24');
  assert.equal(result.subnets.get('c'), '10.244.2.0/23');
  assert.equal(result.subnets.get('a'), '10.244.4.0/24');
});

test('a large explicit subnet is skipped over at once', () => {
  const result = allocateSubnets(cluster([spec('big', '192.168.1.11', '10.128.0.0/9'), spec('a', '192.168.1.12')], '10.0.0.0/8', 30));
  assert.equal(result.subnets.get('a'), '10.0.0.4/30');
  const full = allocateSubnets(cluster([spec('low', '192.168.1.11', '10.0.0.0/9'), spec('a', '192.168.1.12')], '10.0.0.0/8', 30));
  assert.equal(full.subnets.get('a'), '10.128.0.0/30');
});

test('the subnet observed on the podnet bridge is kept', () => {
  const nodes = [spec('node1', '192.168.1.11'), spec('node2', '192.168.1.12')];
  const observed = new Map([['node1', observedWithBridge('node1', '10.244.7.1', 24)]]);
  const result = allocateSubnets(cluster(nodes), observed);
  assert.deepEqual(entries(result.subnets), [
    ['node1', '10.244.7.0/24'],
    ['node2', '10.244.1.0/24'],
  ]);
});

test('a bridge without the podnet alias, or with an address outside the pod CIDR, is not podnet\'s', () => {
  const nodes = [spec('node1', '192.168.1.11')];
  assert.equal(allocateSubnets(cluster(nodes), new Map([['node1', observedWithBridge('node1', '10.244.7.1', 24, null)]])).subnets.get('node1'), '10.244.1.0/24');
  assert.equal(allocateSubnets(cluster(nodes), new Map([['node1', observedWithBridge('node1', '172.17.0.1', 16)]])).subnets.get('node1'), '10.244.1.0/24');
});

test('a podnet route on a peer that points at the node is a hint when the node has no bridge yet', () => {
  const nodes = [spec('node1', '192.168.1.11'), spec('node2', '192.168.1.12')];
  const observed = new Map([
    [
      'node1',
      observedWithRoutes('node1', [
        { dst: '10.244.9.0/24', gateway: '192.168.1.99', protocol: 'podnet' },
        { dst: '10.244.8.0/24', gateway: '192.168.1.12', protocol: 'boot' },
        { dst: '10.244.5.0/24', gateway: '192.168.1.12', protocol: '201' },
      ]),
    ],
  ]);
  assert.equal(allocateSubnets(cluster(nodes), observed).subnets.get('node2'), '10.244.5.0/24');
});

test('adding a node in the middle of the list moves no one, given observed state', () => {
  const before = cluster([spec('node1', '192.168.1.11'), spec('node2', '192.168.1.12'), spec('node3', '192.168.1.13')]);
  const first = allocateSubnets(before).subnets;
  const observed = new Map(
    before.nodes.map((n) => {
      const subnet = first.get(n.name) ?? '';
      return [n.name, observedWithBridge(n.name, gatewayAddress(subnet), subnetPrefixLength(subnet))] as const;
    }),
  );
  const after = cluster([spec('node1', '192.168.1.11'), spec('node15', '192.168.1.15'), spec('node2', '192.168.1.12'), spec('node3', '192.168.1.13')]);
  const second = allocateSubnets(after, observed).subnets;
  for (const [name, subnet] of first) assert.equal(second.get(name), subnet, name);
  assert.equal(second.get('node15'), '10.244.4.0/24');
  // Without observed state the list order decides, so later nodes would shift: that is why observed state matters.
  assert.equal(allocateSubnets(after).subnets.get('node2'), '10.244.3.0/24');
});

test('an observed subnet that overlaps an explicit one is not kept', () => {
  const nodes = [spec('node1', '192.168.1.11', '10.244.7.0/24'), spec('node2', '192.168.1.12')];
  const result = allocateSubnets(cluster(nodes), new Map([['node2', observedWithBridge('node2', '10.244.7.1', 24)]]));
  assert.equal(result.subnets.get('node2'), '10.244.1.0/24');
  assert.deepEqual(result.diagnostics, ['node node2: observed subnet 10.244.7.0/24 overlaps 10.244.7.0/24 of another node; allocating a new one']);
});

test('exhaustion: nodes beyond the free subnets get none, with a diagnostic each', () => {
  const nodes = ['a', 'b', 'c', 'd', 'e'].map((name, i) => spec(name, `192.168.1.${11 + i}`));
  const result = allocateSubnets(cluster(nodes, '10.244.0.0/22'));
  assert.deepEqual(entries(result.subnets), [
    ['a', '10.244.1.0/24'],
    ['b', '10.244.2.0/24'],
    ['c', '10.244.3.0/24'],
  ]);
  assert.deepEqual(result.diagnostics, [
    'node d: no free /24 left in pod CIDR 10.244.0.0/22 (its first /24 is reserved)',
    'node e: no free /24 left in pod CIDR 10.244.0.0/22 (its first /24 is reserved)',
  ]);
});

test('exhaustion at the very end of the address space', () => {
  const result = allocateSubnets(cluster([spec('a', '192.168.1.11'), spec('b', '192.168.1.12')], '255.255.255.0/24', 25));
  assert.equal(result.subnets.get('a'), '255.255.255.128/25');
  assert.equal(result.subnets.has('b'), false);
});

test('gatewayAddress is the first host; subnetPrefixLength the prefix', () => {
  assert.equal(gatewayAddress('10.244.1.0/24'), '10.244.1.1');
  assert.equal(gatewayAddress('10.244.0.4/30'), '10.244.0.5');
  assert.equal(subnetPrefixLength('10.244.1.0/24'), 24);
});
