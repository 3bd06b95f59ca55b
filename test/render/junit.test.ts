// `verify -o junit` / `--junit FILE`: golden XML for the verify reports of the Markdown goldens, and
// its shape read back with a strict XML reader (well-formed, escaped, counts that add up).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { renderVerifyJunit, renderVerifyJunitError } from '../../src/render/junit.js';
import { summarizeChecks } from '../../src/render/verify-render.js';
import type { VerifyReport } from '../../src/model/verify.js';
import { VERIFY_CASES } from '../support/report-fixtures.js';
import { parseXml, type XmlElement } from '../support/xml.js';

const update = process.env['UPDATE_GOLDEN'] === '1';

function checkGolden(name: string, actual: string): void {
  const file = join(process.cwd(), 'test', 'golden', 'junit', name);
  if (update || !existsSync(file)) {
    writeFileSync(file, actual);
    if (!update) assert.fail(`${relative(process.cwd(), file)} did not exist; written — review it and run again`);
    return;
  }
  assert.equal(actual, readFileSync(file, 'utf8'), `${relative(process.cwd(), file)} differs (UPDATE_GOLDEN=1 rewrites it)`);
}

/** Every count attribute of <testsuites> and each <testsuite> equals what its test cases hold. */
function checkCounts(root: XmlElement): { tests: number; failures: number; skipped: number } {
  assert.equal(root.name, 'testsuites');
  const tally = (cases: XmlElement[]): { tests: number; failures: number; skipped: number } => ({
    tests: cases.length,
    failures: cases.filter((c) => c.children.some((x) => x.name === 'failure')).length,
    skipped: cases.filter((c) => c.children.some((x) => x.name === 'skipped')).length,
  });
  const attrs = (e: XmlElement): { tests: number; failures: number; skipped: number } => ({ tests: Number(e.attributes['tests']), failures: Number(e.attributes['failures']), skipped: Number(e.attributes['skipped']) });
  for (const suite of root.children) {
    assert.equal(suite.name, 'testsuite');
    for (const c of suite.children) {
      assert.equal(c.name, 'testcase');
      assert.ok(c.attributes['classname'] !== undefined && c.attributes['name'] !== undefined);
      assert.ok(c.children.length <= 1 && c.children.every((x) => x.name === 'failure' || x.name === 'skipped'));
      for (const f of c.children.filter((x) => x.name === 'failure')) assert.ok(f.attributes['message'] !== undefined && f.attributes['type'] !== undefined, 'a failure has a message and a type');
    }
    assert.deepEqual(attrs(suite), tally(suite.children), `counts of ${suite.attributes['name']}`);
  }
  const all = tally(root.children.flatMap((s) => s.children));
  assert.deepEqual(attrs(root), all);
  assert.equal(root.attributes['errors'], '0');
  return all;
}

describe('verify as JUnit XML', () => {
  for (const [name, report] of Object.entries(VERIFY_CASES)) {
    test(`${name}.xml`, () => {
      const xml = renderVerifyJunit(report());
      checkGolden(`${name}.xml`, xml);
      checkCounts(parseXml(xml));
    });
  }

  test('one test case per check and cell (node, or ordered pair), failures with their cause, not-run cells skipped', () => {
    const root = parseXml(renderVerifyJunit(VERIFY_CASES['verify-failures']!()));
    const counts = checkCounts(root);
    // 3 same-node cells + 4 cross-node cells + the cleanup case.
    assert.deepEqual(counts, { tests: 8, failures: 3, skipped: 0 });
    const cross = root.children.find((s) => s.attributes['name'] === 'podnet.verify.pod-to-pod-cross-node')!;
    assert.deepEqual(cross.children.map((c) => c.attributes['name']), ['node1 → node2', 'node2 → node1', 'node1 → node3', 'node3 → node1']);
    const failure = cross.children[1]!.children[0]!;
    assert.equal(failure.attributes['message'], 'no reply from 10.244.1.2 (each of 3 attempts failed)');
    assert.equal(failure.attributes['type'], 'pod-to-pod-cross-node');
    assert.match(failure.text, /^likely cause: ip_forward is off on node1$/m);
    const notRun = parseXml(renderVerifyJunit(VERIFY_CASES['verify-not-run']!()));
    assert.deepEqual(checkCounts(notRun), { tests: 7, failures: 1, skipped: 2 });
    const skipped = notRun.children.flatMap((s) => s.children).find((c) => c.attributes['name'] === 'node3 → node1')!;
    assert.equal(skipped.children[0]!.attributes['message'], 'not run: node1: no listener (install netcat-openbsd or socat)');
  });

  test('node text is escaped: the XML stays well-formed and reads back to the same words', () => {
    const evil = 'n<1>&"\'\u001b]0;x\u0007';
    const report: VerifyReport = {
      ...VERIFY_CASES['verify-failures']!(),
      nodes: [evil],
      checks: [{ id: 'mtu', title: 'MTU', status: 'failed', cells: [{ from: evil, to: 'b]]>', status: 'fail', detail: 'x < y && "z"', causes: ['a\nb'] }] }],
    };
    report.summary = summarizeChecks(report.checks);
    const xml = renderVerifyJunit(report);
    assert.ok(!xml.includes('\u001b') && !xml.includes('\u0007'));
    const cell = parseXml(xml).children[0]!.children[0]!;
    assert.equal(cell.attributes['name'], 'n<1>&"\'\\e]0;x\\x07 → b]]>');
    assert.equal(cell.children[0]!.attributes['message'], 'x < y && "z"');
    assert.match(cell.children[0]!.text, /likely cause: a\nb/, 'element text may keep line breaks');
  });

  test('when verify stops early: one failing test case saying why', () => {
    const xml = renderVerifyJunitError('cluster.yaml', 'cluster.yaml:3:5: nodes[0].address: "x" is not an IPv4 address');
    checkGolden('verify-error.xml', xml);
    const root = parseXml(xml);
    assert.deepEqual(checkCounts(root), { tests: 1, failures: 1, skipped: 0 });
    assert.equal(root.children[0]!.children[0]!.children[0]!.attributes['message'], 'cluster.yaml:3:5: nodes[0].address: "x" is not an IPv4 address');
  });

  test('the XML reader of these tests rejects what is not well-formed', () => {
    const head = '<?xml version="1.0" encoding="UTF-8"?>\n';
    for (const bad of ['<a><b></a></b>', '<a x="1 & 2"/>', '<a>1 < 2</a>', '<a>&nbsp;</a>', '<a/><b/>', '<a>', '<a x="1" x="2"/>', '<a>\u0007</a>']) {
      assert.throws(() => parseXml(head + bad), Error, bad);
    }
    assert.equal(parseXml(`${head}<a x="&lt;&#96;"><b>t&amp;</b></a>`).attributes['x'], '<`');
  });
});
