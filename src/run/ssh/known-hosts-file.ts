// Reading and appending the known_hosts file. Appends are serialized per file inside this
// process (many nodes connect in parallel with --accept-new-hosts) and each append re-reads the
// file first, so a host recorded by a parallel connection is not written twice.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  formatKnownHostsLine,
  keyTypeOfBlob,
  lookupHostKey,
  parseKnownHosts,
  type HostKeyLookup,
  type KnownHostEntry,
} from './known-hosts.js';

/** The file's entries; a missing file is an empty one. */
export async function readKnownHostsFile(path: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

const appendQueues = new Map<string, Promise<unknown>>();

export type RecordResult = { status: 'added'; line: number } | Exclude<HostKeyLookup, { status: 'unknown' }>;

/**
 * Records host:port's key unless the file (as it is now) already decides about this host; then
 * that decision is returned instead (`match`, or `mismatch`/`revoked` if a parallel writer won).
 * Creates the directory (0700) and the file (0600) when missing. New lines are hashed when the
 * file already holds hashed entries, plain otherwise.
 */
export function recordHostKey(path: string, host: string, port: number, keyBlob: Buffer): Promise<RecordResult> {
  const previous = appendQueues.get(path) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(async (): Promise<RecordResult> => {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const entries = parseKnownHosts(text);
    const decided = lookupHostKey(entries, host, port, keyBlob);
    if (decided.status !== 'unknown') return decided;
    const hashed = entries.some((e) => e.hosts.startsWith('|1|'));
    const line = formatKnownHostsLine(host, port, keyTypeOfBlob(keyBlob), keyBlob.toString('base64'), { hashed });
    const separator = text === '' || text.endsWith('\n') ? '' : '\n';
    await appendFile(path, `${separator}${line}\n`, { mode: 0o600 });
    const lineNumber = (text + separator).split('\n').length;
    return { status: 'added', line: lineNumber };
  });
  appendQueues.set(path, next);
  // Drop the queue entry once idle so the map does not grow with every file ever touched.
  void next.finally(() => {
    if (appendQueues.get(path) === next) appendQueues.delete(path);
  }).catch(() => undefined);
  return next;
}
