// The one pure step of every run: (cluster, gathered observations) → for every host its desired
// state, its observed state and its plan. diff, apply, its convergence check, destroy, verify's
// diagnosis and the pod commands all read this value; nothing else derives desired state.
import type { NodePlan, Plan, Reason, Warning } from '../model/plan.js';
import { PLAN_FORMAT_VERSION } from '../model/plan.js';
import { UserError } from '../model/errors.js';
import type { Cluster, DesiredState, HostRole, NodeSpec, ObservedState } from '../model/types.js';
import { desiredState, routerDesiredState } from '../state/desired.js';
import { planDestroyNode, type DestroyHost } from './destroy.js';
import { ManagementGuard } from './management-guard.js';
import { planNode, type PlanContext } from './plan-node.js';
import { findRemovedNodes, holdsAddress, planSubnets, removedRoutes, scanHosts, type RemovedNode } from './reach.js';
import { summarisePlan } from './summary.js';
import { isPodnetRoute } from '../state/ownership.js';
import { routeDeleteStep, routeKey, routeValue } from './values.js';

/** What a run wants of the hosts: podnet's objects in place (diff, apply), or gone (destroy). */
export type Goal = 'present' | 'absent';

export interface NodeState {
  /** How to reach the host (the router too: it has no subnet). */
  host: NodeSpec;
  role: HostRole;
  /** Absent when the goal is `absent` (destroy wants nothing of podnet left). */
  desired?: DesiredState;
  observed: ObservedState;
  plan: NodePlan;
  /** What the host was planned with (the convergence check plans again with the same). */
  context?: PlanContext;
  /**
   * destroy --limit, on a peer of the destroyed nodes: only podnet's routes to these destinations
   * go (their pod subnets), nothing else of the peer is touched.
   */
  pruneRoutesTo?: { dst: string; peer: string }[];
}

export interface BuildOptions {
  /**
   * The hosts to plan (--limit). The other gathered hosts were gathered only to learn whether they
   * answer (routes point only at hosts that do), and for destroy to remove their routes to the
   * destroyed nodes. Default: every gathered host.
   */
  targets?: ReadonlySet<string>;
  /**
   * apply --prune-removed: remove what nodes that left cluster.yaml left behind. `hosts` holds, by
   * removed address, the state gathered there (reached with the cluster's default SSH settings),
   * or why it could not be.
   */
  pruneRemoved?: { hosts: ReadonlyMap<string, { observed: ObservedState } | { problem: string }> };
}

export interface ClusterState {
  cluster: Cluster;
  goal: Goal;
  /** The gathered hosts in cluster order, the router last. */
  states: NodeState[];
  plan: Plan;
}

/** Every host podnet plans for: the nodes, then the router when cluster.yaml names one. */
function hostsOf(cluster: Cluster): { host: NodeSpec; role: HostRole }[] {
  const router = cluster.router !== undefined ? [{ host: cluster.router as NodeSpec, role: 'router' as const }] : [];
  return [...cluster.nodes.map((host) => ({ host, role: 'node' as const })), ...router];
}

/** The gathered hosts to plan, in cluster order (the router last): every one, or those of `targets` (--limit). */
function targetedHosts(cluster: Cluster, observed: ReadonlyMap<string, ObservedState>, targets: ReadonlySet<string> | undefined): { host: NodeSpec; role: HostRole }[] {
  if (targets === undefined) return hostsOf(cluster).filter(({ host }) => observed.has(host.name));
  // --limit: the few targets are picked out of the nodes without a value made for every node.
  const found: { host: NodeSpec; role: HostRole }[] = [];
  for (const host of cluster.nodes) if (targets.has(host.name) && observed.has(host.name)) found.push({ host, role: 'node' });
  const router = cluster.router;
  if (router !== undefined && targets.has(router.name) && observed.has(router.name)) found.push({ host: router as NodeSpec, role: 'router' });
  return found;
}

/**
 * Plans every gathered host (`present`): allocates subnets (keeping observed ones), derives each
 * host's desired state and plans it. A node left without a subnet makes the whole plan impossible
 * (its peers could not route to it): UserError. For `absent` (destroy) each host's plan removes
 * everything podnet owns there.
 *
 * Routes point only at hosts reached in this run (see reach.ts and plan-routes.ts); nodes that left
 * cluster.yaml are reported as a warning, or with --prune-removed (`options.pruneRemoved`) removed.
 */
export function buildClusterState(cluster: Cluster, observed: ReadonlyMap<string, ObservedState>, goal: Goal = 'present', options: BuildOptions = {}): ClusterState {
  const targeted = targetedHosts(cluster, observed, options.targets);
  if (goal === 'absent') {
    const states = targeted.map(({ host, role }): NodeState => {
      const state = observed.get(host.name) as ObservedState;
      return { host, role, observed: state, plan: planDestroyNode(cluster, destroyHost(cluster, host, role), state) };
    });
    const warnings: Warning[] = [];
    if (options.targets !== undefined) states.push(...peerRouteRemovals(cluster, observed, states, warnings));
    return { cluster, goal, states, plan: assemblePlan(cluster, states, warnings) };
  }
  // Every gathered host's state is read once here: who is not reached, the removed nodes'
  // traces, the hosts with podnet routes (which the subnet allocation reads only for a node with no
  // subnet on its bridge).
  const { unreached, traces, podnetRouteHosts, nodeStates } = scanHosts(cluster, observed);
  const { subnets, diagnostics } = planSubnets(cluster, observed, podnetRouteHosts, traces, nodeStates);
  if (cluster.nodes.some((node) => !subnets.has(node.name))) {
    throw new UserError(`${cluster.sourcePath}: cannot plan:\n${diagnostics.map((d) => `  ${d}`).join('\n')}`);
  }
  const warnings: Warning[] = diagnostics.map((message) => ({ code: 'subnet', message }));
  const removed = findRemovedNodes(cluster, observed, subnets, traces);
  const incomplete = options.pruneRemoved !== undefined && removed.length > 0 && unreached.size > 0;
  const pruning = options.pruneRemoved !== undefined && !incomplete;
  const base: PlanContext = { podCidr: cluster.podCidr, nodeAddress: '', routeSets: new Map() };
  if (unreached.size > 0) base.unreached = unreached;
  if (removed.length > 0) base.removed = removedRoutes(removed);
  if (pruning) base.pruneRemoved = true;
  const states = targeted.map(({ host, role }): NodeState => {
    const state = observed.get(host.name) as ObservedState;
    const desired =
      role === 'router' ? routerDesiredState(cluster, subnets, state.networkManagers) : desiredState(cluster, subnets, host.name, state.networkManagers);
    const context: PlanContext = { ...base, nodeAddress: host.address };
    const plan = planNode(desired, state, context);
    if (unreached.get(host.address)?.why === 'address-not-held') plan.warnings = [...(plan.warnings ?? []), { code: 'address-not-held', address: host.address }];
    return { host, role, desired, observed: state, plan, context };
  });
  if (incomplete) warnings.push({ code: 'prune-removed-incomplete', unreached: [...unreached.values()].map((u) => u.peer) });
  for (const node of removed) {
    const found = pruning ? options.pruneRemoved?.hosts.get(node.address) : undefined;
    if (found === undefined) {
      if (!pruning) warnings.push({ code: 'node-removed', address: node.address, subnets: node.subnets, routedBy: node.routedBy, cluster: cluster.sourcePath });
    } else if ('problem' in found) {
      warnings.push({ code: 'node-removed-unreached', address: node.address, subnets: node.subnets, problem: found.problem });
    } else {
      // The machine answering there may be a listed host that also carries the old address.
      const listed = [...cluster.nodes, ...(cluster.router !== undefined ? [cluster.router] : [])].find((h) => holdsAddress(found.observed, h.address));
      if (listed !== undefined) warnings.push({ code: 'node-removed-is-listed', address: node.address, node: listed.name });
      else states.push(removedNodeState(cluster, node, found.observed));
    }
  }
  return { cluster, goal, states, plan: assemblePlan(cluster, states, warnings) };
}

/** How `apply --prune-removed` reaches a node that left cluster.yaml: the cluster's default SSH settings, at its address. */
export function removedHost(cluster: Cluster, node: Pick<RemovedNode, 'address' | 'subnets'>): NodeSpec {
  const ssh = cluster.defaultSsh ?? cluster.nodes[0]?.ssh;
  if (ssh === undefined) throw new Error(`${cluster.sourcePath}: no SSH settings to reach ${node.address}`);
  return { name: node.address, address: node.address, ...(node.subnets[0] !== undefined ? { subnet: node.subnets[0] } : {}), ssh: { ...ssh, host: node.address } };
}

/** A removed node that answered: everything podnet owns there goes, as `podnet destroy` would remove it. */
function removedNodeState(cluster: Cluster, node: RemovedNode, observed: ObservedState): NodeState {
  const host = removedHost(cluster, node);
  return { host, role: 'removed', observed, plan: planDestroyNode(cluster, destroyHost(cluster, host, 'removed'), observed) };
}

/**
 * destroy --limit: on every other gathered host, podnet's routes to the destroyed nodes' pod
 * subnets (their peers' routes, or the gateway-mode router's). A peer that was not gathered keeps
 * them: a warning says which.
 */
function peerRouteRemovals(cluster: Cluster, observed: ReadonlyMap<string, ObservedState>, destroyed: readonly NodeState[], warnings: Warning[]): NodeState[] {
  const { subnets } = planSubnets(cluster, observed);
  const targets = destroyed.filter((s) => s.role === 'node').map((s) => ({ dst: subnets.get(s.host.name), peer: s.host.name }));
  const pruneRoutesTo = targets.filter((t): t is { dst: string; peer: string } => t.dst !== undefined);
  if (pruneRoutesTo.length === 0) return [];
  const names = new Set(destroyed.map((s) => s.host.name));
  const peers = hostsOf(cluster).filter(({ host }) => !names.has(host.name));
  const missing = peers.filter(({ host }) => !observed.has(host.name)).map(({ host }) => host.name);
  if (missing.length > 0) warnings.push({ code: 'peer-routes-left', peers: missing, subnets: pruneRoutesTo.map((t) => t.dst) });
  return peers
    .filter(({ host }) => observed.has(host.name))
    .map(({ host, role }): NodeState => {
      const state = observed.get(host.name) as ObservedState;
      return { host, role, observed: state, plan: planPeerRouteRemoval(cluster, host, role, state, pruneRoutesTo), pruneRoutesTo };
    });
}

/** A peer's plan under destroy --limit: its podnet routes to the destroyed nodes' subnets go, nothing else. */
export function planPeerRouteRemoval(cluster: Cluster, host: NodeSpec, role: HostRole, observed: ObservedState, to: readonly { dst: string; peer: string }[]): NodePlan {
  const changes = observed.routes
    .filter(isPodnetRoute)
    .flatMap((route) => {
      const target = to.find((t) => t.dst === route.dst);
      if (target === undefined) return [];
      const reason: Reason = { code: 'destroy-peer-route', peer: target.peer };
      return [{ kind: 'route' as const, key: routeKey(route), action: 'delete' as const, before: routeValue(route), reason, steps: [routeDeleteStep(route)] }];
    });
  const guard = new ManagementGuard(observed, host.address);
  for (const change of changes) guard.route(change.before.dst, 'delete');
  const header = destroyHost(cluster, host, role);
  const plan: NodePlan = { node: host.name, ...(role !== 'node' ? { role } : {}), address: host.address, subnet: header.subnet ?? 'none', changes, conflicts: [] };
  const refused = guard.refusal();
  if (refused !== undefined) plan.refused = refused;
  return plan;
}

/** A host as destroy plans it: the router's plan header shows the pod CIDR it routes. */
export function destroyHost(cluster: Cluster, host: NodeSpec, role: HostRole): DestroyHost {
  return { name: host.name, address: host.address, role, ...(role === 'router' ? { subnet: cluster.podCidr } : host.subnet !== undefined ? { subnet: host.subnet } : {}) };
}

function assemblePlan(cluster: Cluster, states: readonly NodeState[], warnings: Warning[]): Plan {
  const nodes = states.map((s) => s.plan);
  const plan: Plan = { formatVersion: PLAN_FORMAT_VERSION, cluster: cluster.sourcePath, nodes, summary: summarisePlan(nodes) };
  if (warnings.length > 0) plan.warnings = warnings;
  return plan;
}

/** The plan of the gathered hosts (what `podnet diff` prints). */
export function planCluster(cluster: Cluster, observed: ReadonlyMap<string, ObservedState>): Plan {
  return buildClusterState(cluster, observed).plan;
}
