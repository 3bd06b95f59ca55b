// Ctrl-C during apply and destroy (fake transport, SIGINT from an emitter of the test's own): no node
// is started after it, the node in flight finishes (or, past the bound or at a second Ctrl-C, is
// reported unknown), the recap says per node what became of it, and the exit code is 130.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { runPlanCommand, type PlanCommandOptions } from '../../src/cli/plan-command.js';
import { runDestroy } from '../../src/cli/destroy-command.js';
import { readCluster } from '../../src/cli/read-cluster.js';
import { FakeTransport, ok, type FakeReply } from '../support/fake-transport.js';
import { convergedNodeStdout, emptyNodeStdout } from '../support/gather-output.js';
import { captureBoth } from '../support/capture.js';

const FILE = 'examples/seed-3-nodes/cluster.yaml';
const text: PlanCommandOptions = { forks: 1, output: 'text', verbose: false, acceptNewHosts: false, confirm: false };

interface Scripted {
  fake: FakeTransport;
  signals: EventEmitter;
}

/**
 * Three empty nodes applied one at a time (forks 1). `onApply(signals)` runs when node1's apply
 * command is sent, and the apply answers after `applyMs`.
 */
function scripted(applyMs: number, onApply: (signals: EventEmitter) => void, before = emptyNodeStdout, after = (n: number) => convergedNodeStdout(readCluster(FILE), n)): Scripted {
  const signals = new EventEmitter();
  const fake = new FakeTransport();
  for (const n of [1, 2, 3]) {
    fake.on(`node${n}`, {
      replies: (_command, index): FakeReply => {
        if (index === 0) return ok(before(n));
        if (n === 1 && index === 1) {
          onApply(signals);
          return { delayMs: applyMs, ...ok(after(n)) };
        }
        return ok(after(n));
      },
    });
  }
  return { fake, signals };
}

test('Ctrl-C during apply: the node in flight finishes, the others are not started, the recap says so, exit 130', async () => {
  const { fake, signals } = scripted(300, (s) => s.emit('SIGINT'));
  const run = await captureBoth(() => runPlanCommand(FILE, text, 'apply', fake, signals));
  assert.equal(run.code, 130, run.stdout + run.stderr);
  assert.match(run.stdout, /^node1 : ok=0 +changed=11 +failed=0 +unreachable=0 {2}converged$/m);
  assert.match(run.stdout, /^node2 : ok=0 +changed=0 +failed=0 +unreachable=0 {2}not started$/m);
  assert.match(run.stdout, /^node3 : ok=0 +changed=0 +failed=0 +unreachable=0 {2}not started$/m);
  assert.match(run.stdout, /^ {8}interrupted before podnet began on it: nothing changed$/m);
  assert.match(run.stdout, /^Interrupted \(Ctrl-C\): 1 done, 2 not started, 0 unknown\.$/m);
  assert.match(run.stderr, /interrupted: no further node is started; waiting up to 120 s for the nodes in flight \(\^C again to stop waiting\)/);
  // Nothing was sent to node2 and node3 after their gather.
  assert.equal(fake.commandsTo('node2').length, 1);
  assert.equal(fake.commandsTo('node3').length, 1);
  assert.equal(signals.listenerCount('SIGINT'), 0, 'the handler is removed when the run ends');
});

test('Ctrl-C during apply, -o json: the results carry not-started, the report says interrupted', async () => {
  const { fake, signals } = scripted(100, (s) => s.emit('SIGINT'));
  const run = await captureBoth(() => runPlanCommand(FILE, { ...text, output: 'json' }, 'apply', fake, signals));
  assert.equal(run.code, 130);
  const report = JSON.parse(run.stdout) as { interrupted?: boolean; results: { node: string; status: string }[] };
  assert.equal(report.interrupted, true);
  assert.deepEqual(report.results.map((r) => r.status), ['converged', 'not-started', 'not-started']);
});

test('after Ctrl-C a node with nothing to do is still reported converged (no exec), not as not started', async () => {
  const cluster = readCluster(FILE);
  const { fake, signals } = scripted(100, (s) => s.emit('SIGINT'), (n) => (n === 3 ? convergedNodeStdout(cluster, 3) : emptyNodeStdout(n)));
  const run = await captureBoth(() => runPlanCommand(FILE, text, 'apply', fake, signals));
  assert.equal(run.code, 130);
  assert.match(run.stdout, /^node2 : .* {2}not started$/m);
  assert.match(run.stdout, /^node3 : ok=11 +changed=0 +failed=0 +unreachable=0 {2}converged$/m);
  assert.equal(fake.commandsTo('node3').length, 1, 'only its gather');
  assert.match(run.stdout, /^Interrupted \(Ctrl-C\): 2 done, 1 not started, 0 unknown\.$/m);
});

test('a node in flight that does not finish within the bound is reported unknown', async () => {
  const { fake, signals } = scripted(2000, (s) => s.emit('SIGINT'));
  const started = Date.now();
  const run = await captureBoth(() => runPlanCommand(FILE, { ...text, execTimeout: 0.2 }, 'apply', fake, signals));
  const took = Date.now() - started;
  assert.equal(run.code, 130);
  assert.ok(took < 1500, `podnet waited ${took} ms, the bound is 200 ms`);
  assert.match(run.stdout, /^node1 : ok=\d+ +changed=0 +failed=0 +unreachable=0 {2}unknown$/m);
  assert.match(run.stdout, /interrupted while podnet was applying: its changes may be partly made;\n {10}run podnet diff to see/);
  assert.match(run.stdout, /^Interrupted \(Ctrl-C\): 0 done, 2 not started, 1 unknown\. Run podnet diff to see\nwhere the unknown nodes stand\.$/m);
});

test('a second Ctrl-C stops waiting at once', async () => {
  const { fake, signals } = scripted(2000, (s) => {
    s.emit('SIGINT');
    setTimeout(() => s.emit('SIGINT'), 50);
  });
  const started = Date.now();
  const run = await captureBoth(() => runPlanCommand(FILE, text, 'apply', fake, signals));
  assert.equal(run.code, 130);
  assert.ok(Date.now() - started < 1500, 'it did not wait for the node in flight');
  assert.match(run.stderr, /interrupted again: not waiting for the nodes in flight/);
  assert.match(run.stdout, /^node1 .* {2}unknown$/m);
});

test('Ctrl-C while gathering: nothing is applied anywhere, every node not started, exit 130', async () => {
  const signals = new EventEmitter();
  const fake = new FakeTransport();
  for (const n of [1, 2, 3]) {
    fake.on(`node${n}`, {
      replies: (_command, index): FakeReply => {
        if (n === 1 && index === 0) signals.emit('SIGINT');
        return { delayMs: 50, ...ok(emptyNodeStdout(n)) };
      },
    });
  }
  const run = await captureBoth(() => runPlanCommand(FILE, text, 'apply', fake, signals));
  assert.equal(run.code, 130);
  assert.deepEqual(fake.sent.map((s) => s.host), ['node1'], 'only the gather in flight ran');
  assert.doesNotMatch(run.stdout, /^Plan/m);
  assert.equal((run.stdout.match(/ {2}not started$/gm) ?? []).length, 3);
});

test('Ctrl-C during destroy: the same — the node in flight finishes, the rest are not started, exit 130', async () => {
  const cluster = readCluster(FILE);
  const { fake, signals } = scripted(200, (s) => s.emit('SIGINT'), (n) => convergedNodeStdout(cluster, n), emptyNodeStdout);
  const run = await captureBoth(() => runDestroy(FILE, text, fake, signals));
  assert.equal(run.code, 130, run.stdout);
  assert.match(run.stdout, /^node1 : .* {2}converged$/m);
  assert.equal((run.stdout.match(/ {2}not started$/gm) ?? []).length, 2);
  assert.equal(fake.commandsTo('node3').length, 1);
});

test('without Ctrl-C nothing changes: exit 0, no interrupted mark', async () => {
  const { fake, signals } = scripted(10, () => undefined);
  const run = await captureBoth(() => runPlanCommand(FILE, text, 'apply', fake, signals));
  assert.equal(run.code, 0);
  assert.doesNotMatch(run.stdout, /Interrupted/);
});
