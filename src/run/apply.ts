// The executor: per host ONE exec that runs its steps and re-gathers, hosts in parallel bounded by
// --forks; a failing step is mapped back to its change; then the convergence check (the planner
// run again on what the exec gathered), with a few re-gathers while something is left. It never prints.
import pLimit from 'p-limit';
import type { NodePlan } from '../model/plan.js';
import type { NodeSpec, ObservedState } from '../model/types.js';
import { checkConverged, countOk } from '../plan/converged.js';
import type { ClusterState, NodeState } from '../plan/node-state.js';
import type { GatherOptions } from '../scripts/gather-script.js';
import { describeStep, parseApplyOutcome, renderApplyCommand } from '../scripts/apply-script.js';
import type { NodeResult } from '../render/recap.js';
import { describeChange, describeConflict, describeRefusal } from '../render/sentences.js';
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
  /** Extra sections for every gather (destroy reads the pods). */
  gather?: GatherOptions;
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
  | { ok: false; result: NodeResult }
  | { ok: true; observed: ObservedState };

async function runSteps(
  transport: Transport,
  host: NodeSpec,
  nodePlan: NodePlan,
  filePaths: readonly string[],
  ok: number,
  options: RunOptions,
): Promise<StepsOutcome> {
  const { hooks } = options;
  const command = renderApplyCommand(nodePlan.changes, filePaths, options.gather);
  const connection = await transport.connect(host);
  hooks.onProgress?.(host.name, { kind: 'applying', changes: nodePlan.changes.length });
  hooks.onCommand?.(host.name, command);
  const result = await connection.exec(command);
  const outcome = parseApplyOutcome(nodePlan.changes, result.stdout, result.stderr);
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
    return { ok: false, result: { node: host.name, status: 'failed', changed: Math.max(0, outcome.step?.change ?? 0), ok, failedStep } };
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
  const nodePlan = host.plan;
  const ok = countOk(host);
  const refusal = nodeRefusal(nodePlan);
  if (refusal) {
    hooks.onProgress?.(name, { kind: 'failed', message: refusal });
    return { node: name, status: 'failed', changed: 0, ok, error: refusal };
  }
  if (nodePlan.changes.length === 0) {
    hooks.onProgress?.(name, { kind: 'converged' });
    return { node: name, status: 'converged', changed: 0, ok };
  }
  // Changes that ran: none until the exec comes back, all of them once it reports no failure.
  let changed = 0;
  try {
    const steps = await runSteps(transport, host.host, nodePlan, filePaths, ok, options);
    if (!steps.ok) return steps.result;
    changed = nodePlan.changes.length;
    let convergence = checkConverged(state.cluster, host, steps.observed);
    const retries = options.convergeRetries ?? 3;
    let attempts = 0;
    for (let attempt = 1; !convergence.converged && attempt <= retries; attempt++) {
      attempts = attempt;
      hooks.onProgress?.(name, { kind: 'checking', attempt });
      await new Promise((resolve) => setTimeout(resolve, options.convergeDelayMs ?? 300));
      const observed: ObservedState = await gatherHost(transport, host.host, filePaths, hooks, options.gather);
      convergence = checkConverged(state.cluster, host, observed);
    }
    if (!convergence.converged) {
      const { unmet, conflicts } = convergence;
      const gaps = [...unmet.map(describeChange), ...conflicts.map((c) => describeConflict(c).object)];
      hooks.onProgress?.(name, { kind: 'failed', message: `not converged: ${gaps.join('; ')}` });
      const error = `applied, but the node has not converged: ${gaps.length} thing(s) left after ${attempts} re-gather(s)`;
      return { node: name, status: 'failed', changed, ok, unmet, ...(conflicts.length > 0 ? { blocked: conflicts } : {}), error };
    }
    hooks.onProgress?.(name, { kind: 'converged' });
    return { node: name, status: 'converged', changed, ok };
  } catch (err) {
    const problem = classifyError(err);
    hooks.onProgress?.(name, problemEvent(problem));
    return { node: name, status: problem.status, changed, ok, error: problem.message };
  }
}

/** Apply every host's plan in parallel (bounded by forks) and check that it converged. */
export async function applyPlan(
  state: ClusterState,
  hosts: readonly NodeSpec[],
  gathered: GatherResult,
  transport: Transport,
  options: RunOptions,
): Promise<NodeResult[]> {
  const limit = pLimit(Math.max(1, options.forks));
  const filePaths = managedFilePaths(state.cluster);
  return Promise.all(
    hosts.map((host) =>
      limit(async (): Promise<NodeResult> => {
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
      }),
    ),
  );
}
