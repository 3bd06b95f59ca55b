// What a run reports while it works. The run never prints: the CLI draws progress from these events.

export type ProgressEvent =
  | { kind: 'connecting' }
  | { kind: 'gathered' }
  | { kind: 'planned'; changes: number }
  | { kind: 'applying'; changes: number }
  /** A re-gather after apply, because desired state was still missing (attempt 1, 2, …). */
  | { kind: 'checking'; attempt: number }
  | { kind: 'converged' }
  /** The node answered, but a command failed, a step failed or it did not converge. */
  | { kind: 'failed'; message: string }
  /** The node could not be reached, or the connection broke. */
  | { kind: 'unreachable'; message: string }
  /** A bug in podnet while working on this node (the stack is for -v). */
  | { kind: 'error'; message: string; stack?: string };

export interface RunHooks {
  onProgress?(node: string, event: ProgressEvent): void;
  /** Every command sent to a node (for -v). */
  onCommand?(node: string, command: string): void;
}
