// Pod subnet allocation: deterministic, and stable for nodes that already have one.
// Integer IPv4 (src/model/ipv4.ts): a 5,000-node cluster allocates and compares thousands of subnets.
import { intToIpv4, ipv4ToInt, parseIpv4Cidr, rangeInside, rangeLast, rangeSize, rangeText, type Ipv4Range } from '../model/ipv4.js';
import type { Cluster, NodeSpec, ObservedRoute, ObservedState } from '../model/types.js';
import { isPodnetBridge, isPodnetRoute } from './ownership.js';

export interface SubnetAllocation {
  /** Node name → pod subnet (CIDR). A node missing here could not get one (see diagnostics). */
  subnets: Map<string, string>;
  diagnostics: string[];
}

/** The gateway (bridge) address of a pod subnet: its first host, e.g. 10.244.1.1 for 10.244.1.0/24. */
export function gatewayAddress(subnet: string): string {
  const range = parseCidr(subnet);
  if (!range) throw new Error(`not an IPv4 CIDR: ${subnet}`);
  if (range.base === 4294967295) throw new Error(`${subnet} has no address after its first`);
  return intToIpv4(range.base + 1);
}

export function subnetPrefixLength(subnet: string): number {
  const range = parseCidr(subnet);
  if (!range) throw new Error(`not an IPv4 CIDR: ${subnet}`);
  return range.prefix;
}

/** The network of a CIDR (host bits cleared). */
function parseCidr(text: string): Ipv4Range | undefined {
  return parseIpv4Cidr(text) ?? undefined;
}

/** A CIDR with its first and last address as integers. */
export interface CidrSpan {
  range: Ipv4Range;
  first: number;
  last: number;
}

export function cidrSpan(range: Ipv4Range): CidrSpan {
  return { range, first: range.base, last: rangeLast(range) };
}

export function spansOverlap(a: CidrSpan, b: CidrSpan): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/** The network of the podnet bridge's address inside the pod CIDR, if the node has one. */
function observedBridgeSubnet(observed: ObservedState, bridgeName: string, pod: Ipv4Range): Ipv4Range | undefined {
  // Plain loops: a 5,000-node plan asks this of every node.
  let bridge = false;
  for (const link of observed.links) {
    if (link.name === bridgeName && isPodnetBridge(link)) {
      bridge = true;
      break;
    }
  }
  if (!bridge) return undefined;
  for (const address of observed.addresses) {
    if (address.dev !== bridgeName || address.family !== 'inet') continue;
    const network = parseCidr(`${address.local}/${address.prefixlen}`);
    if (network && rangeInside(network, pod)) return network;
  }
  return undefined;
}

/** podnet's routes with a gateway on one host (see podnetGatewayRoutes in src/plan/reach.ts). */
export interface HostRoutes {
  host: string;
  routes: readonly ObservedRoute[];
}

/**
 * podnet's routes on every host (the nodes, then the router), by gateway, in host order: what
 * routedSubnets reads for each node, indexed once instead of scanned once per node. `scanned`:
 * those routes, host by host, when the caller has read them already.
 */
function podnetRoutesByGateway(cluster: Cluster, observed: ReadonlyMap<string, ObservedState>, scanned?: readonly HostRoutes[]): Map<string, { host: string; route: ObservedRoute }[]> {
  const byGateway = new Map<string, { host: string; route: ObservedRoute }[]>();
  const add = (host: string, routes: readonly ObservedRoute[]): void => {
    for (const route of routes) {
      if (!isPodnetRoute(route) || route.gateway === undefined) continue;
      const list = byGateway.get(route.gateway);
      if (list === undefined) byGateway.set(route.gateway, [{ host, route }]);
      else list.push({ host, route });
    }
  };
  if (scanned !== undefined) {
    for (const { host, routes } of scanned) add(host, routes);
    return byGateway;
  }
  for (const node of cluster.nodes) {
    const routes = observed.get(node.name)?.routes;
    if (routes !== undefined) add(node.name, routes);
  }
  if (cluster.router !== undefined) add(cluster.router.name, observed.get(cluster.router.name)?.routes ?? []);
  return byGateway;
}

/** The pod-CIDR destinations of podnet routes that peers (or the gateway-mode router) point at this node's address. */
function routedSubnets(nodeName: string, address: string, byGateway: ReadonlyMap<string, { host: string; route: ObservedRoute }[]>, pod: Ipv4Range): Ipv4Range[] {
  const found: Ipv4Range[] = [];
  for (const { host, route } of byGateway.get(address) ?? []) {
    if (host === nodeName) continue;
    const dst = parseCidr(route.dst);
    if (dst && rangeInside(dst, pod) && isNetworkText(route.dst, dst)) found.push(dst);
  }
  return found;
}

/**
 * Whether `text` is `range` in network form, as rangeText writes it, without writing it: its
 * address has no host bits (parseIpv4Cidr refuses leading zeros in the address) and its prefix no
 * leading zero. A 5,000-node cluster checks a route per node here.
 */
function isNetworkText(text: string, range: Ipv4Range): boolean {
  const slash = text.indexOf('/');
  return slash > 0 && ipv4ToInt(text.slice(0, slash)) === range.base && text.length - slash - 1 === (range.prefix >= 10 ? 2 : 1);
}

/**
 * The subnets taken so far, in the order taken, and a query for the first one (in that order) that
 * overlaps a span. While the taken spans are disjoint (always, but for explicit subnets that
 * overlap, which cluster.yaml validation refuses) they are also kept sorted, and the query is a
 * binary search: a 5,000-node cluster checks every node's observed subnet against the others.
 */
class TakenSpans {
  readonly inOrder: CidrSpan[] = [];
  /** The spans sorted by first address, each with its place in inOrder. */
  private readonly sorted: { span: CidrSpan; order: number }[] = [];
  private disjoint = true;

  push(span: CidrSpan): void {
    if (this.disjoint && this.firstOverlap(span) !== undefined) this.disjoint = false;
    const order = this.inOrder.length;
    this.inOrder.push(span);
    if (this.disjoint) this.sorted.splice(this.upperBound(span.first), 0, { span, order });
  }

  firstOverlap(span: CidrSpan): CidrSpan | undefined {
    if (!this.disjoint) return this.inOrder.find((other) => spansOverlap(other, span));
    // Disjoint and sorted by first, so sorted by last too: the overlapping ones sit just before
    // the first span that starts after span.last, contiguous.
    let best: { span: CidrSpan; order: number } | undefined;
    for (let i = this.upperBound(span.last) - 1; i >= 0; i--) {
      const entry = this.sorted[i] as { span: CidrSpan; order: number };
      if (entry.span.last < span.first) break;
      if (best === undefined || entry.order < best.order) best = entry;
    }
    return best?.span;
  }

  /** The index of the first sorted span whose first address is above `address`. */
  private upperBound(address: number): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.sorted[mid] as { span: CidrSpan }).span.first <= address) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * A subnet for every node, deterministically, in this order of sources:
 *   1. the explicit `subnet` of cluster.yaml;
 *   2. the subnet of the podnet bridge address observed on the node;
 *   3. a podnet route on another node (or on the router) whose gateway is this node's address;
 *   4. the lowest free subnet of cluster.subnetPrefix in the pod CIDR, in node order, skipping
 *      the pod CIDR's first subnet (so that a fresh cluster's nodes get 10.244.1.0/24, 10.244.2.0/24 …).
 * Observed subnets that overlap one already taken are ignored (with a diagnostic), so given
 * observed state, adding a node never moves another node's subnet. `reserved` subnets (still routed
 * to a node that left cluster.yaml) are not handed out by step 4 while anything routes to them.
 * `podnetRoutes`: podnet's routes with a gateway, host by host, when the caller has read them;
 * `nodeStates`: each node's state from `observed` by its index in cluster.nodes, when the caller has
 * looked them up.
 */
export function allocateSubnets(
  cluster: Cluster,
  observed?: ReadonlyMap<string, ObservedState>,
  reserved: readonly string[] = [],
  podnetRoutes?: readonly HostRoutes[],
  nodeStates?: readonly (ObservedState | undefined)[],
): SubnetAllocation {
  const diagnostics: string[] = [];
  const pod = parseCidr(cluster.podCidr);
  if (!pod) return { subnets: new Map(), diagnostics: [`invalid pod CIDR ${cluster.podCidr}`] };
  // By node index (names are unique: cluster.yaml validation refuses a repeated one), and the order
  // the subnets were claimed in: the returned map's order. A 5,000-node plan looks every node up
  // several times here; arrays cost less than a map by name.
  const nodes = cluster.nodes;
  const chosen: (string | undefined)[] = new Array<string | undefined>(nodes.length);
  const order: number[] = [];
  const taken = new TakenSpans();
  const claim = (i: number, span: CidrSpan, text: string): void => {
    chosen[i] = text;
    order.push(i);
    taken.push(span);
  };
  const result = (): SubnetAllocation => {
    const subnets = new Map<string, string>();
    for (const i of order) subnets.set((nodes[i] as NodeSpec).name, chosen[i] as string);
    return { subnets, diagnostics };
  };

  for (let i = 0; i < nodes.length; i++) {
    const subnet = (nodes[i] as NodeSpec).subnet;
    const explicit = subnet === undefined ? undefined : parseCidr(subnet);
    if (explicit) claim(i, cidrSpan(explicit), rangeText(explicit));
  }

  if (observed) {
    let byGateway: Map<string, { host: string; route: ObservedRoute }[]> | undefined;
    for (let i = 0; i < nodes.length; i++) {
      if (chosen[i] !== undefined) continue;
      const node = nodes[i] as NodeSpec;
      const state = nodeStates !== undefined ? nodeStates[i] : observed.get(node.name);
      const onBridge = state ? observedBridgeSubnet(state, cluster.bridge.name, pod) : undefined;
      const candidates = onBridge ? [onBridge] : routedSubnets(node.name, node.address, (byGateway ??= podnetRoutesByGateway(cluster, observed, podnetRoutes)), pod);
      for (const range of candidates) {
        const candidate = cidrSpan(range);
        const clash = taken.firstOverlap(candidate);
        if (clash) {
          diagnostics.push(`node ${node.name}: observed subnet ${rangeText(candidate.range)} overlaps ${rangeText(clash.range)} of another node; allocating a new one`);
          continue;
        }
        claim(i, candidate, rangeText(range));
        break;
      }
    }
  }

  for (const text of reserved) {
    const range = parseCidr(text);
    if (range === undefined || !rangeInside(range, pod)) continue;
    const span = cidrSpan(range);
    if (taken.firstOverlap(span) === undefined) taken.push(span);
  }

  const podPrefix = pod.prefix;
  if (cluster.subnetPrefix < podPrefix || cluster.subnetPrefix > 32) {
    for (let i = 0; i < nodes.length; i++) {
      if (chosen[i] === undefined) diagnostics.push(`node ${(nodes[i] as NodeSpec).name}: cannot allocate a /${cluster.subnetPrefix} inside pod CIDR ${cluster.podCidr}`);
    }
    return result();
  }
  const podLast = rangeLast(pod);
  const MAX = 4294967295;
  const size = rangeSize(cluster.subnetPrefix);
  // Starts are aligned: the pod CIDR's first address, or one past a subnet or a larger taken range.
  const spanFrom = (start: number): CidrSpan => cidrSpan({ base: start - (start % size), prefix: cluster.subnetPrefix });
  let candidate: CidrSpan | undefined = spanFrom(pod.base);
  // The pod CIDR's first subnet is skipped.
  candidate = candidate.last < MAX ? spanFrom(candidate.last + 1) : undefined;
  // Taken subnets do not overlap one another (clashing observed ones were refused), so sorted by
  // first address they are sorted by last too, and one forward pass finds every clash.
  const blocked = [...taken.inOrder].sort((a, b) => a.first - b.first);
  let next = 0;
  const clashWith = (span: CidrSpan): CidrSpan | undefined => {
    while (next < blocked.length && (blocked[next] as CidrSpan).last < span.first) next++;
    const ahead = blocked[next];
    return ahead && spansOverlap(ahead, span) ? ahead : undefined;
  };
  for (let i = 0; i < nodes.length; i++) {
    if (chosen[i] !== undefined) continue;
    while (candidate && candidate.last <= podLast) {
      const clash = clashWith(candidate);
      if (!clash) break;
      // Past the clash: a larger taken range is jumped over at once, not walked subnet by subnet.
      const end = clash.last > candidate.last ? clash.last : candidate.last;
      candidate = end < MAX ? spanFrom(end + 1) : undefined;
    }
    if (!candidate || candidate.last > podLast) {
      diagnostics.push(`node ${(nodes[i] as NodeSpec).name}: no free /${cluster.subnetPrefix} left in pod CIDR ${cluster.podCidr} (its first /${cluster.subnetPrefix} is reserved)`);
      continue;
    }
    // Past the taken ones (checked against `blocked`), and nothing reads `taken` after this loop.
    chosen[i] = rangeText(candidate.range);
    order.push(i);
    candidate = candidate.last < MAX ? spanFrom(candidate.last + 1) : undefined;
  }
  return result();
}
