// Why a verify cell failed, read from what was gathered: forwarding off, a missing or wrong route
// (against desired state), a FORWARD policy of DROP without podnet's accept rules, strict rp_filter,
// MTUs below the configured one, source NAT. Pure; most certain causes first.
import type { DesiredState, ObservedState } from '../model/types.js';
import { routeIsRight } from '../plan/plan-routes.js';
import { routeValue } from '../plan/values.js';
import { describeRoute } from '../render/sentences.js';
import type { CheckId, NeighbourEntry, NeighbourSnapshot, NodeSetup, VerifyCell } from '../model/verify.js';
import { effectiveRpFilter } from '../state/rp-filter.js';

export interface DiagnosisNode {
  name: string;
  /** The node's address on the node network. */
  address: string;
  observed?: ObservedState;
  desired?: DesiredState;
  setup?: NodeSetup;
  /** The neighbour table before the probes (setup), after them (probe exec), and its entries after them. */
  neighbour?: { before?: NeighbourSnapshot; after?: NeighbourSnapshot; entries?: NeighbourEntry[] };
}

export interface DiagnosisContext {
  podCidr: string;
  bridgeName: string;
  /** The configured MTU (bridge.mtu, default 1500). */
  mtu: number;
  nodes: ReadonlyMap<string, DiagnosisNode>;
  /** In routing mode `gateway`: the router every cross-node packet passes through. */
  router?: DiagnosisNode;
}

export const NO_CAUSE_FOUND = 'no cause found in the gathered state: look at what lies between the nodes (a firewall, the node network)';

function ipv4ToNumber(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    n = n * 256 + Number(part);
  }
  return n;
}

/** Whether `address` lies inside `cidr` (IPv4). */
export function cidrContains(cidr: string, address: string): boolean {
  const [net = '', prefixText = ''] = cidr.split('/');
  const prefix = Number(prefixText);
  const base = ipv4ToNumber(net);
  const value = ipv4ToNumber(address);
  if (base === undefined || value === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return false;
  const size = 2 ** (32 - prefix);
  return Math.floor(base / size) === Math.floor(value / size);
}

function forwardingOff(node: DiagnosisNode): string[] {
  return node.observed?.ipForward === false
    ? [`ip_forward is off on ${node.name} (net.ipv4.ip_forward = 0): it does not forward pod traffic`]
    : [];
}

/** Routing of `from` towards `address` (a pod on `owner`) against from's desired routes. */
function routeProblems(from: DiagnosisNode, owner: string, address: string | undefined, purpose: string): string[] {
  if (address === undefined || !from.desired || !from.observed) return [];
  const want = from.desired.routes.find((r) => cidrContains(r.dst, address));
  if (!want) return [];
  const have = from.observed.routes.find((r) => r.dst === want.dst);
  if (!have) return [`${from.name} has no route to ${owner}'s pods (${purpose}): ${want.dst} via ${want.gateway} is missing`];
  if (routeIsRight(have, want)) return [];
  if (have.type && have.type !== 'unicast') return [`${from.name} has a ${have.type} route for ${want.dst} (${purpose}), want ${want.dst} via ${want.gateway}`];
  return [`${from.name} has ${describeRoute(routeValue(have))} (${purpose}), want via ${want.gateway}`];
}

/** Whether a FORWARD rule accepts pod traffic: ACCEPT for the pod CIDR, or podnet's own chain/comment. */
export function acceptsPodTraffic(rules: readonly string[], podCidr: string): boolean {
  const escaped = podCidr.replace(/[./]/g, (c) => `\\${c}`);
  const forPods = new RegExp(`(^|\\s)-[sd] ${escaped}(\\s|$)`);
  return rules.some((rule) => (forPods.test(rule) && /-j ACCEPT\b/.test(rule)) || /podnet/i.test(rule));
}

/** The FORWARD policy and rules and every nat rule, as `-A CHAIN args…` lines. */
interface FirewallView {
  forwardPolicy: string | null;
  forwardRules: string[];
  natRules: string[];
}

/** From the gather's iptables-save when it has one, else from the setup's (the same command). */
function firewallView(node: DiagnosisNode): FirewallView | undefined {
  const observed = node.observed?.firewall;
  const gathered = observed?.available ? observed : node.setup?.firewall;
  if (gathered?.available) {
    const line = (r: { chain: string; args: string[] }): string => `-A ${r.chain} ${r.args.join(' ')}`;
    return {
      forwardPolicy: gathered.chains.find((c) => c.table === 'filter' && c.name === 'FORWARD')?.policy ?? null,
      forwardRules: gathered.rules.filter((r) => r.table === 'filter' && r.chain === 'FORWARD').map(line),
      natRules: gathered.rules.filter((r) => r.table === 'nat').map(line),
    };
  }
  return undefined;
}

function forwardDrop(node: DiagnosisNode, podCidr: string): string[] {
  const view = firewallView(node);
  if (!view || (view.forwardPolicy !== 'DROP' && view.forwardPolicy !== 'REJECT')) return [];
  if (acceptsPodTraffic(view.forwardRules, podCidr)) return [];
  return [`${node.name}'s iptables FORWARD policy is ${view.forwardPolicy} and no rule accepts the pod CIDR ${podCidr}`];
}

/** The interface carrying the node's address (where traffic from other nodes arrives). */
function uplinkOf(node: DiagnosisNode): string | undefined {
  return node.observed?.addresses.find((a) => a.local === node.address)?.dev ?? node.observed?.management?.dev;
}

function strictRpFilter(node: DiagnosisNode, bridgeName: string): string[] {
  // The gather's values (read after the probe pods were made) when it has them, else the setup's.
  const values = node.observed?.rpFilter ?? node.setup?.rpFilter;
  if (!values) return [];
  const devs = [uplinkOf(node), bridgeName].filter((d): d is string => d !== undefined);
  return devs.flatMap((dev) => {
    // The kernel uses the larger of conf/all and conf/<dev>; 1 is strict.
    return effectiveRpFilter(values, dev) === 1
      ? [`rp_filter is strict (1) on ${node.name} ${dev}: packets whose reverse route does not leave by ${dev} are dropped`]
      : [];
  });
}

function bridgeProblems(node: DiagnosisNode, bridgeName: string): string[] {
  if (!node.observed) return [];
  const bridge = node.observed.links.find((l) => l.name === bridgeName);
  if (!bridge) return [`${node.name} has no bridge ${bridgeName}`];
  const problems: string[] = [];
  if (!bridge.up) problems.push(`bridge ${bridgeName} on ${node.name} is down`);
  const want = node.desired?.address;
  if (want && !node.observed.addresses.some((a) => a.dev === bridgeName && a.local === want.local && a.prefixlen === want.prefixlen)) {
    problems.push(`bridge ${bridgeName} on ${node.name} lacks its address ${want.local}/${String(want.prefixlen)}`);
  }
  return problems;
}

function mtuProblems(node: DiagnosisNode, bridgeName: string, mtu: number): string[] {
  const problems: string[] = [];
  const links = node.observed?.links ?? [];
  const bridge = links.find((l) => l.name === bridgeName);
  if (bridge && bridge.mtu < mtu) problems.push(`bridge ${bridgeName} on ${node.name} has MTU ${String(bridge.mtu)}, below the configured ${String(mtu)}`);
  const veths = links.filter((l) => l.kind === 'veth' && l.master === bridgeName && l.mtu < mtu);
  for (const veth of veths.slice(0, 3)) {
    problems.push(`pod veth ${veth.name} on ${node.name} has MTU ${String(veth.mtu)}, below the configured ${String(mtu)}`);
  }
  if (veths.length > 3) problems.push(`… and ${String(veths.length - 3)} more pod veths on ${node.name} below MTU ${String(mtu)}`);
  const uplink = uplinkOf(node);
  const uplinkLink = links.find((l) => l.name === uplink);
  if (uplinkLink && uplinkLink.mtu < mtu) {
    problems.push(`${node.name}'s node interface ${uplinkLink.name} has MTU ${String(uplinkLink.mtu)}, below the configured ${String(mtu)}`);
  }
  for (const pod of Object.values(node.setup?.pods ?? {})) {
    if (pod.mtu !== undefined && pod.mtu < mtu) problems.push(`probe pod ${pod.pod} on ${node.name} got MTU ${String(pod.mtu)}, below the configured ${String(mtu)}`);
  }
  return problems;
}

/** Whether a rule's `-s` (if any) can match pod addresses: Docker's `-s 172.17.0.0/16` cannot. */
function sourceMayBePod(rule: string, podCidr: string): boolean {
  const m = /(?:^|\s)(!\s+)?-s (\S+)/.exec(rule);
  if (!m?.[2] || m[1]) return true;
  const source = m[2].includes('/') ? m[2] : `${m[2]}/32`;
  const network = (cidr: string): string => cidr.split('/')[0] ?? '';
  return cidrContains(source, network(podCidr)) || cidrContains(podCidr, network(source));
}

function translatingRules(node: DiagnosisNode, podCidr: string): string[] {
  const rules = firewallView(node)?.natRules ?? [];
  return rules
    .filter((r) => /-j (MASQUERADE|SNAT)\b/.test(r) && !r.includes(`! -d ${podCidr}`) && sourceMayBePod(r, podCidr))
    .map((r) => `${node.name} translates the source of pod traffic: \`${r}\``);
}

function egressProblems(node: DiagnosisNode, podCidr: string, target: string): string[] {
  const problems = [...forwardingOff(node)];
  const routes = node.observed?.routes;
  if (routes && !routes.some((r) => r.dst === 'default' || cidrContains(r.dst, target))) problems.push(`${node.name} has no route to ${target} (and no default route)`);
  problems.push(...forwardDrop(node, podCidr));
  const rules = firewallView(node)?.natRules;
  if (rules && !rules.some((r) => /-j (MASQUERADE|SNAT)\b/.test(r))) problems.push(`${node.name} has no MASQUERADE rule for the pod CIDR in its nat table (run podnet apply with egress.masquerade on)`);
  return problems;
}

function podAddress(node: DiagnosisNode | undefined): string | undefined {
  return node?.setup?.pods.a?.address;
}

function routerProblems(ctx: DiagnosisContext, from: DiagnosisNode, to: DiagnosisNode): string[] {
  const router = ctx.router;
  if (!router) return [];
  return [
    ...forwardingOff(router),
    ...routeProblems(router, to.name, podAddress(to), 'requests'),
    ...routeProblems(router, from.name, podAddress(from), 'replies'),
    ...forwardDrop(router, ctx.podCidr),
  ];
}

function crossNodeProblems(ctx: DiagnosisContext, from: DiagnosisNode, to: DiagnosisNode): string[] {
  return [
    ...forwardingOff(from),
    ...forwardingOff(to),
    ...routeProblems(from, to.name, podAddress(to), 'requests'),
    ...routeProblems(to, from.name, podAddress(from), 'replies'),
    ...routerProblems(ctx, from, to),
    ...bridgeProblems(from, ctx.bridgeName),
    ...bridgeProblems(to, ctx.bridgeName),
    ...forwardDrop(from, ctx.podCidr),
    ...forwardDrop(to, ctx.podCidr),
    ...strictRpFilter(to, ctx.bridgeName),
    ...strictRpFilter(from, ctx.bridgeName),
  ];
}

// ───────────── the neighbour (ARP) table ─────────────

const GC_THRESH_ADVICE = 'raise net.ipv4.neigh.default.gc_thresh1/2/3 (e.g. podnet lab up --tune-kernel in the lab)';

function limitText(snapshot: NeighbourSnapshot | undefined): string {
  if (snapshot?.entries === undefined) return '';
  return ` (${String(snapshot.entries)} entries${snapshot.gcThresh3 !== undefined ? `, gc_thresh3 ${String(snapshot.gcThresh3)}` : ''})`;
}

/** arp_cache table_fulls rose between setup and the end of the probes: the table refused new entries. */
function tableFull(node: DiagnosisNode): string[] {
  const { before, after } = node.neighbour ?? {};
  if (before?.tableFulls === undefined || after?.tableFulls === undefined || after.tableFulls <= before.tableFulls) return [];
  return [
    `the neighbour (ARP) table of ${node.name}'s kernel was full during the run: arp_cache table_fulls rose by ${String(after.tableFulls - before.tableFulls)}${limitText(after)}, ` +
      `so new neighbour entries were refused and packets to unresolved neighbours dropped; ${GC_THRESH_ADVICE}`,
  ];
}

/** The kernel log gained `neighbour table overflow` lines during the run. */
function overflowLogged(node: DiagnosisNode): string[] {
  const { before, after } = node.neighbour ?? {};
  if (before?.overflowLogs === undefined || after?.overflowLogs === undefined || after.overflowLogs <= before.overflowLogs) return [];
  return [
    `the kernel that ${node.name} runs on logged "neighbour table overflow" during the run (${String(after.overflowLogs - before.overflowLogs)} new line(s)); ` +
      `the log names no namespace: where nodes share one kernel (the lab) they share its one table; ${GC_THRESH_ADVICE}`,
  ];
}

const BAD_NEIGHBOUR_STATES = ['FAILED', 'INCOMPLETE'];

/** Entries of `node`'s neighbour table for these addresses (what, address) that are FAILED or INCOMPLETE. */
function badNeighbours(node: DiagnosisNode, wanted: readonly { address: string | undefined; what: string }[]): string[] {
  const entries = node.neighbour?.entries ?? [];
  return wanted.flatMap(({ address, what }) => {
    if (address === undefined) return [];
    const entry = entries.find((e) => e.dst === address && e.state.some((st) => BAD_NEIGHBOUR_STATES.includes(st)));
    if (!entry) return [];
    const state = entry.state.join(',');
    const meaning = entry.state.includes('FAILED') ? 'address resolution (ARP) got no answer' : 'address resolution (ARP) had no answer yet';
    return [`${node.name}'s neighbour entry for ${what} (${address}${entry.dev ? ` on ${entry.dev}` : ''}) is ${state}: ${meaning}`];
  });
}

/** The next hop `from` uses towards a pod address (its desired route's gateway), else `fallback`. */
function nextHop(from: DiagnosisNode, address: string | undefined, fallback: string): string {
  if (address === undefined) return fallback;
  return from.desired?.routes.find((r) => cidrContains(r.dst, address))?.gateway ?? fallback;
}

/** The neighbour entries a packet from → to and its reply need: each next hop, and each pod on its bridge. */
function pathNeighbours(from: DiagnosisNode, to: DiagnosisNode): string[] {
  return [
    ...badNeighbours(from, [
      { address: nextHop(from, podAddress(to), to.address), what: `the next hop to ${to.name}'s pods` },
      { address: podAddress(from), what: `its own probe pod` },
    ]),
    ...badNeighbours(to, [
      { address: nextHop(to, podAddress(from), from.address), what: `the next hop to ${from.name}'s pods` },
      { address: podAddress(to), what: `its own probe pod` },
    ]),
  ];
}

/** Neighbour-table causes of a failed cell: ENOBUFS, a full table, FAILED entries, the kernel's overflow log. */
function neighbourCauses(from: DiagnosisNode, to: DiagnosisNode | undefined, detail: string | undefined, otherCauses: number): string[] {
  const causes: string[] = [];
  // ENOBUFS from sendmsg/connect: most often the kernel's neighbour table is full (`neighbour table overflow`).
  if (/No buffer space available/i.test(detail ?? '')) {
    causes.push(`${from.name} could not send (ENOBUFS): its neighbour (ARP) table may be full, see net.ipv4.neigh.default.gc_thresh3`);
  }
  const nodes = to && to !== from ? [from, to] : [from];
  causes.push(...nodes.flatMap(tableFull));
  if (to && to !== from) causes.push(...pathNeighbours(from, to));
  // The kernel log is the kernel's, not the node's: named only beside a sign on these nodes, or when nothing else explains the cell.
  // Once per cell: nodes sharing a kernel all count the same lines.
  if (causes.length > 0 || otherCauses === 0) causes.push(...nodes.flatMap(overflowLogged).slice(0, 1));
  return causes;
}

// ───────────── the facts checked when no cause was found ─────────────

function forwardingFact(node: DiagnosisNode): string {
  const v = node.observed?.ipForward;
  return `ip_forward on ${node.name}: ${v === true ? '1 (on)' : v === false ? '0 (off)' : 'not read'}`;
}

function routeFact(from: DiagnosisNode, owner: string, address: string | undefined, purpose: string): string {
  if (address === undefined) return `${from.name}'s route to ${owner}'s pods (${purpose}): not compared (no probe pod address)`;
  const want = from.desired?.routes.find((r) => cidrContains(r.dst, address));
  if (!from.desired || !from.observed) return `${from.name}'s route to ${owner}'s pods (${purpose}): not compared (no desired or gathered state)`;
  if (!want) return `${from.name}'s route to ${owner}'s pods (${purpose}): none wanted (a local subnet)`;
  return `${from.name}'s route to ${owner}'s pods (${purpose}): ${want.dst} via ${want.gateway}, present as desired`;
}

function bridgeFact(node: DiagnosisNode, bridgeName: string): string {
  const bridge = node.observed?.links.find((l) => l.name === bridgeName);
  if (!bridge) return `bridge ${bridgeName} on ${node.name}: not gathered`;
  return `bridge ${bridgeName} on ${node.name}: ${bridge.up ? 'up' : 'down'}, MTU ${String(bridge.mtu)}${node.desired?.address ? `, with its address ${node.desired.address.local}/${String(node.desired.address.prefixlen)}` : ''}`;
}

function firewallFact(node: DiagnosisNode, podCidr: string): string {
  const view = firewallView(node);
  if (!view) return `iptables FORWARD on ${node.name}: not read`;
  const accepts = acceptsPodTraffic(view.forwardRules, podCidr);
  return `iptables FORWARD on ${node.name}: policy ${view.forwardPolicy ?? 'unknown'}${accepts ? `, a rule accepts ${podCidr}` : ''}`;
}

function rpFilterFact(node: DiagnosisNode, bridgeName: string): string {
  const values = node.observed?.rpFilter ?? node.setup?.rpFilter;
  if (!values) return `rp_filter on ${node.name}: not read`;
  const devs = [uplinkOf(node), bridgeName].filter((d): d is string => d !== undefined);
  return `rp_filter on ${node.name}: ${devs.map((d) => `${d} ${String(effectiveRpFilter(values, d))}`).join(', ')}`;
}

function neighbourEntryFact(node: DiagnosisNode, address: string, what: string): string {
  const entries = node.neighbour?.entries;
  if (!entries) return `${node.name}'s neighbour entry for ${what} (${address}): not read`;
  const entry = entries.find((e) => e.dst === address);
  return `${node.name}'s neighbour entry for ${what} (${address}): ${entry ? entry.state.join(',') || 'no state' : 'none'}`;
}

function neighbourTableFact(node: DiagnosisNode): string {
  const { before, after } = node.neighbour ?? {};
  const table =
    before?.tableFulls !== undefined && after?.tableFulls !== undefined
      ? `table_fulls ${after.tableFulls > before.tableFulls ? 'rose' : 'unchanged'}${limitText(after)}`
      : 'arp_cache not readable (it exists only in the root network namespace)';
  const log =
    before?.overflowLogs !== undefined && after?.overflowLogs !== undefined
      ? `${after.overflowLogs > before.overflowLogs ? 'new' : 'no new'} "neighbour table overflow" in the kernel log`
      : 'kernel log not readable';
  return `neighbour table of ${node.name}: ${table}; ${log}`;
}

/** What was looked at for a cell without a cause: each fact as found, so the reader knows what is ruled out. */
export function checkedFacts(ctx: DiagnosisContext, check: CheckId, cell: VerifyCell): string[] {
  const from = ctx.nodes.get(cell.from);
  if (!from) return [`${cell.from}: nothing gathered`];
  const to = ctx.nodes.get(cell.to);
  const local = [bridgeFact(from, ctx.bridgeName), rpFilterFact(from, ctx.bridgeName)];
  if (check === 'egress') return [forwardingFact(from), firewallFact(from, ctx.podCidr), neighbourTableFact(from)];
  if (!to || to === from) {
    const pod = podAddress(from);
    return [...local, ...(pod ? [neighbourEntryFact(from, pod, 'its own probe pod')] : []), neighbourTableFact(from)];
  }
  const facts = [
    forwardingFact(from),
    forwardingFact(to),
    routeFact(from, to.name, podAddress(to), 'requests'),
    routeFact(to, from.name, podAddress(from), 'replies'),
    ...(ctx.router ? [forwardingFact(ctx.router), routeFact(ctx.router, to.name, podAddress(to), 'requests'), routeFact(ctx.router, from.name, podAddress(from), 'replies')] : []),
    bridgeFact(from, ctx.bridgeName),
    bridgeFact(to, ctx.bridgeName),
    firewallFact(from, ctx.podCidr),
    firewallFact(to, ctx.podCidr),
    rpFilterFact(from, ctx.bridgeName),
    rpFilterFact(to, ctx.bridgeName),
    neighbourEntryFact(from, nextHop(from, podAddress(to), to.address), `the next hop to ${to.name}'s pods`),
    neighbourEntryFact(to, nextHop(to, podAddress(from), from.address), `the next hop to ${from.name}'s pods`),
    neighbourTableFact(from),
    neighbourTableFact(to),
  ];
  if (check === 'source-address') facts.push(`no MASQUERADE/SNAT rule for pod traffic on ${from.name}`);
  return facts;
}

/** Likely causes of a failed cell (most certain first); NO_CAUSE_FOUND when nothing explains it. */
export function diagnoseCell(ctx: DiagnosisContext, check: CheckId, cell: VerifyCell): string[] {
  const from = ctx.nodes.get(cell.from);
  if (!from) return [NO_CAUSE_FOUND];
  const to = ctx.nodes.get(cell.to);
  let causes: string[] = [];
  switch (check) {
    case 'pod-to-pod-same-node':
    case 'node-to-pod':
    case 'pod-to-node':
      causes = [...bridgeProblems(from, ctx.bridgeName), ...strictRpFilter(from, ctx.bridgeName)];
      break;
    case 'pod-to-pod-cross-node':
      if (to) causes = crossNodeProblems(ctx, from, to);
      break;
    case 'source-address':
      causes = [...translatingRules(from, ctx.podCidr), ...(to ? crossNodeProblems(ctx, from, to) : [])];
      break;
    case 'mtu':
      causes = [...mtuProblems(from, ctx.bridgeName, ctx.mtu), ...(to ? mtuProblems(to, ctx.bridgeName, ctx.mtu) : [])];
      if (to) causes.push(...crossNodeProblems(ctx, from, to));
      break;
    case 'egress':
      causes = egressProblems(from, ctx.podCidr, cell.to);
      break;
  }
  if (check !== 'egress') causes.push(...neighbourCauses(from, to, cell.detail, causes.length));
  else if (/No buffer space available/i.test(cell.detail ?? '')) causes.push(...neighbourCauses(from, undefined, cell.detail, causes.length));
  const unique = [...new Set(causes)];
  return unique.length > 0 ? unique : [NO_CAUSE_FOUND];
}

/** The checks' failed cells with their causes filled in. */
export function withDiagnosis<T extends { id: CheckId; cells: VerifyCell[] }>(ctx: DiagnosisContext, checks: readonly T[]): T[] {
  return checks.map((check) => ({
    ...check,
    cells: check.cells.map((cell) => {
      if (cell.status !== 'fail') return cell;
      const causes = diagnoseCell(ctx, check.id, cell);
      return causes.length === 1 && causes[0] === NO_CAUSE_FOUND ? { ...cell, causes, checked: checkedFacts(ctx, check.id, cell) } : { ...cell, causes };
    }),
  }));
}
