// podnet's iptables chains and rules: the changes that make the observed tables hold exactly the
// desired ones. Ownership: podnet's chains are the user chains named `PODNET-…`; every rule in them
// is podnet's, and so is every rule elsewhere tagged `-m comment --comment podnet` (the jumps from
// FORWARD and POSTROUTING). Nothing else is ever changed: a foreign rule that jumps to a podnet
// chain keeps that chain alive (a conflict).
//
// Order of the steps: tagged rules in built-in chains (the jumps) are deleted first, then stale
// rules in podnet's chains, then podnet's chains that are no longer wanted (`-X` needs them empty
// and unreferenced); then chains are created, filled, and only then jumped to — so a jump never
// leads to a half-built chain.
import type { Change, ChainValue, ConflictDetail, Reason, RuleValue, Step } from '../model/plan.js';
import type { DesiredFirewall, DesiredRule, IptablesChain, IptablesRule, ObservedFirewall } from '../model/types.js';
import { PODNET_CHAIN_PREFIX, tagIndex } from '../state/desired-firewall.js';
import { joinIptablesWords } from '../state/iptables-save.js';
import type { Planning } from './planning.js';

export function isPodnetChainName(name: string): boolean {
  return name.startsWith(PODNET_CHAIN_PREFIX);
}

/** podnet's rules: everything in a PODNET- chain, and rules tagged with podnet's comment. */
export function isPodnetRule(rule: Pick<IptablesRule, 'chain' | 'args'>): boolean {
  return isPodnetChainName(rule.chain) || tagIndex(rule.args) >= 0;
}

export function isPodnetChain(chain: IptablesChain): boolean {
  return chain.policy === null && isPodnetChainName(chain.name);
}

/** Rule identity: table, chain and the rule's words as iptables-save spells them. */
export function ruleValue(rule: Pick<IptablesRule, 'table' | 'chain' | 'args'>, extra: Partial<RuleValue> = {}): RuleValue {
  return { table: rule.table, chain: rule.chain, rule: joinIptablesWords(rule.args), ...extra };
}

export function ruleKey(rule: Pick<RuleValue, 'table' | 'chain' | 'rule'>): string {
  return `${rule.table} ${rule.chain} ${rule.rule}`;
}

export function chainKey(chain: ChainValue): string {
  return `${chain.table} ${chain.chain}`;
}

/** The chain the rule sends packets to: the word after its first `-j` (jump) or `-g` (goto), if any. */
function jumpTarget(args: readonly string[]): string | undefined {
  return args.find((_, i) => args[i - 1] === '-j' || args[i - 1] === '-g');
}

const sameArgs = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((w, i) => w === b[i]);

const iptables = (table: string, ...words: string[]): Step => ({ run: 'command', argv: ['iptables', '-w', '-t', table, ...words] });

export interface FirewallPlan {
  /** In order: jumps and other tagged rules, rules of podnet's chains, podnet's chains. */
  deletes: Change[];
  /** In order: chains, their rules, the jumps (moved jumps included). */
  creates: Change[];
  conflicts: ConflictDetail[];
}

/** The changes that make the observed tables hold exactly `desired` of podnet's rules. */
export function planFirewall(desired: DesiredFirewall, observed: { chains: IptablesChain[]; rules: IptablesRule[] }): FirewallPlan {
  const jumpDeletes: Change[] = [];
  const ruleDeletes: Change[] = [];
  const chainDeletes: Change[] = [];
  const chainCreates: Change[] = [];
  const ruleCreates: Change[] = [];
  const jumpCreates: Change[] = [];
  const conflicts: ConflictDetail[] = [];

  // A deleted rule records where it stood when its step runs (earlier deletes in its chain moved it
  // up): a rollback inserts it back there, in reverse order, and the chain's order comes back.
  const deletedIn = new Map<string, number>();
  const deleteRule = (into: Change[], rule: IptablesRule, reason: Reason): void => {
    const chainRules = observed.rules.filter((r) => r.table === rule.table && r.chain === rule.chain);
    const chainKeyText = `${rule.table} ${rule.chain}`;
    const earlier = deletedIn.get(chainKeyText) ?? 0;
    deletedIn.set(chainKeyText, earlier + 1);
    const before = ruleValue(rule, { position: chainRules.indexOf(rule) + 1 - earlier });
    into.push({ kind: 'rule', key: ruleKey(before), action: 'delete', before, reason, steps: [iptables(rule.table, '-D', rule.chain, ...rule.args)] });
  };
  const createRule = (into: Change[], rule: DesiredRule, position: number | null): void => {
    const where = position === null ? ['-A', rule.chain] : ['-I', rule.chain, String(position)];
    const after = ruleValue(rule, { ...(rule.first === true ? { position: 1 } : {}), purpose: rule.purpose });
    into.push({ kind: 'rule', key: ruleKey(after), action: 'create', after, reason: { code: 'missing' }, steps: [iptables(rule.table, ...where, ...rule.args)] });
  };
  const key = (table: string, chain: string): string => `${table} ${chain}`;
  const rulesOf = (table: string, chain: string): IptablesRule[] => observed.rules.filter((r) => r.table === table && r.chain === chain);
  const wantedChains = new Set(desired.chains.map((c) => key(c.table, c.name)));

  // podnet's chains that are no longer wanted: emptied and removed, unless a foreign rule jumps there.
  for (const chain of observed.chains.filter(isPodnetChain)) {
    if (wantedChains.has(key(chain.table, chain.name))) continue;
    const value: ChainValue = { table: chain.table, chain: chain.name };
    const foreignJumps = observed.rules.filter((r) => r.table === chain.table && jumpTarget(r.args) === chain.name && !isPodnetRule(r));
    if (foreignJumps.length > 0) {
      conflicts.push({ code: 'foreign-jump-to-old-chain', kind: 'chain', key: chainKey(value), found: value, rules: foreignJumps.map((r) => ruleValue(r)) });
      continue;
    }
    for (const rule of rulesOf(chain.table, chain.name)) deleteRule(ruleDeletes, rule, { code: 'rule-in-stale-chain', chain: chain.name });
    chainDeletes.push({ kind: 'chain', key: chainKey(value), action: 'delete', before: value, reason: { code: 'stale-chain' }, steps: [iptables(chain.table, '-X', chain.name)] });
  }

  // Tagged rules in chains that are not podnet's (the jumps): keep the wanted ones where they must be.
  const foreignChains = new Map<string, { table: string; chain: string }>();
  for (const rule of observed.rules) if (!isPodnetChainName(rule.chain)) foreignChains.set(key(rule.table, rule.chain), rule);
  for (const rule of desired.rules) if (!isPodnetChainName(rule.chain)) foreignChains.set(key(rule.table, rule.chain), rule);
  for (const { table, chain } of foreignChains.values()) {
    const wanted = desired.rules.filter((r) => r.table === table && r.chain === chain);
    const present = new Set<DesiredRule>();
    const moved = new Map<DesiredRule, { rule: IptablesRule; position: number }>();
    rulesOf(table, chain).forEach((rule, index) => {
      if (tagIndex(rule.args) < 0) return;
      const want = wanted.find((w) => !present.has(w) && !moved.has(w) && sameArgs(w.args, rule.args));
      if (want !== undefined && (want.first !== true || index === 0)) {
        present.add(want);
        return;
      }
      if (want !== undefined) moved.set(want, { rule, position: index + 1 });
      else if (wanted.some((w) => sameArgs(w.args, rule.args))) deleteRule(jumpDeletes, rule, { code: 'rule-duplicate' });
      else deleteRule(jumpDeletes, rule, { code: 'stale-rule' });
    });
    for (const want of wanted.filter((w) => !present.has(w))) {
      const from = moved.get(want);
      if (from === undefined) {
        createRule(jumpCreates, want, want.first === true ? 1 : null);
        continue;
      }
      // A jump that is not first: a rule before it could drop pod traffic. It moves to the top.
      const after = ruleValue(want, { position: 1, purpose: want.purpose });
      jumpCreates.push({
        kind: 'rule',
        key: ruleKey(after),
        action: 'update',
        before: ruleValue(from.rule, { position: from.position }),
        after,
        reason: { code: 'rule-not-first', chain },
        steps: [iptables(table, '-D', chain, ...from.rule.args), iptables(table, '-I', chain, '1', ...want.args)],
      });
    }
  }

  // podnet's wanted chains: exactly the desired rules, in order (a kept rule out of order goes and comes back).
  for (const chain of desired.chains) {
    if (!observed.chains.some((c) => c.table === chain.table && c.name === chain.name)) {
      const value: ChainValue = { table: chain.table, chain: chain.name };
      chainCreates.push({ kind: 'chain', key: chainKey(value), action: 'create', after: value, reason: { code: 'missing' }, steps: [iptables(chain.table, '-N', chain.name)] });
    }
    const wanted = desired.rules.filter((r) => r.table === chain.table && r.chain === chain.name);
    const kept = new Set<number>();
    let last = -1; // the last kept index: kept ones only grow, so one after it is never kept yet
    for (const rule of rulesOf(chain.table, chain.name)) {
      const index = wanted.findIndex((w, i) => i > last && sameArgs(w.args, rule.args));
      if (index >= 0) {
        kept.add(index);
        last = index;
        continue;
      }
      const known = wanted.some((w) => sameArgs(w.args, rule.args));
      deleteRule(ruleDeletes, rule, known ? { code: 'rule-out-of-order' } : { code: 'stale-rule' });
    }
    wanted.forEach((want, index) => {
      if (!kept.has(index)) createRule(ruleCreates, want, index + 1);
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
 * The planner's part: podnet's iptables chains and rules, when the desired state has them and the
 * gather read the tables. Without iptables the FORWARD rules are a warning (nothing may be
 * dropping), egress NAT a conflict (it cannot be had at all).
 */
export function planNodeFirewall(p: Planning): void {
  const desired = p.desired.firewall;
  const observed: ObservedFirewall | undefined = p.observed.firewall;
  if (desired === undefined || observed === undefined) return;
  if (!observed.available) {
    if (needsNat(desired)) p.conflict({ code: 'iptables-missing-for-nat', kind: 'iptables', key: 'iptables', problem: observed.reason });
    else p.warn({ code: 'iptables-missing', problem: observed.reason });
    return;
  }
  const plan = planFirewall(desired, observed);
  for (const change of plan.deletes) p.add('firewall-delete', change);
  for (const change of plan.creates) p.add('firewall-create', change);
  for (const conflict of plan.conflicts) p.conflict(conflict);
}
