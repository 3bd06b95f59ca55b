// What one node should look like, from the cluster and the subnets allocated to its nodes.
import { PODNET_LINK_ALIAS, type Cluster, type DesiredRoute, type DesiredState } from './model.js';
import { gatewayAddress, subnetPrefixLength } from './subnets.js';
import { desiredFiles } from './node-files.js';

/**
 * The desired state of `nodeName`: podnet's bridge (alias `podnet`, up, the configured MTU), the
 * first host of the node's subnet on it, forwarding on, and one route per other node
 * (`<peer subnet> via <peer address>`, in cluster order), and the CNI plugin and its conflist.
 * `subnets` maps every node name to its
 * pod subnet (as allocateSubnets returns them).
 */
export function desiredState(cluster: Cluster, subnets: ReadonlyMap<string, string>, nodeName: string): DesiredState {
  if (cluster.routing !== 'host-gw') {
    throw new Error(`routing mode "${cluster.routing}" is not supported yet (only host-gw)`);
  }
  const node = cluster.nodes.find((n) => n.name === nodeName);
  if (node === undefined) throw new Error(`node ${nodeName} is not in ${cluster.sourcePath}`);
  const subnet = subnetOf(subnets, nodeName);
  const routes: DesiredRoute[] = cluster.nodes
    .filter((peer) => peer.name !== nodeName)
    .map((peer) => ({ dst: subnetOf(subnets, peer.name), gateway: peer.address, peer: peer.name }));
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
    routes,
    files: desiredFiles(cluster, subnet, gateway),
  };
}

function subnetOf(subnets: ReadonlyMap<string, string>, nodeName: string): string {
  const subnet = subnets.get(nodeName);
  if (subnet === undefined) throw new Error(`node ${nodeName} has no pod subnet allocated`);
  return subnet;
}
