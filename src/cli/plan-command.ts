// diff and apply share one flow: read cluster.yaml, gather, plan, print; apply goes on to execute and
// check that every node converged. Imported when such a command runs (their options: ./options.ts).
import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { createHash } from 'node:crypto';
import type { RecordFacts } from '../plan/origin.js';
import { VERSION } from './version.js';
import { UserError } from '../model/errors.js';
import type { Plan } from '../model/plan.js';
import { buildClusterState, removedHost, type BuildOptions } from '../plan/node-state.js';
import { findRemovedNodes, planSubnets, unreachedHosts } from '../plan/reach.js';
import type { Cluster, NodeSpec, ObservedState } from '../model/types.js';
import { countChanges, withReach } from '../plan/summary.js';
import { DEFAULT_WIDTH, outputWidth, wrapText } from '../render/wrap.js';
import { needsConfirm } from '../plan/rollback.js';
import { canonicalPlan, parsePlanJson, planJsonPieces, renderPlanText, reportJsonPieces } from '../render/render-plan.js';
import { writePieces, writePiecesToFile } from './write-pieces.js';
import { stalePlanReason } from '../plan/saved-plan.js';
import { renderInterrupted, renderRecap, type NodeResult } from '../render/recap.js';
import { escapeControl, escapeControlKeepNewlines } from '../render/terminal-safe.js';
import { describeMetricsProblem, describePodDisruptionRefusal } from '../render/sentences.js';
import { writeApplyMetrics } from '../run/metrics.js';
import { readCluster } from './read-cluster.js';
import { SshTransport } from '../run/ssh-transport.js';
import type { RunOptions } from '../run/apply.js';
import { rolloutApply } from '../run/rollout.js';
import { describeBatchStart, describePasses, renderRollout, type RolloutReport } from '../render/rollout.js';
import { gatherCluster, type GatherResult } from '../run/gather.js';
import type { ProblemStatus } from '../run/outcomes.js';
import { targetHosts } from '../run/targets.js';
import type { Transport } from '../run/transport.js';
import { createProgress, notice, type Progress } from './progress.js';
import { renderHostKeyRecorded } from '../render/ssh-notices.js';
import type { RunHooks } from '../run/events.js';
import type { EventEmitter } from 'node:events';
import { INTERRUPTED_EXIT_CODE, watchInterrupt, type Interrupt } from './interrupt.js';
import { DRIFT_EXIT_CODE, type OutputFormat, type PlanCommandOptions } from './options.js';
import { renderPlanMarkdown } from '../render/markdown.js';

export type { PlanCommandOptions } from './options.js';

/** The version of the JSON of diff, apply and destroy (schemas/plan-report.schema.json, run-report.schema.json). */
export const REPORT_FORMAT_VERSION = 1;

/** The confirm window when --confirm is on by default. */
export const DEFAULT_CONFIRM_SECONDS = 60;

/**
 * apply and destroy refuse a plan that disrupts running pods unless --allow-pod-disruption: the
 * error names every pod and the two ways out (nothing has been changed yet).
 */
export function refusePodDisruption(plan: Plan, options: Pick<PlanCommandOptions, 'allowPodDisruption'>, command: 'apply' | 'destroy', file: string): void {
  if (plan.summary.disruptedPods === undefined || options.allowPodDisruption === true) return;
  throw new UserError(describePodDisruptionRefusal(plan, command, file));
}

/** Who takes the node locks in this run (lock.info on the node). */
export function lockHolder(what: string): { controller: string; pid: number; since: string; what: string } {
  return { controller: hostname(), pid: process.pid, since: new Date().toISOString(), what };
}

/** Who runs podnet, as the state file records it: `user@hostname`. */
export function controllerName(): string {
  let user = process.env.USER ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry for this uid: the environment's name, if any
  }
  return `${user}@${hostname()}`;
}

/** What every node's state file records besides its objects: podnet's version, now, who, and which cluster.yaml. */
export function recordFacts(cluster: Cluster): RecordFacts {
  const facts: RecordFacts = { podnetVersion: VERSION, time: new Date().toISOString(), controller: controllerName(), cluster: cluster.sourcePath };
  try {
    facts.clusterDigest = createHash('sha256').update(readFileSync(cluster.sourcePath)).digest('hex');
  } catch {
    // a cluster not read from a file (tests): no digest
  }
  return facts;
}

function readSavedPlan(path: string): Plan {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read the saved plan ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    return parsePlanJson(text);
  } catch (err) {
    throw new UserError(`${path}: ${(err as Error).message}`);
  }
}

/** The SSH transport of a run: --accept-new-hosts and --exec-timeout. */
export function sshTransport(options: Pick<PlanCommandOptions, 'acceptNewHosts' | 'execTimeout'>): SshTransport {
  return new SshTransport({
    acceptNewHosts: options.acceptNewHosts,
    onHostKeyRecorded: (node, recorded) => notice(renderHostKeyRecorded(node, recorded)),
    ...(options.execTimeout !== undefined ? { execTimeoutMs: Math.round(options.execTimeout * 1000) } : {}),
  });
}

function useColor(): boolean {
  return Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
}

/** How text goes to stdout: colour on a terminal, and its width (80 for pipes and files). */
export function textOptions(): { color: boolean; width: number } {
  return { color: useColor(), width: outputWidth(process.stdout) };
}

/**
 * Exit code of a plan: 0 in sync, 2 changes pending, 1 when something is in the way (a host not
 * gathered, a conflict, a refusal, or a route waiting for a host not reached — as for an unreachable node).
 */
export function planExitCode(plan: Plan, notGathered: number, failOnDrift = false): number {
  if (notGathered > 0 || plan.summary.conflicts > 0 || plan.summary.refused > 0 || (plan.summary.waiting ?? 0) > 0) return 1;
  // A drift check: only drift fails it (an error above still wins, as with Terraform's -detailed-exitcode).
  if (failOnDrift) return (plan.summary.drift ?? 0) > 0 ? DRIFT_EXIT_CODE : 0;
  return plan.summary.add + plan.summary.change + plan.summary.destroy > 0 ? 2 : 0;
}

/** --prune-removed: the nodes that left cluster.yaml, found in the gathered routes, gathered where they answer. */
export async function gatherRemoved(
  cluster: Cluster,
  observed: ReadonlyMap<string, ObservedState>,
  transport: Transport,
  runOptions: RunOptions,
): Promise<{ hosts: NodeSpec[]; prune: NonNullable<BuildOptions['pruneRemoved']>; observed: Map<string, ObservedState> }> {
  const hosts: NodeSpec[] = [];
  const found = new Map<string, { observed: ObservedState } | { problem: string }>();
  // While a host of the file does not answer, a removed-looking node may be it under a new address:
  // nothing is pruned (the plan says so), and nothing is asked of that address.
  if (unreachedHosts(cluster, observed).size > 0) return { hosts, prune: { hosts: found }, observed: new Map() };
  const removed = findRemovedNodes(cluster, observed, planSubnets(cluster, observed).subnets).map((node) => removedHost(cluster, node));
  const gathered = await gatherCluster(cluster, removed, transport, { ...runOptions, gather: { cni: cluster.cni } });
  for (const host of removed) {
    const state = gathered.observed.get(host.name);
    if (state !== undefined) {
      found.set(host.address, { observed: state });
      hosts.push(host);
    } else found.set(host.address, { problem: gathered.problems.get(host.name)?.message ?? 'not gathered' });
  }
  return { hosts, prune: { hosts: found }, observed: gathered.observed };
}

/** The hosts gather could not read, one recap entry each (apply reports them all the same way). */
export function problemResults(gathered: GatherResult): NodeResult[] {
  return [...gathered.problems].map(([node, p]) => ({ node, status: p.status, changed: 0, ok: 0, error: p.message }));
}

const PROBLEM_LABEL: Record<ProblemStatus, string> = { unreachable: 'UNREACHABLE', failed: 'FAILED', error: 'INTERNAL ERROR' };

/** `diff`'s lines for the hosts it could not gather, after the plan. */
export function renderProblems(gathered: GatherResult, width = DEFAULT_WIDTH): string {
  // Long messages wrap, indented under the node's name.
  return [...gathered.problems].map(([node, p]) => `${wrapText(`${node}: ${PROBLEM_LABEL[p.status]}: ${escapeControl(p.message)}`, width, '', '  ').join('\n')}\n`).join('');
}

/** The hosts not gathered in the JSON output: unreachable, failed (gather ran but failed) and errors (bugs), by name. */
export function problemsJson(gathered: GatherResult): Record<'unreachable' | 'failed' | 'errors', Record<string, string>> {
  const of = (status: ProblemStatus): Record<string, string> =>
    Object.fromEntries([...gathered.problems].filter(([, p]) => p.status === status).map(([node, p]) => [node, p.message]));
  return { unreachable: of('unreachable'), failed: of('failed'), errors: of('error') };
}

/** Progress lines on stderr, and with -v every command sent and an internal error's stack. */
export function progressHooks(options: Pick<PlanCommandOptions, 'verbose'>, progress: Progress): RunHooks {
  return {
    onProgress: (node, event) => {
      progress.update(node, event);
      if (options.verbose && event.kind === 'error' && event.stack !== undefined) process.stderr.write(`[${node}] ${escapeControlKeepNewlines(event.stack)}\n`);
    },
    ...(options.verbose ? { onCommand: (node: string, command: string) => process.stderr.write(`[${node}] $ ${command.trimEnd()}\n`) } : {}),
  };
}

/** The exec timeout when neither --exec-timeout nor ssh.execTimeout says (seconds). */
const DEFAULT_EXEC_TIMEOUT_MS = 120_000;

/**
 * apply and destroy: Ctrl-C stops starting nodes and waits for those in flight at most as long as
 * one command on a node may run (--exec-timeout, else the longest ssh.execTimeout): by then an
 * exec in flight has ended by itself, or its node counts as unreachable anyway.
 */
export function watchRunInterrupt(nodes: readonly NodeSpec[], options: Pick<PlanCommandOptions, 'execTimeout'>, signals?: EventEmitter): Interrupt {
  const waitMs = options.execTimeout !== undefined ? Math.round(options.execTimeout * 1000) : Math.max(1000, ...nodes.map((n) => n.ssh.execTimeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS));
  return watchInterrupt({ waitMs, write: (text) => process.stderr.write(text), ...(signals !== undefined ? { signals } : {}) });
}

/** Gather; when Ctrl-C gives up waiting first, nothing counts as gathered (nothing was changed either). */
export function gatherUnlessGivenUp(gather: Promise<GatherResult>, interrupt: Interrupt): Promise<GatherResult> {
  const givenUp = interrupt.giveUp.then((): GatherResult => ({ observed: new Map(), problems: new Map() }));
  return Promise.race([gather, givenUp]);
}

/** Ctrl-C before any node was changed: each node is not started, or as its gather found it. */
export function interruptedBeforeApply(nodes: readonly NodeSpec[], gathered: GatherResult): NodeResult[] {
  return nodes.map((n): NodeResult => {
    const p = gathered.problems.get(n.name);
    if (p !== undefined) return { node: n.name, status: p.status, changed: 0, ok: 0, error: p.message };
    return { node: n.name, status: 'not-started', changed: 0, ok: 0, error: 'interrupted before anything was applied: nothing changed' };
  });
}

/** The end of an apply or destroy: the recap (or JSON report) and the exit code (130 after Ctrl-C). */
export async function finishRun(
  plan: Plan | undefined,
  results: NodeResult[],
  transport: Transport,
  output: OutputFormat,
  interrupted: boolean,
  waiting = false,
  command: 'apply' | 'destroy' = 'apply',
  rollout?: RolloutReport,
): Promise<number> {
  if (output === 'markdown') {
    process.stdout.write(renderPlanMarkdown({ command, ...(plan !== undefined ? { plan } : {}), results, interrupted }));
  } else if (output === 'json') {
    const report = {
      formatVersion: REPORT_FORMAT_VERSION,
      ...(plan !== undefined ? { plan: canonicalPlan(plan) } : {}),
      results,
      ...(rollout !== undefined ? { rollout } : {}),
      ...(interrupted ? { interrupted: true } : {}),
      execs: Object.fromEntries(await transport.execCounts()),
    };
    await writePieces(process.stdout, reportJsonPieces(report));
  } else {
    process.stdout.write(renderRecap(results, textOptions()));
    if (rollout !== undefined) process.stdout.write(renderRollout(rollout, textOptions().width));
    if (interrupted) process.stdout.write(renderInterrupted(results, textOptions().width));
  }
  if (interrupted) return INTERRUPTED_EXIT_CODE;
  // A route waiting for a host not reached fails the run as an unreachable node would.
  return results.every((r) => r.status === 'converged') && !waiting ? 0 : 1;
}

/** Hooks that fall silent once the run has reported (nodes given up on may still answer later). */
export function silencable(hooks: RunHooks): { hooks: RunHooks; silence(): void } {
  let silent = false;
  return {
    hooks: {
      onProgress: (node, event) => {
        if (!silent) hooks.onProgress?.(node, event);
      },
      ...(hooks.onCommand !== undefined ? { onCommand: (node: string, command: string) => (silent ? undefined : hooks.onCommand?.(node, command)) } : {}),
    },
    silence: () => {
      silent = true;
    },
  };
}

export async function runPlanCommand(
  file: string,
  options: PlanCommandOptions,
  mode: 'diff' | 'apply',
  transport: Transport = sshTransport(options),
  signals?: EventEmitter,
  cluster: Cluster = readCluster(file),
): Promise<number> {
  const saved = options.plan !== undefined ? readSavedPlan(options.plan) : undefined;
  const nodes = [...targetHosts(cluster, options.limit)];
  // Every host is gathered, also outside --limit: routes point only at hosts that answer.
  const everyHost = targetHosts(cluster, undefined);
  const limited = nodes.length !== everyHost.length;
  const json = options.output === 'json';
  const applying = mode === 'apply' && !options.check;
  const progress = createProgress(process.stderr, everyHost.map((n) => n.name), !json);
  const hooks = silencable(progressHooks(options, progress));
  const runOptions: RunOptions = {
    forks: options.forks,
    hooks: hooks.hooks,
    // The pods of every node, in the same one exec: the plan shows the running pods it disrupts.
    gather: { cni: cluster.cni },
  };
  // Ctrl-C during apply: no node is started after it, the nodes in flight are waited for (bounded).
  const interrupt = applying ? watchRunInterrupt(nodes, options, signals) : undefined;
  if (interrupt !== undefined) runOptions.interrupt = interrupt;
  // A function, not a narrowed value: the abort comes while the run awaits.
  const interrupted = (): boolean => interrupt?.signal.aborted === true;
  try {
    const gathering = gatherCluster(cluster, everyHost, transport, { ...runOptions, ...(interrupt !== undefined ? { signal: interrupt.signal } : {}) });
    const gathered = interrupt !== undefined ? await gatherUnlessGivenUp(gathering, interrupt) : await gathering;
    if (interrupted()) {
      hooks.silence();
      progress.done();
      return await finishRun(undefined, interruptedBeforeApply(nodes, gathered), transport, options.output, true);
    }
    const build: BuildOptions = limited ? { targets: new Set(nodes.map((n) => n.name)) } : {};
    if (options.pruneRemoved === true) {
      const removed = await gatherRemoved(cluster, gathered.observed, transport, runOptions);
      build.pruneRemoved = removed.prune;
      nodes.push(...removed.hosts);
      for (const [name, state] of removed.observed) gathered.observed.set(name, state);
    }
    const built = buildClusterState(cluster, gathered.observed, 'present', build);
    // A host outside --limit that was not reached is reported (it is why routes wait), not counted.
    const notGathered = nodes.filter((n) => gathered.problems.has(n.name)).length;
    // Targeted nodes not gathered are not in the plan: its summary says how many.
    const clusterPlan = { ...built, plan: withReach(built.plan, nodes.length, notGathered) };
    for (const nodePlan of clusterPlan.plan.nodes) progress.update(nodePlan.node, { kind: 'planned', changes: nodePlan.changes.length, counts: countChanges(nodePlan.changes) });
    if (options.out !== undefined) writePiecesToFile(options.out, planJsonPieces(clusterPlan.plan));
    const stale = saved !== undefined ? stalePlanReason(saved, clusterPlan.plan) : null;
    if (stale !== null) {
      progress.done();
      throw new UserError(`the saved plan ${options.plan} is stale: ${stale}; nothing was applied — run podnet diff --out again`);
    }
    if (!applying) {
      progress.done();
      const code = planExitCode(clusterPlan.plan, notGathered, mode === 'diff' && options.failOnDrift === true);
      if (options.output === 'markdown') {
        process.stdout.write(renderPlanMarkdown({ command: mode, plan: clusterPlan.plan, notGathered: problemsJson(gathered) }));
      } else if (json) {
        const report = {
          formatVersion: REPORT_FORMAT_VERSION,
          plan: canonicalPlan(clusterPlan.plan),
          ...problemsJson(gathered),
          execs: Object.fromEntries(await transport.execCounts()),
        };
        await writePieces(process.stdout, reportJsonPieces(report));
      } else {
        process.stdout.write(renderPlanText(clusterPlan.plan, textOptions()));
        process.stdout.write(renderProblems(gathered, textOptions().width));
      }
      return code;
    }
    if (options.output === 'text') {
      progress.done();
      process.stdout.write(renderPlanText(clusterPlan.plan, textOptions()));
    }
    refusePodDisruption(clusterPlan.plan, options, 'apply', file);
    runOptions.lock = { holder: lockHolder('apply'), timeoutSeconds: options.lockTimeout ?? 0 };
    runOptions.record = recordFacts(cluster);
    if (options.allowPodDisruption === true) runOptions.allowPodDisruption = true;
    // --confirm: on by default for the nodes whose route, address or link changes (see the README).
    const confirmNodes = new Set(
      clusterPlan.plan.nodes.filter((n) => (options.confirm === undefined ? needsConfirm(n.changes) : options.confirm !== false) && n.changes.length > 0).map((n) => n.node),
    );
    if (options.confirm !== false && confirmNodes.size > 0) {
      runOptions.confirm = {
        seconds: typeof options.confirm === 'number' ? options.confirm : DEFAULT_CONFIRM_SECONDS,
        nodes: confirmNodes,
        ...(options.confirmDelay !== undefined ? { delayMs: options.confirmDelay } : {}),
      };
    }
    // Hosts that left cluster.yaml (--prune-removed) are torn down after every host's new routes.
    const removed = new Set(nodes.filter((n) => !everyHost.some((h) => h.name === n.name)).map((n) => n.name));
    const rollout = await rolloutApply(clusterPlan, nodes, gathered, transport, runOptions, {
      ...(options.serial !== undefined ? { serial: options.serial } : {}),
      ...(options.maxFailPercentage !== undefined ? { maxFailPercentage: options.maxFailPercentage } : {}),
      ...(cluster.routing === 'gateway' && cluster.router !== undefined ? { firstHost: cluster.router.name } : {}),
      breakOnly: removed,
      ...(options.onePass === true ? { onePass: true } : {}),
      onPasses: () => notice(describePasses()),
      onBatch: (pass, batch, batches, hosts) => notice(describeBatchStart(pass, batch, batches, hosts)),
    });
    const results = rollout.results;
    // metrics.textfileDir: each reached node's textfile, once its outcome is known.
    const metricsProblems = interrupted() ? [] : await writeApplyMetrics(cluster, nodes, clusterPlan.plan, results, transport, options.forks);
    hooks.silence();
    progress.done();
    for (const problem of metricsProblems) process.stderr.write(`podnet: ${escapeControl(describeMetricsProblem(problem))}\n`);
    // A converged node whose routes wait for a host not reached says so in the recap.
    const waitingOf = new Map(clusterPlan.plan.nodes.map((n) => [n.node, n.waiting]));
    const allResults = (results.length > 0 ? results : problemResults(gathered)).map((r) => {
      const waiting = waitingOf.get(r.node);
      return waiting !== undefined ? { ...r, waiting } : r;
    });
    return await finishRun(clusterPlan.plan, allResults, transport, options.output, interrupted(), clusterPlan.plan.summary.waiting !== undefined, 'apply', rollout.report);
  } finally {
    interrupt?.dispose();
    await transport.close();
  }
}
