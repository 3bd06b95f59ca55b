// The rollback planner against a real kernel: in a namespace of our own, podnet's objects in a mixed
// state (a stale podnet bridge, a route with the wrong gateway, a stale route, a bridge down with
// another MTU) plus foreign ones; the real planner's plan is applied, then its rollback (rendered by
// the same apply renderer), and plain `ip -j` and iptables-save show exactly the state before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { planNode } from '../../src/plan/plan-node.js';
import { planRollback } from '../../src/plan/rollback.js';
import { renderApplyCommand, parseApplyOutcome } from '../../src/scripts/apply-script.js';
import { parseGatherOutput, renderGatherCommand } from '../../src/scripts/gather-script.js';
import { desiredState } from '../../src/state/desired.js';
import { classicCluster, classicSubnets } from '../support/classic-cluster.js';
import { needs } from '../support/needs.js';

function sh(ns: string, command: string): string {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', command], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${command}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Routes, addresses, links, and podnet's and other rules when there are any. A link deleted and made
 * again is a new link: its ifindex, MAC address and qdisc are the kernel's, not podnet's state.
 */
function state(ns: string): unknown {
  const strip = (text: string): unknown =>
    (JSON.parse(text) as Record<string, unknown>[]).map(({ ifindex: _i, address: _a, qdisc: _q, link: _l, ...rest }) => {
      const addr = rest.addr_info as Record<string, unknown>[] | undefined;
      // An IPv6 link-local address is made from the MAC.
      if (addr !== undefined) rest.addr_info = addr.filter((a) => !(a.family === 'inet6' && a.scope === 'link'));
      return rest;
    });
  const rules = sh(ns, "(iptables-save 2>/dev/null || true) | grep -E '^(-A|:PODNET)' || true");
  const routes = (JSON.parse(sh(ns, 'ip -j route show table all')) as { dst: string }[]).filter((r) => !r.dst.startsWith('fe80') && !r.dst.startsWith('ff00'));
  return { routes, addresses: strip(sh(ns, 'ip -j addr')), links: strip(sh(ns, 'ip -j link')), rules };
}

test('apply then rollback in a real namespace gives back the state before, foreign objects untouched', { skip: needs('root', 'netns') }, () => {
  const ns = `pnrb-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    sh(
      ns,
      [
        'ip link set lo up',
        'ip link add eth0 type veth peer name foreign0 && ip address add 192.168.1.11/24 dev eth0 && ip link set eth0 up && ip link set foreign0 up',
        'ip link add v-net-0 type bridge && ip link set dev v-net-0 alias podnet && ip link set dev v-net-0 mtu 1400',
        'ip link add v-old type bridge && ip link set dev v-old alias podnet && ip link set v-old up',
        'ip route add 10.244.2.0/24 via 192.168.1.99 proto 201',
        'ip route add 10.244.9.0/24 via 192.168.1.9 proto 201',
        'ip route add 172.31.0.0/24 via 192.168.1.1', // foreign
      ].join(' && '),
    );
    const before = state(ns);
    const cluster = classicCluster({ bridge: { name: 'v-net-0', mtu: 1450 } });
    const observed = parseGatherOutput(sh(ns, renderGatherCommand()), 'node1', '192.168.1.11');
    const plan = planNode(desiredState(cluster, classicSubnets(cluster), 'node1'), observed, { podCidr: cluster.podCidr, nodeAddress: '192.168.1.11' });
    assert.deepEqual(plan.conflicts, []);
    const kinds = new Set(plan.changes.map((c) => `${c.kind} ${c.action}`));
    for (const k of ['link create', 'link update', 'link delete', 'route update', 'route delete', 'route create', 'address create']) {
      if (k === 'link create') continue; // v-net-0 exists: it is updated
      assert.ok(kinds.has(k), `the plan has a ${k}: ${[...kinds].join(', ')}`);
    }
    const rollback = planRollback(plan.changes, '/nonexistent/rollback');
    assert.deepEqual(rollback.save, []);
    const applied = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', renderApplyCommand(plan.changes, [])], { encoding: 'utf8' });
    assert.deepEqual(parseApplyOutcome(plan.changes, applied.stdout, applied.stderr), { ok: true });
    assert.notDeepEqual(state(ns), before);
    const undone = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', renderApplyCommand(rollback.changes, [])], { encoding: 'utf8' });
    assert.deepEqual(parseApplyOutcome(rollback.changes, undone.stdout, undone.stderr), { ok: true }, undone.stderr);
    assert.deepEqual(state(ns), before);
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
});
