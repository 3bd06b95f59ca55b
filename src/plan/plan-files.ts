// The files podnet keeps on a node (the CNI plugin, its conflist, network-manager drop-ins), compared
// by SHA-256 and mode; a drop-in is followed by its manager's reload, and warned about until it is in place.
// Planned only when the gather looked at files. A file at one of podnet's paths that does not name
// podnet is someone else's: a conflict, never overwritten.
import type { FileValue, Step } from '../model/plan.js';
import { managerOfDropin } from '../state/network-managers.js';
import type { DesiredFile, ObservedFile } from '../model/types.js';
import type { Planning } from './planning.js';

export function desiredFileValue(want: DesiredFile): FileValue {
  return { path: want.path, role: want.role, mode: want.mode, sha256: want.sha256 };
}

/** The one answer to "is this file right?": it exists with the desired content and mode. */
export function fileIsRight(found: ObservedFile | undefined, want: DesiredFile): boolean {
  return found !== undefined && found.sha256 === want.sha256 && found.mode === want.mode;
}

export function planFiles(p: Planning): void {
  const observedFiles = p.observed.files;
  if (observedFiles === undefined) return;
  for (const want of p.desired.files) {
    const found = observedFiles.find((f) => f.path === want.path);
    const after = desiredFileValue(want);
    const steps: Step[] = [
      { run: 'install-file', path: want.path, mode: want.mode, content: want.content },
      ...(want.reload !== undefined ? [{ run: 'command' as const, argv: want.reload }] : []),
    ];
    const manager = managerOfDropin(want.path);
    if (found === undefined || found.sha256 === null) {
      p.add('file', { kind: 'file', key: want.path, action: 'create', after, reason: { code: 'missing' }, steps });
      if (manager !== undefined) p.warn({ code: 'network-manager-unconfigured', manager, path: want.path });
      continue;
    }
    if (found.mentionsPodnet === false) {
      p.conflict({ code: 'foreign-file', kind: 'file', key: want.path, role: want.role });
      continue;
    }
    if (fileIsRight(found, want)) continue;
    const before: FileValue = { path: found.path, role: want.role, ...(found.mode !== undefined ? { mode: found.mode } : {}), sha256: found.sha256 };
    p.add('file', { kind: 'file', key: want.path, action: 'update', before, after, reason: { code: 'differs' }, steps });
    if (manager !== undefined) p.warn({ code: 'network-manager-unconfigured', manager, path: want.path });
  }
}
