// Notices about SSH that the user must see as they happen (on stderr), worded once here.
import { escapeControl } from './terminal-safe.js';

/** A host key --accept-new-hosts wrote to known_hosts. */
export interface HostKeyRecordedNotice {
  host: string;
  keyType: string;
  fingerprint: string;
  file: string;
  line: number;
}

/** Like ssh's "Permanently added '…' (ED25519) to the list of known hosts.", with the fingerprint to check. */
export function renderHostKeyRecorded(node: string, r: HostKeyRecordedNotice): string {
  return escapeControl(`${node}: permanently added '${r.host}' (${r.keyType} ${r.fingerprint}) to ${r.file}:${r.line} (--accept-new-hosts)`);
}
