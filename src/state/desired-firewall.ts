// podnet's iptables rules for a cluster: FORWARD accepting pod traffic (so a FORWARD policy of DROP,
// as Docker sets, does not lose it) and, with egress.masquerade, NAT of pod traffic leaving the pod
// CIDR. podnet's chains are the user chains named `PODNET-…`; its rules elsewhere (the jumps) carry
// the comment `podnet`.
import type { Cluster, DesiredFirewall } from '../model/types.js';

export const PODNET_RULE_COMMENT = 'podnet';
export const PODNET_CHAIN_PREFIX = 'PODNET-';
export const FORWARD_CHAIN = 'PODNET-FORWARD';
export const POSTROUTING_CHAIN = 'PODNET-POSTROUTING';

/** The words that tag a rule as podnet's. */
export const PODNET_RULE_TAG = ['-m', 'comment', '--comment', PODNET_RULE_COMMENT] as const;
const TAG = PODNET_RULE_TAG;

/** The rules a node should have for this cluster: FORWARD accept always, NAT when egress.masquerade. */
export function desiredFirewall(cluster: Pick<Cluster, 'podCidr' | 'egress'>): DesiredFirewall {
  const cidr = cluster.podCidr;
  const firewall: DesiredFirewall = {
    chains: [{ table: 'filter', name: FORWARD_CHAIN }],
    rules: [
      { table: 'filter', chain: FORWARD_CHAIN, args: ['-s', cidr, ...TAG, '-j', 'ACCEPT'], purpose: 'forward-from-pods' },
      { table: 'filter', chain: FORWARD_CHAIN, args: ['-d', cidr, ...TAG, '-j', 'ACCEPT'], purpose: 'forward-to-pods' },
      { table: 'filter', chain: 'FORWARD', args: [...TAG, '-j', FORWARD_CHAIN], first: true, purpose: 'forward-jump' },
    ],
  };
  if (cluster.egress?.masquerade === true) {
    firewall.chains.push({ table: 'nat', name: POSTROUTING_CHAIN });
    firewall.rules.push(
      { table: 'nat', chain: POSTROUTING_CHAIN, args: ['-s', cidr, '-d', cidr, ...TAG, '-j', 'RETURN'], purpose: 'nat-keep-pod-traffic' },
      { table: 'nat', chain: POSTROUTING_CHAIN, args: ['-s', cidr, '!', '-d', cidr, ...TAG, '-j', 'MASQUERADE'], purpose: 'nat-masquerade' },
      { table: 'nat', chain: 'POSTROUTING', args: [...TAG, '-j', POSTROUTING_CHAIN], first: true, purpose: 'nat-jump' },
    );
  }
  return firewall;
}

/** Nothing: what destroy wants (every podnet rule and chain goes). */
export const NO_FIREWALL: DesiredFirewall = { chains: [], rules: [] };

/** Where podnet's tag starts in a rule's words, or -1. */
export function tagIndex(args: readonly string[]): number {
  for (let i = 0; i + TAG.length <= args.length; i++) {
    if (TAG.every((word, j) => args[i + j] === word)) return i;
  }
  return -1;
}

/** The words of a rule without podnet's tag: what people read. */
export function withoutTag(args: readonly string[]): string[] {
  const i = tagIndex(args);
  return i < 0 ? [...args] : [...args.slice(0, i), ...args.slice(i + TAG.length)];
}
