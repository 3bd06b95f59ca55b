// Pod subnet allocation: deterministic, and stable for nodes that already have one.
import { IPv4, IPv4CidrRange, IPv4Prefix } from 'ip-num';
import type { Cluster, ObservedState } from '../model/types.js';
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
  return range.getFirst().nextIPNumber().toString();
}

export function subnetPrefixLength(subnet: string): number {
  return Number(IPv4CidrRange.fromCidr(subnet).getPrefix().getValue());
}

/** The network of a CIDR (ip-num keeps host bits in toCidrString, so rebuild from the first address). */
function parseCidr(text: string): IPv4CidrRange | undefined {
  try {
    const written = IPv4CidrRange.fromCidr(text);
    return new IPv4CidrRange(written.getFirst(), written.getPrefix());
  } catch {
    return undefined;
  }
}

/**
 * A CIDR with its first and last address computed once. ip-num's range methods (isOverlapping,
 * inside) cost about 0.1 ms each, comparing two addresses a thousand times less: with hundreds of
 * nodes the pairwise checks must compare addresses.
 */
export interface CidrSpan {
  range: IPv4CidrRange;
  first: IPv4;
  last: IPv4;
}

export function cidrSpan(range: IPv4CidrRange): CidrSpan {
  return { range, first: range.getFirst(), last: range.getLast() };
}

export function spansOverlap(a: CidrSpan, b: CidrSpan): boolean {
  return a.first.isLessThanOrEquals(b.last) && b.first.isLessThanOrEquals(a.last);
}

/** The network of the podnet bridge's address inside the pod CIDR, if the node has one. */
function observedBridgeSubnet(observed: ObservedState, bridgeName: string, pod: IPv4CidrRange): IPv4CidrRange | undefined {
  const bridge = observed.links.find((link) => link.name === bridgeName && isPodnetBridge(link));
  if (!bridge) return undefined;
  for (const address of observed.addresses) {
    if (address.dev !== bridgeName || address.family !== 'inet') continue;
    const network = parseCidr(`${address.local}/${address.prefixlen}`);
    if (network && network.inside(pod)) return network;
  }
  return undefined;
}

/** The pod-CIDR destinations of podnet routes that peers (or the gateway-mode router) point at this node's address. */
function routedSubnets(cluster: Cluster, nodeName: string, address: string, observed: ReadonlyMap<string, ObservedState>, pod: IPv4CidrRange): IPv4CidrRange[] {
  const found: IPv4CidrRange[] = [];
  const hosts = [...cluster.nodes.map((n) => n.name), ...(cluster.router !== undefined ? [cluster.router.name] : [])];
  for (const peer of hosts) {
    if (peer === nodeName) continue;
    for (const route of observed.get(peer)?.routes ?? []) {
      if (!isPodnetRoute(route) || route.gateway !== address) continue;
      const dst = parseCidr(route.dst);
      if (dst && dst.inside(pod) && dst.toCidrString() === route.dst) found.push(dst);
    }
  }
  return found;
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
 */
export function allocateSubnets(cluster: Cluster, observed?: ReadonlyMap<string, ObservedState>, reserved: readonly string[] = []): SubnetAllocation {
  const subnets = new Map<string, string>();
  const diagnostics: string[] = [];
  const pod = parseCidr(cluster.podCidr);
  if (!pod) return { subnets, diagnostics: [`invalid pod CIDR ${cluster.podCidr}`] };
  const taken: CidrSpan[] = [];
  const overlapsTaken = (span: CidrSpan): CidrSpan | undefined => taken.find((other) => spansOverlap(other, span));
  const claim = (node: string, span: CidrSpan): void => {
    subnets.set(node, span.range.toCidrString());
    taken.push(span);
  };

  for (const node of cluster.nodes) {
    const explicit = node.subnet === undefined ? undefined : parseCidr(node.subnet);
    if (explicit) claim(node.name, cidrSpan(explicit));
  }

  if (observed) {
    for (const node of cluster.nodes) {
      if (subnets.has(node.name)) continue;
      const state = observed.get(node.name);
      const onBridge = state ? observedBridgeSubnet(state, cluster.bridge.name, pod) : undefined;
      const candidates = onBridge ? [onBridge] : routedSubnets(cluster, node.name, node.address, observed, pod);
      for (const candidate of candidates.map(cidrSpan)) {
        const clash = overlapsTaken(candidate);
        if (clash) {
          diagnostics.push(`node ${node.name}: observed subnet ${candidate.range.toCidrString()} overlaps ${clash.range.toCidrString()} of another node; allocating a new one`);
          continue;
        }
        claim(node.name, candidate);
        break;
      }
    }
  }

  for (const text of reserved) {
    const range = parseCidr(text);
    if (range === undefined || !range.inside(pod)) continue;
    const span = cidrSpan(range);
    if (overlapsTaken(span) === undefined) taken.push(span);
  }

  const podPrefix = Number(pod.getPrefix().getValue());
  if (cluster.subnetPrefix < podPrefix || cluster.subnetPrefix > 32) {
    for (const node of cluster.nodes) {
      if (!subnets.has(node.name)) diagnostics.push(`node ${node.name}: cannot allocate a /${cluster.subnetPrefix} inside pod CIDR ${cluster.podCidr}`);
    }
    return { subnets, diagnostics };
  }
  const size = new IPv4Prefix(BigInt(cluster.subnetPrefix));
  const podLast = pod.getLast();
  const spanFrom = (start: IPv4): CidrSpan => cidrSpan(new IPv4CidrRange(start, size));
  let candidate: CidrSpan | undefined = spanFrom(pod.getFirst());
  // The pod CIDR's first subnet is skipped.
  candidate = candidate.last.hasNext() ? spanFrom(candidate.last.nextIPNumber()) : undefined;
  // Taken subnets do not overlap one another (clashing observed ones were refused), so sorted by
  // first address they are sorted by last too, and one forward pass finds every clash.
  const blocked = [...taken].sort((a, b) => (a.first.isLessThan(b.first) ? -1 : b.first.isLessThan(a.first) ? 1 : 0));
  let next = 0;
  const clashWith = (span: CidrSpan): CidrSpan | undefined => {
    while (next < blocked.length && (blocked[next] as CidrSpan).last.isLessThan(span.first)) next++;
    const ahead = blocked[next];
    return ahead && spansOverlap(ahead, span) ? ahead : undefined;
  };
  for (const node of cluster.nodes) {
    if (subnets.has(node.name)) continue;
    while (candidate && candidate.last.isLessThanOrEquals(podLast)) {
      const clash = clashWith(candidate);
      if (!clash) break;
      // Past the clash: a larger taken range is jumped over at once, not walked subnet by subnet.
      const end = clash.last.isGreaterThan(candidate.last) ? clash.last : candidate.last;
      candidate = end.hasNext() ? spanFrom(end.nextIPNumber()) : undefined;
    }
    if (!candidate || candidate.last.isGreaterThan(podLast)) {
      diagnostics.push(`node ${node.name}: no free /${cluster.subnetPrefix} left in pod CIDR ${cluster.podCidr} (its first /${cluster.subnetPrefix} is reserved)`);
      continue;
    }
    claim(node.name, candidate);
    candidate = candidate.last.hasNext() ? spanFrom(candidate.last.nextIPNumber()) : undefined;
  }
  return { subnets, diagnostics };
}
