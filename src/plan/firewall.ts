// podnet's iptables rules: what a node should have (FORWARD accepting pod traffic, egress NAT) and
// the changes that bring the observed tables there. Pure.
//
// Ownership: podnet's chains are the user chains named `PODNET-…`; every rule in them is podnet's,
// and so is every rule elsewhere tagged `-m comment --comment podnet` (the jumps from FORWARD and
// POSTROUTING). Nothing else is ever changed: a foreign rule that jumps to a podnet chain keeps
// that chain alive (a conflict).
//
// Order of the steps: tagged rules in built-in chains (the jumps) are deleted first, then stale
// rules in podnet's chains, then podnet's chains that are no longer wanted (`-X` needs them empty
// and unreferenced); then chains are created, filled, and only then jumped to — so a jump never
// leads to a half-built chain.
import {
  type Change,
  type Cluster,
  type DesiredFirewall,
  type DesiredRule,
  type IptablesChain,
  type IptablesRule,
  type ObservedFirewall,
} from '../model/types.js';
import { joinIptablesWords } from '../state/iptables-save.js';

export const PODNET_RULE_COMMENT = 'podnet';
export const PODNET_CHAIN_PREFIX = 'PODNET-';
export const FORWARD_CHAIN = 'PODNET-FORWARD';
export const POSTROUTING_CHAIN = 'PODNET-POSTROUTING';

const TAG = ['-m', 'comment', '--comment', PODNET_RULE_COMMENT] as const;

/** The rules a node should have for this cluster: FORWARD accept always, NAT when egress.masquerade. */
export function desiredFirewall(cluster: Pick<Cluster, 'podCidr' | 'egress'>): DesiredFirewall {
  const cidr = cluster.podCidr;
  const firewall: DesiredFirewall = {
    chains: [{ table: 'filter', name: FORWARD_CHAIN }],
    rules: [
      { table: 'filter', chain: FORWARD_CHAIN, args: ['-s', cidr, ...TAG, '-j', 'ACCEPT'], purpose: 'forward traffic from pods' },
      { table: 'filter', chain: FORWARD_CHAIN, args: ['-d', cidr, ...TAG, '-j', 'ACCEPT'], purpose: 'forward traffic to pods' },
      { table: 'filter', chain: 'FORWARD', args: [...TAG, '-j', FORWARD_CHAIN], first: true, purpose: "first in FORWARD: podnet's accept rules" },
    ],
  };
  if (cluster.egress?.masquerade === true) {
    firewall.chains.push({ table: 'nat', name: POSTROUTING_CHAIN });
    firewall.rules.push(
      { table: 'nat', chain: POSTROUTING_CHAIN, args: ['-s', cidr, '-d', cidr, ...TAG, '-j', 'RETURN'], purpose: 'pod to pod: never translated' },
      { table: 'nat', chain: POSTROUTING_CHAIN, args: ['-s', cidr, '!', '-d', cidr, ...TAG, '-j', 'MASQUERADE'], purpose: 'egress NAT: pods leaving the pod CIDR' },
      { table: 'nat', chain: 'POSTROUTING', args: [...TAG, '-j', POSTROUTING_CHAIN], first: true, purpose: "first in POSTROUTING: podnet's NAT rules" },
    );
  }
  return firewall;
}

/** Nothing: what destroy wants (every podnet rule and chain goes). */
export const NO_FIREWALL: DesiredFirewall = { chains: [], rules: [] };

function hasTag(args: readonly string[]): boolean {
  for (let i = 0; i + TAG.length <= args.length; i++) {
    if (TAG.every((word, j) => args[i + j] === word)) return true;
  }
  return false;
}

export function isPodnetChainName(name: string): boolean {
  return name.startsWith(PODNET_CHAIN_PREFIX);
}

/** podnet's rules: everything in a PODNET- chain, and rules tagged with podnet's comment. */
export function isPodnetRule(rule: Pick<IptablesRule, 'chain' | 'args'>): boolean {
  return isPodnetChainName(rule.chain) || hasTag(rule.args);
}

export function isPodnetChain(chain: IptablesChain): boolean {
  return chain.policy === null && isPodnetChainName(chain.name);
}

/** The words of a rule without podnet's tag: what people read. */
function withoutTag(args: readonly string[]): string[] {
  for (let i = 0; i + TAG.length <= args.length; i++) {
    if (TAG.every((word, j) => args[i + j] === word)) return [...args.slice(0, i), ...args.slice(i + TAG.length)];
  }
  return [...args];
}

/** `rule filter FORWARD -j PODNET-FORWARD`: how a rule is named in a plan. */
export function describeRule(rule: Pick<IptablesRule, 'table' | 'chain' | 'args'>): string {
  return `rule ${rule.table} ${rule.chain} ${joinIptablesWords(withoutTag(rule.args))}`;
}

function jumpTarget(args: readonly string[]): string | undefined {
  const i = args.indexOf('-j');
  return i >= 0 ? args[i + 1] : undefined;
}

const sameArgs = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((w, i) => w === b[i]);

const iptables = (table: string, ...words: string[]): string[] => ['iptables', '-w', '-t', table, ...words];

export interface FirewallPlan {
  /** In order: jumps and other tagged rules, rules of podnet's chains, podnet's chains. */
  deletes: Change[];
  /** In order: chains, their rules, the jumps. */
  creates: Change[];
  conflicts: { object: string; message: string }[];
}

function ruleValue(rule: Pick<IptablesRule, 'table' | 'chain' | 'args'>, purpose?: string): Record<string, unknown> {
  return { table: rule.table, chain: rule.chain, rule: joinIptablesWords(rule.args), ...(purpose !== undefined ? { purpose } : {}) };
}

/** The changes that make the observed tables hold exactly `desired` of podnet's rules. */
export function planFirewall(desired: DesiredFirewall, observed: { chains: IptablesChain[]; rules: IptablesRule[] }): FirewallPlan {
  const jumpDeletes: Change[] = [];
  const ruleDeletes: Change[] = [];
  const chainDeletes: Change[] = [];
  const chainCreates: Change[] = [];
  const ruleCreates: Change[] = [];
  const jumpCreates: Change[] = [];
  const conflicts: FirewallPlan['conflicts'] = [];

  const deleteRule = (into: Change[], rule: IptablesRule, reason: string): void => {
    into.push({
      action: 'delete',
      kind: 'rule',
      object: describeRule(rule),
      reason,
      before: ruleValue(rule),
      argv: iptables(rule.table, '-D', rule.chain, ...rule.args),
    });
  };
  const createRule = (into: Change[], rule: DesiredRule, position: number | null, reason: string): void => {
    const where = position === null ? ['-A', rule.chain] : ['-I', rule.chain, String(position)];
    into.push({
      action: 'create',
      kind: 'rule',
      object: describeRule(rule),
      reason,
      after: ruleValue(rule, rule.purpose),
      argv: iptables(rule.table, ...where, ...rule.args),
    });
  };
  const key = (table: string, chain: string): string => `${table} ${chain}`;
  const rulesOf = (table: string, chain: string): IptablesRule[] => observed.rules.filter((r) => r.table === table && r.chain === chain);
  const wantedChains = new Set(desired.chains.map((c) => key(c.table, c.name)));

  // podnet's chains that are no longer wanted: emptied and removed, unless a foreign rule jumps there.
  const doomedChains = new Set<string>();
  for (const chain of observed.chains.filter(isPodnetChain)) {
    if (wantedChains.has(key(chain.table, chain.name))) continue;
    const foreignJumps = observed.rules.filter((r) => r.table === chain.table && jumpTarget(r.args) === chain.name && !isPodnetRule(r));
    if (foreignJumps.length > 0) {
      conflicts.push({
        object: `chain ${chain.table} ${chain.name}`,
        message: `rules podnet did not make jump to podnet's old chain (${foreignJumps.map(describeRule).join('; ')}); podnet will not remove it`,
      });
      continue;
    }
    doomedChains.add(key(chain.table, chain.name));
    for (const rule of rulesOf(chain.table, chain.name)) deleteRule(ruleDeletes, rule, `stale: podnet no longer uses chain ${chain.name}`);
    chainDeletes.push({
      action: 'delete',
      kind: 'rule',
      object: `chain ${chain.table} ${chain.name}`,
      reason: 'stale: no longer used by podnet',
      before: { table: chain.table, chain: chain.name },
      argv: iptables(chain.table, '-X', chain.name),
    });
  }

  // Tagged rules in chains that are not podnet's (the jumps): keep the wanted ones where they must be.
  const foreignChains = new Map<string, { table: string; chain: string }>();
  for (const rule of observed.rules) if (!isPodnetChainName(rule.chain)) foreignChains.set(key(rule.table, rule.chain), rule);
  for (const rule of desired.rules) if (!isPodnetChainName(rule.chain)) foreignChains.set(key(rule.table, rule.chain), rule);
  for (const { table, chain } of foreignChains.values()) {
    const wanted = desired.rules.filter((r) => r.table === table && r.chain === chain);
    const present = new Set<DesiredRule>();
    rulesOf(table, chain).forEach((rule, index) => {
      if (!hasTag(rule.args)) return;
      const want = wanted.find((w) => !present.has(w) && sameArgs(w.args, rule.args));
      if (want !== undefined && (want.first !== true || index === 0)) {
        present.add(want);
        return;
      }
      if (want !== undefined) deleteRule(jumpDeletes, rule, `not first in ${chain} (rule ${index + 1}): a rule before it could drop pod traffic`);
      else if (wanted.some((w) => sameArgs(w.args, rule.args))) deleteRule(jumpDeletes, rule, 'duplicate');
      else deleteRule(jumpDeletes, rule, `stale: not one of podnet's rules for this cluster`);
    });
    for (const want of wanted.filter((w) => !present.has(w))) {
      const moved = jumpDeletes.some((c) => c.object === describeRule(want));
      createRule(jumpCreates, want, want.first === true ? 1 : null, moved ? `moved to the top of ${chain}` : 'missing');
    }
  }

  // podnet's wanted chains: exactly the desired rules, in order (a kept rule out of order goes and comes back).
  for (const chain of desired.chains) {
    if (!observed.chains.some((c) => c.table === chain.table && c.name === chain.name)) {
      chainCreates.push({
        action: 'create',
        kind: 'rule',
        object: `chain ${chain.table} ${chain.name}`,
        reason: 'missing',
        after: { table: chain.table, chain: chain.name },
        argv: iptables(chain.table, '-N', chain.name),
      });
    }
    const wanted = desired.rules.filter((r) => r.table === chain.table && r.chain === chain.name);
    const kept = new Set<number>();
    let last = -1;
    for (const rule of rulesOf(chain.table, chain.name)) {
      const index = wanted.findIndex((w, i) => i > last && !kept.has(i) && sameArgs(w.args, rule.args));
      if (index >= 0) {
        kept.add(index);
        last = index;
        continue;
      }
      const known = wanted.some((w) => sameArgs(w.args, rule.args));
      deleteRule(ruleDeletes, rule, known ? 'out of order or duplicate' : `stale: not one of podnet's rules for this cluster`);
    }
    wanted.forEach((want, index) => {
      if (!kept.has(index)) createRule(ruleCreates, want, index + 1, 'missing');
    });
  }

  return {
    deletes: [...jumpDeletes, ...ruleDeletes, ...chainDeletes],
    creates: [...chainCreates, ...ruleCreates, ...jumpCreates],
    conflicts,
  };
}

/** Tables podnet needs for `desired` (nat only with egress NAT). */
function needsNat(desired: DesiredFirewall): boolean {
  return desired.rules.some((r) => r.table === 'nat');
}

/**
 * Why the node cannot hold podnet's rules, or null: with iptables missing, FORWARD rules are only
 * worth a warning (nothing may be dropping), but egress NAT cannot be had at all.
 */
export function firewallUnavailable(desired: DesiredFirewall, observed: ObservedFirewall): { severity: 'warning' | 'conflict'; message: string } | null {
  if (observed.available) return null;
  if (needsNat(desired)) return { severity: 'conflict', message: `${observed.reason}: egress NAT (egress.masquerade) needs it` };
  return {
    severity: 'warning',
    message: `${observed.reason}: podnet cannot make sure the FORWARD chain accepts pod traffic`,
  };
}

/** Desired rules and chains the node lacks (what verify after apply checks), one line each. */
export function unmetFirewall(desired: DesiredFirewall, observed: ObservedFirewall | undefined): string[] {
  if (observed === undefined) return [];
  if (!observed.available) return needsNat(desired) ? [`${observed.reason}; egress NAT is not in place`] : [];
  return planFirewall(desired, observed).creates.map((c) => `${c.object}: ${c.reason}`);
}
