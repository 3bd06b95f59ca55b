// The executor: per host ONE exec that runs its steps and re-gathers, hosts in parallel bounded by
// --forks; a failing step is mapped back to its change; then the convergence check (the planner
// run again on what the exec gathered), with a few re-gathers while something is left. It never prints.
import pLimit from 'p-limit';
import { randomBytes } from 'node:crypto';
import type { Change, NodePlan } from '../model/plan.js';
import type { NodeSpec, ObservedState } from '../model/types.js';
import { checkConverged, countOk, replanNode } from '../plan/converged.js';
import { planRollback } from '../plan/rollback.js';
import { changeId, splitPasses, type Pass } from '../plan/make-before-break.js';
import { countChanges } from '../plan/summary.js';
import {
  parseConfirmOutcome,
  parseLockOutcome,
  renderArmTimer,
  renderConfirmCommand,
  renderLockPreamble,
  rollbackDir,
  type LockHolder,
} from '../scripts/confirm-script.js';
import type { ClusterState, NodeState } from '../plan/node-state.js';
import type { GatherOptions } from '../scripts/gather-script.js';
import { describeStep, parseApplyOutcome, renderApplyCommand, renderStateFileCommand, type StateFileWrite } from '../scripts/apply-script.js';
import { recordIsCurrent, stateRecord, type RecordFacts } from '../plan/origin.js';
import { STATE_FILE_PATH, renderStateRecord } from '../state/state-file.js';
import type { ConfirmResult, NodeResult } from '../render/recap.js';
import { describeChange, describeConflict, describeNodePodDisruption, describeRefusal, describeStateFileFailure } from '../render/sentences.js';
import { managedFilePaths } from '../state/node-files.js';
import type { RunHooks } from './events.js';
import { gatherHost, readGathered, type GatherResult } from './gather.js';
import { classifyError, NodeFailedError, problemEvent } from './outcomes.js';
import type { Transport } from './transport.js';

export interface RunOptions {
  forks: number;
  hooks: RunHooks;
  /** Re-gathers after apply while the host has not converged yet, and the pause before each. */
  convergeRetries?: number;
  convergeDelayMs?: number;
  /** Extra sections for every gather: the pods (diff, apply and destroy ask for them; verify does not). */
  gather?: GatherOptions;
  /** --allow-pod-disruption: a node planned again after waiting for its lock may disrupt running pods. */
  allowPodDisruption?: boolean;
  /** Take the node lock (flock) in the apply exec; who takes it, and how long to wait for it. */
  lock?: { holder: LockHolder; timeoutSeconds: number };
  /** apply --confirm: on these nodes, the apply is undone by the node itself unless confirmed in time. */
  confirm?: {
    seconds: number;
    nodes: ReadonlySet<string>;
    /** Pause between the apply exec and the fresh connection (tests break a node's path in it). */
    delayMs?: number;
  };
  /**
   * podnet's state file: what each node's record says besides its objects (time, controller,
   * cluster.yaml). Written on every node whose gather read the state file, in the exec that applies
   * (a converged node only when its record is out of date). Absent: no record is written.
   */
  record?: RecordFacts;
  /**
   * Ctrl-C: once `signal` is aborted no further host is started; the hosts in flight are waited for
   * until they finish or `giveUp` resolves (then they are reported `unknown`).
   */
  interrupt?: { signal: AbortSignal; giveUp: Promise<void> };
  /**
   * Make-before-break (src/plan/make-before-break.ts): apply only this pass of each host's plan.
   * `make`: the host converges but for its breaks, which are left for the break pass; `break`: the
   * rest. `breakOnly`: hosts whose whole plan is a break (torn down after every make).
   */
  pass?: { pass: Pass; breakOnly: ReadonlySet<string> };
}

/** A host's changes in this run (a pass of them, with options.pass), and those left for a later pass. */
function passOf(name: string, changes: readonly Change[], options: RunOptions): { changes: Change[]; leave: Change[] } {
  if (options.pass === undefined) return { changes: [...changes], leave: [] };
  const parts = splitPasses(changes, options.pass.breakOnly.has(name));
  return options.pass.pass === 'make' ? { changes: parts.make, leave: parts.break } : { changes: parts.break, leave: [] };
}

/** A fresh apply id: names the node's rollback directory and timer. */
function newApplyId(): string {
  return `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

function nodeRefusal(nodePlan: NodePlan): string | undefined {
  if (nodePlan.refused) return `refused: ${describeRefusal(nodePlan.node, nodePlan.refused)}`;
  if (nodePlan.conflicts.length > 0) {
    return `conflict: ${nodePlan.conflicts.map((c) => describeConflict(c)).map((c) => `${c.object}: ${c.message}`).join('; ')}`;
  }
  return undefined;
}

/** The one exec of a host's steps, and what came of it: a failed step, or the state it left. */
type StepsOutcome =
  /** armed: the confirm timer was armed before the steps ran (false when the node was locked). */
  | { ok: false; result: NodeResult; armed: boolean }
  | { ok: 'waited' }
  | { ok: true; observed: ObservedState };

/** The state file an apply of `nodePlan` writes on the host, when the run records and the gather read it. */
function stateFileWrite(host: NodeState, nodePlan: NodePlan, options: RunOptions): StateFileWrite | undefined {
  if (options.record === undefined || host.desired === undefined || host.observed.stateFile === undefined) return undefined;
  const record = stateRecord(host.desired, { node: host.host.name, ...(nodePlan.waiting !== undefined ? { waiting: nodePlan.waiting } : {}), conflicts: nodePlan.conflicts }, options.record);
  return { path: options.gather?.stateFile ?? STATE_FILE_PATH, content: renderStateRecord(record) };
}

/**
 * The state file as a change for the rollback of apply --confirm only (it is not part of the plan):
 * a rollback puts the record back as it was before, or removes it when there was none.
 */
function stateFileRollbackChange(path: string, existed: boolean): Change {
  const value = { path, role: 'state-file' as const };
  return existed
    ? { kind: 'file', key: path, action: 'update', before: value, after: value, reason: { code: 'differs' }, steps: [] }
    : { kind: 'file', key: path, action: 'create', after: value, reason: { code: 'missing' }, steps: [] };
}

async function runSteps(
  transport: Transport,
  host: NodeSpec,
  nodePlan: NodePlan,
  filePaths: readonly string[],
  ok: number,
  options: RunOptions,
  applyId: string | undefined,
  stateFile?: { write: StateFileWrite; existed: boolean },
): Promise<StepsOutcome> {
  const { hooks } = options;
  let preamble = options.lock !== undefined ? renderLockPreamble(options.lock) : '';
  if (applyId !== undefined && options.confirm !== undefined) {
    const undo = stateFile !== undefined ? [...nodePlan.changes, stateFileRollbackChange(stateFile.write.path, stateFile.existed)] : nodePlan.changes;
    const rollback = planRollback(undo, rollbackDir(applyId));
    preamble += renderArmTimer({ applyId, seconds: options.confirm.seconds, rollback: rollback.changes, save: rollback.save });
  }
  const command = renderApplyCommand(nodePlan.changes, filePaths, options.gather, preamble, undefined, stateFile?.write);
  const connection = await transport.connect(host);
  hooks.onProgress?.(host.name, { kind: 'applying', changes: nodePlan.changes.length, counts: countChanges(nodePlan.changes) });
  hooks.onCommand?.(host.name, command);
  const result = await connection.exec(command);
  const lock = parseLockOutcome(result.stdout);
  if (lock.state === 'waited') return { ok: 'waited' };
  if (lock.state === 'locked') {
    const error = `the node is locked by another podnet run: ${lock.holder}; nothing was applied (wait with --lock-timeout)`;
    hooks.onProgress?.(host.name, { kind: 'failed', message: error });
    return { ok: false, result: { node: host.name, status: 'failed', changed: 0, ok, error }, armed: false };
  }
  const outcome = parseApplyOutcome(nodePlan.changes, result.stdout, result.stderr);
  if (!outcome.ok && outcome.stateFile === true) {
    const error = describeStateFileFailure(stateFile?.write.path ?? STATE_FILE_PATH, outcome.message);
    hooks.onProgress?.(host.name, { kind: 'failed', message: error });
    return { ok: false, result: { node: host.name, status: 'failed', changed: nodePlan.changes.length, ok, error }, armed: applyId !== undefined };
  }
  if (!outcome.ok) {
    const failedStep = {
      index: outcome.step?.index ?? -1,
      kind: outcome.change?.kind ?? 'link',
      key: outcome.change?.key ?? '?',
      command: outcome.step !== undefined ? describeStep(outcome.step.step) : '?',
      message: outcome.message,
    };
    const what = outcome.change !== undefined ? `${failedStep.kind} ${failedStep.key}` : 'unknown step';
    hooks.onProgress?.(host.name, { kind: 'failed', message: `step ${failedStep.index + 1} (${what}): ${failedStep.message}` });
    // Changes before the failing one ran in full.
    return {
      ok: false,
      result: { node: host.name, status: 'failed', changed: Math.max(0, outcome.step?.change ?? 0), ok, failedStep },
      armed: applyId !== undefined,
    };
  }
  if (result.code !== 0) {
    const how = result.code === null ? `was killed by signal ${result.signal ?? '?'}` : `exited ${result.code}`;
    const stderr = result.stderr.trim();
    throw new NodeFailedError(`the apply command ${how}${stderr ? `: ${stderr}` : ''}`);
  }
  return { ok: true, observed: readGathered(result.stdout, host, filePaths) };
}

async function applyHost(
  state: ClusterState,
  host: NodeState,
  filePaths: readonly string[],
  transport: Transport,
  options: RunOptions,
): Promise<NodeResult> {
  const { hooks } = options;
  const name = host.host.name;
  let part = passOf(name, host.plan.changes, options);
  let nodePlan: NodePlan = { ...host.plan, changes: part.changes };
  let ok = countOk(host);
  const refusal = nodeRefusal(nodePlan);
  if (refusal) {
    hooks.onProgress?.(name, { kind: 'failed', message: refusal });
    return { node: name, status: 'failed', changed: 0, ok, error: refusal };
  }
  if (nodePlan.changes.length === 0) return await convergedHost(transport, host, nodePlan, filePaths, ok, options);
  const confirm = options.confirm !== undefined && options.confirm.nodes.has(name) ? options.confirm : undefined;
  const applyId = confirm !== undefined ? newApplyId() : undefined;
  // Changes that ran: none until the exec comes back, all of them once it reports no failure.
  let changed = 0;
  let armed = false;
  try {
    const stateFileOf = (plan: NodePlan): { write: StateFileWrite; existed: boolean } | undefined => {
      const write = stateFileWrite(host, plan, options);
      return write !== undefined ? { write, existed: host.observed.stateFile?.state !== 'missing' } : undefined;
    };
    let steps = await runSteps(transport, host.host, nodePlan, filePaths, ok, options, applyId, stateFileOf(nodePlan));
    if (steps.ok === 'waited') {
      // Another run held the lock: the node may have changed meanwhile. Plan it again, then apply.
      const observed = await gatherHost(transport, host.host, filePaths, hooks, options.gather);
      const replanned = replanNode(state.cluster, host, observed);
      ok = countOk({ ...host, plan: replanned });
      part = passOf(name, replanned.changes, options);
      nodePlan = { ...replanned, changes: part.changes };
      // Pods started while it waited: refused as the first plan would have been (nothing applied yet).
      const refused =
        nodeRefusal(nodePlan) ?? (nodePlan.disruptedPods !== undefined && options.allowPodDisruption !== true ? describeNodePodDisruption(nodePlan.disruptedPods) : undefined);
      if (refused) {
        hooks.onProgress?.(name, { kind: 'failed', message: refused });
        return { node: name, status: 'failed', changed: 0, ok, error: refused };
      }
      if (nodePlan.changes.length === 0) {
        hooks.onProgress?.(name, { kind: 'converged', changed: 0, ok });
        return { node: name, status: 'converged', changed: 0, ok };
      }
      steps = await runSteps(transport, host.host, nodePlan, filePaths, ok, options, applyId, stateFileOf(nodePlan));
      if (steps.ok === 'waited') throw new NodeFailedError('the node lock was taken again while waiting for it');
    }
    armed = applyId !== undefined && (steps.ok === true || steps.armed);
    if (steps.ok !== true) {
      if (armed && applyId !== undefined) return { ...steps.result, confirm: await rollBackNow(transport, host.host, applyId, 'a step failed', hooks) };
      return steps.result;
    }
    changed = nodePlan.changes.length;
    let observed = steps.observed;
    if (confirm !== undefined) {
      // The path must still work: a NEW connection gathers the state the convergence check reads.
      if (confirm.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, confirm.delayMs));
      await (transport.connectFresh ?? transport.connect).call(transport, host.host);
      observed = await gatherHost(transport, host.host, filePaths, hooks, options.gather);
    }
    // After the make pass the host has converged when only its breaks are left.
    const left = new Set(part.leave.map(changeId));
    const converged = (seen: ObservedState): ReturnType<typeof checkConverged> => {
      const convergence = checkConverged(state.cluster, host, seen);
      if (left.size === 0 || convergence.conflicts.length > 0) return convergence;
      const unmet = convergence.unmet.filter((c) => !left.has(changeId(c)));
      return { ...convergence, unmet, converged: unmet.length === 0 };
    };
    let convergence = converged(observed);
    const retries = options.convergeRetries ?? 3;
    let attempts = 0;
    for (let attempt = 1; !convergence.converged && attempt <= retries; attempt++) {
      attempts = attempt;
      hooks.onProgress?.(name, { kind: 'checking', attempt });
      await new Promise((resolve) => setTimeout(resolve, options.convergeDelayMs ?? 300));
      const observed: ObservedState = await gatherHost(transport, host.host, filePaths, hooks, options.gather);
      convergence = converged(observed);
    }
    if (!convergence.converged) {
      const { unmet, conflicts } = convergence;
      const gaps = [...unmet.map(describeChange), ...conflicts.map((c) => describeConflict(c).object)];
      hooks.onProgress?.(name, { kind: 'failed', message: `not converged: ${gaps.join('; ')}` });
      const error = `applied, but the node has not converged: ${gaps.length} thing(s) left after ${attempts} re-gather(s)`;
      const result: NodeResult = { node: name, status: 'failed', changed, ok, unmet, ...(conflicts.length > 0 ? { blocked: conflicts } : {}), error };
      if (applyId !== undefined) result.confirm = await rollBackNow(transport, host.host, applyId, 'the node did not converge', hooks);
      return result;
    }
    if (applyId !== undefined) {
      const connection = await transport.connect(host.host);
      const command = renderConfirmCommand(applyId);
      hooks.onCommand?.(name, command);
      const outcome = parseConfirmOutcome((await connection.exec(command)).stdout);
      if (outcome !== 'confirmed') {
        const why = 'the node rolled back before the confirmation came (the confirm window is too short?)';
        hooks.onProgress?.(name, { kind: 'failed', message: why });
        return { node: name, status: 'failed', changed, ok, error: why, confirm: { applyId, outcome: 'rolled-back', why } };
      }
      hooks.onProgress?.(name, { kind: 'converged', changed, ok });
      return { node: name, status: 'converged', changed, ok, confirm: { applyId, outcome: 'confirmed' } };
    }
    hooks.onProgress?.(name, { kind: 'converged', changed, ok });
    return { node: name, status: 'converged', changed, ok };
  } catch (err) {
    const problem = classifyError(err);
    hooks.onProgress?.(name, problemEvent(problem));
    const result: NodeResult = { node: name, status: problem.status, changed, ok, error: problem.message };
    if (armed && applyId !== undefined && confirm !== undefined) {
      const at = new Date(Date.now() + confirm.seconds * 1000).toISOString();
      result.confirm = { applyId, outcome: 'rolls-back', why: `not confirmed: ${problem.message}`, at };
    }
    return result;
  }
}

/**
 * A host with nothing to change. When its state file is out of date (missing, damaged, or recording
 * other objects: an older podnet applied it, or it converged by other hands), one exec under the
 * node lock writes it, so the next diff can tell drift there; otherwise no exec at all.
 */
async function convergedHost(transport: Transport, host: NodeState, nodePlan: NodePlan, filePaths: readonly string[], ok: number, options: RunOptions): Promise<NodeResult> {
  const { hooks } = options;
  const name = host.host.name;
  const write = stateFileWrite(host, nodePlan, options);
  if (write !== undefined && host.desired !== undefined && !recordIsCurrent(host.observed.stateFile, host.desired, nodePlan)) {
    try {
      const preamble = options.lock !== undefined ? renderLockPreamble(options.lock) : '';
      const command = renderStateFileCommand(write, preamble, undefined, { paths: filePaths, ...(options.gather?.filesRecord !== undefined ? { record: options.gather.filesRecord } : {}) });
      const connection = await transport.connect(host.host);
      hooks.onCommand?.(name, command);
      const result = await connection.exec(command);
      // Another run holds the lock: it writes the record itself; this node is converged all the same.
      if (parseLockOutcome(result.stdout).state === 'taken') {
        const outcome = parseApplyOutcome([], result.stdout, result.stderr);
        if (!outcome.ok || result.code !== 0) {
          const error = describeStateFileFailure(write.path, outcome.ok ? result.stderr.trim() || `exit ${result.code ?? '?'}` : outcome.message);
          hooks.onProgress?.(name, { kind: 'failed', message: error });
          return { node: name, status: 'failed', changed: 0, ok, error };
        }
      }
    } catch (err) {
      const problem = classifyError(err);
      hooks.onProgress?.(name, problemEvent(problem));
      return { node: name, status: problem.status, changed: 0, ok, error: problem.message };
    }
  }
  hooks.onProgress?.(name, { kind: 'converged', changed: 0, ok });
  return { node: name, status: 'converged', changed: 0, ok };
}

/** Undo an armed apply at once (over a fresh connection); when that fails, the node's timer does it. */
async function rollBackNow(transport: Transport, host: NodeSpec, applyId: string, why: string, hooks: RunHooks): Promise<ConfirmResult> {
  try {
    const connection = await (transport.connectFresh ?? transport.connect).call(transport, host);
    const command = renderConfirmCommand(applyId, true);
    hooks.onCommand?.(host.name, command);
    const outcome = parseConfirmOutcome((await connection.exec(command)).stdout);
    return outcome === 'rolled-back' ? { applyId, outcome: 'rolled-back', why } : { applyId, outcome: 'rolls-back', why };
  } catch (err) {
    return { applyId, outcome: 'rolls-back', why: `${why}; the rollback could not be started: ${classifyError(err).message}` };
  }
}

/** A host podnet never started on because of Ctrl-C. */
function notStarted(name: string, hooks: RunHooks): NodeResult {
  hooks.onProgress?.(name, { kind: 'not-started' });
  return { node: name, status: 'not-started', changed: 0, ok: 0, error: 'interrupted before podnet began on it: nothing changed' };
}

/** A host in flight at Ctrl-C that did not finish while podnet waited. */
function unknownOutcome(name: string, options: RunOptions): NodeResult {
  let error = 'interrupted while podnet was applying: its changes may be partly made; run podnet diff to see';
  if (options.confirm?.nodes.has(name) === true) {
    error += `; unless podnet confirmed it, the node undoes the apply by itself within ${options.confirm.seconds} s (--confirm)`;
  }
  options.hooks.onProgress?.(name, { kind: 'unknown', message: 'interrupted in flight' });
  return { node: name, status: 'unknown', changed: 0, ok: 0, error };
}

/**
 * Apply every host's plan in parallel (bounded by forks) and check that it converged. After Ctrl-C
 * (options.interrupt) hosts not yet started are reported not-started, and those in flight are
 * waited for until options.interrupt.giveUp, then reported unknown.
 */
export async function applyPlan(
  state: ClusterState,
  hosts: readonly NodeSpec[],
  gathered: GatherResult,
  transport: Transport,
  options: RunOptions,
): Promise<NodeResult[]> {
  const limit = pLimit(Math.max(1, options.forks));
  const filePaths = managedFilePaths(state.cluster);
  const interrupt = options.interrupt;
  const results: (NodeResult | undefined)[] = hosts.map(() => undefined);
  const started = hosts.map(() => false);
  const applyOne = async (host: NodeSpec): Promise<NodeResult> => {
    const problem = gathered.problems.get(host.name);
    if (problem !== undefined) return { node: host.name, status: problem.status, changed: 0, ok: 0, error: problem.message };
    const nodeState = state.states.find((s) => s.host.name === host.name);
    if (nodeState === undefined) {
      const message = `no gathered state for ${host.name}`;
      options.hooks.onProgress?.(host.name, { kind: 'error', message });
      return { node: host.name, status: 'error', changed: 0, ok: 0, error: message };
    }
    try {
      return await applyHost(state, nodeState, filePaths, transport, options);
    } catch (err) {
      // countOk or the refusal text threw: a bug, reported on this host alone.
      const problem = { ...classifyError(err), status: 'error' as const };
      options.hooks.onProgress?.(host.name, problemEvent(problem));
      return { node: host.name, status: 'error', changed: 0, ok: 0, error: problem.message };
    }
  };
  const all = Promise.all(
    hosts.map((host, i) =>
      limit(async (): Promise<void> => {
        // After Ctrl-C a host with changes is not started; one found unreachable, or with nothing
        // to do, is reported as it is (that takes no exec).
        const hasChanges = (state.states.find((st) => st.host.name === host.name)?.plan.changes.length ?? 0) > 0;
        if (interrupt?.signal.aborted === true && hasChanges && !gathered.problems.has(host.name)) {
          results[i] = notStarted(host.name, options.hooks);
          return;
        }
        started[i] = true;
        results[i] = await applyOne(host);
      }),
    ),
  );
  await (interrupt !== undefined ? Promise.race([all, interrupt.giveUp]) : all);
  return hosts.map((host, i) => results[i] ?? (started[i] === true ? unknownOutcome(host.name, options) : notStarted(host.name, options.hooks)));
}
