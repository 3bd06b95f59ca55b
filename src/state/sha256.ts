// SHA-256 of UTF-8 text, hex: how the planner names file contents the way `sha256sum` on a node
// does. node:crypto hashing is allowed in the pure folders (no I/O).
import { createHash } from 'node:crypto';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** SHA-256 of a text's UTF-8 bytes followed by more bytes, hex: the digest of their concatenation. */
export function sha256HexOf(text: string, more: Uint8Array): string {
  return createHash('sha256').update(text, 'utf8').update(more).digest('hex');
}
