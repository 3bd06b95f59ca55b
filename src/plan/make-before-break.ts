// Cluster-wide make-before-break (issue 14): when one host's new routes or addresses take over the
// traffic of another host's old ones — a node's subnet moves, a node joins or leaves, the routing
// mode switches — every host first makes what is new (routes, addresses: the "make" pass), and only
// once every host has done so are the old routes and addresses deleted anywhere (the "break" pass).
// Pure: which changes of a node may wait for the break pass, and whether a plan needs two passes
// at all. A plan without such a dependency (converged, from scratch, a change on one host) keeps
// ONE exec per host, in the planner's order.
import { parseIpv4Cidr, rangesOverlap, type Ipv4Range } from '../model/ipv4.js';
import type { Change, Plan } from '../model/plan.js';

export type Pass = 'make' | 'break';

/** A host's changes in the two passes, each in the planner's order. */
export interface PassChanges {
  make: Change[];
  break: Change[];
}

/** The network of `10.244.1.1/24`: 10.244.1.0/24 (null: not IPv4). */
function networkOf(address: string): Ipv4Range | null {
  return parseIpv4Cidr(address);
}

/** A route or address created or updated: new traffic can flow over it. */
export function isMake(change: Change): boolean {
  if (change.kind === 'route') return change.action !== 'delete';
  if (change.kind === 'address') return change.action === 'create';
  return false;
}

/**
 * The changes of one host that may wait for the break pass: podnet's stale routes and bridge
 * addresses, deleted. Not those another change of the same host needs gone first: a route to the
 * network of an address the host adds (the address's connected route takes that destination), an
 * address on a link the plan deletes (it goes with the link), an address whose network overlaps
 * one the host adds (the new one could be a secondary of the old, and go with it).
 */
export function deferrable(changes: readonly Change[]): boolean[] {
  const added: Ipv4Range[] = [];
  const deletedLinks = new Set<string>();
  for (const change of changes) {
    if (change.kind === 'address' && change.action === 'create' && change.after !== undefined) {
      const range = networkOf(change.after.address);
      if (range !== null) added.push(range);
    }
    if (change.kind === 'link' && change.action === 'delete') deletedLinks.add(change.key);
  }
  return changes.map((change) => {
    if (change.action !== 'delete') return false;
    if (change.kind === 'route') {
      const dst = change.before?.dst ?? change.key;
      const range = parseIpv4Cidr(dst);
      if (range === null) return dst !== 'default';
      return !added.some((a) => a.base === range.base && a.prefix === range.prefix);
    }
    if (change.kind === 'address') {
      if (change.before === undefined || deletedLinks.has(change.before.dev)) return false;
      const range = networkOf(change.before.address);
      return range !== null && !added.some((a) => rangesOverlap(a, range));
    }
    return false;
  });
}

/**
 * A host's changes split into the two passes. `breakOnly`: the whole plan is a break (a host that
 * left cluster.yaml and is torn down, a peer whose routes to it go): it runs after every make.
 */
export function splitPasses(changes: readonly Change[], breakOnly = false): PassChanges {
  if (breakOnly) return { make: [], break: [...changes] };
  const waits = deferrable(changes);
  return { make: changes.filter((_, i) => !waits[i]), break: changes.filter((_, i) => waits[i]) };
}

/**
 * Whether the plan needs the two passes: some host deletes a route or address that may wait
 * (deferrable), and ANOTHER host makes a route or an address. Then traffic the old object carried
 * may need the new one, elsewhere: without the passes the delete could run first. Hosts whose plan
 * is a break as a whole (`breakOnly`, by name) count as deleting.
 */
export function needsPasses(plan: Plan, breakOnly: ReadonlySet<string> = new Set()): boolean {
  // Nothing deleted anywhere (from scratch, converged, a node joining): settled by the summary.
  if (plan.summary.destroy === 0 && breakOnly.size === 0) return false;
  const applied = plan.nodes.filter((node) => node.refused === undefined && node.conflicts.length === 0);
  // Most plans delete nothing (from scratch, converged, a node joining): one cheap look settles them.
  const breakers = new Set<string>();
  for (const node of applied) {
    if (breakOnly.has(node.node)) {
      if (node.changes.length > 0) breakers.add(node.node);
    } else if (node.changes.some((c) => c.action === 'delete' && (c.kind === 'route' || c.kind === 'address')) && deferrable(node.changes).some(Boolean)) {
      breakers.add(node.node);
    }
  }
  if (breakers.size === 0) return false;
  return applied.some((node) => !breakOnly.has(node.node) && node.changes.some(isMake) && (breakers.size > 1 || !breakers.has(node.node)));
}

/** The identity of a change, to tell whether what is left after the make pass is exactly its breaks. */
export function changeId(change: Change): string {
  return `${change.action} ${change.kind} ${change.key}`;
}
