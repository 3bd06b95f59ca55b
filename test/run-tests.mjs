// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner.
// Lab tests (dist/test/e2e) need root; they are run one file at a time because each builds labs.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function findTests(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(findTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

const filter = process.argv.slice(2);
const all = findTests('dist/test').filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)));
if (all.length === 0) {
  console.error('no test files found under dist/test (did the build run?)');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...all], { stdio: 'inherit' });
process.exit(r.status ?? 1);
