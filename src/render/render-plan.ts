// Rendering a Plan: text for people (like `terraform plan`) and JSON for machines; and reading a
// saved JSON plan back. Pure: colour is asked for by the caller (only on a terminal).
import { UserError } from '../model/errors.js';
import {
  ACTION_RUNE,
  PLAN_FORMAT_VERSION,
  type Action,
  type Change,
  type Conflict,
  type HostRole,
  type NodePlan,
  type ObjectKind,
  type Plan,
  type PlanSummary,
} from '../model/types.js';
import { groupChanges } from '../plan/plan.js';
import type { Paint } from './paint.js';

export interface RenderOptions {
  color: boolean;
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
export function renderPlanText(plan: Plan, opts: RenderOptions): string {
  const paint = palette(opts.color);
  const out: string[] = [];
  for (const warning of plan.warnings ?? []) out.push(`warning: ${warning}`, '');
  for (const node of plan.nodes) out.push(...renderNode(node, paint), '');
  out.push(renderSummary(plan.summary));
  return `${out.join('\n')}\n`;
}

function renderNode(node: NodePlan, paint: Palette): string[] {
  // The gateway-mode router routes every node's pods: its section says so.
  const header = node.role === 'router' ? `router ${node.node} (${node.address}, routes pods ${node.subnet})` : `${node.node} (${node.address}, pods ${node.subnet})`;
  const lines = [paint.bold(header)];
  if (node.refused !== undefined) {
    lines.push(`  ${paint.refused('refused:')} ${node.refused}`, `  ${paint.refused('refused:')} nothing will be applied to ${node.node}`);
  }
  const rows = groupChanges(node.changes).map((group) => ({ action: (group[0] as Change).action, subject: describeGroup(group), reason: reasonOf(group) }));
  const width = Math.max(0, ...rows.map((r) => r.subject.length));
  for (const row of rows) {
    const rune = ACTION_RUNE[row.action];
    lines.push(`  ${paint.action[row.action](`${rune} ${row.subject.padEnd(width)}`)}   ${paint.dim(`(${row.reason})`)}`);
  }
  for (const conflict of node.conflicts) lines.push(...renderConflict(conflict, paint));
  for (const warning of node.warnings ?? []) lines.push(`  ${paint.conflict('warning:')} ${warning}`);
  if (rows.length === 0 && node.conflicts.length === 0) lines.push(`  No changes. ${node.node} is in sync.`);
  else if (rows.length === 0) lines.push(`  No changes planned, but ${plural(node.conflicts.length, 'conflict')} ${node.conflicts.length === 1 ? 'needs' : 'need'} attention.`);
  return lines;
}

function renderConflict(conflict: Conflict, paint: Palette): string[] {
  return [`  ${paint.conflict('! conflict:')} ${conflict.object}`, `      ${conflict.message}`];
}

function renderSummary(summary: PlanSummary): string {
  let line = `Plan: ${summary.add} to add, ${summary.change} to change, ${summary.destroy} to destroy.`;
  if (summary.conflicts > 0) line += ` ${plural(summary.conflicts, 'conflict')}.`;
  if (summary.refused > 0) line += ` ${plural(summary.refused, 'node')} refused.`;
  return line;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The reasons of a group, each once: `link is down; mtu is 1400, want 1500`. */
function reasonOf(group: Change[]): string {
  return [...new Set(group.map((c) => c.reason))].join('; ');
}

/** What a line says about its object: `route 10.244.2.0/24 via 192.168.1.12`, `link v-net-0 (bridge, up)`. */
function describeGroup(group: Change[]): string {
  const head = group[0] as Change;
  const values = group.map((c) => asRecord(head.action === 'delete' ? c.before : c.after));
  const merged = Object.assign({}, ...values) as Record<string, unknown>;
  switch (head.kind) {
    case 'route': {
      const via = typeof merged['gateway'] === 'string' ? ` via ${merged['gateway']}` : typeof merged['dev'] === 'string' ? ` dev ${merged['dev']}` : '';
      const type = typeof merged['type'] === 'string' ? ` (${merged['type']})` : '';
      const metric = typeof merged['metric'] === 'number' ? ` metric ${merged['metric']}` : '';
      return `${head.object}${via}${metric}${type}`;
    }
    case 'link': {
      const attributes = [
        typeof merged['kind'] === 'string' ? merged['kind'] : undefined,
        typeof merged['alias'] === 'string' ? `alias ${merged['alias']}` : undefined,
        typeof merged['mtu'] === 'number' ? `mtu ${merged['mtu']}` : undefined,
        merged['up'] === true ? 'up' : undefined,
      ].filter((a) => a !== undefined);
      return attributes.length > 0 ? `${head.object} (${attributes.join(', ')})` : head.object;
    }
    case 'sysctl':
      return merged['value'] !== undefined && head.action !== 'delete' ? `${head.object} = ${String(merged['value'])}` : head.object;
    case 'address':
      return head.object;
    case 'rule': {
      // `rule filter FORWARD -j PODNET-FORWARD (first in FORWARD: …)`, `chain nat PODNET-POSTROUTING`
      const purpose = typeof merged['purpose'] === 'string' ? ` (${merged['purpose']})` : '';
      return `${head.object}${purpose}`;
    }
    case 'pod':
      return head.object;
    case 'file': {
      const sha = typeof merged['sha256'] === 'string' ? `, sha256 ${merged['sha256'].slice(0, 12)}…` : '';
      const purpose = typeof merged['purpose'] === 'string' ? `${merged['purpose']}, ` : '';
      return typeof merged['mode'] === 'string' ? `${head.object} (${purpose}mode ${merged['mode']}${sha})` : head.object;
    }
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

// ───────────────────────────── JSON ─────────────────────────────

/** The plan as pretty JSON with a stable key order; `parsePlanJson` reads it back. */
export function renderPlanJson(plan: Plan): string {
  const canonical = {
    formatVersion: plan.formatVersion,
    cluster: plan.cluster,
    summary: {
      add: plan.summary.add,
      change: plan.summary.change,
      destroy: plan.summary.destroy,
      conflicts: plan.summary.conflicts,
      refused: plan.summary.refused,
    },
    ...(plan.warnings !== undefined ? { warnings: plan.warnings } : {}),
    nodes: plan.nodes.map((node) => ({
      node: node.node,
      ...(node.role !== undefined ? { role: node.role } : {}),
      address: node.address,
      subnet: node.subnet,
      ...(node.refused !== undefined ? { refused: node.refused } : {}),
      changes: node.changes.map((c) => ({
        action: c.action,
        kind: c.kind,
        object: c.object,
        reason: c.reason,
        ...(c.before !== undefined ? { before: sortKeys(c.before) } : {}),
        ...(c.after !== undefined ? { after: sortKeys(c.after) } : {}),
        argv: c.argv,
        ...(c.content !== undefined ? { content: c.content } : {}),
      })),
      conflicts: node.conflicts.map((c) => ({ node: c.node, object: c.object, message: c.message })),
      ...(node.warnings !== undefined ? { warnings: node.warnings } : {}),
    })),
  };
  return `${collapseStringArrays(JSON.stringify(canonical, null, 2))}\n`;
}

/** Puts arrays of plain strings (argv) on one line: `"argv": ["ip", "link", "add", …]`. */
function collapseStringArrays(json: string): string {
  return json.replace(/\[\n(?:\s*"(?:[^"\\\n]|\\.)*",?\n)+\s*\]/g, (block) => {
    const items = JSON.parse(block) as string[];
    return `[${items.map((item) => JSON.stringify(item)).join(', ')}]`;
  });
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((key) => [key, sortKeys(record[key])]),
  );
}

const ACTIONS: readonly Action[] = ['create', 'update', 'delete'];
const KINDS: readonly ObjectKind[] = ['link', 'address', 'route', 'sysctl', 'file', 'rule', 'pod'];
const ROLES: readonly HostRole[] = ['node', 'router'];

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
    },
    nodes: top.field('nodes').array().map(parseNodePlan),
  };
  const warnings = top.optionalField('warnings');
  if (warnings !== undefined) plan.warnings = warnings.array().map((w) => w.string());
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
      .map((c) => ({ node: c.field('node').string(), object: c.field('object').string(), message: c.field('message').string() })),
  };
  const refused = shape.optionalField('refused');
  if (refused !== undefined) node.refused = refused.string();
  const nodeWarnings = shape.optionalField('warnings');
  if (nodeWarnings !== undefined) node.warnings = nodeWarnings.array().map((w) => w.string());
  const role = shape.optionalField('role');
  if (role !== undefined) node.role = role.oneOf(ROLES);
  return node;
}

function parseChange(shape: Shape): Change {
  const change: Change = {
    action: shape.field('action').oneOf(ACTIONS),
    kind: shape.field('kind').oneOf(KINDS),
    object: shape.field('object').string(),
    reason: shape.field('reason').string(),
    argv: shape.field('argv').argv(),
  };
  const before = shape.optionalField('before');
  if (before !== undefined) change.before = before.value;
  const after = shape.optionalField('after');
  if (after !== undefined) change.after = after.value;
  const content = shape.optionalField('content');
  if (content !== undefined) change.content = content.string();
  return change;
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

  argv(): string[] {
    const v = this.value;
    if (!Array.isArray(v) || v.length === 0 || !v.every((a) => typeof a === 'string')) this.fail('a non-empty array of strings');
    return v as string[];
  }
}
