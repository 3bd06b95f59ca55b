// Plan text fits a terminal: every line of every golden plan, and of a plan made of long names,
// is at most 80 columns wide; rows too wide for 80 put their reason on a line of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Change, Plan } from '../../src/model/plan.js';
import { summarisePlan, withReach } from '../../src/plan/summary.js';
import { parsePlanJson, renderPlanText } from '../../src/render/render-plan.js';
import { outputWidth, wrapText } from '../../src/render/wrap.js';

const GOLDEN_ROOT = join(process.cwd(), 'test', 'golden');
// test/golden/markdown and test/golden/junit hold other goldens (pull-request comments, JUnit XML), not plan cases.
const cases = readdirSync(GOLDEN_ROOT, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== 'markdown' && e.name !== 'junit').map((e) => e.name);

/** Columns of a line: code points (every character podnet writes is one column wide). */
const columns = (line: string): number => [...line].length;

function tooWide(text: string, width = 80): string[] {
  return text.split('\n').filter((line) => columns(line) > width);
}

test('every line of every golden plan.txt is at most 80 columns', () => {
  assert.ok(cases.length >= 10);
  for (const name of cases) {
    const text = readFileSync(join(GOLDEN_ROOT, name, 'plan.txt'), 'utf8');
    assert.deepEqual(tooWide(text), [], `test/golden/${name}/plan.txt`);
  }
});

test('the golden plans rendered again (with colour too) fit 80 columns, colour codes aside', () => {
  for (const name of cases) {
    const plan = parsePlanJson(readFileSync(join(GOLDEN_ROOT, name, 'plan.json'), 'utf8'));
    // eslint-disable-next-line no-control-regex -- stripping the renderer's own colour codes
    const coloured = renderPlanText(plan, { color: true }).replace(/\u001b\[\d+m/g, '');
    assert.equal(coloured, renderPlanText(plan, { color: false }), `${name}: colour changes nothing but colour`);
  }
});

const LONG_NODE = `node-${'a'.repeat(50)}-long-name`;
const LONG_PATH = `/opt/${'cni-plugins-of-a-vendor/'.repeat(4)}bin/podnet-with-a-really-long-name-that-goes-on`;

/** A plan of long things: a 61-character node name, a file path longer than a line, a refusal, a conflict. */
function longPlan(): Plan {
  const golden = parsePlanJson(readFileSync(join(GOLDEN_ROOT, 'refused-management', 'plan.json'), 'utf8'));
  const conflicts = parsePlanJson(readFileSync(join(GOLDEN_ROOT, 'bridge-no-alias', 'plan.json'), 'utf8')).nodes[0]?.conflicts ?? [];
  const node = golden.nodes[0];
  assert.ok(node !== undefined);
  const file: Change = {
    kind: 'file',
    key: LONG_PATH,
    action: 'update',
    before: { path: LONG_PATH, mode: '755', sha256: 'a'.repeat(64) },
    after: { path: LONG_PATH, role: 'cni-plugin', mode: '755', sha256: 'b'.repeat(64) },
    reason: { code: 'differs' },
    steps: [],
  };
  const nodes = [{ ...node, node: LONG_NODE, changes: [...node.changes, file], conflicts: conflicts.map((c) => ({ ...c, node: LONG_NODE })) }];
  return withReach({ ...golden, nodes, summary: summarisePlan(nodes) }, 40, 3);
}

test('a plan of long names fits 80 columns; nothing but spaces is lost', () => {
  const plan = longPlan();
  const text = renderPlanText(plan, { color: false });
  assert.deepEqual(tooWide(text), []);
  // The header breaks at a space; the long path is cut, never dropped.
  assert.match(text, new RegExp(`^${LONG_NODE} \\(192\\.168\\.1\\.11,\\n {2}pods 10\\.244\\.1\\.0/24\\)\\n`, 'm'));
  assert.ok(text.replace(/\n +/g, '').includes(LONG_PATH.replace(/ /g, '')), 'the path is all there');
  assert.match(text, /\n {6}\(content differs \(sha256 aaaaaaaaaaaa…, want bbbbbbbbbbbb…\)\)\n/);
  assert.match(text, /\nPlan incomplete: 3 of 40 nodes not reached\. On the 37 reached: \d+ to add, \d+ to\nchange, \d+ to destroy\. 1 conflict\./);
});

test('a wider terminal keeps rows on one line that 80 columns would break', () => {
  const plan = parsePlanJson(readFileSync(join(GOLDEN_ROOT, 'drifted', 'plan.json'), 'utf8'));
  const at80 = renderPlanText(plan, { color: false });
  const at100 = renderPlanText(plan, { color: false, width: 100 });
  assert.match(at80, /\n {2}~ route 10\.244\.2\.0\/24 via 192\.168\.1\.12\n {6}\(gateway is/);
  assert.match(at100, /\n {2}~ route 10\.244\.2\.0\/24 via 192\.168\.1\.12 {3}\(gateway is 192\.168\.1\.99, want 192\.168\.1\.12\)\n/);
  assert.deepEqual(tooWide(at100, 100), []);
  const narrow = renderPlanText(plan, { color: false, width: 50 });
  assert.deepEqual(tooWide(narrow, 50), []);
});

test('outputWidth: 80 for pipes and files, the terminal width (40–120) on a terminal', () => {
  assert.equal(outputWidth({}), 80);
  assert.equal(outputWidth({ isTTY: false, columns: 200 }), 80);
  assert.equal(outputWidth({ isTTY: true, columns: 100 }), 100);
  assert.equal(outputWidth({ isTTY: true, columns: 300 }), 120);
  assert.equal(outputWidth({ isTTY: true, columns: 20 }), 40);
  assert.equal(outputWidth({ isTTY: true }), 80);
});

test('wrapText: breaks at spaces, indents continuations, keeps line breaks, cuts only what cannot fit', () => {
  assert.deepEqual(wrapText('aaa bbb ccc', 9, '- ', '  '), ['- aaa bbb', '  ccc']);
  assert.deepEqual(wrapText('aaa bbb ccc', 80, '- ', '  '), ['- aaa bbb ccc']);
  assert.deepEqual(wrapText('one\ntwo', 80, '> ', '  '), ['> one', '  two']);
  assert.deepEqual(wrapText('x abcdefghijkl', 8, '', '  '), ['x', '  abcdef', '  ghijkl']);
  assert.deepEqual(wrapText('', 80, '  ', '  '), ['']);
});
