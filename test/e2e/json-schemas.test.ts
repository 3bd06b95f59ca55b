// Every command's JSON, from the real CLI on a real 3-node lab, matches its published schema
// (schemas/*.schema.json); and diff -o markdown and verify --junit on the same lab. Needs root.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { labDown, labUp, type LabInfo } from '../../src/lab/lab.js';
import { runPodnet, type CliResult } from '../support/cli.js';
import { needs } from '../support/needs.js';
import { assertValid } from '../support/schemas.js';
import { parseXml } from '../support/xml.js';

const requirement = needs('root', 'netns', 'sshd', 'iptables');

function json(r: CliResult, what: string): unknown {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`${what}: not JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

describe('JSON schemas against the real CLI on a lab', { skip: requirement, timeout: 240_000 }, () => {
  const name = `md${randomBytes(3).toString('hex')}`;
  let lab: LabInfo;
  let tmp: string;

  before(async () => {
    lab = await labUp({ name, nodes: 3 });
    tmp = mkdtempSync(join(tmpdir(), 'podnet-schemas-'));
  });

  after(async () => {
    await labDown(name);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('validate, diff, diff --out, apply, diff -o markdown, verify (with --junit), pod add/list/del, lab status, destroy --check, destroy', () => {
    const file = lab.clusterFile;
    const check = (schema: string, args: string[], code: number | null): unknown => {
      const r = runPodnet(...args);
      assert.equal(r.code, code, `podnet ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
      const doc = json(r, args.join(' '));
      assertValid(schema, doc, `podnet ${args.join(' ')}`);
      return doc;
    };
    check('validate-report.schema.json', ['validate', file, '-o', 'json'], 0);
    check('plan-report.schema.json', ['diff', file, '-o', 'json', '--accept-new-hosts'], 2);
    const out = join(tmp, 'plan.json');
    assert.equal(runPodnet('diff', file, '--out', out).code, 2);
    assertValid('plan.schema.json', JSON.parse(readFileSync(out, 'utf8')), 'diff --out');
    const applied = check('run-report.schema.json', ['apply', file, '-o', 'json'], 0) as { results: { status: string }[] };
    assert.deepEqual(applied.results.map((r) => r.status), ['converged', 'converged', 'converged']);
    check('plan-report.schema.json', ['diff', file, '-o', 'json'], 0);

    const md = runPodnet('diff', file, '-o', 'markdown');
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /^✅ \*\*podnet diff\*\* .*Plan: 0 to add, 0 to change, 0 to destroy\. In sync\.\n\n\| node \|/);

    const junit = join(tmp, 'verify.xml');
    const verify = check('verify-report.schema.json', ['verify', file, '-o', 'json', '--junit', junit], 0) as { checks: { cells: unknown[] }[] };
    const xml = parseXml(readFileSync(junit, 'utf8'));
    const cells = verify.checks.reduce((n, c) => n + c.cells.length, 0);
    assert.equal(xml.attributes['tests'], String(cells + 1), 'a test case per cell, and the cleanup');
    assert.equal(xml.attributes['failures'], '0');

    check('pod-add.schema.json', ['pod', 'add', file, 'node1', 'sch-a', '-o', 'json'], 0);
    check('pod-list.schema.json', ['pod', 'list', file, '-o', 'json'], 0);
    check('pod-del.schema.json', ['pod', 'del', file, 'node1', 'sch-a', '-o', 'json'], 0);
    check('lab-status.schema.json', ['lab', 'status', '-o', 'json'], 0);
    check('plan-report.schema.json', ['destroy', file, '--check', '-o', 'json'], 2);
    check('run-report.schema.json', ['destroy', file, '-o', 'json'], 0);
  });
});
