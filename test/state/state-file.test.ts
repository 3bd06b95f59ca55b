// podnet's state file: the record as text, its parser (usable records and every kind of damage, from
// fixtures), the gather's `state_file` section, and the gather command run by a real sh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STATE_FILE_PATH, parseStateFileSection, parseStateRecord, renderStateRecord } from '../../src/state/state-file.js';
import { stateFileGatherCommand } from '../../src/scripts/gather-script.js';
import { sectionMarker, splitSections } from '../../src/scripts/sections.js';
import type { StateRecord } from '../../src/model/types.js';

const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'state-file');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

/** The section body the gather prints for a file of this content. */
const present = (content: string): string => `present\n${content.split('\n').filter((l, i, all) => i < all.length - 1 || l !== '').map((l) => `|${l}`).join('\n')}\n`;

test('a recorded state file is read with every field', () => {
  const parsed = parseStateRecord(fixture('recorded.json'));
  assert.deepEqual(parsed, {
    ok: true,
    record: {
      formatVersion: 1,
      podnetVersion: '0.1.0',
      node: 'node1',
      cluster: 'cluster.yaml',
      clusterDigest: B,
      time: '2026-12-03T21:00:00.000Z',
      controller: 'root@ctl',
      objects: { 'route 10.244.2.0/24': A, 'sysctl net.ipv4.ip_forward': A },
    },
  });
  const minimal = parseStateRecord(fixture('recorded-minimal.json'));
  assert.ok(minimal.ok);
  assert.equal(minimal.record.cluster, undefined);
  assert.equal(minimal.record.clusterDigest, undefined);
});

test('every damaged state file is told apart, with why', () => {
  const cases: Record<string, RegExp> = {
    'truncated.json': /not JSON/,
    'empty.json': /empty/,
    'future-version.json': /formatVersion 2 is not 1/,
    'bad-digest.json': /digest of "route 10\.244\.2\.0\/24" is not a SHA-256/,
    'objects-array.json': /`objects` is not an object/,
    'bad-time.json': /`time` is not a time/,
    'no-controller.json': /`controller` is not a string/,
    'array.json': /not a JSON object/,
  };
  for (const [name, why] of Object.entries(cases)) {
    const parsed = parseStateRecord(fixture(name));
    assert.equal(parsed.ok, false, name);
    if (!parsed.ok) assert.match(parsed.problem, why, name);
  }
});

test('the record is one line of JSON, the same bytes for the same record, and reads back', () => {
  const record: StateRecord = {
    formatVersion: 1,
    podnetVersion: '0.1.0',
    node: 'node2',
    cluster: 'c.yaml',
    clusterDigest: B,
    time: '2026-12-03T21:00:00.000Z',
    controller: 'ops@ctl',
    objects: { 'sysctl net.ipv4.ip_forward': A, 'link v-net-0': B },
  };
  const text = renderStateRecord(record);
  assert.equal(text.split('\n').length, 2);
  assert.ok(text.endsWith('\n'));
  // Objects in key order, whatever order they were built in.
  assert.equal(renderStateRecord({ ...record, objects: { 'link v-net-0': B, 'sysctl net.ipv4.ip_forward': A } }), text);
  assert.ok(text.indexOf('link v-net-0') < text.indexOf('sysctl'));
  assert.deepEqual(parseStateRecord(text), { ok: true, record });
});

test("the gather's section: present, missing, unreadable, not a file, garbled", () => {
  const recorded = parseStateFileSection(present(fixture('recorded.json')));
  assert.equal(recorded.state, 'recorded');
  assert.deepEqual(parseStateFileSection('missing\n'), { state: 'missing' });
  assert.deepEqual(parseStateFileSection('unreadable\n'), { state: 'damaged', problem: 'it cannot be read' });
  assert.deepEqual(parseStateFileSection('not-a-file\n'), { state: 'damaged', problem: 'it is not a regular file' });
  assert.equal(parseStateFileSection('').state, 'damaged');
  assert.deepEqual(parseStateFileSection('present\nno bar in front\n'), { state: 'damaged', problem: 'the gather printed it garbled' });
  const damaged = parseStateFileSection(present(fixture('truncated.json')));
  assert.deepEqual(damaged, { state: 'damaged', problem: 'it is not JSON' });
  assert.deepEqual(parseStateFileSection('present\n'), { state: 'damaged', problem: 'it is empty' });
});

test('the gather command, run by sh, reads the file so that no line of it passes for a marker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-state-file-'));
  try {
    const run = (path: string): ReturnType<typeof parseStateFileSection> => {
      const r = spawnSync('sh', ['-c', `${sectionMarker('state_file')}; ${stateFileGatherCommand(path)}\n${sectionMarker('end')}`], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const sections = splitSections(r.stdout);
      assert.deepEqual(sections.map((s) => s.name), ['state_file', 'end']);
      return parseStateFileSection(sections[0]!.body);
    };
    const file = join(dir, 'state.json');
    assert.deepEqual(run(file), { state: 'missing' });
    writeFileSync(file, fixture('recorded.json'));
    assert.deepEqual(run(file), parseStateFileSection(present(fixture('recorded.json'))));
    // Without its last newline, and a line that would be a marker: still one section, damaged.
    writeFileSync(file, fixture('recorded.json').trimEnd());
    assert.equal(run(file).state, 'recorded');
    writeFileSync(file, '{\n@@podnet end\n');
    assert.deepEqual(run(file), { state: 'damaged', problem: 'it is not JSON' });
    rmSync(file);
    mkdirSync(file);
    assert.deepEqual(run(file), { state: 'damaged', problem: 'it is not a regular file' });
    rmSync(file, { recursive: true });
    symlinkSync(join(dir, 'nowhere'), file);
    assert.deepEqual(run(file), { state: 'damaged', problem: 'it is not a regular file' });
    rmSync(file);
    if (process.getuid?.() !== 0) {
      writeFileSync(file, fixture('recorded.json'));
      chmodSync(file, 0o000);
      assert.deepEqual(run(file), { state: 'damaged', problem: 'it cannot be read' });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the gather command refuses a path that is not a plain absolute path', () => {
  assert.throws(() => stateFileGatherCommand('relative/state.json'), /unsafe state file path/);
  assert.throws(() => stateFileGatherCommand('/var/lib/podnet/$(reboot)'), /unsafe state file path/);
  assert.match(stateFileGatherCommand(), new RegExp(STATE_FILE_PATH.replaceAll('/', '\\/')));
});
