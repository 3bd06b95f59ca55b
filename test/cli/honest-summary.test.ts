// Honest summaries: the plan line says when nodes were not reached (and never reads as "nothing to
// do"), and plan, progress, recap and JSON count the same objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPlanCommand, type PlanCommandOptions } from '../../src/cli/plan-command.js';
import { runDestroy } from '../../src/cli/destroy-command.js';
import { readCluster } from '../../src/cli/read-cluster.js';
import { desiredObjectKeys } from '../../src/plan/converged.js';
import { buildClusterState } from '../../src/plan/node-state.js';
import { parseGatherOutput } from '../../src/scripts/gather-script.js';
import { managedFilePaths } from '../../src/state/node-files.js';
import { SshError } from '../../src/run/ssh/errors.js';
import { FakeTransport, ok } from '../support/fake-transport.js';
import { convergedNodeStdout, desiredFilesOn, emptyNodeStdout, gatherStdout } from '../support/gather-output.js';
import { captureBoth } from '../support/capture.js';

const FILE = 'examples/seed-3-nodes/cluster.yaml';
const text: PlanCommandOptions = { forks: 10, output: 'text', verbose: false, acceptNewHosts: false, confirm: false };
const json: PlanCommandOptions = { ...text, output: 'json' };

const refused = (n: number): SshError => new SshError('refused', `node${n}`, `node${n}: connection refused`);

test('every node unreachable: diff says the plan is incomplete, not that there is nothing to do; exit 1', async () => {
  const fake = (): FakeTransport => new FakeTransport({ node1: { connectError: refused(1) }, node2: { connectError: refused(2) }, node3: { connectError: refused(3) } });
  const diff = await captureBoth(() => runPlanCommand(FILE, text, 'diff', fake()));
  assert.equal(diff.code, 1);
  assert.match(diff.stdout, /^Plan incomplete: 3 of 3 nodes not reached\. Nothing could be planned\.$/m);
  assert.doesNotMatch(diff.stdout, /Plan: 0 to add/);
  assert.match(diff.stdout, /^node2: UNREACHABLE: node2: connection refused$/m);

  const asJson = await captureBoth(() => runPlanCommand(FILE, json, 'diff', fake()));
  assert.equal(asJson.code, 1);
  const report = JSON.parse(asJson.stdout) as { plan: { summary: Record<string, unknown> } };
  assert.deepEqual(report.plan.summary.incomplete, { notReached: 3, nodes: 3 });

  const apply = await captureBoth(() => runPlanCommand(FILE, text, 'apply', fake()));
  assert.equal(apply.code, 1, 'apply with every node unreachable fails');
  assert.match(apply.stdout, /^Plan incomplete: 3 of 3 nodes not reached\. Nothing could be planned\.$/m);
  assert.equal((apply.stdout.match(/unreachable=1 {2}unreachable$/gm) ?? []).length, 3);

  const destroy = await captureBoth(() => runDestroy(FILE, text, fake()));
  assert.equal(destroy.code, 1);
  assert.match(destroy.stdout, /^Plan incomplete: 3 of 3 nodes not reached\. Nothing could be planned\.$/m);
});

test('one node unreachable: the counts cover the nodes reached, and the line says so; JSON too', async () => {
  const fake = new FakeTransport({ node1: { replies: [ok(emptyNodeStdout(1))] }, node2: { connectError: refused(2) }, node3: { replies: [ok(emptyNodeStdout(3))] } });
  const diff = await captureBoth(() => runPlanCommand(FILE, text, 'diff', fake));
  assert.equal(diff.code, 1);
  assert.match(diff.stdout, /^Plan incomplete: 1 of 3 nodes not reached\.\s+On\s+the\s+2\s+reached:\s+\d+\s+to\s+add,\s+\d+\s+to\s+change,\s+0\s+to\s+destroy\./m);
  const fresh = new FakeTransport({ node1: { replies: [ok(emptyNodeStdout(1))] }, node2: { connectError: refused(2) }, node3: { replies: [ok(emptyNodeStdout(3))] } });
  const asJson = await captureBoth(() => runPlanCommand(FILE, json, 'diff', fresh));
  const report = JSON.parse(asJson.stdout) as { plan: { summary: Record<string, unknown> } };
  assert.deepEqual(report.plan.summary.incomplete, { notReached: 1, nodes: 3 });
});

test("diff: a long reason a node was not reached wraps at 80 columns, indented under the node's name", async () => {
  const long = 'node2: connect timed out after 10 s (no answer from 192.168.1.12:22); is the address right, and is sshd running there?';
  const fake = new FakeTransport({ node1: { replies: [ok(emptyNodeStdout(1))] }, node2: { connectError: new SshError('timeout', 'node2', long) }, node3: { replies: [ok(emptyNodeStdout(3))] } });
  const diff = await captureBoth(() => runPlanCommand(FILE, text, 'diff', fake));
  assert.deepEqual(diff.stdout.split('\n').filter((line) => line.length > 80), []);
  assert.match(diff.stdout, /^node2: UNREACHABLE: node2: connect timed out after 10 s \(no answer from\n {2}192\.168\.1\.12:22\); is the address right, and is sshd running there\?$/m);
});

test('every node reached: no incomplete mark anywhere', async () => {
  const fake = new FakeTransport();
  for (const n of [1, 2, 3]) fake.on(`node${n}`, { replies: [ok(emptyNodeStdout(n))] });
  const asJson = await captureBoth(() => runPlanCommand(FILE, json, 'diff', fake));
  const report = JSON.parse(asJson.stdout) as { plan: { summary: Record<string, unknown> } };
  assert.equal(report.plan.summary.incomplete, undefined);
});

/** One fixture: node1 drifted (adds, changes and destroys, some objects already right), node2 converged, node3 empty. */
function drifted(): FakeTransport {
  const cluster = readCluster(FILE);
  const fake = new FakeTransport();
  const before = [
    gatherStdout({ ipCase: 'drifted', address: '192.168.1.11', iptables: 'forward-converged', files: desiredFilesOn(cluster, 'node1') }),
    convergedNodeStdout(cluster, 2),
    emptyNodeStdout(3),
  ];
  for (const n of [1, 2, 3]) fake.on(`node${n}`, { replies: [ok(before[n - 1] ?? ''), ok(convergedNodeStdout(cluster, n))] });
  return fake;
}

interface Counts {
  add: number;
  change: number;
  destroy: number;
}

test('plan, progress, recap and JSON count the same objects (one fixture, four renderings)', async () => {
  const cluster = readCluster(FILE);
  const applied = await captureBoth(() => runPlanCommand(FILE, text, 'apply', drifted()));
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  const asJson = await captureBoth(() => runPlanCommand(FILE, json, 'apply', drifted()));
  const report = JSON.parse(asJson.stdout) as {
    plan: { summary: Counts; nodes: { node: string; changes: { action: string }[] }[] };
    results: { node: string; changed: number; ok: number }[];
  };

  // 1. JSON: the plan's summary, and per node its changes.
  const summary = report.plan.summary;
  const perNode = new Map(report.plan.nodes.map((n) => [n.node, n.changes.length]));
  assert.ok(summary.add > 0 && summary.change > 0 && summary.destroy > 0, `the fixture has every action: ${JSON.stringify(summary)}`);

  // 2. The plan line.
  const line = /^Plan: (\d+) to add, (\d+) to change, (\d+) to destroy\.$/m.exec(applied.stdout);
  assert.ok(line, applied.stdout);
  assert.deepEqual({ add: Number(line[1]), change: Number(line[2]), destroy: Number(line[3]) }, { add: summary.add, change: summary.change, destroy: summary.destroy });

  // 3. Progress (stderr, plain lines off a terminal): the planned counts per node add up to the summary.
  const planned = [...applied.stderr.matchAll(/^(node\d): (\d+) to add, (\d+) to change, (\d+) to destroy$/gm)];
  const sum = planned.reduce((acc, m) => ({ add: acc.add + Number(m[2]), change: acc.change + Number(m[3]), destroy: acc.destroy + Number(m[4]) }), { add: 0, change: 0, destroy: 0 });
  assert.deepEqual(sum, { add: summary.add, change: summary.change, destroy: summary.destroy }, applied.stderr);
  assert.match(applied.stderr, /^node2: in sync$/m);

  // 4. The recap (text) and the JSON results: changed is the node's number of changes; ok the desired objects left alone.
  const recap = new Map([...applied.stdout.matchAll(/^(node\d) +: ok=(\d+) +changed=(\d+) /gm)].map((m) => [m[1], { ok: Number(m[2]), changed: Number(m[3]) }]));
  const filePaths = managedFilePaths(cluster);
  const before = drifted();
  const observed = new Map(
    await Promise.all(
      cluster.nodes.map(async (node) => {
        const out = (await (await before.connect(node)).exec('gather')).stdout;
        return [node.name, parseGatherOutput(out, node.name, node.address, filePaths)] as const;
      }),
    ),
  );
  const state = buildClusterState(cluster, observed);
  for (const result of report.results) {
    assert.equal(result.changed, perNode.get(result.node), `${result.node}: changed = its changes in the plan`);
    assert.deepEqual(recap.get(result.node), { ok: result.ok, changed: result.changed }, `${result.node}: the recap says what the JSON says`);
    const nodeState = state.states.find((s) => s.host.name === result.node);
    assert.ok(nodeState?.desired !== undefined);
    const touched = nodeState.plan.changes.filter((c) => c.action !== 'delete').length;
    assert.equal(result.ok, desiredObjectKeys(nodeState.desired).length - touched, `${result.node}: ok = desired objects the plan leaves alone`);
    // The progress line at the end says the same.
    assert.match(applied.stderr, new RegExp(`^${result.node}: converged: changed=${result.changed} ok=${result.ok}$`, 'm'));
  }
  assert.equal(report.results.reduce((n, r) => n + r.changed, 0), summary.add + summary.change + summary.destroy);
});
