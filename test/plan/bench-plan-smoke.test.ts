// The smoke of `npm run bench:plan` (100 nodes, one run) and of the memory bench (3 nodes): the
// benches run, their own checks hold (every route planned from scratch, nothing planned when
// converged, the CLI pipeline exits 0 on a converged cluster), and they print their figures.
// No timing is asserted: speed targets live in the bench.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

test('bench:plan --smoke: 100 nodes, every route planned from scratch, none when converged, one Markdown row', () => {
  const r = spawnSync(process.execPath, ['dist/bench/plan.js', '--smoke'], { encoding: 'utf8', timeout: 50_000 });
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.split('\n').filter((line) => /^\| [0-9]/.test(line));
  assert.equal(rows.length, 1, r.stdout);
  const cells = (rows[0] as string).split('|').map((c) => c.trim());
  assert.equal(cells[1], '100');
  assert.equal(cells[5], '9,900', 'routes planned from scratch: 100 × 99');
  assert.match(cells[6] ?? '', /^[0-9.]+ µs$/);
  assert.match(cells[7] ?? '', /^[0-9.]+ ms \([0-9.]+–[0-9.]+; cpu [0-9.]+\)$/, 'converged timed');
});

test('bench plan-memory: podnet diff of 3 simulated nodes through the CLI pipeline, converged, exit 0, peak RSS printed', () => {
  const r = spawnSync(process.execPath, ['dist/bench/plan-memory.js', '--nodes', '3'], { encoding: 'utf8', timeout: 50_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /No changes\. node3 is in sync\./);
  assert.match(r.stderr, /nodes=3 state=converged output=text maxRSS=[0-9]+ MB exit=0/);
});
