#!/usr/bin/env node
// Carry compiled-mode mutation results into the tsx-mode incremental file that CI reuses.
// README: "Mutation testing".
//
//   node scripts/mutation-convert.mjs [--from reports/stryker-compiled.json]
//                                     [--into reports/stryker-incremental.json] [FILE…]
//
// STRYKER_COMPILED=1 runs name their tests by the compiled files (dist/test/x.test.js); the tsx mode
// (and so npm run test:mutation:ci) by the sources (test/x.test.ts). This copies the results of
// FILE… (default: every source file in --from) into --into, each test id translated through its
// name (dist/test/x.test.js → test/x.test.ts, then that test's id in --into, added if missing), with
// the test files' sources as the compiled run saw them (scripts/mutation.mjs records them; they
// replace older ones in --into). A later tsx-mode run then reuses those results: Stryker re-runs a
// mutant only if its code, or the tests covering it, changed since.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { compiledToTsx, copyFileResults } from './incremental-report.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [value] = args.splice(i, 2).slice(1);
  return value;
};
const fromFile = option('--from', 'reports/stryker-compiled.json');
const intoFile = option('--into', 'reports/stryker-incremental.json');
const from = JSON.parse(readFileSync(fromFile, 'utf8'));
const into = JSON.parse(readFileSync(intoFile, 'utf8'));
const files = args.length > 0 ? args : Object.keys(from.files).sort();
const sourceOf = (key) => (existsSync(key) ? readFileSync(key, 'utf8') : undefined);
try {
  copyFileResults(into, from, files, { rename: compiledToTsx, sourceOf, replaceSources: true });
} catch (e) {
  console.error(`mutation-convert: ${e.message}`);
  process.exit(1);
}
writeFileSync(intoFile, `${JSON.stringify(into, null, 2)}\n`);
for (const f of files) {
  const n = {};
  for (const m of into.files[f].mutants) n[m.status] = (n[m.status] ?? 0) + 1;
  console.log(`${f}: ${Object.entries(n).map(([s, c]) => `${c} ${s}`).join(', ')}`);
}
