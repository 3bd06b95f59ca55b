// Has a host converged after apply? The same comparison that made the plan answers: the host is
// re-planned against what the apply's own re-gather saw, and it has converged when nothing is left
// to do. (Like nmstate's desired ⊆ current: podnet plans only for what it owns, so routes and
// links the kernel or an admin added do not count.)
import type { Change, Conflict, NodePlan } from '../model/plan.js';
import type { Cluster, DesiredState, ObservedState } from '../model/types.js';
import { desiredRouteValue } from './plan-routes.js';
import { chainKey, ruleKey, ruleValue } from './firewall.js';
import { planDestroyNode } from './destroy.js';
import { destroyHost, planPeerRouteRemoval, type NodeState } from './node-state.js';
import { planNode } from './plan-node.js';
import { addressKey } from './values.js';

/** The host's plan against a fresh observation: empty changes mean it has converged. */
export function replanNode(cluster: Cluster, state: NodeState, observed: ObservedState): NodePlan {
  if (state.pruneRoutesTo !== undefined) return planPeerRouteRemoval(cluster, state.host, state.role, observed, state.pruneRoutesTo);
  if (state.desired === undefined) return planDestroyNode(cluster, destroyHost(cluster, state.host, state.role), observed);
  return planNode(state.desired, observed, state.context ?? { podCidr: cluster.podCidr, nodeAddress: state.host.address });
}

export interface Convergence {
  converged: boolean;
  /** What is still to do on the host. */
  unmet: Change[];
  /** Foreign objects now in the way of desired state. */
  conflicts: Conflict[];
}

/** Whether a host has converged: nothing left to do and nothing foreign in the way. */
export function checkConverged(cluster: Cluster, state: NodeState, observed: ObservedState): Convergence {
  const { changes, conflicts } = replanNode(cluster, state, observed);
  return { converged: changes.length === 0 && conflicts.length === 0, unmet: changes, conflicts };
}

/** The identities (kind + key) of every object of a desired state. */
export function desiredObjectKeys(desired: DesiredState): string[] {
  const keys = ['sysctl net.ipv4.ip_forward'];
  if (desired.bridge !== undefined) keys.push(`link ${desired.bridge.name}`);
  if (desired.address !== undefined) {
    const { local, prefixlen, dev } = desired.address;
    keys.push(`address ${addressKey({ address: `${local}/${prefixlen}`, dev })}`);
  }
  for (const route of desired.routes) keys.push(`route ${desiredRouteValue(route).dst}`);
  for (const file of desired.files) keys.push(`file ${file.path}`);
  for (const chain of desired.firewall?.chains ?? []) keys.push(`chain ${chainKey({ table: chain.table, chain: chain.name })}`);
  for (const rule of desired.firewall?.rules ?? []) keys.push(`rule ${ruleKey(ruleValue(rule))}`);
  return keys;
}

/**
 * How many desired objects already held before the run (Ansible's "ok"): those the plan neither
 * creates nor updates and that no foreign object blocks. Destroy desires nothing: 0.
 */
export function countOk(state: NodeState): number {
  if (state.desired === undefined) return 0;
  const notOk = new Set([
    // Stryker disable next-line MethodExpression: a plan deletes only what is not desired (stale routes, addresses, old bridges, chains, rules), keyed apart from every desired object, so leaving deletes in changes nothing
    ...state.plan.changes.filter((c) => c.action !== 'delete').map((c) => `${c.kind} ${c.key}`),
    ...state.plan.conflicts.map((c) => `${c.kind} ${c.key}`),
    // A route held back for a host not reached is not "ok": it is not set.
    ...(state.plan.waiting ?? []).map((w) => `${w.kind} ${w.key}`),
  ]);
  return desiredObjectKeys(state.desired).filter((key) => !notOk.has(key)).length;
}
