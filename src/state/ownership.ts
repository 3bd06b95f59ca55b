// What podnet owns on a node, by the marks it leaves: routes with its protocol, bridges with its
// alias. The planner, destroy and verify's diagnosis all ask here. (iptables: see firewall.ts.)
import { PODNET_LINK_ALIAS, PODNET_ROUTE_PROTO, PODNET_ROUTE_PROTO_NAME, type ObservedLink, type ObservedRoute } from '../model/types.js';

/** podnet's route protocol as `ip` takes it. */
export const PODNET_PROTO = String(PODNET_ROUTE_PROTO);

/** Routes podnet made carry its protocol: `201`, or `podnet` where rt_protos.d names it. */
export function isPodnetRoute(route: Pick<ObservedRoute, 'protocol'>): boolean {
  return route.protocol === PODNET_PROTO || route.protocol === PODNET_ROUTE_PROTO_NAME;
}

/** Bridges podnet made carry its alias. */
export function isPodnetBridge(link: Pick<ObservedLink, 'kind' | 'alias'>): boolean {
  return link.kind === 'bridge' && link.alias === PODNET_LINK_ALIAS;
}
