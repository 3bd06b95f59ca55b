// The effectful side of the lab's kernel limits (the decisions are in ./kernel-limits.ts): read what
// the kernel has, raise sysctls with --tune-kernel, create the nodes' mount points the machine lacks,
// record both in the lab's state directory (kernel.json), and put them back at `lab down`. One
// machine-wide lock (/run/podnet/lab/._kernel.lock) makes check-and-raise and put-back of all labs
// run one after the other: the sysctls are the whole kernel's.
import { mkdir, readFile, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UserError } from '../model/errors.js';
import {
  CHECKED_SYSCTLS,
  kernelVerdict,
  labKernelNeeds,
  neededByKey,
  planRestore,
  receiveHandOver,
  renderChange,
  renderRefusal,
  renderRestoreAction,
  renderWarning,
  shortLimits,
  type KernelFacts,
  type OtherLab,
  type RestoreEntry,
  type RestoreRecord,
} from './kernel-limits.js';
import { LAB_NAME_PATTERN, LAB_ROOT_DIR, labPaths } from './lab-layout.js';
import { withLabLock } from './lab-lock.js';

/** Where the sysctls are read and written; tests point it at a directory of their own. */
export const PROC_SYS = '/proc/sys';
/** The lock of the kernel step: not a valid lab name, so no lab's lock. */
const KERNEL_LOCK = '_kernel';

/** The mount points a node binds its own directories on (see node-init.sh), and sshd's privilege separation directory. */
export const NODE_MOUNT_POINTS = ['/etc/cni', '/opt/cni/bin', '/var/lib/cni', '/var/lib/podnet', '/root', '/run/podnet/apply', '/run/sshd'] as const;

export function kernelRecordFile(lab: string): string {
  return `${labPaths(lab).stateDir}/kernel.json`;
}

function sysctlPath(procSys: string, key: string): string {
  return `${procSys}/${key.replaceAll('.', '/')}`;
}

async function readNumber(file: string, field = 0): Promise<number | undefined> {
  try {
    const value = Number((await readFile(file, 'utf8')).trim().split(/\s+/)[field]);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return '';
  }
}

/** What the kernel has now: the checked sysctls (from `procSys`) and the machine's usage (from /proc). */
export async function readKernelFacts(procSys: string = PROC_SYS): Promise<KernelFacts> {
  const sysctls: Record<string, number | undefined> = {};
  for (const key of CHECKED_SYSCTLS) sysctls[key] = await readNumber(sysctlPath(procSys, key));
  const loadavg = (await readText('/proc/loadavg')).split(/\s+/)[3]?.split('/')[1];
  const limits = /^Max open files\s+\S+\s+(\S+)/m.exec(await readText('/proc/self/limits'))?.[1];
  const mem = /^MemAvailable:\s+([0-9]+) kB/m.exec(await readText('/proc/meminfo'))?.[1];
  const mountinfo = await readText('/proc/self/mountinfo');
  const facts: KernelFacts = { sysctls };
  if (loadavg !== undefined && /^[0-9]+$/.test(loadavg)) facts.threads = Number(loadavg);
  const openFiles = await readNumber('/proc/sys/fs/file-nr');
  if (openFiles !== undefined) facts.openFiles = openFiles;
  if (mountinfo !== '') facts.mounts = mountinfo.trimEnd().split('\n').length;
  if (limits !== undefined) facts.nofileHard = limits === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(limits);
  if (mem !== undefined) facts.memAvailableKiB = Number(mem);
  return facts;
}

/** kernel.json: the restore list, the lab's members, and (only when it is not /proc/sys) where its sysctls were written. */
type KernelRecord = RestoreRecord & { members?: number; procSys?: string };

async function readRecord(lab: string): Promise<KernelRecord | null> {
  try {
    const record = JSON.parse(await readFile(kernelRecordFile(lab), 'utf8')) as KernelRecord;
    return Array.isArray(record.entries) ? record : null;
  } catch {
    return null;
  }
}

async function writeRecord(lab: string, members: number, entries: readonly RestoreEntry[], procSys: string): Promise<void> {
  const file = kernelRecordFile(lab);
  await mkdir(dirname(file), { recursive: true, mode: 0o755 });
  const record: KernelRecord = { formatVersion: 1, members, entries: [...entries], ...(procSys === PROC_SYS ? {} : { procSys }) };
  await writeFile(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
  await rename(`${file}.tmp`, file);
}

/** Members (nodes + router) a lab's lab.json records, or null without one. */
async function labJsonMembers(lab: string): Promise<number | null> {
  try {
    const state = JSON.parse(await readFile(labPaths(lab).stateFile, 'utf8')) as { nodes?: unknown[]; router?: unknown };
    return Array.isArray(state.nodes) ? state.nodes.length + (state.router === undefined ? 0 : 1) : null;
  } catch {
    return null;
  }
}

interface LiveLab {
  name: string;
  members: number;
  entries: RestoreEntry[];
  /** Whether it keeps a kernel.json: only such a lab can take entries over and put them back. */
  hasRecord: boolean;
  /** Where its sysctls are (entries only go to a lab that writes the same ones). */
  procSys: string;
}

/** The other labs of the machine: those with a kernel.json or a lab.json in their state directory. */
async function otherLabs(self: string): Promise<LiveLab[]> {
  let names: string[] = [];
  try {
    names = (await readdir(LAB_ROOT_DIR)).filter((n) => LAB_NAME_PATTERN.test(n) && n !== self).sort();
  } catch {
    return [];
  }
  const labs: LiveLab[] = [];
  for (const name of names) {
    const record = await readRecord(name);
    const members = record?.members ?? (await labJsonMembers(name));
    if (members !== null && members !== undefined) labs.push({ name, members, entries: record?.entries ?? [], hasRecord: record !== null, procSys: record?.procSys ?? PROC_SYS });
  }
  return labs;
}

async function writeSysctl(procSys: string, key: string, value: number): Promise<void> {
  await writeFile(sysctlPath(procSys, key), `${value}\n`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The directories of `path` that do not exist, deepest first (what `mkdir -p path` would create). */
async function missingDirs(path: string): Promise<string[]> {
  const missing: string[] = [];
  for (let p = path; p !== '/' && !(await exists(p)); p = dirname(p)) missing.push(p);
  return missing;
}

export interface KernelStepResult {
  warnings: string[];
  changes: string[];
}

/**
 * The kernel step of `lab up`: checks what a lab of `members` needs against what the kernel has
 * (other labs counted in); refuses with a UserError naming every limit too low (touching nothing),
 * or with `tune` raises them; creates the nodes' mount points the machine lacks; records both in the
 * lab's kernel.json.
 */
export async function prepareKernel(lab: string, nodes: number, members: number, opts: { tune: boolean; procSys?: string }): Promise<KernelStepResult> {
  const procSys = opts.procSys ?? PROC_SYS;
  return withLabLock(KERNEL_LOCK, async () => {
    const others = await otherLabs(lab);
    const facts = await readKernelFacts(procSys);
    const needs = labKernelNeeds({ members, otherMembers: others.reduce((s, o) => s + o.members, 0) }, facts);
    const verdict = kernelVerdict(shortLimits(needs, facts), opts.tune);
    if (verdict.refuse.length > 0) {
      throw new UserError(renderRefusal(lab, nodes, verdict.refuse, !opts.tune && verdict.refuse.every((f) => f.tuneTo !== undefined)));
    }
    const entries: RestoreEntry[] = [];
    const changes: string[] = [];
    // Record before writing: a crash between the two leaves an entry whose value was never set,
    // which lab down then leaves alone (the value is not the one recorded as set).
    for (const change of verdict.tune) entries.push({ kind: 'sysctl', key: change.key, original: change.from, set: change.to });
    for (const point of NODE_MOUNT_POINTS) for (const dir of await missingDirs(point)) entries.push({ kind: 'dir', path: dir });
    await writeRecord(lab, members, entries, procSys);
    for (const change of verdict.tune) {
      try {
        await writeSysctl(procSys, change.key, change.to);
      } catch (err) {
        throw new UserError(`could not raise ${change.key} to ${change.to}: ${(err as Error).message}`);
      }
      changes.push(renderChange(change));
    }
    for (const point of NODE_MOUNT_POINTS) await mkdir(point, { recursive: true, mode: point === '/root' ? 0o700 : 0o755 });
    return { warnings: verdict.warn.map(renderWarning), changes };
  });
}

/**
 * The kernel step of `lab down`: puts back what the lab's kernel.json records (see planRestore for
 * what happens when the value changed meanwhile or another lab still needs it), then removes the
 * record and lab.json, so that no other lab counts this one any more. Returns one sentence per entry.
 */
export async function restoreKernel(lab: string, opts: { procSys?: string } = {}): Promise<string[]> {
  const procSys = opts.procSys ?? PROC_SYS;
  return withLabLock(KERNEL_LOCK, async () => {
    const record = await readRecord(lab);
    const entries = record?.entries ?? [];
    const messages: string[] = [];
    if (entries.length > 0) {
      const live = await otherLabs(lab);
      const facts = await readKernelFacts(procSys);
      const total = live.reduce((s, o) => s + o.members, 0);
      // A lab without kernel.json (made by a podnet before this check) is counted in the needs at
      // lab up, but cannot take entries over: it would never put them back. Nor can a lab whose
      // sysctls are elsewhere (tests point procSys at a directory of their own).
      const others: OtherLab[] = live.filter((o) => o.hasRecord && o.procSys === procSys).map((o) => ({
        name: o.name,
        entries: o.entries,
        needs: neededByKey(labKernelNeeds({ members: o.members, otherMembers: total - o.members }, facts)),
      }));
      const current: Record<string, number | undefined> = {};
      for (const e of entries) if (e.kind === 'sysctl') current[e.key] = await readNumber(sysctlPath(procSys, e.key));
      for (const action of planRestore(entries, current, others)) {
        if (action.kind === 'write') {
          await writeSysctl(procSys, action.key, action.value);
        } else if (action.kind === 'rmdir') {
          try {
            await rmdir(action.path);
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'EBUSY') {
              messages.push(`left ${action.path} (made by the lab): it is no longer empty`);
              continue;
            }
            if (code !== 'ENOENT') throw err;
          }
        } else if (action.kind === 'hand-over') {
          const heir = live.find((o) => o.name === action.lab);
          if (heir !== undefined) {
            heir.entries = receiveHandOver(heir.entries, action.entry);
            await writeRecord(heir.name, heir.members, heir.entries, heir.procSys);
          }
        }
        messages.push(renderRestoreAction(action));
      }
    }
    await rm(kernelRecordFile(lab), { force: true });
    await rm(labPaths(lab).stateFile, { force: true });
    return messages;
  });
}
