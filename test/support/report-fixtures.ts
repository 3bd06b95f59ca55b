// Inputs of the report renderers for tests: plans read from the plan goldens (test/golden/<case>/plan.json,
// so they follow the planner) with drift origins, results and hosts not reached added as a run would,
// and verify reports. Used by the Markdown and JUnit goldens and the schema tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PlanMarkdownInput } from '../../src/render/markdown.js';
import { parsePlanJson } from '../../src/render/render-plan.js';
import { summarizeChecks } from '../../src/render/verify-render.js';
import type { Change, Plan } from '../../src/model/plan.js';
import type { VerifyCheck, VerifyReport } from '../../src/model/verify.js';
import type { NodeResult } from '../../src/render/recap.js';

const GOLDEN = join(process.cwd(), 'test', 'golden');

export const NONE = { unreachable: {}, failed: {}, errors: {} };

/** A plan golden's plan.json, read back as a Plan. */
export function goldenPlan(name: string): Plan {
  return parsePlanJson(readFileSync(join(GOLDEN, name, 'plan.json'), 'utf8'));
}


/** The drifted case with origins as podnet's state file would sort them: node1's bridge and gateway were changed by hand. */
export function driftPlan(): Plan {
  const plan = goldenPlan('drifted');
  const origin = (c: Change): Change['origin'] => (c.kind === 'link' || (c.kind === 'route' && c.action === 'update') ? 'drift' : 'change');
  const nodes = plan.nodes.map((node) => ({
    ...node,
    changes: node.changes.map((c) => ({ ...c, origin: origin(c) }) as Change),
    lastApply: { state: 'recorded' as const, clusterDigest: 'sha256:0f1e', time: '2026-12-03T20:00:00Z', controller: 'ci-runner' },
  }));
  const drift = nodes.reduce((n, node) => n + node.changes.filter((c) => c.origin === 'drift').length, 0);
  return { ...plan, nodes, summary: { ...plan.summary, drift } };
}

export function converged(plan: Plan): NodeResult[] {
  return plan.nodes.map((n) => ({ node: n.node, status: 'converged', changed: n.changes.length, ok: 4 }));
}

export const PLAN_CASES: Record<string, () => PlanMarkdownInput> = {
  'diff-converged.md': () => ({ command: 'diff', plan: goldenPlan('converged'), notGathered: NONE }),
  'diff-changes.md': () => ({ command: 'diff', plan: goldenPlan('from-scratch'), notGathered: NONE }),
  'diff-drift.md': () => ({ command: 'diff', plan: driftPlan(), notGathered: NONE }),
  'diff-first-apply.md': () => {
    const plan = goldenPlan('from-scratch');
    const nodes = plan.nodes.map((n, i) =>
      i === 0 ? { ...n, changes: n.changes.map((c) => ({ ...c, origin: 'first-apply' }) as Change), lastApply: { state: 'missing' as const } } : { ...n, changes: n.changes.map((c) => ({ ...c, origin: 'change' }) as Change), lastApply: { state: 'recorded' as const } },
    );
    return { command: 'diff', plan: { ...plan, nodes, summary: { ...plan.summary, drift: 0 } }, notGathered: NONE };
  },
  'diff-refused.md': () => {
    // node1's SSH session comes in over the stale address the plan deletes: the node is refused.
    const plan = goldenPlan('refused-management');
    const nodes = plan.nodes.map((n) => ({ ...n, refused: { nodeAddress: '192.168.1.11', offences: [{ kind: 'address' as const, key: '10.244.1.7/24', action: 'delete' as const, takes: { address: '10.244.1.7', what: 'ssh-address' as const } }] } }));
    return {
      command: 'diff',
      plan: { ...plan, nodes, summary: { ...plan.summary, refused: 1 } },
      notGathered: { ...NONE, unreachable: { node3: 'connect ECONNREFUSED 192.168.1.13:22', node2: 'timed out after 10 s' } },
    };
  },
  'diff-conflict.md': () => ({ command: 'diff', plan: goldenPlan('foreign-route'), notGathered: NONE }),
  'diff-unreachable.md': () => {
    // node3 did not answer: it is not in the plan, and the summary says the plan is incomplete.
    const plan = goldenPlan('converged');
    const nodes = plan.nodes.filter((n) => n.node !== 'node3');
    return {
      command: 'diff',
      plan: { ...plan, nodes, summary: { ...plan.summary, incomplete: { notReached: 1, nodes: 3 } } },
      notGathered: { unreachable: { node3: 'connect EHOSTUNREACH 192.168.1.13:22' }, failed: {}, errors: {} },
    };
  },
  'apply-success.md': () => {
    const plan = goldenPlan('from-scratch');
    return { command: 'apply', plan, results: converged(plan) };
  },
  'apply-failed.md': () => {
    const plan = driftPlan();
    const results: NodeResult[] = [
      {
        node: 'node1',
        status: 'failed',
        changed: 2,
        ok: 3,
        failedStep: { index: 2, kind: 'link', key: 'v-net-0', command: 'ip link set dev v-net-0 mtu 1500', message: 'Error: mtu greater than device maximum.' },
        unmet: plan.nodes[0]!.changes.slice(2, 4),
      },
      { node: 'node2', status: 'converged', changed: 0, ok: 5 },
      { node: 'node3', status: 'unreachable', changed: 0, ok: 0, error: 'connect ETIMEDOUT 192.168.1.13:22' },
    ];
    return { command: 'apply', plan, results };
  },
};

const CROSS: VerifyCheck = {
  id: 'pod-to-pod-cross-node',
  title: 'pod → pod across nodes',
  status: 'failed',
  cells: [
    { from: 'node1', to: 'node2', status: 'pass', probe: 'ping -c 1 -W 1 10.244.2.2', attempts: 1 },
    {
      from: 'node2',
      to: 'node1',
      status: 'fail',
      probe: 'ping -c 1 -W 1 10.244.1.2',
      detail: 'no reply from 10.244.1.2',
      causes: ['ip_forward is off on node1', 'node2 has no route to 10.244.1.0/24'],
      attempts: 3,
    },
    { from: 'node1', to: 'node3', status: 'pass' },
    { from: 'node3', to: 'node1', status: 'fail', detail: 'no reply from 10.244.1.2', checked: ['route 10.244.1.0/24 via 192.168.1.11 on node3', 'ip_forward is 1 on node1'] },
  ],
};
const SAME: VerifyCheck = { id: 'pod-to-pod-same-node', title: 'pod → pod on the same node', status: 'passed', cells: ['node1', 'node2', 'node3'].map((n) => ({ from: n, to: n, status: 'pass' })) };
const SOURCE: VerifyCheck = {
  id: 'source-address',
  title: 'source address preserved (no NAT)',
  status: 'not-run',
  coverage: { probed: 3, pairs: 6 },
  cells: [
    { from: 'node1', to: 'node2', status: 'pass' },
    { from: 'node2', to: 'node3', status: 'pass' },
    { from: 'node3', to: 'node1', status: 'not-run', reason: 'node1: no listener (install netcat-openbsd or socat)' },
  ],
};

function verifyReport(checks: VerifyCheck[], extra: Partial<VerifyReport> = {}): VerifyReport {
  return {
    formatVersion: 1,
    cluster: 'cluster.yaml',
    probeId: 'abcd12',
    nodes: ['node1', 'node2', 'node3'],
    mtu: 1500,
    plan: 'sample',
    checks,
    summary: summarizeChecks(checks),
    unreachable: {},
    cleanup: [],
    ...extra,
  };
}

/** Verify reports for the golden files (also read by the JUnit and schema tests). */
export const VERIFY_CASES: Record<string, () => VerifyReport> = {
  'verify-pass': () => verifyReport([SAME, { ...SOURCE, status: 'passed', cells: SOURCE.cells.slice(0, 2) }]),
  'verify-failures': () => verifyReport([SAME, CROSS], { cleanup: ['node2: podnet-probe-abcd12-a: its network namespace is still there'] }),
  'verify-not-run': () =>
    verifyReport(
      [
        { ...SAME, status: 'not-run', cells: [SAME.cells[0]!, { from: 'node3', to: 'node3', status: 'not-run', reason: 'node3 was not reached' }] },
        SOURCE,
      ],
      { unreachable: { node3: 'connect ECONNREFUSED 192.168.1.13:22' } },
    ),
  'verify-none': () => verifyReport([], { unreachable: { node1: 'timed out', node2: 'timed out', node3: 'timed out' } }),
};

