// The bench: its floor loads nothing of podnet (checked on the compiled file's imports), and a smoke
// of `npm run bench` (3 nodes, 1 round) runs to its table on a real lab. Needs root for the smoke.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { labDown } from '../../src/lab/lab.js';
import { testLabName } from '../support/lab.js';
import { needs } from '../support/needs.js';

test('the floor (bench/fan-out) imports only node: modules and ssh2', () => {
  const source = readFileSync('dist/bench/fan-out.js', 'utf8');
  const imports = [...source.matchAll(/^\s*import\b[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]);
  assert.ok(imports.includes('ssh2'), `imports: ${imports.join(', ')}`);
  for (const spec of imports) assert.ok(spec === 'ssh2' || spec?.startsWith('node:'), `the floor imports ${spec}`);
  assert.doesNotMatch(source, /\bimport\s*\(|\brequire\s*\(/, 'no dynamic import or require');
});

test('npm run bench --smoke: 3 nodes, 1 round, every measure against the floor', { skip: needs('root', 'netns', 'sshd'), timeout: 180_000 }, async () => {
  const prefix = testLabName();
  try {
    const r = spawnSync(process.execPath, ['dist/bench/bench.js', '--smoke', '--lab', prefix], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const rows = r.stdout.split('\n\n').at(-1)!.trim().split('\n');
    const measures = rows.slice(2).map((row) => row.split('|').map((c) => c.trim()));
    assert.deepEqual(
      measures.map((cells) => [cells[1], cells[2], cells[3]]),
      [
        ['3', 'apply from scratch, --no-confirm', 'podnet'],
        ['3', 'apply from scratch, --confirm 60s', 'podnet'],
        ['3', 'apply, converged', 'podnet'],
        ['3', 'diff, converged', 'podnet'],
      ],
    );
    for (const cells of measures) {
      // podnet, floor: "median (min–max)" in seconds, both above zero; the ratios follow.
      for (const cell of [cells[4], cells[5]]) assert.match(cell ?? '', /^\d+\.\d{3} \(\d+\.\d{3}–\d+\.\d{3}\)$/);
      assert.ok(Number(cells[5]?.split(' ')[0]) > 0);
      assert.match(cells[6] ?? '', /^\d+\.\d{3}×$/);
    }
  } finally {
    await labDown(`${prefix}3`);
  }
});
