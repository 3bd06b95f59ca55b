// scripts/incremental-report.mjs and scripts/mutation-convert.mjs: moving mutation results between
// Stryker incremental reports keeps every mutant tied to the same tests, whatever the ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

interface Mutant {
  id: string;
  status: string;
  coveredBy?: string[];
  killedBy?: string[];
}
interface Report {
  files: Record<string, { source: string; mutants: Mutant[] }>;
  testFiles?: Record<string, { source?: string; tests: { id: string; name: string }[] }>;
}
const lib = (await import(pathToFileURL(resolve('scripts/incremental-report.mjs')).href)) as {
  copyFileResults(into: Report, from: Report, files: string[], o?: object): Report;
};

const mutant = (id: string, status: string, coveredBy: string[], killedBy?: string[]): Mutant => ({
  id,
  status,
  coveredBy,
  ...(killedBy ? { killedBy } : {}),
});
/** The test names a mutant's ids stand for in report. */
const names = (report: Report, ids: string[] | undefined): string[] =>
  (ids ?? []).map((id) => Object.values(report.testFiles ?? {}).flatMap((f) => f.tests).find((t) => t.id === id)?.name ?? `?${id}`);

test('copyFileResults translates test ids by name when the other report numbers its tests differently', () => {
  const from: Report = {
    files: { 'src/a.ts': { source: 'a', mutants: [mutant('1', 'Killed', ['0', '1'], ['0']), mutant('2', 'Survived', ['1'])] } },
    testFiles: {
      'test/a.test.ts': { source: 'A', tests: [{ id: '0', name: 'test/a.test.ts' }] },
      'test/b.test.ts': { source: 'B', tests: [{ id: '1', name: 'test/b.test.ts' }] },
    },
  };
  // A test file added before a.test.ts renumbered the tests.
  const into: Report = {
    files: { 'src/b.ts': { source: 'b', mutants: [mutant('9', 'Killed', ['0'], ['0'])] } },
    testFiles: {
      'test/0.test.ts': { source: 'Z', tests: [{ id: '0', name: 'test/0.test.ts' }] },
      'test/a.test.ts': { source: 'A', tests: [{ id: '1', name: 'test/a.test.ts' }] },
      'test/b.test.ts': { source: 'B', tests: [{ id: '2', name: 'test/b.test.ts' }] },
    },
  };
  lib.copyFileResults(into, from, ['src/a.ts']);
  const [killed, survived] = into.files['src/a.ts']!.mutants;
  assert.deepEqual(names(into, killed!.coveredBy), ['test/a.test.ts', 'test/b.test.ts']);
  assert.deepEqual(names(into, killed!.killedBy), ['test/a.test.ts']);
  assert.deepEqual(names(into, survived!.coveredBy), ['test/b.test.ts']);
  assert.equal(survived!.killedBy, undefined);
  // The other file's results and the test files are left as they were.
  assert.deepEqual(into.files['src/b.ts']!.mutants[0]!.killedBy, ['0']);
  assert.deepEqual(Object.keys(into.testFiles!), ['test/0.test.ts', 'test/a.test.ts', 'test/b.test.ts']);
});

test('copyFileResults adds a test the other report lacks, under a new id, with its source', () => {
  const from: Report = {
    files: { 'src/a.ts': { source: 'a', mutants: [mutant('1', 'Killed', ['0'], ['0'])] } },
    testFiles: { 'test/new.test.ts': { source: 'NEW', tests: [{ id: '0', name: 'test/new.test.ts' }] } },
  };
  const into: Report = {
    files: {},
    testFiles: { 'test/a.test.ts': { source: 'A', tests: [{ id: '0', name: 'test/a.test.ts' }, { id: '7', name: 'x' }] } },
  };
  lib.copyFileResults(into, from, ['src/a.ts']);
  assert.deepEqual(into.files['src/a.ts']!.mutants[0]!.killedBy, ['8']);
  assert.deepEqual(into.testFiles!['test/new.test.ts'], { source: 'NEW', tests: [{ id: '8', name: 'test/new.test.ts' }] });
});

test('copyFileResults refuses an id its report does not define', () => {
  const from: Report = { files: { 'src/a.ts': { source: 'a', mutants: [mutant('1', 'Killed', ['3'], ['3'])] } }, testFiles: {} };
  assert.throws(() => lib.copyFileResults({ files: {}, testFiles: {} }, from, ['src/a.ts']), /test id 3/);
});

test('mutation-convert carries compiled-mode results (dist/test/*.js) into the tsx-mode file under test/*.ts ids', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-convert-'));
  try {
    const compiled: Report = {
      files: {
        'src/p.ts': { source: 'p', mutants: [mutant('1', 'Killed', ['0', '1'], ['1']), mutant('2', 'Survived', ['0'])] },
        'src/q.ts': { source: 'q', mutants: [mutant('3', 'NoCoverage', [])] },
      },
      testFiles: {
        'dist/test/p.test.js': { source: 'P-ts', tests: [{ id: '0', name: 'dist/test/p.test.js' }] },
        'dist/test/r.test.js': { source: 'R-ts', tests: [{ id: '1', name: 'dist/test/r.test.js' }] },
      },
    };
    const tsx: Report = {
      files: { 'src/old.ts': { source: 'o', mutants: [mutant('5', 'Killed', ['0'], ['0'])] } },
      testFiles: { 'test/p.test.ts': { source: 'P-old', tests: [{ id: '0', name: 'test/p.test.ts' }] } },
    };
    writeFileSync(join(dir, 'c.json'), JSON.stringify(compiled));
    writeFileSync(join(dir, 't.json'), JSON.stringify(tsx));
    const run = (...files: string[]) =>
      spawnSync(process.execPath, ['scripts/mutation-convert.mjs', '--from', join(dir, 'c.json'), '--into', join(dir, 't.json'), ...files], {
        encoding: 'utf8',
      });
    const r = run('src/p.ts');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /src\/p\.ts: 1 Killed, 1 Survived/);
    const out = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8')) as Report;
    assert.deepEqual(Object.keys(out.files).sort(), ['src/old.ts', 'src/p.ts']);
    const [killed, survived] = out.files['src/p.ts']!.mutants;
    assert.deepEqual(names(out, killed!.coveredBy), ['test/p.test.ts', 'test/r.test.ts']);
    assert.deepEqual(names(out, killed!.killedBy), ['test/r.test.ts']);
    assert.deepEqual(names(out, survived!.coveredBy), ['test/p.test.ts']);
    assert.deepEqual(out.files['src/old.ts']!.mutants[0]!.killedBy, ['0']);
    // The test files' sources are the ones the compiled run saw.
    assert.equal(out.testFiles!['test/p.test.ts']!.source, 'P-ts');
    assert.equal(out.testFiles!['test/r.test.ts']!.source, 'R-ts');
    assert.equal(JSON.stringify(out).includes('dist/'), false);

    // Without FILE: every file of the compiled report. A report without that file: refused.
    assert.equal(run().status, 0);
    const all = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8')) as Report;
    assert.deepEqual(Object.keys(all.files).sort(), ['src/old.ts', 'src/p.ts', 'src/q.ts']);
    const bad = run('src/none.ts');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /src\/none\.ts: no results/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
