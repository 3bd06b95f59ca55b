// The report of `podnet verify`: a ✓/✗/· matrix per check on a terminal, plain lines otherwise,
// one JSON document with --output json. Pure; colour is passed in as functions.
import {
  VERIFY_FORMAT_VERSION,
  type CellStatus,
  type CheckStatus,
  type VerifyCheck,
  type VerifyReport,
  type VerifySummary,
} from '../model/verify.js';
import { NO_PAINT, type StatusPaint } from './paint.js';
import { escapeJsonControl, escapeStrings } from './terminal-safe.js';

const SYMBOL: Record<CellStatus, string> = { pass: '✓', fail: '✗', 'not-run': '·' };
const WORD: Record<CellStatus, string> = { pass: 'ok', fail: 'FAILED', 'not-run': 'not run' };
const CHECK_WORD: Record<CheckStatus, string> = { passed: 'passed', failed: 'FAILED', 'not-run': 'not run' };

export function summarizeChecks(checks: readonly VerifyCheck[]): VerifySummary {
  return {
    passed: checks.filter((c) => c.status === 'passed').length,
    failed: checks.filter((c) => c.status === 'failed').length,
    notRun: checks.filter((c) => c.status === 'not-run').length,
  };
}

/** Exit status: 0 only when every check ran and passed (a check that did not run is not a pass). */
export function verifyExitCode(report: Pick<VerifyReport, 'checks' | 'cleanup'>): number {
  return report.checks.length > 0 && report.checks.every((c) => c.status === 'passed') && report.cleanup.length === 0 ? 0 : 1;
}

function paintStatus(paint: StatusPaint, status: CellStatus, text: string): string {
  return status === 'pass' ? paint.pass(text) : status === 'fail' ? paint.fail(text) : paint.dim(text);
}

function checkHeading(check: VerifyCheck, paint: StatusPaint): string {
  const failed = check.cells.filter((c) => c.status === 'fail').length;
  const notRun = check.cells.filter((c) => c.status === 'not-run').length;
  const counts = [failed > 0 ? `${String(failed)} failed` : '', notRun > 0 ? `${String(notRun)} not run` : ''].filter(Boolean).join(', ');
  const word = CHECK_WORD[check.status];
  const painted = check.status === 'passed' ? paint.pass(word) : check.status === 'failed' ? paint.fail(word) : paint.dim(word);
  const sample = check.coverage ? ` [sample: ${String(check.coverage.probed)} of ${String(check.coverage.pairs)} pairs]` : '';
  return `${paint.bold(check.title)}: ${painted}${counts ? ` (${counts} of ${String(check.cells.length)})` : ''}${sample}`;
}

/** The mark of a pair a sampled check left out: not probed (neither a pass nor a failure). */
const NOT_PROBED = '-';
const NOT_PROBED_LEGEND = `${NOT_PROBED} not probed: the default plan runs this check on a sample of the pairs (--full-mesh runs every pair)`;

/** Rows = from, columns = to, in node order (others, like the egress target, last). Cells with no probe are blank. */
function renderMatrix(check: VerifyCheck, nodes: readonly string[], paint: StatusPaint): string[] {
  const rank = (name: string): number => {
    const i = nodes.indexOf(name);
    return i < 0 ? nodes.length : i;
  };
  const byNodeOrder = (names: Iterable<string>): string[] => [...new Set(names)].sort((a, b) => rank(a) - rank(b));
  // A sampled check shows every pair, the ones left out marked as not probed.
  const all = check.coverage ? nodes : [];
  const rows = byNodeOrder([...all, ...check.cells.map((c) => c.from)]);
  const cols = byNodeOrder([...all, ...check.cells.map((c) => c.to)]);
  const rowWidth = Math.max('from \\ to'.length, ...rows.map((r) => r.length));
  const widths = cols.map((c) => Math.max(c.length, 1));
  const lines = [`  ${'from \\ to'.padEnd(rowWidth)}  ${cols.map((c, i) => c.padEnd(widths[i] ?? 1)).join('  ')}`.trimEnd()];
  for (const row of rows) {
    const cells = cols.map((col, i) => {
      const cell = check.cells.find((c) => c.from === row && c.to === col);
      const width = widths[i] ?? 1;
      const pad = width - 1;
      const left = Math.floor(pad / 2);
      const centre = (mark: string): string => ' '.repeat(left) + mark + ' '.repeat(pad - left);
      if (!cell) return check.coverage && row !== col ? centre(paint.dim(NOT_PROBED)) : ' '.repeat(width);
      return centre(paintStatus(paint, cell.status, SYMBOL[cell.status]));
    });
    lines.push(`  ${row.padEnd(rowWidth)}  ${cells.join('  ')}`.trimEnd());
  }
  if (check.coverage && check.coverage.probed < check.coverage.pairs) lines.push(`  ${paint.dim(NOT_PROBED_LEGEND)}`);
  return lines;
}

function cellLabel(from: string, to: string): string {
  return from === to ? from : `${from} → ${to}`;
}

/** The failed and not-run cells, each with its detail and likely causes. */
function renderProblems(check: VerifyCheck, paint: StatusPaint, symbols: boolean): string[] {
  const lines: string[] = [];
  for (const cell of check.cells) {
    if (cell.status === 'pass') continue;
    const mark = symbols ? SYMBOL[cell.status] : WORD[cell.status];
    const reason = cell.reason ?? 'unknown reason';
    const tries = cell.status === 'fail' && cell.attempts !== undefined && cell.attempts > 1 ? ` (each of ${String(cell.attempts)} attempts failed)` : '';
    const text = cell.status === 'fail' ? `${cell.detail ?? 'failed'}${tries}` : symbols ? `not run: ${reason}` : reason;
    lines.push(`  ${paintStatus(paint, cell.status, mark)} ${cellLabel(cell.from, cell.to)}: ${text}`);
    for (const cause of cell.causes ?? []) lines.push(`      likely cause: ${cause}`);
    for (const fact of cell.checked ?? []) lines.push(`      checked: ${fact}`);
  }
  return lines;
}

function renderFooter(report: VerifyReport, paint: StatusPaint): string[] {
  const lines: string[] = [];
  for (const [node, reason] of Object.entries(report.unreachable)) lines.push(`${node}: UNREACHABLE: ${reason}`);
  for (const problem of report.cleanup) lines.push(paint.fail(`cleanup: ${problem}`));
  const { passed, failed, notRun } = report.summary;
  const verdict = verifyExitCode(report) === 0 ? paint.pass('network verified') : paint.fail('network NOT verified');
  lines.push(`Verify: ${String(passed)} passed, ${String(failed)} failed, ${String(notRun)} not run — ${verdict}.`);
  return lines;
}

export interface RenderVerifyOptions {
  /** A terminal: matrices of ✓/✗/·. Otherwise plain lines: passes counted, each failed or not-run cell listed. */
  matrix: boolean;
  paint?: StatusPaint;
}

export function renderVerifyText(nodeTextReport: VerifyReport, options: RenderVerifyOptions): string {
  const report = escapeStrings(nodeTextReport); // diagnoses quote node output: escaped for the terminal
  const paint = options.paint ?? NO_PAINT;
  const lines: string[] = [];
  for (const check of report.checks) {
    lines.push(checkHeading(check, paint));
    if (options.matrix) {
      lines.push(...renderMatrix(check, report.nodes, paint), ...renderProblems(check, paint, true));
    } else {
      // Passes are counted, not listed: a 30-node cluster has 870 cells per check.
      const passed = check.cells.filter((c) => c.status === 'pass').length;
      const sample = check.coverage && check.coverage.probed < check.coverage.pairs ? ` (the other ${String(check.coverage.pairs - check.coverage.probed)} pairs not probed: --full-mesh probes every pair)` : '';
      lines.push(`  ${WORD.pass}: ${String(passed)} of ${String(check.cells.length)} cells${sample}`, ...renderProblems(check, paint, false));
    }
    lines.push('');
  }
  lines.push(...renderFooter(report, paint));
  return lines.join('\n') + '\n';
}

export function renderVerifyJson(report: VerifyReport): string {
  return escapeJsonControl(JSON.stringify({ ...report, formatVersion: VERIFY_FORMAT_VERSION }, null, 2)) + '\n';
}
