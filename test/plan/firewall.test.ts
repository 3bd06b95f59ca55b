// Planning podnet's iptables rules against real iptables-save output, and the planner around it:
// order of the steps, missing iptables, strict rp_filter warnings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredFirewall, planFirewall, unmetFirewall } from '../../src/plan/firewall.js';
import { planNode } from '../../src/plan/plan.js';
import { desiredState } from '../../src/state/desired.js';
import { renderPlanText } from '../../src/render/render-plan.js';
import { parseRpFilter, rpFilterWarnings } from '../../src/state/rp-filter.js';
import type { Change, IptablesChain, IptablesRule, ObservedState } from '../../src/model/types.js';
import { classicCluster, classicSubnets } from '../support/classic-cluster.js';
import { observedFirewall } from '../support/iptables-fixtures.js';

const FORWARD_ONLY = desiredFirewall({ podCidr: '10.244.0.0/16' });
const WITH_EGRESS = desiredFirewall({ podCidr: '10.244.0.0/16', egress: { masquerade: true } });

function tables(name: string): { chains: IptablesChain[]; rules: IptablesRule[] } {
  const fw = observedFirewall(name);
  assert.ok(fw.available);
  return fw;
}

const steps = (changes: readonly Change[]): string[] => changes.map((c) => c.argv.join(' '));

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
    plan.creates.map((c) => [c.action, c.kind, c.object]),
    [
      ['create', 'rule', 'chain filter PODNET-FORWARD'],
      ['create', 'rule', 'rule filter PODNET-FORWARD -s 10.244.0.0/16 -j ACCEPT'],
      ['create', 'rule', 'rule filter PODNET-FORWARD -d 10.244.0.0/16 -j ACCEPT'],
      ['create', 'rule', 'rule filter FORWARD -j PODNET-FORWARD'],
    ],
  );
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
  const rules = plan.creates.filter((c) => c.object.startsWith('rule '));
  assert.equal(rules.length, 3);
  assert.ok(rules.every((c) => c.argv.join(' ').includes('-m comment --comment podnet')), 'every rule podnet adds is tagged');
});

test('a jump pushed down by Docker is moved back to the top of FORWARD', () => {
  const plan = planFirewall(FORWARD_ONLY, tables('docker-after-podnet'));
  assert.deepEqual(
    plan.deletes.map((c) => [c.argv.join(' '), c.reason]),
    [['iptables -w -t filter -D FORWARD -m comment --comment podnet -j PODNET-FORWARD', 'not first in FORWARD (rule 2): a rule before it could drop pod traffic']],
  );
  assert.deepEqual(
    plan.creates.map((c) => [c.argv.join(' '), c.reason]),
    [['iptables -w -t filter -I FORWARD 1 -m comment --comment podnet -j PODNET-FORWARD', 'moved to the top of FORWARD']],
  );
});

test("a pod CIDR change replaces podnet's rules; the admin's rule stays", () => {
  const plan = planFirewall(WITH_EGRESS, tables('stale-cidr'));
  assert.ok(plan.deletes.every((c) => c.argv.includes('10.245.0.0/16')), steps(plan.deletes).join('\n'));
  assert.equal(plan.deletes.length, 4, 'the four rules of the old CIDR (the jumps are still right)');
  assert.ok(!steps(plan.deletes).some((s) => s.includes('192.168.1.0/24')), "the admin's rule is not touched");
  assert.deepEqual(
    plan.creates.map((c) => c.argv.slice(4, 7).join(' ')),
    ['-I PODNET-FORWARD 1', '-I PODNET-FORWARD 2', '-I PODNET-POSTROUTING 1', '-I PODNET-POSTROUTING 2'],
  );
});

test("a foreign rule jumping to podnet's old chain keeps that chain: a conflict, nothing of it deleted", () => {
  const plan = planFirewall(FORWARD_ONLY, tables('foreign-jump'));
  assert.deepEqual(plan.conflicts.map((c) => c.object), ['chain nat PODNET-POSTROUTING']);
  assert.match(plan.conflicts[0]!.message, /rule nat POSTROUTING -o eth9 -j PODNET-POSTROUTING/);
  assert.deepEqual(steps(plan.deletes), ['iptables -w -t nat -D POSTROUTING -m comment --comment podnet -j PODNET-POSTROUTING']);
});

test('rules out of order in podnet chain are put back in order; duplicates go', () => {
  const fw = tables('egress-converged');
  const nat = fw.rules.filter((r) => r.chain === 'PODNET-POSTROUTING');
  const swapped = { chains: fw.chains, rules: [...fw.rules.filter((r) => r.chain !== 'PODNET-POSTROUTING'), nat[1]!, nat[0]!, nat[0]!] };
  const plan = planFirewall(WITH_EGRESS, swapped);
  assert.deepEqual(plan.deletes.map((c) => c.reason), ['out of order or duplicate', 'out of order or duplicate']);
  assert.deepEqual(plan.creates.map((c) => c.argv.slice(4, 7).join(' ')), ['-I PODNET-POSTROUTING 1']);
});

test('unmetFirewall lists what is missing; nothing when the tables were not gathered', () => {
  assert.deepEqual(unmetFirewall(FORWARD_ONLY, undefined), []);
  assert.deepEqual(unmetFirewall(FORWARD_ONLY, observedFirewall('forward-converged')), []);
  assert.equal(unmetFirewall(WITH_EGRESS, observedFirewall('forward-converged')).length, 4);
  assert.deepEqual(unmetFirewall(FORWARD_ONLY, { available: false, reason: 'iptables is not installed' }), []);
  assert.equal(unmetFirewall(WITH_EGRESS, { available: false, reason: 'iptables is not installed' }).length, 1);
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
  assert.deepEqual(collapsed, ['update sysctl', 'delete rule', 'create link', 'create address', 'create route', 'create rule', 'create file']);
});

test('firewall not gathered: no rule changes (older callers, golden cases)', () => {
  const cluster = classicCluster();
  const plan = planNode(desiredState(cluster, classicSubnets(cluster), 'node1'), observedNode(), CTX);
  assert.ok(!plan.changes.some((c) => c.kind === 'rule'));
});

test('iptables missing: a warning for the FORWARD rules, a conflict when egress NAT is asked for', () => {
  const missing = { available: false as const, reason: 'iptables is not installed (no iptables-save on PATH)' };
  const plain = classicCluster();
  const plan = planNode(desiredState(plain, classicSubnets(plain), 'node1'), observedNode({ firewall: missing }), CTX);
  assert.deepEqual(plan.conflicts, []);
  assert.match(plan.warnings?.join('\n') ?? '', /iptables is not installed .*: podnet cannot make sure the FORWARD chain accepts pod traffic/);
  const egress = classicCluster({ egress: { masquerade: true } });
  const natPlan = planNode(desiredState(egress, classicSubnets(egress), 'node1'), observedNode({ firewall: missing }), CTX);
  assert.deepEqual(natPlan.conflicts.map((c) => c.object), ['iptables']);
  assert.match(natPlan.conflicts[0]!.message, /egress NAT \(egress.masquerade\) needs it/);
});

test('strict rp_filter on the node interface or the bridge is a warning of that node, rendered under it', () => {
  const rp = parseRpFilter('all 0\ndefault 1\neth0 1\nlo 0\nv-net-0 2\n');
  assert.deepEqual(rp, { all: 0, default: 1, eth0: 1, lo: 0, 'v-net-0': 2 });
  const cluster = classicCluster();
  const plan = planNode(desiredState(cluster, classicSubnets(cluster), 'node1'), observedNode({ rpFilter: rp! }), CTX);
  assert.equal(plan.warnings?.length, 1);
  assert.match(plan.warnings![0]!, /^strict rp_filter on eth0 \(node interface; net\.ipv4\.conf\.eth0\.rp_filter=1\)/);
  assert.equal(plan.changes.filter((c) => c.kind === 'sysctl').length, 0, 'podnet never changes rp_filter');
  const text = renderPlanText({ formatVersion: 1, cluster: 'c', nodes: [plan], summary: { add: 0, change: 0, destroy: 0, conflicts: 0, refused: 0 } }, { color: false });
  assert.match(text, /\n {2}warning: strict rp_filter on eth0/);
});

test("rp_filter: `all`=1 makes every interface strict; loose (2) and off (0) are fine", () => {
  const devs = [
    { dev: 'v-net-0', role: "podnet's bridge" },
    { dev: 'eth0', role: 'node interface' },
  ];
  assert.equal(rpFilterWarnings(parseRpFilter('all 1\neth0 0\nv-net-0 0\n')!, devs).length, 2);
  assert.deepEqual(rpFilterWarnings(parseRpFilter('all 2\neth0 1\n')!, devs), [], 'the larger value wins: 2 is loose');
  assert.deepEqual(rpFilterWarnings(parseRpFilter('all 0\neth0 0\n')!, devs), []);
  assert.deepEqual(rpFilterWarnings(undefined, devs), []);
  assert.equal(parseRpFilter('garbage'), null);
});
