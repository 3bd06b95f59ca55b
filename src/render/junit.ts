// `verify -o junit` and `verify --junit FILE`: the verify report as JUnit XML for CI systems
// (GitHub, GitLab, Jenkins read it). One <testsuite> per check, one <testcase> per cell of it (a
// node, or an ordered node pair, or node → egress target); a failed cell is a <failure> carrying
// the probe's words as its message and the likely causes as its text; a cell not run is <skipped>.
// Unreachable nodes and probe pods left behind fail test cases of their own. When verify stops
// before it has a report (bad cluster.yaml, an internal error, Ctrl-C), one failing test case says
// why. No times: the same report gives the same bytes. Pure.
import type { VerifyCell, VerifyCheck, VerifyReport } from '../model/verify.js';
import { escapeControl } from './terminal-safe.js';

interface TestCase {
  classname: string;
  name: string;
  outcome: { kind: 'pass' } | { kind: 'failure'; message: string; type: string; text: string } | { kind: 'skipped'; message: string };
}

interface Suite {
  name: string;
  cases: TestCase[];
}

const XML_ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/**
 * Text for an XML attribute or element: control characters (which XML 1.0 does not allow, or
 * which parsers fold in attributes) written as escapes, markup characters as entities.
 */
export function escapeXml(text: string): string {
  return escapeControl(text).replace(/[&<>"']/g, (ch) => XML_ENTITY[ch] ?? ch);
}

/** The prefix of every suite and class name. */
const PREFIX = 'podnet.verify';

function cellName(cell: VerifyCell): string {
  return cell.from === cell.to ? cell.from : `${cell.from} → ${cell.to}`;
}

function cellCase(check: VerifyCheck, cell: VerifyCell): TestCase {
  const classname = `${PREFIX}.${check.id}`;
  const name = cellName(cell);
  if (cell.status === 'pass') return { classname, name, outcome: { kind: 'pass' } };
  if (cell.status === 'not-run') return { classname, name, outcome: { kind: 'skipped', message: `not run: ${cell.reason ?? 'unknown reason'}` } };
  const tries = cell.attempts !== undefined && cell.attempts > 1 ? ` (each of ${cell.attempts} attempts failed)` : '';
  const text = [
    `${check.title}: ${name}`,
    ...(cell.probe !== undefined ? [`probe: ${cell.probe}`] : []),
    ...(cell.causes ?? []).map((cause) => `likely cause: ${cause}`),
    ...(cell.checked ?? []).map((fact) => `checked: ${fact}`),
    ...((cell.causes ?? []).length === 0 ? ['no cause found in the gathered state'] : []),
  ].join('\n');
  return { classname, name, outcome: { kind: 'failure', message: `${cell.detail ?? 'failed'}${tries}`, type: check.id, text } };
}

function checkSuite(check: VerifyCheck): Suite {
  const cases = check.cells.map((cell) => cellCase(check, cell));
  // A check without cells still shows: it did not run (or had nothing to probe).
  if (cases.length === 0) {
    cases.push({
      classname: `${PREFIX}.${check.id}`,
      name: check.title,
      outcome: check.status === 'passed' ? { kind: 'pass' } : check.status === 'failed' ? { kind: 'failure', message: 'failed', type: check.id, text: check.title } : { kind: 'skipped', message: 'not run: no cell of this check ran' },
    });
  }
  return { name: `${PREFIX}.${check.id}`, cases };
}

function renderSuites(name: string, suites: readonly Suite[]): string {
  const count = (cases: readonly TestCase[], kind: TestCase['outcome']['kind']): number => cases.filter((c) => c.outcome.kind === kind).length;
  const all = suites.flatMap((s) => s.cases);
  const counts = (cases: readonly TestCase[]): string => `tests="${cases.length}" failures="${count(cases, 'failure')}" errors="0" skipped="${count(cases, 'skipped')}"`;
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="${escapeXml(name)}" ${counts(all)}>`];
  for (const suite of suites) {
    lines.push(`  <testsuite name="${escapeXml(suite.name)}" ${counts(suite.cases)}>`);
    for (const c of suite.cases) {
      const open = `    <testcase classname="${escapeXml(c.classname)}" name="${escapeXml(c.name)}"`;
      const outcome = c.outcome;
      if (outcome.kind === 'pass') lines.push(`${open}/>`);
      else if (outcome.kind === 'skipped') lines.push(`${open}>`, `      <skipped message="${escapeXml(outcome.message)}"/>`, '    </testcase>');
      else lines.push(`${open}>`, `      <failure message="${escapeXml(outcome.message)}" type="${escapeXml(outcome.type)}">${outcome.text.split('\n').map(escapeXml).join('\n')}</failure>`, '    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}

/** The verify report as JUnit XML. */
export function renderVerifyJunit(report: VerifyReport): string {
  const suites = report.checks.map(checkSuite);
  const nodes: TestCase[] = [];
  const unreachable = Object.entries(report.unreachable).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [node, reason] of unreachable) {
    nodes.push({ classname: `${PREFIX}.reach`, name: node, outcome: { kind: 'failure', message: `unreachable: ${reason}`, type: 'unreachable', text: `${node} could not be reached: ${reason}; no probe ran on it` } });
  }
  if (report.checks.length === 0 && unreachable.length === 0) {
    nodes.push({ classname: `${PREFIX}.reach`, name: 'checks', outcome: { kind: 'failure', message: 'no check ran', type: 'not-run', text: 'verify ran no check' } });
  }
  if (nodes.length > 0) suites.push({ name: `${PREFIX}.reach`, cases: nodes });
  suites.push({
    name: `${PREFIX}.cleanup`,
    cases: [
      {
        classname: `${PREFIX}.cleanup`,
        name: 'probe pods removed',
        outcome: report.cleanup.length === 0 ? { kind: 'pass' } : { kind: 'failure', message: `${report.cleanup.length} problem(s) removing the probe pods`, type: 'cleanup', text: report.cleanup.join('\n') },
      },
    ],
  });
  return renderSuites(`podnet verify ${report.cluster}`, suites);
}

/** verify stopped before it had a report (bad input, an internal error, Ctrl-C): one failing test case saying why. */
export function renderVerifyJunitError(cluster: string, why: string, type = 'error'): string {
  return renderSuites(`podnet verify ${cluster}`, [
    { name: PREFIX, cases: [{ classname: PREFIX, name: 'verify', outcome: { kind: 'failure', message: why, type, text: `podnet verify stopped before any check ran: ${why}` } }] },
  ]);
}
