// Issue 11 items 2 and 3 through the CLI over a fake transport: routes wait for hosts that did not
// answer (exit 1, the recap says why), --limit still asks the other hosts whether they answer, and
// destroy --limit takes the peers' routes to the destroyed node with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPlanCommand, type PlanCommandOptions } from '../../src/cli/plan-command.js';
import { runDestroy } from '../../src/cli/destroy-command.js';
import { readCluster } from '../../src/cli/read-cluster.js';
import type { Plan } from '../../src/model/plan.js';
import { SshError } from '../../src/run/ssh/errors.js';
import { FakeTransport, ok } from '../support/fake-transport.js';
import { convergedNodeStdout, emptyNodeStdout } from '../support/gather-output.js';
import { captureJson } from '../support/capture.js';

const FILE = 'examples/seed-3-nodes/cluster.yaml';
const options: PlanCommandOptions = { forks: 10, output: 'json', verbose: false, acceptNewHosts: false, confirm: false };

const refused = (node: string): { connectError: SshError } => ({ connectError: new SshError('refused', node, `${node}: connection refused`) });

test('diff --limit node1: node2 is still asked; it does not answer, so node1 waits for it and diff exits 1', async () => {
  const fake = new FakeTransport({ node1: { replies: [ok(emptyNodeStdout(1))] }, node2: refused('node2'), node3: { replies: [ok(emptyNodeStdout(3))] } });
  const { code, report } = await captureJson(() => runPlanCommand(FILE, { ...options, limit: ['node1'] }, 'diff', fake));
  assert.equal(code, 1);
  const plan = report.plan as Plan;
  assert.deepEqual(plan.nodes.map((n) => n.node), ['node1']);
  assert.deepEqual(plan.nodes[0]?.waiting?.map((w) => `${w.key} ${w.peer}`), ['10.244.2.0/24 node2']);
  assert.ok(plan.nodes[0]?.changes.some((c) => c.kind === 'route' && c.key === '10.244.3.0/24'), 'the route to node3, which answered, is planned');
  assert.deepEqual(report.unreachable, { node2: 'node2: connection refused' });
  assert.deepEqual(report.execs, { node1: 1, node3: 1 });
});

test('apply with node2 unreachable: node1 and node3 converge, their recap says what waits for node2, exit 1', async () => {
  const cluster = readCluster(FILE);
  const fake = new FakeTransport({ node2: refused('node2') });
  for (const n of [1, 3]) fake.on(`node${n}`, { replies: [ok(emptyNodeStdout(n)), ok(convergedNodeStdout(cluster, n))] });
  const { code, report } = await captureJson(() => runPlanCommand(FILE, options, 'apply', fake));
  assert.equal(code, 1);
  const results = report.results as { node: string; status: string; waiting?: { key: string; peer: string }[] }[];
  assert.deepEqual(results.map((r) => [r.node, r.status, (r.waiting ?? []).map((w) => `${w.key} ${w.peer}`)]), [
    ['node1', 'converged', ['10.244.2.0/24 node2']],
    ['node2', 'unreachable', []],
    ['node3', 'converged', ['10.244.2.0/24 node2']],
  ]);
  // nothing was set towards node2
  const applied = fake.commandsTo('node1')[1] ?? '';
  assert.doesNotMatch(applied, /10\.244\.2\.0\/24/);
  assert.match(applied, /route replace 10\.244\.3\.0\/24 via 192\.168\.1\.13/);
});

test('destroy --limit node3: node1 and node2 are gathered and lose only their routes to node3', async () => {
  const cluster = readCluster(FILE);
  const fake = new FakeTransport();
  for (const n of [1, 2, 3]) fake.on(`node${n}`, { replies: [ok(convergedNodeStdout(cluster, n)), ok(emptyNodeStdout(n))] });
  const { report } = await captureJson(() => runDestroy(FILE, { ...options, limit: ['node3'] }, fake));
  const plan = report.plan as Plan;
  assert.deepEqual(plan.nodes.map((n) => n.node), ['node3', 'node1', 'node2']);
  for (const peer of plan.nodes.slice(1)) assert.deepEqual(peer.changes.map((c) => `${c.action} ${c.kind} ${c.key}`), ['delete route 10.244.3.0/24'], peer.node);
  assert.match(fake.commandsTo('node1')[1] ?? '', /route del 10\.244\.3\.0\/24 via 192\.168\.1\.13 proto 201/);
});

test('apply --limit node1 with node2 silent: node1 converges, yet the run exits 1 because a route waits', async () => {
  const cluster = readCluster(FILE);
  const fake = new FakeTransport({
    node1: { replies: [ok(emptyNodeStdout(1)), ok(convergedNodeStdout(cluster, 1))] },
    node2: refused('node2'),
    node3: { replies: [ok(emptyNodeStdout(3))] },
  });
  const { code, report } = await captureJson(() => runPlanCommand(FILE, { ...options, limit: ['node1'] }, 'apply', fake));
  const results = report.results as { node: string; status: string }[];
  assert.deepEqual(results.map((r) => [r.node, r.status]), [['node1', 'converged']]);
  assert.equal(code, 1);
});
