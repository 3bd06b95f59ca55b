// diff and apply share one flow: read cluster.yaml, gather, plan, print; apply goes on to execute and
// check that every node converged.
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { UserError } from '../model/errors.js';
import type { Plan } from '../model/plan.js';
import { buildClusterState, removedHost, type BuildOptions } from '../plan/node-state.js';
import { findRemovedNodes, planSubnets, unreachedHosts } from '../plan/reach.js';
import type { Cluster, NodeSpec, ObservedState } from '../model/types.js';
import { needsConfirm } from '../plan/rollback.js';
import { parsePlanJson, renderPlanJson, renderPlanText } from '../render/render-plan.js';
import { stalePlanReason } from '../plan/saved-plan.js';
import { renderRecap, type NodeResult } from '../render/recap.js';
import { escapeControl, escapeControlKeepNewlines, escapeJsonControl } from '../render/terminal-safe.js';
import { describePodDisruptionRefusal } from '../render/sentences.js';
import { readCluster } from './read-cluster.js';
import { SshTransport } from '../run/ssh-transport.js';
import { applyPlan, type RunOptions } from '../run/apply.js';
import { gatherCluster, type GatherResult } from '../run/gather.js';
import type { ProblemStatus } from '../run/outcomes.js';
import { targetHosts } from '../run/targets.js';
import type { Transport } from '../run/transport.js';
import { createProgress, notice, type Progress } from './progress.js';
import { renderHostKeyRecorded } from '../render/ssh-notices.js';
import type { RunHooks } from '../run/events.js';

export interface PlanCommandOptions {
  limit?: string[];
  forks: number;
  output: 'text' | 'json';
  verbose: boolean;
  acceptNewHosts: boolean;
  /** Seconds; overrides ssh.execTimeout of every node. */
  execTimeout?: number;
  check?: boolean;
  /** Write the plan (renderPlanJson) to this file. */
  out?: string;
  /** Apply only if a fresh plan equals the plan saved in this file. */
  plan?: string;
  /** apply: seconds of the confirm window; false: --no-confirm; undefined: on when the plan needs it. */
  confirm?: number | false;
  /** Seconds to wait for a node's lock (0: fail at once). */
  lockTimeout?: number;
  /** apply, destroy: go ahead although the plan leaves running pods without a network. */
  allowPodDisruption?: boolean;
  /** Hidden, for tests: pause between the apply exec and the confirmation (ms). */
  confirmDelay?: number;
  /** diff/apply: remove what nodes that left cluster.yaml left behind (their state, their peers' routes). */
  pruneRemoved?: boolean;
}

/** The confirm window when --confirm is on by default. */
export const DEFAULT_CONFIRM_SECONDS = 60;

/** `60s`, `2m`, `90` (seconds), `1h` → seconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+)(s|m|h)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('must be a duration like 60s, 2m or 90');
  const seconds = Number(m[1]) * (m[2] === 'm' ? 60 : m[2] === 'h' ? 3600 : 1);
  if (seconds > 86400) throw new InvalidArgumentError('must be at most a day');
  return seconds;
}

/** --allow-pod-disruption, shared by apply and destroy. */
export function addAllowPodDisruptionOption(command: Command): Command {
  return command.option(
    '--allow-pod-disruption',
    'go ahead although the plan leaves running pods without a network (their address leaves the node\'s subnet, or their bridge goes); without it such a plan is refused: drain those pods first',
    false,
  );
}

/**
 * apply and destroy refuse a plan that disrupts running pods unless --allow-pod-disruption: the
 * error names every pod and the two ways out (nothing has been changed yet).
 */
export function refusePodDisruption(plan: Plan, options: Pick<PlanCommandOptions, 'allowPodDisruption'>, command: 'apply' | 'destroy', file: string): void {
  if (plan.summary.disruptedPods === undefined || options.allowPodDisruption === true) return;
  throw new UserError(describePodDisruptionRefusal(plan, command, file));
}

/** --lock-timeout, shared by apply and destroy. */
export function addLockOption(command: Command): Command {
  return command.option('--lock-timeout <duration>', "wait this long for a node's lock held by another podnet run (default: fail at once)", parseDuration, 0);
}

/** Who takes the node locks in this run (lock.info on the node). */
export function lockHolder(what: string): { controller: string; pid: number; since: string; what: string } {
  return { controller: hostname(), pid: process.pid, since: new Date().toISOString(), what };
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

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('must be a whole number from 1 to 1000');
  return n;
}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 86400) throw new InvalidArgumentError('must be a number of seconds from more than 0 to 86400');
  return n;
}

/** The SSH transport of a run: --accept-new-hosts and --exec-timeout. */
export function sshTransport(options: Pick<PlanCommandOptions, 'acceptNewHosts' | 'execTimeout'>): SshTransport {
  return new SshTransport({
    acceptNewHosts: options.acceptNewHosts,
    onHostKeyRecorded: (node, recorded) => notice(renderHostKeyRecorded(node, recorded)),
    ...(options.execTimeout !== undefined ? { execTimeoutMs: Math.round(options.execTimeout * 1000) } : {}),
  });
}

function parseLimit(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

export function addRunOptions(command: Command): Command {
  return command
    .argument('<file>', 'the cluster.yaml')
    .option('-l, --limit <nodes>', 'only these nodes (comma-separated names); the other hosts are gathered too: routes point only at hosts that answer, and destroy removes their routes to these nodes', parseLimit)
    .option('-f, --forks <n>', 'how many nodes to work on at once', parsePositive, 10)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('-v, --verbose', 'show every command sent to a node', false)
    .option('--accept-new-hosts', 'record host keys of nodes not yet in known_hosts (like StrictHostKeyChecking=accept-new)', false)
    .option('--exec-timeout <seconds>', 'how long one command on a node may run before the node is reported unreachable (default: ssh.execTimeout, 120)', parseSeconds);
}

/** --out: only on the commands that make a plan apply --plan can take (diff, apply). */
export function addOutOption(command: Command): Command {
  return command.option('--out <plan.json>', 'also save the plan as JSON (for apply --plan)');
}

/** The exit codes of diff, apply --check and destroy --check, for their --help. */
export const PLAN_EXIT_CODES = '0 in sync (nothing to do), 2 changes pending, 1 error (bad input, a node not reached or its gather failed, a conflict, a refusal, an internal error)';

function useColor(): boolean {
  return Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
}

/**
 * Exit code of a plan: 0 in sync, 2 changes pending, 1 when something is in the way (a host not
 * gathered, a conflict, a refusal, or a route waiting for a host not reached — as for an unreachable node).
 */
export function planExitCode(plan: Plan, notGathered: number): number {
  if (notGathered > 0 || plan.summary.conflicts > 0 || plan.summary.refused > 0 || (plan.summary.waiting ?? 0) > 0) return 1;
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
export function renderProblems(gathered: GatherResult): string {
  return [...gathered.problems].map(([node, p]) => `${node}: ${PROBLEM_LABEL[p.status]}: ${escapeControl(p.message)}\n`).join('');
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

export async function runPlanCommand(
  file: string,
  options: PlanCommandOptions,
  mode: 'diff' | 'apply',
  transport: Transport = sshTransport(options),
): Promise<number> {
  const cluster = readCluster(file);
  const saved = options.plan !== undefined ? readSavedPlan(options.plan) : undefined;
  const nodes = [...targetHosts(cluster, options.limit)];
  // Every host is gathered, also outside --limit: routes point only at hosts that answer.
  const everyHost = targetHosts(cluster, undefined);
  const limited = nodes.length !== everyHost.length;
  const json = options.output === 'json';
  const progress = createProgress(process.stderr, everyHost.map((n) => n.name), !json);
  const runOptions: RunOptions = {
    forks: options.forks,
    hooks: progressHooks(options, progress),
    // The pods of every node, in the same one exec: the plan shows the running pods it disrupts.
    gather: { cni: cluster.cni },
  };
  try {
    const gathered = await gatherCluster(cluster, everyHost, transport, runOptions);
    const build: BuildOptions = limited ? { targets: new Set(nodes.map((n) => n.name)) } : {};
    if (options.pruneRemoved === true) {
      const removed = await gatherRemoved(cluster, gathered.observed, transport, runOptions);
      build.pruneRemoved = removed.prune;
      nodes.push(...removed.hosts);
      for (const [name, state] of removed.observed) gathered.observed.set(name, state);
    }
    const clusterPlan = buildClusterState(cluster, gathered.observed, 'present', build);
    // A host outside --limit that was not reached is reported (it is why routes wait), not counted.
    const notGathered = nodes.filter((n) => gathered.problems.has(n.name)).length;
    for (const nodePlan of clusterPlan.plan.nodes) progress.update(nodePlan.node, { kind: 'planned', changes: nodePlan.changes.length });
    if (options.out !== undefined) writeFileSync(options.out, renderPlanJson(clusterPlan.plan));
    const stale = saved !== undefined ? stalePlanReason(saved, clusterPlan.plan) : null;
    if (stale !== null) {
      progress.done();
      throw new UserError(`the saved plan ${options.plan} is stale: ${stale}; nothing was applied — run podnet diff --out again`);
    }
    const applying = mode === 'apply' && !options.check;
    if (!applying) {
      progress.done();
      const code = planExitCode(clusterPlan.plan, notGathered);
      if (json) {
        const report = {
          plan: JSON.parse(renderPlanJson(clusterPlan.plan)) as unknown,
          ...problemsJson(gathered),
          execs: Object.fromEntries(await transport.execCounts()),
        };
        process.stdout.write(escapeJsonControl(JSON.stringify(report, null, 2)) + '\n');
      } else {
        process.stdout.write(renderPlanText(clusterPlan.plan, { color: useColor() }));
        process.stdout.write(renderProblems(gathered));
      }
      return code;
    }
    if (!json) {
      progress.done();
      process.stdout.write(renderPlanText(clusterPlan.plan, { color: useColor() }));
    }
    refusePodDisruption(clusterPlan.plan, options, 'apply', file);
    runOptions.lock = { holder: lockHolder('apply'), timeoutSeconds: options.lockTimeout ?? 0 };
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
    const results = await applyPlan(clusterPlan, nodes, gathered, transport, runOptions);
    progress.done();
    // A converged node whose routes wait for a host not reached says so in the recap.
    const waitingOf = new Map(clusterPlan.plan.nodes.map((n) => [n.node, n.waiting]));
    const allResults = (results.length > 0 ? results : problemResults(gathered)).map((r) => {
      const waiting = waitingOf.get(r.node);
      return waiting !== undefined ? { ...r, waiting } : r;
    });
    if (json) {
      const report = {
        plan: JSON.parse(renderPlanJson(clusterPlan.plan)) as unknown,
        results: allResults,
        execs: Object.fromEntries(await transport.execCounts()),
      };
      process.stdout.write(escapeJsonControl(JSON.stringify(report, null, 2)) + '\n');
    } else {
      process.stdout.write(renderRecap(allResults, { color: useColor() }));
    }
    return allResults.every((r) => r.status === 'converged') && clusterPlan.plan.summary.waiting === undefined ? 0 : 1;
  } finally {
    await transport.close();
  }
}
