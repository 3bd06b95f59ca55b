// Observed objects as the plain values a change carries (before/after) and their keys.
import { ipv4ToInt, parseIpv4Cidr, rangeHolds, type Ipv4Range } from '../model/ipv4.js';
import type { AddressValue, RouteValue, Step } from '../model/plan.js';
import type { ObservedAddress, ObservedRoute } from '../model/types.js';
import { PODNET_PROTO } from '../state/ownership.js';

/** A route as plain data. */
export function routeValue(route: ObservedRoute): RouteValue {
  const value: RouteValue = { dst: route.dst, protocol: route.protocol };
  if (route.type !== undefined) value.type = route.type;
  if (route.gateway !== undefined) value.gateway = route.gateway;
  if (route.nexthops !== undefined) value.nexthops = route.nexthops;
  if (route.dev !== undefined) value.dev = route.dev;
  if (route.metric !== undefined) value.metric = route.metric;
  return value;
}

/** Route identity: destination (+ metric when not 0; `ip route replace` keys on both). */
export function routeKey(route: Pick<ObservedRoute, 'dst' | 'metric'>): string {
  return hasMetric(route) ? `${route.dst} metric ${route.metric}` : route.dst;
}

export function hasMetric(route: Pick<ObservedRoute, 'metric'>): boolean {
  return route.metric !== undefined && route.metric !== 0;
}

/** The `ip route del` of one of podnet's routes, exact enough to hit only that route. */
export function routeDeleteStep(route: ObservedRoute): Step {
  const args = ['route', 'del'];
  if (route.type !== undefined) args.push(route.type);
  args.push(route.dst);
  if (route.gateway !== undefined) args.push('via', route.gateway);
  else if (route.dev !== undefined && route.nexthops === undefined) args.push('dev', route.dev);
  args.push('proto', PODNET_PROTO);
  if (route.metric !== undefined) args.push('metric', String(route.metric));
  return { run: 'ip', args };
}

export function addressText(address: Pick<ObservedAddress, 'local' | 'prefixlen'>): string {
  return `${address.local}/${address.prefixlen}`;
}

export function addressValue(address: Pick<ObservedAddress, 'local' | 'prefixlen' | 'dev'>): AddressValue {
  return { address: addressText(address), dev: address.dev };
}

/** Address identity: `10.244.1.1/24 on v-net-0`. */
export function addressKey(address: AddressValue): string {
  return `${address.address} on ${address.dev}`;
}

/** An IPv4 route destination as a range (`default` is 0.0.0.0/0); null for anything else. */
export function parseIpv4Dst(dst: string): Ipv4Range | null {
  return parseIpv4Cidr(dst === 'default' ? '0.0.0.0/0' : dst);
}

/** Whether an IPv4 address (text) lies inside `range`; false for anything that is not IPv4. */
export function rangeContains(range: Ipv4Range, address: string): boolean {
  const value = ipv4ToInt(address);
  return value !== null && rangeHolds(range, value);
}

/** IPv6 text as ip prints it: hex groups, colons, an IPv4 tail; `::` at most once. */
const IPV6_TEXT = /^(?=.*:)[0-9A-Fa-f:.]{2,45}$/;

/**
 * Whether an observed address is IPv6 link-local (fe80::/10): its first group, 16 bits, is
 * fe80–febf. Read from the text (ip-num's range check cost about 3 ms per node in the planner,
 * every link carries one); the first group is empty only when the address starts with `::`.
 */
export function isIpv6LinkLocal(address: ObservedAddress): boolean {
  if (address.family !== 'inet6' || !IPV6_TEXT.test(address.local) || address.local.includes(':::') || address.local.split('::').length > 2) return false;
  const first = address.local.slice(0, address.local.indexOf(':'));
  if (!/^[0-9A-Fa-f]{1,4}$/.test(first)) return false;
  const value = Number.parseInt(first, 16);
  return value >= 0xfe80 && value <= 0xfebf;
}
