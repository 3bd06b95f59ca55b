// apply and podnet's state file, over a fake transport: the record goes in the exec that applies
// (after the steps, before the re-gather), a converged node with an out-of-date record gets one
// small exec and one with a current record none, a failed write fails the node, and apply --confirm's
// rollback puts the old record back. The diff's exit code with --fail-on-drift.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPlan, type RunOptions } from '../../src/run/apply.js';
import { gatherCluster } from '../../src/run/gather.js';
import { buildClusterState } from '../../src/plan/node-state.js';
import { appliedObjects, stateRecord } from '../../src/plan/origin.js';
import { parseStateRecord, renderStateRecord, STATE_FILE_PATH } from '../../src/state/state-file.js';
import { desiredState } from '../../src/state/desired.js';
import { planExitCode } from '../../src/cli/plan-command.js';
import { classicCluster, classicSubnets } from '../support/classic-cluster.js';
import { FakeTransport, ok } from '../support/fake-transport.js';
import { convergedNodeStdout, emptyNodeStdout } from '../support/gather-output.js';
import type { Plan } from '../../src/model/plan.js';

const cluster = classicCluster();
const FACTS = { podnetVersion: '0.1.0', time: '2026-12-03T21:00:00.000Z', controller: 'ops@ctl', cluster: 'cluster.yaml', clusterDigest: 'c'.repeat(64) };

/** A gather output with a `state_file` section, as every real gather has one. */
function withStateFile(stdout: string, body: string): string {
  return stdout.replace(/@@podnet end\n$/, `@@podnet state_file\n${body}@@podnet end\n`);
}

const present = (text: string): string => `present\n|${text.trimEnd()}\n`;

function currentRecordOf(n: number): string {
  const name = `node${n}`;
  return renderStateRecord(stateRecord(desiredState(cluster, classicSubnets(cluster), name), { node: name, conflicts: [] }, FACTS));
}

async function apply(fake: FakeTransport, options: Partial<RunOptions> = {}): Promise<Awaited<ReturnType<typeof applyPlan>>> {
  const runOptions: RunOptions = { forks: 10, convergeDelayMs: 0, hooks: {}, record: FACTS, ...options };
  const gathered = await gatherCluster(cluster, cluster.nodes, fake, runOptions);
  const plan = buildClusterState(cluster, gathered.observed);
  return applyPlan(plan, cluster.nodes, gathered, fake, runOptions);
}

/** The record an apply command writes (the content of its state file install). */
function writtenRecord(command: string): ReturnType<typeof parseStateRecord> | undefined {
  const at = command.indexOf('/var/lib/podnet/.podnet.');
  if (at < 0) return undefined;
  const match = /printf '%s' '(\{[^']*\})\n' > \/var\/lib\/podnet\/\.podnet\.\w+ && podnet_rc=0/.exec(command);
  return match ? parseStateRecord(match[1]!) : undefined;
}

test('the apply exec writes the record after the steps and before its re-gather, atomically, mode 0600', async () => {
  const fake = new FakeTransport();
  for (const n of [1, 2, 3]) fake.on(`node${n}`, { replies: [ok(withStateFile(emptyNodeStdout(n), 'missing\n')), ok(withStateFile(convergedNodeStdout(cluster, n), present(currentRecordOf(n))))] });
  const results = await apply(fake);
  assert.deepEqual(results.map((r) => r.status), ['converged', 'converged', 'converged']);
  for (const n of [1, 2, 3]) {
    const commands = fake.commandsTo(`node${n}`);
    assert.equal(commands.length, 2, 'gather + apply: no extra exec for the record');
    const command = commands[1]!;
    const written = writtenRecord(command);
    assert.ok(written?.ok, command.slice(0, 300));
    const desired = desiredState(cluster, classicSubnets(cluster), `node${n}`);
    assert.deepEqual(written.record.objects, appliedObjects(desired, { conflicts: [] }));
    assert.equal(written.record.node, `node${n}`);
    assert.equal(written.record.controller, 'ops@ctl');
    // After the last step, before the gather; a new file beside it under umask 177 (0600), renamed over it.
    const write = command.indexOf('/var/lib/podnet/.podnet.');
    assert.ok(command.lastIndexOf('ip -batch -', write) > 0 && command.lastIndexOf('ip -batch -', write) < write);
    assert.ok(write < command.indexOf('@@podnet end'));
    assert.match(command, /umask 177 && set -C/);
    assert.match(command, new RegExp(`mv -f /var/lib/podnet/\\.podnet\\.\\w+ ${STATE_FILE_PATH.replaceAll('/', '\\/')};`));
    assert.match(command, /\|\| \{ echo '@@podnet state-file-failed'; exit 0; \}/);
  }
});

test('no record is written when the run does not ask for one, or the gather did not read the state file', async () => {
  const fake = new FakeTransport();
  for (const n of [1, 2, 3]) fake.on(`node${n}`, { replies: [ok(withStateFile(emptyNodeStdout(n), 'missing\n')), ok(convergedNodeStdout(cluster, n))] });
  await apply(fake, { record: undefined });
  for (const n of [1, 2, 3]) assert.equal(writtenRecord(fake.commandsTo(`node${n}`)[1]!), undefined);
  const older = new FakeTransport();
  for (const n of [1, 2, 3]) older.on(`node${n}`, { replies: [ok(emptyNodeStdout(n)), ok(convergedNodeStdout(cluster, n))] });
  await apply(older);
  for (const n of [1, 2, 3]) assert.doesNotMatch(older.commandsTo(`node${n}`)[1]!, /\/var\/lib\/podnet\/\.podnet\./);
});

test('a converged node: no exec when its record is current, one small exec under the lock when it is out of date', async () => {
  const fake = new FakeTransport();
  fake.on('node1', { replies: [ok(withStateFile(convergedNodeStdout(cluster, 1), present(currentRecordOf(1))))] });
  fake.on('node2', { replies: [ok(withStateFile(convergedNodeStdout(cluster, 2), 'missing\n')), ok('')] });
  const stale = currentRecordOf(3).replace(/"route 10\.244\.1\.0\/24":"[0-9a-f]+"/, `"route 10.244.1.0/24":"${'0'.repeat(64)}"`);
  fake.on('node3', { replies: [ok(withStateFile(convergedNodeStdout(cluster, 3), present(stale))), ok('')] });
  const lock = { holder: { controller: 'ctl', pid: 1, since: '2026-12-03T21:00:00Z', what: 'apply' }, timeoutSeconds: 0 };
  const results = await apply(fake, { lock });
  assert.deepEqual(results.map((r) => [r.status, r.changed]), [['converged', 0], ['converged', 0], ['converged', 0]]);
  assert.equal(fake.commandsTo('node1').length, 1, 'a current record: the gather only');
  for (const node of ['node2', 'node3']) {
    const commands = fake.commandsTo(node);
    assert.equal(commands.length, 2, node);
    assert.match(commands[1]!, /flock -n 9/);
    assert.ok(writtenRecord(commands[1]!)?.ok);
    assert.doesNotMatch(commands[1]!, /ip -j/, 'no gather after it');
  }
});

test('a record that cannot be written fails the node, saying so; its steps ran', async () => {
  const fake = new FakeTransport();
  for (const n of [1, 2, 3]) {
    fake.on(`node${n}`, {
      replies: [ok(withStateFile(emptyNodeStdout(n), 'missing\n')), ok('@@podnet state-file-failed\n', 'mv: cannot move: Read-only file system')],
    });
  }
  const results = await apply(fake);
  for (const r of results) {
    assert.equal(r.status, 'failed');
    assert.ok(r.changed > 0);
    assert.match(r.error ?? '', /state file \/var\/lib\/podnet\/state\.json could not be written \(mv: cannot move: Read-only file system\)/);
  }
});

test("apply --confirm: the rollback puts the old record back, or removes the new one when there was none", async () => {
  const fake = new FakeTransport();
  fake.on('node1', { replies: [ok(withStateFile(emptyNodeStdout(1), present(currentRecordOf(1)))), ok('@@podnet failed-group 0\n')] });
  fake.on('node2', { replies: [ok(withStateFile(emptyNodeStdout(2), 'missing\n')), ok('@@podnet failed-group 0\n')] });
  fake.on('node3', { replies: [ok(withStateFile(emptyNodeStdout(3), 'missing\n')), ok('@@podnet failed-group 0\n')] });
  await apply(fake, { confirm: { seconds: 60, nodes: new Set(['node1', 'node2']) } });
  const armOf = (node: string): string => fake.commandsTo(node)[1]!;
  // node1 had a record: it is copied aside before the steps, and copied back by the rollback.
  assert.match(armOf('node1'), /cp -p \/var\/lib\/podnet\/state\.json \/run\/podnet\/apply\/rollback\/\w+\/files\/0 \|\| exit 1/);
  assert.match(armOf('node1'), /cp -p \/run\/podnet\/apply\/rollback\/\w+\/files\/0 \/var\/lib\/podnet\/state\.json/);
  // node2 had none: the rollback removes the new one.
  assert.doesNotMatch(armOf('node2'), /cp -p \/var\/lib\/podnet\/state\.json/);
  assert.match(armOf('node2'), /rm -f \/var\/lib\/podnet\/state\.json/);
});

test('diff --fail-on-drift: 3 on drift, 0 when only cluster.yaml asks for changes, 1 on errors first', () => {
  const plan = (drift: number | undefined, extra: Partial<Plan['summary']> = {}): Plan => ({
    formatVersion: 2,
    cluster: 'c',
    nodes: [],
    summary: { add: 2, change: 1, destroy: 0, conflicts: 0, refused: 0, ...(drift !== undefined ? { drift } : {}), ...extra },
  });
  assert.equal(planExitCode(plan(1), 0, true), 3);
  assert.equal(planExitCode(plan(0), 0, true), 0);
  assert.equal(planExitCode(plan(undefined), 0, true), 0);
  assert.equal(planExitCode(plan(1), 1, true), 1);
  assert.equal(planExitCode(plan(1, { conflicts: 1 }), 0, true), 1);
  // Without it: the exit codes of diff, drift or not.
  assert.equal(planExitCode(plan(1), 0), 2);
  assert.equal(planExitCode(plan(0), 0), 2);
});
