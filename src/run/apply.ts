// The executor: per host ONE exec that runs its steps and re-gathers, hosts in parallel bounded by
// --forks; a failing step is mapped back to the plan; then the convergence check (desired ⊆
// observed), with a few re-gathers while something is still missing. It never prints.
import pLimit from 'p-limit';
import type { Cluster, NodePlan, NodeSpec, ObservedState } from '../model/types.js';
import type { GatherOptions } from '../scripts/gather-script.js';
import { parseApplyOutcome, renderApplyCommand } from '../scripts/apply-script.js';
import type { NodeResult } from '../render/recap.js';
import type { RunHooks } from './events.js';
import { gatherHost, readGathered, type GatherResult } from './gather.js';
import { clusterFilePaths, desiredConvergence, type ClusterPlan, type ConvergenceCheck } from './node-states.js';
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
  /** What "converged" means instead of desired ⊆ observed (destroy: nothing podnet owns is left). */
  convergence?: ConvergenceCheck;
}

function nodeRefusal(nodePlan: NodePlan): string | undefined {
  if (nodePlan.refused) return `refused: ${nodePlan.refused}`;
  if (nodePlan.conflicts.length > 0) return `conflict: ${nodePlan.conflicts.map((c) => `${c.object}: ${c.message}`).join('; ')}`;
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
      index: outcome.stepIndex,
      object: outcome.change?.object ?? '?',
      command: outcome.change?.argv.join(' ') ?? '?',
      message: outcome.message,
    };
    hooks.onProgress?.(host.name, { kind: 'failed', message: `step ${failedStep.index + 1} (${failedStep.object}): ${failedStep.message}` });
    return { ok: false, result: { node: host.name, status: 'failed', changed: Math.max(0, outcome.stepIndex), ok, failedStep } };
  }
  if (result.code !== 0) {
    const how = result.code === null ? `was killed by signal ${result.signal ?? '?'}` : `exited ${result.code}`;
    const stderr = result.stderr.trim();
    throw new NodeFailedError(`the apply command ${how}${stderr ? `: ${stderr}` : ''}`);
  }
  return { ok: true, observed: readGathered(result.stdout, host, filePaths) };
}

async function applyHost(
  filePaths: readonly string[],
  host: NodeSpec,
  nodePlan: NodePlan,
  check: ConvergenceCheck,
  before: ObservedState,
  transport: Transport,
  options: RunOptions,
): Promise<NodeResult> {
  const { hooks } = options;
  const ok = check.ok(host, before);
  const refusal = nodeRefusal(nodePlan);
  if (refusal) {
    hooks.onProgress?.(host.name, { kind: 'failed', message: refusal });
    return { node: host.name, status: 'failed', changed: 0, ok, error: refusal };
  }
  if (nodePlan.changes.length === 0) {
    hooks.onProgress?.(host.name, { kind: 'converged' });
    return { node: host.name, status: 'converged', changed: 0, ok };
  }
  // Steps that ran: none until the exec comes back, all of them once it reports no failure.
  let changed = 0;
  try {
    const steps = await runSteps(transport, host, nodePlan, filePaths, ok, options);
    if (!steps.ok) return steps.result;
    changed = nodePlan.changes.length;
    let observed = steps.observed;
    let unmet = check.unmet(host, observed);
    const retries = options.convergeRetries ?? 3;
    let attempts = 0;
    for (let attempt = 1; unmet.length > 0 && attempt <= retries; attempt++) {
      attempts = attempt;
      hooks.onProgress?.(host.name, { kind: 'checking', attempt });
      await new Promise((resolve) => setTimeout(resolve, options.convergeDelayMs ?? 300));
      observed = await gatherHost(transport, host, filePaths, hooks, options.gather);
      unmet = check.unmet(host, observed);
    }
    if (unmet.length > 0) {
      hooks.onProgress?.(host.name, { kind: 'failed', message: `not converged: ${unmet.join('; ')}` });
      const error = `applied, but the node has not converged: ${unmet.length} check(s) unmet after ${attempts} re-gather(s)`;
      return { node: host.name, status: 'failed', changed, ok, unmet, error };
    }
    hooks.onProgress?.(host.name, { kind: 'converged' });
    return { node: host.name, status: 'converged', changed, ok };
  } catch (err) {
    const problem = classifyError(err);
    hooks.onProgress?.(host.name, problemEvent(problem));
    return { node: host.name, status: problem.status, changed, ok, error: problem.message };
  }
}

/** Apply every host's plan in parallel (bounded by forks) and check that it converged. */
export async function applyPlan(
  cluster: Cluster,
  hosts: readonly NodeSpec[],
  clusterPlan: ClusterPlan,
  gathered: GatherResult,
  transport: Transport,
  options: RunOptions,
): Promise<NodeResult[]> {
  const limit = pLimit(Math.max(1, options.forks));
  const filePaths = clusterFilePaths(cluster);
  return Promise.all(
    hosts.map((host) =>
      limit(async (): Promise<NodeResult> => {
        const problem = gathered.problems.get(host.name);
        if (problem !== undefined) return { node: host.name, status: problem.status, changed: 0, ok: 0, error: problem.message };
        const nodePlan = clusterPlan.plan.nodes.find((p) => p.node === host.name);
        const desired = clusterPlan.desired.get(host.name);
        const before = gathered.observed.get(host.name);
        const check = options.convergence ?? (desired !== undefined ? desiredConvergence(desired) : undefined);
        if (!nodePlan || !check || !before) {
          const message = `no ${!before ? 'gathered state' : !nodePlan ? 'plan' : 'desired state'} for ${host.name}`;
          options.hooks.onProgress?.(host.name, { kind: 'error', message });
          return { node: host.name, status: 'error', changed: 0, ok: 0, error: message };
        }
        try {
          return await applyHost(filePaths, host, nodePlan, check, before, transport, options);
        } catch (err) {
          // check.ok or the refusal text threw: a bug, reported on this host alone.
          const problem = { ...classifyError(err), status: 'error' as const };
          options.hooks.onProgress?.(host.name, problemEvent(problem));
          return { node: host.name, status: 'error', changed: 0, ok: 0, error: problem.message };
        }
      }),
    ),
  );
}
