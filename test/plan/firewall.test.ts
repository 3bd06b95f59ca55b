// Planning podnet's iptables rules against real iptables-save output, and the planner around it:
// order of the steps, missing iptables, strict rp_filter warnings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chainKey, isPodnetRule, planFirewall, ruleKey } from '../../src/plan/firewall.js';
import { planNode } from '../../src/plan/plan-node.js';
import { desiredState } from '../../src/state/desired.js';
import { desiredFirewall } from '../../src/state/desired-firewall.js';
import { renderPlanText } from '../../src/render/render-plan.js';
import { describeChange, describeConflict, describeReason, describeWarning } from '../../src/render/sentences.js';
import { parseRpFilter, rpFilterWarnings } from '../../src/state/rp-filter.js';
import type { IptablesChain, IptablesRule, ObservedFirewall, ObservedState } from '../../src/model/types.js';
import type { Change } from '../../src/model/plan.js';
import { classicCluster, classicSubnets } from '../support/classic-cluster.js';
import { loadObserved } from '../support/ip-fixtures.js';
import { observedFirewall } from '../support/iptables-fixtures.js';
import { convergenceOf, nodeStateOf, objectOf, stepArgvs } from '../support/plan-helpers.js';

const FORWARD_ONLY = desiredFirewall({ podCidr: '10.244.0.0/16' });
const WITH_EGRESS = desiredFirewall({ podCidr: '10.244.0.0/16', egress: { masquerade: true } });

function tables(name: string): { chains: IptablesChain[]; rules: IptablesRule[] } {
  const fw = observedFirewall(name);
  assert.ok(fw.available);
  return fw;
}

const steps = (changes: readonly Change[]): string[] => stepArgvs(changes).map((a) => a.join(' '));

test('from nothing: the chain, its rules, then the jump at the top of FORWARD', () => {
  const plan = planFirewall(FORWARD_ONLY, tables('empty'));
  assert.deepEqual(plan.deletes, []);
  assert.deepEqual(steps(plan.creates), [
    'iptables -w -t filter -N PODNET-FORWARD',
    'iptables -w -t filter -I PODNET-FORWARD 1 -s 10.244.0.0/16 -m comment --comment podnet -j ACCEPT',
    'iptables -w -t filter -I PODNET-FORWARD 2 -d 10.244.0.0/16 -m comment --comment podnet -j ACCEPT',
    'iptables -w -t filter -I FORWARD 1 -m comment --comment podnet -j PODNET-FORWARD',
  ]);
  assert.deepEqual(
    plan.creates.map((c) => [c.action, c.kind, objectOf(c), c.steps.length]),
    [
      ['create', 'chain', 'chain filter PODNET-FORWARD', 1],
      ['create', 'rule', 'rule filter PODNET-FORWARD -s 10.244.0.0/16 -j ACCEPT', 1],
      ['create', 'rule', 'rule filter PODNET-FORWARD -d 10.244.0.0/16 -j ACCEPT', 1],
      ['create', 'rule', 'rule filter FORWARD -j PODNET-FORWARD', 1],
    ],
  );
  assert.deepEqual(
    plan.creates.map((c) => c.key),
    [
      'filter PODNET-FORWARD',
      'filter PODNET-FORWARD -s 10.244.0.0/16 -m comment --comment podnet -j ACCEPT',
      'filter PODNET-FORWARD -d 10.244.0.0/16 -m comment --comment podnet -j ACCEPT',
      'filter FORWARD -m comment --comment podnet -j PODNET-FORWARD',
    ],
  );
  assert.deepEqual(plan.creates[3]?.after, {
    table: 'filter',
    chain: 'FORWARD',
    rule: '-m comment --comment podnet -j PODNET-FORWARD',
    position: 1,
    purpose: 'forward-jump',
  });
  assert.equal(describeChange(plan.creates[3]!), "+ rule filter FORWARD -j PODNET-FORWARD (first in FORWARD: podnet's accept rules) (missing)");
});

test('egress: RETURN for pod-to-pod before MASQUERADE, jumped to first from POSTROUTING', () => {
  const plan = planFirewall(WITH_EGRESS, tables('forward-converged'));
  assert.deepEqual(plan.deletes, []);
  assert.deepEqual(steps(plan.creates), [
    'iptables -w -t nat -N PODNET-POSTROUTING',
    'iptables -w -t nat -I PODNET-POSTROUTING 1 -s 10.244.0.0/16 -d 10.244.0.0/16 -m comment --comment podnet -j RETURN',
    'iptables -w -t nat -I PODNET-POSTROUTING 2 -s 10.244.0.0/16 ! -d 10.244.0.0/16 -m comment --comment podnet -j MASQUERADE',
    'iptables -w -t nat -I POSTROUTING 1 -m comment --comment podnet -j PODNET-POSTROUTING',
  ]);
});

test('converged tables plan nothing; the same tables without egress prune the NAT rules (jump, rules, chain)', () => {
  assert.deepEqual(planFirewall(FORWARD_ONLY, tables('forward-converged')), { deletes: [], creates: [], conflicts: [] });
  assert.deepEqual(planFirewall(WITH_EGRESS, tables('egress-converged')), { deletes: [], creates: [], conflicts: [] });
  const off = planFirewall(FORWARD_ONLY, tables('egress-converged'));
  assert.deepEqual(off.creates, []);
  assert.deepEqual(steps(off.deletes), [
    'iptables -w -t nat -D POSTROUTING -m comment --comment podnet -j PODNET-POSTROUTING',
    'iptables -w -t nat -D PODNET-POSTROUTING -s 10.244.0.0/16 -d 10.244.0.0/16 -m comment --comment podnet -j RETURN',
    'iptables -w -t nat -D PODNET-POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -m comment --comment podnet -j MASQUERADE',
    'iptables -w -t nat -X PODNET-POSTROUTING',
  ]);
});

test("Docker's DROP policy and rules are left alone; podnet only adds its own", () => {
  const plan = planFirewall(FORWARD_ONLY, tables('docker-like'));
  assert.deepEqual(plan.deletes, []);
  assert.equal(plan.creates.length, 4);
  const rules = plan.creates.filter((c) => c.kind === 'rule');
  assert.equal(rules.length, 3);
  assert.ok(steps(rules).every((s) => s.includes('-m comment --comment podnet')), 'every rule podnet adds is tagged');
  assert.ok(rules.every((c) => c.kind === 'rule' && c.after !== undefined && isPodnetRule({ chain: c.after.chain, args: c.after.rule.split(' ') })));
});

test('a jump pushed down by Docker is ONE update: deleted where it is, then inserted at the top of FORWARD', () => {
  const plan = planFirewall(FORWARD_ONLY, tables('docker-after-podnet'));
  assert.deepEqual(plan.deletes, []);
  assert.equal(plan.creates.length, 1);
  const moved = plan.creates[0]!;
  assert.deepEqual([moved.kind, moved.action, moved.key], ['rule', 'update', 'filter FORWARD -m comment --comment podnet -j PODNET-FORWARD']);
  assert.deepEqual(steps([moved]), [
    'iptables -w -t filter -D FORWARD -m comment --comment podnet -j PODNET-FORWARD',
    'iptables -w -t filter -I FORWARD 1 -m comment --comment podnet -j PODNET-FORWARD',
  ]);
  assert.deepEqual(moved.reason, { code: 'rule-not-first', chain: 'FORWARD' });
  assert.deepEqual(moved.before, { table: 'filter', chain: 'FORWARD', rule: '-m comment --comment podnet -j PODNET-FORWARD', position: 2 });
  assert.deepEqual(moved.after, { table: 'filter', chain: 'FORWARD', rule: '-m comment --comment podnet -j PODNET-FORWARD', position: 1, purpose: 'forward-jump' });
  assert.equal(describeReason(moved), 'not first in FORWARD (rule 2): a rule before it could drop pod traffic; moved to the top');
  assert.equal(ruleKey(moved.after as never), moved.key);
});

test("a pod CIDR change replaces podnet's rules; the admin's rule stays", () => {
  const plan = planFirewall(WITH_EGRESS, tables('stale-cidr'));
  assert.ok(stepArgvs(plan.deletes).every((argv) => argv.includes('10.245.0.0/16')), steps(plan.deletes).join('\n'));
  assert.ok(plan.deletes.every((c) => c.kind === 'rule' && c.action === 'delete' && c.steps.length === 1));
  assert.equal(plan.deletes.length, 4, 'the four rules of the old CIDR (the jumps are still right)');
  assert.ok(!steps(plan.deletes).some((s) => s.includes('192.168.1.0/24')), "the admin's rule is not touched");
  assert.deepEqual(
    stepArgvs(plan.creates).map((argv) => argv.slice(4, 7).join(' ')),
    ['-I PODNET-FORWARD 1', '-I PODNET-FORWARD 2', '-I PODNET-POSTROUTING 1', '-I PODNET-POSTROUTING 2'],
  );
});

test("a foreign rule jumping to podnet's old chain keeps that chain: a conflict, nothing of it deleted", () => {
  const plan = planFirewall(FORWARD_ONLY, tables('foreign-jump'));
  assert.deepEqual(plan.conflicts.map((c) => [c.code, c.kind, c.key]), [['foreign-jump-to-old-chain', 'chain', chainKey({ table: 'nat', chain: 'PODNET-POSTROUTING' })]]);
  const { object, message } = describeConflict({ node: 'node1', ...plan.conflicts[0]! });
  assert.equal(object, 'chain nat PODNET-POSTROUTING');
  assert.match(message, /rule nat POSTROUTING -o eth9 -j PODNET-POSTROUTING/);
  assert.deepEqual(steps(plan.deletes), ['iptables -w -t nat -D POSTROUTING -m comment --comment podnet -j PODNET-POSTROUTING']);
});

test('rules out of order in podnet chain are put back in order; duplicates go', () => {
  const fw = tables('egress-converged');
  const nat = fw.rules.filter((r) => r.chain === 'PODNET-POSTROUTING');
  const swapped = { chains: fw.chains, rules: [...fw.rules.filter((r) => r.chain !== 'PODNET-POSTROUTING'), nat[1]!, nat[0]!, nat[0]!] };
  const plan = planFirewall(WITH_EGRESS, swapped);
  assert.deepEqual(plan.deletes.map((c) => c.reason.code), ['rule-out-of-order', 'rule-out-of-order']);
  assert.deepEqual(plan.deletes.map(describeReason), ['out of order or duplicate', 'out of order or duplicate']);
  assert.deepEqual(stepArgvs(plan.creates).map((argv) => argv.slice(4, 7).join(' ')), ['-I PODNET-POSTROUTING 1']);
});

test('convergence of the firewall: what is missing; nothing when the tables were not gathered', () => {
  const after = (egress: boolean, firewall: ObservedFirewall | undefined): ReturnType<typeof convergenceOf> => {
    const cluster = classicCluster(egress ? { egress: { masquerade: true } } : {});
    const observed = loadObserved('converged');
    if (firewall !== undefined) observed.firewall = firewall;
    return convergenceOf(cluster, nodeStateOf(cluster, 'node1', loadObserved('empty')), observed);
  };
  assert.equal(after(false, undefined).converged, true);
  assert.equal(after(false, observedFirewall('forward-converged')).converged, true);
  const nat = after(true, observedFirewall('forward-converged'));
  assert.equal(nat.converged, false);
  assert.deepEqual(nat.lines, [
    '+ chain nat PODNET-POSTROUTING (missing)',
    '+ rule nat PODNET-POSTROUTING -s 10.244.0.0/16 -d 10.244.0.0/16 -j RETURN (pod to pod: never translated) (missing)',
    '+ rule nat PODNET-POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -j MASQUERADE (egress NAT: pods leaving the pod CIDR) (missing)',
    "+ rule nat POSTROUTING -j PODNET-POSTROUTING (first in POSTROUTING: podnet's NAT rules) (missing)",
  ]);
  const missing = { available: false as const, reason: 'iptables is not installed' };
  const forward = after(false, missing);
  assert.equal(forward.converged, true, 'without iptables the FORWARD rules are a warning, not a blocker');
  const egress = after(true, missing);
  assert.equal(egress.converged, false);
  assert.deepEqual(egress.unmet, []);
  assert.deepEqual(egress.conflicts.map((c) => [c.code, c.key]), [['iptables-missing-for-nat', 'iptables']]);
  // A stale podnet rule left behind (the old pod CIDR's) is not convergence either.
  const stale = after(true, observedFirewall('stale-cidr'));
  assert.equal(stale.converged, false);
  assert.ok(stale.unmet.some((c) => c.kind === 'rule' && c.action === 'delete'));
});

// ── the planner around it ──

function observedNode(overrides: Partial<ObservedState> = {}): ObservedState {
  return {
    node: 'node1',
    links: [{ ifindex: 2, name: 'eth0', kind: 'veth', up: true, operstate: 'UP', mtu: 1500 }],
    addresses: [{ dev: 'eth0', family: 'inet', local: '192.168.1.11', prefixlen: 24 }],
    routes: [],
    ipForward: true,
    management: { localAddress: '192.168.1.11', peerAddress: '192.168.1.1', dev: 'eth0' },
    ...overrides,
  };
}

const CTX = { podCidr: '10.244.0.0/16', nodeAddress: '192.168.1.11' };

test('firewall steps: deletions right after the sysctl, creations after the routes, before the files', () => {
  const cluster = classicCluster();
  const desired = desiredState(cluster, classicSubnets(cluster), 'node1');
  const plan = planNode(desired, observedNode({ ipForward: false, files: [], firewall: observedFirewall('stale-cidr') }), CTX);
  const kinds = plan.changes.map((c) => `${c.action} ${c.kind}`);
  const collapsed = kinds.filter((k, i) => k !== kinds[i - 1]);
  assert.deepEqual(collapsed, ['update sysctl', 'delete rule', 'delete chain', 'create link', 'create address', 'create route', 'create rule', 'create file']);
  assert.equal(plan.changes.filter((c) => c.kind === 'link').length, 1, 'the bridge is one change');
});

test('firewall not gathered: no rule changes (older callers, golden cases)', () => {
  const cluster = classicCluster();
  const plan = planNode(desiredState(cluster, classicSubnets(cluster), 'node1'), observedNode(), CTX);
  assert.ok(!plan.changes.some((c) => c.kind === 'rule' || c.kind === 'chain'));
});

test('iptables missing: a warning for the FORWARD rules, a conflict when egress NAT is asked for', () => {
  const missing = { available: false as const, reason: 'iptables is not installed (no iptables-save on PATH)' };
  const plain = classicCluster();
  const plan = planNode(desiredState(plain, classicSubnets(plain), 'node1'), observedNode({ firewall: missing }), CTX);
  assert.deepEqual(plan.conflicts, []);
  assert.deepEqual(plan.warnings, [{ code: 'iptables-missing', problem: missing.reason }]);
  assert.match((plan.warnings ?? []).map(describeWarning).join('\n'), /iptables is not installed .*: podnet cannot make sure the FORWARD chain accepts pod traffic/);
  const egress = classicCluster({ egress: { masquerade: true } });
  const natPlan = planNode(desiredState(egress, classicSubnets(egress), 'node1'), observedNode({ firewall: missing }), CTX);
  assert.deepEqual(natPlan.conflicts.map((c) => [c.code, c.key]), [['iptables-missing-for-nat', 'iptables']]);
  assert.deepEqual(natPlan.conflicts.map((c) => describeConflict(c).object), ['iptables']);
  assert.match(describeConflict(natPlan.conflicts[0]!).message, /egress NAT \(egress.masquerade\) needs it/);
});

test('strict rp_filter on the node interface or the bridge is a warning of that node, rendered under it', () => {
  const rp = parseRpFilter('all 0\ndefault 1\neth0 1\nlo 0\nv-net-0 2\n');
  assert.deepEqual(rp, { all: 0, default: 1, eth0: 1, lo: 0, 'v-net-0': 2 });
  const cluster = classicCluster();
  const plan = planNode(desiredState(cluster, classicSubnets(cluster), 'node1'), observedNode({ rpFilter: rp! }), CTX);
  assert.deepEqual(plan.warnings, [{ code: 'rp-filter-strict', dev: 'eth0', role: 'node-interface', fromAll: false }]);
  assert.match(describeWarning(plan.warnings![0]!), /^strict rp_filter on eth0 \(node interface; net\.ipv4\.conf\.eth0\.rp_filter=1\)/);
  assert.equal(plan.changes.filter((c) => c.kind === 'sysctl').length, 0, 'podnet never changes rp_filter');
  const text = renderPlanText({ formatVersion: 2, cluster: 'c', nodes: [plan], summary: { add: 0, change: 0, destroy: 0, conflicts: 0, refused: 0 } }, { color: false });
  assert.match(text, /\n {2}warning: strict rp_filter on eth0/);
});

test("rp_filter: `all`=1 makes every interface strict; loose (2) and off (0) are fine", () => {
  const devs = [
    { dev: 'v-net-0', role: 'bridge' as const },
    { dev: 'eth0', role: 'node-interface' as const },
  ];
  assert.deepEqual(rpFilterWarnings(parseRpFilter('all 1\neth0 0\nv-net-0 0\n')!, devs), [
    { code: 'rp-filter-strict', dev: 'v-net-0', role: 'bridge', fromAll: true },
    { code: 'rp-filter-strict', dev: 'eth0', role: 'node-interface', fromAll: true },
  ]);
  assert.match(describeWarning(rpFilterWarnings(parseRpFilter('all 1\n')!, devs)[0]!), /^strict rp_filter on v-net-0 \(podnet's bridge; net\.ipv4\.conf\.all\.rp_filter=1\)/);
  assert.deepEqual(rpFilterWarnings(parseRpFilter('all 2\neth0 1\n')!, devs), [], 'the larger value wins: 2 is loose');
  assert.deepEqual(rpFilterWarnings(parseRpFilter('all 0\neth0 0\n')!, devs), []);
  assert.deepEqual(rpFilterWarnings(undefined, devs), []);
  assert.equal(parseRpFilter('garbage'), null);
});
