// What a run reports while it works. The run never prints: the CLI draws progress from these events.
// Counts are objects, as in the plan's summary and the recap (one change is one object).
import type { ChangeCounts } from '../model/plan.js';

export type ProgressEvent =
  | { kind: 'connecting' }
  | { kind: 'gathered' }
  | { kind: 'planned'; changes: number; counts?: ChangeCounts }
  | { kind: 'applying'; changes: number; counts?: ChangeCounts }
  /** A re-gather after apply, because desired state was still missing (attempt 1, 2, …). */
  | { kind: 'checking'; attempt: number }
  /** changed and ok as in the recap (absent where nothing was counted). */
  | { kind: 'converged'; changed?: number; ok?: number }
  /** The node answered, but a command failed, a step failed or it did not converge. */
  | { kind: 'failed'; message: string }
  /** The node could not be reached, or the connection broke. */
  | { kind: 'unreachable'; message: string }
  /** Ctrl-C came before podnet started on this node: nothing was changed on it. */
  | { kind: 'not-started' }
  /** Ctrl-C came while podnet worked on this node, and it did not finish while podnet waited. */
  | { kind: 'unknown'; message: string }
  /** A rollout stopped (--serial, --max-fail-percentage) before this node was started or finished. */
  | { kind: 'stopped'; message: string }
  /** A bug in podnet while working on this node (the stack is for -v). */
  | { kind: 'error'; message: string; stack?: string };

export interface RunHooks {
  onProgress?(node: string, event: ProgressEvent): void;
  /** Every command sent to a node (for -v). */
  onCommand?(node: string, command: string): void;
}
