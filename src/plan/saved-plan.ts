// A plan saved by `podnet diff --out` is applied by `podnet apply --plan` only while it still says
// exactly what a fresh plan says (Terraform refuses a stale saved plan the same way): the nodes
// were gathered again, and any difference means their state or cluster.yaml changed since.
import type { Plan } from '../model/types.js';
import { renderPlanJson } from '../render/render-plan.js';

interface CanonicalNode {
  node: string;
  [key: string]: unknown;
}

function canonicalNodes(plan: Plan): CanonicalNode[] {
  return (JSON.parse(renderPlanJson(plan)) as { nodes: CanonicalNode[] }).nodes;
}

/** Why `saved` no longer matches `fresh` (naming the first node that differs), or null when it does. */
export function stalePlanReason(saved: Plan, fresh: Plan): string | null {
  const before = canonicalNodes(saved);
  const now = canonicalNodes(fresh);
  const names = (nodes: CanonicalNode[]): string => nodes.map((n) => n.node).join(', ');
  if (names(before) !== names(now)) return `it covers ${names(before) || 'no node'}, this run covers ${names(now) || 'no node'}`;
  for (const [i, node] of before.entries()) {
    const other = now[i];
    if (JSON.stringify(node) === JSON.stringify(other)) continue;
    const count = (n: CanonicalNode | undefined): number => (Array.isArray(n?.['changes']) ? n['changes'].length : 0);
    return `${node.node} changed since it was planned (saved: ${count(node)} change(s), now: ${count(other)})`;
  }
  return null;
}
