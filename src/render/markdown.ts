// `-o markdown` of diff, apply and verify: a pull-request comment. It opens with one summary line
// and a table (one row per node, or per check), then the details in collapsible <details> blocks,
// drift in a section of its own before the changes cluster.yaml asks for. Byte-stable for the same
// input (no times, no colours, node order as given, maps sorted), so a bot can keep updating one
// sticky comment. Pure.
import { ACTION_RUNE, PLAN_FORMAT_VERSION, type Change, type NodePlan, type Plan } from '../model/plan.js';
import type { VerifyCell, VerifyCheck, VerifyReport } from '../model/verify.js';
import type { NodeResult } from './recap.js';
import { describeConfirm } from './recap.js';
import { renderSummary } from './render-plan.js';
import {
  describeConflict,
  describeDisruptedPodsSummary,
  describeDisruption,
  describePod,
  describeReason,
  describeRefusal,
  describeSubject,
  describeWaiting,
  describeWarning,
  DRIFT_INTRO,
} from './sentences.js';
import { escapeControl } from './terminal-safe.js';
import { verifyExitCode } from './verify-render.js';

/**
 * Characters a comment may hold before the details are cut: GitHub refuses comments of more than
 * 65,536 characters; the rest is room for the line that says what was left out.
 */
export const MARKDOWN_BUDGET = 60_000;

export interface MarkdownOptions {
  /** Characters the comment may fill before details are cut (default MARKDOWN_BUDGET); the summary and the table are always kept. */
  budget?: number;
}

// Entities for what Markdown or HTML would read as markup: a node name or a key cannot open a tag,
// split a table cell, start code, emphasis, a link, strike-through, a mention or an issue reference.
const MD_ENTITY: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '|': '&#124;',
  '`': '&#96;',
  '\\': '&#92;',
  '*': '&#42;',
  _: '&#95;',
  '[': '&#91;',
  ']': '&#93;',
  '~': '&#126;',
  '@': '&#64;',
  '#': '&#35;',
};

/** Text for Markdown and HTML: control characters as escapes, markup characters as entities. */
export function escapeMarkdown(text: string): string {
  return escapeControl(text).replace(/[&<>|`\\*_[\]~@#]/g, (ch) => MD_ENTITY[ch] ?? ch);
}

const md = escapeMarkdown;

/** Hosts a run could not gather, as `diff -o json` reports them (node → message). */
export interface NotGathered {
  unreachable: Record<string, string>;
  failed: Record<string, string>;
  errors: Record<string, string>;
}

export interface PlanMarkdownInput {
  command: 'diff' | 'apply' | 'destroy';
  /** Absent when a run was interrupted before it planned (then only its results are told). */
  plan?: Plan;
  notGathered?: NotGathered;
  /** apply, destroy: what the run did per node. */
  results?: readonly NodeResult[];
  interrupted?: boolean;
}

// ───────────────────────────── assembling within the budget ─────────────────────────────

/** A section of details: its heading and lead line, then its <details> blocks (each a list of lines). */
interface Section {
  heading: string;
  lead?: string;
  blocks: string[][];
}

function details(summary: string, items: readonly string[]): string[] {
  return ['<details>', `<summary>${summary}</summary>`, '', ...items, '', '</details>', ''];
}

/**
 * The head (summary line, table, short lists) always; then the sections while they fit in the
 * budget. A block that does not fit is cut between its lines (and closed); every block after it is
 * left out; one last line says how many and how to see them all.
 */
function assemble(head: readonly string[], sections: readonly Section[], budget: number, fullCommand: string): string {
  const out = [...head];
  // The budget counts the whole comment: a long table leaves less room for the details.
  let used = size(head);
  let left = 0;
  let cut = false;
  const total = sections.reduce((n, s) => n + s.blocks.length, 0);
  for (const section of sections) {
    if (section.blocks.length === 0) continue;
    if (cut) {
      left += section.blocks.length;
      continue;
    }
    const opening = [`### ${section.heading}`, '', ...(section.lead !== undefined ? [section.lead, ''] : [])];
    const openingSize = size(opening);
    if (used + openingSize > budget) {
      cut = true;
      left += section.blocks.length;
      continue;
    }
    out.push(...opening);
    used += openingSize;
    for (const block of section.blocks) {
      if (cut) {
        left++;
        continue;
      }
      const blockSize = size(block);
      if (used + blockSize <= budget) {
        out.push(...block);
        used += blockSize;
        continue;
      }
      // The first block that does not fit: as many of its item lines as fit, then it is closed.
      cut = true;
      const closing = ['', '</details>', ''];
      const kept: string[] = [];
      let keptSize = size(closing);
      for (const line of block.slice(0, -3)) {
        if (used + keptSize + line.length + 1 > budget) break;
        kept.push(line);
        keptSize += line.length + 1;
      }
      // Worth keeping only when an item of it made it in (past <details>, <summary> and the blank line).
      if (kept.length > 3) {
        out.push(...kept, '_… the rest of this block is left out._', ...closing);
        used += keptSize;
      } else left++;
    }
  }
  if (cut) {
    out.push(
      `**Truncated:** ${left} of ${total} detail block${total === 1 ? '' : 's'} left out to stay within GitHub's limit of 65,536 characters per comment; run \`${fullCommand}\` for all of it.`,
      '',
    );
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return `${out.join('\n')}\n`;
}

function size(lines: readonly string[]): number {
  return lines.reduce((n, line) => n + line.length + 1, 0);
}

function table(header: readonly string[], align: readonly ('l' | 'r')[], rows: readonly (readonly string[])[]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `|${align.map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Object keys in code-point order (not the locale's), so the text never depends on where it runs. */
function sortedEntries(record: Record<string, string>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

// ───────────────────────────── plans (diff, apply, destroy) ─────────────────────────────

function changeItem(change: Change): string {
  return `- \`${ACTION_RUNE[change.action]}\` ${md(describeSubject(change))} (${md(describeReason(change))})`;
}

/** Whether the plan says where its changes come from (plans of an older podnet, and destroy, do not). */
function knowsOrigins(plan: Plan): boolean {
  return plan.summary.drift !== undefined || plan.nodes.some((n) => n.lastApply !== undefined || n.changes.some((c) => c.origin !== undefined));
}

function driftOf(node: NodePlan): Change[] {
  return node.changes.filter((c) => c.origin === 'drift');
}

function nodeCounts(changes: readonly Change[]): [number, number, number] {
  return [changes.filter((c) => c.action === 'create').length, changes.filter((c) => c.action === 'update').length, changes.filter((c) => c.action === 'delete').length];
}

/** A node's state in the diff table. */
function planStatus(node: NodePlan): string {
  if (node.refused !== undefined) return '❌ refused';
  if (node.conflicts.length > 0) return `❌ ${plural(node.conflicts.length, 'conflict')}`;
  const first = node.lastApply !== undefined && node.lastApply.state !== 'recorded' ? ` (first apply: state file ${node.lastApply.state})` : '';
  if (node.changes.length > 0) return `📝 changes pending${first}`;
  if ((node.waiting ?? []).length > 0) return '⏳ routes waiting';
  return `✅ in sync${first}`;
}

const RESULT_STATUS: Record<NodeResult['status'], string> = {
  converged: '✅ converged',
  failed: '❌ failed',
  unreachable: '❌ unreachable',
  error: '❌ internal error',
  'not-started': '⏸️ not started',
  unknown: '❓ unknown',
  untouched: '⏸️ untouched (the rollout stopped)',
  incomplete: '⚠️ incomplete (old routes kept)',
};

const NOT_GATHERED_STATUS: Record<keyof NotGathered, string> = { unreachable: '❌ unreachable', failed: '❌ gather failed', errors: '❌ internal error' };

function nodeLabel(node: NodePlan): string {
  const name = md(node.node);
  return node.role === 'router' ? `${name} (router)` : node.role === 'removed' ? `${name} (removed)` : name;
}

/** What a node's change block holds besides its changes: refusal, conflicts, waiting routes, pods, warnings. */
function nodeNotes(node: NodePlan): string[] {
  const items: string[] = [];
  if (node.refused !== undefined) items.push(`- ❌ refused: ${md(describeRefusal(node.node, node.refused))}; nothing will be applied to ${md(node.node)}`);
  for (const conflict of node.conflicts) {
    const { object, message } = describeConflict(conflict);
    items.push(`- ⚠️ conflict: ${md(object)}: ${md(message)}`);
  }
  for (const waiting of node.waiting ?? []) {
    const { subject, reason } = describeWaiting(waiting);
    items.push(`- \`…\` ${md(subject)} (${md(reason)})`);
  }
  for (const pod of node.disruptedPods ?? []) items.push(`- ⚠️ disrupted: ${md(describePod(pod))}: ${md(describeDisruption(pod))}`);
  for (const warning of node.warnings ?? []) items.push(`- warning: ${md(describeWarning(warning))}`);
  return items;
}

/** A change block's summary: its counts, and what else it holds. */
function blockSummary(node: NodePlan, changes: readonly Change[]): string {
  const [add, change, destroy] = nodeCounts(changes);
  const waiting = (node.waiting ?? []).length;
  const pods = (node.disruptedPods ?? []).length;
  const warnings = (node.warnings ?? []).length;
  return [
    ...(node.refused !== undefined ? ['refused'] : []),
    ...(changes.length > 0 ? [`${add} to add, ${change} to change, ${destroy} to destroy`] : []),
    ...(node.conflicts.length > 0 ? [plural(node.conflicts.length, 'conflict')] : []),
    ...(waiting > 0 ? [`${plural(waiting, 'route')} waiting`] : []),
    ...(pods > 0 ? [`${plural(pods, 'pod')} disrupted`] : []),
    ...(warnings > 0 ? [plural(warnings, 'warning')] : []),
  ].join('; ');
}

function planSections(plan: Plan, origins: boolean): Section[] {
  const drift: string[][] = [];
  const changes: string[][] = [];
  for (const node of plan.nodes) {
    const drifted = origins ? driftOf(node) : [];
    if (drifted.length > 0) drift.push(details(`${nodeLabel(node)}: ${plural(drifted.length, 'drifted object')}`, drifted.map(changeItem)));
    const asked = origins ? node.changes.filter((c) => c.origin !== 'drift') : node.changes;
    const notes = nodeNotes(node);
    if (asked.length === 0 && notes.length === 0) continue;
    const firstApply = asked.length > 0 && asked.every((c) => c.origin === 'first-apply') ? ' (first apply)' : '';
    changes.push(details(`${nodeLabel(node)}: ${blockSummary(node, asked)}${firstApply}`, [...asked.map(changeItem), ...notes]));
  }
  return [
    { heading: 'Drift: objects changed outside of podnet', lead: escapeMarkdown(DRIFT_INTRO), blocks: drift },
    { heading: origins ? 'Changes cluster.yaml asks for' : 'Changes', blocks: changes },
  ];
}

const NO_PLAN: Plan = { formatVersion: PLAN_FORMAT_VERSION, cluster: '', nodes: [], summary: { add: 0, change: 0, destroy: 0, conflicts: 0, refused: 0 } };

function summaryLine(input: PlanMarkdownInput): string {
  const { command } = input;
  const plan = input.plan ?? NO_PLAN;
  const notGathered = input.notGathered ?? { unreachable: {}, failed: {}, errors: {} };
  const notReached = Object.keys(notGathered.unreachable).length + Object.keys(notGathered.failed).length + Object.keys(notGathered.errors).length;
  // renderSummary tells the drift (summary.drift) as the text plan does.
  const pods = plan.summary.disruptedPods !== undefined ? ` ${describeDisruptedPodsSummary(plan.summary.disruptedPods)}` : '';
  const planLine = input.plan !== undefined ? ` ${renderSummary(plan.summary)}${pods}` : '';
  const cluster = input.plan !== undefined ? ` ${md(plan.cluster)}` : '';
  if (input.results !== undefined) {
    const converged = input.results.filter((r) => r.status === 'converged').length;
    const ok = converged === input.results.length && input.interrupted !== true && (plan.summary.waiting ?? 0) === 0;
    const verb = command === 'destroy' ? 'cleaned' : 'converged';
    const outcome = `${converged} of ${plural(input.results.length, 'node')} ${verb}${input.interrupted === true ? ' (interrupted by Ctrl-C)' : ''}.`;
    return `${ok ? '✅' : '❌'} **podnet ${command}**${cluster}: ${outcome}${planLine}`;
  }
  const pending = plan.summary.add + plan.summary.change + plan.summary.destroy > 0;
  const blocked = notReached > 0 || plan.summary.conflicts > 0 || plan.summary.refused > 0 || (plan.summary.waiting ?? 0) > 0;
  const mark = blocked ? '❌' : pending ? '📝' : '✅';
  return `${mark} **podnet ${command}**${cluster}:${planLine}${!pending && !blocked ? ' In sync.' : ''}`;
}

/** diff, apply and destroy as a pull-request comment. */
export function renderPlanMarkdown(input: PlanMarkdownInput, options: MarkdownOptions = {}): string {
  const plan = input.plan ?? NO_PLAN;
  const origins = knowsOrigins(plan);
  const results = new Map((input.results ?? []).map((r) => [r.node, r]));
  const running = input.results !== undefined;
  const header = ['node', 'address', 'pod subnet', 'add', 'change', 'destroy', ...(origins ? ['drift'] : []), ...(running ? ['ok', 'changed'] : []), 'status'];
  const align: ('l' | 'r')[] = ['l', 'l', 'l', 'r', 'r', 'r', ...(origins ? ['r' as const] : []), ...(running ? ['r' as const, 'r' as const] : []), 'l'];
  const rows: string[][] = [];
  const listed = new Set<string>();
  for (const node of plan.nodes) {
    listed.add(node.node);
    const result = results.get(node.node);
    rows.push([
      nodeLabel(node),
      md(node.address),
      md(node.subnet),
      ...nodeCounts(node.changes).map(String),
      ...(origins ? [String(driftOf(node).length)] : []),
      ...(running ? [result !== undefined ? String(result.ok) : '–', result !== undefined ? String(result.changed) : '–'] : []),
      result !== undefined ? RESULT_STATUS[result.status] : planStatus(node),
    ]);
  }
  const dash = (n: number): string[] => Array.from({ length: n }, () => '–');
  const notGathered = input.notGathered ?? { unreachable: {}, failed: {}, errors: {} };
  const problemItems: string[] = [];
  for (const kind of ['unreachable', 'failed', 'errors'] as const) {
    for (const [node, message] of sortedEntries(notGathered[kind])) {
      problemItems.push(`- ${md(node)}: ${NOT_GATHERED_STATUS[kind]}: ${md(message)}`);
      if (listed.has(node)) continue;
      listed.add(node);
      rows.push([md(node), '–', '–', ...dash(3 + (origins ? 1 : 0) + (running ? 2 : 0)), NOT_GATHERED_STATUS[kind]]);
    }
  }
  // Results of hosts that are not in the plan (not gathered: their result says why).
  for (const result of input.results ?? []) {
    if (listed.has(result.node)) continue;
    listed.add(result.node);
    rows.push([md(result.node), '–', '–', ...dash(3 + (origins ? 1 : 0)), String(result.ok), String(result.changed), RESULT_STATUS[result.status]]);
  }
  const head = [summaryLine(input), '', ...table(header, align, rows), ''];
  if (problemItems.length > 0) head.push('**Not reached** (nothing is planned for these hosts):', '', ...problemItems, '');
  if (plan.warnings !== undefined && plan.warnings.length > 0) head.push(...plan.warnings.map((w) => `- warning: ${md(describeWarning(w))}`), '');
  const sections = planSections(plan, origins);
  const failures = runFailures(input.results ?? []);
  if (failures.length > 0) sections.unshift({ heading: 'Failures', blocks: failures });
  return assemble(head, sections, options.budget ?? MARKDOWN_BUDGET, `podnet ${input.command}`);
}

/** apply, destroy: a block for each node that did not converge, saying what failed and what is left. */
function runFailures(results: readonly NodeResult[]): string[][] {
  const blocks: string[][] = [];
  for (const r of results) {
    const items: string[] = [];
    if (r.failedStep !== undefined) {
      items.push(`- step ${r.failedStep.index + 1} (${md(r.failedStep.kind)} ${md(r.failedStep.key)}) failed: ${md(r.failedStep.command)}`, `- ${md(r.failedStep.message)}`);
    } else if (r.error !== undefined) items.push(`- ${r.status === 'error' ? 'internal error: ' : ''}${md(r.error)}`);
    if (r.confirm !== undefined && r.confirm.outcome !== 'confirmed') items.push(`- ${md(describeConfirm(r.confirm))}`);
    for (const change of r.unmet ?? []) items.push(`- not converged: ${changeItem(change).slice(2)}`);
    for (const conflict of r.blocked ?? []) {
      const { object, message } = describeConflict(conflict);
      items.push(`- not converged: ${md(object)}: ${md(message)}`);
    }
    if (r.status === 'converged' && items.length === 0) continue;
    blocks.push(details(`${md(r.node)}: ${RESULT_STATUS[r.status]}`, items.length > 0 ? items : [`- ${RESULT_STATUS[r.status]}`]));
  }
  return blocks;
}

// ───────────────────────────── verify ─────────────────────────────

const CHECK_STATUS: Record<VerifyCheck['status'], string> = { passed: '✅ passed', failed: '❌ failed', 'not-run': '⏸️ not run' };

function cellLabel(cell: VerifyCell): string {
  return cell.from === cell.to ? md(cell.from) : `${md(cell.from)} → ${md(cell.to)}`;
}

function cellItems(cell: VerifyCell): string[] {
  if (cell.status === 'not-run') return [`- ⏸️ ${cellLabel(cell)}: not run: ${md(cell.reason ?? 'unknown reason')}`];
  const tries = cell.attempts !== undefined && cell.attempts > 1 ? ` (each of ${cell.attempts} attempts failed)` : '';
  return [
    `- ❌ ${cellLabel(cell)}: ${md(cell.detail ?? 'failed')}${tries}`,
    ...(cell.causes ?? []).map((cause) => `  - likely cause: ${md(cause)}`),
    ...(cell.checked ?? []).map((fact) => `  - checked: ${md(fact)}`),
  ];
}

/** verify as a pull-request comment. */
export function renderVerifyMarkdown(report: VerifyReport, options: MarkdownOptions = {}): string {
  const { passed, failed, notRun } = report.summary;
  const ok = verifyExitCode(report) === 0;
  const verdict = ok ? 'network verified' : 'network NOT verified';
  const line = `${ok ? '✅' : '❌'} **podnet verify** ${md(report.cluster)}: ${verdict} — ${passed} passed, ${failed} failed, ${notRun} not run (${plural(report.nodes.length, 'node')}, ${report.plan === 'full-mesh' ? 'full mesh' : 'sampled pairs'}).`;
  const rows = report.checks.map((check) => {
    const count = (status: VerifyCell['status']): string => String(check.cells.filter((c) => c.status === status).length);
    const coverage = check.coverage !== undefined ? `${check.coverage.probed} of ${check.coverage.pairs} pairs` : 'all';
    return [md(check.title), CHECK_STATUS[check.status], count('pass'), count('fail'), count('not-run'), coverage];
  });
  const head = [line, '', ...table(['check', 'status', 'passed', 'failed', 'not run', 'pairs probed'], ['l', 'l', 'r', 'r', 'r', 'l'], rows), ''];
  const unreachable = sortedEntries(report.unreachable);
  if (unreachable.length > 0) head.push('**Unreachable** (no probes ran on these nodes):', '', ...unreachable.map(([node, reason]) => `- ${md(node)}: ${md(reason)}`), '');
  if (report.cleanup.length > 0) head.push('**Cleanup problems** (probe pods left behind):', '', ...report.cleanup.map((p) => `- ${md(p)}`), '');
  if (report.checks.length === 0) head.push('No check ran.', '');
  const blocks = report.checks
    .filter((check) => check.cells.some((c) => c.status !== 'pass'))
    .map((check) => {
      const bad = check.cells.filter((c) => c.status !== 'pass');
      const failedCells = bad.filter((c) => c.status === 'fail').length;
      const counts = [failedCells > 0 ? `${failedCells} failed` : '', bad.length - failedCells > 0 ? `${bad.length - failedCells} not run` : ''].filter(Boolean).join(', ');
      return details(`${md(check.title)}: ${counts}`, bad.flatMap(cellItems));
    });
  return assemble(head, [{ heading: 'Failures', blocks }], options.budget ?? MARKDOWN_BUDGET, 'podnet verify');
}
