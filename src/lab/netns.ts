// Named network namespaces (`ip netns`) of the root mount namespace.
import { readdir } from 'node:fs/promises';
import { spawnCommand, runChecked } from './spawn.js';

const NETNS_DIR = '/run/netns';

export async function listNetns(): Promise<string[]> {
  try {
    return (await readdir(NETNS_DIR)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Creates the namespaces in one `ip -batch`. */
export async function addNetns(names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await runChecked(['ip', '-batch', '-'], { input: names.map((n) => `netns add ${n}\n`).join('') });
}

/** Deletes the namespaces that exist, in one `ip -force -batch` (carries on past failures). */
export async function deleteNetns(names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const r = await spawnCommand(['ip', '-force', '-batch', '-'], { input: names.map((n) => `netns del ${n}\n`).join('') });
  const left = new Set(await listNetns());
  const stuck = names.filter((n) => left.has(n));
  if (stuck.length > 0) throw new Error(`could not delete namespaces ${stuck.join(', ')}: ${r.stderr.trim()}`);
}

/** Runs `ip -n NETNS -batch -` with one command per line. */
export async function ipBatchIn(netns: string, lines: readonly string[]): Promise<void> {
  await runChecked(['ip', '-n', netns, '-batch', '-'], { input: lines.map((l) => `${l}\n`).join('') });
}
