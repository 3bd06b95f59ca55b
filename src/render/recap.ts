// What a run did to each node, as a value (JSON output) and as an Ansible-style recap.
import pc from 'picocolors';
import type { Change, Conflict, Plan, Waiting } from '../model/plan.js';
import { describeChange, describeConflict, describeWaiting } from './sentences.js';
import { escapeStrings } from './terminal-safe.js';
import { DEFAULT_WIDTH, wrapText } from './wrap.js';

/**
 * failed: the node answered but a command failed or it did not converge; error: a bug in podnet.
 * After Ctrl-C: not-started (podnet never began on the node: nothing changed there), unknown (it
 * was in flight and did not finish while podnet waited: its changes may be partly applied).
 * A rollout that stopped (--serial, --max-fail-percentage, make-before-break): untouched (not
 * started: nothing changed there), incomplete (its new routes and addresses were made, its old
 * ones kept: the break pass did not run).
 */
export type NodeStatus = 'converged' | 'failed' | 'unreachable' | 'error' | 'not-started' | 'unknown' | 'untouched' | 'incomplete';

export interface FailedStep {
  /** Index of the step among the node's steps. */
  index: number;
  /** The change it belongs to: its kind and key. */
  kind: Change['kind'];
  key: string;
  command: string;
  message: string;
}

/** apply --confirm on a node: confirmed, rolled back (and why), or left to roll itself back (at). */
export interface ConfirmResult {
  applyId: string;
  outcome: 'confirmed' | 'rolled-back' | 'rolls-back';
  why?: string;
  /** For `rolls-back`: when the node's timer undoes the apply. */
  at?: string;
}

export interface NodeResult {
  node: string;
  status: NodeStatus;
  /**
   * Objects this run added, changed or destroyed on the node: its plan's changes (one change is one
   * object, counted as the plan's summary counts them); when a step failed, the changes before it.
   */
  changed: number;
  /** Desired objects that were already right before the run and were left alone (Ansible's ok). */
  ok: number;
  error?: string;
  failedStep?: FailedStep;
  /** What is still to do on the node after the run (it has not converged). */
  unmet?: Change[];
  /** Foreign objects found in the way after the run. */
  blocked?: Conflict[];
  confirm?: ConfirmResult;
  /** Routes left as they are because the host they go via did not answer (the run exits 1). */
  waiting?: Waiting[];
  /** apply --serial: the node's batch (1-based). */
  batch?: number;
  /** Status incomplete: the old routes and addresses kept, since the rollout stopped before the break pass. */
  kept?: Change[];
  /**
   * A rollout's check after the batch: the peers (applied so far) whose pod gateway this host's pod
   * gateway pinged, and those it did not reach; or why it was skipped.
   */
  reach?: { peers: number; unreached: string[] } | { skipped: 'no-ping' };
}

export interface RunReport {
  plan: Plan;
  results: NodeResult[];
}

/** Detail lines start under the counts, unless node names are so long that little room would be left. */
const MAX_DETAIL_INDENT = 30;

export function renderRecap(nodeTextResults: readonly NodeResult[], opts: { color: boolean; width?: number }): string {
  const results = escapeStrings(nodeTextResults); // errors and keys from nodes reach the terminal escaped
  const c = opts.color ? pc : pc.createColors(false);
  const lineWidth = opts.width ?? DEFAULT_WIDTH;
  const width = Math.max(4, ...results.map((r) => r.node.length));
  const fields = results.map((r) => {
    const failed = r.status === 'failed' ? 1 : 0;
    const unreachable = r.status === 'unreachable' ? 1 : 0;
    return [
      { text: `ok=${r.ok}`, paint: c.green },
      { text: `changed=${r.changed}`, paint: r.changed > 0 ? c.yellow : String },
      { text: `failed=${failed}`, paint: failed ? c.red : String },
      { text: `unreachable=${unreachable}`, paint: unreachable ? c.red : String },
      ...(r.batch !== undefined ? [{ text: `batch=${r.batch}`, paint: String }] : []),
    ];
  });
  // Every column as wide as its widest entry, so the counts and the statuses line up.
  const columns = [0, 1, 2, 3, 4].map((i) => Math.max(...fields.map((f) => f[i]?.text.length ?? 0)));
  const indent = ' '.repeat(width + 3 <= MAX_DETAIL_INDENT ? width + 3 : 6);
  const lines = ['', 'RECAP'];
  const detail = (text: string): void => {
    lines.push(...wrapText(text, lineWidth, indent, `${indent}  `));
  };
  results.forEach((r, i) => {
    const counts = (fields[i] ?? []).map((f, j) => f.paint(f.text.padEnd(columns[j] ?? 0))).join('  ');
    const word = r.status === 'not-started' ? 'not started' : r.status;
    const calm = r.status === 'not-started' || r.status === 'untouched' || r.status === 'incomplete';
    const status = r.status === 'converged' ? c.green(word) : calm ? c.yellow(word) : c.red(word);
    lines.push(`${r.node.padEnd(width)} : ${counts}  ${status}`);
    if (r.failedStep) {
      detail(`step ${r.failedStep.index + 1} (${r.failedStep.kind} ${r.failedStep.key}) failed: ${r.failedStep.command}`);
      detail(r.failedStep.message);
    } else if (r.error) {
      detail(r.status === 'error' ? `internal error: ${r.error}` : r.error);
    }
    if (r.confirm !== undefined) detail(describeConfirm(r.confirm));
    for (const change of r.unmet ?? []) detail(`not converged: ${describeChange(change)}`);
    for (const change of r.kept ?? []) detail(`kept: ${describeChange(change)}`);
    if (r.reach !== undefined && 'skipped' in r.reach) detail('the check after its batch was skipped: ping is not installed on the node');
    for (const conflict of r.blocked ?? []) {
      const { object, message } = describeConflict(conflict);
      detail(`not converged: ${object}: ${message}`);
    }
    for (const waiting of r.waiting ?? []) {
      const { subject, reason } = describeWaiting(waiting);
      const waitLines = wrapText(`waiting: ${subject} (${reason})`, lineWidth, indent, `${indent}  `);
      waitLines[0] = (waitLines[0] ?? '').replace('waiting:', c.yellow('waiting:'));
      lines.push(...waitLines);
    }
  });
  return lines.join('\n') + '\n';
}

/** The line after the recap of a run stopped by Ctrl-C: how many nodes were done, not started, unknown. */
export function renderInterrupted(results: readonly NodeResult[], width = DEFAULT_WIDTH): string {
  const count = (statuses: readonly NodeStatus[]): number => results.filter((r) => statuses.includes(r.status)).length;
  const done = count(['converged', 'failed', 'error']);
  const notStarted = count(['not-started']);
  const unknown = count(['unknown']);
  const unreachable = count(['unreachable']);
  const parts = [`${done} done`, `${notStarted} not started`, `${unknown} unknown`, ...(unreachable > 0 ? [`${unreachable} unreachable`] : [])];
  let line = `Interrupted (Ctrl-C): ${parts.join(', ')}.`;
  if (unknown > 0) line += ' Run podnet diff to see where the unknown nodes stand.';
  return `${wrapText(line, width, '', '').join('\n')}\n`;
}

/** What became of an apply --confirm on a node, as a sentence. */
export function describeConfirm(confirm: ConfirmResult): string {
  switch (confirm.outcome) {
    case 'confirmed':
      return `confirmed (apply ${confirm.applyId}): the node is reachable over a new connection and converged`;
    case 'rolled-back':
      return `rolled back (apply ${confirm.applyId}): ${confirm.why ?? 'not confirmed'}`;
    case 'rolls-back':
      return `not confirmed (apply ${confirm.applyId}): ${confirm.why ?? '?'}; the node rolls itself back${confirm.at !== undefined ? ` at ${confirm.at}` : ''}`;
  }
}
