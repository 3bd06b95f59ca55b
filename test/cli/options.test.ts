// Options that do what they say: which command takes which option (parsed by commander as the
// CLI does), and destroy --check over a fake transport.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { registerCommands } from '../../src/cli/commands/index.js';
import { runDestroy } from '../../src/cli/destroy-command.js';
import { renderLabStatusJson } from '../../src/cli/lab-command.js';
import type { PlanCommandOptions } from '../../src/cli/plan-command.js';
import { readCluster } from '../../src/cli/read-cluster.js';
import { FakeTransport, ok } from '../support/fake-transport.js';
import { convergedNodeStdout, emptyNodeStdout } from '../support/gather-output.js';
import { captureJson } from '../support/capture.js';

function program(): Command {
  const p = new Command('podnet').exitOverride();
  registerCommands(p);
  for (const c of p.commands) {
    c.exitOverride();
    c.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    for (const sub of c.commands) sub.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  }
  return p;
}

function longOptions(path: string[]): string[] {
  let command: Command | undefined = program();
  for (const name of path) command = command?.commands.find((c) => c.name() === name);
  assert.ok(command !== undefined, path.join(' '));
  return command.options.map((o) => o.long ?? '');
}

/** Parses argv as `podnet …` does, with the action replaced: returns the error code commander gave, or 'parsed'. */
async function parseError(argv: string[]): Promise<string> {
  const p = program();
  for (const c of p.commands) c.action(() => undefined);
  try {
    await p.parseAsync(argv, { from: 'user' });
    return 'parsed';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

test('--out (save the plan for apply --plan) is on diff and apply only; destroy and verify refuse it', async () => {
  assert.ok(longOptions(['diff']).includes('--out'));
  assert.ok(longOptions(['apply']).includes('--out'));
  assert.ok(!longOptions(['destroy']).includes('--out'));
  assert.ok(!longOptions(['verify']).includes('--out'));
  assert.equal(await parseError(['destroy', 'c.yaml', '--out', 'p.json']), 'commander.unknownOption');
  assert.equal(await parseError(['verify', 'c.yaml', '--out', 'p.json']), 'commander.unknownOption');
  assert.equal(await parseError(['diff', 'c.yaml', '--out', 'p.json']), 'parsed');
});

test('destroy takes --check, as apply does; both document the exit codes of diff in --help', () => {
  assert.ok(longOptions(['destroy']).includes('--check'));
  for (const name of ['diff', 'apply', 'destroy']) {
    const command = program().commands.find((c) => c.name() === name);
    let help = '';
    command?.configureOutput({ writeOut: (s) => (help += s) });
    command?.outputHelp();
    assert.match(help, /0 in sync \(nothing to do\),\s+2\s+changes\s+pending,\s+1\s+error/, name); // --help is wrapped to 80 columns
  }
});

test('validate and lab status take -o/--output text|json like the other commands', async () => {
  assert.ok(longOptions(['validate']).includes('--output'));
  assert.ok(longOptions(['lab', 'status']).includes('--output'));
  assert.equal(await parseError(['validate', 'c.yaml', '-o', 'yaml']), 'commander.invalidArgument');
  const doc = JSON.parse(renderLabStatusJson([])) as Record<string, unknown>;
  assert.deepEqual(Object.keys(doc), ['formatVersion', 'labs'], 'one document with formatVersion, as plan and verify JSON');
  assert.equal(doc.formatVersion, 1);
});

const FILE = 'examples/seed-3-nodes/cluster.yaml';
const options: PlanCommandOptions = { forks: 10, output: 'json', verbose: false, acceptNewHosts: false };

test('destroy --check plans the removal and sends nothing after the gather: exit 2 with something to remove, 0 with nothing', async () => {
  const cluster = readCluster(FILE);
  const fake = new FakeTransport();
  for (const n of [1, 2, 3]) fake.on(`node${n}`, { replies: [ok(convergedNodeStdout(cluster, n))] });
  const pending = await captureJson(() => runDestroy(FILE, { ...options, check: true }, fake));
  assert.equal(pending.code, 2);
  assert.deepEqual(pending.report.execs, { node1: 1, node2: 1, node3: 1 }, 'one exec per node: the gather, nothing applied');
  const summary = (pending.report.plan as { summary: { destroy: number } }).summary;
  assert.ok(summary.destroy > 0);
  assert.equal(pending.report.results, undefined);

  const empty = new FakeTransport();
  for (const n of [1, 2, 3]) empty.on(`node${n}`, { replies: [ok(emptyNodeStdout(n))] });
  const clean = await captureJson(() => runDestroy(FILE, { ...options, check: true }, empty));
  assert.equal(clean.code, 0);

  const down = new FakeTransport();
  for (const n of [1, 2]) down.on(`node${n}`, { replies: [ok(emptyNodeStdout(n))] });
  down.on('node3', { connectError: new Error('node3: connection refused') });
  const unreachable = await captureJson(() => runDestroy(FILE, { ...options, check: true }, down));
  assert.equal(unreachable.code, 1, 'a node not reached: exit 1, as diff');
});

test('verify takes --full-mesh (off by default); diff does not', async () => {
  assert.ok(longOptions(['verify']).includes('--full-mesh'));
  assert.ok(!longOptions(['diff']).includes('--full-mesh'));
  assert.equal(await parseError(['diff', 'c.yaml', '--full-mesh']), 'commander.unknownOption');
  const seen: unknown[] = [];
  for (const argv of [['verify', 'c.yaml', '--full-mesh'], ['verify', 'c.yaml']]) {
    const p = program();
    p.commands.find((c) => c.name() === 'verify')?.action((_file: string, options: { fullMesh?: boolean }) => void seen.push(options.fullMesh));
    await p.parseAsync(argv, { from: 'user' });
  }
  assert.deepEqual(seen, [true, false]);
});
