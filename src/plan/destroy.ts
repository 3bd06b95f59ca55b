// `podnet destroy`: the plan that removes everything podnet owns from a node, and nothing else. Pure.
//
// What podnet owns (the same marks the planner trusts): pods made through its plugin (a network
// namespace whose name is a container id in podnet's address store — `podnet pod add` and verify's
// probes), its iptables chains and tagged rules, routes with its protocol, bridges with its alias
// (their addresses go with them), the CNI plugin and conflist when they still name podnet, and the
// address store once no foreign container holds an address in it.
// Order: pods first (their DEL needs the plugin), then the jumps, rules and chains, podnet's routes,
// its bridges, and last the files. net.ipv4.ip_forward is left as it is: other software may rely on it.
// The management path is guarded exactly as for apply: a node whose SSH path would be cut is refused.
import { IPv4, IPv4CidrRange, Validator } from 'ip-num';
import {
  PLAN_FORMAT_VERSION,
  PODNET_ROUTE_PROTO,
  type Change,
  type Cluster,
  type Conflict,
  type HostRole,
  type NodePlan,
  type NodeSpec,
  type ObservedRoute,
  type ObservedState,
  type Plan,
} from '../model/types.js';
import { ManagementGuard, groupChanges, isPodnetBridge, isPodnetRoute, summarisePlan } from './plan.js';
import { NO_FIREWALL, planFirewall } from './firewall.js';
import { conflistPath, managedFilePaths, pluginPath } from '../state/node-files.js';
import { POD_NAME_PATTERN, deployedPaths, pluginNetConfig, renderPodDelScript } from '../scripts/pod-script.js';
import { renderConflist } from '../scripts/cni/conflist.js';

type Host = Pick<NodeSpec, 'name' | 'address'> & { subnet?: string; role?: HostRole };

/** The hosts destroy looks at: the cluster's nodes, then its router when it names one. */
function hostsOf(cluster: Cluster): Host[] {
  const router: Host[] = cluster.router !== undefined ? [{ ...cluster.router, subnet: cluster.podCidr, role: 'router' }] : [];
  return [...cluster.nodes, ...router];
}

/** The destroy plan of every gathered host (cluster order). */
export function planDestroy(cluster: Cluster, observed: ReadonlyMap<string, ObservedState>): Plan {
  const nodes = hostsOf(cluster)
    .filter((host) => observed.has(host.name))
    .map((host) => planDestroyNode(cluster, host, observed.get(host.name) as ObservedState));
  return { formatVersion: PLAN_FORMAT_VERSION, cluster: cluster.sourcePath, nodes, summary: summarisePlan(nodes) };
}

/** What destroy would still remove from a node (one line per object): empty once nothing podnet owns is left. */
export function podnetLeftovers(cluster: Cluster, host: Host, observed: ObservedState): string[] {
  return groupChanges(planDestroyNode(cluster, host, observed).changes).map((group) => (group[0] as Change).object);
}

export function planDestroyNode(cluster: Cluster, host: Host, observed: ObservedState): NodePlan {
  const guard = new ManagementGuard(observed, host.address);
  const conflicts: Conflict[] = [];
  const warnings: string[] = [];
  const conflict = (object: string, message: string): void => {
    conflicts.push({ node: host.name, object, message });
  };
  const podCidr = Validator.isValidIPv4CidrNotation(cluster.podCidr)[0] ? IPv4CidrRange.fromCidr(cluster.podCidr) : undefined;
  const inPodCidr = (address: string): boolean =>
    podCidr !== undefined && Validator.isValidIPv4String(address)[0] && podCidr.contains(IPv4.fromString(address));

  const pods = planPods(cluster, observed, warnings);
  const firewall = observed.firewall?.available === true ? planFirewall(NO_FIREWALL, observed.firewall) : { deletes: [], conflicts: [] };
  for (const c of firewall.conflicts) conflict(c.object, c.message);
  const firewallDeletes = firewall.deletes.map((c) => ({ ...c, reason: c.object.startsWith('chain ') ? "podnet's chain" : "podnet's rule" }));

  const routes = observed.routes.filter(isPodnetRoute).map((route): Change => {
    guard.route(route.dst, 'delete');
    return {
      action: 'delete',
      kind: 'route',
      object: `route ${route.dst}`,
      reason: "podnet's route",
      before: routeBefore(route),
      argv: routeDeleteArgv(route),
    };
  });

  const bridges: Change[] = [];
  for (const link of observed.links.filter(isPodnetBridge)) {
    const addresses = observed.addresses.filter((a) => a.dev === link.name && a.family === 'inet');
    const foreign = addresses.filter((a) => !inPodCidr(a.local));
    if (foreign.length > 0) {
      const list = foreign.map((a) => `${a.local}/${a.prefixlen}`).join(', ');
      conflict(`link ${link.name}`, `podnet's bridge carries foreign addresses (${list}); podnet will not delete it`);
      continue;
    }
    guard.link(link.name, 'delete');
    for (const address of addresses) guard.address(address.local, `${address.local}/${address.prefixlen} (on ${link.name})`);
    const ports = observed.links.filter((l) => l.master === link.name && !(l.alias !== undefined && pods.podLinkAliases.has(l.alias))).map((l) => l.name);
    const carried = addresses.map((a) => `${a.local}/${a.prefixlen}`);
    bridges.push({
      action: 'delete',
      kind: 'link',
      object: `link ${link.name}`,
      reason: [
        "podnet's bridge",
        carried.length > 0 ? `with ${carried.join(', ')}` : '',
        ports.length > 0 ? `(ports ${ports.join(', ')} are detached, not deleted)` : '',
      ]
        .filter(Boolean)
        .join(' '),
      before: { name: link.name, kind: 'bridge', alias: link.alias, addresses: carried },
      argv: ['ip', 'link', 'del', 'dev', link.name],
    });
  }

  const files: Change[] = [];
  for (const path of managedFilePaths(cluster)) {
    const found = observed.files?.find((f) => f.path === path);
    if (found === undefined || found.sha256 === null) continue;
    if (found.mentionsPodnet !== true) {
      warnings.push(`${path} does not name podnet (someone else's file): left in place`);
      continue;
    }
    files.push({
      action: 'delete',
      kind: 'file',
      object: `file ${path}`,
      reason: path === pluginPath(cluster) ? "podnet's CNI plugin" : path === conflistPath(cluster) ? "podnet's CNI network config" : "podnet's file",
      before: { path, sha256: found.sha256, mode: found.mode },
      argv: ['rm', '-f', path],
    });
  }

  const plan: NodePlan = {
    node: host.name,
    ...(host.role !== undefined ? { role: host.role } : {}),
    address: host.address,
    subnet: host.subnet ?? bridgeSubnet(observed) ?? 'none',
    changes: [...pods.changes, ...firewallDeletes, ...routes, ...bridges, ...files, ...pods.storeChanges],
    conflicts,
  };
  const refused = guard.refusal(host.name);
  if (refused !== undefined) plan.refused = refused;
  if (warnings.length > 0) plan.warnings = warnings;
  return plan;
}

interface PodsPlan {
  changes: Change[];
  /** Removing the address store (after the files: the plugin's DEL writes to it). */
  storeChanges: Change[];
  /** Aliases of the node ends of the removed pods' veths (`podnet ID IFNAME`: they go with their pod). */
  podLinkAliases: Set<string>;
}

/** Pods podnet made: DEL through the plugin when it is deployed, else the namespace and its addresses by hand. */
function planPods(cluster: Cluster, observed: ObservedState, warnings: string[]): PodsPlan {
  const result: PodsPlan = { changes: [], storeChanges: [], podLinkAliases: new Set() };
  const pods = observed.pods;
  if (pods === undefined) return result;
  const { store } = deployedPaths(cluster.cni);
  const byId = new Map<string, string[]>();
  for (const allocation of pods.allocations) byId.set(allocation.containerId, [...(byId.get(allocation.containerId) ?? []), allocation.ip]);
  const ifnames = new Map(pods.allocations.map((a) => [a.containerId, a.ifname]));
  const present = (path: string): boolean => observed.files?.some((f) => f.path === path && f.sha256 !== null && f.mentionsPodnet === true) ?? false;
  const pluginReady = present(pluginPath(cluster)) && present(conflistPath(cluster));
  const netConfig = pluginNetConfig(renderConflist({ networkName: cluster.cni.networkName, cniVersion: cluster.cni.cniVersion }));
  for (const pod of pods.netns) {
    const addresses = byId.get(pod);
    if (addresses === undefined || !POD_NAME_PATTERN.test(pod)) continue;
    const object = `pod ${pod}`;
    result.podLinkAliases.add(`podnet ${pod} ${ifnames.get(pod) ?? ''}`);
    const before = { pod, addresses };
    const reason = `made through podnet's plugin (${addresses.join(', ')})`;
    if (pluginReady) {
      result.changes.push({
        action: 'delete',
        kind: 'pod',
        object,
        reason: `${reason}: the plugin's DEL, then the namespace`,
        before,
        argv: ['sh', '-c', renderPodDelScript({ cni: cluster.cni, pod, netConfig })],
      });
    } else {
      result.changes.push({ action: 'delete', kind: 'pod', object, reason: `${reason}; the plugin is gone: namespace and addresses by hand`, before, argv: ['ip', 'netns', 'del', pod] });
      for (const ip of addresses) {
        result.changes.push({ action: 'delete', kind: 'pod', object, reason: `address ${ip} freed`, before, argv: ['rm', '-f', `${store}/${ip}`] });
      }
    }
  }
  const podSet = new Set(pods.netns);
  const foreign = [...byId].filter(([id]) => !podSet.has(id) || !POD_NAME_PATTERN.test(id));
  if (foreign.length > 0) {
    warnings.push(
      `the address store ${store} holds addresses of containers podnet did not start here (${foreign.map(([id, ips]) => `${id}: ${ips.join(', ')}`).join('; ')}); they and the store are left in place`,
    );
  } else if (pods.storeExists) {
    result.storeChanges.push({
      action: 'delete',
      kind: 'file',
      object: `directory ${store}`,
      reason: "podnet's address store (no addresses left in use)",
      before: { path: store },
      argv: ['rm', '-rf', store],
    });
  }
  return result;
}

function routeDeleteArgv(route: ObservedRoute): string[] {
  const argv = ['ip', 'route', 'del'];
  if (route.type !== undefined) argv.push(route.type);
  argv.push(route.dst);
  if (route.gateway !== undefined) argv.push('via', route.gateway);
  else if (route.dev !== undefined && route.nexthops === undefined) argv.push('dev', route.dev);
  argv.push('proto', String(PODNET_ROUTE_PROTO));
  if (route.metric !== undefined) argv.push('metric', String(route.metric));
  return argv;
}

function routeBefore(route: ObservedRoute): Record<string, unknown> {
  return {
    dst: route.dst,
    ...(route.gateway !== undefined ? { gateway: route.gateway } : {}),
    ...(route.dev !== undefined ? { dev: route.dev } : {}),
    ...(route.metric !== undefined ? { metric: route.metric } : {}),
    ...(route.type !== undefined ? { type: route.type } : {}),
    protocol: route.protocol,
  };
}

/** The pod subnet on podnet's bridge (`10.244.1.1/24`), for the plan's header. */
function bridgeSubnet(observed: ObservedState): string | undefined {
  const bridge = observed.links.find(isPodnetBridge);
  const address = bridge === undefined ? undefined : observed.addresses.find((a) => a.dev === bridge.name && a.family === 'inet');
  return address === undefined ? undefined : `${address.local}/${address.prefixlen}`;
}
