// diff and apply as the CLI runs them, over a fake transport: the JSON document and exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPlanCommand, type PlanCommandOptions } from '../../src/cli/plan-command.js';
import { readCluster } from '../../src/cli/read-cluster.js';
import { SshError } from '../../src/run/ssh/errors.js';
import { FakeTransport, ok } from '../support/fake-transport.js';
import { convergedNodeStdout, emptyNodeStdout } from '../support/gather-output.js';

const FILE = 'examples/seed-3-nodes/cluster.yaml';
const options: PlanCommandOptions = { forks: 10, output: 'json', verbose: false, acceptNewHosts: false };

/**
 * Runs the command with the text it writes to stdout captured (progress is off for JSON). The test
 * runner reports on the same stream in binary chunks while the command awaits: those pass through.
 */
async function capture(run: () => Promise<number>): Promise<{ code: number; report: Record<string, unknown> }> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) =>
    typeof chunk === 'string' ? chunks.push(chunk) > 0 : write(chunk, ...rest)) as typeof process.stdout.write;
  try {
    const code = await run();
    return { code, report: JSON.parse(chunks.join('')) as Record<string, unknown> };
  } finally {
    process.stdout.write = write;
  }
}

test('diff -o json: an unreachable node, a node whose gather failed and a bug are reported apart; exit 1', async () => {
  const fake = new FakeTransport({
    node1: { connectError: new SshError('refused', 'node1', 'node1: connection refused') },
    node2: { replies: [ok('half an output\n')] },
    node3: { replies: [{ throws: new TypeError('undefined is not iterable') }] },
  });
  const { code, report } = await capture(() => runPlanCommand(FILE, options, 'diff', fake));
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
  const applied = await capture(() => runPlanCommand(FILE, options, 'apply', fake));
  assert.equal(applied.code, 0);
  assert.deepEqual(applied.report.execs, { node1: 2, node2: 2, node3: 2 });

  const broken = new FakeTransport();
  for (const n of [1, 2]) broken.on(`node${n}`, { replies: [ok(emptyNodeStdout(n)), ok(convergedNodeStdout(cluster, n))] });
  broken.on('node3', { replies: [ok(emptyNodeStdout(3)), { throws: new RangeError('Invalid array length') }] });
  const failed = await capture(() => runPlanCommand(FILE, options, 'apply', broken));
  assert.equal(failed.code, 1);
  const results = failed.report.results as { node: string; status: string; error?: string }[];
  assert.deepEqual(results.map((r) => r.status), ['converged', 'converged', 'error']);
  assert.equal(results[2]?.error, 'Invalid array length');
});
