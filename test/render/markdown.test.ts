// `-o markdown` of diff, apply and verify: golden files under test/golden/markdown (plans read from
// the plan goldens, so the Markdown follows the planner), escaping, byte stability and the size guard.
// UPDATE_GOLDEN=1 rewrites the expected files (review the diff).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { escapeMarkdown, MARKDOWN_BUDGET, renderPlanMarkdown, renderVerifyMarkdown } from '../../src/render/markdown.js';
import { goldenPlan, NONE, PLAN_CASES, VERIFY_CASES } from '../support/report-fixtures.js';

const GOLDEN = join(process.cwd(), 'test', 'golden');

const update = process.env['UPDATE_GOLDEN'] === '1';

function checkGolden(name: string, actual: string): void {
  const file = join(GOLDEN, 'markdown', name);
  if (update || !existsSync(file)) {
    writeFileSync(file, actual);
    if (!update) assert.fail(`${relative(process.cwd(), file)} did not exist; written — review it and run again`);
    return;
  }
  assert.equal(actual, readFileSync(file, 'utf8'), `${relative(process.cwd(), file)} differs (UPDATE_GOLDEN=1 rewrites it)`);
}

describe('markdown goldens', () => {
  for (const [name, input] of Object.entries(PLAN_CASES)) {
    test(name, () => {
      const text = renderPlanMarkdown(input());
      checkGolden(name, text);
      assert.equal(renderPlanMarkdown(input()), text, 'the same input gives the same bytes');
    });
  }
  for (const [name, report] of Object.entries(VERIFY_CASES)) {
    test(`${name}.md`, () => checkGolden(`${name}.md`, renderVerifyMarkdown(report())));
  }
});

describe('markdown', () => {
  test('opens with one summary line, then the per-node table', () => {
    const lines = renderPlanMarkdown(PLAN_CASES['diff-drift.md']!()).split('\n');
    assert.match(lines[0]!, /^📝 \*\*podnet diff\*\* .*Plan: 2 to add, 3 to change, 1 to destroy\. Drift: 2 objects changed outside of podnet\.$/);
    assert.equal(lines[1], '');
    assert.match(lines[2]!, /^\| node \| address \| pod subnet \| add \| change \| destroy \| drift \| status \|$/);
  });

  test('drift has its own section, before the changes cluster.yaml asks for, and a drifted change is not repeated there', () => {
    const text = renderPlanMarkdown(PLAN_CASES['diff-drift.md']!());
    const drift = text.indexOf('### Drift: objects changed outside of podnet');
    const changes = text.indexOf('### Changes cluster.yaml asks for');
    assert.ok(drift > 0 && changes > drift, text);
    const driftPart = text.slice(drift, changes);
    assert.match(driftPart, /link v-net-0/);
    assert.doesNotMatch(text.slice(changes), /link v-net-0/);
    assert.match(text.slice(changes), /route 10\.244\.3\.0\/24/);
  });

  test('without origins (an older plan, destroy) there is no drift column nor section', () => {
    const text = renderPlanMarkdown(PLAN_CASES['diff-changes.md']!());
    assert.doesNotMatch(text, /drift/i);
    assert.match(text, /### Changes\n/);
  });

  test('a node name cannot break the table, open a tag, start code or mention someone', () => {
    const plan = goldenPlan('converged');
    const evil = 'n|1<img src=x>`@team #1 *b* [l](u) ~s~\\\u001b]0;t\u0007';
    const nodes = plan.nodes.map((n, i) => (i === 0 ? { ...n, node: evil } : n));
    const text = renderPlanMarkdown({ command: 'diff', plan: { ...plan, nodes }, notGathered: { ...NONE, unreachable: { [evil]: 'a | b <c>' } } });
    const lines = text.split('\n');
    const row = lines.find((l) => l.startsWith('| n&'))!;
    assert.equal(row.split('|').length, lines[2]!.split('|').length, `as many cells as the header: ${row}`);
    for (const raw of ['<img', '`@', '@team', ' #1', '*b*', '[l]', '~s~', '\u001b', '\u0007', 'a | b', '<c>']) assert.ok(!text.includes(raw), `${JSON.stringify(raw)} in ${text}`);
    assert.equal(escapeMarkdown('a|b<c>&`d`'), 'a&#124;b&lt;c&gt;&amp;&#96;d&#96;');
  });

  test('the size guard: details beyond the budget are cut with a clear line; the summary and the table stay', () => {
    // 400 nodes of from-scratch: far more than a comment may hold.
    const base = goldenPlan('from-scratch');
    const nodes = Array.from({ length: 400 }, (_, i) => ({ ...base.nodes[i % 3]!, node: `node${i + 1}` }));
    const plan = { ...base, nodes };
    const full = renderPlanMarkdown({ command: 'diff', plan }, { budget: Number.MAX_SAFE_INTEGER });
    assert.ok(full.length > 65_536, `the uncut text is ${full.length} characters`);
    const cut = renderPlanMarkdown({ command: 'diff', plan });
    assert.ok(cut.length <= 65_536, `${cut.length} characters`);
    assert.ok(cut.length > MARKDOWN_BUDGET / 2, 'the budget is used');
    for (let i = 1; i <= 400; i++) assert.match(cut, new RegExp(`^\\| node${i} \\|`, 'm'), `node${i} keeps its row`);
    assert.match(cut, /\n\*\*Truncated:\*\* \d+ of 400 detail blocks left out to stay within GitHub's limit of 65,536 characters per comment; run `podnet diff` for all of it\.\n$/);
    assert.equal((cut.match(/<details>/g) ?? []).length, (cut.match(/<\/details>/g) ?? []).length, 'every block is closed');
    const small = renderPlanMarkdown({ command: 'diff', plan: base }, { budget: 700 });
    assert.match(small, /_… the rest of this block is left out\._\n\n<\/details>/);
    assert.equal(renderPlanMarkdown({ command: 'diff', plan: base }), renderPlanMarkdown({ command: 'diff', plan: base }, { budget: 10_000 }), 'a plan within the budget is not cut');
  });

  test('verify: a summary line and a table of checks; failures with their causes in details', () => {
    const text = renderVerifyMarkdown(VERIFY_CASES['verify-failures']!());
    assert.match(text.split('\n')[0]!, /^❌ \*\*podnet verify\*\* cluster\.yaml: network NOT verified — 1 passed, 1 failed, 0 not run/);
    assert.match(text, /<summary>pod → pod across nodes: 2 failed<\/summary>/);
    assert.match(text, /- ❌ node2 → node1: no reply from 10\.244\.1\.2 \(each of 3 attempts failed\)\n {2}- likely cause: ip&#95;forward is off on node1/);
  });
});
