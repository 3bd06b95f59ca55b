// Rolling apply and cluster-wide make-before-break, end to end through runPlanCommand over a
// simulated cluster (test/support/sim-cluster.ts): every route and address made or deleted on any
// host lands in one timeline, so the order across hosts can be checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPlanCommand, type PlanCommandOptions } from '../../src/cli/plan-command.js';
import type { Cluster, NodeSpec } from '../../src/model/types.js';
import { captureBoth, captureJson } from '../support/capture.js';
import { classicCluster } from '../support/classic-cluster.js';
import { SimCluster } from '../support/sim-cluster.js';

const json: PlanCommandOptions = { forks: 10, output: 'json', verbose: false, acceptNewHosts: false, confirm: false };

function node(n: number, subnet = `10.244.${n}.0/24`): NodeSpec {
  return { name: `node${n}`, address: `192.168.1.1${n}`, subnet, ssh: { host: `192.168.1.1${n}`, port: 22, user: 'root', knownHostsFile: '/dev/null', become: false, connectTimeoutMs: 5000 } };
}

const before = classicCluster();
/** node2's subnet moves from 10.244.2.0/24 to 10.244.20.0/24. */
const moved: Cluster = classicCluster({ nodes: [node(1), node(2, '10.244.20.0/24'), node(3)] });
/** node4 joins (nothing is deleted anywhere). */
const joined = (count: number): Cluster => classicCluster({ nodes: Array.from({ length: count }, (_, i) => node(i + 1)) });

interface Result {
  node: string;
  status: string;
  changed: number;
  batch?: number;
  error?: string;
  kept?: { action: string; key: string }[];
}
interface Rollout {
  serial?: string;
  passes: string[];
  batches: string[][];
  stopped?: { pass: string; batch: number; failed: number; size: number };
  untouched: string[];
  incomplete: string[];
}

async function apply(sim: SimCluster, cluster: Cluster, options: Partial<PlanCommandOptions> = {}): Promise<{ code: number; results: Result[]; rollout?: Rollout; execs: Record<string, number> }> {
  const { code, report } = await captureJson(() => runPlanCommand('cluster.yaml', { ...json, ...options }, 'apply', sim.transport(), undefined, cluster));
  return { code, results: report.results as Result[], rollout: report.rollout as Rollout | undefined, execs: report.execs as Record<string, number> };
}

async function diffCode(sim: SimCluster, cluster: Cluster): Promise<number> {
  return (await captureBoth(() => runPlanCommand('cluster.yaml', { ...json, output: 'text' }, 'diff', sim.transport(), undefined, cluster))).code;
}

test('a subnet move runs in two passes: every new route and address exists on every host before any old one is deleted', async () => {
  const sim = new SimCluster(before, moved);
  const run = await apply(sim, moved);
  assert.equal(run.code, 0, JSON.stringify(run.results));
  const { lastMake, firstBreak } = sim.order();
  assert.ok(lastMake >= 0 && firstBreak >= 0, JSON.stringify(sim.timeline));
  assert.ok(lastMake < firstBreak, `a delete ran before the last make:\n${sim.timeline.map((e) => `${e.host}: ${e.line}`).join('\n')}`);
  assert.deepEqual(
    sim.timeline.filter((e) => e.kind !== 'other').map((e) => `${e.kind} ${e.host}: ${e.line}`),
    [
      'make node1: route replace 10.244.20.0/24 via 192.168.1.12 proto 201',
      'make node2: address add 10.244.20.1/24 dev v-net-0',
      'make node3: route replace 10.244.20.0/24 via 192.168.1.12 proto 201',
      'break node1: route del 10.244.2.0/24 via 192.168.1.12 proto 201',
      'break node2: address del 10.244.2.1/24 dev v-net-0',
      'break node3: route del 10.244.2.0/24 via 192.168.1.12 proto 201',
    ],
  );
  assert.deepEqual(run.rollout?.passes, ['make', 'break']);
  assert.deepEqual(run.results.map((r) => [r.node, r.status, r.changed]), [['node1', 'converged', 2], ['node2', 'converged', 3], ['node3', 'converged', 2]]);
  // Each host: the gather, then per pass its exec and the check of its pod gateway's reach.
  assert.deepEqual(run.execs, { node1: 5, node2: 5, node3: 5 });
  assert.equal(await diffCode(sim, moved), 0, 'converged');
});

test('a plain apply keeps ONE exec per host and no rollout: a node joining deletes nothing', async () => {
  const sim = new SimCluster(before, joined(4));
  const run = await apply(sim, joined(4));
  assert.equal(run.code, 0, JSON.stringify(run.results));
  assert.equal(run.rollout, undefined);
  assert.deepEqual(run.execs, { node1: 2, node2: 2, node3: 2, node4: 2 });
  assert.deepEqual([...sim.applies.values()], [1, 1, 1, 1]);
});

test('--serial 1 with a subnet move: the make pass of every batch, then the break pass of every batch', async () => {
  const sim = new SimCluster(before, moved);
  const run = await apply(sim, moved, { serial: { count: 1 } });
  assert.equal(run.code, 0, JSON.stringify(run.results));
  assert.deepEqual(
    sim.timeline.filter((e) => e.kind !== 'other').map((e) => `${e.kind} ${e.host}`),
    ['make node1', 'make node2', 'make node3', 'break node1', 'break node2', 'break node3'],
  );
  assert.deepEqual(run.rollout?.batches, [['node1'], ['node2'], ['node3']]);
  assert.deepEqual(run.results.map((r) => r.batch), [1, 2, 3]);
});

test('--serial: a batch runs only once the one before it is done', async () => {
  const sim = new SimCluster(before, joined(5));
  const fake = sim.transport();
  const { code, report } = await captureJson(() => runPlanCommand('cluster.yaml', { ...json, serial: { count: 2 } }, 'apply', fake, undefined, joined(5)));
  assert.equal(code, 0, JSON.stringify(report.results));
  const applies = fake.sent.filter((s) => s.command.includes('ip -batch')).map((s) => s.host);
  assert.deepEqual(applies.slice(0, 2).sort(), ['node1', 'node2']);
  assert.deepEqual(applies.slice(2, 4).sort(), ['node3', 'node4']);
  assert.deepEqual(applies.slice(4), ['node5']);
  assert.ok(fake.maxConcurrent <= 5, 'the gather of five hosts, then at most a batch of two');
});

test('--serial stops at the first failed batch by default: the hosts not started are left untouched, exit 1', async () => {
  const sim = new SimCluster(before, joined(4));
  sim.host('node2').failApply = true;
  const run = await apply(sim, joined(4), { serial: { count: 1 } });
  assert.equal(run.code, 1);
  assert.deepEqual(run.results.map((r) => [r.node, r.status, r.batch]), [['node1', 'converged', 1], ['node2', 'failed', 2], ['node3', 'untouched', 3], ['node4', 'untouched', 4]]);
  assert.equal(sim.applies.get('node3'), undefined, 'nothing was sent to node3 after its gather');
  assert.equal(run.execs.node3, 1);
  assert.deepEqual(run.rollout?.stopped, { pass: 'all', batch: 2, failed: 1, size: 1 });
  assert.deepEqual(run.rollout?.untouched, ['node3', 'node4']);

  const text = await captureBoth(() => runPlanCommand('cluster.yaml', { ...json, output: 'text', serial: { count: 1 } }, 'apply', sim.transport(), undefined, joined(4)));
  assert.match(text.stdout, /^node3 : ok=0 +changed=0 +failed=0 +unreachable=0 +batch=3 +untouched$/m);
  assert.match(
    text.stdout,
    /\nRollout: 4 batches \(--serial 1\)\.\nStopped after batch 2 of 4: 1 of 1 host failed \(--max-fail-percentage 0: any\n {2}failure stops the rollout\)\.\nLeft untouched: node3, node4 \(nothing was changed there\)\.\n$/,
  );
  assert.match(text.stderr, /^batch 1 of 4: node1$/m);
});

test('--max-fail-percentage: the rollout goes on while at most P% of a batch failed', async () => {
  const cluster = joined(6);
  const half = new SimCluster(before, cluster);
  half.host('node2').failApply = true;
  const goesOn = await apply(half, cluster, { serial: { count: 2 }, maxFailPercentage: 50 });
  assert.equal(goesOn.code, 1, 'a node failed');
  assert.deepEqual(goesOn.results.map((r) => r.status), ['converged', 'failed', 'converged', 'converged', 'converged', 'converged']);
  assert.equal(goesOn.rollout?.stopped, undefined);

  const stops = new SimCluster(before, cluster);
  stops.host('node2').failApply = true;
  const stopped = await apply(stops, cluster, { serial: { count: 2 }, maxFailPercentage: 49 });
  assert.deepEqual(stopped.results.map((r) => r.status), ['converged', 'failed', 'untouched', 'untouched', 'untouched', 'untouched']);
  assert.deepEqual(stopped.rollout?.stopped, { pass: 'all', batch: 1, failed: 1, size: 2 });
});

test('an unreachable host counts as failed in its batch', async () => {
  const sim = new SimCluster(before, joined(4));
  sim.host('node1').down = true;
  const run = await apply(sim, joined(4), { serial: { percent: 50 } });
  assert.deepEqual(run.results.map((r) => r.status), ['unreachable', 'converged', 'untouched', 'untouched']);
});

test('when the make pass fails on a host, no old route or address is deleted anywhere', async () => {
  const sim = new SimCluster(before, moved);
  sim.host('node3').failApply = true;
  const run = await apply(sim, moved);
  assert.equal(run.code, 1);
  assert.deepEqual(sim.timeline.filter((e) => e.kind === 'break'), []);
  assert.deepEqual(run.results.map((r) => [r.node, r.status]), [['node1', 'incomplete'], ['node2', 'incomplete'], ['node3', 'failed']]);
  assert.deepEqual(run.results[0]?.kept?.map((c) => `${c.action} ${c.key}`), ['delete 10.244.2.0/24']);
  assert.deepEqual(run.rollout?.incomplete, ['node1', 'node2']);
  assert.deepEqual(run.rollout?.stopped, { pass: 'make', batch: 1, failed: 1, size: 3 });
  // The cluster still routes both subnets: the next apply finishes the move.
  assert.equal(sim.host('node1').routes.get('10.244.2.0/24'), '192.168.1.12');
  assert.equal(sim.host('node1').routes.get('10.244.20.0/24'), '192.168.1.12');
  sim.host('node3').failApply = false;
  const again = await apply(sim, moved);
  assert.equal(again.code, 0, JSON.stringify(again.results));
  assert.ok(sim.order().firstBreak > 0);
});

test('make-before-break with --confirm: each pass is confirmed on its own', async () => {
  const sim = new SimCluster(before, moved);
  const fake = sim.transport();
  const { code, report } = await captureJson(() => runPlanCommand('cluster.yaml', { ...json, confirm: 30 }, 'apply', fake, undefined, moved));
  assert.equal(code, 0, JSON.stringify(report.results));
  const confirms = fake.commandsTo('node1').filter((c) => /mkdir \/run\/podnet\/apply\/rollback\/\w+\/running 2>\/dev\/null; then/.test(c) && !c.includes('ip -batch'));
  assert.equal(confirms.length, 2);
  assert.deepEqual((report.results as Result[]).map((r) => r.status), ['converged', 'converged', 'converged']);
});

test('after each batch its hosts ping the pod gateways of the hosts applied so far; one that does not reach them fails', async () => {
  const cluster = joined(4);
  const sim = new SimCluster(before, cluster);
  const fake = sim.transport();
  const { code, report } = await captureJson(() => runPlanCommand('cluster.yaml', { ...json, serial: { count: 2 } }, 'apply', fake, undefined, cluster));
  assert.equal(code, 0, JSON.stringify(report.results));
  const checks = fake.sent.filter((s) => s.command.includes("echo '@@podnet reach'")).map((s) => `${s.host}: ${/for t in ([^;]*);/.exec(s.command)?.[1]}`);
  assert.deepEqual(checks.sort(), [
    'node1: 10.244.2.1',
    'node2: 10.244.1.1',
    'node3: 10.244.1.1 10.244.2.1 10.244.4.1',
    'node4: 10.244.1.1 10.244.2.1 10.244.3.1',
  ]);
  assert.deepEqual((report.results as { reach?: unknown }[]).map((r) => r.reach), [
    { peers: 1, unreached: [] }, { peers: 1, unreached: [] }, { peers: 3, unreached: [] }, { peers: 3, unreached: [] },
  ]);

  const cut = new SimCluster(before, cluster);
  cut.cut.add('node3>node1');
  const stopped = await apply(cut, cluster, { serial: { count: 2 } });
  assert.equal(stopped.code, 1);
  assert.deepEqual(stopped.results.map((r) => r.status), ['converged', 'converged', 'failed', 'converged']);
  assert.match(stopped.results[2]?.error ?? '', /^converged, but its pod gateway does not reach the pod gateway of node1 \(10\.244\.1\.1\) and back/);
  assert.deepEqual(stopped.rollout?.stopped, { pass: 'all', batch: 2, failed: 1, size: 2 });
});

test('the check is skipped on a host without ping, and the recap says so', async () => {
  const cluster = joined(4);
  const sim = new SimCluster(before, cluster);
  sim.noPing.add('node4');
  const { code, stdout } = await captureBoth(() => runPlanCommand('cluster.yaml', { ...json, output: 'text', serial: { count: 2 } }, 'apply', sim.transport(), undefined, cluster));
  assert.equal(code, 0, stdout);
  assert.match(stdout, /^node4 : .* converged\n {8}the check after its batch was skipped: ping is not installed on the node\n/m);
});

test('a failed check in the make pass keeps every old route and address', async () => {
  const sim = new SimCluster(before, moved);
  sim.cut.add('node1>node2');
  const run = await apply(sim, moved);
  assert.equal(run.code, 1);
  assert.deepEqual(run.results.map((r) => r.status), ['failed', 'incomplete', 'incomplete']);
  assert.deepEqual(sim.timeline.filter((e) => e.kind === 'break'), []);
});
