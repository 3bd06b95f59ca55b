// Who answered in this run, and who left: the two facts that decide where podnet may point routes.
// Pure: read from the gathered states.
//
// Reached: a host of cluster.yaml (node or router) is reached when it was gathered in this run AND
// one of its interfaces holds its `address` — the address its peers route via. A host that did not
// answer, or answered over SSH (ssh.host) without holding its address (a mistyped address), is not
// one to route to: routes via it wait (plan-routes.ts).
//
// Removed: a node that left cluster.yaml has no state file; what it leaves behind is its peers'
// routes. A podnet route (proto 201) on a host of cluster.yaml, inside the pod CIDR but not the
// whole pod CIDR, whose gateway is no host's address in cluster.yaml and whose destination is no
// node's subnet, is the trace of a removed node at that gateway.
import type { WaitingWhy } from '../model/plan.js';
import type { Cluster, NodeSpec, ObservedRoute, ObservedState } from '../model/types.js';
import { isPodnetRoute } from '../state/ownership.js';
import { allocateSubnets, type HostRoutes, type SubnetAllocation } from '../state/subnets.js';
import { rangeInside } from '../model/ipv4.js';
import { parseIpv4Dst } from './values.js';

export interface Unreached {
  /** The host's name in cluster.yaml. */
  peer: string;
  why: WaitingWhy;
}

/** Every host of cluster.yaml: the nodes, then the router. */
function fileHosts(cluster: Cluster): NodeSpec[] {
  return [...cluster.nodes, ...(cluster.router !== undefined ? [cluster.router as NodeSpec] : [])];
}

/** Whether the gathered host holds `address` on one of its interfaces. */
export function holdsAddress(observed: ObservedState, address: string): boolean {
  // A plain loop: a 5,000-node plan asks this of every host.
  for (const a of observed.addresses) if (a.local === address && a.family === 'inet') return true;
  return false;
}

/** The hosts of cluster.yaml that routes may not point at in this run, by their address. */
export function unreachedHosts(cluster: Cluster, observed: ReadonlyMap<string, ObservedState>): Map<string, Unreached> {
  const unreached = new Map<string, Unreached>();
  for (const host of fileHosts(cluster)) {
    const state = observed.get(host.name);
    if (state === undefined) unreached.set(host.address, { peer: host.name, why: 'not-reached' });
    else if (!holdsAddress(state, host.address)) unreached.set(host.address, { peer: host.name, why: 'address-not-held' });
  }
  return unreached;
}

/** A node that left cluster.yaml, known by the routes its peers still hold via its address. */
export interface RemovedNode {
  address: string;
  /** The destinations routed via it (its pod subnet, or more than one). */
  subnets: string[];
  /** The hosts of cluster.yaml holding those routes. */
  routedBy: string[];
}

/** A podnet route on a host of cluster.yaml that may be the trace of a removed node (see removedTraces). */
export interface RouteTrace {
  host: string;
  route: ObservedRoute & { gateway: string };
}

/**
 * podnet's routes with a gateway on each gathered host of cluster.yaml (the nodes, then the router),
 * in host order; hosts without one are left out. A plan reads them only where it needs them: the
 * subnet allocation walks them when a node has no subnet on its bridge (see allocateSubnets).
 */
export function podnetGatewayRoutes(cluster: Cluster, observed: ReadonlyMap<string, ObservedState>): HostRoutes[] {
  const found: HostRoutes[] = [];
  for (const host of fileHosts(cluster)) {
    const routes = observed.get(host.name)?.routes;
    if (routes === undefined) continue;
    let mine: ObservedRoute[] | undefined;
    for (const route of routes) {
      if (route.gateway === undefined || !isPodnetRoute(route)) continue;
      (mine ??= []).push(route);
    }
    if (mine !== undefined) found.push({ host: host.name, routes: mine });
  }
  return found;
}

/**
 * Every podnet route on the gathered hosts of cluster.yaml, in host order, whose gateway is no host's
 * address in cluster.yaml and whose destination lies inside the pod CIDR without being it: the
 * traces of removed nodes, before the nodes' subnets are known (findRemovedNodes drops those
 * routed to a node's subnet). `routes`: podnetGatewayRoutes when the caller has it; otherwise
 * every host's routes are read here (see scanHosts).
 */
export function removedTraces(cluster: Cluster, observed: ReadonlyMap<string, ObservedState>, routes?: readonly HostRoutes[]): RouteTrace[] {
  if (routes === undefined) return scanHosts(cluster, observed).traces;
  const traces: RouteTrace[] = [];
  const trace = tracer(cluster, traces);
  if (trace === undefined) return traces;
  for (const { host, routes: hostRoutes } of routes) for (const route of hostRoutes) trace(host, route);
  return traces;
}

/** Adds a podnet route with a gateway to `traces` when it is the trace of a removed node; undefined when the pod CIDR is not IPv4. */
function tracer(cluster: Cluster, traces: RouteTrace[]): ((host: string, route: ObservedRoute) => void) | undefined {
  const pod = parseIpv4Dst(cluster.podCidr);
  if (pod === null) return undefined;
  // Made at the first podnet route: a plan of one node of 5,000 fresh ones meets none elsewhere.
  let known: Set<string> | undefined;
  return (host, route) => {
    known ??= new Set(fileHosts(cluster).map((h) => h.address));
    if (known.has(route.gateway as string) || route.dst === cluster.podCidr) return;
    const dst = parseIpv4Dst(route.dst);
    if (dst === null || !rangeInside(dst, pod)) return;
    traces.push({ host, route: route as RouteTrace['route'] });
  };
}

/** What one pass over every gathered host finds (see scanHosts). */
export interface HostScan {
  /** As unreachedHosts returns it. */
  unreached: Map<string, Unreached>;
  /** As removedTraces returns it. */
  traces: RouteTrace[];
  /**
   * The hosts holding a podnet route with a gateway, in host order, each with all its routes: what
   * the subnet allocation reads when a node has no subnet on its bridge (podnet's routes pointing at it).
   */
  podnetRouteHosts: HostRoutes[];
  /** Each node's gathered state by its index in cluster.nodes (undefined: not gathered). */
  nodeStates: (ObservedState | undefined)[];
}

/**
 * unreachedHosts, removedTraces and the hosts holding podnet routes, in one pass: a plan reads every
 * gathered host's state once here, not once for each (5,000 hosts are 5,000 scattered states; one
 * node of them is planned in a few milliseconds).
 */
export function scanHosts(cluster: Cluster, observed: ReadonlyMap<string, ObservedState>): HostScan {
  const unreached = new Map<string, Unreached>();
  const traces: RouteTrace[] = [];
  const podnetRouteHosts: HostRoutes[] = [];
  const nodeStates: (ObservedState | undefined)[] = [];
  const trace = tracer(cluster, traces);
  const hosts = fileHosts(cluster);
  for (let i = 0; i < hosts.length; i++) {
    const host = hosts[i] as NodeSpec;
    const state = observed.get(host.name);
    if (i < cluster.nodes.length) nodeStates.push(state);
    if (state === undefined) {
      unreached.set(host.address, { peer: host.name, why: 'not-reached' });
      continue;
    }
    if (!holdsAddress(state, host.address)) unreached.set(host.address, { peer: host.name, why: 'address-not-held' });
    let podnet = false;
    for (const route of state.routes) {
      if (route.gateway === undefined || !isPodnetRoute(route)) continue;
      podnet = true;
      if (trace !== undefined) trace(host.name, route);
    }
    if (podnet) podnetRouteHosts.push({ host: host.name, routes: state.routes });
  }
  return { unreached, traces, podnetRouteHosts, nodeStates };
}

/**
 * The nodes that left cluster.yaml, found in the gathered hosts' routes (see the top of this file).
 * `subnets` is every node's pod subnet as allocated for this run; `traces`, removedTraces when the
 * caller has it already.
 */
export function findRemovedNodes(
  cluster: Cluster,
  observed: ReadonlyMap<string, ObservedState>,
  subnets: ReadonlyMap<string, string>,
  traces: readonly RouteTrace[] = removedTraces(cluster, observed),
): RemovedNode[] {
  if (traces.length === 0) return [];
  const assigned = new Set(subnets.values());
  const found = new Map<string, { subnets: Set<string>; routedBy: Set<string> }>();
  for (const { host, route } of traces) {
    if (assigned.has(route.dst)) continue;
    const entry = found.get(route.gateway) ?? { subnets: new Set<string>(), routedBy: new Set<string>() };
    entry.subnets.add(route.dst);
    entry.routedBy.add(host);
    found.set(route.gateway, entry);
  }
  return [...found]
    .map(([address, entry]) => ({ address, subnets: [...entry.subnets].sort(), routedBy: [...entry.routedBy] }))
    .sort((a, b) => a.address.localeCompare(b.address, 'en', { numeric: true }));
}

/**
 * Subnets for this run: allocateSubnets, with the destinations still routed via an address no
 * host of cluster.yaml has held back from fresh allocation (a removed node's subnet is not handed
 * to a new node while its traces — and maybe its pods — are still there).
 */
export function planSubnets(
  cluster: Cluster,
  observed: ReadonlyMap<string, ObservedState>,
  routes?: readonly HostRoutes[],
  traces: readonly RouteTrace[] = removedTraces(cluster, observed, routes),
  nodeStates?: readonly (ObservedState | undefined)[],
): SubnetAllocation {
  const explicit = new Set(cluster.nodes.flatMap((n) => (n.subnet !== undefined ? [n.subnet] : [])));
  const reserved = findRemovedNodes(cluster, observed, new Map(), traces).flatMap((r) => r.subnets).filter((dst) => !explicit.has(dst));
  return allocateSubnets(cluster, observed, reserved, routes, nodeStates);
}

/** The removed nodes as PlanContext.removed wants them: address → the subnets routed via it. */
export function removedRoutes(removed: readonly RemovedNode[]): Map<string, Set<string>> {
  return new Map(removed.map((r) => [r.address, new Set(r.subnets)]));
}
