// Where the run meets the pure planner: plan the gathered hosts, keep each host's desired state,
// and the convergence check (desired ⊆ observed) apply runs afterwards. The calls into
// plan/ and state/ live here so that the run's other files only move data around.
import type { Cluster, DesiredState, NodeSpec, ObservedState, Plan } from '../model/types.js';
import { planCluster } from '../plan/plan.js';
import { allocateSubnets } from '../state/subnets.js';
import { desiredState, routerDesiredState } from '../state/desired.js';
import { unmetDesired } from '../plan/converged.js';
import { managedFilePaths } from '../state/node-files.js';

export interface ClusterPlan {
  plan: Plan;
  desired: Map<string, DesiredState>;
}

/** The files podnet manages on every host (gather reads them, apply writes them). */
export function clusterFilePaths(cluster: Cluster): string[] {
  return managedFilePaths(cluster);
}

/** Plan the gathered hosts; each host's desired state is kept for the convergence check. */
export function planGathered(cluster: Cluster, observed: ReadonlyMap<string, ObservedState>): ClusterPlan {
  const plan = planCluster(cluster, observed);
  const { subnets } = allocateSubnets(cluster, observed);
  const desired = new Map<string, DesiredState>();
  for (const nodePlan of plan.nodes) {
    const state = nodePlan.role === 'router' ? routerDesiredState(cluster, subnets) : desiredState(cluster, subnets, nodePlan.node);
    desired.set(nodePlan.node, state);
  }
  return { plan, desired };
}

/** The check apply runs on a host afterwards, and the "ok" count of the recap. */
export interface ConvergenceCheck {
  /** What is still wrong on the host, one line each; empty once it has converged. */
  unmet(host: NodeSpec, observed: ObservedState): string[];
  /** How many facts already held before the run. */
  ok(host: NodeSpec, before: ObservedState): number;
}

const EMPTY_OBSERVED = (node: string): ObservedState => ({
  node,
  links: [],
  addresses: [],
  routes: [],
  ipForward: null,
  files: [],
  firewall: { available: true, chains: [], rules: [] },
});

/** How many desired facts already held before the run (Ansible's "ok"). */
export function countOk(desired: DesiredState, before: ObservedState): number {
  const total = unmetDesired(desired, EMPTY_OBSERVED(desired.node)).length;
  return total - unmetDesired(desired, before).length;
}

/** The default convergence check: every desired fact present (desired ⊆ observed). */
export function desiredConvergence(desired: DesiredState): ConvergenceCheck {
  return { unmet: (_host, observed) => unmetDesired(desired, observed), ok: (_host, before) => countOk(desired, before) };
}
