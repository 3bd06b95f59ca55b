// The working state of one node's planning, shared by the planner's parts (bridge, routes, files,
// firewall): what is desired and observed, the management guard, and the changes found so far,
// filed by phase. The phases fix the order of the node's steps:
//   sysctl first (so the ip steps that follow form one contiguous `ip -batch`), then deletions —
//   podnet's stale iptables rules, stale routes, stale addresses, stale links, so nothing is removed
//   while something podnet still plans to remove depends on it, and a wrong bridge address is gone
//   before the right one is added (deleting a primary address drops the secondaries added after
//   it) — then creations: the bridge, its address, routes, iptables rules, and last the CNI plugin
//   and its conflist (a runtime that reads the conflist finds the bridge ready).
import { parseIpv4Cidr, type Ipv4Range } from '../model/ipv4.js';
import type { Change, ConflictDetail, Conflict, RouteValue, Step, Waiting, WaitingWhy, Warning } from '../model/plan.js';
import type { DesiredRoute, DesiredState, ObservedState } from '../model/types.js';
import { ManagementGuard } from './management-guard.js';

export const PHASES = [
  'sysctl',
  'firewall-delete',
  'route-delete',
  'address-delete',
  'link-delete',
  'link-set',
  'address-create',
  'route-set',
  'firewall-create',
  'file',
] as const;

export type Phase = (typeof PHASES)[number];

export interface PlanContext {
  /** The cluster's pod CIDR: podnet's routes and bridge addresses live inside it. */
  podCidr: string;
  /** The node's own address on the node network (protected like the management path). */
  nodeAddress: string;
  /**
   * The hosts a route may not be pointed at in this run, by address: not gathered, or gathered
   * without holding their address. Routes via them wait (see plan-routes.ts).
   */
  unreached?: ReadonlyMap<string, { peer: string; why: WaitingWhy }>;
  /** Addresses of nodes that left cluster.yaml → the subnets routed via each (see removed.ts). */
  removed?: ReadonlyMap<string, ReadonlySet<string>>;
  /** apply --prune-removed: routes to removed nodes are deleted; otherwise they are left alone. */
  pruneRemoved?: boolean;
  /**
   * The values of the routes planned, by desired route, shared by the hosts of one plan (see
   * plan-routes.ts): a thousand nodes that each lack a route to a peer share one value and one
   * step for it. Without it each host makes its own.
   */
  routeSets?: Map<DesiredRoute, RouteSet>;
}

/** The values of a planned route to one destination, shared by every node's change that sets it (see plan-routes.ts). */
export interface RouteSet {
  after: RouteValue;
  steps: Step[];
  /** The destination's range (null: not IPv4). */
  range: Ipv4Range | null;
}

export class Planning {
  readonly podCidr: Ipv4Range;
  readonly guard: ManagementGuard;
  readonly conflicts: Conflict[] = [];
  readonly warnings: Warning[] = [];
  readonly waiting: Waiting[] = [];
  private readonly phases = new Map<Phase, Change[]>(PHASES.map((phase) => [phase, []]));
  /** The route values of this host's plan (ctx.routeSets, or this host's own). */
  routeSets: Map<DesiredRoute, RouteSet> | undefined;

  constructor(
    readonly desired: DesiredState,
    readonly observed: ObservedState,
    readonly ctx: PlanContext,
  ) {
    const podCidr = parseIpv4Cidr(ctx.podCidr);
    if (podCidr === null) throw new Error(`not an IPv4 CIDR: ${ctx.podCidr}`);
    this.podCidr = podCidr;
    this.guard = new ManagementGuard(observed, ctx.nodeAddress);
  }

  add(phase: Phase, change: Change): void {
    (this.phases.get(phase) as Change[]).push(change);
  }

  conflict(detail: ConflictDetail): void {
    this.conflicts.push({ node: this.desired.node, ...detail });
  }

  warn(warning: Warning): void {
    this.warnings.push(warning);
  }

  wait(waiting: Waiting): void {
    this.waiting.push(waiting);
  }

  /** Every change found, in phase order. */
  changes(): Change[] {
    return PHASES.flatMap((phase) => this.phases.get(phase) as Change[]);
  }
}
