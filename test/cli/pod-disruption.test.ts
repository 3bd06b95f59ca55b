// diff, apply and destroy with running pods, as the CLI runs them over a fake transport whose node2
// answers with the real gather of a lab node with pods (test/fixtures/gather): the gather asks for
// the pods in its one exec, the plan lists them, and apply/destroy refuse unless
// --allow-pod-disruption — also when applying a saved plan.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlanCommand, type PlanCommandOptions } from '../../src/cli/plan-command.js';
import { runDestroy } from '../../src/cli/destroy-command.js';
import { UserError } from '../../src/model/errors.js';
import { FakeTransport, ok } from '../support/fake-transport.js';
import { convergedNodeStdout, desiredFilesOn, emptyNodeStdout } from '../support/gather-output.js';
import { gatherFixture, gatherFixtureCluster } from '../support/gather-fixtures.js';
import { captureBoth } from '../support/capture.js';

const MOVED = 'test/fixtures/gather/cluster-moved.yaml';
const ORIGINAL = 'test/fixtures/gather/cluster.yaml';
const moved = gatherFixtureCluster('cluster-moved');
const options: PlanCommandOptions = { forks: 10, output: 'json', verbose: false, acceptNewHosts: false, confirm: false };
const dir = mkdtempSync(join(tmpdir(), 'podnet-pods-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** node1 and node3 converged as before the move; node2 with its pods, then (if applied) as the apply left it. */
function lab(): FakeTransport {
  const fake = new FakeTransport();
  for (const n of [1, 3]) fake.on(`node${n}`, { replies: [ok(convergedNodeStdout(moved, n))] });
  fake.on('node2', { replies: [ok(gatherFixture('node2-pods')), ok(gatherFixture('node2-stranded', desiredFilesOn(moved, 'node2')))] });
  return fake;
}

const refusal = (pattern: RegExp) => (err: unknown): boolean => {
  assert.ok(err instanceof UserError, String(err));
  assert.equal(err.exitCode, 1);
  assert.match(err.message, pattern);
  return true;
};

test('diff gathers the pods in its one exec per node and lists those the move strands; exit 2 (changes pending)', async () => {
  const fake = lab();
  const { code, stdout } = await captureBoth(() => runPlanCommand(MOVED, options, 'diff', fake));
  assert.equal(code, 2);
  const report = JSON.parse(stdout) as { plan: { summary: { disruptedPods?: number }; nodes: { node: string; disruptedPods?: { pod: string }[] }[] }; execs: Record<string, number> };
  assert.deepEqual(report.execs, { node1: 1, node2: 1, node3: 1 });
  for (const node of ['node1', 'node2', 'node3']) assert.match(fake.commandsTo(node)[0] ?? '', /'@@podnet pods'/, `${node}: the gather has the pods section`);
  assert.equal(report.plan.summary.disruptedPods, 3);
  assert.deepEqual(report.plan.nodes.find((n) => n.node === 'node2')?.disruptedPods?.map((d) => d.pod).slice(1), ['p2', 'p3']);
});

test('apply refuses a plan that strands pods, naming them and both ways out; no node gets more than its gather', async () => {
  const fake = lab();
  await assert.rejects(
    captureBoth(() => runPlanCommand(MOVED, options, 'apply', fake)),
    refusal(/^refusing to apply: the plan leaves 3 running pods without a network:\n[^]*node2: pod p2 \(10\.244\.2\.2\)[^]*podnet pod del test\/fixtures\/gather\/cluster-moved\.yaml node2 p2\n[^]*--allow-pod-disruption/),
  );
  assert.deepEqual(Object.fromEntries(await fake.execCounts()), { node1: 1, node2: 1, node3: 1 });
  assert.equal(fake.closed, 1);
});

test('apply --allow-pod-disruption applies the move and converges', async () => {
  const fake = lab();
  const { code, stdout } = await captureBoth(() => runPlanCommand(MOVED, { ...options, limit: ['node2'], allowPodDisruption: true }, 'apply', fake));
  assert.equal(code, 0, stdout);
  const [, applied] = fake.commandsTo('node2');
  assert.match(applied ?? '', /address add 10\.244\.20\.1\/24 dev v-net-0/);
  assert.deepEqual((JSON.parse(stdout) as { results: { status: string }[] }).results.map((r) => r.status), ['converged']);
});

test('a saved plan that strands pods is refused by apply --plan without the flag, and applied with it', async () => {
  const out = join(dir, 'plan.json');
  const diff = await captureBoth(() => runPlanCommand(MOVED, { ...options, limit: ['node2'], out }, 'diff', lab()));
  assert.equal(diff.code, 2);
  assert.match(readFileSync(out, 'utf8'), /"disruptedPods": \[/);

  const refused = lab();
  await assert.rejects(captureBoth(() => runPlanCommand(MOVED, { ...options, limit: ['node2'], plan: out }, 'apply', refused)), refusal(/refusing to apply[^]*pod p3/));
  assert.equal(refused.commandsTo('node2').length, 1, 'nothing was applied');

  const allowed = lab();
  const applied = await captureBoth(() => runPlanCommand(MOVED, { ...options, limit: ['node2'], plan: out, allowPodDisruption: true }, 'apply', allowed));
  assert.equal(applied.code, 0, applied.stdout);
  assert.equal(allowed.commandsTo('node2').length, 2);
});

test('destroy refuses while pods run, and deletes them with --allow-pod-disruption', async () => {
  // destroy --limit node2 also gathers its peers (their routes to node2 go with it): empty here.
  const peers = () => ({ node1: { replies: [ok(emptyNodeStdout(1))] }, node3: { replies: [ok(emptyNodeStdout(3))] } });
  const refused = new FakeTransport({ ...peers(), node2: { replies: [ok(gatherFixture('node2-pods'))] } });
  const destroyOptions: PlanCommandOptions = { ...options, limit: ['node2'] };
  await assert.rejects(captureBoth(() => runDestroy(ORIGINAL, destroyOptions, refused)), refusal(/^refusing to destroy: the plan deletes or cuts off 3 running pods:[^]*destroy deletes its bridge v-net-0/));
  assert.equal(refused.commandsTo('node2').length, 1);

  const allowed = new FakeTransport({ ...peers(), node2: { replies: [ok(gatherFixture('node2-pods')), ok(emptyNodeStdout(2))] } });
  const { code, stdout } = await captureBoth(() => runDestroy(ORIGINAL, { ...destroyOptions, allowPodDisruption: true }, allowed));
  assert.equal(code, 0, stdout);
  assert.match(allowed.commandsTo('node2')[1] ?? '', /CNI_COMMAND="\$1"/, 'the pods are deleted through the plugin');
});

/** node2's captured gather without its pods section (no pods seen). */
function withoutPods(stdout: string): string {
  const lines = stdout.split('\n');
  const from = lines.indexOf('@@podnet pods');
  const to = lines.indexOf('@@podnet files');
  assert.ok(from > 0 && to > from);
  return [...lines.slice(0, from), ...lines.slice(to)].join('\n');
}

test('a node planned again after waiting for its lock is refused when pods started meanwhile; allowed with the flag', async () => {
  const script = (): FakeTransport =>
    new FakeTransport({
      node2: { replies: [ok(withoutPods(gatherFixture('node2-pods'))), ok('@@podnet lock-waited\n'), ok(gatherFixture('node2-pods')), ok(gatherFixture('node2-stranded', desiredFilesOn(moved, 'node2')))] },
    });
  const waitOptions: PlanCommandOptions = { ...options, limit: ['node2'], lockTimeout: 30 };
  const refused = script();
  const first = await captureBoth(() => runPlanCommand(MOVED, waitOptions, 'apply', refused));
  assert.equal(first.code, 1);
  const result = (JSON.parse(first.stdout) as { results: { status: string; error?: string }[] }).results[0];
  assert.equal(result?.status, 'failed');
  assert.match(result?.error ?? '', /^refused: planned again after waiting for the lock, the node's plan leaves running pods without a network \(container 3f2a9c1b7d4e… \(10\.244\.2\.6\)[^]*pod p2 \(10\.244\.2\.2\)[^]*nothing was applied — drain them, or pass --allow-pod-disruption$/);
  assert.equal(refused.commandsTo('node2').length, 3, 'gather, the apply that waited, the gather after it: no second apply');

  const allowed = script();
  const second = await captureBoth(() => runPlanCommand(MOVED, { ...waitOptions, allowPodDisruption: true }, 'apply', allowed));
  assert.equal(second.code, 0, second.stdout);
  assert.equal(allowed.commandsTo('node2').length, 4);
});
