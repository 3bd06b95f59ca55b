// verify's probe plan (who probes whom, what cannot run and why) and the assembly of outcomes into checks.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assembleChecks,
  checkStatus,
  describeProbeFailure,
  judgeAttempts,
  planProbes,
  probeCount,
  probePacing,
  sampleOffsets,
  samplePairs,
  type ProbePlanInput,
  type VerifyNode,
} from '../../src/probe/probe-plan.js';
import type { NodeCleanup, ProbeAttempt, ProbeCommand, ProbeOutcome } from '../../src/scripts/probe-script.js';
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
  const allPeers = (to: number): NodeCleanup => ({ peers: [1, 2, 3].filter((n) => n !== to).map((n) => `10.244.${n}.2`), errors: [], listenerEnded: false });
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
    natted.set('node2', { peers: ['192.168.1.11', '10.244.3.2'], errors: [], listenerEnded: false });
    const checks = assembleChecks({ ...base, cleanups: natted, outcomes: outcomesWhere(() => false) });
    const cell = checks.find((c) => c.id === 'source-address')?.cells.find((c) => c.from === 'node1' && c.to === 'node2');
    assert.equal(cell?.status, 'fail');
    assert.equal(
      cell?.detail,
      "connected, but the listener in node2 saw no connection from 10.244.1.2; it saw 192.168.1.11 (node1's node address: the source was translated (NAT))",
    );
  });

  test('a connection refused after the listener had ended is not run, not a network fault; while it lived, a failure', () => {
    const failing = (check: string, from: string, to: string) => check === 'source-address' && from === 'node1' && to === 'node2';
    const ended = new Map(cleanups);
    ended.set('node2', { peers: [], errors: [], listenerEnded: true });
    const cell = (c: typeof cleanups) =>
      assembleChecks({ ...base, cleanups: c, outcomes: outcomesWhere(failing) }).find((k) => k.id === 'source-address')?.cells.find((k) => k.from === 'node1' && k.to === 'node2');
    const late = cell(ended);
    assert.equal(late?.status, 'not-run');
    assert.match(late?.reason ?? '', /the listener in node2 had ended before cleanup \(it lives at most 3600 s\)/);
    assert.equal(cell(cleanups)?.status, 'fail');
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

describe('the default probe plan: every pair pinged, the expensive checks on a ring sample', () => {
  const many = (n: number): { nodes: VerifyNode[]; setups: Map<string, NodeSetup> } => {
    const nodes = Array.from({ length: n }, (_, i) => ({ name: `n${String(i + 1)}`, address: `192.168.1.${String(10 + i + 1)}` }));
    const setups = new Map(nodes.map((node, i) => [node.name, { ...setup(i + 1), node: node.name }]));
    return { nodes, setups };
  };
  const byCheck = (plan: ReturnType<typeof planProbes>, check: string): string[] =>
    plan.cells.filter((c) => c.check === check && c.probe !== undefined).map((c) => `${c.from}>${c.to}`);

  test('sample offsets: 1 and ⌊N/2⌋ (N−1 when that is 1), distinct and deterministic', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 10, 30, 100].map(sampleOffsets), [[], [1], [1, 2], [1, 2], [1, 2], [1, 5], [1, 15], [1, 50]]);
    assert.deepEqual(samplePairs(['a', 'b', 'c', 'd']), [['a', 'b'], ['a', 'c'], ['b', 'c'], ['b', 'd'], ['c', 'a'], ['c', 'd'], ['d', 'a'], ['d', 'b']]);
  });

  test('10 nodes: every ordered pair pinged; source address and MTU on 20 pairs that make every node client and server twice', () => {
    const { nodes, setups } = many(10);
    const plan = planProbes({ nodes, setups, unreachable: new Map(), mtu: 1500, egress: { requested: false } });
    const cross = byCheck(plan, 'pod-to-pod-cross-node');
    assert.equal(cross.length, 90);
    assert.equal(new Set(cross).size, 90, 'every ordered pair once');
    for (const check of ['source-address', 'mtu']) {
      const pairs = byCheck(plan, check);
      assert.equal(pairs.length, 20, check);
      for (const { name } of nodes) {
        assert.equal(pairs.filter((p) => p.startsWith(`${name}>`)).length, 2, `${check}: ${name} as client`);
        assert.equal(pairs.filter((p) => p.endsWith(`>${name}`)).length, 2, `${check}: ${name} as server`);
      }
      assert.deepEqual(plan.coverage.get(check as 'mtu'), { probed: 20, pairs: 90 });
      assert.ok(pairs.includes('n1>n2') && pairs.includes('n1>n6') && pairs.includes('n10>n1') && pairs.includes('n10>n5'));
    }
    assert.equal(plan.cells.length, probeCount(10, 'sample'));
    assert.equal([...plan.probes.values()].flat().length, 160);
    assert.deepEqual(planProbes({ nodes, setups, unreachable: new Map(), mtu: 1500, egress: { requested: false } }).cells, plan.cells, 'the same every run');
  });

  test('--full-mesh: every check on every pair, no coverage note', () => {
    const { nodes, setups } = many(10);
    const plan = planProbes({ nodes, setups, unreachable: new Map(), mtu: 1500, egress: { requested: false }, mode: 'full-mesh' });
    assert.equal(byCheck(plan, 'source-address').length, 90);
    assert.equal(byCheck(plan, 'mtu').length, 90);
    assert.equal(plan.coverage.size, 0);
    assert.equal(plan.cells.length, probeCount(10, 'full-mesh'));
  });

  test('probe counts per mode (the table of docs/verify.md)', () => {
    assert.deepEqual([3, 10, 30, 100].map((n) => [probeCount(n, 'sample'), probeCount(n, 'full-mesh')]), [
      [27, 27],
      [160, 300],
      [1080, 2700],
      [10600, 30000],
    ]);
    assert.equal(probeCount(10, 'sample', true), 170, 'egress adds one per node');
    // The 3-node sample is the full mesh: nothing is left out, nothing is reported as a sample.
    assert.equal(planProbes(input()).coverage.size, 0);
  });
});

test('pacing: 16 probes per node at once; nodes probing at once bounded by --forks and by 80 probes in flight per CPU', () => {
  assert.deepEqual(probePacing(20, 2), { nodes: 10, parallel: 16 }, 'a 2-CPU machine: 160 probes in flight at most');
  assert.deepEqual(probePacing(10, 16), { nodes: 10, parallel: 16 }, '--forks bounds it on a big machine');
  assert.deepEqual(probePacing(3, 2), { nodes: 3, parallel: 16 });
  assert.deepEqual(probePacing(10, 1), { nodes: 5, parallel: 16 }, 'one CPU');
  assert.deepEqual(probePacing(10, 0), { nodes: 5, parallel: 16 }, 'at least one CPU');
  assert.deepEqual(probePacing(0, 2), { nodes: 1, parallel: 16 }, 'at least one node');
});

describe('retries and overload: only an on-time failure fails a cell', () => {
  const ping: ProbeCommand = { kind: 'ping', netns: 'p', target: '10.244.2.2', retry: true };
  const tcp: ProbeCommand = { kind: 'tcp', netns: 'p', target: '10.244.2.2', port: 7946, client: 'nc' };
  const attempt = (code: number | null, startDelay = 0, duration = 0.1, output = ''): ProbeAttempt => ({ code, output, startDelay, duration });
  const judge = (command: ProbeCommand, attempts: ProbeAttempt[]) => judgeAttempts(command, { code: attempts.at(-1)?.code ?? null, output: '', attempts });

  test('a pass on a retry passes; every attempt failing on time fails', () => {
    assert.deepEqual(judge(ping, [attempt(1, 0, 3), attempt(0)]), { status: 'pass', attempt: attempt(0), attempts: 2 });
    assert.equal(judge(ping, [attempt(1, 0, 3), attempt(1, 0, 3), attempt(1, 0, 3)]).status, 'fail');
  });

  test('an attempt started late or run past its deadline says nothing: all late is "late", one on time is a failure', () => {
    assert.deepEqual(judge(ping, [attempt(1, 4.2, 3), attempt(1, 0, 9.5), attempt(1, 1.5, 3)]), {
      status: 'late',
      reason: 'started 4.2 s late, ran 9.5 s for a 3 s deadline, started 1.5 s late',
      attempts: 3,
    });
    assert.equal(judge(ping, [attempt(1, 4.2, 3), attempt(1, 0, 3)]).status, 'fail');
    assert.equal(judge(tcp, [attempt(124, 0, 10.02)]).status, 'late', 'timeout 10 killed a client whose own 5 s deadline did not fire');
    assert.equal(judge(tcp, [attempt(1, 0, 5.01)]).status, 'fail', 'a connect that timed out on time');
    assert.equal(judge(ping, [attempt(1, 0.9, 4.9)]).status, 'fail', 'within the slack');
  });

  test('assembled: a late cell is "not run" naming overload, never a failure; a retried failure says how often it ran', () => {
    const plan = planProbes(input());
    const outcomes = new Map<string, Map<number, ProbeOutcome>>();
    for (const [node, probes] of plan.probes) {
      outcomes.set(
        node,
        new Map(
          probes.map((p): [number, ProbeOutcome] => {
            const late = p.check === 'pod-to-pod-cross-node' && p.from === 'node1' && p.to === 'node2';
            const broken = p.check === 'pod-to-pod-cross-node' && p.from === 'node1' && p.to === 'node3';
            const attempts = late
              ? [attempt(1, 3, 3), attempt(1, 0, 8), attempt(1, 2, 3)]
              : broken
                ? [attempt(1, 0, 3, '1 packets transmitted, 0 received'), attempt(1, 0, 3, 'ping: local error: message too long, mtu=1400'), attempt(1, 0, 3, 'x')]
                : [attempt(0)];
            return [p.id, { code: attempts.at(-1)?.code ?? null, output: '', attempts }];
          }),
        ),
      );
    }
    const cleanups = new Map([1, 2, 3].map((n) => [`node${n}`, { peers: [1, 2, 3].filter((m) => m !== n).map((m) => `10.244.${m}.2`), errors: [], listenerEnded: false }]));
    const checks = assembleChecks({ plan, outcomes, probeErrors: new Map(), cleanups, nodes: NODES, setups: input().setups });
    const cross = checks.find((c) => c.id === 'pod-to-pod-cross-node');
    const late = cross?.cells.find((c) => c.to === 'node2' && c.from === 'node1');
    assert.equal(late?.status, 'not-run');
    assert.match(late?.reason ?? '', /^the prober on node1 was overloaded \(each of 3 attempt\(s\) started 3\.0 s late, ran 8\.0 s for a 3 s deadline, started 2\.0 s late\): local load, not a network fault/);
    const broken = cross?.cells.find((c) => c.to === 'node3' && c.from === 'node1');
    assert.equal(broken?.status, 'fail');
    assert.equal(broken?.attempts, 3);
    assert.equal(broken?.detail, 'no reply from 10.244.3.2', 'the first failure is reported (a later one may repeat a cached path MTU)');
    assert.equal(cross?.status, 'failed');
    assert.equal(checks.find((c) => c.id === 'mtu')?.status, 'passed');
  });
});
