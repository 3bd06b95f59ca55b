// -o markdown on diff, apply and destroy through the real command flow (a fake transport), and verify's
// JUnit XML from the built CLI: -o junit on stdout, --junit FILE beside another -o, both written also
// when verify stops before it has a report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlanCommand, type PlanCommandOptions } from '../../src/cli/plan-command.js';
import { runDestroy } from '../../src/cli/destroy-command.js';
import { SshError } from '../../src/run/ssh/errors.js';
import { FakeTransport, ok } from '../support/fake-transport.js';
import { emptyNodeStdout } from '../support/gather-output.js';
import { captureBoth } from '../support/capture.js';
import { runPodnet } from '../support/cli.js';
import { parseXml } from '../support/xml.js';

const FILE = 'examples/seed-3-nodes/cluster.yaml';
const markdown: PlanCommandOptions = { forks: 10, output: 'markdown', verbose: false, acceptNewHosts: false, confirm: false };
const refused = (n: number): SshError => new SshError('refused', `node${n}`, `node${n}: connection refused`);
const oneDown = (): FakeTransport => new FakeTransport({ node1: { replies: [ok(emptyNodeStdout(1))] }, node2: { connectError: refused(2) }, node3: { replies: [ok(emptyNodeStdout(3))] } });

test('diff -o markdown: the comment and nothing else on stdout, the node not reached in the table; exit codes as ever', async () => {
  const diff = await captureBoth(() => runPlanCommand(FILE, markdown, 'diff', oneDown()));
  assert.equal(diff.code, 1);
  const lines = diff.stdout.split('\n');
  assert.match(lines[0]!, /^❌ \*\*podnet diff\*\* examples\/seed-3-nodes\/cluster\.yaml: Plan incomplete: 1 of 3 nodes not reached\./);
  assert.match(diff.stdout, /^\| node2 \| – \| – \| – \| – \| – \| ❌ unreachable \|$/m);
  assert.match(diff.stdout, /^- node2: ❌ unreachable: node2: connection refused$/m);
  assert.match(diff.stdout, /<summary>node1: \d+ to add, \d+ to change, 0 to destroy; 1 route waiting<\/summary>/);
  assert.doesNotMatch(diff.stdout, /RECAP|^node1 \(/m, 'no text plan');
});

test('apply -o markdown: the results in the table, no text plan nor recap; destroy --check -o markdown', async () => {
  const fake = new FakeTransport({ node1: { connectError: refused(1) }, node2: { connectError: refused(2) }, node3: { connectError: refused(3) } });
  const apply = await captureBoth(() => runPlanCommand(FILE, markdown, 'apply', fake));
  assert.equal(apply.code, 1);
  assert.match(apply.stdout, /^❌ \*\*podnet apply\*\* examples\/seed-3-nodes\/cluster\.yaml: 0 of 3 nodes converged\. Plan incomplete: 3 of 3 nodes not reached\./);
  assert.match(apply.stdout, /^\| node3 \| – \| – \| – \| – \| – \| 0 \| 0 \| ❌ unreachable \|$/m);
  assert.doesNotMatch(apply.stdout, /RECAP/);
  const destroy = await captureBoth(() => runDestroy(FILE, { ...markdown, check: true }, oneDown()));
  assert.equal(destroy.code, 1);
  assert.match(destroy.stdout, /^❌ \*\*podnet destroy\*\* /);
});

test('verify -o junit and --junit FILE: a failing test case saying why when cluster.yaml is bad; -o junit is verify\'s only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-junit-'));
  try {
    const bad = join(dir, 'cluster.yaml');
    writeFileSync(bad, 'podCidr: 10.244.0.0/16\nnodes:\n  - name: node1\n    address: nope\n');
    const stdout = runPodnet('verify', bad, '-o', 'junit');
    assert.equal(stdout.code, 1);
    assert.match(stdout.stderr, /cluster\.yaml:4:/, 'the error is reported as ever');
    const failure = parseXml(stdout.stdout).children[0]!.children[0]!.children[0]!;
    assert.equal(failure.name, 'failure');
    assert.match(failure.attributes['message']!, /cluster\.yaml:4:\d+: .*nope/);

    const file = join(dir, 'report.xml');
    const beside = runPodnet('verify', bad, '--junit', file);
    assert.equal(beside.code, 1);
    assert.equal(beside.stdout, '', 'text output: nothing on stdout for a bad file');
    const root = parseXml(readFileSync(file, 'utf8'));
    assert.equal(root.attributes['failures'], '1');

    const diff = runPodnet('diff', bad, '-o', 'junit');
    assert.equal(diff.code, 1);
    assert.match(diff.stderr, /argument 'junit' is invalid/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
