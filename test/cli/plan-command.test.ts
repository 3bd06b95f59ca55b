// diff and apply as the CLI runs them, over a fake transport: the JSON document and exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPlanCommand, type PlanCommandOptions } from '../../src/cli/plan-command.js';
import { readCluster } from '../../src/cli/read-cluster.js';
import { SshError } from '../../src/run/ssh/errors.js';
import { FakeTransport, ok } from '../support/fake-transport.js';
import { convergedNodeStdout, emptyNodeStdout } from '../support/gather-output.js';
import { captureJson } from '../support/capture.js';

const FILE = 'examples/seed-3-nodes/cluster.yaml';
const options: PlanCommandOptions = { forks: 10, output: 'json', verbose: false, acceptNewHosts: false };

test('diff -o json: an unreachable node, a node whose gather failed and a bug are reported apart; exit 1', async () => {
  const fake = new FakeTransport({
    node1: { connectError: new SshError('refused', 'node1', 'node1: connection refused') },
    node2: { replies: [ok('half an output\n')] },
    node3: { replies: [{ throws: new TypeError('undefined is not iterable') }] },
  });
  const { code, report } = await captureJson(() => runPlanCommand(FILE, options, 'diff', fake));
  assert.equal(code, 1);
  assert.deepEqual(report.unreachable, { node1: 'node1: connection refused' });
  assert.deepEqual(Object.keys(report.failed as object), ['node2']);
  assert.deepEqual(report.errors, { node3: 'undefined is not iterable' });
  assert.equal(fake.closed, 1, 'the transport is closed at the end');
});

test('apply -o json: two execs per empty node, every node converged, exit 0; the results carry an error status', async () => {
  const cluster = readCluster(FILE);
  const fake = new FakeTransport();
  for (const n of [1, 2, 3]) fake.on(`node${n}`, { replies: [ok(emptyNodeStdout(n)), ok(convergedNodeStdout(cluster, n))] });
  const plain: PlanCommandOptions = { ...options, confirm: false };
  const applied = await captureJson(() => runPlanCommand(FILE, plain, 'apply', fake));
  assert.equal(applied.code, 0);
  assert.deepEqual(applied.report.execs, { node1: 2, node2: 2, node3: 2 });

  const broken = new FakeTransport();
  for (const n of [1, 2]) broken.on(`node${n}`, { replies: [ok(emptyNodeStdout(n)), ok(convergedNodeStdout(cluster, n))] });
  broken.on('node3', { replies: [ok(emptyNodeStdout(3)), { throws: new RangeError('Invalid array length') }] });
  const failed = await captureJson(() => runPlanCommand(FILE, plain, 'apply', broken));
  assert.equal(failed.code, 1);
  const results = failed.report.results as { node: string; status: string; error?: string }[];
  assert.deepEqual(results.map((r) => r.status), ['converged', 'converged', 'error']);
  assert.equal(results[2]?.error, 'Invalid array length');
});

test('apply --confirm is on by default when routes and links change: lock, timer, a fresh connection, then the confirmation', async () => {
  const cluster = readCluster(FILE);
  const fake = new FakeTransport();
  const confirmed = ok('@@podnet confirmed\n');
  for (const n of [1, 2, 3]) fake.on(`node${n}`, { replies: [ok(emptyNodeStdout(n)), ok(convergedNodeStdout(cluster, n)), ok(convergedNodeStdout(cluster, n)), confirmed] });
  const applied = await captureJson(() => runPlanCommand(FILE, options, 'apply', fake));
  assert.equal(applied.code, 0, JSON.stringify(applied.report.results));
  const results = applied.report.results as { node: string; confirm?: { outcome: string } }[];
  assert.deepEqual(results.map((r) => r.confirm?.outcome), ['confirmed', 'confirmed', 'confirmed']);
  const [, apply, regather, confirm] = fake.commandsTo('node1');
  assert.match(apply ?? '', /flock -n 9/);
  assert.match(apply ?? '', /setsid sh -c 'sleep 60; exec sh \/run\/podnet\/apply\/rollback\/[a-z0-9]+\/rollback.sh'/);
  assert.ok((apply ?? '').indexOf('setsid') < (apply ?? '').indexOf('ip -batch'), 'the timer is armed before the steps run');
  assert.doesNotMatch(regather ?? '', /flock/);
  assert.match(confirm ?? '', /mkdir \/run\/podnet\/apply\/rollback\/[a-z0-9]+\/running/);
  // The confirmation went over a new connection.
  assert.equal(fake.connects.filter((n) => n === 'node1').length, 2);
});

test('apply --confirm: a node whose rollback came first is reported rolled back, and failed', async () => {
  const cluster = readCluster(FILE);
  const fake = new FakeTransport();
  for (const n of [1, 2, 3]) {
    const last = n === 2 ? ok('@@podnet rolled-back before\n') : ok('@@podnet confirmed\n');
    fake.on(`node${n}`, { replies: [ok(emptyNodeStdout(n)), ok(convergedNodeStdout(cluster, n)), ok(convergedNodeStdout(cluster, n)), last] });
  }
  const applied = await captureJson(() => runPlanCommand(FILE, { ...options, confirm: 5 }, 'apply', fake));
  assert.equal(applied.code, 1);
  const results = applied.report.results as { node: string; status: string; confirm?: { outcome: string } }[];
  assert.deepEqual(results.map((r) => [r.status, r.confirm?.outcome]), [['converged', 'confirmed'], ['failed', 'rolled-back'], ['converged', 'confirmed']]);
  assert.match(fake.commandsTo('node2')[1] ?? '', /sleep 5;/);
});

test('a node locked by another run fails fast and names the holder; nothing is applied there', async () => {
  const cluster = readCluster(FILE);
  const fake = new FakeTransport();
  for (const n of [1, 3]) fake.on(`node${n}`, { replies: [ok(emptyNodeStdout(n)), ok(convergedNodeStdout(cluster, n)), ok(convergedNodeStdout(cluster, n)), ok('@@podnet confirmed\n')] });
  fake.on('node2', { replies: [ok(emptyNodeStdout(2)), ok('@@podnet locked\napply by ctl-a pid 4242 since 2026-12-03T10:00:00.000Z\n')] });
  const applied = await captureJson(() => runPlanCommand(FILE, options, 'apply', fake));
  assert.equal(applied.code, 1);
  const results = applied.report.results as { node: string; status: string; changed: number; error?: string; confirm?: unknown }[];
  assert.equal(results[1]?.status, 'failed');
  assert.equal(results[1]?.confirm, undefined, 'nothing was armed there: nothing to confirm or roll back');
  assert.equal(fake.commandsTo('node2').length, 2);
  assert.equal(results[1]?.changed, 0);
  assert.match(results[1]?.error ?? '', /locked by another podnet run: apply by ctl-a pid 4242 since 2026-12-03T10:00:00.000Z/);
});

test('with --lock-timeout a node whose lock came free after a wait is planned again before it is applied', async () => {
  const cluster = readCluster(FILE);
  const fake = new FakeTransport();
  for (const n of [1, 2, 3]) {
    // The other run converged the node while this one waited: the new plan is empty, nothing runs.
    fake.on(`node${n}`, { replies: [ok(emptyNodeStdout(n)), ok('@@podnet lock-waited\n'), ok(convergedNodeStdout(cluster, n))] });
  }
  const applied = await captureJson(() => runPlanCommand(FILE, { ...options, confirm: false, lockTimeout: 30 }, 'apply', fake));
  assert.equal(applied.code, 0, JSON.stringify(applied.report.results));
  assert.match(fake.commandsTo('node1')[1] ?? '', /flock -w 30 9/);
  assert.deepEqual(applied.report.execs, { node1: 3, node2: 3, node3: 3 });
  assert.deepEqual((applied.report.results as { changed: number }[]).map((r) => r.changed), [0, 0, 0]);
});
