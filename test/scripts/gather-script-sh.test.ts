// The rendered gather command, run by a real POSIX sh inside a namespace of our own: the managed files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseGatherOutput, renderGatherCommand } from '../../src/scripts/gather-script.js';
import { sha256Hex } from '../../src/state/sha256.js';
import { needs } from '../support/needs.js';

const requirement = needs('root', 'netns');

test('the gather tells which managed files name podnet, as `grep -l podnet` would', { skip: requirement }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-gather-'));
  const ns = `pngather-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    const many = Array.from({ length: 2000 }, (_, i) => `line ${i} of someone else's file`).join('\n');
    const files: Record<string, string> = {
      first: '#!/bin/sh\n# podnet CNI plugin\nexit 0\n',
      deep: `${many}\nwritten by PODNET? no: by podnet\n${many}\n`,
      lastNoNewline: `${many}\nthe end names podnet`,
      foreign: `${many}\n`,
      foreignNoNewline: 'pod net, not the word',
      empty: '',
    };
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    mkdirSync(join(dir, 'a-directory'));
    const paths = [...Object.keys(files), 'a-directory', 'absent'].map((name) => join(dir, name));
    const r = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-s'], { input: renderGatherCommand(paths), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const observed = parseGatherOutput(r.stdout, 'n1', '192.168.1.11', paths);
    const byName = new Map((observed.files ?? []).map((f) => [f.path.slice(dir.length + 1), f]));
    const names = (want: boolean): string[] => [...byName].filter(([, f]) => f.mentionsPodnet === want).map(([name]) => name);
    assert.deepEqual(names(true), ['first', 'deep', 'lastNoNewline']);
    assert.deepEqual(names(false), ['foreign', 'foreignNoNewline', 'empty']);
    assert.equal(byName.get('deep')?.sha256, sha256Hex(files['deep']!));
    assert.equal(byName.get('a-directory')?.sha256, null);
    assert.equal(byName.get('absent')?.sha256, null);
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
});
