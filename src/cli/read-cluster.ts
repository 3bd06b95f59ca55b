// Reads cluster.yaml (and the inventory it names) from disk; the pure loader does the rest.
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { UserError } from '../model/errors.js';
import { formatDiagnostic, loadCluster, type LoadResult } from '../config/index.js';
import type { Cluster } from '../model/types.js';
import type { FileFacts } from '../model/causes.js';

/**
 * Load and validate a cluster file; throws UserError only when the file itself cannot be read.
 * localFiles (default on): the identity files it names must exist here and be readable.
 */
export function loadClusterFile(path: string, options: { localFiles?: boolean } = {}): LoadResult {
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
    ...(options.localFiles === false ? {} : { fileProblem: readableFileProblem }),
  });
}

/** Why a file (an identity key) cannot be read, or undefined when it can. */
export function readableFileProblem(path: string): FileFacts | undefined {
  const uid = process.getuid?.();
  const who = uid !== undefined ? { uid } : {};
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    return { path, code: (err as NodeJS.ErrnoException).code ?? 'ENOENT', ...who };
  }
  if (st.isDirectory()) return { path, code: 'EISDIR', ...who };
  try {
    accessSync(path, constants.R_OK);
  } catch (err) {
    return { path, code: (err as NodeJS.ErrnoException).code ?? 'EACCES', ...who, ownerUid: st.uid, mode: st.mode };
  }
  return undefined;
}

/** A validated Cluster, or a UserError carrying every diagnostic, one per line. */
export function readCluster(path: string): Cluster {
  const result = loadClusterFile(path);
  if (!result.ok) throw new UserError(`invalid cluster file\n${result.diagnostics.map(formatDiagnostic).join('\n')}`);
  for (const warning of result.warnings) process.stderr.write(`${formatDiagnostic(warning)}\n`);
  return result.cluster;
}
