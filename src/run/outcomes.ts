// Why a node did not converge, in three kinds the recap, the JSON output and the exit code keep apart:
//   unreachable — the transport could not connect, or the connection broke;
//   failed      — the node answered, but a command failed or its output could not be read;
//   error       — anything else: a bug in podnet (reported with its message, never as unreachable).
import type { ProgressEvent } from './events.js';
import { TransportError } from './transport.js';

export type ProblemStatus = 'unreachable' | 'failed' | 'error';

export interface NodeProblem {
  status: ProblemStatus;
  message: string;
  /** What was thrown (for a stack trace under -v); not part of any output. */
  cause?: unknown;
}

/** The node answered, but what it answered is a failure (exit status, unreadable output). */
export class NodeFailedError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NodeFailedError';
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function classifyError(err: unknown): NodeProblem {
  if (err instanceof TransportError) return { status: err.unreachable ? 'unreachable' : 'failed', message: err.message, cause: err };
  if (err instanceof NodeFailedError) return { status: 'failed', message: err.message, cause: err };
  return { status: 'error', message: messageOf(err), cause: err };
}

/** The progress event of a problem (an internal error carries its stack, for -v). */
export function problemEvent(problem: NodeProblem): ProgressEvent {
  if (problem.status !== 'error') return { kind: problem.status, message: problem.message };
  const stack = problem.cause instanceof Error ? problem.cause.stack : undefined;
  return { kind: 'error', message: problem.message, ...(stack !== undefined ? { stack } : {}) };
}

/** Runs `parse` on what a node printed: a parser's complaint makes the node failed, a programming error stays an error. */
export function parseNodeOutput<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof TypeError || err instanceof ReferenceError || err instanceof RangeError) throw err;
    throw new NodeFailedError(`cannot read ${what}: ${messageOf(err)}`, { cause: err });
  }
}
