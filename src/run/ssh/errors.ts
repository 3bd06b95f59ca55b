// The one error type the SSH transport throws: a kind the caller can branch on (unreachable vs
// refused host key vs sudo) and a message that starts with the node and where it was reached.
import { TransportError } from '../transport.js';

export type SshErrorKind =
  | 'refused'
  | 'timeout'
  | 'auth'
  | 'host-key-unknown'
  | 'host-key-changed'
  | 'host-key-revoked'
  | 'proxy'
  | 'sudo-password'
  | 'disconnected'
  | 'other';

/** Facts behind a host key refusal, for callers that print or log them separately. */
export interface SshErrorDetails {
  /** SHA256 fingerprint of the key the server presented. */
  fingerprint?: string;
  /** Fingerprint of the key known_hosts holds (host-key-changed). */
  knownFingerprint?: string;
  knownHostsFile?: string;
  knownHostsLine?: number;
}

export class SshError extends TransportError {
  readonly details: SshErrorDetails;

  constructor(
    readonly kind: SshErrorKind,
    node: string,
    message: string,
    options: { cause?: unknown; details?: SshErrorDetails } = {},
  ) {
    super(node, message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'SshError';
    this.details = options.details ?? {};
  }

  /** Every kind but sudo-password means the node could not be reached or the connection broke. */
  override get unreachable(): boolean {
    return this.kind !== 'sudo-password';
  }
}

export function isSshError(err: unknown): err is SshError {
  return err instanceof SshError;
}
