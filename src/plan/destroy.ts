// `podnet destroy`: the plan that removes everything podnet owns from a node, and nothing else. Pure.
//
// What podnet owns (the same marks the planner trusts): pods made through its plugin (a network
// namespace whose name is a container id in podnet's address store — `podnet pod add` and verify's
// probes), its iptables chains and tagged rules, routes with its protocol, bridges with its alias
// (their addresses go with them), the CNI plugin and conflist when they still name podnet, and the
// address store once no foreign container holds an address in it and it holds nothing but what the
// plugin writes: those files are removed one by one, then the directory with rmdir (never rm -r).
// Order: pods first (their DEL needs the plugin), then the jumps, rules and chains, podnet's routes,
// its bridges, and last the files. net.ipv4.ip_forward is left as it is: other software may rely on it.
// The management path is guarded exactly as for apply: a node whose SSH path would be cut is refused.
import { parseIpv4Cidr } from '../model/ipv4.js';
import type { Change, ConflictDetail, Conflict, FileRole, NodePlan, Step, Warning } from '../model/plan.js';
import type { Cluster, HostRole, NodeSpec, ObservedState, StoreEntry } from '../model/types.js';
import { ABSOLUTE_PATH_PATTERN, IPV4_PATTERN } from '../model/names.js';
import { NO_FIREWALL } from '../state/desired-firewall.js';
import { conflistPath, managedFilePaths, pluginPath, pluginStdinConfig } from '../state/node-files.js';
import { managerOfDropin, reloadCommand } from '../state/network-managers.js';
import { POD_NAME_PATTERN, deployedPaths, renderPodDelScript } from '../scripts/pod-script.js';
import { planFirewall } from './firewall.js';
import { planPodsAbsent } from './plan-pods.js';
import { ManagementGuard } from './management-guard.js';
import { isPodnetBridge, isPodnetRoute } from '../state/ownership.js';
import { STATE_FILE_PATH } from '../state/state-file.js';
import { addressKey, addressText, addressValue, rangeContains, routeDeleteStep, routeKey, routeValue } from './values.js';

export type DestroyHost = Pick<NodeSpec, 'name' | 'address'> & { subnet?: string; role?: HostRole };

export function planDestroyNode(cluster: Cluster, host: DestroyHost, observed: ObservedState): NodePlan {
  const guard = new ManagementGuard(observed, host.address);
  const conflicts: Conflict[] = [];
  const warnings: Warning[] = [];
  const conflict = (detail: ConflictDetail): void => {
    conflicts.push({ node: host.name, ...detail });
  };
  const podCidr = parseIpv4Cidr(cluster.podCidr) ?? undefined;
  const inPodCidr = (address: string): boolean => podCidr !== undefined && rangeContains(podCidr, address);

  const pods = planPods(cluster, observed, warnings);
  const firewall = observed.firewall?.available === true ? planFirewall(NO_FIREWALL, observed.firewall) : { deletes: [], conflicts: [] };
  for (const c of firewall.conflicts) conflict(c);
  const firewallDeletes = firewall.deletes.map((c): Change => ({ ...c, reason: { code: 'destroy' } }));

  const routes = observed.routes.filter(isPodnetRoute).map((route): Change => {
    guard.route(route.dst, 'delete');
    return { kind: 'route', key: routeKey(route), action: 'delete', before: routeValue(route), reason: { code: 'destroy' }, steps: [routeDeleteStep(route)] };
  });

  const bridges: Change[] = [];
  for (const link of observed.links.filter(isPodnetBridge)) {
    const addresses = observed.addresses.filter((a) => a.dev === link.name && a.family === 'inet');
    const foreign = addresses.filter((a) => !inPodCidr(a.local));
    if (foreign.length > 0) {
      conflict({ code: 'bridge-foreign-addresses', kind: 'link', key: link.name, addresses: foreign.map(addressText) });
      continue;
    }
    guard.link(link.name, 'delete');
    for (const address of addresses) guard.address(address.local, addressKey(addressValue(address)));
    const ports = observed.links.filter((l) => l.master === link.name && !pods.podLinkAliases.has(l.alias)).map((l) => l.name);
    bridges.push({
      kind: 'link',
      key: link.name,
      action: 'delete',
      before: { name: link.name, kind: 'bridge', alias: link.alias, addresses: addresses.map(addressText), ports },
      reason: { code: 'destroy' },
      steps: [{ run: 'ip', args: ['link', 'del', 'dev', link.name] }],
    });
  }

  const files: Change[] = [];
  for (const path of managedFilePaths(cluster)) {
    const found = observed.files?.find((f) => f.path === path);
    if (found === undefined || found.sha256 === null) continue;
    if (found.mentionsPodnet !== true) {
      warnings.push({ code: 'foreign-file-left', path });
      continue;
    }
    const manager = managerOfDropin(path);
    const role: FileRole = manager === 'systemd-networkd' ? 'networkd-config' : manager === 'NetworkManager' ? 'networkmanager-config' : path === pluginPath(cluster) ? 'cni-plugin' : 'cni-config';
    // A manager that still runs reads its configuration again once podnet's drop-in is gone.
    const reload: Step[] = manager !== undefined && observed.networkManagers?.includes(manager) === true ? [{ run: 'command', argv: reloadCommand(manager) }] : [];
    files.push({
      kind: 'file',
      key: path,
      action: 'delete',
      before: { path, role, sha256: found.sha256, ...(found.mode !== undefined ? { mode: found.mode } : {}) },
      reason: { code: 'destroy' },
      steps: [{ run: 'command', argv: ['rm', '-f', path] }, ...reload],
    });
  }

  const plan: NodePlan = {
    node: host.name,
    ...(host.role !== undefined && host.role !== 'node' ? { role: host.role } : {}),
    address: host.address,
    subnet: host.subnet ?? bridgeSubnet(observed) ?? 'none',
    changes: [...pods.changes, ...firewallDeletes, ...routes, ...bridges, ...files, ...pods.storeChanges, ...stateFileDelete(observed)],
    conflicts,
  };
  const refused = guard.refusal();
  if (refused !== undefined) plan.refused = refused;
  if (warnings.length > 0) plan.warnings = warnings;
  const disrupted = planPodsAbsent(observed, new Set(bridges.map((c) => c.key)), new Set(pods.changes.map((c) => c.key)));
  if (disrupted.length > 0) plan.disruptedPods = disrupted;
  return plan;
}

/** podnet's state file goes last (it is podnet's): a destroy that fails before leaves the record of what is still there. */
function stateFileDelete(observed: ObservedState): Change[] {
  const found = observed.stateFile;
  if (found === undefined || found.state === 'missing') return [];
  return [
    {
      kind: 'file',
      key: STATE_FILE_PATH,
      action: 'delete',
      before: { path: STATE_FILE_PATH, role: 'state-file' },
      reason: { code: 'destroy' },
      steps: [{ run: 'command', argv: ['rm', '-f', STATE_FILE_PATH] }],
    },
  ];
}

interface PodsPlan {
  changes: Change[];
  /** Removing the address store (after the files: the plugin's DEL writes to it). */
  storeChanges: Change[];
  /** Aliases of the node ends of the removed pods' veths (`podnet ID IFNAME`: they go with their pod); a link without an alias is not one. */
  podLinkAliases: Set<string | undefined>;
}

/** Pods podnet made: DEL through the plugin when it is deployed, else the namespace and its addresses by hand. */
function planPods(cluster: Cluster, observed: ObservedState, warnings: Warning[]): PodsPlan {
  const result: PodsPlan = { changes: [], storeChanges: [], podLinkAliases: new Set() };
  const pods = observed.pods;
  if (pods === undefined) return result;
  const { store } = deployedPaths(cluster.cni);
  const byId = new Map<string, string[]>();
  for (const allocation of pods.allocations) byId.set(allocation.containerId, [...(byId.get(allocation.containerId) ?? []), allocation.ip]);
  const ifnames = new Map(pods.allocations.map((a) => [a.containerId, a.ifname]));
  const present = (path: string): boolean => observed.files?.some((f) => f.path === path && f.mentionsPodnet === true) ?? false; // a missing file has no mentionsPodnet
  const pluginReady = present(pluginPath(cluster)) && present(conflistPath(cluster));
  const netConfig = pluginStdinConfig(cluster);
  for (const pod of pods.netns) {
    const addresses = byId.get(pod);
    if (addresses === undefined || !POD_NAME_PATTERN.test(pod)) continue;
    result.podLinkAliases.add(`podnet ${pod} ${ifnames.get(pod)!}`); // byId and ifnames hold the same containers
    const before = { pod, addresses };
    const steps: Step[] = pluginReady
      ? [{ run: 'script', script: renderPodDelScript({ cni: cluster.cni, pod, netConfig }) }]
      : [{ run: 'ip', args: ['netns', 'del', pod] }, ...addresses.map((ip): Step => ({ run: 'command', argv: ['rm', '-f', `${store}/${ip}`] }))];
    const reason = pluginReady ? ({ code: 'destroy-pod-through-plugin' } as const) : ({ code: 'destroy-pod-by-hand' } as const);
    result.changes.push({ kind: 'pod', key: pod, action: 'delete', before, reason, steps });
  }
  const podSet = new Set(pods.netns);
  const foreign = [...byId].filter(([id]) => !podSet.has(id) || !POD_NAME_PATTERN.test(id));
  if (foreign.length > 0) {
    warnings.push({ code: 'store-holds-foreign', store, containers: foreign.map(([id, addresses]) => ({ id, addresses })) });
  } else if (pods.storeExists) {
    const deleting = new Set(result.changes.map((c) => c.key));
    const { remove, foreign: others } = sortStoreEntries(store, pods.storeEntries, deleting);
    if (others.length > 0) {
      warnings.push({ code: 'store-holds-foreign-entries', store, entries: others });
    } else {
      result.storeChanges.push({
        kind: 'file',
        key: store,
        action: 'delete',
        before: { path: store, role: 'address-store' },
        reason: { code: 'destroy' },
        // Only what the plugin writes, then rmdir: it fails, leaving the store, if anything else
        // appeared since the gather.
        steps: [...remove.map((path): Step => ({ run: 'command', argv: ['rm', '-f', path] })), { run: 'command', argv: ['rmdir', store] }],
      });
    }
  }
  return result;
}

/** `last_reserved_ip.<range index>`, as the plugin and host-local write it. */
const LAST_RESERVED_NAME = /^last_reserved_ip\.[0-9]+$/;
/** `podnet+<container id>+<ifname>`: the plugin's note of an attachment's address and veth. */
const ATTACHMENT_NOTE_NAME = /^podnet\+([A-Za-z0-9][A-Za-z0-9_.-]*)\+[A-Za-z0-9_.-]{1,15}$/;

/**
 * The store's entries split into the plugin's files (their paths, to remove) and anything else
 * (`KIND NAME`, for the warning). The plugin writes: `lock`, `last_reserved_ip.N`, and one file per
 * IPv4 address whose first line is the container id: those of the pods being deleted, and empty
 * ones (an ADD killed between creating and writing the file); and a `podnet+<id>+<ifname>` note per
 * attachment: those of the pods being deleted, and those whose container holds no address file
 * (left over). Everything else is someone else's:
 * sub-directories, links, IPv6-named files, other names, and an unlisted store.
 */
function sortStoreEntries(store: string, entries: readonly StoreEntry[] | undefined, deleting: ReadonlySet<string>): { remove: string[]; foreign: string[] } {
  const remove: string[] = [];
  const foreign: string[] = entries === undefined ? ['(entries not listed by the gather)'] : [];
  const holders = new Set((entries ?? []).filter((e) => e.kind === 'file' && IPV4_PATTERN.test(e.name) && e.firstLine).map((e) => e.firstLine));
  for (const entry of entries ?? []) {
    const path = `${store}/${entry.name}`;
    const noteOf = ATTACHMENT_NOTE_NAME.exec(entry.name)?.[1];
    const pluginWritten =
      entry.kind === 'file' &&
      ABSOLUTE_PATH_PATTERN.test(path) &&
      (entry.name === 'lock' ||
        LAST_RESERVED_NAME.test(entry.name) ||
        (noteOf !== undefined && (deleting.has(noteOf) || !holders.has(noteOf))) ||
        (IPV4_PATTERN.test(entry.name) && (entry.firstLine === undefined || entry.firstLine === '' || deleting.has(entry.firstLine))));
    if (pluginWritten) remove.push(path);
    else foreign.push(`${entry.kind} ${entry.name}`);
  }
  return { remove: remove.sort(), foreign };
}

/** The pod subnet on podnet's bridge (`10.244.1.1/24`), for the plan's header. */
function bridgeSubnet(observed: ObservedState): string | undefined {
  const bridge = observed.links.find(isPodnetBridge);
  const address = bridge === undefined ? undefined : observed.addresses.find((a) => a.dev === bridge.name && a.family === 'inet');
  return address === undefined ? undefined : addressText(address);
}
