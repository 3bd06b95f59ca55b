// The plan's counts: objects to add, change and destroy (one change is one object), conflicts and
// refused nodes; routes waiting for hosts not reached (only when there are any). Counted from actions, never from display text.
import type { NodePlan, PlanSummary } from '../model/plan.js';

export function summarisePlan(nodes: readonly NodePlan[]): PlanSummary {
  const summary: PlanSummary = { add: 0, change: 0, destroy: 0, conflicts: 0, refused: 0 };
  let waiting = 0;
  for (const node of nodes) {
    for (const change of node.changes) {
      if (change.action === 'create') summary.add++;
      else if (change.action === 'update') summary.change++;
      else summary.destroy++;
    }
    summary.conflicts += node.conflicts.length;
    if (node.refused !== undefined) summary.refused++;
    waiting += node.waiting?.length ?? 0;
  }
  if (waiting > 0) summary.waiting = waiting;
  return summary;
}
