// planFirewall on small hand-made tables: the edges the iptables-save fixtures do not reach — chains
// of the same name in two tables, tagged rules that are not jumps, duplicates, rules that differ only
// by trailing words, a chain with a policy. (Issue 9: each test here kills mutants that survived.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPodnetChain, planFirewall } from '../../src/plan/firewall.js';
import { desiredFirewall, NO_FIREWALL, PODNET_RULE_TAG } from '../../src/state/desired-firewall.js';
import type { DesiredFirewall, DesiredRule, IptablesChain, IptablesRule } from '../../src/model/types.js';
import type { Change } from '../../src/model/plan.js';
import { stepArgvs } from '../support/plan-helpers.js';

const TAG = [...PODNET_RULE_TAG];
const FORWARD_ONLY = desiredFirewall({ podCidr: '10.244.0.0/16' });
const WITH_EGRESS = desiredFirewall({ podCidr: '10.244.0.0/16', egress: { masquerade: true } });

const chain = (table: string, name: string, policy: string | null = null): IptablesChain => ({ table, name, policy });
const rule = (table: string, chainName: string, ...args: string[]): IptablesRule => ({ table, chain: chainName, args });
/** The observed rules a desired firewall leaves (as iptables-save reads them back). */
const asObserved = (r: DesiredRule): IptablesRule => ({ table: r.table, chain: r.chain, args: [...r.args] });
const steps = (changes: readonly Change[]): string[] => stepArgvs(changes).map((a) => a.join(' '));
const EMPTY = { deletes: [], creates: [], conflicts: [] };

/** FORWARD_ONLY as applied: filter PODNET-FORWARD with its two rules, the jump first in FORWARD. */
function forwardApplied(forward: IptablesRule[]): { chains: IptablesChain[]; rules: IptablesRule[] } {
  const inChain = FORWARD_ONLY.rules.filter((r) => r.chain === 'PODNET-FORWARD').map(asObserved);
  return { chains: [chain('filter', 'FORWARD', 'ACCEPT'), chain('filter', 'PODNET-FORWARD')], rules: [...forward, ...inChain] };
}
/** Each observed rule is its own object (as parsed): copies, never the same one twice. */
const JUMP = rule('filter', 'FORWARD', ...TAG, '-j', 'PODNET-FORWARD');

test('a chain with a policy is built in, never podnet’s, whatever its name: never emptied or removed', () => {
  assert.equal(isPodnetChain(chain('filter', 'PODNET-FORWARD', 'ACCEPT')), false);
  assert.equal(isPodnetChain(chain('filter', 'PODNET-FORWARD')), true);
  assert.equal(isPodnetChain(chain('filter', 'FORWARD')), false);
  const odd = { chains: [chain('filter', 'PODNET-ODD', 'DROP')], rules: [rule('filter', 'PODNET-ODD', '-j', 'ACCEPT')] };
  assert.deepEqual(planFirewall(NO_FIREWALL, odd), EMPTY);
});

test('same chain name in two tables: each table’s rules, chains and foreign jumps stay in their table', () => {
  // A foreign rule of the filter table jumps (`-j` its first word) to filter's PODNET-OLD: that chain
  // stays (a conflict). nat's PODNET-OLD has no such jump: it goes, with its own rule only.
  const observed = {
    chains: [chain('filter', 'FORWARD', 'ACCEPT'), chain('filter', 'PODNET-OLD'), chain('nat', 'PODNET-OLD')],
    rules: [rule('filter', 'FORWARD', '-j', 'PODNET-OLD'), rule('filter', 'PODNET-OLD', '-j', 'ACCEPT'), rule('nat', 'PODNET-OLD', '-j', 'RETURN')],
  };
  const plan = planFirewall(NO_FIREWALL, observed);
  assert.deepEqual(plan.conflicts.map((c) => [c.code, c.key]), [['foreign-jump-to-old-chain', 'filter PODNET-OLD']]);
  assert.deepEqual(steps(plan.deletes), ['iptables -w -t nat -D PODNET-OLD -j RETURN', 'iptables -w -t nat -X PODNET-OLD']);
  assert.deepEqual(plan.deletes[0]?.before, { table: 'nat', chain: 'PODNET-OLD', rule: '-j RETURN', position: 1 });
  assert.deepEqual(plan.creates, []);
});

test('a foreign rule that goes to (`-g`) an old podnet chain keeps it, as a jump does: -X would fail on it', () => {
  const observed = {
    chains: [chain('filter', 'FORWARD', 'ACCEPT'), chain('filter', 'PODNET-OLD')],
    rules: [rule('filter', 'FORWARD', '-i', 'eth9', '-g', 'PODNET-OLD'), rule('filter', 'PODNET-OLD', '-j', 'ACCEPT')],
  };
  const plan = planFirewall(NO_FIREWALL, observed);
  assert.deepEqual(plan.conflicts.map((c) => [c.code, c.key]), [['foreign-jump-to-old-chain', 'filter PODNET-OLD']]);
  assert.deepEqual(plan.deletes, []);
});

test('a foreign rule jumping from another table to a chain of that name keeps nothing alive', () => {
  const observed = {
    chains: [chain('nat', 'PODNET-OLD')],
    rules: [rule('filter', 'FORWARD', '-o', 'eth9', '-j', 'PODNET-OLD'), rule('nat', 'PODNET-OLD', '-j', 'RETURN')],
  };
  const plan = planFirewall(NO_FIREWALL, observed);
  assert.deepEqual(plan.conflicts, []);
  assert.deepEqual(steps(plan.deletes), ['iptables -w -t nat -D PODNET-OLD -j RETURN', 'iptables -w -t nat -X PODNET-OLD']);
});

test('wanted chains of the same name in two tables: each is created in its table with its own rules', () => {
  const desired: DesiredFirewall = {
    chains: [
      { table: 'filter', name: 'PODNET-X' },
      { table: 'nat', name: 'PODNET-X' },
    ],
    rules: [
      { table: 'filter', chain: 'PODNET-X', args: ['-s', '10.244.0.0/16', ...TAG, '-j', 'ACCEPT'], purpose: 'forward-from-pods' },
      { table: 'nat', chain: 'PODNET-X', args: ['-s', '10.244.0.0/16', ...TAG, '-j', 'RETURN'], purpose: 'nat-keep-pod-traffic' },
    ],
  };
  // nat's chain is there with its rule; filter's is missing.
  const observed = { chains: [chain('nat', 'PODNET-X')], rules: [asObserved(desired.rules[1]!)] };
  const plan = planFirewall(desired, observed);
  assert.deepEqual(plan.deletes, []);
  assert.deepEqual(steps(plan.creates), [
    'iptables -w -t filter -N PODNET-X',
    'iptables -w -t filter -I PODNET-X 1 -s 10.244.0.0/16 -m comment --comment podnet -j ACCEPT',
  ]);
});

test('wanted tagged rules in a built-in chain of the same name in two tables: each created once, in its table', () => {
  const desired: DesiredFirewall = {
    chains: [],
    rules: [
      { table: 'filter', chain: 'OUTPUT', args: [...TAG, '-j', 'ACCEPT'], first: true, purpose: 'forward-jump' },
      { table: 'nat', chain: 'OUTPUT', args: [...TAG, '-j', 'RETURN'], first: true, purpose: 'nat-jump' },
    ],
  };
  const plan = planFirewall(desired, { chains: [], rules: [] });
  assert.deepEqual(steps(plan.creates), [
    'iptables -w -t filter -I OUTPUT 1 -m comment --comment podnet -j ACCEPT',
    'iptables -w -t nat -I OUTPUT 1 -m comment --comment podnet -j RETURN',
  ]);
});

test('a wanted tagged rule that need not be first is appended (-A), and left where it is when found further down', () => {
  const notFirst: DesiredRule = { table: 'filter', chain: 'INPUT', args: ['-i', 'v-net-0', ...TAG, '-j', 'ACCEPT'], purpose: 'forward-to-pods' };
  const desired: DesiredFirewall = { chains: [], rules: [notFirst] };
  const created = planFirewall(desired, { chains: [chain('filter', 'INPUT', 'ACCEPT')], rules: [] });
  assert.deepEqual(created.deletes, []);
  assert.deepEqual(steps(created.creates), ['iptables -w -t filter -A INPUT -i v-net-0 -m comment --comment podnet -j ACCEPT']);
  assert.deepEqual(created.creates[0]?.after, { table: 'filter', chain: 'INPUT', rule: '-i v-net-0 -m comment --comment podnet -j ACCEPT', purpose: 'forward-to-pods' });
  const found = { chains: [chain('filter', 'INPUT', 'ACCEPT')], rules: [rule('filter', 'INPUT', '-i', 'lo', '-j', 'ACCEPT'), asObserved(notFirst)] };
  assert.deepEqual(planFirewall(desired, found), EMPTY, 'second in INPUT is fine for a rule that need not be first');
});

test('tagged rules in FORWARD: a stale one goes (stale-rule), a second copy of a wanted one goes (rule-duplicate)', () => {
  const extra: DesiredRule = { table: 'filter', chain: 'FORWARD', args: ['-i', 'v-net-0', ...TAG, '-j', 'ACCEPT'], purpose: 'forward-to-pods' };
  const desired: DesiredFirewall = { chains: FORWARD_ONLY.chains, rules: [...FORWARD_ONLY.rules, extra] };
  const stale = rule('filter', 'FORWARD', '-s', '10.9.0.0/16', ...TAG, '-j', 'ACCEPT');
  const plan = planFirewall(desired, forwardApplied([JUMP, stale, asObserved(extra), { ...JUMP }]));
  assert.deepEqual(plan.creates, []);
  assert.deepEqual(plan.conflicts, []);
  assert.deepEqual(
    plan.deletes.map((c) => [c.reason.code, c.before]),
    [
      ['stale-rule', { table: 'filter', chain: 'FORWARD', rule: '-s 10.9.0.0/16 -m comment --comment podnet -j ACCEPT', position: 2 }],
      // Fourth in FORWARD, third once the stale rule before it is gone.
      ['rule-duplicate', { table: 'filter', chain: 'FORWARD', rule: '-m comment --comment podnet -j PODNET-FORWARD', position: 3 }],
    ],
  );
  assert.deepEqual(steps(plan.deletes), [
    'iptables -w -t filter -D FORWARD -s 10.9.0.0/16 -m comment --comment podnet -j ACCEPT',
    'iptables -w -t filter -D FORWARD -m comment --comment podnet -j PODNET-FORWARD',
  ]);
});

test('a rule of podnet’s chain kept twice in a row: the second copy goes', () => {
  const fwd = FORWARD_ONLY.rules.filter((r) => r.chain === 'PODNET-FORWARD').map(asObserved);
  const observed = { chains: [chain('filter', 'FORWARD', 'ACCEPT'), chain('filter', 'PODNET-FORWARD')], rules: [JUMP, fwd[0]!, { ...fwd[0]! }, fwd[1]!] };
  const plan = planFirewall(FORWARD_ONLY, observed);
  assert.deepEqual(plan.creates, []);
  assert.deepEqual(plan.deletes.map((c) => [c.reason.code, c.before]), [
    ['rule-out-of-order', { table: 'filter', chain: 'PODNET-FORWARD', rule: '-s 10.244.0.0/16 -m comment --comment podnet -j ACCEPT', position: 2 }],
  ]);
});

test('a rule with words added after the wanted ones is a different rule: replaced', () => {
  const nat = WITH_EGRESS.rules.map(asObserved);
  const masquerade = nat.find((r) => r.args.includes('MASQUERADE'))!;
  const edited = { ...masquerade, args: [...masquerade.args, '--random-fully'] };
  const observed = {
    chains: [chain('filter', 'FORWARD', 'ACCEPT'), chain('nat', 'POSTROUTING', 'ACCEPT'), ...WITH_EGRESS.chains.map((c) => chain(c.table, c.name))],
    rules: [...nat.filter((r) => r !== masquerade && r.chain !== 'FORWARD' && r.chain !== 'POSTROUTING'), edited, ...nat.filter((r) => r.chain === 'FORWARD' || r.chain === 'POSTROUTING')],
  };
  const plan = planFirewall(WITH_EGRESS, observed);
  assert.deepEqual(steps(plan.deletes), ['iptables -w -t nat -D PODNET-POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -m comment --comment podnet -j MASQUERADE --random-fully']);
  assert.deepEqual(plan.deletes.map((c) => c.reason.code), ['stale-rule']);
  assert.deepEqual(steps(plan.creates), ['iptables -w -t nat -I PODNET-POSTROUTING 2 -s 10.244.0.0/16 ! -d 10.244.0.0/16 -m comment --comment podnet -j MASQUERADE']);
});

test('a deleted rule’s position counts the deletes before it in its own chain only', () => {
  const stale = rule('filter', 'FORWARD', '-s', '10.9.0.0/16', ...TAG, '-j', 'ACCEPT');
  const fwd = FORWARD_ONLY.rules.filter((r) => r.chain === 'PODNET-FORWARD').map(asObserved);
  const old = rule('filter', 'PODNET-FORWARD', '-s', '10.9.0.0/16', ...TAG, '-j', 'ACCEPT');
  const observed = { chains: [chain('filter', 'FORWARD', 'ACCEPT'), chain('filter', 'PODNET-FORWARD')], rules: [JUMP, stale, old, ...fwd] };
  const plan = planFirewall(FORWARD_ONLY, observed);
  assert.deepEqual(plan.deletes.map((c) => [c.before && 'chain' in c.before ? c.before.chain : '', c.before && 'position' in c.before ? c.before.position : 0]), [
    ['FORWARD', 2],
    ['PODNET-FORWARD', 1],
  ]);
});
