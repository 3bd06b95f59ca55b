// A plan saved by `podnet diff --out` is applied by `podnet apply --plan` only while it still says
// exactly what a fresh plan says (Terraform refuses a stale saved plan the same way): the nodes
// were gathered again, and any difference means their state or cluster.yaml changed since.
// Plans are compared as data — each change's kind, key, action, before, after and steps, each
// conflict's code and key, the refusal, the pods it disrupts — never as text, so rewording a message stales nothing.
import { canonicalJson } from '../model/canonical.js';
import type { Change, NodePlan, Plan } from '../model/plan.js';

/** What must match for a saved node plan to still hold. */
function essence(node: NodePlan): { changes: string[]; conflicts: string; refused: string; pods: string; waiting: string } {
  return {
    // Absent and empty are the same (the planner writes neither field when it would be empty).
    pods: canonicalJson(node.disruptedPods ?? null),
    waiting: canonicalJson(node.waiting ?? null),
    changes: node.changes.map((c: Change) => canonicalJson({ kind: c.kind, key: c.key, action: c.action, before: c.before, after: c.after, steps: c.steps })),
    conflicts: canonicalJson(node.conflicts),
    refused: canonicalJson(node.refused ?? null),
  };
}

/** Why `saved` no longer matches `fresh` (naming the first node and object that differ), or null when it does. */
export function stalePlanReason(saved: Plan, fresh: Plan): string | null {
  const names = (plan: Plan): string => plan.nodes.map((n) => n.node).join(', ');
  if (names(saved) !== names(fresh)) return `it covers ${names(saved) || 'no node'}, this run covers ${names(fresh) || 'no node'}`;
  for (const [i, node] of saved.nodes.entries()) {
    const other = fresh.nodes[i] as NodePlan;
    const was = essence(node);
    const now = essence(other);
    const count = `saved: ${node.changes.length} change(s), now: ${other.changes.length}`;
    // The first change that differs, in the saved plan or, past its end, in the fresh one: a
    // difference in length is always one of these.
    const differing = node.changes.find((c, j) => was.changes[j] !== now.changes[j]) ?? other.changes.find((_, j) => was.changes[j] !== now.changes[j]);
    if (differing !== undefined) return `${node.node} changed since it was planned: ${differing.kind} ${differing.key} (${count})`;
    if (was.conflicts !== now.conflicts) return `${node.node} has other conflicts than when it was planned (${count})`;
    if (was.refused !== now.refused) return `${node.node}'s management path changed since it was planned`;
    if (was.pods !== now.pods) return `${node.node}'s running pods that the plan disrupts changed since it was planned (saved: ${node.disruptedPods?.length ?? 0}, now: ${other.disruptedPods?.length ?? 0})`;
    if (was.waiting !== now.waiting) return `${node.node} waits for other hosts than when it was planned`;
  }
  return null;
}
