// The plan's counts: objects to add, change and destroy (one change is one object), conflicts and
// refused nodes; and, when there are any, the running pods the plan disrupts and the routes waiting for hosts not
// reached. Counted from actions, never from display text.
import type { NodePlan, PlanSummary } from '../model/plan.js';

export function summarisePlan(nodes: readonly NodePlan[]): PlanSummary {
  const summary: PlanSummary = { add: 0, change: 0, destroy: 0, conflicts: 0, refused: 0 };
  let disruptedPods = 0;
  let waiting = 0;
  for (const node of nodes) {
    for (const change of node.changes) {
      if (change.action === 'create') summary.add++;
      else if (change.action === 'update') summary.change++;
      else summary.destroy++;
    }
    summary.conflicts += node.conflicts.length;
    if (node.refused !== undefined) summary.refused++;
    disruptedPods += node.disruptedPods?.length ?? 0;
    waiting += node.waiting?.length ?? 0;
  }
  if (disruptedPods > 0) summary.disruptedPods = disruptedPods;
  if (waiting > 0) summary.waiting = waiting;
  return summary;
}
