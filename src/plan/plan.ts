// The planner: desired state + observed state → the ordered changes that bring a node in line.
//
// One Change is one command (one `ip -batch` line, or the sysctl). An object that needs several
// commands (a new bridge: add, alias, mtu, up) gets several consecutive Changes with the same
// action and object; `groupChanges` folds them back into one line for people and for the summary
// counts ("1 to add" for a new bridge).
//
// Order: the sysctl first (so the ip steps that follow form one contiguous `ip -batch`), then
// deletions — stale routes, then stale addresses, then stale links, so nothing is removed while
// something podnet still plans to remove depends on it, and a wrong bridge address is gone before
// the right one is added (deleting a primary address drops the secondaries added after it) —
// then creations: links, link attributes and up, addresses, routes, and last the CNI plugin and
// its conflist (written atomically; a runtime that reads the conflist finds the bridge ready).
//
// Ownership: routes with protocol 201 (`podnet`) and bridges with alias `podnet` are podnet's;
// pod-CIDR addresses on podnet's bridge are podnet's too. Only those are ever changed or deleted.
// Anything else in the way is a Conflict and stays untouched: a foreign route to (or inside) a
// peer's pod subnet, a non-bridge link with the bridge's name, a bridge with that name but without
// the alias (not adopted: it may carry someone else's ports and addresses), a foreign address on
// podnet's bridge, a pod-CIDR address on a link podnet does not own (another CNI's bridge), and
// podnet's own old bridge while it still has ports or foreign addresses.
// A plan that would touch the management path (the SSH link, address or a route covering the
// SSH client, the node's SSH address or its own address) is marked refused, changes still shown.
import { IPv4, IPv4CidrRange, IPv6, IPv6CidrRange, Validator } from 'ip-num';
import { desiredState, routerDesiredState } from '../state/desired.js';
import { UserError } from '../model/errors.js';
import {
  PLAN_FORMAT_VERSION,
  PODNET_LINK_ALIAS,
  PODNET_ROUTE_PROTO,
  PODNET_ROUTE_PROTO_NAME,
  type Change,
  type Cluster,
  type Conflict,
  type DesiredAddress,
  type DesiredBridge,
  type DesiredRoute,
  type DesiredState,
  type NodePlan,
  type ObservedAddress,
  type ObservedLink,
  type ObservedRoute,
  type ObservedState,
  type Plan,
  type PlanSummary,
} from '../model/types.js';
import { allocateSubnets } from '../state/subnets.js';
import { firewallUnavailable, planFirewall } from './firewall.js';
import { rpFilterWarnings } from '../state/rp-filter.js';

export interface PlanContext {
  /** The cluster's pod CIDR: podnet's routes and bridge addresses live inside it. */
  podCidr: string;
  /** The node's own address on the node network (protected like the management path). */
  nodeAddress: string;
}

const PODNET_PROTO = String(PODNET_ROUTE_PROTO);
const IP_FORWARD_KEY = 'net.ipv4.ip_forward';

/** Routes podnet made carry its protocol: `201`, or `podnet` where rt_protos.d names it. */
export function isPodnetRoute(route: ObservedRoute): boolean {
  return route.protocol === PODNET_PROTO || route.protocol === PODNET_ROUTE_PROTO_NAME;
}

/** Bridges podnet made carry its alias. */
export function isPodnetBridge(link: ObservedLink): boolean {
  return link.kind === 'bridge' && link.alias === PODNET_LINK_ALIAS;
}

/** `route 10.244.2.0/24 via 192.168.1.99 proto static`: how a route is named in conflicts. */
export function describeRoute(route: ObservedRoute): string {
  const parts = ['route'];
  if (route.type !== undefined) parts.push(route.type);
  parts.push(route.dst);
  if (route.gateway !== undefined) parts.push('via', route.gateway);
  for (const hop of route.nexthops ?? []) {
    parts.push('nexthop');
    if (hop.gateway !== undefined) parts.push('via', hop.gateway);
    if (hop.dev !== undefined) parts.push('dev', hop.dev);
  }
  if (route.gateway === undefined && route.dev !== undefined) parts.push('dev', route.dev);
  if (route.metric !== undefined) parts.push('metric', String(route.metric));
  parts.push('proto', route.protocol);
  return parts.join(' ');
}

/**
 * Plans every node of the cluster that has observed state (in cluster order), then the router when
 * cluster.yaml names one and it was gathered (its own section, role `router`): allocates subnets
 * (keeping observed ones), derives each host's desired state and plans it. A node left without a
 * subnet makes the whole plan impossible (its peers could not route to it): UserError.
 */
export function planCluster(cluster: Cluster, observed: ReadonlyMap<string, ObservedState>): Plan {
  const { subnets, diagnostics } = allocateSubnets(cluster, observed);
  if (cluster.nodes.some((node) => !subnets.has(node.name))) {
    throw new UserError(`${cluster.sourcePath}: cannot plan:\n${diagnostics.map((d) => `  ${d}`).join('\n')}`);
  }
  const nodes = cluster.nodes
    .filter((node) => observed.has(node.name))
    .map((node) => {
      const state = observed.get(node.name) as ObservedState;
      return planNode(desiredState(cluster, subnets, node.name), state, { podCidr: cluster.podCidr, nodeAddress: node.address });
    });
  const routerState = cluster.router === undefined ? undefined : observed.get(cluster.router.name);
  if (cluster.router !== undefined && routerState !== undefined) {
    nodes.push(planNode(routerDesiredState(cluster, subnets), routerState, { podCidr: cluster.podCidr, nodeAddress: cluster.router.address }));
  }
  const plan: Plan = { formatVersion: PLAN_FORMAT_VERSION, cluster: cluster.sourcePath, nodes, summary: summarisePlan(nodes) };
  if (diagnostics.length > 0) plan.warnings = diagnostics;
  return plan;
}

/** Plans one node. A converged node gets no changes; foreign objects in the way become conflicts. */
export function planNode(desired: DesiredState, observed: ObservedState, ctx: PlanContext): NodePlan {
  const planner = new NodePlanner(desired, observed, ctx);
  return planner.plan();
}

/** Consecutive changes to the same object with the same action: one line of the plan each. */
export function groupChanges(changes: readonly Change[]): Change[][] {
  const groups: Change[][] = [];
  for (const change of changes) {
    const last = groups[groups.length - 1];
    const head = last?.[0];
    if (last !== undefined && head !== undefined && head.action === change.action && head.object === change.object) {
      last.push(change);
    } else {
      groups.push([change]);
    }
  }
  return groups;
}

/** Counts objects (not commands) to add, change and destroy, and conflicts and refused nodes. */
export function summarisePlan(nodes: readonly NodePlan[]): PlanSummary {
  const summary: PlanSummary = { add: 0, change: 0, destroy: 0, conflicts: 0, refused: 0 };
  for (const node of nodes) {
    for (const group of groupChanges(node.changes)) {
      const action = group[0]?.action;
      if (action === 'create') summary.add++;
      else if (action === 'update') summary.change++;
      else if (action === 'delete') summary.destroy++;
    }
    summary.conflicts += node.conflicts.length;
    if (node.refused !== undefined) summary.refused++;
  }
  return summary;
}

class NodePlanner {
  private readonly conflicts: Conflict[] = [];
  private readonly sysctl: Change[] = [];
  private readonly routeDeletes: Change[] = [];
  private readonly addressDeletes: Change[] = [];
  private readonly linkDeletes: Change[] = [];
  private readonly linkCreates: Change[] = [];
  private readonly linkUpdates: Change[] = [];
  private readonly addressAdds: Change[] = [];
  private readonly routeSets: Change[] = [];
  private readonly fileSets: Change[] = [];
  private readonly firewallDeletes: Change[] = [];
  private readonly firewallCreates: Change[] = [];
  private readonly warnings: string[] = [];
  private readonly guard: ManagementGuard;
  private readonly podCidr: IPv4CidrRange;

  constructor(
    private readonly desired: DesiredState,
    private readonly observed: ObservedState,
    private readonly ctx: PlanContext,
  ) {
    this.podCidr = IPv4CidrRange.fromCidr(ctx.podCidr);
    this.guard = new ManagementGuard(observed, ctx.nodeAddress);
  }

  plan(): NodePlan {
    this.planForwarding();
    // The router has no bridge: forwarding and routes only.
    const bridge = this.desired.bridge;
    if (bridge !== undefined && this.planBridge(bridge) && this.desired.address !== undefined) this.planBridgeAddresses(this.desired.address);
    this.reportForeignPodAddresses();
    if (bridge !== undefined) this.planStaleBridges(bridge);
    this.planRoutes();
    this.planFiles();
    this.planFirewall();
    this.reportRpFilter();
    const plan: NodePlan = {
      node: this.desired.node,
      ...(this.desired.role !== undefined ? { role: this.desired.role } : {}),
      address: this.ctx.nodeAddress,
      subnet: this.desired.subnet,
      changes: [
        ...this.sysctl,
        ...this.firewallDeletes,
        ...this.routeDeletes,
        ...this.addressDeletes,
        ...this.linkDeletes,
        ...this.linkCreates,
        ...this.linkUpdates,
        ...this.addressAdds,
        ...this.routeSets,
        ...this.firewallCreates,
        ...this.fileSets,
      ],
      conflicts: this.conflicts,
    };
    const refused = this.guard.refusal(this.desired.node);
    if (refused !== undefined) plan.refused = refused;
    if (this.warnings.length > 0) plan.warnings = this.warnings;
    return plan;
  }

  private conflict(object: string, message: string): void {
    this.conflicts.push({ node: this.desired.node, object, message });
  }

  private planForwarding(): void {
    const value = this.observed.ipForward;
    if (value === true) return;
    this.sysctl.push({
      action: 'update',
      kind: 'sysctl',
      object: `sysctl ${IP_FORWARD_KEY}`,
      reason: value === null ? 'could not be read, want 1' : 'forwarding is off (0), want 1',
      before: { key: IP_FORWARD_KEY, value: value === null ? null : 0 },
      after: { key: IP_FORWARD_KEY, value: 1 },
      argv: ['sysctl', '-w', `${IP_FORWARD_KEY}=1`],
    });
  }

  /** Creates or repairs podnet's bridge; false when a foreign link holds its name. */
  private planBridge(want: DesiredBridge): boolean {
    const object = `link ${want.name}`;
    const link = this.observed.links.find((l) => l.name === want.name);
    if (link === undefined) {
      const create = (after: Record<string, unknown>, argv: string[]): void => {
        this.linkCreates.push({ action: 'create', kind: 'link', object, reason: 'missing', after: { name: want.name, ...after }, argv });
      };
      create({ kind: 'bridge' }, ['ip', 'link', 'add', want.name, 'type', 'bridge']);
      create({ alias: want.alias }, ['ip', 'link', 'set', 'dev', want.name, 'alias', want.alias]);
      if (want.mtu !== undefined) create({ mtu: want.mtu }, ['ip', 'link', 'set', 'dev', want.name, 'mtu', String(want.mtu)]);
      create({ up: true }, ['ip', 'link', 'set', 'dev', want.name, 'up']);
      return true;
    }
    if (link.kind !== 'bridge') {
      this.conflict(
        `link ${link.name} (${link.kind ?? 'no kind'})`,
        `a ${link.kind ?? 'non-bridge'} link has the name of podnet's bridge; podnet will not replace it`,
      );
      return false;
    }
    if (link.alias !== want.alias) {
      // Adopting a bridge someone else made could take over their addresses and ports: refuse.
      this.conflict(
        `link ${link.name} (bridge${link.alias !== undefined ? `, alias ${link.alias}` : ''})`,
        `a bridge with this name exists without the alias "${want.alias}" (podnet did not make it); ` +
          `podnet will not adopt it — mark it with \`ip link set dev ${link.name} alias ${want.alias}\` if it is podnet's`,
      );
      return false;
    }
    const update = (reason: string, before: Record<string, unknown>, after: Record<string, unknown>, argv: string[]): void => {
      this.guardLink(link.name, 'update');
      this.linkUpdates.push({
        action: 'update',
        kind: 'link',
        object,
        reason,
        before: { name: link.name, ...before },
        after: { name: link.name, ...after },
        argv,
      });
    };
    if (want.mtu !== undefined && link.mtu !== want.mtu) {
      update(`mtu is ${link.mtu}, want ${want.mtu}`, { mtu: link.mtu }, { mtu: want.mtu }, ['ip', 'link', 'set', 'dev', link.name, 'mtu', String(want.mtu)]);
    }
    if (!link.up) update('link is down', { up: false }, { up: true }, ['ip', 'link', 'set', 'dev', link.name, 'up']);
    return true;
  }

  /** The desired address on podnet's bridge; other pod-CIDR addresses there are podnet's stale ones. */
  private planBridgeAddresses(want: DesiredAddress): void {
    const wantText = `${want.local}/${want.prefixlen}`;
    let present = false;
    for (const address of this.observed.addresses.filter((a) => a.dev === want.dev)) {
      if (address.family === 'inet' && address.local === want.local && address.prefixlen === want.prefixlen) {
        present = true;
        continue;
      }
      if (isIpv6LinkLocal(address)) continue; // the kernel's own, on every link that is up
      const text = `${address.local}/${address.prefixlen}`;
      if (address.family === 'inet' && this.podCidr.contains(IPv4.fromString(address.local))) {
        this.guardAddress(address.local, text);
        this.addressDeletes.push({
          action: 'delete',
          kind: 'address',
          object: `address ${text} on ${address.dev}`,
          reason: `stale: the bridge address is ${wantText}`,
          before: { address: text, dev: address.dev },
          argv: ['ip', 'address', 'del', text, 'dev', address.dev],
        });
      } else {
        this.conflict(
          `address ${text} on ${address.dev}`,
          `a foreign address (outside the pod CIDR ${this.ctx.podCidr}) on podnet's bridge; podnet leaves it alone`,
        );
      }
    }
    if (!present) {
      this.addressAdds.push({
        action: 'create',
        kind: 'address',
        object: `address ${wantText} on ${want.dev}`,
        reason: 'missing',
        after: { address: wantText, dev: want.dev },
        argv: ['ip', 'address', 'add', wantText, 'dev', want.dev],
      });
    }
  }

  /**
   * Pod-CIDR addresses on links podnet does not own (another CNI's bridge, say) compete with
   * podnet's bridge and routes. The desired bridge itself is reported by planBridge when foreign.
   */
  private reportForeignPodAddresses(): void {
    const owned = new Set(this.observed.links.filter(isPodnetBridge).map((l) => l.name));
    for (const address of this.observed.addresses) {
      if (address.family !== 'inet' || address.dev === this.desired.bridge?.name || owned.has(address.dev)) continue;
      if (!this.podCidr.contains(IPv4.fromString(address.local))) continue;
      this.conflict(
        `address ${address.local}/${address.prefixlen} on ${address.dev}`,
        `an address inside the pod CIDR ${this.ctx.podCidr} on a link podnet does not own; it competes with podnet's bridge and routes`,
      );
    }
  }

  /** podnet's bridges under another name than the desired one (the bridge was renamed). */
  private planStaleBridges(bridge: DesiredBridge): void {
    for (const link of this.observed.links) {
      if (link.name === bridge.name || !isPodnetBridge(link)) continue;
      const ports = this.observed.links.filter((l) => l.master === link.name).map((l) => l.name);
      const foreign = this.observed.addresses.filter(
        (a) => a.dev === link.name && !isIpv6LinkLocal(a) && !(a.family === 'inet' && this.podCidr.contains(IPv4.fromString(a.local))),
      );
      if (ports.length > 0) {
        this.conflict(`link ${link.name}`, `podnet's old bridge still has ports (${ports.join(', ')}); podnet will not delete it while they are attached`);
        continue;
      }
      if (foreign.length > 0) {
        const list = foreign.map((a) => `${a.local}/${a.prefixlen}`).join(', ');
        this.conflict(`link ${link.name}`, `podnet's old bridge carries foreign addresses (${list}); podnet will not delete it`);
        continue;
      }
      this.guardLink(link.name, 'delete');
      for (const address of this.observed.addresses.filter((a) => a.dev === link.name)) {
        this.guardAddress(address.local, `${address.local}/${address.prefixlen} (on ${link.name})`);
      }
      this.linkDeletes.push({
        action: 'delete',
        kind: 'link',
        object: `link ${link.name}`,
        reason: `stale: podnet's bridge is now ${bridge.name}`,
        before: { name: link.name, kind: 'bridge', alias: link.alias },
        argv: ['ip', 'link', 'del', 'dev', link.name],
      });
    }
  }

  private planRoutes(): void {
    const desiredByDst = new Map(this.desired.routes.map((r) => [r.dst, r]));
    for (const want of this.desired.routes) this.planDesiredRoute(want);
    for (const route of this.observed.routes) {
      if (!isPodnetRoute(route)) continue;
      if (desiredByDst.has(route.dst) && !hasMetric(route)) continue; // planned above
      this.deleteStaleRoute(route, this.staleReason(route, desiredByDst.get(route.dst)));
    }
  }

  private planDesiredRoute(want: DesiredRoute): void {
    const wantSpan = ipv4DstSpan(want.dst);
    const foreign = this.observed.routes.filter((r) => !isPodnetRoute(r) && r.dst === want.dst);
    for (const route of foreign) {
      this.conflict(describeRoute(route), `a foreign route to ${want.peer}'s pod subnet ${want.dst}; podnet will not replace it`);
    }
    // A foreign more specific route would take part of the peer's pods away from podnet's route.
    // The node's own subnet on its bridge is inside the gateway-mode pod-CIDR route, and meant to be.
    for (const route of this.observed.routes) {
      if (isPodnetRoute(route) || route.dst === want.dst || this.isOwnSubnetRoute(route)) continue;
      const span = ipv4DstSpan(route.dst);
      if (span !== null && wantSpan !== null && wantSpan.first <= span.first && span.last <= wantSpan.last) {
        this.conflict(describeRoute(route), `a foreign route inside ${want.peer}'s pod subnet ${want.dst} shadows part of it`);
      }
    }
    if (foreign.length > 0) return;
    const mine = this.observed.routes.find((r) => isPodnetRoute(r) && r.dst === want.dst && !hasMetric(r));
    const after = { dst: want.dst, gateway: want.gateway, protocol: PODNET_PROTO };
    const argv = ['ip', 'route', 'replace', want.dst, 'via', want.gateway, 'proto', PODNET_PROTO];
    if (mine === undefined) {
      this.guardRoute(want.dst, 'create');
      this.routeSets.push({ action: 'create', kind: 'route', object: `route ${want.dst}`, reason: 'missing', after, argv });
      return;
    }
    const reason = routeDifference(mine, want);
    if (reason === null) return;
    this.guardRoute(want.dst, 'update');
    this.routeSets.push({ action: 'update', kind: 'route', object: `route ${want.dst}`, reason, before: routeValue(mine), after, argv });
  }

  /** The kernel's connected route of this node's own subnet on podnet's bridge. */
  private isOwnSubnetRoute(route: ObservedRoute): boolean {
    const bridge = this.desired.bridge;
    return bridge !== undefined && route.dst === this.desired.subnet && route.dev === bridge.name && route.gateway === undefined;
  }

  private staleReason(route: ObservedRoute, want: DesiredRoute | undefined): string {
    if (want !== undefined) return `stale: metric ${route.metric ?? 0} (podnet's route to ${want.peer} has none)`;
    if (this.desired.role === 'router' && this.desired.routes.length === 0) return 'stale: routing mode host-gw keeps no routes on the router';
    if (route.dst === this.desired.subnet && this.desired.role !== 'router') return `stale: ${route.dst} is this node's own subnet`;
    const range = parseIpv4Dst(route.dst);
    if (range === null || !this.podCidr.contains(range)) return `stale: outside the pod CIDR ${this.ctx.podCidr}`;
    if (route.dst === this.ctx.podCidr) return 'stale: only routing mode gateway routes the whole pod CIDR via the router';
    const viaRouter = this.desired.routes.find((r) => r.dst === this.ctx.podCidr);
    if (viaRouter !== undefined) return `stale: routing mode gateway sends the pod CIDR via ${viaRouter.peer} (${viaRouter.gateway})`;
    return `stale: no node has subnet ${route.dst}`;
  }

  private deleteStaleRoute(route: ObservedRoute, reason: string): void {
    this.guardRoute(route.dst, 'delete');
    const argv = ['ip', 'route', 'del'];
    if (route.type !== undefined) argv.push(route.type);
    argv.push(route.dst);
    if (route.gateway !== undefined) argv.push('via', route.gateway);
    else if (route.dev !== undefined && route.nexthops === undefined) argv.push('dev', route.dev);
    argv.push('proto', PODNET_PROTO);
    if (route.metric !== undefined) argv.push('metric', String(route.metric));
    this.routeDeletes.push({ action: 'delete', kind: 'route', object: `route ${route.dst}`, reason, before: routeValue(route), argv });
  }

  /**
   * The CNI plugin and conflist. Planned only when the gather looked at files (observed.files set).
   * A file at one of podnet's paths that does not name podnet is someone else's: a conflict.
   */
  private planFiles(): void {
    const observedFiles = this.observed.files;
    if (observedFiles === undefined) return;
    for (const want of this.desired.files) {
      const found = observedFiles.find((f) => f.path === want.path);
      const after = { path: want.path, mode: want.mode, sha256: want.sha256, purpose: want.purpose };
      const change = (action: 'create' | 'update', reason: string, before?: Record<string, unknown>): void => {
        this.fileSets.push({
          action,
          kind: 'file',
          object: `file ${want.path}`,
          reason,
          ...(before !== undefined ? { before } : {}),
          after,
          argv: ['install-file', want.path, want.mode],
          content: want.content,
        });
      };
      if (found === undefined || found.sha256 === null) {
        change('create', 'missing');
        continue;
      }
      if (found.mentionsPodnet === false) {
        this.conflict(`file ${want.path}`, `a file that does not mention podnet is at podnet's ${want.purpose} path; podnet will not overwrite it`);
        continue;
      }
      const before = { path: found.path, mode: found.mode, sha256: found.sha256 };
      if (found.sha256 !== want.sha256) change('update', `content differs (sha256 ${found.sha256.slice(0, 12)}…, want ${want.sha256.slice(0, 12)}…)`, before);
      else if (found.mode !== want.mode) change('update', `mode is ${found.mode ?? 'unknown'}, want ${want.mode}`, before);
    }
  }

  /**
   * podnet's iptables chains and rules, when the desired state has them and the gather read the
   * tables. Without iptables the FORWARD rules are a warning, egress NAT a conflict.
   */
  private planFirewall(): void {
    const desired = this.desired.firewall;
    const observed = this.observed.firewall;
    if (desired === undefined || observed === undefined) return;
    if (!observed.available) {
      const problem = firewallUnavailable(desired, observed);
      if (problem?.severity === 'conflict') this.conflict('iptables', problem.message);
      else if (problem !== null) this.warnings.push(problem.message);
      return;
    }
    const plan = planFirewall(desired, observed);
    this.firewallDeletes.push(...plan.deletes);
    this.firewallCreates.push(...plan.creates);
    for (const conflict of plan.conflicts) this.conflict(conflict.object, conflict.message);
  }

  /** A strict rp_filter on the bridge or the node's interface: reported, never changed (not podnet's). */
  private reportRpFilter(): void {
    const devs: { dev: string; role: string }[] = [];
    if (this.desired.bridge !== undefined) devs.push({ dev: this.desired.bridge.name, role: "podnet's bridge" });
    const nodeDev = this.observed.addresses.find((a) => a.local === this.ctx.nodeAddress)?.dev ?? this.observed.management?.dev;
    if (nodeDev !== undefined && nodeDev !== this.desired.bridge?.name) devs.push({ dev: nodeDev, role: 'node interface' });
    this.warnings.push(...rpFilterWarnings(this.observed.rpFilter, devs));
  }

  // ── the management path: changes that could cut the node's SSH session are refused ──

  private guardLink(name: string, action: string): void {
    this.guard.link(name, action);
  }

  private guardAddress(local: string, text: string): void {
    this.guard.address(local, text);
  }

  private guardRoute(dst: string, action: string): void {
    this.guard.route(dst, action);
  }
}

/**
 * Collects what in a plan would cut the node's management path (the SSH link, the node's own or
 * SSH address, a route covering the SSH client or the node's address); the planner and destroy
 * both refuse such a node.
 */
export class ManagementGuard {
  /** What would cut the management path, one entry per offending change. */
  readonly refusals: string[] = [];

  constructor(
    private readonly observed: Pick<ObservedState, 'management'>,
    private readonly nodeAddress: string,
  ) {}

  link(name: string, action: string): void {
    const dev = this.observed.management?.dev;
    if (dev !== undefined && dev === name) this.refusals.push(`link ${name} (${action}) carries the SSH session`);
  }

  address(local: string, text: string): void {
    const management = this.observed.management;
    if (local === this.nodeAddress || local === management?.localAddress) {
      this.refusals.push(`address ${text} (delete) is the node's own address`);
    }
  }

  route(dst: string, action: string): void {
    const range = parseIpv4Dst(dst);
    if (range === null) return;
    const management = this.observed.management;
    const protectedAddresses = [
      { address: this.nodeAddress, what: "the node's own address" },
      ...(management !== undefined
        ? [
            { address: management.localAddress, what: "the node's SSH address" },
            { address: management.peerAddress, what: 'the SSH client' },
          ]
        : []),
    ];
    for (const { address, what } of protectedAddresses) {
      if (Validator.isValidIPv4String(address)[0] && range.contains(IPv4.fromString(address))) {
        this.refusals.push(`route ${dst} (${action}) would take the path to ${what} ${address}`);
        return;
      }
    }
  }

  /** The node plan's `refused` text, or undefined when nothing would touch the management path. */
  refusal(node: string): string | undefined {
    if (this.refusals.length === 0) return undefined;
    return `refusing to touch ${node}'s management path (${this.describe()}): ${this.refusals.join('; ')}`;
  }

  private describe(): string {
    const m = this.observed.management;
    if (m === undefined) return `node address ${this.nodeAddress}`;
    return `SSH from ${m.peerAddress} to ${m.localAddress}${m.dev !== undefined ? ` on ${m.dev}` : ''}`;
  }
}

function hasMetric(route: ObservedRoute): boolean {
  return route.metric !== undefined && route.metric !== 0;
}

/** Why podnet's observed route differs from the desired one, or null when it is right. */
function routeDifference(route: ObservedRoute, want: DesiredRoute): string | null {
  if (route.type !== undefined) return `type is ${route.type}, want a route via ${want.gateway}`;
  if (route.nexthops !== undefined) return `multipath, want a single route via ${want.gateway}`;
  if (route.gateway === undefined) return `no gateway${route.dev !== undefined ? ` (dev ${route.dev})` : ''}, want ${want.gateway}`;
  if (route.gateway !== want.gateway) return `gateway is ${route.gateway}, want ${want.gateway}`;
  return null;
}

/** A route as plain data for a change's before/after. */
function routeValue(route: ObservedRoute): Record<string, unknown> {
  const value: Record<string, unknown> = { dst: route.dst };
  if (route.type !== undefined) value['type'] = route.type;
  if (route.gateway !== undefined) value['gateway'] = route.gateway;
  if (route.nexthops !== undefined) value['nexthops'] = route.nexthops;
  if (route.dev !== undefined) value['dev'] = route.dev;
  if (route.metric !== undefined) value['metric'] = route.metric;
  value['protocol'] = route.protocol;
  return value;
}

/** An IPv4 route destination as a range (`default` is 0.0.0.0/0); null for anything else. */
function parseIpv4Dst(dst: string): IPv4CidrRange | null {
  const cidr = dst === 'default' ? '0.0.0.0/0' : dst;
  return Validator.isValidIPv4CidrNotation(cidr)[0] ? IPv4CidrRange.fromCidr(cidr) : null;
}

interface Span {
  first: bigint;
  last: bigint;
}

// ip-num's range checks cost tens of µs; a cluster plan compares every peer route with every
// foreign route on every node, so each destination's first and last address are computed once.
const dstSpans = new Map<string, Span | null>();

function ipv4DstSpan(dst: string): Span | null {
  let span = dstSpans.get(dst);
  if (span === undefined) {
    const range = parseIpv4Dst(dst);
    span = range === null ? null : { first: range.getFirst().getValue(), last: range.getLast().getValue() };
    dstSpans.set(dst, span);
  }
  return span;
}

const IPV6_LINK_LOCAL = IPv6CidrRange.fromCidr('fe80::/10');

function isIpv6LinkLocal(address: ObservedAddress): boolean {
  return address.family === 'inet6' && Validator.isValidIPv6String(address.local)[0] && IPV6_LINK_LOCAL.contains(IPv6.fromString(address.local));
}
