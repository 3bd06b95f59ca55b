// The imperative shell of diff and apply: gather every node (one exec each), plan (pure), apply each
// node's steps (one exec each, which also re-gathers for verify), nodes in parallel bounded by --forks.
// It never prints: progress goes through hooks.
import pLimit from 'p-limit';
import type { NodePlan } from '../model/plan.js';
import type { Cluster, NodeSpec, ObservedState } from '../model/types.js';
import { UserError } from '../model/errors.js';
import { parseGatherOutput, renderGatherCommand, type GatherOptions } from '../scripts/gather-script.js';
import { describeStep, parseApplyOutcome, renderApplyCommand } from '../scripts/apply-script.js';
import { buildClusterState, type ClusterState, type Goal, type NodeState } from '../plan/node-state.js';
import { checkConverged, countOk } from '../plan/converged.js';
import { managedFilePaths } from '../state/node-files.js';
import type { NodeResult } from '../render/recap.js';
import { describeChange, describeConflict, describeRefusal } from '../render/sentences.js';
import type { NodeSessions } from './node-sessions.js';

export type ProgressEvent =
  | { kind: 'connecting' }
  | { kind: 'gathered' }
  | { kind: 'planned'; changes: number }
  | { kind: 'applying'; changes: number }
  | { kind: 'verifying'; attempt: number }
  | { kind: 'converged' }
  | { kind: 'failed'; message: string }
  | { kind: 'unreachable'; message: string };

export interface RunHooks {
  onProgress?(node: string, event: ProgressEvent): void;
  /** Every command sent to a node (for -v), with the text sent on its stdin if any. */
  onCommand?(node: string, command: string): void;
}

export interface RunOptions {
  forks: number;
  hooks: RunHooks;
  /** Verify: extra gathers after apply while facts are still missing, and the pause between them. */
  verifyRetries?: number;
  verifyDelayMs?: number;
  /** Extra sections for every gather (destroy reads the pods). */
  gather?: GatherOptions;
}

/** The nodes a run targets: all, or those named by --limit (unknown names are an error). */
export function targetNodes(cluster: Cluster, limit: readonly string[] | undefined): NodeSpec[] {
  if (!limit || limit.length === 0) return cluster.nodes;
  const known = new Set(cluster.nodes.map((n) => n.name));
  const unknown = limit.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new UserError(`--limit names unknown node(s): ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  }
  const wanted = new Set(limit);
  return cluster.nodes.filter((n) => wanted.has(n.name));
}

/**
 * The hosts diff and apply work on: the targeted nodes, then the router (when cluster.yaml names
 * one) unless --limit leaves it out. The router is reached, gathered and applied like a node.
 */
export function targetHosts(cluster: Cluster, limit: readonly string[] | undefined): NodeSpec[] {
  const router = cluster.router;
  if (router === undefined) return targetNodes(cluster, limit);
  if (!limit || limit.length === 0) return [...cluster.nodes, router];
  const nodeNames = limit.filter((name) => name !== router.name);
  const nodes = nodeNames.length === 0 ? [] : targetNodes(cluster, nodeNames);
  return limit.includes(router.name) ? [...nodes, router] : nodes;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface GatherResult {
  observed: Map<string, ObservedState>;
  unreachable: Map<string, string>;
}

async function gatherNode(
  sessions: NodeSessions,
  node: NodeSpec,
  filePaths: readonly string[],
  hooks: RunHooks,
  gather: GatherOptions = {},
): Promise<ObservedState> {
  const connection = await sessions.connect(node);
  const command = renderGatherCommand(filePaths, gather);
  hooks.onCommand?.(node.name, command);
  const result = await connection.exec(command);
  if (result.code !== 0) {
    throw new Error(`gathering state failed (exit ${result.code ?? result.signal}): ${result.stderr.trim()}`);
  }
  return parseGatherOutput(result.stdout, node.name, node.address, filePaths);
}

export async function gatherCluster(
  cluster: Cluster,
  nodes: readonly NodeSpec[],
  sessions: NodeSessions,
  options: RunOptions,
): Promise<GatherResult> {
  const filePaths = managedFilePaths(cluster);
  const limit = pLimit(Math.max(1, options.forks));
  const observed = new Map<string, ObservedState>();
  const unreachable = new Map<string, string>();
  const { hooks } = options;
  await Promise.all(
    nodes.map((node) =>
      limit(async () => {
        hooks.onProgress?.(node.name, { kind: 'connecting' });
        try {
          observed.set(node.name, await gatherNode(sessions, node, filePaths, hooks, options.gather));
          hooks.onProgress?.(node.name, { kind: 'gathered' });
        } catch (err) {
          unreachable.set(node.name, errorMessage(err));
          hooks.onProgress?.(node.name, { kind: 'unreachable', message: errorMessage(err) });
        }
      }),
    ),
  );
  return { observed, unreachable };
}

/** Plan the gathered hosts: the one node-state value every later step reads. */
export function planGathered(cluster: Cluster, observed: ReadonlyMap<string, ObservedState>, goal: Goal = 'present'): ClusterState {
  return buildClusterState(cluster, observed, goal);
}

function nodeRefusal(nodePlan: NodePlan): string | undefined {
  if (nodePlan.refused) return `refused: ${describeRefusal(nodePlan.node, nodePlan.refused)}`;
  if (nodePlan.conflicts.length > 0) {
    return `conflict: ${nodePlan.conflicts.map((c) => describeConflict(c)).map((c) => `${c.object}: ${c.message}`).join('; ')}`;
  }
  return undefined;
}

async function applyNode(
  cluster: Cluster,
  filePaths: readonly string[],
  state: NodeState,
  sessions: NodeSessions,
  options: RunOptions,
): Promise<NodeResult> {
  const { hooks } = options;
  const node = state.host;
  const nodePlan = state.plan;
  const ok = countOk(state);
  const refusal = nodeRefusal(nodePlan);
  if (refusal) {
    hooks.onProgress?.(node.name, { kind: 'failed', message: refusal });
    return { node: node.name, status: 'failed', changed: 0, ok, error: refusal };
  }
  if (nodePlan.changes.length === 0) {
    hooks.onProgress?.(node.name, { kind: 'converged' });
    return { node: node.name, status: 'converged', changed: 0, ok };
  }
  try {
    const connection = await sessions.connect(node);
    hooks.onProgress?.(node.name, { kind: 'applying', changes: nodePlan.changes.length });
    const command = renderApplyCommand(nodePlan.changes, filePaths, options.gather);
    hooks.onCommand?.(node.name, command);
    const result = await connection.exec(command);
    const outcome = parseApplyOutcome(nodePlan.changes, result.stdout, result.stderr);
    if (!outcome.ok) {
      const index = outcome.step?.index ?? -1;
      const failedStep = {
        index,
        kind: outcome.change?.kind ?? 'link',
        key: outcome.change?.key ?? '?',
        command: outcome.step !== undefined ? describeStep(outcome.step.step) : '?',
        message: outcome.message,
      };
      hooks.onProgress?.(node.name, { kind: 'failed', message: `step ${index + 1} (${failedStep.kind} ${failedStep.key}): ${failedStep.message}` });
      return { node: node.name, status: 'failed', changed: Math.max(0, outcome.step?.change ?? 0), ok, failedStep };
    }
    const changed = nodePlan.changes.length;
    let observed = parseGatherOutput(result.stdout, node.name, node.address, filePaths);
    let convergence = checkConverged(cluster, state, observed);
    const retries = options.verifyRetries ?? 3;
    for (let attempt = 1; !convergence.converged && attempt <= retries; attempt++) {
      hooks.onProgress?.(node.name, { kind: 'verifying', attempt });
      await new Promise((resolve) => setTimeout(resolve, options.verifyDelayMs ?? 300));
      observed = await gatherNode(sessions, node, filePaths, hooks, options.gather);
      convergence = checkConverged(cluster, state, observed);
    }
    if (!convergence.converged) {
      const { unmet, conflicts } = convergence;
      const gaps = [...unmet.map(describeChange), ...conflicts.map((c) => describeConflict(c).object)];
      hooks.onProgress?.(node.name, { kind: 'failed', message: `not converged: ${gaps.join('; ')}` });
      return {
        node: node.name,
        status: 'failed',
        changed,
        ok,
        unmet,
        ...(conflicts.length > 0 ? { blocked: conflicts } : {}),
        error: 'applied, but the node has not converged',
      };
    }
    hooks.onProgress?.(node.name, { kind: 'converged' });
    return { node: node.name, status: 'converged', changed, ok };
  } catch (err) {
    hooks.onProgress?.(node.name, { kind: 'unreachable', message: errorMessage(err) });
    return { node: node.name, status: 'unreachable', changed: 0, ok, error: errorMessage(err) };
  }
}

/** Apply every node's plan in parallel (bounded by forks) and check that it converged. */
export async function applyPlan(
  state: ClusterState,
  nodes: readonly NodeSpec[],
  gathered: GatherResult,
  sessions: NodeSessions,
  options: RunOptions,
): Promise<NodeResult[]> {
  const limit = pLimit(Math.max(1, options.forks));
  const filePaths = managedFilePaths(state.cluster);
  return Promise.all(
    nodes.map((node) =>
      limit(async (): Promise<NodeResult> => {
        const reason = gathered.unreachable.get(node.name);
        const nodeState = state.states.find((s) => s.host.name === node.name);
        if (reason !== undefined || nodeState === undefined) {
          return { node: node.name, status: 'unreachable', changed: 0, ok: 0, error: reason ?? 'no state gathered' };
        }
        return applyNode(state.cluster, filePaths, nodeState, sessions, options);
      }),
    ),
  );
}
