// The record of the files' digests (src/scripts/files-record.ts), run by a real POSIX sh on files in a
// temp dir: the apply's write, then the gather's two sections, with a sha256sum on PATH that logs
// each call before running the real one. No root.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filesDigestGatherSections, renderFilesRecordWrite } from '../../src/scripts/files-record.js';
import { parseObservedFiles, splitGatherOutput } from '../../src/scripts/gather-script.js';
import { sectionMarker } from '../../src/scripts/sections.js';
import { sha256Hex } from '../../src/state/sha256.js';

describe('the record of the files\' digests, in sh', () => {
  let dir = '';
  let bin = '';
  let log = '';
  let record = '';
  let plugin = '';
  let conflist = '';
  let paths: string[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pnrecord-'));
    bin = join(dir, 'bin');
    mkdirSync(bin);
    log = join(dir, 'sha256sum.log');
    writeFileSync(join(bin, 'sha256sum'), `#!/bin/sh\nprintf '%s\\n' "$*" >> ${log}\nexec /usr/bin/sha256sum "$@"\n`, { mode: 0o755 });
    record = join(dir, 'state', 'files.stat');
    plugin = join(dir, 'opt', 'podnet');
    conflist = join(dir, 'etc', '10-podnet.conflist');
    paths = [plugin, conflist];
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => {
    rmSync(join(dir, 'opt'), { recursive: true, force: true });
    rmSync(join(dir, 'etc'), { recursive: true, force: true });
    rmSync(join(dir, 'state'), { recursive: true, force: true });
    mkdirSync(join(dir, 'opt'));
    mkdirSync(join(dir, 'etc'));
    writeFileSync(plugin, '#!/bin/sh\n# podnet CNI plugin\n', { mode: 0o755 });
    writeFileSync(conflist, '{"name":"podnet"}\n', { mode: 0o644 });
    writeFileSync(log, '');
  });

  function sh(script: string): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync('sh', ['-s'], { input: script, encoding: 'utf8', timeout: 10_000, env: { PATH: `${bin}:/usr/bin:/bin` } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }
  const writeRecord = (settle = true, files = paths): void => {
    const r = sh(renderFilesRecordWrite(files, settle, 'test', record));
    assert.equal(r.status, 0, r.stderr);
  };
  /** The gather's `files` section (as gather-script renders it) and the two sections under test. */
  const gather = (): { files: ReturnType<typeof parseObservedFiles>; hashed: string[] } => {
    writeFileSync(log, '');
    const script = [
      `set --; for f in ${paths.join(' ')}; do [ -f "$f" ] && set -- "$@" "$f"; done`,
      `${sectionMarker('files')}; [ $# -eq 0 ] || printf '%s\\n' "$@"`,
      ...filesDigestGatherSections(record).map(([name, command]) => `${sectionMarker(name)}; ${command}`),
      sectionMarker('end'),
    ].join('\n');
    const r = sh(script);
    assert.equal(r.status, 0, r.stderr);
    const hashed = readFileSync(log, 'utf8').split('\n').filter(Boolean).flatMap((line) => line.split(' ').filter((w) => w !== '--'));
    return { files: parseObservedFiles(paths, splitGatherOutput(r.stdout).byName), hashed };
  };
  const truth = (): Array<{ path: string; sha256: string; mode: string }> => [
    { path: plugin, sha256: sha256Hex(readFileSync(plugin, 'utf8')), mode: '755' },
    { path: conflist, sha256: sha256Hex(readFileSync(conflist, 'utf8')), mode: '644' },
  ];
  const seen = (files: ReturnType<typeof parseObservedFiles>): Array<{ path: string; sha256: string | null; mode?: string }> =>
    files.map((f) => ({ path: f.path, sha256: f.sha256, ...(f.mode !== undefined ? { mode: f.mode } : {}) }));

  it('without a record, the gather hashes every file', () => {
    const { files, hashed } = gather();
    assert.deepEqual(seen(files), truth());
    assert.deepEqual(hashed, paths);
  });

  it('the apply writes the record (mode 0600): then the gather reads the digests from it and starts no sha256sum', () => {
    writeRecord();
    assert.equal(statSync(record).mode & 0o777, 0o600);
    const lines = readFileSync(record, 'utf8').split('\n');
    assert.equal(lines[0], 'podnet-files 1');
    assert.match(lines[1]!, /^\d+\.\d{9}$/);
    assert.equal(lines.filter(Boolean).length, 4);
    const { files, hashed } = gather();
    assert.deepEqual(seen(files), truth());
    assert.deepEqual(hashed, []);
    assert.ok(!existsSync(join(dir, 'state', '.podnet.testr')), 'no temporary file left');
  });

  it('a file rewritten in place with content of the same size is hashed again (its ctime moved)', () => {
    writeRecord();
    writeFileSync(conflist, '{"name":"podneT"}\n');
    const { files, hashed } = gather();
    assert.deepEqual(hashed, [conflist]);
    assert.deepEqual(seen(files), truth());
  });

  it('a file replaced by rename, or only chmod-ed, is hashed again', () => {
    writeRecord();
    const other = join(dir, 'opt', 'new');
    writeFileSync(other, readFileSync(plugin, 'utf8'), { mode: 0o755 });
    renameSync(other, plugin);
    chmodSync(conflist, 0o600);
    const { files, hashed } = gather();
    assert.deepEqual(hashed, paths);
    assert.equal(files[1]!.mode, '600');
  });

  it('a file whose ctime is not before the record began is hashed (racy: changed in the same clock tick)', () => {
    // The record says it began at the file's own ctime: "not strictly before" must not be trusted.
    writeRecord();
    const lines = readFileSync(record, 'utf8').split('\n');
    const ctime = lines[3]!.split(' ')[3]!;
    writeFileSync(record, [lines[0], ctime, lines[2], lines[3], ''].join('\n'));
    // (the plugin, written just before it, may share its clock tick: then it is hashed too)
    const { files, hashed } = gather();
    assert.ok(hashed.includes(conflist), hashed.join(' '));
    assert.deepEqual(seen(files), truth());
  });

  it('a damaged record is never trusted: wrong header, a digest that is not 64 hex digits, a moment without nanoseconds', () => {
    writeRecord();
    const good = readFileSync(record, 'utf8');
    const lines = good.split('\n');
    const cases: Array<[string, string]> = [
      ['header', ['podnet-files 2', ...lines.slice(1)].join('\n')],
      ['short digest', [lines[0], lines[1], lines[2]!.replace(/ \w+$/, ' abc'), lines[3]!.replace(/ \w+$/, ' abc'), ''].join('\n')],
      ['upper-case digest', [lines[0], lines[1], lines[2]!.replace(/ (\w+)$/, (_, d: string) => ` ${d.toUpperCase()}`), lines[3]!.replace(/ (\w+)$/, (_, d: string) => ` ${d.toUpperCase()}`), ''].join('\n')],
      ['whole seconds', [lines[0], `${lines[1]!.split('.')[0]!}.000000000`, lines[2], lines[3], ''].join('\n')],
      ['no moment', [lines[0], 'soon', lines[2], lines[3], ''].join('\n')],
      ['empty', ''],
    ];
    for (const [name, text] of cases) {
      writeFileSync(record, text);
      const { files, hashed } = gather();
      assert.deepEqual(hashed, paths, name);
      assert.deepEqual(seen(files), truth(), name);
    }
  });

  it('a digest recorded for another stat line (another inode, size or mode) is not used', () => {
    writeRecord();
    const lines = readFileSync(record, 'utf8').split('\n');
    // The conflist's line with a wrong digest but its own stat line: trusted (the record is the truth)...
    const wrong = 'f'.repeat(64);
    writeFileSync(record, [lines[0], lines[1], lines[2], lines[3]!.replace(/ \w+$/, ` ${wrong}`), ''].join('\n'));
    assert.equal(gather().files[1]!.sha256, wrong);
    // ...and the same digest under a stat line that is not the file's now: hashed.
    writeFileSync(record, [lines[0], lines[1], lines[2], lines[3]!.replace(/^(\d+) (\d+)/, (_, m: string, i: string) => `${m} ${String(Number(i) + 1)}`), ''].join('\n'));
    const { files, hashed } = gather();
    assert.deepEqual(hashed, [conflist]);
    assert.deepEqual(seen(files), truth());
  });

  it('no file there: the write records nothing and starts no sha256sum (which would read its stdin)', () => {
    rmSync(plugin);
    rmSync(conflist);
    writeRecord();
    assert.ok(!existsSync(record));
    assert.equal(readFileSync(log, 'utf8'), '');
    assert.deepEqual(gather().hashed, []);
  });

  it('only the files that exist are recorded', () => {
    rmSync(conflist);
    writeRecord();
    assert.equal(readFileSync(record, 'utf8').split('\n').filter(Boolean).length, 3);
    writeFileSync(conflist, '{"name":"podnet"}\n');
    const { files, hashed } = gather();
    assert.deepEqual(hashed, [conflist]);
    assert.deepEqual(seen(files), truth());
  });
});
