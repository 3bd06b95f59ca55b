// What one node (or the gateway-mode router) should look like, from the cluster and the subnets
// allocated to its nodes.
import {
  PODNET_LINK_ALIAS,
  type Cluster,
  type NetworkManagerName,
  type DesiredAddress,
  type DesiredBridge,
  type DesiredRoute,
  type DesiredState,
  type RouterSpec,
} from '../model/types.js';
import { gatewayAddress, subnetPrefixLength } from './subnets.js';
import { desiredFiles } from './node-files.js';
import { networkManagerFiles } from './network-managers.js';
import { desiredFirewall } from './desired-firewall.js';

/** A node's desired state: unlike the router's, it always has a bridge and its address. */
export type NodeDesiredState = DesiredState & { bridge: DesiredBridge; address: DesiredAddress };

/**
 * The desired state of `nodeName`: podnet's bridge (alias `podnet`, up, the configured MTU), the
 * first host of the node's subnet on it, forwarding on, the CNI plugin and its conflist, a drop-in
 * for each network manager found running (`networkManagers`, see network-managers.ts), and routes:
 * in `host-gw` mode one per other node (`<peer subnet> via <peer address>`, in cluster order); in
 * `gateway` mode one, `<pod CIDR> via <router address>` (the node's own subnet stays on the bridge,
 * whose connected route is more specific). `subnets` maps every node name to its pod subnet (as
 * allocateSubnets returns them).
 */
export function desiredState(
  cluster: Cluster,
  subnets: ReadonlyMap<string, string>,
  nodeName: string,
  networkManagers?: readonly NetworkManagerName[],
): NodeDesiredState {
  const node = cluster.nodes.find((n) => n.name === nodeName);
  if (node === undefined) throw new Error(`node ${nodeName} is not in ${cluster.sourcePath}`);
  const subnet = subnetOf(subnets, nodeName);
  const gateway = gatewayAddress(subnet);
  return {
    node: nodeName,
    subnet,
    bridge: {
      name: cluster.bridge.name,
      ...(cluster.bridge.mtu !== undefined ? { mtu: cluster.bridge.mtu } : {}),
      alias: PODNET_LINK_ALIAS,
    },
    address: {
      dev: cluster.bridge.name,
      local: gateway,
      prefixlen: subnetPrefixLength(subnet),
    },
    ipForward: true,
    routes: cluster.routing === 'gateway' ? [podCidrRoute(cluster, requireRouter(cluster))] : peerRoutes(cluster, subnets, nodeName),
    files: [...desiredFiles(cluster, subnet, gateway), ...networkManagerFiles(cluster, networkManagers)],
    // FORWARD accepts pod traffic even under a DROP policy; egress NAT when asked for.
    firewall: desiredFirewall(cluster),
  };
}

/**
 * The desired state of the router named in cluster.yaml: forwarding on and, in `gateway` mode, one
 * route per node (`<node subnet> via <node address>`, in cluster order); no bridge, no CNI files (the
 * network-manager drop-ins when one runs). In
 * `host-gw` mode a listed router keeps forwarding and holds no podnet routes, so that switching
 * back from `gateway` prunes them.
 */
export function routerDesiredState(cluster: Cluster, subnets: ReadonlyMap<string, string>, networkManagers?: readonly NetworkManagerName[]): DesiredState {
  const router = requireRouter(cluster);
  const routes: DesiredRoute[] =
    cluster.routing === 'gateway'
      ? cluster.nodes.map((node) => ({ dst: subnetOf(subnets, node.name), gateway: node.address, peer: node.name }))
      : [];
  // The router forwards pod traffic too: podnet's FORWARD rules, never egress NAT (the nodes do that).
  const firewall = desiredFirewall({ podCidr: cluster.podCidr });
  const files = networkManagerFiles(cluster, networkManagers);
  return { node: router.name, role: 'router', subnet: cluster.podCidr, ipForward: true, routes, files, firewall };
}

// The route to a peer is the same value on every other node: one object per peer (never changed), shared by
// every node's desired state (a 1,000-node cluster wants a million routes, but of a thousand kinds).
const routesToPeers = new WeakMap<ReadonlyMap<string, string>, { cluster: Cluster; routes: readonly DesiredRoute[] }>();

function allPeerRoutes(cluster: Cluster, subnets: ReadonlyMap<string, string>): readonly DesiredRoute[] {
  const known = routesToPeers.get(subnets);
  if (known !== undefined && known.cluster === cluster) return known.routes;
  const routes = cluster.nodes.map((peer): DesiredRoute => ({ dst: subnetOf(subnets, peer.name), gateway: peer.address, peer: peer.name }));
  routesToPeers.set(subnets, { cluster, routes });
  return routes;
}

function peerRoutes(cluster: Cluster, subnets: ReadonlyMap<string, string>, nodeName: string): DesiredRoute[] {
  return allPeerRoutes(cluster, subnets).filter((route) => route.peer !== nodeName);
}

function podCidrRoute(cluster: Cluster, router: RouterSpec): DesiredRoute {
  return { dst: cluster.podCidr, gateway: router.address, peer: router.name };
}

function requireRouter(cluster: Cluster): RouterSpec {
  if (cluster.router === undefined) throw new Error(`${cluster.sourcePath}: routing mode ${cluster.routing} needs a router`);
  return cluster.router;
}

function subnetOf(subnets: ReadonlyMap<string, string>, nodeName: string): string {
  const subnet = subnets.get(nodeName);
  if (subnet === undefined) throw new Error(`node ${nodeName} has no pod subnet allocated`);
  return subnet;
}
