// verify's probe plan (who probes whom, what cannot run and why) and the assembly of outcomes into checks.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assembleChecks, checkStatus, describeProbeFailure, planProbes, type ProbePlanInput, type VerifyNode } from '../../src/probe/probe-plan.js';
import type { NodeCleanup, ProbeOutcome } from '../../src/scripts/probe-script.js';
import type { NodeSetup, NodeTools } from '../../src/model/verify.js';

const NODES: VerifyNode[] = [1, 2, 3].map((n) => ({ name: `node${n}`, address: `192.168.1.1${n}` }));
const ALL_TOOLS: NodeTools = { ping: true, pingIputils: true, ncOpenbsd: true, socat: false, timeout: true, iptables: true };

function setup(n: number, overrides: Partial<NodeSetup> = {}): NodeSetup {
  return {
    node: `node${n}`,
    tools: ALL_TOOLS,
    pods: {
      a: { pod: 'podnet-probe-abcd12-a', address: `10.244.${n}.2` },
      b: { pod: 'podnet-probe-abcd12-b', address: `10.244.${n}.3` },
    },
    listener: { program: 'nc' },
    ...overrides,
  };
}

function input(overrides: Partial<ProbePlanInput> = {}): ProbePlanInput {
  return {
    nodes: NODES,
    setups: new Map([1, 2, 3].map((n) => [`node${n}`, setup(n)])),
    unreachable: new Map(),
    mtu: 1500,
    egress: { requested: false },
    ...overrides,
  };
}

const notRunReasons = (plan: ReturnType<typeof planProbes>, check: string): string[] =>
  plan.cells.filter((c) => c.check === check && c.notRun !== undefined).map((c) => `${c.from}→${c.to}: ${c.notRun ?? ''}`);

describe('verify probe plan', () => {
  test('a healthy 3-node cluster: every cell has a probe, sent by its from-node', () => {
    const plan = planProbes(input());
    const counts = new Map<string, number>();
    for (const cell of plan.cells) counts.set(cell.check, (counts.get(cell.check) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(counts), {
      'pod-to-pod-same-node': 3,
      'pod-to-pod-cross-node': 6,
      'node-to-pod': 3,
      'pod-to-node': 3,
      'source-address': 6,
      mtu: 6,
    });
    assert.ok(plan.cells.every((c) => c.probe !== undefined && c.probe.from === c.from));
    assert.equal(plan.probes.get('node1')?.length, 9, '1 same-node + 2 cross + 1 node→pod + 1 pod→node + 2 tcp + 2 mtu');
    const mtu = plan.cells.find((c) => c.check === 'mtu')?.probe?.command;
    assert.deepEqual(mtu, { kind: 'ping', netns: 'podnet-probe-abcd12-a', target: '10.244.2.2', dontFragmentSize: 1472, retry: true });
    const ids = [...plan.probes.values()].flat().map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'probe ids are unique');
  });

  test('an unreachable node and a pod that could not be created make their cells not run, with the reason', () => {
    const setups = new Map([1, 2].map((n) => [`node${n}`, setup(n)]));
    setups.set('node2', setup(2, { pods: { a: { pod: 'podnet-probe-abcd12-a', error: 'the CNI plugin failed with code 11: no free address' } } }));
    const plan = planProbes(input({ setups, unreachable: new Map([['node3', 'connection refused']]) }));
    assert.deepEqual(notRunReasons(plan, 'pod-to-pod-cross-node'), [
      'node1→node2: no probe pod on node2: the CNI plugin failed with code 11: no free address',
      'node1→node3: node3 is unreachable: connection refused',
      'node2→node1: no probe pod on node2: the CNI plugin failed with code 11: no free address',
      'node2→node3: no probe pod on node2: the CNI plugin failed with code 11: no free address',
      'node3→node1: node3 is unreachable: connection refused',
      'node3→node2: node3 is unreachable: connection refused',
    ]);
    assert.deepEqual(notRunReasons(plan, 'node-to-pod'), [
      'node2→node2: no probe pod on node2: the CNI plugin failed with code 11: no free address',
      'node3→node3: node3 is unreachable: connection refused',
    ]);
  });

  test('ping missing: "install iputils-ping"; a ping without -M do cannot run the MTU check', () => {
    const setups = new Map([1, 2, 3].map((n) => [`node${n}`, setup(n)]));
    setups.set('node1', setup(1, { tools: { ...ALL_TOOLS, ping: false, pingIputils: false } }));
    setups.set('node2', setup(2, { tools: { ...ALL_TOOLS, pingIputils: false } }));
    const plan = planProbes(input({ setups }));
    assert.deepEqual(notRunReasons(plan, 'pod-to-pod-same-node'), ['node1→node1: ping is missing on node1: install iputils-ping']);
    assert.deepEqual(notRunReasons(plan, 'mtu'), [
      'node1→node2: ping is missing on node1: install iputils-ping',
      'node1→node3: ping is missing on node1: install iputils-ping',
      'node2→node1: ping on node2 cannot set DF (-M do): install iputils-ping',
      'node2→node3: ping on node2 cannot set DF (-M do): install iputils-ping',
    ]);
  });

  test('source address: no listener on the receiver or no client on the sender is "not run", never a pass', () => {
    const setups = new Map([1, 2, 3].map((n) => [`node${n}`, setup(n)]));
    setups.set('node1', setup(1, { tools: { ...ALL_TOOLS, ncOpenbsd: false }, listener: { error: 'no listener (install netcat-openbsd or socat)' } }));
    setups.set('node3', setup(3, { tools: { ...ALL_TOOLS, ncOpenbsd: false, socat: true }, listener: { program: 'socat' } }));
    const plan = planProbes(input({ setups }));
    assert.deepEqual(notRunReasons(plan, 'source-address'), [
      'node1→node2: no TCP client on node1 (install netcat-openbsd or socat)',
      'node1→node3: no TCP client on node1 (install netcat-openbsd or socat)',
      'node2→node1: node1: no listener (install netcat-openbsd or socat)',
      'node3→node1: node1: no listener (install netcat-openbsd or socat)',
    ]);
    const fromNode3 = plan.cells.find((c) => c.check === 'source-address' && c.from === 'node3' && c.to === 'node2');
    assert.equal(fromNode3?.probe?.command.kind === 'tcp' ? fromNode3.probe.command.client : undefined, 'socat');
  });

  test('egress: only when asked for (masquerade on); without --egress-target it is not run', () => {
    assert.equal(planProbes(input()).cells.filter((c) => c.check === 'egress').length, 0);
    assert.deepEqual(notRunReasons(planProbes(input({ egress: { requested: true } })), 'egress'), [
      'node1→egress target: no egress target: give --egress-target or egress.verifyTarget',
      'node2→egress target: no egress target: give --egress-target or egress.verifyTarget',
      'node3→egress target: no egress target: give --egress-target or egress.verifyTarget',
    ]);
    const plan = planProbes(input({ egress: { requested: true, target: '203.0.113.7' } }));
    const cells = plan.cells.filter((c) => c.check === 'egress');
    assert.deepEqual(cells.map((c) => [c.from, c.to, c.probe?.command.target]), [
      ['node1', '203.0.113.7', '203.0.113.7'],
      ['node2', '203.0.113.7', '203.0.113.7'],
      ['node3', '203.0.113.7', '203.0.113.7'],
    ]);
  });
});

describe('verify assembly', () => {
  const plan = planProbes(input());
  const ok: ProbeOutcome = { code: 0, output: '1 packets transmitted, 1 received' };
  const lost: ProbeOutcome = { code: 1, output: '1 packets transmitted, 0 received, 100% packet loss' };

  function outcomesWhere(fails: (check: string, from: string, to: string) => boolean): Map<string, Map<number, ProbeOutcome>> {
    const outcomes = new Map<string, Map<number, ProbeOutcome>>();
    for (const [node, probes] of plan.probes) {
      outcomes.set(node, new Map(probes.map((p) => [p.id, fails(p.check, p.from, p.to) ? lost : ok])));
    }
    return outcomes;
  }
  const allPeers = (to: number): NodeCleanup => ({ peers: [1, 2, 3].filter((n) => n !== to).map((n) => `10.244.${n}.2`), errors: [] });
  const cleanups = new Map([1, 2, 3].map((n) => [`node${n}`, allPeers(n)]));
  const base = { plan, probeErrors: new Map<string, string>(), cleanups, nodes: NODES, setups: input().setups };

  test('every probe answered and every listener saw its peers: every check passed', () => {
    const checks = assembleChecks({ ...base, outcomes: outcomesWhere(() => false) });
    assert.deepEqual(checks.map((c) => [c.id, c.status]), [
      ['pod-to-pod-same-node', 'passed'],
      ['pod-to-pod-cross-node', 'passed'],
      ['node-to-pod', 'passed'],
      ['pod-to-node', 'passed'],
      ['source-address', 'passed'],
      ['mtu', 'passed'],
    ]);
    const source = checks.find((c) => c.id === 'source-address')?.cells[0];
    assert.equal(source?.detail, 'seen as 10.244.1.2');
  });

  test('a lost ping fails its cell with the probe and what came back', () => {
    const checks = assembleChecks({ ...base, outcomes: outcomesWhere((check, from, to) => check === 'pod-to-pod-cross-node' && from === 'node1' && to === 'node2') });
    const cross = checks.find((c) => c.id === 'pod-to-pod-cross-node');
    assert.equal(cross?.status, 'failed');
    assert.deepEqual(cross?.cells.filter((c) => c.status === 'fail'), [
      {
        from: 'node1',
        to: 'node2',
        status: 'fail',
        probe: 'nsenter --net=/run/netns/podnet-probe-abcd12-a ping -n -c 1 -w 3 -i 0.2 10.244.2.2',
        detail: 'no reply from 10.244.2.2',
      },
    ]);
  });

  test("source address translated: the listener saw the sender's node address, and the cell says so", () => {
    const natted = new Map(cleanups);
    natted.set('node2', { peers: ['192.168.1.11', '10.244.3.2'], errors: [] });
    const checks = assembleChecks({ ...base, cleanups: natted, outcomes: outcomesWhere(() => false) });
    const cell = checks.find((c) => c.id === 'source-address')?.cells.find((c) => c.from === 'node1' && c.to === 'node2');
    assert.equal(cell?.status, 'fail');
    assert.equal(
      cell?.detail,
      "connected, but the listener in node2 saw no connection from 10.244.1.2; it saw 192.168.1.11 (node1's node address: the source was translated (NAT))",
    );
  });

  test('a node whose probe exec failed has its cells not run, naming the error', () => {
    const outcomes = outcomesWhere(() => false);
    outcomes.delete('node3');
    const checks = assembleChecks({ ...base, outcomes, probeErrors: new Map([['node3', 'connection lost']]) });
    const cell = checks.find((c) => c.id === 'mtu')?.cells.find((c) => c.from === 'node3');
    assert.equal(cell?.status, 'not-run');
    assert.equal(cell?.reason, 'the probes on node3 did not run: connection lost');
    assert.equal(checks.find((c) => c.id === 'mtu')?.status, 'not-run');
  });

  test('check status: failed beats not-run beats passed; no cells is not run', () => {
    assert.equal(checkStatus([{ from: 'a', to: 'b', status: 'pass' }]), 'passed');
    assert.equal(checkStatus([{ from: 'a', to: 'b', status: 'pass' }, { from: 'a', to: 'c', status: 'not-run' }]), 'not-run');
    assert.equal(checkStatus([{ from: 'a', to: 'b', status: 'fail' }, { from: 'a', to: 'c', status: 'not-run' }]), 'failed');
    assert.equal(checkStatus([]), 'not-run');
  });

  test("probe failures in the probe's own words", () => {
    const ping = { kind: 'ping' as const, target: '10.244.2.2' };
    assert.equal(describeProbeFailure(ping, { code: 1, output: 'PING …\nFrom 10.244.1.1 icmp_seq=1 Destination Net Unreachable\n\n--- stats' }), 'From 10.244.1.1 icmp_seq=1 Destination Net Unreachable');
    assert.equal(describeProbeFailure(ping, { code: 1, output: 'ping: local error: message too long, mtu=1400' }), 'ping: local error: message too long, mtu=1400');
    assert.equal(describeProbeFailure(ping, { code: 2, output: '' }), 'ping 10.244.2.2 failed (exit 2)');
    const tcp = { kind: 'tcp' as const, netns: 'p', target: '10.244.2.2', port: 7946, client: 'nc' as const };
    assert.equal(describeProbeFailure(tcp, { code: 1, output: 'nc: connect to 10.244.2.2 port 7946 (tcp) failed: Connection refused' }), 'connection to 10.244.2.2:7946 failed: nc: connect to 10.244.2.2 port 7946 (tcp) failed: Connection refused');
    assert.equal(describeProbeFailure(tcp, { code: 124, output: '' }), 'connection to 10.244.2.2:7946 timed out');
  });
});
