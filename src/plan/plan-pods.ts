// Pods in the plan: which running pods a plan leaves without a network. Pure.
//
// The gather's `pods` section lists the node's namespaces and podnet's address store (one file per
// address: container id, interface name). A pod is running when its allocation still has its
// network: a namespace of the container id's name (`podnet pod add`), or the node end of its veth,
// which the plugin marks with the alias `podnet <container id> <ifname>` (any runtime's pods: their
// namespaces are named otherwise). An allocation with neither is a leftover, not a pod.
// verify's probe pods (`podnet-probe-<id>-a|b`) are podnet's own short-lived pods and carry no
// workload: they never count.
//
// apply (goal present): a running pod whose address is inside the subnet of podnet's bridge now and
// outside the node's desired subnet loses its network when the bridge address moves: it is listed
// (blocking), cause `outside-subnet`. A pod already outside both is stranded since an earlier apply:
// a warning (`pod-stranded`), which this plan neither causes nor cures.
// destroy (goal absent): every running pod on a node whose podnet bridge goes: podnet's pods are
// deleted by the plan (`pod-deleted`), other runtimes' pods lose their bridge (`bridge-deleted`).
import { parseIpv4Cidr, rangeText, type Ipv4Range } from '../model/ipv4.js';
import type { PodDisruption, Warning } from '../model/plan.js';
import { PROBE_ID_PATTERN } from '../model/names.js';
import type { DesiredState, ObservedState } from '../model/types.js';
import { isPodnetBridge } from '../state/ownership.js';
import { rangeContains } from './values.js';

export interface RunningPod {
  /** The namespace name for podnet's pods, else the container id. */
  pod: string;
  /** Set when a namespace of the container id's name exists (podnet's pods). */
  netns?: string;
  containerId: string;
  addresses: string[];
  /** The link its veth's node end is attached to, when that end is seen. */
  bridge?: string;
}

/** `podnet-probe-<id>-a|b`: a probe pod of `podnet verify`. */
function isProbePod(name: string): boolean {
  const match = /^podnet-probe-(.+)-[ab]$/.exec(name);
  return match !== null && PROBE_ID_PATTERN.test(match[1] ?? '');
}

/** The running pods of a node (attached through podnet's plugin), sorted by name; none when pods were not gathered. */
export function runningPods(observed: ObservedState): RunningPod[] {
  const gathered = observed.pods;
  if (gathered === undefined) return [];
  const netns = new Set(gathered.netns);
  const byAlias = new Map(observed.links.filter((l) => l.alias !== undefined).map((l) => [l.alias as string, l]));
  const pods = new Map<string, RunningPod>();
  for (const { ip, containerId, ifname } of gathered.allocations) {
    // The plugin writes the alias with the container id cut at 240 characters (`%.240s`).
    const veth = byAlias.get(`podnet ${containerId.slice(0, 240)} ${ifname}`);
    const hasNetns = netns.has(containerId);
    if ((!hasNetns && veth === undefined) || isProbePod(containerId)) continue;
    let pod = pods.get(containerId);
    if (pod === undefined) {
      pod = { pod: containerId, containerId, addresses: [], ...(hasNetns ? { netns: containerId } : {}) };
      pods.set(containerId, pod);
    }
    if (!pod.addresses.includes(ip)) pod.addresses.push(ip);
    if (veth?.master !== undefined) pod.bridge = veth.master;
  }
  return [...pods.values()].sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0));
}

function cidrRange(text: string): Ipv4Range | undefined {
  return parseIpv4Cidr(text) ?? undefined;
}

/** The pod subnets of podnet's bridges as found (`10.244.2.0/24` for the address 10.244.2.1/24). */
function observedBridgeSubnets(observed: ObservedState): { subnet: string; range: Ipv4Range }[] {
  const bridges = new Set(observed.links.filter(isPodnetBridge).map((l) => l.name));
  const subnets: { subnet: string; range: Ipv4Range }[] = [];
  for (const address of observed.addresses) {
    if (address.family !== 'inet' || !bridges.has(address.dev)) continue;
    const range = cidrRange(`${address.local}/${address.prefixlen}`);
    if (range !== undefined) subnets.push({ subnet: rangeText(range), range });
  }
  return subnets;
}

function podFields(pod: RunningPod): Pick<PodDisruption, 'pod' | 'netns' | 'addresses'> {
  return { pod: pod.pod, ...(pod.netns !== undefined ? { netns: pod.netns } : {}), addresses: pod.addresses };
}

/** apply: the running pods the move of the node's subnet strands, and those an earlier apply stranded. */
export function planPodsPresent(desired: DesiredState, observed: ObservedState): { disrupted: PodDisruption[]; warnings: Warning[] } {
  const disrupted: PodDisruption[] = [];
  const warnings: Warning[] = [];
  const want = desired.bridge !== undefined ? cidrRange(desired.subnet) : undefined;
  if (want === undefined) return { disrupted, warnings }; // the router has no pods
  const current = observedBridgeSubnets(observed);
  for (const pod of runningPods(observed)) {
    const outside = pod.addresses.filter((ip) => !rangeContains(want, ip));
    if (outside.length === 0) continue;
    const was = current.find(({ range }) => outside.some((ip) => rangeContains(range, ip)));
    if (was !== undefined) disrupted.push({ ...podFields(pod), cause: { code: 'outside-subnet', subnet: desired.subnet, was: was.subnet } });
    else warnings.push({ code: 'pod-stranded', ...podFields(pod), subnet: desired.subnet });
  }
  return { disrupted, warnings };
}

/** destroy: every running pod, when podnet's bridge goes; `deleted` names the pods the plan deletes. */
export function planPodsAbsent(observed: ObservedState, deletedBridges: ReadonlySet<string>, deleted: ReadonlySet<string>): PodDisruption[] {
  if (deletedBridges.size === 0 && deleted.size === 0) return [];
  const disrupted: PodDisruption[] = [];
  for (const pod of runningPods(observed)) {
    if (deleted.has(pod.containerId)) disrupted.push({ ...podFields(pod), cause: { code: 'pod-deleted' } });
    else if (pod.bridge !== undefined && deletedBridges.has(pod.bridge)) disrupted.push({ ...podFields(pod), cause: { code: 'bridge-deleted', bridge: pod.bridge } });
  }
  return disrupted;
}
