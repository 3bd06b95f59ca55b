// What a run did to each node, as a value (JSON output) and as an Ansible-style recap.
import pc from 'picocolors';
import type { Change, Conflict, Plan, Waiting } from '../model/plan.js';
import { describeChange, describeConflict, describeWaiting } from './sentences.js';
import { escapeStrings } from './terminal-safe.js';

/** failed: the node answered but a command failed or it did not converge; error: a bug in podnet. */
export type NodeStatus = 'converged' | 'failed' | 'unreachable' | 'error';

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
  /** Steps that ran successfully. */
  changed: number;
  /** Desired facts that were already true before the run (plan had nothing to do for them). */
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
}

export interface RunReport {
  plan: Plan;
  results: NodeResult[];
}

export function renderRecap(nodeTextResults: readonly NodeResult[], opts: { color: boolean }): string {
  const results = escapeStrings(nodeTextResults); // errors and keys from nodes reach the terminal escaped
  const c = opts.color ? pc : pc.createColors(false);
  const width = Math.max(4, ...results.map((r) => r.node.length));
  const lines = ['', 'RECAP'];
  for (const r of results) {
    const failed = r.status === 'failed' ? 1 : 0;
    const unreachable = r.status === 'unreachable' ? 1 : 0;
    const counts = [
      c.green(`ok=${r.ok}`),
      r.changed > 0 ? c.yellow(`changed=${r.changed}`) : `changed=${r.changed}`,
      failed ? c.red(`failed=${failed}`) : `failed=${failed}`,
      unreachable ? c.red(`unreachable=${unreachable}`) : `unreachable=${unreachable}`,
    ].join('  ');
    const status = r.status === 'converged' ? c.green(r.status) : c.red(r.status);
    lines.push(`${r.node.padEnd(width)} : ${counts}  ${status}`);
    if (r.failedStep) {
      lines.push(`${' '.repeat(width)}   step ${r.failedStep.index + 1} (${r.failedStep.kind} ${r.failedStep.key}) failed: ${r.failedStep.command}`);
      lines.push(`${' '.repeat(width)}   ${r.failedStep.message}`);
    } else if (r.error) {
      lines.push(`${' '.repeat(width)}   ${r.status === 'error' ? `internal error: ${r.error}` : r.error}`);
    }
    if (r.confirm !== undefined) lines.push(`${' '.repeat(width)}   ${describeConfirm(r.confirm)}`);
    for (const change of r.unmet ?? []) lines.push(`${' '.repeat(width)}   not converged: ${describeChange(change)}`);
    for (const conflict of r.blocked ?? []) {
      const { object, message } = describeConflict(conflict);
      lines.push(`${' '.repeat(width)}   not converged: ${object}: ${message}`);
    }
    for (const waiting of r.waiting ?? []) {
      const { subject, reason } = describeWaiting(waiting);
      lines.push(`${' '.repeat(width)}   ${c.yellow('waiting:')} ${subject} (${reason})`);
    }
  }
  return lines.join('\n') + '\n';
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
