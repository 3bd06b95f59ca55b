// The convergence check that verify runs after apply: is every desired fact present in the
// observed state? Desired ⊆ observed — extra routes the kernel (or an admin) made are fine.
import { PODNET_ROUTE_PROTO, type DesiredBridge, type DesiredState, type ObservedState } from '../model/types.js';
import { describeRoute, isPodnetRoute } from './plan.js';
import { unmetFirewall } from './firewall.js';

/**
 * Human descriptions of each desired fact the node lacks, one entry per fact (forwarding, the
 * bridge, its address, each route), so the count of entries is the count of unmet facts; empty
 * when the node has converged.
 */
export function unmetDesired(desired: DesiredState, observed: ObservedState): string[] {
  const unmet: string[] = [];
  if (observed.ipForward !== true) {
    unmet.push(`net.ipv4.ip_forward is ${observed.ipForward === null ? 'unreadable' : '0'}, want 1`);
  }

  // The router has no bridge and no address.
  if (desired.bridge !== undefined) {
    const problem = unmetBridge(desired.bridge, observed);
    if (problem !== undefined) unmet.push(problem);
  }
  const address = desired.address;
  if (address !== undefined) {
    const hasAddress = observed.addresses.some(
      (a) => a.dev === address.dev && a.family === 'inet' && a.local === address.local && a.prefixlen === address.prefixlen,
    );
    if (!hasAddress) unmet.push(`address ${address.local}/${address.prefixlen} on ${address.dev} is missing`);
  }

  for (const route of desired.routes) {
    const sameDst = observed.routes.filter((r) => r.dst === route.dst);
    const present = sameDst.some(
      (r) => isPodnetRoute(r) && r.gateway === route.gateway && r.type === undefined && (r.metric === undefined || r.metric === 0),
    );
    if (present) continue;
    const found = sameDst.length > 0 ? ` (found ${sameDst.map(describeRoute).join('; ')})` : '';
    unmet.push(`route ${route.dst} via ${route.gateway} proto ${PODNET_ROUTE_PROTO} is missing${found}`);
  }

  // Files are compared only when the gather read them (observed.files set).
  for (const file of observed.files === undefined ? [] : desired.files) {
    const found = observed.files?.find((f) => f.path === file.path);
    if (found === undefined || found.sha256 === null) unmet.push(`file ${file.path} is missing`);
    else if (found.sha256 !== file.sha256) unmet.push(`file ${file.path} has other content`);
    else if (found.mode !== file.mode) unmet.push(`file ${file.path} has mode ${found.mode ?? 'unknown'}, want ${file.mode}`);
  }
  // podnet's iptables chains and rules, compared only when the gather read the tables.
  if (desired.firewall !== undefined) unmet.push(...unmetFirewall(desired.firewall, observed.firewall));
  return unmet;
}

function unmetBridge(want: DesiredBridge, observed: ObservedState): string | undefined {
  const link = observed.links.find((l) => l.name === want.name);
  if (link === undefined) return `link ${want.name} is missing`;
  const problems: string[] = [];
  if (link.kind !== 'bridge') problems.push(`${link.kind === null ? 'not a bridge' : `a ${link.kind}`}, want a bridge`);
  if (link.alias !== want.alias) problems.push(`${link.alias === undefined ? 'no alias' : `alias ${link.alias}`}, want alias ${want.alias}`);
  if (want.mtu !== undefined && link.mtu !== want.mtu) problems.push(`mtu ${link.mtu}, want ${want.mtu}`);
  if (!link.up) problems.push('down');
  return problems.length > 0 ? `link ${want.name}: ${problems.join('; ')}` : undefined;
}
