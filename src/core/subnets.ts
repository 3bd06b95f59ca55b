// Pod subnet allocation: deterministic, and stable for nodes that already have one.
import { IPv4, IPv4CidrRange, IPv4Prefix } from 'ip-num';
import { PODNET_LINK_ALIAS, PODNET_ROUTE_PROTO, PODNET_ROUTE_PROTO_NAME, type Cluster, type ObservedState } from './model.js';

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

function isPodnetRoute(protocol: string): boolean {
  return protocol === PODNET_ROUTE_PROTO_NAME || protocol === String(PODNET_ROUTE_PROTO);
}

/** The network of the podnet bridge's address inside the pod CIDR, if the node has one. */
function observedBridgeSubnet(observed: ObservedState, bridgeName: string, pod: IPv4CidrRange): IPv4CidrRange | undefined {
  const bridge = observed.links.find((link) => link.name === bridgeName && link.alias === PODNET_LINK_ALIAS);
  if (!bridge) return undefined;
  for (const address of observed.addresses) {
    if (address.dev !== bridgeName || address.family !== 'inet') continue;
    const network = parseCidr(`${address.local}/${address.prefixlen}`);
    if (network && network.inside(pod)) return network;
  }
  return undefined;
}

/** The pod-CIDR destinations of podnet routes that peers point at this node's address. */
function routedSubnets(cluster: Cluster, nodeName: string, address: string, observed: ReadonlyMap<string, ObservedState>, pod: IPv4CidrRange): IPv4CidrRange[] {
  const found: IPv4CidrRange[] = [];
  for (const peer of cluster.nodes) {
    if (peer.name === nodeName) continue;
    for (const route of observed.get(peer.name)?.routes ?? []) {
      if (!isPodnetRoute(route.protocol) || route.gateway !== address) continue;
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
 *   3. a podnet route on another node whose gateway is this node's address;
 *   4. the lowest free subnet of cluster.subnetPrefix in the pod CIDR, in node order, skipping
 *      the pod CIDR's first subnet (so that a fresh cluster's nodes get 10.244.1.0/24, 10.244.2.0/24 …).
 * Observed subnets that overlap one already taken are ignored (with a diagnostic), so given
 * observed state, adding a node never moves another node's subnet.
 */
export function allocateSubnets(cluster: Cluster, observed?: ReadonlyMap<string, ObservedState>): SubnetAllocation {
  const subnets = new Map<string, string>();
  const diagnostics: string[] = [];
  const pod = parseCidr(cluster.podCidr);
  if (!pod) return { subnets, diagnostics: [`invalid pod CIDR ${cluster.podCidr}`] };
  const taken: IPv4CidrRange[] = [];
  const overlapsTaken = (range: IPv4CidrRange): IPv4CidrRange | undefined => taken.find((other) => other.isOverlapping(range));
  const claim = (node: string, range: IPv4CidrRange): void => {
    subnets.set(node, range.toCidrString());
    taken.push(range);
  };

  for (const node of cluster.nodes) {
    const explicit = node.subnet === undefined ? undefined : parseCidr(node.subnet);
    if (explicit) claim(node.name, explicit);
  }

  if (observed) {
    for (const node of cluster.nodes) {
      if (subnets.has(node.name)) continue;
      const state = observed.get(node.name);
      const onBridge = state ? observedBridgeSubnet(state, cluster.bridge.name, pod) : undefined;
      const candidates = onBridge ? [onBridge] : routedSubnets(cluster, node.name, node.address, observed, pod);
      for (const candidate of candidates) {
        const clash = overlapsTaken(candidate);
        if (clash) {
          diagnostics.push(`node ${node.name}: observed subnet ${candidate.toCidrString()} overlaps ${clash.toCidrString()} of another node; allocating a new one`);
          continue;
        }
        claim(node.name, candidate);
        break;
      }
    }
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
  let candidate: IPv4CidrRange | undefined = new IPv4CidrRange(pod.getFirst(), size).nextRange();
  for (const node of cluster.nodes) {
    if (subnets.has(node.name)) continue;
    while (candidate && candidate.getLast().isLessThanOrEquals(podLast)) {
      const clash = overlapsTaken(candidate);
      if (!clash) break;
      // Jump past a larger taken range at once instead of walking it subnet by subnet.
      const after: IPv4 | undefined = clash.getLast().hasNext() ? clash.getLast().nextIPNumber() : undefined;
      candidate = clash.getLast().isGreaterThan(candidate.getLast()) ? (after ? new IPv4CidrRange(after, size) : undefined) : candidate.nextRange();
    }
    if (!candidate || candidate.getLast().isGreaterThan(podLast)) {
      diagnostics.push(`node ${node.name}: no free /${cluster.subnetPrefix} left in pod CIDR ${cluster.podCidr} (its first /${cluster.subnetPrefix} is reserved)`);
      continue;
    }
    claim(node.name, candidate);
    candidate = candidate.nextRange();
  }
  return { subnets, diagnostics };
}
