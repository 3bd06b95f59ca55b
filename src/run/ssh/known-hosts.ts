// OpenSSH known_hosts: parsing, host matching and line formatting. No file access here (the
// caller reads and appends), so every rule below is unit-testable on strings.
// Format (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): `[@marker] hosts keytype base64key [comment]`.
import { createHash, createHmac, randomBytes } from 'node:crypto';

export type KnownHostMarker = 'revoked' | 'cert-authority';

export interface KnownHostEntry {
  /** 1-based line number in the file (for messages). */
  line: number;
  marker?: KnownHostMarker;
  /** The host field exactly as written (a pattern list, or one `|1|salt|hash`). */
  hosts: string;
  keyType: string;
  keyBase64: string;
  /** Decoded key blob (SSH wire format), compared byte for byte with the server's key. */
  key: Buffer;
}

export type HostKeyLookup =
  | { status: 'match'; entry: KnownHostEntry }
  /** The host is known with other keys: a changed host key. `known` lists them. */
  | { status: 'mismatch'; known: KnownHostEntry[] }
  | { status: 'unknown' }
  | { status: 'revoked'; entry: KnownHostEntry };

/** Parses known_hosts text; malformed lines are skipped, as OpenSSH does. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    // A blank line splits into [''] and is dropped below, for want of a key type.
    const fields = line.trim().split(/[ \t]+/);
    if (fields[0]?.startsWith('#')) continue;
    let marker: KnownHostMarker | undefined;
    if (fields[0]?.startsWith('@')) {
      const name = fields.shift();
      if (name === '@revoked') marker = 'revoked';
      else if (name === '@cert-authority') marker = 'cert-authority';
      else continue;
    }
    if (fields.length < 3) continue;
    const [hosts, keyType, keyBase64] = fields as [string, string, string];
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(keyBase64)) continue;
    const key = Buffer.from(keyBase64, 'base64');
    if (key.length === 0) continue;
    entries.push({ line: i + 1, ...(marker ? { marker } : {}), hosts, keyType, keyBase64, key });
  }
  return entries;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise (lower-cased). */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** Does one entry's host field name this host? Handles hashed entries, `!` negation, `*`/`?`. */
export function hostFieldMatches(hostsField: string, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  if (hostsField.startsWith('|1|')) return hashedHostMatches(hostsField, name);
  let matched = false;
  for (const raw of hostsField.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    // An empty pattern (`a,,b`) matches no name: wildcardMatches('') is /^$/.
    if (!wildcardMatches(pattern, name)) continue;
    // A matching negation vetoes the whole line, whatever else matched.
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function hashedHostMatches(field: string, name: string): boolean {
  const parts = field.split('|'); // ['', '1', salt, hash]
  const salt = parts[2];
  const hash = parts[3];
  if (parts.length !== 4 || !salt || !hash) return false;
  const expected = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return expected === hash;
}

function wildcardMatches(pattern: string, name: string): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`).test(name);
}

/** Reads the key type (first SSH string) from a key blob, e.g. `ssh-ed25519`. */
export function keyTypeOfBlob(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const len = keyBlob.readUInt32BE(0);
  if (len > keyBlob.length - 4) return 'unknown';
  return keyBlob.subarray(4, 4 + len).toString('latin1');
}

/**
 * Checks the key a server presented for host:port. A revoked key is refused wherever it
 * appears for this host; `mismatch` means the host is known but with other keys (also when
 * only keys of another type are known: refusing is the safe reading).
 */
export function lookupHostKey(entries: KnownHostEntry[], host: string, port: number, keyBlob: Buffer): HostKeyLookup {
  // @cert-authority lines hold CA keys, never host keys: neither revoked nor known below.
  const forHost = entries.filter((e) => hostFieldMatches(e.hosts, host, port));
  const revoked = forHost.find((e) => e.marker === 'revoked' && e.key.equals(keyBlob));
  if (revoked) return { status: 'revoked', entry: revoked };
  const known = forHost.filter((e) => e.marker === undefined);
  const match = known.find((e) => e.key.equals(keyBlob));
  if (match) return { status: 'match', entry: match };
  if (known.length > 0) return { status: 'mismatch', known };
  return { status: 'unknown' };
}

/** Key types already known for this host (to make the server present one of them). */
export function knownKeyTypes(entries: KnownHostEntry[], host: string, port: number): string[] {
  const types = entries
    .filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, host, port))
    .map((e) => e.keyType);
  return [...new Set(types)];
}

/** `SHA256:<base64 without padding>`, as `ssh-keygen -l` and `ssh` print it. */
export function fingerprintSha256(keyBlob: Buffer): string {
  // 32 bytes are 43 base64 characters and one '=' of padding, which ssh leaves out.
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').slice(0, 43)}`;
}

/** A known_hosts line (no newline). Hashed lines use a fresh random salt unless one is given. */
export function formatKnownHostsLine(
  host: string,
  port: number,
  keyType: string,
  keyBase64: string,
  opts: { hashed?: boolean; salt?: Buffer } = {},
): string {
  const name = knownHostsName(host, port);
  let field = name;
  if (opts.hashed) {
    const salt = opts.salt ?? randomBytes(20);
    const hash = createHmac('sha1', salt).update(name).digest('base64');
    field = `|1|${salt.toString('base64')}|${hash}`;
  }
  return `${field} ${keyType} ${keyBase64}`;
}
