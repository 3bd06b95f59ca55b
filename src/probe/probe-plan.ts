// Which probes `podnet verify` runs on which node, which cells cannot run (and why), and how the
// probes' outcomes become the checks' cells. Pure.
import {
  CHECKS,
  type CheckCoverage,
  type CheckId,
  type CheckStatus,
  type NodeSetup,
  type ProbePlanMode,
  type VerifyCell,
  type VerifyCheck,
} from '../model/verify.js';
import { LISTENER_LIFETIME_S, LISTENER_PORT, PROBE_PARALLEL, probeCommandLine, type NodeCleanup, type Probe, type ProbeAttempt, type ProbeCommand, type ProbeOutcome } from '../scripts/probe-script.js';

export interface VerifyNode {
  name: string;
  address: string;
}

export interface ProbePlanInput {
  /** The targeted nodes, in cluster order. */
  nodes: readonly VerifyNode[];
  /** Setup results of the nodes whose setup ran. */
  setups: ReadonlyMap<string, NodeSetup>;
  /** Nodes that could not be reached or set up, with the reason. */
  unreachable: ReadonlyMap<string, string>;
  /** The MTU the DF check sends. */
  mtu: number;
  /** Whether the egress check is asked for (egress.masquerade on), and its target. */
  egress: { requested: boolean; target?: string };
  /** `sample` (the default): the expensive checks on the ring sample (sampleOffsets); `full-mesh`: every pair. Default sample. */
  mode?: ProbePlanMode;
}

/** A cell before it ran: its probe (on `from`'s node) or why it cannot run. */
export interface PlannedCell {
  check: CheckId;
  from: string;
  to: string;
  probe?: Probe;
  notRun?: string;
}

export interface ProbePlan {
  cells: PlannedCell[];
  /** Node → its probes, all sent in one exec. */
  probes: Map<string, Probe[]>;
  /** The sampled checks (default plan): how many pairs they probe of all. */
  coverage: Map<CheckId, CheckCoverage>;
}

/** The checks that cost most (a TCP connection and a listener; a full-size packet): on the sample in the default plan. */
export const SAMPLED_CHECKS: ReadonlySet<CheckId> = new Set<CheckId>(['source-address', 'mtu']);

/**
 * The sample of the expensive checks: node i (in the order of the targeted nodes) probes node
 * i+k (mod N) for each offset k. Offsets 1 (the ring) and ⌊N/2⌋ (the node farthest along it), or
 * N−1 when ⌊N/2⌋ is 1 (N = 3, which makes the sample the full mesh): every node is a client of
 * min(2, N−1) distinct peers and a server for min(2, N−1) distinct peers, so a fault of one node
 * (as sender or as receiver) shows in two cells that share only that node. Deterministic: the
 * same nodes give the same pairs on every run.
 */
export function sampleOffsets(n: number): number[] {
  if (n < 2) return [];
  const half = Math.floor(n / 2);
  return [...new Set([1, half > 1 ? half : n - 1])];
}

/** The ordered pairs (from, to) of the sample, in node order (rows, then columns, as the full mesh). */
export function samplePairs(names: readonly string[]): [string, string][] {
  const n = names.length;
  const offsets = sampleOffsets(n);
  return names.flatMap((from, i) => offsets.map((k) => (i + k) % n).sort((a, b) => a - b).map((j): [string, string] => [from, names[j] ?? '']));
}

/**
 * How many probes (cells) a plan has for N nodes: 3N node-local ones (same node, node → pod,
 * pod → node), N(N−1) cross-node pings, and the two expensive checks on N(N−1) pairs
 * (full mesh) or on N·min(2, N−1) (the sample); plus N egress pings when egress is checked.
 */
export function probeCount(n: number, mode: ProbePlanMode, egress = false): number {
  const pairs = n * (n - 1);
  const expensive = mode === 'full-mesh' ? pairs : n * sampleOffsets(n).length;
  return 3 * n + pairs + 2 * expensive + (egress ? n : 0);
}


/**
 * Probes in flight at once over all nodes, per CPU of this machine (a lab's nodes share its CPUs).
 * Measured on 2 CPUs, 100-node lab: 80 (10 nodes at once) took 54 s, 32 (4 at once) 61 s, both passing every cell.
 */
export const PROBES_IN_FLIGHT_PER_CPU = 80;

/**
 * The pacing of the probe phase: each node runs at most `parallel` probes at once, and at most
 * `nodes` nodes probe at once (their execs bounded by --forks and by PROBES_IN_FLIGHT_PER_CPU × CPUs
 * probes in flight in all), so a 2-core machine running a 100-node lab is not overrun.
 */
export function probePacing(forks: number, cpus: number): { nodes: number; parallel: number } {
  const budget = PROBES_IN_FLIGHT_PER_CPU * Math.max(1, cpus);
  const parallel = Math.min(PROBE_PARALLEL, budget);
  return { nodes: Math.max(1, Math.min(forks, Math.floor(budget / parallel))), parallel };
}

export const EGRESS_COLUMN = 'egress target';
const ICMP_AND_IP_HEADERS = 28;

type Availability = { ok: true; value: string } | { ok: false; reason: string };

export function planProbes(input: ProbePlanInput): ProbePlan {
  const cells: PlannedCell[] = [];
  const probes = new Map<string, Probe[]>();
  let nextId = 0;

  const reachable = (node: string): string | undefined => {
    const reason = input.unreachable.get(node);
    if (reason !== undefined) return `${node} is unreachable: ${reason}`;
    if (!input.setups.has(node)) return `${node} was not set up`;
    return undefined;
  };
  const pod = (node: string, role: 'a' | 'b'): Availability => {
    const down = reachable(node);
    if (down) return { ok: false, reason: down };
    const outcome = input.setups.get(node)?.pods[role];
    if (outcome?.address) return { ok: true, value: outcome.address };
    return { ok: false, reason: `no probe pod on ${node}: ${outcome?.error ?? 'not created'}` };
  };
  const ping = (node: string, dontFragment = false): string | undefined => {
    const tools = input.setups.get(node)?.tools;
    if (!tools?.ping) return `ping is missing on ${node}: install iputils-ping`;
    if (dontFragment && !tools.pingIputils) return `ping on ${node} cannot set DF (-M do): install iputils-ping`;
    return undefined;
  };
  const add = (check: CheckId, from: string, to: string, needs: Availability[], blocker: string | undefined, command: () => ProbeCommand): void => {
    const missing = needs.find((n): n is { ok: false; reason: string } => !n.ok);
    const notRun = missing?.reason ?? blocker;
    if (notRun !== undefined) {
      cells.push({ check, from, to, notRun });
      return;
    }
    const planned = command();
    const retry = planned.kind === 'ping' && input.setups.get(from)?.tools.pingIputils === true;
    const probe: Probe = { id: nextId++, check, from, to, command: retry ? { ...planned, retry } : planned };
    const list = probes.get(from) ?? [];
    list.push(probe);
    probes.set(from, list);
    cells.push({ check, from, to, probe });
  };
  const value = (a: Availability): string => (a.ok ? a.value : '');
  const names = input.nodes.map((n) => n.name);
  const pairs = names.flatMap((from) => names.filter((to) => to !== from).map((to) => [from, to] as const));
  const sampled = input.mode !== 'full-mesh';
  const expensivePairs = sampled ? samplePairs(names) : pairs;
  const coverage = new Map<CheckId, CheckCoverage>();
  // Only a sample that leaves pairs out is reported as one (at N ≤ 3 the sample is every pair).
  if (sampled && expensivePairs.length < pairs.length) for (const check of SAMPLED_CHECKS) coverage.set(check, { probed: expensivePairs.length, pairs: pairs.length });

  for (const { id: check } of CHECKS) {
    switch (check) {
      case 'pod-to-pod-same-node':
        for (const n of names) {
          const a = pod(n, 'a');
          const b = pod(n, 'b');
          add(check, n, n, [a, b], ping(n), () => ({ kind: 'ping', netns: podName(input, n, 'a'), target: value(b) }));
        }
        break;
      case 'pod-to-pod-cross-node':
        for (const [from, to] of pairs) {
          const target = pod(to, 'a');
          add(check, from, to, [pod(from, 'a'), target], ping(from), () => ({ kind: 'ping', netns: podName(input, from, 'a'), target: value(target) }));
        }
        break;
      case 'node-to-pod':
        for (const n of names) {
          const a = pod(n, 'a');
          add(check, n, n, [a], ping(n), () => ({ kind: 'ping', target: value(a) }));
        }
        break;
      case 'pod-to-node':
        for (const node of input.nodes) {
          add(check, node.name, node.name, [pod(node.name, 'a')], ping(node.name), () => ({
            kind: 'ping',
            netns: podName(input, node.name, 'a'),
            target: node.address,
          }));
        }
        break;
      case 'source-address':
        for (const [from, to] of expensivePairs) {
          const target = pod(to, 'a');
          const client = tcpClient(input.setups.get(from));
          const listener = input.setups.get(to)?.listener;
          const blocker =
            client === undefined
              ? `no TCP client on ${from} (install netcat-openbsd or socat)`
              : listener !== undefined && 'error' in listener
                ? `${to}: ${listener.error}`
                : undefined;
          add(check, from, to, [pod(from, 'a'), target], blocker, () => ({
            kind: 'tcp',
            netns: podName(input, from, 'a'),
            target: value(target),
            port: LISTENER_PORT,
            client: client ?? 'nc',
          }));
        }
        break;
      case 'mtu':
        for (const [from, to] of expensivePairs) {
          const target = pod(to, 'a');
          add(check, from, to, [pod(from, 'a'), target], ping(from, true), () => ({
            kind: 'ping',
            netns: podName(input, from, 'a'),
            target: value(target),
            dontFragmentSize: input.mtu - ICMP_AND_IP_HEADERS,
          }));
        }
        break;
      case 'egress':
        if (!input.egress.requested) break;
        for (const n of names) {
          const target = input.egress.target;
          const blocker = target === undefined ? 'no egress target: give --egress-target or egress.verifyTarget' : ping(n);
          add(check, n, target ?? EGRESS_COLUMN, [pod(n, 'a')], blocker, () => ({
            kind: 'ping',
            netns: podName(input, n, 'a'),
            target: target ?? '',
          }));
        }
        break;
    }
  }
  return { cells, probes, coverage };
}

function podName(input: ProbePlanInput, node: string, role: 'a' | 'b'): string {
  return input.setups.get(node)?.pods[role]?.pod ?? '';
}

function tcpClient(setup: NodeSetup | undefined): 'nc' | 'socat' | undefined {
  if (!setup?.tools.timeout) return undefined;
  if (setup.tools.ncOpenbsd) return 'nc';
  if (setup.tools.socat) return 'socat';
  return undefined;
}

/** The probe's own words for what went wrong: ping's `From …`/`ping: …` line, or a lost reply. */
export function describeProbeFailure(command: ProbeCommand, outcome: ProbeOutcome): string {
  const lines = outcome.output.split('\n').map((l) => l.trim()).filter(Boolean);
  const telling = lines.find((l) => /^From |^ping: |^nc: |^socat|[Ee]rror|refused|unreachable|timed out/.test(l) && !/succeeded/.test(l));
  if (command.kind === 'tcp') {
    if (outcome.code === 124) return `connection to ${command.target}:${String(command.port)} timed out`;
    return `connection to ${command.target}:${String(command.port)} failed${telling ? `: ${telling}` : ` (exit ${String(outcome.code)})`}`;
  }
  if (telling) return telling;
  if (lines.some((l) => /\b0 received\b/.test(l))) return `no reply from ${command.target}`;
  return `ping ${command.target} failed (exit ${String(outcome.code)})${lines[0] ? `: ${lines[0]}` : ''}`;
}

export interface AssembleInput {
  plan: ProbePlan;
  /** Node → its probes' outcomes (absent when the probe exec did not come back). */
  outcomes: ReadonlyMap<string, ReadonlyMap<number, ProbeOutcome>>;
  /** Why a node's probe exec failed. */
  probeErrors: ReadonlyMap<string, string>;
  /** Node → what its cleanup found (the listener's peers). */
  cleanups: ReadonlyMap<string, NodeCleanup>;
  nodes: readonly VerifyNode[];
  setups: ReadonlyMap<string, NodeSetup>;
}

function nameOfAddress(nodes: readonly VerifyNode[], setups: ReadonlyMap<string, NodeSetup>, address: string): string {
  const node = nodes.find((n) => n.address === address);
  if (node) return `${node.name}'s node address: the source was translated (NAT)`;
  for (const [name, setup] of setups) {
    if (setup.pods.a?.address === address || setup.pods.b?.address === address) return `a probe pod of ${name}`;
  }
  return 'not a probe pod';
}

function sourceAddressCell(input: AssembleInput, cell: PlannedCell, probe: Probe, outcome: ProbeOutcome): VerifyCell {
  const base = { from: cell.from, to: cell.to, probe: probeCommandLine(probe.command) };
  const cleanup = input.cleanups.get(cell.to);
  if (outcome.code !== 0 && cleanup?.listenerEnded) {
    return { ...base, status: 'not-run', reason: `the listener in ${cell.to} had ended before cleanup (it lives at most ${String(LISTENER_LIFETIME_S)} s): the connection may have found nothing to answer it; not a network fault` };
  }
  if (outcome.code !== 0) return { ...base, status: 'fail', detail: describeProbeFailure(probe.command, outcome) };
  const expected = input.setups.get(cell.from)?.pods.a?.address ?? '';
  if (!cleanup) return { ...base, status: 'not-run', reason: `the listener log of ${cell.to} could not be read` };
  if (cleanup.peers.includes(expected)) return { ...base, status: 'pass', detail: `seen as ${expected}` };
  const others = [...new Set(cleanup.peers)].filter((p) => !expectedPeers(input, cell.to).has(p));
  const seen = others.map((p) => `${p} (${nameOfAddress(input.nodes, input.setups, p)})`).join(', ');
  return {
    ...base,
    status: 'fail',
    detail: `connected, but the listener in ${cell.to} saw no connection from ${expected}${seen ? `; it saw ${seen}` : ''}`,
  };
}

/** The pod addresses a listener on `to` expects: every other node's probe pod a. */
function expectedPeers(input: AssembleInput, to: string): Set<string> {
  const peers = new Set<string>();
  for (const [name, setup] of input.setups) if (name !== to && setup.pods.a?.address) peers.add(setup.pods.a.address);
  return peers;
}

/** An attempt that started more than this many seconds after it was due: the node was too busy to start it. */
export const LATE_START_S = 1;
/** An attempt that ran this much longer than its command's own deadline: the node was too busy to run it. */
export const LATE_SLACK_S = 2;

/** Seconds an attempt of this command takes at most when the node runs it on time (its own deadline). */
export function attemptDeadline(command: ProbeCommand): number {
  if (command.kind === 'tcp') return 5; // nc -w 5 / socat connect-timeout=5 (timeout 10 only if that did not fire)
  return command.retry ? 3 : 2; // ping -w 3, or -W 2
}

/** Why an attempt's result says nothing about the network (the prober itself was late), or undefined. */
export function lateness(command: ProbeCommand, attempt: ProbeAttempt): string | undefined {
  if (attempt.startDelay > LATE_START_S) return `started ${attempt.startDelay.toFixed(1)} s late`;
  const deadline = attemptDeadline(command);
  if (attempt.duration > deadline + LATE_SLACK_S) return `ran ${attempt.duration.toFixed(1)} s for a ${String(deadline)} s deadline`;
  return undefined;
}

export type Judgement =
  | { status: 'pass'; attempt: ProbeAttempt; attempts: number }
  | { status: 'fail'; attempt: ProbeAttempt; attempts: number }
  | { status: 'late'; reason: string; attempts: number };

/**
 * A probe's attempts → its verdict: pass when one attempt passed; fail when every attempt failed
 * and at least one of them ran on time (its failure is the network's; the first such is reported); otherwise (each failure came
 * from an attempt the node started late or ran past its deadline) late: not run, not a failure.
 */
export function judgeAttempts(command: ProbeCommand, outcome: ProbeOutcome): Judgement {
  const attempts: ProbeAttempt[] = outcome.attempts ?? (outcome.code === null ? [] : [{ code: outcome.code, output: outcome.output, startDelay: 0, duration: 0 }]);
  const passed = attempts.find((a) => a.code === 0);
  if (passed) return { status: 'pass', attempt: passed, attempts: attempts.indexOf(passed) + 1 };
  // The first failure tells most: a later one may only repeat what the first taught the kernel (a cached path MTU).
  const first = attempts.find((a) => a.code !== null && lateness(command, a) === undefined);
  if (first) return { status: 'fail', attempt: first, attempts: attempts.length };
  const late = attempts.map((a) => lateness(command, a)).filter((r): r is string => r !== undefined);
  return { status: 'late', reason: late.length > 0 ? late.join(', ') : 'no result came back', attempts: attempts.length };
}

/** The not-run reason of a probe the node ran too late to tell anything. */
export function overloadReason(node: string, why: string, attempts: number): string {
  return `the prober on ${node} was overloaded (each of ${String(attempts)} attempt(s) ${why}): local load, not a network fault; run verify again, with a lower --forks`;
}

function runCell(input: AssembleInput, cell: PlannedCell): VerifyCell {
  if (cell.notRun !== undefined || !cell.probe) return { from: cell.from, to: cell.to, status: 'not-run', reason: cell.notRun ?? 'not planned' };
  const probe = cell.probe;
  const outcome = input.outcomes.get(cell.from)?.get(probe.id);
  if (!outcome || (outcome.code === null && !outcome.attempts?.some((a) => a.code !== null))) {
    const why = input.probeErrors.get(cell.from) ?? 'no result came back';
    return { from: cell.from, to: cell.to, status: 'not-run', probe: probeCommandLine(probe.command), reason: `the probes on ${cell.from} did not run: ${why}` };
  }
  const verdict = judgeAttempts(probe.command, outcome);
  const base = { from: cell.from, to: cell.to, probe: probeCommandLine(probe.command), ...(verdict.attempts > 1 ? { attempts: verdict.attempts } : {}) };
  if (verdict.status === 'late') return { ...base, status: 'not-run', reason: overloadReason(cell.from, verdict.reason, verdict.attempts) };
  const deciding: ProbeOutcome = { code: verdict.attempt.code, output: verdict.attempt.output };
  if (cell.check === 'source-address') return { ...sourceAddressCell(input, cell, probe, deciding), ...(verdict.attempts > 1 ? { attempts: verdict.attempts } : {}) };
  if (verdict.status === 'pass') return { ...base, status: 'pass' };
  return { ...base, status: 'fail', detail: describeProbeFailure(probe.command, deciding) };
}

export function checkStatus(cells: readonly VerifyCell[]): CheckStatus {
  if (cells.some((c) => c.status === 'fail')) return 'failed';
  if (cells.length === 0 || cells.some((c) => c.status === 'not-run')) return 'not-run';
  return 'passed';
}

/** The checks with their cells, in CHECKS order (checks without cells, e.g. egress when off, are left out). */
export function assembleChecks(input: AssembleInput): VerifyCheck[] {
  return CHECKS.flatMap(({ id, title }) => {
    const planned = input.plan.cells.filter((c) => c.check === id);
    if (planned.length === 0) return [];
    const cells = planned.map((c) => runCell(input, c));
    const coverage = input.plan.coverage.get(id);
    return [{ id, title, status: checkStatus(cells), cells, ...(coverage ? { coverage } : {}) }];
  });
}
