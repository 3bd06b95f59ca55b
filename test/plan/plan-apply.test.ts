// The planner's commands really work: build a node in a throw-away network namespace (needs root),
// plan it, run every step there, gather again — the node has then converged (a re-plan is empty and
// nothing is in the way). Namespaces are named pnplan-<random>-… and removed in `finally` (not pnfix-:
// capture-fixtures.test counts those, and may run alongside).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseIpAddrs, parseIpForward, parseIpLinks, parseIpRoutes } from '../../src/state/ip-json.js';
import type { Cluster, ObservedState } from '../../src/model/types.js';
import type { Change } from '../../src/model/plan.js';
import { classicCluster } from '../support/classic-cluster.js';
import { needs } from '../support/needs.js';
import { convergenceOf, nodeStateOf, stepArgvs } from '../support/plan-helpers.js';

const requirement = needs('root', 'netns');

const RUN_ID = `pnplan-${randomBytes(4).toString('hex')}`;

function run(program: string, args: string[], input?: string): string {
  const r = spawnSync(program, args, { encoding: 'utf8', input });
  if (r.status !== 0) throw new Error(`${program} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** A node namespace with eth0 (a veth to a switch namespace) at 192.168.1.1N/24, lo up. */
function withNode(name: string, n: number, body: (ns: string) => void): void {
  const sw = `${RUN_ID}-${name}-sw`;
  const ns = `${RUN_ID}-${name}-node`;
  try {
    run('ip', ['netns', 'add', sw]);
    run('ip', ['netns', 'add', ns]);
    run('ip', ['-n', sw, 'link', 'add', `vn${n}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    run('ip', ['-n', sw, 'link', 'set', `vn${n}`, 'up']);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    run('ip', ['-n', ns, 'address', 'add', `192.168.1.1${n}/24`, 'dev', 'eth0']);
    run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    body(ns);
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
    spawnSync('ip', ['netns', 'del', sw]);
  }
}

function gather(ns: string, node: string): ObservedState {
  return {
    node,
    links: parseIpLinks(run('ip', ['-n', ns, '-j', '-d', 'link', 'show'])),
    addresses: parseIpAddrs(run('ip', ['-n', ns, '-j', 'addr', 'show'])),
    routes: parseIpRoutes(run('ip', ['-n', ns, '-j', 'route', 'show', 'table', 'main'])),
    ipForward: parseIpForward(run('ip', ['netns', 'exec', ns, 'cat', '/proc/sys/net/ipv4/ip_forward'])),
  };
}

/** Runs the steps as the executor does: consecutive ip steps as one `ip -batch -`, others as they are. */
function apply(ns: string, changes: Change[]): void {
  let batch: string[] = [];
  const flush = (): void => {
    if (batch.length > 0) run('ip', ['-n', ns, '-batch', '-'], `${batch.join('\n')}\n`);
    batch = [];
  };
  for (const step of changes.flatMap((c) => c.steps)) {
    if (step.run === 'ip') {
      batch.push(step.args.join(' '));
    } else if (step.run === 'command') {
      flush();
      run('ip', ['netns', 'exec', ns, ...step.argv]);
    } else {
      throw new Error(`no ${step.run} steps expected without files`);
    }
  }
  flush();
}

function converge(ns: string, cluster: Cluster, node: string): Change[] {
  const state = nodeStateOf(cluster, node, gather(ns, node));
  const plan = state.plan;
  assert.equal(plan.refused, undefined);
  assert.deepEqual(plan.conflicts, []);
  apply(ns, plan.changes);
  const after = convergenceOf(cluster, state, gather(ns, node));
  assert.deepEqual(after.lines, [], 'a second plan is empty');
  assert.deepEqual(after.conflicts, [], 'nothing in the way');
  assert.equal(after.converged, true);
  return plan.changes;
}

const cluster = classicCluster({ bridge: { name: 'v-net-0', mtu: 1500 } });

test('from scratch: the plan converges an empty node', { skip: requirement }, () => {
  withNode('scratch', 2, (ns) => {
    const changes = converge(ns, cluster, 'node2');
    assert.deepEqual(
      changes.map((c) => [c.kind, c.key, c.steps.length]),
      [
        ['sysctl', 'net.ipv4.ip_forward', 1],
        ['link', 'v-net-0', 4],
        ['address', '10.244.2.1/24 on v-net-0', 1],
        ['route', '10.244.1.0/24', 1],
        ['route', '10.244.3.0/24', 1],
      ],
    );
    assert.equal(stepArgvs(changes).length, 8);
  });
});

test('drifted: stale route, wrong address, down bridge, wrong MTU and gateway, missing route — all repaired', { skip: requirement }, () => {
  withNode('drifted', 1, (ns) => {
    run('ip', ['-n', ns, 'link', 'add', 'v-net-0', 'type', 'bridge']);
    run('ip', ['-n', ns, 'link', 'set', 'dev', 'v-net-0', 'alias', 'podnet']);
    run('ip', ['-n', ns, 'link', 'set', 'dev', 'v-net-0', 'mtu', '1400']);
    run('ip', ['-n', ns, 'address', 'add', '10.244.1.7/24', 'dev', 'v-net-0']);
    run('ip', ['-n', ns, 'route', 'replace', '10.244.2.0/24', 'via', '192.168.1.99', 'proto', '201']);
    run('ip', ['-n', ns, 'route', 'replace', '10.244.9.0/24', 'via', '192.168.1.19', 'proto', '201']);
    run('ip', ['-n', ns, 'route', 'add', '10.244.3.0/24', 'via', '192.168.1.13', 'proto', '201', 'metric', '100']);
    run('ip', ['-n', ns, 'route', 'add', '10.99.0.0/24', 'via', '192.168.1.50']);
    const changes = converge(ns, cluster, 'node1');
    assert.deepEqual(
      changes.map((c) => [c.action, c.kind, c.key]),
      [
        ['update', 'sysctl', 'net.ipv4.ip_forward'],
        ['delete', 'route', '10.244.3.0/24 metric 100'],
        ['delete', 'route', '10.244.9.0/24'],
        ['delete', 'address', '10.244.1.7/24 on v-net-0'],
        ['update', 'link', 'v-net-0'],
        ['create', 'address', '10.244.1.1/24 on v-net-0'],
        ['update', 'route', '10.244.2.0/24'],
        ['create', 'route', '10.244.3.0/24'],
      ],
    );
    const routes = gather(ns, 'node1').routes;
    assert.ok(!routes.some((r) => r.dst === '10.244.9.0/24'), 'stale route gone');
    assert.ok(!routes.some((r) => r.metric === 100), 'second-metric podnet route gone');
    assert.deepEqual(
      routes.find((r) => r.dst === '10.99.0.0/24'),
      { dst: '10.99.0.0/24', gateway: '192.168.1.50', dev: 'eth0', protocol: 'boot' },
      "the admin's route survives",
    );
  });
});

test("renamed bridge: podnet's old bridge is deleted and the new one made", { skip: requirement }, () => {
  withNode('renamed', 3, (ns) => {
    run('ip', ['-n', ns, 'link', 'add', 'cni-old', 'type', 'bridge']);
    run('ip', ['-n', ns, 'link', 'set', 'dev', 'cni-old', 'alias', 'podnet']);
    run('ip', ['-n', ns, 'address', 'add', '10.244.3.1/24', 'dev', 'cni-old']);
    run('ip', ['-n', ns, 'link', 'set', 'dev', 'cni-old', 'up']);
    converge(ns, cluster, 'node3');
    assert.ok(!gather(ns, 'node3').links.some((l) => l.name === 'cni-old'));
  });
});

test('a removed node: its route is pruned', { skip: requirement }, () => {
  withNode('removed', 1, (ns) => {
    converge(ns, cluster, 'node1');
    const twoNodes = classicCluster({ bridge: { name: 'v-net-0', mtu: 1500 }, nodes: cluster.nodes.slice(0, 2) });
    const changes = converge(ns, twoNodes, 'node1');
    assert.deepEqual(
      stepArgvs(changes).map((a) => a.join(' ')),
      ['ip route del 10.244.3.0/24 via 192.168.1.13 proto 201'],
    );
    assert.deepEqual(
      changes.map((c) => [c.action, c.kind, c.key, c.reason.code]),
      [['delete', 'route', '10.244.3.0/24', 'stale-route-no-node']],
    );
  });
});
