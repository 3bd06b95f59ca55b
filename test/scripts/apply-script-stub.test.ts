// The rendered apply command's steps run by a real POSIX sh, without root: a stub `ip` on PATH logs
// every batch line and fails on a chosen one, files go to a temporary directory. What is checked is
// the command's own logic (stop at the first failure, say which group failed, write files
// atomically with their mode); the namespace tests (apply-script-sh, which need root) check it
// against the real kernel.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Change, Step } from '../../src/model/plan.js';
import { parseApplyOutcome, renderApplyCommand } from '../../src/scripts/apply-script.js';

// `ip -batch -`: logs each line; a line naming pnfail fails the batch the way ip does.
const STUB_IP = `#!/bin/sh
n=0
while IFS= read -r line; do
  n=$((n + 1))
  printf '%s\\n' "$line" >> "$STUB_LOG"
  case $line in *pnfail*) echo "Error: stub failure" >&2; echo "Command failed -:$n" >&2; exit 1 ;; esac
done
`;

const ip = (...args: string[]): Step => ({ run: 'ip', args });
const change = (key: string, ...steps: Step[]): Change => ({ kind: 'link', key, action: 'create', reason: { code: 'missing' }, steps });

describe('the apply command under sh with a stub ip', () => {
  let dir = '';
  let log = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pnapplystub-'));
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'ip'), STUB_IP, { mode: 0o755 });
    log = join(dir, 'ip.log');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the steps part of the command (the gather after it is cut off: it would read the host). */
  function runSteps(changes: Change[], extraBin?: string, tmpTag?: string): { status: number | null; stdout: string; stderr: string } {
    writeFileSync(log, '');
    const command = renderApplyCommand(changes, [], {}, '', tmpTag);
    const end = command.indexOf('\n)\n');
    assert.ok(command.startsWith('(\n') && end > 0, 'the steps run in a subshell before the gather');
    const r = spawnSync('sh', ['-c', command.slice(0, end + 3)], {
      encoding: 'utf8',
      env: { PATH: `${extraBin !== undefined ? `${extraBin}:` : ''}${join(dir, 'bin')}:/usr/bin:/bin`, STUB_LOG: log, PROGRAM_LOG: join(dir, 'programs.log') },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  const logged = (): string[] => readFileSync(log, 'utf8').split('\n').filter(Boolean);

  it('runs every group in order when nothing fails', () => {
    const marker = join(dir, 'ran-ok');
    const changes = [
      change('a', ip('link', 'add', 'a', 'type', 'bridge'), ip('link', 'set', 'dev', 'a', 'up')),
      change('touch', { run: 'command', argv: ['touch', marker] }),
      change('b', ip('link', 'set', 'dev', 'b', 'up')),
    ];
    const r = runSteps(changes);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(logged(), ['link add a type bridge', 'link set dev a up', 'link set dev b up']);
    assert.ok(existsSync(marker));
    assert.deepEqual(parseApplyOutcome(changes, r.stdout, r.stderr), { ok: true });
  });

  it('a failed step stops every later step, and the failed group is named', () => {
    const marker = join(dir, 'must-not-exist');
    const changes = [
      change('a', ip('link', 'add', 'a', 'type', 'bridge'), ip('link', 'set', 'dev', 'pnfail', 'up'), ip('link', 'set', 'dev', 'a', 'up')),
      change('touch', { run: 'command', argv: ['touch', marker] }),
      change('b', ip('link', 'set', 'dev', 'b', 'up')),
    ];
    const r = runSteps(changes);
    assert.deepEqual(logged(), ['link add a type bridge', 'link set dev pnfail up'], 'nothing after the failed line ran');
    assert.ok(!existsSync(marker), 'the command after the failed batch did not run');
    assert.equal(r.stdout.trim(), '@@podnet failed-group 0');
    const outcome = parseApplyOutcome(changes, r.stdout, r.stderr);
    assert.equal(outcome.ok, false);
    if (outcome.ok) return;
    assert.equal(outcome.step?.index, 1);
    assert.equal(outcome.change?.key, 'a');
    assert.equal(outcome.message, 'Error: stub failure');
  });

  it('a failed command stops the batch after it', () => {
    const changes = [
      change('false', { run: 'command', argv: ['false'] }),
      change('b', ip('link', 'set', 'dev', 'b', 'up')),
    ];
    const r = runSteps(changes);
    assert.deepEqual(logged(), []);
    assert.equal(r.stdout.trim(), '@@podnet failed-group 0');
    const outcome = parseApplyOutcome(changes, r.stdout, r.stderr);
    assert.equal(outcome.ok ? undefined : outcome.change?.key, 'false');
  });

  it('install-file writes the content with its mode, through a temporary file it leaves nowhere', () => {
    const target = join(dir, 'etc', 'cni', 'net.d', '10-podnet.conflist');
    const content = '{"cniVersion":"1.0.0",\n "name":"podnet"}\n' + 'x'.repeat(200) + '\n';
    const r = runSteps([change('file', { run: 'install-file', path: target, mode: '640', content }), change('b', ip('link', 'set', 'dev', 'b', 'up'))]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(target, 'utf8'), content);
    assert.equal(statSync(target).mode & 0o777, 0o640);
    assert.deepEqual(readdirSync(join(dir, 'etc', 'cni', 'net.d')), ['10-podnet.conflist']);
    assert.deepEqual(logged(), ['link set dev b up']);
  });

  it('a failed install-file removes its temporary file and stops the steps', () => {
    const target = join(dir, 'blocked', 'podnet');
    // A stub mv that fails, as a rename over a busy or read-only target would.
    mkdirSync(join(dir, 'failing-mv'));
    writeFileSync(join(dir, 'failing-mv', 'mv'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    const changes = [
      change('file', { run: 'install-file', path: target, mode: '755', content: 'x' }),
      change('b', ip('link', 'set', 'dev', 'b', 'up')),
    ];
    const r = runSteps(changes, join(dir, 'failing-mv'));
    assert.equal(r.stdout.trim(), '@@podnet failed-group 0');
    const outcome = parseApplyOutcome(changes, r.stdout, r.stderr);
    assert.equal(outcome.ok ? undefined : outcome.change?.key, 'file', 'the failure names the install-file change');
    assert.deepEqual(readdirSync(join(dir, 'blocked')), [], 'no .podnet.* temporary file is left, and no target');
    assert.deepEqual(logged(), []);
  });

  it('install-file writes an empty file empty, and a file with non-ASCII text byte for byte', () => {
    const empty = join(dir, 'files', 'empty');
    const text = join(dir, 'files', 'text');
    const content = 'réseau — 网络\n';
    const r = runSteps([change('e', { run: 'install-file', path: empty, mode: '600', content: '' }), change('t', { run: 'install-file', path: text, mode: '644', content })]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(empty, 'utf8'), '');
    assert.equal(readFileSync(text, 'utf8'), content);
  });

  it('a script step runs under sh in its place, between the batches around it', () => {
    const marker = join(dir, 'script-ran');
    const r = runSteps([
      change('a', ip('link', 'set', 'dev', 'a', 'up')),
      change('s', { run: 'script', script: `printf '%s\\n' "$(wc -l < "$STUB_LOG" | tr -d ' ')" > '${marker}'` }),
      change('b', ip('link', 'set', 'dev', 'b', 'up')),
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(marker, 'utf8'), '1\n', 'the script ran after the first batch, before the second');
    assert.deepEqual(logged(), ['link set dev a up', 'link set dev b up']);
  });

  it('a failure on line 12 of a batch names the twelfth step', () => {
    const steps = Array.from({ length: 14 }, (_, i) => change(`l${i + 1}`, ip('link', 'set', 'dev', i === 11 ? 'pnfail' : `l${i + 1}`, 'up')));
    const r = runSteps(steps);
    const outcome = parseApplyOutcome(steps, r.stdout, r.stderr);
    assert.equal(outcome.ok ? undefined : outcome.change?.key, 'l12');
    assert.equal(outcome.ok ? undefined : outcome.message, 'Error: stub failure');
  });

  it('a failing script step stops the steps and is named as the failure', () => {
    const changes = [change('a', ip('link', 'set', 'dev', 'a', 'up')), change('s', { run: 'script', script: 'exit 3' }), change('b', ip('link', 'set', 'dev', 'b', 'up'))];
    const r = runSteps(changes);
    const outcome = parseApplyOutcome(changes, r.stdout, r.stderr);
    assert.equal(outcome.ok ? undefined : outcome.change?.key, 's');
    assert.deepEqual(logged(), ['link set dev a up']);
  });
  it('install-file starts only mv for a mode a new file can have, chmod and mv for one with x bits (no mktemp, no base64)', () => {
    // Wrappers log every program the steps start, then run the real one.
    const wrap = join(dir, 'wrap');
    mkdirSync(wrap, { recursive: true });
    for (const name of ['mv', 'chmod', 'mktemp', 'base64', 'mkdir', 'cat', 'rm']) {
      writeFileSync(join(wrap, name), `#!/bin/sh\necho ${name} >> "$PROGRAM_LOG"\nexec /usr/bin/${name} "$@"\n`, { mode: 0o755 });
    }
    const programs = join(dir, 'programs.log');
    mkdirSync(join(dir, 'procs'), { recursive: true });
    const conf = join(dir, 'procs', 'conf');
    const plugin = join(dir, 'procs', 'plugin');
    writeFileSync(programs, '');
    const r = runSteps([change('c', { run: 'install-file', path: conf, mode: '644', content: 'a\n' })], wrap);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readFileSync(programs, 'utf8').split('\n').filter(Boolean), ['mv']);
    assert.equal(statSync(conf).mode & 0o7777, 0o644);
    writeFileSync(programs, '');
    const r2 = runSteps([change('p', { run: 'install-file', path: plugin, mode: '755', content: '#!/bin/sh\n' })], wrap);
    assert.equal(r2.status, 0, r2.stderr);
    assert.deepEqual(readFileSync(programs, 'utf8').split('\n').filter(Boolean), ['chmod', 'mv']);
    assert.equal(statSync(plugin).mode & 0o7777, 0o755);
  });

  it('install-file puts the umask back for the steps after it', () => {
    const marker = join(dir, 'umask-after');
    const target = join(dir, 'umask', 'f');
    const r = runSteps([
      change('f', { run: 'install-file', path: target, mode: '600', content: 'secret\n' }),
      change('u', { run: 'script', script: `umask > '${marker}'` }),
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(statSync(target).mode & 0o777, 0o600);
    // spawnSync's sh inherits this process's umask.
    const mask = process.umask();
    assert.equal(Number.parseInt(readFileSync(marker, 'utf8').trim(), 8), mask);
  });

  it('a file or link planted at the temporary name fails the step: nothing is written through it, the target stays', () => {
    const target = join(dir, 'planted', 'podnet');
    const victim = join(dir, 'victim');
    mkdirSync(join(dir, 'planted'), { recursive: true });
    writeFileSync(target, 'old\n');
    writeFileSync(victim, 'untouched\n');
    // The step is the first (index 0): its temporary file is .podnet.<tag>0.
    symlinkSync(victim, join(dir, 'planted', '.podnet.fixedtag0'));
    const changes = [change('file', { run: 'install-file', path: target, mode: '644', content: 'new\n' }), change('b', ip('link', 'set', 'dev', 'b', 'up'))];
    const r = runSteps(changes, undefined, 'fixedtag');
    assert.equal(r.stdout.trim(), '@@podnet failed-group 0');
    assert.equal(readFileSync(victim, 'utf8'), 'untouched\n');
    assert.equal(readFileSync(target, 'utf8'), 'old\n');
    assert.deepEqual(logged(), [], 'the steps after it did not run');
  });

  it('content with a NUL byte goes through base64, byte for byte', () => {
    const target = join(dir, 'nul', 'f');
    const content = 'a\0b\n';
    const r = runSteps([change('f', { run: 'install-file', path: target, mode: '644', content })]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(target, 'utf8'), content);
  });

  it('two applies name their temporary files differently', () => {
    const step: Step = { run: 'install-file', path: '/etc/x', mode: '644', content: 'x' };
    const names = [0, 1].map(() => /\.podnet\.([0-9a-f]+)/.exec(renderApplyCommand([change('f', step)], []))?.[1]);
    assert.equal(names[0]?.length, 17, 'sixteen random hex digits and the step index');
    assert.notEqual(names[0], names[1]);
  });
});

