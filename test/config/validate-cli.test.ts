// `podnet validate` through the built CLI: exit codes, output, no stack traces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

function podnet(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['dist/src/cli/main.js', ...args], { encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

test('validate accepts the examples and prints each node with its subnet', () => {
  const files = ['examples/seed-3-nodes/cluster.yaml', 'examples/lab/cluster.yaml', 'examples/inventory/cluster.yaml'];
  const run = podnet('validate', '--no-local-files', ...files);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, '');
  for (const file of files) assert.match(run.stdout, new RegExp(`^${file}: ok \\(3 nodes, pod CIDR 10\\.244\\.0\\.0/16\\)$`, 'm'));
  assert.match(run.stdout, /^ {2}node1 {2}192\.168\.1\.11 {2}10\.244\.1\.0\/24 \(explicit\)$/m);
  assert.match(run.stdout, /^ {2}node3 {2}192\.168\.1\.13 {2}10\.244\.3\.0\/24 \(allocated\)$/m);
});

test('validate rejects a bad file with file:line:col on stderr, exit 1, no stack trace', () => {
  const file = 'test/fixtures/config/bad/several-problems.yaml';
  const run = podnet('validate', file);
  assert.equal(run.status, 1);
  assert.equal(run.stdout, '');
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 5);
  for (const line of lines) assert.match(line, /^test\/fixtures\/config\/bad\/several-problems\.yaml:\d+:\d+: /);
  assert.equal(lines[0], `${file}:2:1: unknown key \`subnetPrefx\`; did you mean \`subnetPrefix\`?`);
  assert.doesNotMatch(run.stderr, /at .*\.js/);
});

test('validate checks every file and fails when any one is bad', () => {
  const run = podnet('validate', 'examples/seed-3-nodes/cluster.yaml', 'test/fixtures/config/bad/host-bits.yaml', 'no/such/cluster.yaml');
  assert.equal(run.status, 1);
  assert.match(run.stdout, /^examples\/seed-3-nodes\/cluster\.yaml: ok/m);
  assert.match(run.stderr, /^test\/fixtures\/config\/bad\/host-bits\.yaml:5:13: subnet 10\.244\.1\.5\/24: host bits set; did you mean 10\.244\.1\.0\/24\?$/m);
  assert.match(run.stderr, /^no\/such\/cluster\.yaml: cannot read: ENOENT/m);
  assert.doesNotMatch(run.stderr, /at .*\.js/);
});

test('validate without a file is a usage error', () => {
  const run = podnet('validate');
  assert.equal(run.status, 1);
  assert.match(run.stderr, /missing required argument/);
});

test('validate -o json: one document; a valid file carries its summary, a bad one every error with file, line, column and message; exit as in text', () => {
  const good = 'examples/seed-3-nodes/cluster.yaml';
  const bad = 'test/fixtures/config/bad/several-problems.yaml';
  const run = podnet('validate', '-o', 'json', good, bad, 'no/such/cluster.yaml');
  assert.equal(run.status, 1);
  assert.equal(run.stderr, '', 'JSON mode writes nothing else');
  const doc = JSON.parse(run.stdout) as {
    formatVersion: number;
    valid: boolean;
    files: { file: string; valid: boolean; errors: { file: string; line?: number; column?: number; message: string }[]; summary?: { podCidr: string; nodes: { name: string; subnet: string; subnetFrom: string }[] } }[];
  };
  assert.equal(doc.formatVersion, 1);
  assert.equal(doc.valid, false);
  assert.deepEqual(doc.files.map((f) => [f.file, f.valid]), [[good, true], [bad, false], ['no/such/cluster.yaml', false]]);
  assert.equal(doc.files[0]?.summary?.podCidr, '10.244.0.0/16');
  assert.deepEqual(doc.files[0]?.summary?.nodes.map((n) => [n.name, n.subnet, n.subnetFrom]), [
    ['node1', '10.244.1.0/24', 'explicit'],
    ['node2', '10.244.2.0/24', 'explicit'],
    ['node3', '10.244.3.0/24', 'explicit'],
  ]);
  assert.equal(doc.files[1]?.errors.length, 5);
  assert.deepEqual(doc.files[1]?.errors[0], { file: bad, line: 2, column: 1, message: 'unknown key `subnetPrefx`; did you mean `subnetPrefix`?' });
  assert.match(doc.files[2]?.errors[0]?.message ?? '', /^cannot read: ENOENT/);

  const ok = podnet('validate', '--output', 'json', good);
  assert.equal(ok.status, 0);
  assert.equal((JSON.parse(ok.stdout) as { valid: boolean }).valid, true);
});

// A missing identityFile is a config error (test/config/identity-file.test.ts has the loader's side).
const IDENTITY_MISSING = 'test/fixtures/config/identity/identity-missing.yaml';

test('podnet validate reports a missing key at file:line:col and exits 1; --no-local-files skips the check', () => {
  const run = podnet('validate', IDENTITY_MISSING);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /^test\/fixtures\/config\/identity\/identity-missing\.yaml:4:17: identity file \S+\/keys\/cluster_ed25519 does not exist/m);
  assert.match(run.stderr, /^test\/fixtures\/config\/identity\/identity-missing\.yaml:13:21: identity file \/etc\/podnet\/node3_ed25519 does not exist/m);
  const skipped = podnet('validate', '--no-local-files', IDENTITY_MISSING);
  assert.equal(skipped.status, 0, skipped.stderr);
});
