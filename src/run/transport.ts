// The one seam between podnet and its nodes: a Transport opens (and caches) one connection per
// host, and a Connection runs shell commands on it. gather, apply, pods and verify only see this
// interface; the SSH implementation is ssh-transport.ts, tests substitute a fake.
import type { NodeSpec } from '../model/types.js';

export interface ExecResult {
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Text written to the command's stdin (then closed). */
  stdin?: string;
}

export interface Connection {
  /**
   * Runs `command`, a POSIX sh script, on the host (the SSH transport sends it on stdin to `sh -s`).
   * With `options.stdin`, `command` is a command line run through the host's shell, fed that text.
   * Rejects with a TransportError when the connection breaks.
   */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
}

export interface Transport {
  /**
   * The connection to `host`, opened on first use and shared by every later call of the run (one
   * connection per host). Rejects with a TransportError when the host cannot be reached; a failed
   * connect is remembered, so the host is reported once.
   */
  connect(host: NodeSpec): Promise<Connection>;
  /**
   * A NEW connection to `host` (the cached one is closed), which later `connect` calls share: it
   * proves the path to the host still works (apply --confirm). Transports without it reuse `connect`.
   */
  connectFresh?(host: NodeSpec): Promise<Connection>;
  /** Execs sent so far, per host that was reached (the JSON output reports them). */
  execCounts(): Promise<Map<string, number>>;
  /** Closes every connection; the transport may be used again afterwards. */
  close(): Promise<void>;
}

/**
 * What a transport throws about the way to a host. `unreachable` (the default) means the host
 * could not be reached or the connection broke; false means the host answered but refused what
 * was asked (e.g. sudo wants a password), which makes the node failed rather than unreachable.
 */
export class TransportError extends Error {
  constructor(
    readonly node: string,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TransportError';
  }

  get unreachable(): boolean {
    return true;
  }
}
