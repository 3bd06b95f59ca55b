#!/usr/bin/env node
// Mutation testing of the pure folders (StrykerJS; config in stryker.config.mjs). README: "Mutation testing".
//
//   node scripts/mutation.mjs                 every pure file (npm run test:mutation)
//   node scripts/mutation.mjs FILE…           only these source files
//   node scripts/mutation.mjs --changed [REF] only the pure files a change touched since REF (default
//                                             origin/main, else HEAD~1): npm run test:mutation:ci
//
// Stryker runs incrementally: reports/stryker-incremental.json (committed) holds every mutant's last
// result with the tests that covered it, and a mutant whose code and covering tests are unchanged
// keeps its result without a test run. Stryker writes that file with the results of the files it
// mutated this time only, so this script puts back the other files' results afterwards: a partial
// run never loses the rest. With --changed, a changed test file also brings in the source files its
// tests covered (so a weakened test is noticed); nothing pure changed → nothing runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compiledToTsx, copyFileResults } from './incremental-report.mjs';

const INCREMENTAL = process.env.STRYKER_INCREMENTAL_FILE ?? 'reports/stryker-incremental.json';
const config = (await import(pathToFileURL(resolve('stryker.config.mjs')).href)).default;

/** Whether path is one of the mutated pure files (stryker.config.mjs PURE: folders and negations). */
const PURE_DIRS = ['src/config/', 'src/state/', 'src/plan/', 'src/scripts/', 'src/render/'];
const isPure = (f) => f.endsWith('.ts') && !f.endsWith('.generated.ts') && (PURE_DIRS.some((d) => f.startsWith(d)) || f === 'src/run/ssh/known-hosts.ts' || f === 'src/model/ipv4.ts');

const readReport = () => (existsSync(INCREMENTAL) ? JSON.parse(readFileSync(INCREMENTAL, 'utf8')) : undefined);

function changedFiles(ref) {
  const base = ref ?? (spawnSync('git', ['rev-parse', '--verify', '-q', 'origin/main']).status === 0 ? 'origin/main' : 'HEAD~1');
  const mergeBase = execFileSync('git', ['merge-base', base, 'HEAD'], { encoding: 'utf8' }).trim();
  const committed = execFileSync('git', ['diff', '--name-only', mergeBase], { encoding: 'utf8' });
  const untracked = execFileSync('git', ['ls-files', '--others', '--exclude-standard'], { encoding: 'utf8' });
  return [...new Set(`${committed}\n${untracked}`.split('\n').filter(Boolean))].filter((f) => existsSync(f));
}

const args = process.argv.slice(2);
let mutate;
if (args[0] === '--changed') {
  const changed = changedFiles(args[1]);
  const sources = changed.filter(isPure);
  const tests = new Set(changed.filter((f) => config.tap.testFiles.includes(f)));
  const old = readReport();
  for (const [file, { mutants }] of Object.entries(old?.files ?? {})) {
    if (mutants.some((m) => [...(m.coveredBy ?? []), ...(m.killedBy ?? [])].some((id) => tests.has(id)))) sources.push(file);
  }
  mutate = [...new Set(sources)].filter((f) => existsSync(f)).sort();
  if (mutate.length === 0) {
    console.log('mutation: no pure source file and no test of one changed; nothing to mutate');
    process.exit(0);
  }
  console.log(`mutation: ${mutate.length} file(s): ${mutate.join(' ')}`);
} else if (args.length > 0) {
  mutate = args;
}

const before = readReport();
const compiled = process.env.STRYKER_COMPILED === '1';
const testSources = new Map(config.tap.testFiles.map((f) => [compiledToTsx(f), readFileSync(compiledToTsx(f), 'utf8')]));
// The generated modules (git-ignored) must exist before Stryker copies the sandbox: a fresh clone has none.
execFileSync(process.execPath, ['scripts/embed-node-scripts.mjs'], { stdio: 'inherit' });
execFileSync(process.execPath, ['scripts/compile-schema.mjs'], { stdio: 'inherit' });
const env = { ...process.env, ...(mutate ? { STRYKER_MUTATE: mutate.join(',') } : {}) };
const run = spawnSync(process.execPath, ['node_modules/@stryker-mutator/core/bin/stryker.js', 'run'], { stdio: 'inherit', env });

// Put back the results of the files this run did not mutate (still existing, still pure), their test
// ids translated through the tests' names: this run may number the tests differently.
const after = readReport();
if (after && compiled) {
  // Stryker keeps no source for the compiled tests (dist/ is not in its project): record the sources
  // as they were when this run started, for scripts/mutation-convert.mjs.
  for (const [key, entry] of Object.entries(after.testFiles ?? {})) entry.source ??= testSources.get(compiledToTsx(key));
}
if (before && after && mutate) {
  // Stryker carries the other files' results over itself, but in the compiled mode it finds none of
  // their tests (dist/ is not in its project) and drops their coveredBy/killedBy: take ours then.
  const mutated = new Set(mutate);
  const keep = Object.keys(before.files).filter(
    (file) => !mutated.has(file) && (compiled || !(file in after.files)) && existsSync(file) && isPure(file),
  );
  copyFileResults(after, before, keep);
}
if (after) writeFileSync(INCREMENTAL, `${JSON.stringify(after, null, 2)}\n`);
process.exit(run.status ?? 1);
