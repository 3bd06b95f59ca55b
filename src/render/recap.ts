// What a run did to each node, as a value (JSON output) and as an Ansible-style recap.
import pc from 'picocolors';
import type { Plan } from '../model/types.js';

/** failed: the node answered but a command failed or it did not converge; error: a bug in podnet. */
export type NodeStatus = 'converged' | 'failed' | 'unreachable' | 'error';

export interface FailedStep {
  /** Index of the step in the node's change list. */
  index: number;
  object: string;
  command: string;
  message: string;
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
  /** What the convergence check still found wrong after the run. */
  unmet?: string[];
}

export interface RunReport {
  plan: Plan;
  results: NodeResult[];
}

export function renderRecap(results: readonly NodeResult[], opts: { color: boolean }): string {
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
      lines.push(`${' '.repeat(width)}   step ${r.failedStep.index + 1} (${r.failedStep.object}) failed: ${r.failedStep.command}`);
      lines.push(`${' '.repeat(width)}   ${r.failedStep.message}`);
    } else if (r.error) {
      lines.push(`${' '.repeat(width)}   ${r.status === 'error' ? `internal error: ${r.error}` : r.error}`);
    }
    for (const u of r.unmet ?? []) lines.push(`${' '.repeat(width)}   not converged: ${u}`);
  }
  return lines.join('\n') + '\n';
}
