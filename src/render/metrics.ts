// Prometheus textfiles of apply and verify (node_exporter's textfile collector reads them). Pure:
// the families as values, and their text in the exposition format, byte-stable: families sorted
// by name, samples by their labels, labels by name; HELP and TYPE before every family.
// https://prometheus.io/docs/instrumenting/exposition_formats/ and …/practices/naming/
import { CHANGE_KINDS, type Action, type Change } from '../model/plan.js';
import { CHECKS, type CellStatus, type VerifyReport } from '../model/verify.js';

/** The file apply writes into metrics.textfileDir on every node it reached. */
export const APPLY_TEXTFILE = 'podnet_apply.prom';
/** The file verify writes there (its own file: a verify never wipes apply's series, nor the reverse). */
export const VERIFY_TEXTFILE = 'podnet_verify.prom';

export type MetricType = 'gauge' | 'counter';

export interface MetricSample {
  labels?: Readonly<Record<string, string>>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: MetricSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label value as the exposition format quotes it: backslash, double quote and newline escaped. */
export function escapeLabelValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

/** HELP text: backslash and newline escaped. */
function escapeHelp(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
}

/** A sample value: integers as they are, NaN and infinities as Prometheus spells them. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function labelText(labels: Readonly<Record<string, string>> | undefined): string {
  const names = Object.keys(labels ?? {}).sort();
  if (names.length === 0) return '';
  for (const name of names) if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new Error(`not a Prometheus label name: ${JSON.stringify(name)}`);
  return `{${names.map((name) => `${name}="${escapeLabelValue((labels as Record<string, string>)[name] as string)}"`).join(',')}}`;
}

/** The families in the text exposition format (ends with a newline; empty for no families). */
export function renderTextfile(families: readonly MetricFamily[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const family of [...families].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (!METRIC_NAME.test(family.name)) throw new Error(`not a Prometheus metric name: ${JSON.stringify(family.name)}`);
    if (seen.has(family.name)) throw new Error(`metric ${family.name} given twice`);
    seen.add(family.name);
    if (family.type === 'counter' && !family.name.endsWith('_total')) throw new Error(`counter ${family.name} must end in _total`);
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    const samples = family.samples.map((s) => ({ labels: labelText(s.labels), value: s.value }));
    samples.sort((a, b) => (a.labels < b.labels ? -1 : a.labels > b.labels ? 1 : 0));
    for (let i = 1; i < samples.length; i++) {
      if (samples[i]?.labels === samples[i - 1]?.labels) throw new Error(`metric ${family.name}${samples[i]?.labels ?? ''} given twice`);
    }
    for (const s of samples) lines.push(`${family.name}${s.labels} ${formatValue(s.value)}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Seconds since the epoch, to the millisecond. */
function epochSeconds(time: Date): number {
  return time.getTime() / 1000;
}

const ACTIONS: readonly Action[] = ['create', 'update', 'delete'];
/** A change's origin as a label (`unknown` when the plan does not say: older plans, destroy). */
const ORIGINS = ['drift', 'change', 'first-apply', 'unknown'] as const;

export interface ApplyMetricsInput {
  /** When the node's apply ended. */
  time: Date;
  /** The node converged (and, with --confirm, was confirmed). */
  converged: boolean;
  /** The changes the apply made on the node (those before a failing step when one failed). */
  applied: readonly Change[];
  /** The changes of the node's plan whose origin is drift (found by this apply), applied or not. */
  drift: number;
}

/** One node's apply textfile: when, converged, the changes it made by kind, action and origin, drift. */
export function applyMetrics(input: ApplyMetricsInput): MetricFamily[] {
  const byKind = new Map<string, number>();
  const byOrigin = new Map<string, number>();
  for (const change of input.applied) {
    const key = `${change.kind} ${change.action}`;
    byKind.set(key, (byKind.get(key) ?? 0) + 1);
    const origin = change.origin ?? 'unknown';
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + 1);
  }
  return [
    {
      name: 'podnet_apply_last_run_timestamp_seconds',
      help: 'When podnet apply last ran on this node (Unix time, seconds).',
      type: 'gauge',
      samples: [{ value: epochSeconds(input.time) }],
    },
    {
      name: 'podnet_apply_converged',
      help: 'Whether the node converged at the last podnet apply (1) or not (0).',
      type: 'gauge',
      samples: [{ value: input.converged ? 1 : 0 }],
    },
    {
      name: 'podnet_apply_changes',
      help: 'Objects the last podnet apply changed on this node, by object kind and action.',
      type: 'gauge',
      samples: CHANGE_KINDS.flatMap((kind) => ACTIONS.map((action) => ({ labels: { kind, action }, value: byKind.get(`${kind} ${action}`) ?? 0 }))),
    },
    {
      name: 'podnet_apply_changes_by_origin',
      help: 'Objects the last podnet apply changed on this node, by origin: drift (changed outside podnet), change (cluster.yaml), first-apply, unknown.',
      type: 'gauge',
      samples: ORIGINS.map((origin) => ({ labels: { origin }, value: byOrigin.get(origin) ?? 0 })),
    },
    {
      name: 'podnet_drift_changes',
      help: 'Objects the last podnet apply found drifted on this node (changed outside podnet since the apply before).',
      type: 'gauge',
      samples: [{ value: input.drift }],
    },
  ];
}

const CELL_STATUSES: readonly CellStatus[] = ['pass', 'fail', 'not-run'];

/**
 * One node's verify textfile: when, whether the whole verify passed, and per check the cells this
 * node probed from (pass, fail, not-run). `passed` is verify's exit code 0.
 */
export function verifyMetrics(report: Pick<VerifyReport, 'checks'>, node: string, time: Date, passed: boolean): MetricFamily[] {
  const counts = new Map<string, number>();
  for (const check of report.checks) {
    for (const cell of check.cells) {
      if (cell.from !== node) continue;
      const key = `${check.id} ${cell.status}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [
    {
      name: 'podnet_verify_last_run_timestamp_seconds',
      help: 'When podnet verify last ran with this node (Unix time, seconds).',
      type: 'gauge',
      samples: [{ value: epochSeconds(time) }],
    },
    {
      name: 'podnet_verify_success',
      help: 'Whether the last podnet verify passed as a whole (1: every check passed) or not (0).',
      type: 'gauge',
      samples: [{ value: passed ? 1 : 0 }],
    },
    {
      name: 'podnet_verify_cells',
      help: 'Cells of the last podnet verify probed from this node, by check and result (pass, fail, not-run).',
      type: 'gauge',
      samples: CHECKS.flatMap((check) => CELL_STATUSES.map((status) => ({ labels: { check: check.id, status }, value: counts.get(`${check.id} ${status}`) ?? 0 }))),
    },
  ];
}
