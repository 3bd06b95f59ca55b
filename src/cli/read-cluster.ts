// Reads cluster.yaml (and the inventory it names) from disk; the pure loader does the rest.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { UserError } from '../model/errors.js';
import { formatDiagnostic, loadCluster, type LoadResult } from '../config/index.js';
import type { Cluster } from '../model/types.js';

/** Load and validate a cluster file; throws UserError only when the file itself cannot be read. */
export function loadClusterFile(path: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`${path}: cannot read: ${err instanceof Error ? err.message : String(err)}`);
  }
  return loadCluster(text, path, {
    readFile: (file) => readFileSync(file, 'utf8'),
    homeDir: homedir(),
    cwd: process.cwd(),
  });
}

/** A validated Cluster, or a UserError carrying every diagnostic, one per line. */
export function readCluster(path: string): Cluster {
  const result = loadClusterFile(path);
  if (!result.ok) throw new UserError(`invalid cluster file\n${result.diagnostics.map(formatDiagnostic).join('\n')}`);
  for (const warning of result.warnings) process.stderr.write(`${formatDiagnostic(warning)}\n`);
  return result.cluster;
}
