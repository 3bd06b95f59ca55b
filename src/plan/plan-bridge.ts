// podnet's bridge on a node: create or repair it, its address, and remove podnet's bridges left
// under an old name. A bridge is podnet's only with podnet's alias; a link of that name podnet did
// not make is a conflict and is never adopted (it may carry someone else's ports and addresses).
import type { DesiredAddress, DesiredBridge, ObservedLink } from '../model/types.js';
import type { LinkValue, Step } from '../model/plan.js';
import { isPodnetBridge } from '../state/ownership.js';
import type { Planning } from './planning.js';
import { addressKey, addressText, addressValue, isIpv6LinkLocal, rangeContains } from './values.js';

/** The bridge, its address, foreign pod-CIDR addresses, and stale podnet bridges. */
export function planBridge(p: Planning): void {
  const bridge = p.desired.bridge;
  if (bridge === undefined) return; // the router has no bridge
  if (planBridgeLink(p, bridge) && p.desired.address !== undefined) planBridgeAddresses(p, p.desired.address);
  reportForeignPodAddresses(p);
  planStaleBridges(p, bridge);
}

/** Creates or repairs podnet's bridge; false when a foreign link holds its name. */
function planBridgeLink(p: Planning, want: DesiredBridge): boolean {
  const link = p.observed.links.find((l) => l.name === want.name);
  if (link === undefined) {
    const steps: Step[] = [
      { run: 'ip', args: ['link', 'add', want.name, 'type', 'bridge'] },
      { run: 'ip', args: ['link', 'set', 'dev', want.name, 'alias', want.alias] },
      ...(want.mtu !== undefined ? [{ run: 'ip' as const, args: ['link', 'set', 'dev', want.name, 'mtu', String(want.mtu)] }] : []),
      { run: 'ip', args: ['link', 'set', 'dev', want.name, 'up'] },
    ];
    const after: LinkValue = { name: want.name, kind: 'bridge', alias: want.alias, ...(want.mtu !== undefined ? { mtu: want.mtu } : {}), up: true };
    p.guard.link(want.name, 'create');
    p.add('link-set', { kind: 'link', key: want.name, action: 'create', after, reason: { code: 'missing' }, steps });
    return true;
  }
  if (link.kind !== 'bridge') {
    p.conflict({ code: 'link-not-bridge', kind: 'link', key: link.name, found: { name: link.name, kind: link.kind } });
    return false;
  }
  if (link.alias !== want.alias) {
    const found: LinkValue = { name: link.name, kind: 'bridge', ...(link.alias !== undefined ? { alias: link.alias } : {}) };
    p.conflict({ code: 'bridge-not-podnet', kind: 'link', key: link.name, found, alias: want.alias });
    return false;
  }
  const before: LinkValue = { name: link.name };
  const after: LinkValue = { name: link.name };
  const steps: Step[] = [];
  if (want.mtu !== undefined && link.mtu !== want.mtu) {
    before.mtu = link.mtu;
    after.mtu = want.mtu;
    steps.push({ run: 'ip', args: ['link', 'set', 'dev', link.name, 'mtu', String(want.mtu)] });
  }
  if (!link.up) {
    before.up = false;
    after.up = true;
    steps.push({ run: 'ip', args: ['link', 'set', 'dev', link.name, 'up'] });
  }
  if (steps.length === 0) return true;
  p.guard.link(link.name, 'update');
  p.add('link-set', { kind: 'link', key: link.name, action: 'update', before, after, reason: { code: 'differs' }, steps });
  return true;
}

/** The desired address on podnet's bridge; other pod-CIDR addresses there are podnet's stale ones. */
function planBridgeAddresses(p: Planning, want: DesiredAddress): void {
  const wantText = addressText(want);
  let present = false;
  for (const address of p.observed.addresses.filter((a) => a.dev === want.dev)) {
    if (address.family === 'inet' && address.local === want.local && address.prefixlen === want.prefixlen) {
      present = true;
      p.guard.addressRoute(want, addressKey(addressValue(address)), 'keep');
      continue;
    }
    if (isIpv6LinkLocal(address)) continue; // the kernel's own, on every link that is up
    const value = addressValue(address);
    if (address.family === 'inet' && rangeContains(p.podCidr, address.local)) {
      p.guard.address(address.local, addressKey(value));
      const steps: Step[] = [{ run: 'ip', args: ['address', 'del', value.address, 'dev', value.dev] }];
      p.add('address-delete', { kind: 'address', key: addressKey(value), action: 'delete', before: value, reason: { code: 'stale-address', want: wantText }, steps });
    } else {
      p.conflict({ code: 'foreign-address-on-bridge', kind: 'address', key: addressKey(value), found: value, podCidr: p.ctx.podCidr });
    }
  }
  if (!present) {
    const after = { address: wantText, dev: want.dev };
    p.guard.addressRoute(want, addressKey(after), 'create');
    const steps: Step[] = [{ run: 'ip', args: ['address', 'add', wantText, 'dev', want.dev] }];
    p.add('address-create', { kind: 'address', key: addressKey(after), action: 'create', after, reason: { code: 'missing' }, steps });
  }
}

/**
 * Pod-CIDR addresses on links podnet does not own (another CNI's bridge, say) compete with
 * podnet's bridge and routes. The desired bridge itself is reported by planBridgeLink when foreign.
 */
function reportForeignPodAddresses(p: Planning): void {
  const owned = new Set(p.observed.links.filter(isPodnetBridge).map((l) => l.name));
  for (const address of p.observed.addresses) {
    if (address.family !== 'inet' || address.dev === p.desired.bridge?.name || owned.has(address.dev)) continue;
    if (!rangeContains(p.podCidr, address.local)) continue;
    const value = addressValue(address);
    p.conflict({ code: 'pod-address-on-foreign-link', kind: 'address', key: addressKey(value), found: value, podCidr: p.ctx.podCidr });
  }
}

/** podnet's bridges under another name than the desired one (the bridge was renamed). */
function planStaleBridges(p: Planning, bridge: DesiredBridge): void {
  for (const link of p.observed.links) {
    if (link.name === bridge.name || !isPodnetBridge(link)) continue;
    const ports = p.observed.links.filter((l) => l.master === link.name).map((l) => l.name);
    const addresses = p.observed.addresses.filter((a) => a.dev === link.name && !isIpv6LinkLocal(a));
    const foreign = addresses.filter((a) => !(a.family === 'inet' && rangeContains(p.podCidr, a.local)));
    if (ports.length > 0) {
      p.conflict({ code: 'old-bridge-has-ports', kind: 'link', key: link.name, ports });
      continue;
    }
    if (foreign.length > 0) {
      p.conflict({ code: 'old-bridge-foreign-addresses', kind: 'link', key: link.name, addresses: foreign.map(addressText) });
      continue;
    }
    p.guard.link(link.name, 'delete');
    for (const address of p.observed.addresses.filter((a) => a.dev === link.name)) {
      p.guard.address(address.local, addressKey(addressValue(address)));
    }
    p.add('link-delete', {
      kind: 'link',
      key: link.name,
      action: 'delete',
      // The addresses go with the bridge; a rollback puts them back.
      before: { ...staleBridgeValue(link), addresses: addresses.map(addressText) },
      reason: { code: 'stale-bridge', want: bridge.name },
      steps: [{ run: 'ip', args: ['link', 'del', 'dev', link.name] }],
    });
  }
}

function staleBridgeValue(link: ObservedLink): LinkValue {
  return { name: link.name, kind: 'bridge', ...(link.alias !== undefined ? { alias: link.alias } : {}) };
}
