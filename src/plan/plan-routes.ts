// Routes: one per desired destination (`ip route replace … proto 201`, keyed on destination, so a
// changed gateway is an update), podnet's stale routes deleted, and foreign routes that would take
// a peer's pods away from podnet's route reported as conflicts and left alone.
//
// Peers are only pointed at hosts that answer: a route via a host that was not reached in this run
// (ctx.unreached) is set only when it is already exactly in place; otherwise it WAITS — shown in
// the plan, nothing planned for its destination — and podnet's routes it would replace stay as
// they are (the same destination, one overlapping it, or a stale route via that host), so traffic
// keeps its old path until the host answers. Routes to a node that left cluster.yaml (ctx.removed)
// are left alone unless --prune-removed asks to delete them.
import type { Reason, RouteValue, Step, Waiting } from '../model/plan.js';
import { rangeInside, rangesOverlap, type Ipv4Range } from '../model/ipv4.js';
import type { DesiredRoute, ObservedRoute } from '../model/types.js';
import { PODNET_PROTO, isPodnetRoute } from '../state/ownership.js';
import type { Planning, RouteSet } from './planning.js';
import { hasMetric, parseIpv4Dst, routeDeleteStep, routeKey, routeValue } from './values.js';

/**
 * The node's observed routes, indexed once: a plan of a 1,000-node cluster looks up a thousand
 * destinations on each node, and must not scan every route for each (nor build a map of the
 * desired ones per node: the desired routes mark the observed ones they account for, by index).
 */
interface ObservedRoutes {
  /** podnet's route (metric 0) to each destination, the first one found: its index in the routes. */
  mine: Map<string, number>;
  /** For each podnet route without a metric, the index of the first one to its destination (`mine`); -1 for the others. */
  first: Int32Array;
  /** By index of a `mine` route: 1 when a desired route to its destination was planned (not waiting). */
  planned: Uint8Array;
  /** By index of a `mine` route: 1 when a desired route to its destination waits. */
  held: Uint8Array;
  /** Foreign routes by destination, in the order found. */
  foreignByDst: Map<string, ObservedRoute[]>;
  /** Every foreign route, in the order found, with its IPv4 range (null: not an IPv4 destination). */
  foreign: { route: ObservedRoute; range: Ipv4Range | null }[];
  /** The foreign routes that a peer's route may hold inside it: an IPv4 range, not the node's own subnet on its bridge. */
  foreignRanged: { route: ObservedRoute; range: Ipv4Range }[];
  /** The longest prefix in foreignRanged (-1: none): a desired route of a longer prefix holds none of them. */
  foreignMaxPrefix: number;
}

function indexRoutes(p: Planning, routes: readonly ObservedRoute[]): ObservedRoutes {
  const index: ObservedRoutes = {
    mine: new Map(),
    first: new Int32Array(routes.length).fill(-1),
    planned: new Uint8Array(routes.length),
    held: new Uint8Array(routes.length),
    foreignByDst: new Map(),
    foreign: [],
    foreignRanged: [],
    // Stryker disable next-line UnaryOperator: a bound of 1 lets only a /0 or /1 desired route (none: pod CIDRs are longer) scan the foreign routes, and a /0 or /1 foreign route is inside none of them but its own range, skipped by name
    foreignMaxPrefix: -1,
  };
  for (let i = 0; i < routes.length; i++) {
    const route = routes[i] as ObservedRoute;
    if (isPodnetRoute(route)) {
      if (hasMetric(route)) continue;
      const first = index.mine.get(route.dst);
      if (first === undefined) index.mine.set(route.dst, i);
      index.first[i] = first ?? i;
      continue;
    }
    const range = parseIpv4Dst(route.dst);
    index.foreign.push({ route, range });
    if (range !== null && !isOwnSubnetRoute(p, route)) {
      index.foreignRanged.push({ route, range });
      if (range.prefix > index.foreignMaxPrefix) index.foreignMaxPrefix = range.prefix;
    }
    const same = index.foreignByDst.get(route.dst);
    if (same === undefined) index.foreignByDst.set(route.dst, [route]);
    else same.push(route);
  }
  return index;
}

export function planRoutes(p: Planning): void {
  const routes = p.observed.routes;
  const observed = indexRoutes(p, routes);
  const heldRanges: { dst: string; range: Ipv4Range | null }[] = [];
  const foreignDsts = observed.foreignByDst.size > 0;
  for (const want of p.desired.routes) {
    // The common case first, without making the route's values: podnet's route is in place and
    // nothing foreign is in its way (no foreign route to its destination, none long enough to lie
    // inside it). planDesiredRoute would find the same: nothing to do.
    const mineAt = observed.mine.get(want.dst);
    if (mineAt !== undefined && !(foreignDsts && observed.foreignByDst.has(want.dst)) && routeIsRight(routes[mineAt] as ObservedRoute, want)) {
      const prefix = observed.foreignMaxPrefix < 0 ? 33 : cidrPrefix(want.dst);
      if (prefix > observed.foreignMaxPrefix) {
        observed.planned[mineAt] = 1;
        continue;
      }
    }
    if (planDesiredRoute(p, want, observed, mineAt) === 'waiting') heldRanges.push({ dst: want.dst, range: parseIpv4Dst(want.dst) });
  }
  let desiredByDst: Map<string, DesiredRoute> | undefined;
  for (let i = 0; i < routes.length; i++) {
    const route = routes[i] as ObservedRoute;
    if (!isPodnetRoute(route)) continue;
    const first = observed.first[i] as number;
    if (
      first >= 0 &&
      observed.planned[first] === 1 &&
      // Stryker disable next-line ConditionalExpression: planDesiredRoute marks a route planned or held, never both
      observed.held[first] === 0
    )
      continue; // planned above
    // A route that a waiting one would replace stays until that one can be set.
    if (heldRanges.length > 0) {
      const range = parseIpv4Dst(route.dst);
      if (heldRanges.some((h) => overlaps(h, { dst: route.dst, range }))) continue;
    }
    const away = route.gateway !== undefined ? p.ctx.unreached?.get(route.gateway) : undefined;
    if (away !== undefined) {
      p.wait({ kind: 'route', key: routeKey(route), peer: away.peer, why: away.why, found: routeValue(route) });
      continue;
    }
    const removed = route.gateway !== undefined && p.ctx.removed?.get(route.gateway)?.has(route.dst) === true;
    if (removed && p.ctx.pruneRemoved !== true) continue; // the plan's warning names the command that removes it
    p.guard.route(route.dst, 'delete');
    desiredByDst ??= new Map(p.desired.routes.map((r) => [r.dst, r]));
    p.add('route-delete', {
      kind: 'route',
      key: routeKey(route),
      action: 'delete',
      before: routeValue(route),
      reason: removed ? { code: 'stale-route-removed-node', gateway: route.gateway as string } : staleReason(p, route, desiredByDst.get(route.dst)),
      steps: [routeDeleteStep(route)],
    });
  }
}

function overlaps(a: { dst: string; range: Ipv4Range | null }, b: { dst: string; range: Ipv4Range | null }): boolean {
  if (a.range === null || b.range === null) return a.dst === b.dst;
  return rangesOverlap(a.range, b.range);
}

/** The route podnet wants for a destination, as a value. */
export function desiredRouteValue(want: DesiredRoute): RouteValue {
  return { dst: want.dst, gateway: want.gateway, protocol: PODNET_PROTO };
}

/**
 * The one answer to "is podnet's route to this destination right?": the observed podnet route
 * (metric 0) equals the desired one when it is a plain unicast route via the desired gateway.
 */
export function routeIsRight(route: ObservedRoute, want: DesiredRoute): boolean {
  return route.type === undefined && route.nexthops === undefined && route.gateway === want.gateway;
}

// A route to a peer is planned the same on every node that lacks it: its value and its step are
// made once per desired route (shared by every node: see desired.ts) and plan (PlanContext's
// routeSets, made by buildClusterState), like the reasons.
const MISSING: Reason = Object.freeze({ code: 'missing' });
const DIFFERS: Reason = Object.freeze({ code: 'differs' });

function routeSetValues(p: Planning, want: DesiredRoute): RouteSet {
  // A map per plan, not a WeakMap per process: a plan of one node of 5,000 makes 4,999 of these,
  // and a WeakMap's entries cost more to add and to collect than the values themselves.
  const sets = (p.routeSets ??= p.ctx.routeSets ?? new Map<DesiredRoute, RouteSet>());
  let values = sets.get(want);
  if (values === undefined) {
    // Shared by every node's change, never changed (not frozen: Object.freeze costs more than the rest).
    const step: Step = { run: 'ip', args: ['route', 'replace', want.dst, 'via', want.gateway, 'proto', PODNET_PROTO] };
    values = { after: desiredRouteValue(want), steps: [step], range: parseIpv4Dst(want.dst) };
    sets.set(want, values);
  }
  return values;
}

/**
 * Plans the desired route; `waiting` when it is held back for a host not reached (nothing planned).
 * Marks podnet's observed route to its destination as planned or held (see planRoutes).
 */
function planDesiredRoute(p: Planning, want: DesiredRoute, observed: ObservedRoutes, mineAt: number | undefined): 'planned' | 'waiting' {
  const result = planDesiredRouteAt(p, want, observed, mineAt === undefined ? undefined : p.observed.routes[mineAt]);
  if (mineAt !== undefined) (result === 'waiting' ? observed.held : observed.planned)[mineAt] = 1;
  return result;
}

function planDesiredRouteAt(p: Planning, want: DesiredRoute, observed: ObservedRoutes, mine: ObservedRoute | undefined): 'planned' | 'waiting' {
  const { after, steps, range: wantRange } = routeSetValues(p, want);
  const foreign = observed.foreignByDst.size > 0 ? (observed.foreignByDst.get(want.dst) ?? []) : [];
  for (const route of foreign) {
    p.conflict({ code: 'foreign-route-to-peer', kind: 'route', key: routeKey(route), found: routeValue(route), peer: want.peer });
  }
  // A foreign more specific route would take part of the peer's pods away from podnet's route.
  // The node's own subnet on its bridge is inside the gateway-mode pod-CIDR route, and meant to be.
  if (wantRange !== null && wantRange.prefix <= observed.foreignMaxPrefix) {
    for (const { route, range } of observed.foreignRanged) {
      if (route.dst === want.dst) continue;
      if (rangeInside(range, wantRange)) {
        p.conflict({ code: 'foreign-route-inside-peer', kind: 'route', key: routeKey(route), found: routeValue(route), peer: want.peer, subnet: want.dst });
      }
    }
  }
  if (foreign.length > 0) return 'planned';
  const away = p.ctx.unreached?.get(want.gateway);
  if (away !== undefined && !(mine !== undefined && routeIsRight(mine, want))) {
    const waiting: Waiting = { kind: 'route', key: want.dst, peer: away.peer, why: away.why, want: after };
    if (mine !== undefined) waiting.found = routeValue(mine);
    p.wait(waiting);
    return 'waiting';
  }
  if (mine === undefined) {
    p.guard.route(want.dst, 'create', wantRange);
    p.add('route-set', { kind: 'route', key: want.dst, action: 'create', after, reason: MISSING, steps });
    return 'planned';
  }
  if (routeIsRight(mine, want)) return 'planned';
  p.guard.route(want.dst, 'update', wantRange);
  p.add('route-set', { kind: 'route', key: want.dst, action: 'update', before: routeValue(mine), after, reason: DIFFERS, steps });
  return 'planned';
}

/**
 * The prefix length of a CIDR text (`10.244.2.0/24` → 24), read without parsing the address; -1
 * when there is no `/` followed by digits only. Only ever compared with foreignMaxPrefix: a -1
 * sends the route down the full path.
 */
function cidrPrefix(dst: string): number {
  const slash = dst.lastIndexOf('/');
  if (slash < 0 || slash === dst.length - 1 || dst.length - slash > 3) return -1;
  let prefix = 0;
  for (let i = slash + 1; i < dst.length; i++) {
    const digit = dst.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    prefix = prefix * 10 + digit;
  }
  return prefix;
}

/** The kernel's connected route of this node's own subnet on podnet's bridge. */
function isOwnSubnetRoute(p: Planning, route: ObservedRoute): boolean {
  const bridge = p.desired.bridge;
  return bridge !== undefined && route.dst === p.desired.subnet && route.dev === bridge.name && route.gateway === undefined;
}

function staleReason(p: Planning, route: ObservedRoute, want: DesiredRoute | undefined): Reason {
  const { desired, ctx } = p;
  if (want !== undefined) return { code: 'stale-route-metric', peer: want.peer };
  if (desired.role === 'router' && desired.routes.length === 0) return { code: 'stale-route-router-host-gw' };
  if (route.dst === desired.subnet && desired.role !== 'router') return { code: 'stale-route-own-subnet' };
  const range = parseIpv4Dst(route.dst);
  if (range === null || !rangeInside(range, p.podCidr)) return { code: 'stale-route-outside-pod-cidr', podCidr: ctx.podCidr };
  if (route.dst === ctx.podCidr) return { code: 'stale-route-pod-cidr' };
  const viaRouter = desired.routes.find((r) => r.dst === ctx.podCidr);
  if (viaRouter !== undefined) return { code: 'stale-route-via-router', router: viaRouter.peer, gateway: viaRouter.gateway };
  return { code: 'stale-route-no-node' };
}
