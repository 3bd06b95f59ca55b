// verify's diagnosis: each failure names its likely cause from the gathered state.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ObservedState } from '../../src/model/types.js';
import { desiredState, routerDesiredState } from '../../src/state/desired.js';
import { acceptsPodTraffic, checkedFacts, cidrContains, diagnoseCell, NO_CAUSE_FOUND, withDiagnosis, type DiagnosisContext, type DiagnosisNode } from '../../src/probe/diagnosis.js';
import type { CheckId, NodeSetup, VerifyCell } from '../../src/model/verify.js';
import { classicCluster, classicSubnets } from '../support/classic-cluster.js';
import { loadObserved } from '../support/ip-fixtures.js';

const FIXTURES: Record<string, string> = { node1: 'converged', node2: 'converged-node2', node3: 'converged-node3' };

function setupOf(node: string, n: number, overrides: Partial<NodeSetup> = {}): NodeSetup {
  return {
    node,
    tools: { ping: true, pingIputils: true, ncOpenbsd: true, socat: false, timeout: true, iptables: true },
    pods: {
      a: { pod: 'podnet-probe-abcd12-a', address: `10.244.${n}.2`, mtu: 1500 },
      b: { pod: 'podnet-probe-abcd12-b', address: `10.244.${n}.3`, mtu: 1500 },
    },
    listener: { program: 'nc' },
    firewall: {
      available: true,
      chains: [
        { table: 'filter', name: 'FORWARD', policy: 'ACCEPT' },
        { table: 'nat', name: 'POSTROUTING', policy: 'ACCEPT' },
      ],
      rules: [],
    },
    rpFilter: { all: 0, default: 0, eth0: 0, 'v-net-0': 0 },
    ...overrides,
  };
}

/** A healthy classic cluster; `change` edits one node's observed state or setup. */
function context(change: (nodes: Map<string, DiagnosisNode>) => void = () => {}, mtu = 1500): DiagnosisContext {
  const cluster = classicCluster();
  const subnets = classicSubnets(cluster);
  const nodes = new Map<string, DiagnosisNode>();
  cluster.nodes.forEach((spec, i) => {
    nodes.set(spec.name, {
      name: spec.name,
      address: spec.address,
      observed: loadObserved(FIXTURES[spec.name] ?? 'converged', spec.name),
      desired: desiredState(cluster, subnets, spec.name),
      setup: setupOf(spec.name, i + 1),
    });
  });
  change(nodes);
  return { podCidr: cluster.podCidr, bridgeName: 'v-net-0', mtu, nodes };
}

function observedOf(nodes: Map<string, DiagnosisNode>, name: string): ObservedState {
  const observed = nodes.get(name)?.observed;
  assert.ok(observed);
  return observed;
}

const failed = (from: string, to: string): VerifyCell => ({ from, to, status: 'fail', detail: 'no reply' });
const diagnose = (ctx: DiagnosisContext, check: CheckId, from: string, to: string): string[] => diagnoseCell(ctx, check, failed(from, to));

describe('verify diagnosis', () => {
  test('a healthy cluster explains nothing: the failure is outside what was gathered', () => {
    assert.deepEqual(diagnose(context(), 'pod-to-pod-cross-node', 'node1', 'node2'), [NO_CAUSE_FOUND]);
  });

  test('ip_forward off on the receiving node is named, for requests and replies alike', () => {
    const ctx = context((nodes) => {
      observedOf(nodes, 'node2').ipForward = false;
    });
    const cause = 'ip_forward is off on node2 (net.ipv4.ip_forward = 0): it does not forward pod traffic';
    assert.deepEqual(diagnose(ctx, 'pod-to-pod-cross-node', 'node1', 'node2'), [cause]);
    assert.deepEqual(diagnose(ctx, 'pod-to-pod-cross-node', 'node2', 'node3'), [cause]);
    assert.deepEqual(diagnose(ctx, 'pod-to-pod-cross-node', 'node1', 'node3'), [NO_CAUSE_FOUND]);
  });

  test('a missing peer route is named on the sender (requests) and on the receiver (replies)', () => {
    const ctx = context((nodes) => {
      const observed = observedOf(nodes, 'node1');
      observed.routes = observed.routes.filter((r) => r.dst !== '10.244.2.0/24');
    });
    assert.deepEqual(diagnose(ctx, 'pod-to-pod-cross-node', 'node1', 'node2'), [
      "node1 has no route to node2's pods (requests): 10.244.2.0/24 via 192.168.1.12 is missing",
    ]);
    assert.deepEqual(diagnose(ctx, 'pod-to-pod-cross-node', 'node2', 'node1'), [
      "node1 has no route to node2's pods (replies): 10.244.2.0/24 via 192.168.1.12 is missing",
    ]);
  });

  test('a route with the wrong gateway, or a blackhole, is named with what it should be', () => {
    const ctx = context((nodes) => {
      const observed = observedOf(nodes, 'node1');
      observed.routes = observed.routes.map((r) => (r.dst === '10.244.2.0/24' ? { ...r, gateway: '192.168.1.99' } : r));
      const node3 = observedOf(nodes, 'node3');
      node3.routes = node3.routes.map((r) => (r.dst === '10.244.1.0/24' ? { dst: r.dst, protocol: 'boot', type: 'blackhole' } : r));
    });
    assert.deepEqual(diagnose(ctx, 'pod-to-pod-cross-node', 'node1', 'node2'), [
      "node1 has route 10.244.2.0/24 via 192.168.1.99 proto 201 (requests), want via 192.168.1.12",
    ]);
    assert.deepEqual(diagnose(ctx, 'pod-to-pod-cross-node', 'node1', 'node3'), [
      'node3 has a blackhole route for 10.244.1.0/24 (replies), want 10.244.1.0/24 via 192.168.1.11',
    ]);
  });

  test("a FORWARD policy of DROP is a cause unless a rule accepts the pod CIDR or podnet's chain is there", () => {
    const dropping = context((nodes) => {
      const setup = nodes.get('node3')?.setup;
      assert.ok(setup);
      setup.firewall = {
        available: true,
        chains: [{ table: 'filter', name: 'FORWARD', policy: 'DROP' }],
        rules: [{ table: 'filter', chain: 'FORWARD', args: ['-j', 'DOCKER-USER'] }],
      };
    });
    assert.deepEqual(diagnose(dropping, 'pod-to-pod-cross-node', 'node1', 'node3'), [
      "node3's iptables FORWARD policy is DROP and no rule accepts the pod CIDR 10.244.0.0/16",
    ]);
    assert.equal(acceptsPodTraffic(['-A FORWARD -s 10.244.0.0/16 -j ACCEPT'], '10.244.0.0/16'), true);
    assert.equal(acceptsPodTraffic(['-A FORWARD -j PODNET-FORWARD'], '10.244.0.0/16'), true);
    assert.equal(acceptsPodTraffic(['-A FORWARD -s 10.244.0.0/16 -j DROP', '-A FORWARD -s 10.2.0.0/16 -j ACCEPT'], '10.244.0.0/16'), false);
  });

  test('strict rp_filter on the node interface is named (conf/all counts too)', () => {
    const ctx = context((nodes) => {
      const setup = nodes.get('node2')?.setup;
      assert.ok(setup);
      setup.rpFilter = { all: 1, default: 1, eth0: 0, 'v-net-0': 2 };
    });
    const causes = diagnose(ctx, 'pod-to-pod-cross-node', 'node1', 'node2');
    assert.deepEqual(causes, [
      'rp_filter is strict (1) on node2 eth0: packets whose reverse route does not leave by eth0 are dropped',
    ]);
  });

  test('an MTU below the configured one is named for the bridge, the pod veths and the pod itself', () => {
    const ctx = context((nodes) => {
      const observed = observedOf(nodes, 'node2');
      observed.links = observed.links.map((l) => (l.name === 'v-net-0' ? { ...l, mtu: 1400 } : l));
      observed.links.push({ ifindex: 9, name: 'pn0a1b2c3d', kind: 'veth', up: true, operstate: 'UP', mtu: 1400, master: 'v-net-0' });
      const a = nodes.get('node2')?.setup?.pods.a;
      assert.ok(a);
      a.mtu = 1400;
    });
    assert.deepEqual(diagnose(ctx, 'mtu', 'node1', 'node2'), [
      'bridge v-net-0 on node2 has MTU 1400, below the configured 1500',
      'pod veth pn0a1b2c3d on node2 has MTU 1400, below the configured 1500',
      'probe pod podnet-probe-abcd12-a on node2 got MTU 1400, below the configured 1500',
    ]);
    assert.deepEqual(diagnose(context(), 'mtu', 'node1', 'node2'), [NO_CAUSE_FOUND]);
  });

  test('an MTU check that fails because the path is down names the path causes after the MTU ones', () => {
    const ctx = context((nodes) => {
      observedOf(nodes, 'node3').ipForward = false;
    });
    assert.deepEqual(diagnose(ctx, 'mtu', 'node1', 'node3'), ['ip_forward is off on node3 (net.ipv4.ip_forward = 0): it does not forward pod traffic']);
  });

  test("the gather's iptables-save is preferred: FORWARD DROP with podnet's chain jumped to is fine; a MASQUERADE in any nat chain counts", () => {
    const ctx = context((nodes) => {
      const node1 = nodes.get('node1');
      assert.ok(node1?.observed);
      node1.observed.firewall = {
        available: true,
        chains: [
          { table: 'filter', name: 'FORWARD', policy: 'DROP' },
          { table: 'nat', name: 'POSTROUTING', policy: 'ACCEPT' },
          { table: 'nat', name: 'PODNET-POSTROUTING', policy: null },
        ],
        rules: [
          { table: 'filter', chain: 'FORWARD', args: ['-m', 'comment', '--comment', 'podnet', '-j', 'PODNET-FORWARD'] },
          { table: 'nat', chain: 'PODNET-POSTROUTING', args: ['-s', '10.244.0.0/16', '!', '-d', '10.244.0.0/16', '-j', 'MASQUERADE'] },
          { table: 'nat', chain: 'DOCKER-NAT', args: ['-j', 'SNAT', '--to-source', '192.168.1.11'] },
          { table: 'nat', chain: 'POSTROUTING', args: ['-s', '172.17.0.0/16', '!', '-o', 'docker0', '-j', 'MASQUERADE'] },
        ],
      };
      const node2 = nodes.get('node2');
      assert.ok(node2?.observed);
      node2.observed.firewall = { available: true, chains: [{ table: 'filter', name: 'FORWARD', policy: 'DROP' }], rules: [] };
    });
    assert.deepEqual(diagnose(ctx, 'pod-to-pod-cross-node', 'node1', 'node2'), [
      "node2's iptables FORWARD policy is DROP and no rule accepts the pod CIDR 10.244.0.0/16",
    ]);
    assert.deepEqual(diagnose(ctx, 'source-address', 'node1', 'node3'), [
      'node1 translates the source of pod traffic: `-A DOCKER-NAT -j SNAT --to-source 192.168.1.11`',
    ]);
    assert.deepEqual(diagnose(ctx, 'egress', 'node1', '192.168.1.1'), [NO_CAUSE_FOUND]);
  });

  test('source NAT of pod traffic is named for the source-address check', () => {
    const ctx = context((nodes) => {
      const setup = nodes.get('node1')?.setup;
      assert.ok(setup);
      setup.firewall = {
        available: true,
        chains: [{ table: 'nat', name: 'POSTROUTING', policy: 'ACCEPT' }],
        rules: [
          { table: 'nat', chain: 'POSTROUTING', args: ['-s', '10.244.0.0/16', '-j', 'MASQUERADE'] },
          { table: 'nat', chain: 'POSTROUTING', args: ['-s', '10.244.0.0/16', '!', '-d', '10.244.0.0/16', '-j', 'MASQUERADE'] },
        ],
      };
    });
    assert.deepEqual(diagnose(ctx, 'source-address', 'node1', 'node2'), ['node1 translates the source of pod traffic: `-A POSTROUTING -s 10.244.0.0/16 -j MASQUERADE`']);
  });

  test('the bridge down or without its address is named for the node-local checks', () => {
    const ctx = context((nodes) => {
      const observed = observedOf(nodes, 'node1');
      observed.links = observed.links.map((l) => (l.name === 'v-net-0' ? { ...l, up: false } : l));
      observed.addresses = observed.addresses.filter((a) => a.dev !== 'v-net-0');
    });
    assert.deepEqual(diagnose(ctx, 'node-to-pod', 'node1', 'node1'), [
      'bridge v-net-0 on node1 is down',
      'bridge v-net-0 on node1 lacks its address 10.244.1.1/24',
    ]);
  });

  test('egress: forwarding, the default route and the MASQUERADE rule are checked on the sending node', () => {
    const causes = diagnose(context(), 'egress', 'node1', '203.0.113.7');
    assert.deepEqual(causes, [
      'node1 has no route to 203.0.113.7 (and no default route)',
      'node1 has no MASQUERADE rule for the pod CIDR in its nat table (run podnet apply with egress.masquerade on)',
    ]);
    assert.deepEqual(diagnose(context(), 'egress', 'node1', '192.168.1.1'), [
      'node1 has no MASQUERADE rule for the pod CIDR in its nat table (run podnet apply with egress.masquerade on)',
    ], 'a target on the node network needs no default route');
  });

  test('a send that failed with ENOBUFS points at a full neighbour table', () => {
    const cell: VerifyCell = { from: 'node1', to: 'node2', status: 'fail', detail: 'ping: sendmsg: No buffer space available' };
    assert.deepEqual(diagnoseCell(context(), 'pod-to-pod-cross-node', cell), [
      'node1 could not send (ENOBUFS): its neighbour (ARP) table may be full, see net.ipv4.neigh.default.gc_thresh3',
    ]);
  });

  test('a full neighbour table: table_fulls rising during the run is named on both nodes of the cell, with the limit', () => {
    const ctx = context((nodes) => {
      const node2 = nodes.get('node2');
      assert.ok(node2);
      node2.neighbour = { before: { tableFulls: 5, entries: 900, gcThresh3: 1024 }, after: { tableFulls: 812, entries: 1024, gcThresh3: 1024 } };
    });
    const cause =
      "the neighbour (ARP) table of node2's kernel was full during the run: arp_cache table_fulls rose by 807 (1024 entries, gc_thresh3 1024), " +
      'so new neighbour entries were refused and packets to unresolved neighbours dropped; raise net.ipv4.neigh.default.gc_thresh1/2/3 (e.g. podnet lab up --tune-kernel in the lab)';
    assert.deepEqual(diagnose(ctx, 'pod-to-pod-cross-node', 'node1', 'node2'), [cause]);
    assert.deepEqual(diagnose(ctx, 'mtu', 'node2', 'node3'), [cause]);
    assert.deepEqual(diagnose(ctx, 'pod-to-pod-cross-node', 'node1', 'node3'), [NO_CAUSE_FOUND], 'not on the nodes of the cell');
    const unchanged = context((nodes) => {
      const node2 = nodes.get('node2');
      assert.ok(node2);
      node2.neighbour = { before: { tableFulls: 5 }, after: { tableFulls: 5 } };
    });
    assert.deepEqual(diagnose(unchanged, 'pod-to-pod-cross-node', 'node1', 'node2'), [NO_CAUSE_FOUND]);
  });

  test('FAILED or INCOMPLETE neighbour entries towards the next hop or the probe pod are named', () => {
    const ctx = context((nodes) => {
      const node1 = nodes.get('node1');
      const node2 = nodes.get('node2');
      assert.ok(node1 && node2);
      node1.neighbour = { entries: [{ dst: '192.168.1.12', dev: 'eth0', state: ['FAILED'] }, { dst: '192.168.1.13', dev: 'eth0', state: ['REACHABLE'] }] };
      node2.neighbour = { entries: [{ dst: '10.244.2.2', dev: 'v-net-0', state: ['INCOMPLETE'] }] };
    });
    assert.deepEqual(diagnose(ctx, 'pod-to-pod-cross-node', 'node1', 'node2'), [
      "node1's neighbour entry for the next hop to node2's pods (192.168.1.12 on eth0) is FAILED: address resolution (ARP) got no answer",
      "node2's neighbour entry for its own probe pod (10.244.2.2 on v-net-0) is INCOMPLETE: address resolution (ARP) had no answer yet",
    ]);
    assert.deepEqual(diagnose(ctx, 'pod-to-pod-cross-node', 'node1', 'node3'), [NO_CAUSE_FOUND], 'a REACHABLE entry is no cause');
  });

  test('"neighbour table overflow" in the kernel log: named beside another neighbour sign or when nothing else explains the cell, never beside a configuration cause', () => {
    const logged = (nodes: Map<string, DiagnosisNode>): void => {
      const node1 = nodes.get('node1');
      assert.ok(node1);
      node1.neighbour = { before: { overflowLogs: 2 }, after: { overflowLogs: 9 } };
    };
    const overflow =
      'the kernel that node1 runs on logged "neighbour table overflow" during the run (7 new line(s)); the log names no namespace: ' +
      'where nodes share one kernel (the lab) they share its one table; raise net.ipv4.neigh.default.gc_thresh1/2/3 (e.g. podnet lab up --tune-kernel in the lab)';
    assert.deepEqual(diagnose(context(logged), 'pod-to-pod-cross-node', 'node1', 'node2'), [overflow]);
    const enobufs: VerifyCell = { from: 'node1', to: 'node2', status: 'fail', detail: 'ping: sendmsg: No buffer space available' };
    assert.deepEqual(diagnoseCell(context(logged), 'pod-to-pod-cross-node', enobufs), [
      'node1 could not send (ENOBUFS): its neighbour (ARP) table may be full, see net.ipv4.neigh.default.gc_thresh3',
      overflow,
    ]);
    const withForwardingOff = context((nodes) => {
      logged(nodes);
      observedOf(nodes, 'node2').ipForward = false;
    });
    assert.deepEqual(diagnose(withForwardingOff, 'pod-to-pod-cross-node', 'node1', 'node2'), [
      'ip_forward is off on node2 (net.ipv4.ip_forward = 0): it does not forward pod traffic',
    ]);
  });

  test('no cause found: the cell lists the facts that were checked (forwarding, routes, bridge, firewall, rp_filter, neighbour entries and table)', () => {
    const ctx = context((nodes) => {
      const node1 = nodes.get('node1');
      assert.ok(node1);
      node1.neighbour = {
        before: { tableFulls: 0, overflowLogs: 0 },
        after: { tableFulls: 0, entries: 40, gcThresh3: 1024, overflowLogs: 0 },
        entries: [{ dst: '192.168.1.12', dev: 'eth0', state: ['REACHABLE'] }],
      };
    });
    const [check] = withDiagnosis(ctx, [{ id: 'pod-to-pod-cross-node' as const, cells: [failed('node1', 'node2')] }]);
    assert.deepEqual(check?.cells[0]?.causes, [NO_CAUSE_FOUND]);
    assert.deepEqual(check?.cells[0]?.checked, [
      'ip_forward on node1: 1 (on)',
      'ip_forward on node2: 1 (on)',
      "node1's route to node2's pods (requests): 10.244.2.0/24 via 192.168.1.12, present as desired",
      "node2's route to node1's pods (replies): 10.244.1.0/24 via 192.168.1.11, present as desired",
      'bridge v-net-0 on node1: up, MTU 1500, with its address 10.244.1.1/24',
      'bridge v-net-0 on node2: up, MTU 1500, with its address 10.244.2.1/24',
      'iptables FORWARD on node1: policy ACCEPT',
      'iptables FORWARD on node2: policy ACCEPT',
      'rp_filter on node1: eth0 0, v-net-0 0',
      'rp_filter on node2: eth0 0, v-net-0 0',
      "node1's neighbour entry for the next hop to node2's pods (192.168.1.12): REACHABLE",
      "node2's neighbour entry for the next hop to node1's pods (192.168.1.11): not read",
      'neighbour table of node1: table_fulls unchanged (40 entries, gc_thresh3 1024); no new "neighbour table overflow" in the kernel log',
      'neighbour table of node2: arp_cache not readable (it exists only in the root network namespace); kernel log not readable',
    ]);
    const named = withDiagnosis(context((nodes) => void (observedOf(nodes, 'node2').ipForward = false)), [{ id: 'pod-to-pod-cross-node' as const, cells: [failed('node1', 'node2')] }]);
    assert.equal(named[0]?.cells[0]?.checked, undefined, 'a cell with a cause lists no facts');
    assert.deepEqual(checkedFacts(ctx, 'pod-to-node', failed('node1', 'node1')).slice(0, 2), ['bridge v-net-0 on node1: up, MTU 1500, with its address 10.244.1.1/24', 'rp_filter on node1: eth0 0, v-net-0 0']);
  });

  test('gateway mode: the router is checked too (forwarding, its route to each side)', () => {
    const ssh = { host: '192.168.1.254', port: 22, user: 'root', knownHostsFile: '/dev/null', become: false, connectTimeoutMs: 5000 };
    const cluster = classicCluster({ routing: 'gateway', router: { name: 'router', address: '192.168.1.254', ssh } });
    const subnets = classicSubnets(cluster);
    const ctx = context((nodes) => {
      for (const node of nodes.values()) {
        node.desired = desiredState(cluster, subnets, node.name);
        assert.ok(node.observed);
        node.observed.routes = [
          ...node.observed.routes.filter((r) => r.protocol !== '201'),
          { dst: '10.244.0.0/16', gateway: '192.168.1.254', dev: 'eth0', protocol: '201' },
        ];
      }
    });
    const router: DiagnosisNode = {
      name: 'router',
      address: '192.168.1.254',
      desired: routerDesiredState(cluster, subnets),
      observed: {
        node: 'router',
        links: [],
        addresses: [{ dev: 'eth0', family: 'inet', local: '192.168.1.254', prefixlen: 24 }],
        routes: [
          { dst: '10.244.1.0/24', gateway: '192.168.1.11', dev: 'eth0', protocol: '201' },
          { dst: '10.244.3.0/24', gateway: '192.168.1.13', dev: 'eth0', protocol: '201' },
        ],
        ipForward: false,
      },
    };
    const withRouter: DiagnosisContext = { ...ctx, router };
    assert.deepEqual(diagnose(withRouter, 'pod-to-pod-cross-node', 'node1', 'node2'), [
      'ip_forward is off on router (net.ipv4.ip_forward = 0): it does not forward pod traffic',
      "router has no route to node2's pods (requests): 10.244.2.0/24 via 192.168.1.12 is missing",
    ]);
    assert.deepEqual(diagnose(withRouter, 'pod-to-pod-cross-node', 'node3', 'node1'), [
      'ip_forward is off on router (net.ipv4.ip_forward = 0): it does not forward pod traffic',
    ]);
    assert.deepEqual(diagnose(ctx, 'pod-to-pod-cross-node', 'node3', 'node1'), [NO_CAUSE_FOUND], 'the nodes route the pod CIDR via the router as desired');
  });

  test('withDiagnosis fills in causes of failed cells only', () => {
    const ctx = context((nodes) => {
      observedOf(nodes, 'node2').ipForward = false;
    });
    const [check] = withDiagnosis(ctx, [
      { id: 'pod-to-pod-cross-node' as const, cells: [failed('node1', 'node2'), { from: 'node1', to: 'node3', status: 'pass' as const }] },
    ]);
    assert.ok(check);
    assert.equal(check.cells[0]?.causes?.length, 1);
    assert.equal(check.cells[1]?.causes, undefined);
  });

  test('cidrContains', () => {
    assert.equal(cidrContains('10.244.2.0/24', '10.244.2.9'), true);
    assert.equal(cidrContains('10.244.2.0/24', '10.244.3.9'), false);
    assert.equal(cidrContains('10.244.0.0/16', '10.244.200.1'), true);
    assert.equal(cidrContains('0.0.0.0/0', '8.8.8.8'), true);
    assert.equal(cidrContains('10.244.2.0/24', 'nonsense'), false);
  });
});
