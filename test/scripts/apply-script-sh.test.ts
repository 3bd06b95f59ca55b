// The rendered apply command, run by a real POSIX sh inside a namespace of our own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Change, Step } from '../../src/model/plan.js';
import { parseApplyOutcome, renderApplyCommand } from '../../src/scripts/apply-script.js';
import { parseGatherOutput } from '../../src/scripts/gather-script.js';
import { needs } from '../support/needs.js';

const requirement = needs('root', 'netns');

const ip = (...args: string[]): Step => ({ run: 'ip', args });
const link = (key: string, ...steps: Step[]): Change => ({ kind: 'link', key, action: 'create', reason: { code: 'missing' }, steps });
const address = (key: string, ...steps: Step[]): Change => ({ kind: 'address', key, action: 'create', reason: { code: 'missing' }, steps });

function withNetns(fn: (ns: string) => void): void {
  const ns = `pnapply-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    fn(ns);
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

function runInNetns(ns: string, command: string): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', command], { encoding: 'utf8' });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

test('sh runs every step in order, then gathers the new state', { skip: requirement }, () => {
  withNetns((ns) => {
    const changes: Change[] = [
      {
        kind: 'sysctl',
        key: 'net.ipv4.ip_forward',
        action: 'update',
        reason: { code: 'differs' },
        steps: [{ run: 'command', argv: ['sysctl', '-w', 'net.ipv4.ip_forward=1'] }],
      },
      link('v-net-0', ip('link', 'add', 'v-net-0', 'type', 'bridge'), ip('link', 'set', 'dev', 'v-net-0', 'up')),
      address('10.244.1.1/24 on v-net-0', ip('address', 'add', '10.244.1.1/24', 'dev', 'v-net-0')),
    ];
    const r = runInNetns(ns, renderApplyCommand(changes, []));
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(parseApplyOutcome(changes, r.stdout, r.stderr), { ok: true });
    const observed = parseGatherOutput(r.stdout, 'n1', '192.168.1.11');
    assert.equal(observed.ipForward, true);
    assert.ok(observed.addresses.some((a) => a.dev === 'v-net-0' && a.local === '10.244.1.1'));
  });
});

test('a failing batch line stops the steps, names that step, and the gather still runs', { skip: requirement }, () => {
  withNetns((ns) => {
    const changes: Change[] = [
      link('v-net-0', ip('link', 'add', 'v-net-0', 'type', 'bridge')),
      address('10.244.1.1/24 on v-net-0', ip('address', 'add', '10.244.1.1/24', 'dev', 'v-net-0')),
      address('10.244.1.1/24 on v-net-0 again', ip('address', 'add', '10.244.1.1/24', 'dev', 'v-net-0')),
      link('v-net-0 up', ip('link', 'set', 'dev', 'v-net-0', 'up')),
    ];
    const r = runInNetns(ns, renderApplyCommand(changes, []));
    const outcome = parseApplyOutcome(changes, r.stdout, r.stderr);
    assert.equal(outcome.ok, false);
    if (outcome.ok) return;
    assert.equal(outcome.step?.index, 2);
    assert.equal(outcome.step?.change, 2);
    assert.equal(outcome.change?.key, '10.244.1.1/24 on v-net-0 again');
    assert.match(outcome.message, /already assigned/);
    const observed = parseGatherOutput(r.stdout, 'n1', '192.168.1.11');
    assert.equal(observed.links.find((l) => l.name === 'v-net-0')?.up, false, 'the step after the failure did not run');
  });
});

test('a failure in the middle of a change of several steps names that change and step', { skip: requirement }, () => {
  withNetns((ns) => {
    const changes: Change[] = [
      link('v-net-0', ip('link', 'add', 'v-net-0', 'type', 'bridge'), ip('link', 'set', 'dev', 'v-net-0', 'mtu', '99999999'), ip('link', 'set', 'dev', 'v-net-0', 'up')),
      address('10.244.1.1/24 on v-net-0', ip('address', 'add', '10.244.1.1/24', 'dev', 'v-net-0')),
    ];
    const r = runInNetns(ns, renderApplyCommand(changes, []));
    const outcome = parseApplyOutcome(changes, r.stdout, r.stderr);
    assert.equal(outcome.ok, false, r.stderr);
    if (outcome.ok) return;
    assert.deepEqual([outcome.step?.index, outcome.step?.change, outcome.change?.kind, outcome.change?.key], [1, 0, 'link', 'v-net-0']);
    const observed = parseGatherOutput(r.stdout, 'n1', '192.168.1.11');
    assert.equal(observed.links.find((l) => l.name === 'v-net-0')?.up, false, 'the rest of the change did not run');
    assert.ok(!observed.addresses.some((a) => a.dev === 'v-net-0' && a.family === 'inet'), 'nor the changes after it');
  });
});

test('a file step writes the content atomically with its mode, and the gather reads its digest back', { skip: requirement }, async () => {
  const { mkdtempSync, readFileSync, statSync, readdirSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { sha256Hex } = await import('../../src/state/sha256.js');
  const dir = mkdtempSync(join(tmpdir(), 'podnet-file-'));
  try {
    const path = join(dir, 'sub', 'podnet');
    const content = '#!/bin/sh\n# podnet — ünïcode ✓\necho $HOME "$(date)" `x`\nPODNET_FILE_END\nno newline at the end';
    const changes: Change[] = [{ kind: 'file', key: path, action: 'create', reason: { code: 'missing' }, steps: [{ run: 'install-file', path, mode: '755', content }] }];
    withNetns((ns) => {
      const r = runInNetns(ns, renderApplyCommand(changes, [path, join(dir, 'absent')]));
      assert.deepEqual(parseApplyOutcome(changes, r.stdout, r.stderr), { ok: true }, r.stderr);
      const observed = parseGatherOutput(r.stdout, 'n1', '192.168.1.11', [path, join(dir, 'absent')]);
      assert.deepEqual(observed.files, [
        { path, sha256: sha256Hex(content), mode: '755', mentionsPodnet: true },
        { path: join(dir, 'absent'), sha256: null },
      ]);
    });
    assert.equal(readFileSync(path, 'utf8'), content);
    assert.equal(statSync(path).mode & 0o777, 0o755);
    assert.deepEqual(readdirSync(join(dir, 'sub')), ['podnet'], 'no temporary file is left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('consecutive iptables steps run in one iptables-restore; a failing one is named, those before it stay, those after it do not run', { skip: requirement }, () => {
  withNetns((ns) => {
    const ipt = (...words: string[]): Step => ({ run: 'command', argv: ['iptables', '-w', '-t', 'filter', ...words] });
    const rule = (key: string, step: Step): Change => ({ kind: 'rule', key, action: 'create', reason: { code: 'missing' }, steps: [step] });
    const changes: Change[] = [
      { kind: 'chain', key: 'filter PODNET-FORWARD', action: 'create', reason: { code: 'missing' }, steps: [ipt('-N', 'PODNET-FORWARD')] },
      rule('first', ipt('-I', 'PODNET-FORWARD', '1', '-s', '10.244.0.0/16', '-m', 'comment', '--comment', 'podnet', '-j', 'ACCEPT')),
      rule('too far', ipt('-I', 'PODNET-FORWARD', '5', '-d', '10.244.0.0/16', '-m', 'comment', '--comment', 'podnet', '-j', 'ACCEPT')),
      rule('jump', ipt('-I', 'FORWARD', '1', '-m', 'comment', '--comment', 'podnet', '-j', 'PODNET-FORWARD')),
    ];
    const command = renderApplyCommand(changes, []);
    assert.equal(command.match(/iptables-restore/g)?.length, 1, 'one iptables-restore for the four steps');
    assert.doesNotMatch(command, /^\{ iptables /m);
    const r = runInNetns(ns, command);
    const outcome = parseApplyOutcome(changes, r.stdout, r.stderr);
    assert.equal(outcome.ok, false, r.stderr);
    if (outcome.ok) return;
    assert.deepEqual([outcome.step?.index, outcome.change?.key], [2, 'too far']);
    assert.match(outcome.message, /^iptables: Index of insertion too big/);
    const saved = runInNetns(ns, 'iptables-save -t filter').stdout;
    assert.match(saved, /^:PODNET-FORWARD /m);
    assert.match(saved, /^-A PODNET-FORWARD -s 10\.244\.0\.0\/16 /m);
    assert.doesNotMatch(saved, /-d 10\.244\.0\.0\/16|-j PODNET-FORWARD/);
    const ok = runInNetns(ns, renderApplyCommand([changes[3]!], []));
    assert.deepEqual(parseApplyOutcome([changes[3]!], ok.stdout, ok.stderr), { ok: true }, ok.stderr);
    assert.match(runInNetns(ns, 'iptables-save -t filter').stdout, /^-A FORWARD -m comment --comment podnet -j PODNET-FORWARD$/m);
  });
});
