// The plan's counts: objects to add, change and destroy (one change is one object), conflicts and
// refused nodes. Counted from actions, never from display text.
import type { NodePlan, Plan, PlanSummary } from '../model/plan.js';

export function summarisePlan(nodes: readonly NodePlan[]): PlanSummary {
  const summary: PlanSummary = { add: 0, change: 0, destroy: 0, conflicts: 0, refused: 0 };
  for (const node of nodes) {
    for (const change of node.changes) {
      if (change.action === 'create') summary.add++;
      else if (change.action === 'update') summary.change++;
      else summary.destroy++;
    }
    summary.conflicts += node.conflicts.length;
    if (node.refused !== undefined) summary.refused++;
  }
  return summary;
}

/**
 * The plan of a run that targeted `nodes` hosts, `notReached` of which could not be gathered (so
 * they have no place in the plan): its summary says it is incomplete. Unchanged when all were read.
 */
export function withReach(plan: Plan, nodes: number, notReached: number): Plan {
  if (notReached === 0) return plan;
  return { ...plan, summary: { ...plan.summary, incomplete: { notReached, nodes } } };
}
