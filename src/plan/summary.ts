// The plan's counts: objects to add, change and destroy (one change is one object), conflicts and
// refused nodes; drift (changes whose origin is drift) once the nodes' state files were read; and, when there are any, the running pods the plan disrupts and the routes waiting for hosts not
// reached. Counted from actions, never from display text. The same counts are what progress shows per node
// and what the recap's `changed` adds up to.
import type { Change, ChangeCounts, NodePlan, Plan, PlanSummary } from '../model/plan.js';

/** The objects of these changes to add, change and destroy. */
export function countChanges(changes: readonly Change[]): ChangeCounts {
  const counts: ChangeCounts = { add: 0, change: 0, destroy: 0 };
  for (const change of changes) {
    if (change.action === 'create') counts.add++;
    else if (change.action === 'update') counts.change++;
    else counts.destroy++;
  }
  return counts;
}

export function summarisePlan(nodes: readonly NodePlan[]): PlanSummary {
  const summary: PlanSummary = { add: 0, change: 0, destroy: 0, conflicts: 0, refused: 0 };
  let disruptedPods = 0;
  let waiting = 0;
  let drift = 0;
  // Origins are known once a node's state file was read (lastApply); drift is counted then, 0 included.
  let originsKnown = false;
  for (const node of nodes) {
    if (node.lastApply !== undefined) originsKnown = true;
    for (const change of node.changes) if (change.origin === 'drift') drift++;
    const counts = countChanges(node.changes);
    summary.add += counts.add;
    summary.change += counts.change;
    summary.destroy += counts.destroy;
    summary.conflicts += node.conflicts.length;
    if (node.refused !== undefined) summary.refused++;
    disruptedPods += node.disruptedPods?.length ?? 0;
    waiting += node.waiting?.length ?? 0;
  }
  if (disruptedPods > 0) summary.disruptedPods = disruptedPods;
  if (waiting > 0) summary.waiting = waiting;
  if (originsKnown) summary.drift = drift;
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
