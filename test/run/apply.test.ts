// apply over a fake transport: one exec per node carrying its planned steps, a failing step mapped
// back to the plan, convergence re-gathers, and unreachable / failed / internal error per node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPlan, type RunOptions } from '../../src/run/apply.js';
import type { ProgressEvent } from '../../src/run/events.js';
import { gatherCluster } from '../../src/run/gather.js';
import { buildClusterState } from '../../src/plan/node-state.js';
import { describeChange } from '../../src/render/sentences.js';
import { argvOf } from '../support/plan-helpers.js';
import { SshError } from '../../src/run/ssh/errors.js';
import { renderGatherCommand } from '../../src/scripts/gather-script.js';
import { managedFilePaths } from '../../src/state/node-files.js';
import { classicCluster } from '../support/classic-cluster.js';
import { FakeTransport, ok, type FakeReply } from '../support/fake-transport.js';
import { convergedNodeStdout, emptyNodeStdout } from '../support/gather-output.js';

const cluster = classicCluster();
const NODES = ['node1', 'node2', 'node3'];
const GATHER = renderGatherCommand(managedFilePaths(cluster));

/** The marker the apply command prints when group N of its steps failed (scripts/apply-script.ts). */
const failedGroup = (n: number): string => `@@podnet failed-group ${n}\n`;

/** Every node starts empty; `then(n)` scripts what comes after the first gather. */
function emptyCluster(then: (n: number) => FakeReply[]): FakeTransport {
  const fake = new FakeTransport();
  for (const n of [1, 2, 3]) fake.on(`node${n}`, { replies: [ok(emptyNodeStdout(n)), ...then(n)] });
  return fake;
}

interface Run {
  results: Awaited<ReturnType<typeof applyPlan>>;
  events: Map<string, string[]>;
  plan: ReturnType<typeof buildClusterState>;
}

async function diffAndApply(fake: FakeTransport, options: Partial<RunOptions> = {}): Promise<Run> {
  const events = new Map<string, string[]>();
  const describe = (e: ProgressEvent): string => ('attempt' in e ? `${e.kind} ${e.attempt}` : e.kind);
  const runOptions: RunOptions = {
    forks: 10,
    convergeDelayMs: 0,
    hooks: { onProgress: (node, e) => events.set(node, [...(events.get(node) ?? []), describe(e)]) },
    ...options,
  };
  const gathered = await gatherCluster(cluster, cluster.nodes, fake, runOptions);
  const plan = buildClusterState(cluster, gathered.observed);
  fake.maxConcurrent = 0; // from here on, the apply phase alone
  const results = await applyPlan(plan, cluster.nodes, gathered, fake, runOptions);
  return { results, events, plan };
}

test('apply sends ONE exec per node that carries its planned steps, then the gather; every node converges', async () => {
  const fake = emptyCluster((n) => [ok(convergedNodeStdout(cluster, n))]);
  const { results, events, plan } = await diffAndApply(fake);
  assert.deepEqual(
    results.map((r) => [r.node, r.status, r.changed]),
    NODES.map((node) => [node, 'converged', plan.plan.nodes.find((p) => p.node === node)!.changes.length]),
  );
  for (const node of NODES) {
    const [gather, apply, ...rest] = fake.commandsTo(node);
    assert.equal(gather, GATHER);
    assert.deepEqual(rest, [], `${node}: gather + apply, nothing else`);
    assert.ok(apply!.includes('ip -batch -'), apply);
    assert.ok(apply!.trimEnd().endsWith(GATHER), 'the apply exec re-gathers at its end');
    assert.deepEqual(events.get(node), ['connecting', 'gathered', 'applying', 'converged']);
  }
  const node1 = fake.commandsTo('node1')[1]!;
  assert.match(node1, /^route replace 10\.244\.2\.0\/24 via 192\.168\.1\.12 .*proto 201/m);
  assert.match(node1, /^address add 10\.244\.1\.1\/24 dev v-net-0/m);
  assert.match(node1, /printf '%s\\n' 1 > \/proc\/sys\/net\/ipv4\/ip_forward/);
  assert.doesNotMatch(node1, /10\.244\.1\.0\/24 via/, 'no route to its own subnet');
});

test('a node in sync gets no apply exec at all', async () => {
  const fake = new FakeTransport();
  for (const n of [1, 2, 3]) fake.on(`node${n}`, { replies: [ok(convergedNodeStdout(cluster, n))] });
  const { results } = await diffAndApply(fake);
  assert.deepEqual(results.map((r) => r.status), ['converged', 'converged', 'converged']);
  assert.deepEqual(results.map((r) => r.changed), [0, 0, 0]);
  assert.ok(results.every((r) => r.ok > 0), 'the facts that held count as ok');
  assert.deepEqual([...(await fake.execCounts()).values()], [1, 1, 1]);
});

test('a batch step that fails is mapped back to its step; the other nodes still converge', async () => {
  // node1's steps: group 0 is the sysctl, group 1 the ip batch (link add, alias, up, address, route, route):
  // batch line 5 is the route to node2, step 5 of the node, in change 3 (sysctl, link, address, route).
  const fake = emptyCluster((n) =>
    n === 1
      ? [ok(failedGroup(1) + emptyNodeStdout(1), 'Error: Nexthop has invalid gateway.\nCommand failed -:5\n')]
      : [ok(convergedNodeStdout(cluster, n))],
  );
  const { results, events, plan } = await diffAndApply(fake);
  const node1 = results[0]!;
  const change = plan.plan.nodes[0]!.changes[3]!;
  const command = argvOf(change.steps[0]!).join(' ');
  assert.equal(node1.status, 'failed');
  assert.equal(node1.changed, 3, 'the changes before the failing one ran');
  assert.deepEqual(node1.failedStep, { index: 5, kind: 'route', key: '10.244.2.0/24', command, message: 'Error: Nexthop has invalid gateway.' });
  assert.match(command, /^ip route replace 10\.244\.2\.0\/24 via 192\.168\.1\.12/);
  assert.equal(events.get('node1')?.at(-1), 'failed');
  assert.deepEqual(results.slice(1).map((r) => r.status), ['converged', 'converged']);
  assert.equal(fake.commandsTo('node1').length, 2, 'a failed step is not retried');
});

test('convergence: unmet after apply, unmet on the first re-gather, met on the second → converged', async () => {
  const fake = emptyCluster((n) =>
    n === 2 ? [ok(emptyNodeStdout(2)), ok(emptyNodeStdout(2)), ok(convergedNodeStdout(cluster, 2))] : [ok(convergedNodeStdout(cluster, n))],
  );
  const { results, events } = await diffAndApply(fake);
  assert.deepEqual(results.map((r) => r.status), ['converged', 'converged', 'converged']);
  assert.deepEqual(events.get('node2'), ['connecting', 'gathered', 'applying', 'checking 1', 'checking 2', 'converged']);
  assert.deepEqual(fake.commandsTo('node2').slice(2), [GATHER, GATHER], 'each check is one gather exec');
  assert.equal(fake.commandsTo('node1').length, 2);
});

test('convergence never met → failed after the retries, with what is unmet', async () => {
  const fake = emptyCluster((n) => (n === 3 ? [ok(emptyNodeStdout(3))] : [ok(convergedNodeStdout(cluster, n))]));
  const { results, events, plan } = await diffAndApply(fake, { convergeRetries: 2 });
  const node3 = results[2]!;
  assert.equal(node3.status, 'failed');
  assert.equal(node3.changed, plan.plan.nodes[2]!.changes.length);
  assert.match(node3.error ?? '', /^applied, but the node has not converged: /);
  const unmet = (node3.unmet ?? []).map(describeChange);
  assert.ok(unmet.includes('~ sysctl net.ipv4.ip_forward = 1 (forwarding is off (0), want 1)'), unmet.join('\n'));
  assert.ok(unmet.includes('+ link v-net-0 (bridge, alias podnet, up) (missing)'), unmet.join('\n'));
  assert.deepEqual(events.get('node3')?.slice(2), ['applying', 'checking 1', 'checking 2', 'failed']);
  assert.equal(fake.commandsTo('node3').length, 2 + 2);
  assert.deepEqual(results.slice(0, 2).map((r) => r.status), ['converged', 'converged']);
});

test('apply: a broken connection is unreachable, a non-zero exit is failed, a thrown TypeError is an internal error', async () => {
  const fake = emptyCluster((n) => {
    if (n === 1) return [{ throws: new SshError('disconnected', 'node1', 'node1: connection lost while running a command') }];
    if (n === 2) return [{ result: { code: null, signal: 'KILL', stdout: '', stderr: '' } }];
    return [{ throws: new TypeError('x is not a function') }];
  });
  const { results, events } = await diffAndApply(fake);
  assert.deepEqual(
    results.map((r) => [r.node, r.status, r.error]),
    [
      ['node1', 'unreachable', 'node1: connection lost while running a command'],
      ['node2', 'failed', 'the apply command was killed by signal KILL'],
      ['node3', 'error', 'x is not a function'],
    ],
  );
  assert.deepEqual(events.get('node3')?.at(-1), 'error');
});

test('a guard of the apply renderer (a bug upstream) is an internal error of that node, and nothing is sent', async () => {
  const fake = emptyCluster((n) => [ok(convergedNodeStdout(cluster, n))]);
  const runOptions: RunOptions = { forks: 10, hooks: {}, convergeDelayMs: 0 };
  const gathered = await gatherCluster(cluster, cluster.nodes, fake, runOptions);
  const plan = buildClusterState(cluster, gathered.observed);
  const route = plan.plan.nodes[0]!.changes.find((c) => c.kind === 'route')!;
  const step = route.steps[0]!;
  if (step.run !== 'ip') assert.fail('a route change is an ip step');
  // A new step, not an edit: the planner shares a route's step between the nodes that plan it (frozen).
  route.steps = [{ ...step, args: [...step.args.slice(0, -1), 'x;reboot'] }];
  const results = await applyPlan(plan, cluster.nodes, gathered, fake, runOptions);
  assert.equal(results[0]!.status, 'error');
  assert.equal(results[0]!.error, 'refusing unsafe word in an ip step: "x;reboot"');
  assert.equal(fake.commandsTo('node1').length, 1, 'only the gather went out');
  assert.deepEqual(results.slice(1).map((r) => r.status), ['converged', 'converged']);
});

test('a host that could not be gathered keeps its kind in the results, without an apply', async () => {
  const fake = new FakeTransport({
    node1: { connectError: new SshError('auth', 'node1', 'node1: authentication failed') },
    node2: { replies: [ok('no markers here\n')] },
    node3: { replies: [ok(convergedNodeStdout(cluster, 3))] },
  });
  const { results } = await diffAndApply(fake);
  assert.deepEqual(
    results.map((r) => [r.node, r.status]),
    [
      ['node1', 'unreachable'],
      ['node2', 'failed'],
      ['node3', 'converged'],
    ],
  );
  assert.deepEqual(fake.commandsTo('node2').length, 1);
});

test('apply respects --forks across nodes', async () => {
  const fake = emptyCluster((n) => [{ ...ok(convergedNodeStdout(cluster, n)), delayMs: 15 }]);
  await diffAndApply(fake, { forks: 2 });
  assert.equal(fake.maxConcurrent, 2);
});
