// `podnet graph` as a user runs it: Mermaid by default (the golden file's bytes), DOT, SVG through
// Graphviz when dot is installed, --verify colouring, and clear errors for a bad report or no dot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPodnet } from '../support/cli.js';
import { needs } from '../support/needs.js';
import { dotToSvg, readVerifyReport } from '../../src/cli/graph-command.js';
import { UserError } from '../../src/model/errors.js';

const HOST_GW = 'test/golden-graph/host-gw';
const VERIFY = 'test/golden-graph/verify';

/** The golden file with its source line made the path the CLI was given. */
function golden(dir: string, name: string): string {
  return readFileSync(join(dir, name), 'utf8').replace(/^(%%|\/\/) podnet graph cluster\.yaml$/m, `$1 podnet graph ${dir}/cluster.yaml`);
}

test('podnet graph writes Mermaid by default and DOT with --format dot: the golden bytes', () => {
  const mermaid = runPodnet('graph', `${HOST_GW}/cluster.yaml`);
  assert.equal(mermaid.code, 0, mermaid.stderr);
  assert.equal(mermaid.stdout, golden(HOST_GW, 'graph.mmd'));
  const dot = runPodnet('graph', `${HOST_GW}/cluster.yaml`, '--format', 'dot');
  assert.equal(dot.code, 0, dot.stderr);
  assert.equal(dot.stdout, golden(HOST_GW, 'graph.dot'));
});

test('podnet graph --verify colours the edges by the report', () => {
  const r = runPodnet('graph', `${VERIFY}/cluster.yaml`, '--verify', `${VERIFY}/verify.json`, '--format', 'dot');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, golden(VERIFY, 'graph.dot'));
});

test('a bad --verify report or format is refused with a clear error and no picture', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-graph-'));
  try {
    writeFileSync(join(dir, 'plan.json'), '{"formatVersion": 2, "nodes": []}');
    writeFileSync(join(dir, 'broken.json'), '{');
    for (const [file, message] of [
      ['plan.json', /plan\.json: not a podnet verify report \(podnet verify -o json, formatVersion 1\)/],
      ['broken.json', /broken\.json: not JSON/],
      ['missing.json', /cannot read the verify report .*missing\.json: ENOENT/],
    ] as const) {
      const r = runPodnet('graph', `${HOST_GW}/cluster.yaml`, '--verify', join(dir, file));
      assert.equal(r.code, 1, file);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
    }
    writeFileSync(join(dir, 'cells.json'), JSON.stringify({ formatVersion: 1, checks: [{ id: 'mtu', cells: [{ from: 'a', status: 'pass' }] }] }));
    assert.throws(() => readVerifyReport(join(dir, 'cells.json')), /a check without cells of from, to and status/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const r = runPodnet('graph', `${HOST_GW}/cluster.yaml`, '--format', 'png');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /argument 'png' is invalid\. Allowed choices are mermaid, dot, svg/);
});

test('svg needs Graphviz: without dot on PATH, a clear error', () => {
  assert.throws(() => dotToSvg('digraph {}', 'podnet-test-no-such-dot'), (err: unknown) => err instanceof UserError && /needs Graphviz's podnet-test-no-such-dot on PATH \(apt-get install graphviz\)/.test(err.message));
});

test('podnet graph --format svg draws through Graphviz', { skip: needs('graphviz') }, () => {
  const r = runPodnet('graph', `${VERIFY}/cluster.yaml`, '--verify', `${VERIFY}/verify.json`, '--format', 'svg');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /<svg [^>]*>/);
  assert.match(r.stdout, /<\/svg>\s*$/);
  for (const text of ['node1', 'router', '10.244.2.0/24']) assert.ok(r.stdout.includes(`>${text}</text>`), text);
  assert.match(r.stdout, />[^<]* verify failed<\/text>/, 'the legend');
  assert.ok(r.stdout.includes('stroke="#d62728"'), 'a failed route in red');
});
