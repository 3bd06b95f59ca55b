// Rendering a Plan: text for people (like `terraform plan`) and JSON for machines; and reading a
// saved JSON plan back. Pure: colour is asked for by the caller (only on a terminal).
import { UserError } from '../model/errors.js';
import { sortKeys } from '../model/canonical.js';
import {
  ACTION_RUNE,
  CHANGE_KINDS,
  PLAN_FORMAT_VERSION,
  type Action,
  type Change,
  type Conflict,
  type NodePlan,
  type Plan,
  type PlanSummary,
  type PodDisruption,
  type Step,
  type Waiting,
} from '../model/plan.js';
import type { HostRole } from '../model/types.js';
import {
  CHANGES_HEADING,
  DRIFT_HEADING,
  DRIFT_INTRO,
  FIRST_APPLY_TAG,
  describeDriftSummary,
  describeOnlyDrift,
  describeConflict,
  describeDisruptedPodsSummary,
  describeDisruption,
  describePod,
  describeReason,
  describeRefusal,
  describeSubject,
  describeWaiting,
  describeWarning,
} from './sentences.js';
import { escapeJsonControl, escapeStrings } from './terminal-safe.js';
import { prettyJsonPieces } from './json-pieces.js';
import type { Paint } from './paint.js';
import { DEFAULT_WIDTH, wrapText } from './wrap.js';

export interface RenderOptions {
  color: boolean;
  /** Columns the text must fit in (default 80; a terminal's own width when the caller knows it). */
  width?: number;
}

interface Palette {
  action: Record<Action, Paint>;
  bold: Paint;
  conflict: Paint;
  refused: Paint;
  dim: Paint;
}

const ansi =
  (open: number, close: number): Paint =>
  (text) =>
    `\u001b[${open}m${text}\u001b[${close}m`;
const plain: Paint = (text) => text;

function palette(color: boolean): Palette {
  if (!color) return { action: { create: plain, update: plain, delete: plain }, bold: plain, conflict: plain, refused: plain, dim: plain };
  const bold = ansi(1, 22);
  return {
    action: { create: ansi(32, 39), update: ansi(33, 39), delete: ansi(31, 39) },
    bold,
    conflict: (text) => bold(ansi(35, 39)(text)),
    refused: (text) => bold(ansi(31, 39)(text)),
    dim: ansi(2, 22),
  };
}

/** The plan as text: per node a header, one line per changed object with its reason, then a summary. */
export function renderPlanText(nodeTextPlan: Plan, opts: RenderOptions): string {
  const plan = escapeStrings(nodeTextPlan); // node text (aliases, keys, paths) reaches the terminal escaped
  const paint = palette(opts.color);
  const width = opts.width ?? DEFAULT_WIDTH;
  const out: string[] = [];
  for (const warning of plan.warnings ?? []) out.push(...labelled('', 'warning:', describeWarning(warning), '  ', width, plain), '');
  // Drift first, under its own heading (as Terraform shows changes outside Terraform), then what
  // cluster.yaml asks for; a plan without drift reads as it always did.
  const drifted = plan.nodes.filter((node) => node.changes.some(isDrift));
  if (drifted.length > 0) {
    out.push(paint.bold(DRIFT_HEADING), ...wrapText(DRIFT_INTRO, width, '', ''), '');
    for (const node of drifted) out.push(...renderNodeHeader(node, paint, width), ...renderRows(node.changes.filter(isDrift), [], paint, width), '');
    out.push(paint.bold(CHANGES_HEADING), '');
  }
  for (const node of plan.nodes) out.push(...renderNode(node, paint, width, drifted.length > 0), '');
  out.push(...wrapText(renderSummary(plan.summary), width, '', ''));
  if (plan.summary.disruptedPods !== undefined) out.push(...wrapText(describeDisruptedPodsSummary(plan.summary.disruptedPods), width, '', ''));
  return `${out.join('\n')}\n`;
}

/** `label text`, wrapped to `width` (later lines start with `indent`), the label painted. */
function labelled(lead: string, label: string, text: string, indent: string, width: number, paintLabel: Paint): string[] {
  const lines = wrapText(text, width, `${lead}${label} `, indent);
  lines[0] = `${lead}${paintLabel(label)}${(lines[0] ?? '').slice(lead.length + label.length)}`;
  return lines;
}

/** Where a change's reason goes when its row would be too wide: a line of its own, indented so. */
const REASON_INDENT = '      ';

const isDrift = (change: Change): boolean => change.origin === 'drift';

function renderNodeHeader(node: NodePlan, paint: Palette, width: number): string[] {
  // A node with changes and no usable state file: its plan is a first apply (the header says so).
  const first = node.lastApply !== undefined && node.lastApply.state !== 'recorded' && node.changes.length > 0 ? `, ${FIRST_APPLY_TAG}` : '';
  // The gateway-mode router routes every node's pods: its section says so.
  const header =
    node.role === 'router'
      ? `router ${node.node} (${node.address}, routes pods ${node.subnet}${first})`
      : node.role === 'removed'
        ? `removed node ${node.node} (left cluster.yaml, pods ${node.subnet})`
        : `${node.node} (${node.address}, pods ${node.subnet}${first})`;
  return wrapText(header, width, '', '  ').map((line) => paint.bold(line));
}

/** `  + subject   (reason)` rows of changes and of routes waiting for their host. */
function renderRows(changes: readonly Change[], waiting: readonly Waiting[], paint: Palette, width: number): string[] {
  const lines: string[] = [];
  const changeRows = changes.map((change) => ({ rune: ACTION_RUNE[change.action], paint: paint.action[change.action], subject: describeSubject(change), reason: describeReason(change) }));
  // Routes held back until the host they go via answers (nothing is planned for them): rows of their own rune.
  const waitingRows = waiting.map(describeWaiting);
  const rows = [...changeRows, ...waitingRows.map((w) => ({ rune: WAITING_RUNE, paint: paint.conflict, subject: w.subject, reason: w.reason }))];
  // `  + subject   (reason)`: the subjects of the rows that fit in `width` set the reason column;
  // a row that would be wider puts its reason on a line of its own.
  const rowWidth = (subject: number, reason: string): number => 4 + subject + 3 + reason.length + 2;
  const column = Math.max(0, ...rows.filter((r) => rowWidth(r.subject.length, r.reason) <= width).map((r) => r.subject.length));
  for (const row of rows) {
    if (rowWidth(Math.max(column, row.subject.length), row.reason) <= width) {
      lines.push(`  ${row.paint(`${row.rune} ${row.subject.padEnd(column)}`)}   ${paint.dim(`(${row.reason})`)}`);
      continue;
    }
    lines.push(...wrapText(row.subject, width, `  ${row.rune} `, REASON_INDENT).map((line) => `  ${row.paint(line.slice(2))}`));
    lines.push(...wrapText(`(${row.reason})`, width, REASON_INDENT, `${REASON_INDENT} `).map((line) => `${REASON_INDENT}${paint.dim(line.slice(REASON_INDENT.length))}`));
  }
  return lines;
}

/** A node's section; `withoutDrift`: its drift rows were shown in the drift section above. */
function renderNode(node: NodePlan, paint: Palette, width: number, withoutDrift = false): string[] {
  const lines = renderNodeHeader(node, paint, width);
  if (node.refused !== undefined) {
    lines.push(
      ...labelled('  ', 'refused:', describeRefusal(node.node, node.refused), '    ', width, paint.refused),
      ...labelled('  ', 'refused:', `nothing will be applied to ${node.node}`, '    ', width, paint.refused),
    );
  }
  const changeRows = withoutDrift ? node.changes.filter((c) => !isDrift(c)) : node.changes;
  const waiting = node.waiting ?? [];
  lines.push(...renderRows(changeRows, waiting, paint, width));
  for (const conflict of node.conflicts) lines.push(...renderConflict(conflict, paint, width));
  for (const disruption of node.disruptedPods ?? []) {
    lines.push(...labelled('  ', '! disrupted:', describePod(disruption), '      ', width, paint.refused), ...wrapText(describeDisruption(disruption), width, '      ', '      '));
  }
  for (const warning of node.warnings ?? []) lines.push(...labelled('  ', 'warning:', describeWarning(warning), '    ', width, paint.conflict));
  const onlyDrift = changeRows.length === 0 && node.changes.length > 0;
  if (onlyDrift && waiting.length === 0 && node.conflicts.length === 0) lines.push(...wrapText(describeOnlyDrift(node.node), width, '  ', '  '));
  else if (changeRows.length === 0 && waiting.length > 0) lines.push(...wrapText(`No changes planned; ${plural(waiting.length, 'route')} ${waiting.length === 1 ? 'waits' : 'wait'} for hosts not reached.`, width, '  ', '  '));
  else if (changeRows.length === 0 && node.conflicts.length === 0) lines.push(...wrapText(`No changes. ${node.node} is in sync.`, width, '  ', '  '));
  else if (changeRows.length === 0) lines.push(`  No changes planned, but ${plural(node.conflicts.length, 'conflict')} ${node.conflicts.length === 1 ? 'needs' : 'need'} attention.`);
  return lines;
}

/** The rune of a route waiting for its host (neither planned nor deleted). */
const WAITING_RUNE = '…';

function renderConflict(conflict: Conflict, paint: Palette, width: number): string[] {
  const { object, message } = describeConflict(conflict);
  return [...labelled('  ', '! conflict:', object, '      ', width, paint.conflict), ...wrapText(message, width, '      ', '      ')];
}

/** The plan's summary line: `Plan: 1 to add, 0 to change, 0 to destroy.` and what stands in the way. */
export function renderSummary(summary: PlanSummary): string {
  const counts = `${summary.add} to add, ${summary.change} to change, ${summary.destroy} to destroy.`;
  let line = `Plan: ${counts}`;
  // Nodes not gathered were not planned: the counts cover only the others, and the line says so first.
  const incomplete = summary.incomplete;
  if (incomplete !== undefined && incomplete.notReached > 0) {
    const reached = incomplete.nodes - incomplete.notReached;
    const head = `Plan incomplete: ${incomplete.notReached} of ${plural(incomplete.nodes, 'node')} not reached.`;
    line = reached === 0 ? `${head} Nothing could be planned.` : `${head} On the ${reached} reached: ${counts}`;
  }
  if (summary.conflicts > 0) line += ` ${plural(summary.conflicts, 'conflict')}.`;
  if (summary.refused > 0) line += ` ${plural(summary.refused, 'node')} refused.`;
  if (summary.waiting !== undefined && summary.waiting > 0) line += ` ${plural(summary.waiting, 'route')} waiting for hosts not reached.`;
  if (summary.drift !== undefined && summary.drift > 0) line += ` ${describeDriftSummary(summary.drift)}`;
  return line;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

// ───────────────────────────── JSON ─────────────────────────────

/** The plan as pretty JSON with a stable key order (format version 2); `parsePlanJson` reads it back. */
export function renderPlanJson(plan: Plan): string {
  return `${escapeJsonControl(collapseStringArrays(JSON.stringify(canonicalPlan(plan), null, 2)))}\n`;
}

/**
 * renderPlanJson in pieces (their concatenation is its text, byte for byte): a plan of a million
 * routes is more JSON than one string holds. One piece per host's plan (see json-pieces.ts).
 */
export function* planJsonPieces(plan: Plan): Generator<string> {
  // plan → nodes → each node's plan: its fields are stringified whole.
  for (const piece of prettyJsonPieces(canonicalPlan(plan), 3)) yield escapeJsonControl(collapseStringArrays(piece));
  yield '\n';
}

/**
 * A JSON report holding the plan (`diff -o json`, `apply -o json`) in pieces: exactly
 * escapeJsonControl(JSON.stringify(report, null, 2)) + newline, with `report.plan` a value of
 * canonicalPlan (one piece per host's plan when the plan sits at the report's top level).
 */
export function* reportJsonPieces(report: object): Generator<string> {
  for (const piece of prettyJsonPieces(report, 4)) yield escapeJsonControl(piece);
  yield '\n';
}

/** The plan as the plain value its JSON writes: stable key order, absent fields left out. */
export function canonicalPlan(plan: Plan): object {
  return {
    formatVersion: plan.formatVersion,
    cluster: plan.cluster,
    summary: {
      add: plan.summary.add,
      change: plan.summary.change,
      destroy: plan.summary.destroy,
      conflicts: plan.summary.conflicts,
      refused: plan.summary.refused,
      ...(plan.summary.incomplete !== undefined ? { incomplete: { notReached: plan.summary.incomplete.notReached, nodes: plan.summary.incomplete.nodes } } : {}),
      ...(plan.summary.disruptedPods !== undefined ? { disruptedPods: plan.summary.disruptedPods } : {}),
      ...(plan.summary.waiting !== undefined ? { waiting: plan.summary.waiting } : {}),
      ...(plan.summary.drift !== undefined ? { drift: plan.summary.drift } : {}),
    },
    ...(plan.warnings !== undefined ? { warnings: plan.warnings.map(sortKeys) } : {}),
    nodes: plan.nodes.map((node) => ({
      node: node.node,
      ...(node.role !== undefined ? { role: node.role } : {}),
      address: node.address,
      subnet: node.subnet,
      ...(node.refused !== undefined ? { refused: sortKeys(node.refused) } : {}),
      ...(node.lastApply !== undefined ? { lastApply: sortKeys(node.lastApply) } : {}),
      changes: node.changes.map((c) => ({
        kind: c.kind,
        key: c.key,
        action: c.action,
        ...(c.origin !== undefined ? { origin: c.origin } : {}),
        ...(c.before !== undefined ? { before: sortKeys(c.before) } : {}),
        ...(c.after !== undefined ? { after: sortKeys(c.after) } : {}),
        reason: sortKeys(c.reason),
        steps: c.steps,
      })),
      conflicts: node.conflicts.map(sortKeys),
      ...(node.warnings !== undefined ? { warnings: node.warnings.map(sortKeys) } : {}),
      ...(node.disruptedPods !== undefined ? { disruptedPods: node.disruptedPods.map(sortKeys) } : {}),
      ...(node.waiting !== undefined ? { waiting: node.waiting.map(sortKeys) } : {}),
    })),
  };
}

/** Puts arrays of plain strings (argv) on one line: `"argv": ["ip", "link", "add", …]`. */
function collapseStringArrays(json: string): string {
  return json.replace(/\[\n(?:\s*"(?:[^"\\\n]|\\.)*",?\n)+\s*\]/g, (block) => {
    const items = JSON.parse(block) as string[];
    return `[${items.map((item) => JSON.stringify(item)).join(', ')}]`;
  });
}

const ACTIONS: readonly Action[] = ['create', 'update', 'delete'];
const ROLES: readonly HostRole[] = ['node', 'router', 'removed'];
const ORIGINS: readonly NonNullable<Change['origin']>[] = ['drift', 'change', 'first-apply'];
const LAST_APPLY_STATES: readonly NonNullable<NodePlan['lastApply']>['state'][] = ['recorded', 'missing', 'damaged'];

/** Reads a saved plan (renderPlanJson's output); any other format or version is a UserError. */
export function parsePlanJson(text: string): Plan {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UserError(`plan: not JSON (${(err as Error).message})`);
  }
  const top = new Shape(value, 'plan');
  const version = top.field('formatVersion').value;
  if (version === 1) {
    throw new UserError(`plan: formatVersion 1 was written by an older podnet (this podnet reads ${PLAN_FORMAT_VERSION}); make the plan again with \`podnet diff --out\``);
  }
  if (version !== PLAN_FORMAT_VERSION) {
    throw new UserError(`plan: formatVersion ${JSON.stringify(version)} is not supported (this podnet reads ${PLAN_FORMAT_VERSION})`);
  }
  const summary = top.field('summary');
  const plan: Plan = {
    formatVersion: PLAN_FORMAT_VERSION,
    cluster: top.field('cluster').string(),
    summary: {
      add: summary.field('add').count(),
      change: summary.field('change').count(),
      destroy: summary.field('destroy').count(),
      conflicts: summary.field('conflicts').count(),
      refused: summary.field('refused').count(),
      ...(summary.optionalField('disruptedPods') !== undefined ? { disruptedPods: summary.field('disruptedPods').count() } : {}),
    },
    nodes: top.field('nodes').array().map(parseNodePlan),
  };
  const incomplete = summary.optionalField('incomplete');
  if (incomplete !== undefined) plan.summary.incomplete = { notReached: incomplete.field('notReached').count(), nodes: incomplete.field('nodes').count() };
  const waiting = summary.optionalField('waiting');
  if (waiting !== undefined) plan.summary.waiting = waiting.count();
  const drift = summary.optionalField('drift');
  if (drift !== undefined) plan.summary.drift = drift.count();
  const warnings = top.optionalField('warnings');
  if (warnings !== undefined) plan.warnings = warnings.array().map((w) => w.coded() as never);
  return plan;
}

function parseNodePlan(shape: Shape): NodePlan {
  const node: NodePlan = {
    node: shape.field('node').string(),
    address: shape.field('address').string(),
    subnet: shape.field('subnet').string(),
    changes: shape.field('changes').array().map(parseChange),
    conflicts: shape
      .field('conflicts')
      .array()
      .map((c): Conflict => {
        c.field('node').string();
        c.field('kind').string();
        c.field('key').string();
        return c.coded() as Conflict;
      }),
  };
  const refused = shape.optionalField('refused');
  if (refused !== undefined) {
    refused.field('nodeAddress').string();
    refused.field('offences').array();
    node.refused = refused.value as NonNullable<NodePlan['refused']>;
  }
  const nodeWarnings = shape.optionalField('warnings');
  if (nodeWarnings !== undefined) node.warnings = nodeWarnings.array().map((w) => w.coded() as never);
  const waiting = shape.optionalField('waiting');
  if (waiting !== undefined) {
    node.waiting = waiting.array().map((w) => {
      w.field('kind').oneOf(['route'] as const);
      w.field('key').string();
      w.field('peer').string();
      w.field('why').oneOf(['not-reached', 'address-not-held'] as const);
      return w.object() as unknown as NonNullable<NodePlan['waiting']>[number];
    });
  }
  const role = shape.optionalField('role');
  if (role !== undefined) node.role = role.oneOf(ROLES);
  const lastApply = shape.optionalField('lastApply');
  if (lastApply !== undefined) {
    const value: NonNullable<NodePlan['lastApply']> = { state: lastApply.field('state').oneOf(LAST_APPLY_STATES) };
    for (const field of ['clusterDigest', 'time', 'controller'] as const) {
      const text = lastApply.optionalField(field)?.string();
      if (text !== undefined) value[field] = text;
    }
    node.lastApply = value;
  }
  const pods = shape.optionalField('disruptedPods');
  if (pods !== undefined) node.disruptedPods = pods.array().map(parseDisruptedPod);
  return node;
}

/** A pod the saved plan disrupts: apply --plan refuses it without --allow-pod-disruption, as a fresh plan. */
function parseDisruptedPod(shape: Shape): PodDisruption {
  shape.field('pod').string();
  shape.field('addresses').array().forEach((a) => a.string());
  shape.optionalField('netns')?.string();
  shape.field('cause').coded();
  return shape.value as PodDisruption;
}

function parseChange(shape: Shape): Change {
  const change = {
    kind: shape.field('kind').oneOf(CHANGE_KINDS),
    key: shape.field('key').string(),
    action: shape.field('action').oneOf(ACTIONS),
    reason: shape.field('reason').coded(),
    steps: shape.field('steps').array().map(parseStep),
  } as Change;
  const before = shape.optionalField('before');
  if (before !== undefined) change.before = before.object() as never;
  const after = shape.optionalField('after');
  if (after !== undefined) change.after = after.object() as never;
  const origin = shape.optionalField('origin');
  if (origin !== undefined) change.origin = origin.oneOf(ORIGINS);
  return change;
}

/** Steps are what apply runs: each is checked for its exact shape (the apply script guards the words again). */
function parseStep(shape: Shape): Step {
  const run = shape.field('run').oneOf(['ip', 'command', 'install-file', 'script'] as const);
  switch (run) {
    case 'ip':
      return { run, args: shape.field('args').argv() };
    case 'command':
      return { run, argv: shape.field('argv').argv() };
    case 'install-file':
      return { run, path: shape.field('path').string(), mode: shape.field('mode').string(), content: shape.field('content').string() };
    case 'script':
      return { run, script: shape.field('script').string() };
  }
}

/** A JSON value at a path, with checks that name the path: `plan.nodes[0].changes[2].argv`. */
class Shape {
  constructor(
    readonly value: unknown,
    private readonly path: string,
  ) {}

  private fail(expected: string): never {
    throw new UserError(`${this.path}: expected ${expected}`);
  }

  private record(): Record<string, unknown> {
    if (typeof this.value !== 'object' || this.value === null || Array.isArray(this.value)) this.fail('an object');
    return this.value as Record<string, unknown>;
  }

  field(key: string): Shape {
    const record = this.record();
    if (!(key in record)) throw new UserError(`${this.path}.${key}: missing`);
    return new Shape(record[key], `${this.path}.${key}`);
  }

  optionalField(key: string): Shape | undefined {
    const record = this.record();
    return record[key] === undefined ? undefined : new Shape(record[key], `${this.path}.${key}`);
  }

  string(): string {
    if (typeof this.value !== 'string') this.fail('a string');
    return this.value;
  }

  count(): number {
    if (typeof this.value !== 'number' || !Number.isInteger(this.value) || this.value < 0) this.fail('a count (an integer ≥ 0)');
    return this.value;
  }

  oneOf<T extends string>(allowed: readonly T[]): T {
    if (typeof this.value !== 'string' || !(allowed as readonly string[]).includes(this.value)) this.fail(`one of ${allowed.join(', ')}`);
    return this.value as T;
  }

  array(): Shape[] {
    if (!Array.isArray(this.value)) this.fail('an array');
    return (this.value as unknown[]).map((item, i) => new Shape(item, `${this.path}[${i}]`));
  }

  object(): Record<string, unknown> {
    return this.record();
  }

  /** An object with a string `code` (a reason, conflict or warning). */
  coded(): { code: string } {
    this.field('code').string();
    return this.record() as { code: string };
  }

  argv(): string[] {
    const v = this.value;
    if (!Array.isArray(v) || v.length === 0 || !v.every((a) => typeof a === 'string')) this.fail('a non-empty array of strings');
    return v as string[];
  }
}
