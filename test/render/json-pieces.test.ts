// JSON in pieces (src/render/json-pieces.ts, planJsonPieces, reportJsonPieces, src/cli/write-pieces.ts):
// the pieces join to exactly the text the one-string form writes — on every golden plan.json, and
// on values with the edge cases of JSON.stringify — and a plan whose JSON is longer than a
// JavaScript string can be (the one-string form throws RangeError) is written through a stream
// with backpressure without throwing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import type { Change, NodePlan, Plan } from '../../src/model/plan.js';
import { PLAN_FORMAT_VERSION } from '../../src/model/plan.js';
import { canonicalPlan, parsePlanJson, planJsonPieces, renderPlanJson, reportJsonPieces } from '../../src/render/render-plan.js';
import { chunked, prettyJsonPieces } from '../../src/render/json-pieces.js';
import { escapeJsonControl } from '../../src/render/terminal-safe.js';
import { writePieces, writePiecesToFile } from '../../src/cli/write-pieces.js';

const GOLDEN_ROOT = join(process.cwd(), 'test', 'golden');
const goldens = readdirSync(GOLDEN_ROOT, { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(join(GOLDEN_ROOT, e.name, 'plan.json')))
  .map((e) => e.name)
  .sort();

/** The report as podnet wrote it in one string before (diff -o json). */
function reportOneString(plan: Plan): string {
  const report = { plan: JSON.parse(renderPlanJson(plan)) as unknown, unreachable: {}, failed: { node9: 'gather failed' }, errors: {}, execs: { node1: 1 } };
  return escapeJsonControl(JSON.stringify(report, null, 2)) + '\n';
}

test('json pieces: every golden plan.json, in pieces, byte for byte; the diff -o json report too', () => {
  assert.ok(goldens.length >= 10, `found ${goldens.length} golden plans`);
  for (const name of goldens) {
    const text = readFileSync(join(GOLDEN_ROOT, name, 'plan.json'), 'utf8');
    const plan = parsePlanJson(text);
    const pieces = [...planJsonPieces(plan)];
    assert.ok(pieces.length > plan.nodes.length, `${name}: at least one piece per node`);
    assert.equal(pieces.join(''), text, `${name}: plan.json`);
    const report = { plan: canonicalPlan(plan), unreachable: {}, failed: { node9: 'gather failed' }, errors: {}, execs: { node1: 1 } };
    assert.equal([...reportJsonPieces(report)].join(''), reportOneString(plan), `${name}: report`);
  }
});

test('json pieces: the edge cases of JSON.stringify (omitted fields, empty containers, nulls, controls, nesting)', () => {
  const value = {
    a: undefined,
    b: [],
    c: {},
    d: [undefined, () => 1, null, 1, 'x', [], {}, [['y', 'z'], [1, 2]], { e: undefined }],
    'key "quoted"\n': 'line\nbreak \u0007 \u007f \u009b é 😀',
    f: () => 2,
    g: { toJSON: () => ({ h: [1, { i: 'j' }] }) },
    k: [{ l: [{ m: [{ n: ['o', 'p'] }] }] }],
    num: -0,
    big: 1e21,
    t: true,
  };
  for (let depth = 0; depth <= 6; depth++) {
    assert.equal([...prettyJsonPieces(value, depth)].join(''), JSON.stringify(value, null, 2), `depth ${depth}`);
  }
  assert.equal([...prettyJsonPieces([], 3)].join(''), '[]');
  assert.equal([...prettyJsonPieces('s', 3)].join(''), '"s"');
  assert.deepEqual([...chunked(['ab', 'cd', 'e'], 3)], ['abcd', 'e']);
  assert.deepEqual([...chunked(['a', 'bcd', 'e', 'f'], 3)], ['a', 'bcd', 'ef']);
});

/** A stream that counts what reaches it and takes it slowly (its buffer fills: backpressure). */
class CountingSink extends Writable {
  bytes = 0;
  chunks = 0;
  tail = '';
  constructor() {
    super({ highWaterMark: 1 << 20, decodeStrings: false });
  }
  override _write(chunk: string | Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.bytes += chunk.length;
    this.chunks++;
    this.tail = (this.tail + String(chunk.slice(-40))).slice(-40);
    setImmediate(done);
  }
}

/**
 * A plan of 600 nodes, each with one file change of 1 MiB: about 630 million characters of JSON,
 * past V8's longest string (2^29 - 24). The changes share one content string, so the test holds
 * little memory.
 */
function hugePlan(): Plan {
  const content = '#!/bin/sh\n'.padEnd(1 << 20, '#');
  const change: Change = {
    kind: 'file',
    key: '/opt/cni/bin/podnet',
    action: 'create',
    after: { path: '/opt/cni/bin/podnet', role: 'cni-plugin', mode: '755', sha256: 'a'.repeat(64) },
    reason: { code: 'missing' },
    steps: [{ run: 'install-file', path: '/opt/cni/bin/podnet', mode: '755', content }],
  } as Change;
  const nodes: NodePlan[] = Array.from({ length: 600 }, (_, i) => ({ node: `node${i + 1}`, address: `172.16.${i >> 8}.${i & 255}`, subnet: `10.${i >> 8}.${i & 255}.0/24`, changes: [change], conflicts: [] }));
  return { formatVersion: PLAN_FORMAT_VERSION, cluster: '/bench/cluster.yaml', nodes, summary: { add: 600, change: 0, destroy: 0, conflicts: 0, refused: 0 } };
}

test('json pieces: a plan longer than a JavaScript string is written through a slow stream without throwing', async () => {
  const plan = hugePlan();
  const report = { plan: canonicalPlan(plan), unreachable: {}, failed: {}, errors: {}, execs: {} };
  const sink = new CountingSink();
  await writePieces(sink, reportJsonPieces(report));
  await new Promise<void>((resolve) => sink.end(resolve));
  const contentJson = JSON.stringify(plan.nodes[0]!.changes[0]!.steps[0]).length;
  assert.ok(sink.bytes > 600 * contentJson, `${sink.bytes} characters written`);
  assert.ok(sink.bytes > 2 ** 29, `${sink.bytes} characters: more than one string holds`);
  assert.ok(sink.chunks >= 600, `${sink.chunks} writes`);
  assert.match(sink.tail, /"execs": \{\}\n\}\n$/);
});

test('json pieces: --out writes a plan to a file in pieces, equal to the one-string form', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-json-pieces-'));
  try {
    for (const name of goldens.slice(0, 3)) {
      const text = readFileSync(join(GOLDEN_ROOT, name, 'plan.json'), 'utf8');
      const out = join(dir, `${name}.json`);
      writePiecesToFile(out, planJsonPieces(parsePlanJson(text)));
      assert.equal(readFileSync(out, 'utf8'), text);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
