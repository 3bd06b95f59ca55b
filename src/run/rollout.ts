// Rolling apply and cluster-wide make-before-break (issue 14): the hosts run in batches
// (--serial), each batch applied, confirmed (--confirm) and checked converged before the next
// starts, and the rollout stops when more than --max-fail-percentage of a batch failed. When the
// plan has cross-node dependencies (src/plan/make-before-break.ts) it runs in two passes: the make
// pass of every batch, then the break pass of every batch, so no old route or address is deleted
// anywhere before every host has its new ones. A plan with neither (a plain apply) goes straight to
// applyPlan: one exec per host, all hosts in parallel, as before.
import type { NodeSpec } from '../model/types.js';
import { needsPasses, splitPasses, type Pass } from '../plan/make-before-break.js';
import type { ClusterState } from '../plan/node-state.js';
import { exceedsMaxFail, planBatches, serialText, type RolloutReport, type Serial } from '../plan/rollout.js';
import type { NodeResult, NodeStatus } from '../render/recap.js';
import { describeIncomplete, describeUnreached, describeUntouched } from '../render/rollout.js';
import { parseReachOutput, renderReachScript } from '../scripts/reach-script.js';
import { classifyError } from './outcomes.js';
import { applyPlan, type RunOptions } from './apply.js';
import type { GatherResult } from './gather.js';
import type { Transport } from './transport.js';

export interface RolloutOptions {
  /** --serial: hosts per batch; absent: one batch. */
  serial?: Serial;
  /** --max-fail-percentage; absent: 0 (any failure stops the rollout, and keeps the old routes). */
  maxFailPercentage?: number;
  /** The host that goes first (the router in gateway mode). */
  firstHost?: string;
  /** Hosts whose whole plan is a break (torn down: nodes that left cluster.yaml). */
  breakOnly?: ReadonlySet<string>;
  /** Every host in one pass, without make-before-break (tests measure what it saves). */
  onePass?: boolean;
  /** Told before each batch starts. */
  onBatch?(pass: Pass | 'all', batch: number, batches: number, hosts: readonly string[]): void;
  /** Told once, before the first batch, when the plan runs in two passes. */
  onPasses?(): void;
}

const FAILED: readonly NodeStatus[] = ['failed', 'unreachable', 'error'];

/**
 * The check after a batch: each host of the batch that converged pings, from its pod gateway, the
 * pod gateway of every peer applied so far in this pass (`applied`, the batch's own hosts too).
 * A host that does not reach them all becomes failed. The router (no bridge) neither pings nor is
 * pinged; in gateway mode the pings between nodes pass it.
 */
async function checkReach(
  out: NodeResult[],
  applied: ReadonlySet<string>,
  gatewayOf: ReadonlyMap<string, string>,
  byName: ReadonlyMap<string, NodeSpec>,
  transport: Transport,
  runOptions: RunOptions,
): Promise<NodeResult[]> {
  return Promise.all(
    out.map(async (result): Promise<NodeResult> => {
      const source = gatewayOf.get(result.node);
      const peers = [...applied].filter((name) => name !== result.node && gatewayOf.has(name));
      if (result.status !== 'converged' || source === undefined || peers.length === 0) return result;
      const targets = peers.map((name) => gatewayOf.get(name) as string);
      const host = byName.get(result.node) as NodeSpec;
      try {
        const script = renderReachScript(source, targets);
        const connection = await transport.connect(host);
        runOptions.hooks.onCommand?.(host.name, script);
        const outcome = parseReachOutput((await connection.exec(script)).stdout, targets);
        if (!outcome.ping) return { ...result, reach: { skipped: 'no-ping' } };
        const unreached = peers.filter((_, i) => outcome.failed.includes(targets[i] as string));
        if (unreached.length === 0) return { ...result, reach: { peers: peers.length, unreached: [] } };
        const message = describeUnreached(unreached.map((node) => ({ node, address: gatewayOf.get(node) as string })));
        runOptions.hooks.onProgress?.(host.name, { kind: 'failed', message });
        return { ...result, status: 'failed', error: message, reach: { peers: peers.length, unreached } };
      } catch (err) {
        const problem = classifyError(err);
        runOptions.hooks.onProgress?.(host.name, { kind: problem.status === 'error' ? 'error' : problem.status, message: problem.message });
        return { ...result, status: problem.status, error: problem.message };
      }
    }),
  );
}

/** The make and break results of one host as one. */
function mergePasses(made: NodeResult, broke: NodeResult): NodeResult {
  const merged: NodeResult = { ...made, ...broke, changed: made.changed + broke.changed, ok: made.ok };
  const confirm = broke.confirm ?? made.confirm;
  if (confirm !== undefined) merged.confirm = confirm;
  if (made.batch !== undefined) merged.batch = made.batch;
  return merged;
}

/**
 * Apply the plan as a rollout. Returns every host's result in `hosts` order, and the rollout's
 * report when it ran in batches or passes (undefined for a plain apply).
 */
export async function rolloutApply(
  state: ClusterState,
  hosts: readonly NodeSpec[],
  gathered: GatherResult,
  transport: Transport,
  runOptions: RunOptions,
  options: RolloutOptions,
): Promise<{ results: NodeResult[]; report?: RolloutReport }> {
  const breakOnly = options.breakOnly ?? new Set<string>();
  const twoPasses = options.onePass !== true && needsPasses(state.plan, breakOnly);
  if (options.serial === undefined && !twoPasses && options.maxFailPercentage === undefined) {
    return { results: await applyPlan(state, hosts, gathered, transport, runOptions) };
  }
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const planOf = new Map(state.plan.nodes.map((n) => [n.node, n]));
  const batches = planBatches(
    hosts.map((h) => h.name),
    options.serial,
    options.firstHost,
  );
  const batchOf = new Map(batches.flatMap((batch, b) => batch.map((name) => [name, b + 1] as const)));
  const maxFail = options.maxFailPercentage ?? 0;
  const passes: (Pass | 'all')[] = twoPasses ? ['make', 'break'] : ['all'];
  const breaksOf = (name: string): number => {
    const changes = planOf.get(name)?.changes ?? [];
    return splitPasses(changes, breakOnly.has(name)).break.length;
  };
  const results = new Map<string, NodeResult>();
  /** Hosts whose make pass converged and which still have breaks to run. */
  const made = new Map<string, NodeResult>();
  const report: RolloutReport = {
    ...(options.serial !== undefined ? { serial: serialText(options.serial) } : {}),
    maxFailPercentage: maxFail,
    batches,
    passes,
    untouched: [],
    incomplete: [],
  };
  const interrupted = (): boolean => runOptions.interrupt?.signal.aborted === true;
  const gatewayOf = new Map<string, string>();
  for (const s of state.states) if (s.desired?.address !== undefined && byName.has(s.host.name)) gatewayOf.set(s.host.name, s.desired.address.local);
  if (twoPasses) options.onPasses?.();
  outer: for (const pass of passes) {
    /** Hosts that converged in this pass so far: the peers the check after each batch pings. */
    const applied = new Set<string>();
    for (const [b, batch] of batches.entries()) {
      if (interrupted()) break outer;
      const run = pass === 'break' ? batch.filter((name) => made.has(name)) : batch;
      if (run.length === 0) continue;
      options.onBatch?.(pass, b + 1, batches.length, run);
      const passOptions: RunOptions = pass === 'all' ? runOptions : { ...runOptions, pass: { pass, breakOnly } };
      const ran = await applyPlan(state, run.map((name) => byName.get(name) as NodeSpec), gathered, transport, passOptions);
      for (const r of ran) if (r.status === 'converged') applied.add(r.node);
      const out = interrupted() ? ran : await checkReach(ran, applied, gatewayOf, byName, transport, runOptions);
      for (const r of out) if (r.status !== 'converged') applied.delete(r.node);
      for (const result of out) {
        const r: NodeResult = options.serial !== undefined ? { ...result, batch: b + 1 } : result;
        if (pass === 'make' && r.status === 'converged' && breaksOf(r.node) > 0) made.set(r.node, r);
        else if (pass === 'break') {
          results.set(r.node, mergePasses(made.get(r.node) as NodeResult, r));
          made.delete(r.node);
        } else results.set(r.node, r);
      }
      const failed = out.filter((r) => FAILED.includes(r.status)).length;
      if (exceedsMaxFail(failed, run.length, maxFail)) {
        report.stopped = { pass, batch: b + 1, failed, size: run.length };
        break outer;
      }
    }
  }
  const all = hosts.map((host): NodeResult => {
    const name = host.name;
    const done = results.get(name);
    if (done !== undefined) return done;
    const batch = options.serial !== undefined ? { batch: batchOf.get(name) as number } : {};
    const madeResult = made.get(name);
    if (madeResult !== undefined) {
      report.incomplete.push(name);
      const kept = splitPasses(planOf.get(name)?.changes ?? [], breakOnly.has(name)).break;
      runOptions.hooks.onProgress?.(name, { kind: 'stopped', message: describeIncomplete(interrupted()) });
      return { ...madeResult, status: 'incomplete', error: describeIncomplete(interrupted()), kept };
    }
    if (interrupted()) {
      runOptions.hooks.onProgress?.(name, { kind: 'not-started' });
      return { node: name, status: 'not-started', changed: 0, ok: 0, error: 'interrupted before podnet began on it: nothing changed', ...batch };
    }
    report.untouched.push(name);
    runOptions.hooks.onProgress?.(name, { kind: 'stopped', message: describeUntouched() });
    return { node: name, status: 'untouched', changed: 0, ok: 0, error: describeUntouched(), ...batch };
  });
  return { results: all, report };
}
