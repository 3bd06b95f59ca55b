// podnet's iptables steps and the gather's new sections, run by a real sh with the real iptables
// inside a namespace of our own (a new namespace has empty netfilter tables). Needs root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { IptablesChain, IptablesRule, ObservedState } from '../../src/model/types.js';
import type { Change } from '../../src/model/plan.js';
import { DEFAULT_CNI } from '../../src/model/types.js';
import { parseApplyOutcome, renderApplyCommand } from '../../src/scripts/apply-script.js';
import { parseGatherOutput, renderGatherCommand } from '../../src/scripts/gather-script.js';
import { planFirewall } from '../../src/plan/firewall.js';
import { desiredFirewall } from '../../src/state/desired-firewall.js';
import { planDestroyNode } from '../../src/plan/destroy.js';
import { classicCluster } from '../support/classic-cluster.js';
import { needs } from '../support/needs.js';

const requirement = needs('root', 'netns', 'iptables');

function withNetns(fn: (ns: string) => void): void {
  const ns = `pnfw-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    fn(ns);
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

function gather(ns: string): ObservedState {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', renderGatherCommand([], { cni: DEFAULT_CNI })], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return parseGatherOutput(r.stdout, 'n1', '192.168.1.11');
}

function apply(ns: string, changes: Change[]): ObservedState {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', renderApplyCommand(changes, [], { cni: DEFAULT_CNI })], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(parseApplyOutcome(changes, r.stdout, r.stderr), { ok: true }, r.stderr);
  return parseGatherOutput(r.stdout, 'n1', '192.168.1.11');
}

function tables(state: ObservedState): { chains: IptablesChain[]; rules: IptablesRule[] } {
  assert.ok(state.firewall?.available, JSON.stringify(state.firewall));
  return state.firewall;
}

test('the gather reads iptables, rp_filter and the pods of a fresh namespace', { skip: requirement }, () => {
  withNetns((ns) => {
    const state = gather(ns);
    assert.equal(state.firewall?.available, true);
    assert.equal(tables(state).rules.length, 0);
    assert.equal(state.rpFilter?.all, 0, 'a new namespace starts with rp_filter 0');
    assert.equal(state.rpFilter?.['lo'], 0);
    assert.ok(state.pods?.netns.includes(ns), 'the machine-wide /run/netns, our namespace among them');
    assert.deepEqual(state.pods?.allocations, []);
  });
});

test('planned steps run with the real iptables and converge; egress off prunes; destroy leaves nothing', { skip: requirement }, () => {
  withNetns((ns) => {
    execFileSync('ip', ['netns', 'exec', ns, 'iptables', '-w', '-P', 'FORWARD', 'DROP']);
    const forward = desiredFirewall({ podCidr: '10.244.0.0/16' });
    const egress = desiredFirewall({ podCidr: '10.244.0.0/16', egress: { masquerade: true } });

    let state = apply(ns, planFirewall(egress, tables(gather(ns))).creates);
    assert.deepEqual(planFirewall(egress, tables(state)), { deletes: [], creates: [], conflicts: [] }, 'converged after one apply');
    const forwardChain = tables(state).rules.filter((r) => r.chain === 'FORWARD');
    assert.deepEqual(forwardChain[0]?.args, ['-m', 'comment', '--comment', 'podnet', '-j', 'PODNET-FORWARD']);

    // An admin's rule in FORWARD, before podnet's jump: podnet moves its jump back up, the rule stays.
    execFileSync('ip', ['netns', 'exec', ns, 'iptables', '-w', '-I', 'FORWARD', '1', '-s', '192.168.9.0/24', '-j', 'DROP']);
    const moved = planFirewall(egress, tables(gather(ns)));
    assert.deepEqual(moved.deletes, []);
    assert.deepEqual(
      moved.creates.map((c) => [c.kind, c.action, c.steps.map((s) => (s.run === 'command' ? s.argv.slice(4, 7).join(' ') : s.run))]),
      [['rule', 'update', ['-D FORWARD -m', '-I FORWARD 1']]],
      'the moved jump is one update: deleted where it is, inserted first',
    );
    state = apply(ns, [...moved.deletes, ...moved.creates]);
    assert.deepEqual(
      tables(state).rules.filter((r) => r.chain === 'FORWARD').map((r) => r.args.join(' ')),
      ['-m comment --comment podnet -j PODNET-FORWARD', '-s 192.168.9.0/24 -j DROP'],
    );

    const off = planFirewall(forward, tables(state));
    assert.deepEqual(
      off.deletes.map((c) => [c.kind, c.action, c.steps.length]),
      [
        ['rule', 'delete', 1],
        ['rule', 'delete', 1],
        ['rule', 'delete', 1],
        ['chain', 'delete', 1],
      ],
    );
    state = apply(ns, [...off.deletes, ...off.creates]);
    assert.ok(!tables(state).chains.some((c) => c.name === 'PODNET-POSTROUTING'));
    assert.deepEqual(planFirewall(forward, tables(state)).creates, []);

    const destroy = planDestroyNode(classicCluster(), { name: 'n1', address: '192.168.1.11' }, state);
    state = apply(ns, destroy.changes);
    assert.deepEqual(
      tables(state).rules.map((r) => `${r.chain} ${r.args.join(' ')}`),
      ['FORWARD -s 192.168.9.0/24 -j DROP'],
      "only the admin's rule is left",
    );
    assert.equal(tables(state).chains.find((c) => c.name === 'FORWARD')?.policy, 'DROP', 'the policy is not podnet’s');
    assert.deepEqual(planDestroyNode(classicCluster(), { name: 'n1', address: '192.168.1.11' }, state).changes, []);
  });
});
