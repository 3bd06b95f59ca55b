// What a lab leaves on the machine, checked exactly: used by bench/scale.ts (at 100 nodes) and by
// test/lab/lab-leftovers.test.ts (at a few nodes). Take `machineSnapshot` before `lab up`,
// `labFootprint` while the lab is up, and `leftovers(before, footprint)` after `lab down`: it lists
// every namespace, process, mount, file and sysctl change of the lab still there ([] when none).
// Sysctls: those the lab raised (its kernel.json) must be back at their value before it.
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { CHECKED_SYSCTLS, type RestoreEntry } from '../src/lab/kernel-limits.js';
import { NODE_MOUNT_POINTS, kernelRecordFile } from '../src/lab/kernel-tuning.js';
import { LAB_ROOT_DIR, labPaths, parseLabNetns } from '../src/lab/lab-layout.js';
import { labLockFile } from '../src/lab/lab-lock.js';

export interface MachineSnapshot {
  /** The checked sysctls' values. */
  sysctls: Record<string, string>;
  /** Mounts of the root mount namespace other than namespace files (mount point, type, source). */
  mounts: string[];
  /** Which of the nodes' mount points exist. */
  mountPoints: Record<string, boolean>;
}

export interface LabFootprint {
  lab: string;
  /** Namespace inodes (`net:[…]`, `mnt:[…]`, `pid:[…]`, `uts:[…]`) of the lab's members, as /proc shows them. */
  namespaces: string[];
  /** PIDs of the lab's processes with their start times (a reused PID is another process). */
  processes: { pid: number; start: string }[];
  /** The sysctls the lab raised (its kernel.json while up), with their values before. */
  sysctls: { key: string; original: number }[];
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function pids(): number[] {
  return readdirSync('/proc').filter((e) => /^[0-9]+$/.test(e)).map(Number);
}

function startTime(pid: number): string {
  const stat = read(`/proc/${pid}/stat`);
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
}

/** A zombie has ended: this machine's PID 1 reaps orphans lazily (see src/lab/processes.ts). */
function isZombie(pid: number): boolean {
  const stat = read(`/proc/${pid}/stat`);
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === '' || state === 'Z' || state === 'X';
}

function nsLinks(pid: number): string[] {
  const out: string[] = [];
  for (const kind of ['net', 'mnt', 'pid', 'uts']) {
    try {
      out.push(readlinkSync(`/proc/${pid}/ns/${kind}`));
    } catch {
      // Gone, or a kernel thread.
    }
  }
  return out;
}

function mountLines(): string[] {
  return read('/proc/self/mountinfo')
    .trimEnd()
    .split('\n')
    .map((line) => {
      const [left = '', right = ''] = line.split(' - ');
      const fields = left.split(' ');
      const [type = '', source = ''] = right.split(' ');
      return { point: fields[4] ?? '', type, source };
    })
    .filter((m) => m.type !== 'nsfs' && m.point !== '/run/netns')
    .map((m) => `${m.point} ${m.type} ${m.source}`)
    .sort();
}

export function machineSnapshot(): MachineSnapshot {
  const sysctls: Record<string, string> = {};
  for (const key of CHECKED_SYSCTLS) sysctls[key] = read(`/proc/sys/${key.replaceAll('.', '/')}`).trim();
  return {
    sysctls,
    mounts: mountLines(),
    mountPoints: Object.fromEntries(NODE_MOUNT_POINTS.map((p) => [p, exists(p)])),
  };
}

/** The lab's namespaces and processes while it is up: everything in its network namespaces. */
export function labFootprint(lab: string): LabFootprint {
  const netns = readdirSync('/run/netns').filter((n) => parseLabNetns(n)?.lab === lab);
  const inodes = new Set(netns.map((n) => `net:[${statSync(`/run/netns/${n}`).ino}]`));
  const namespaces = new Set(inodes);
  const processes: { pid: number; start: string }[] = [];
  for (const pid of pids()) {
    const links = nsLinks(pid);
    if (!links.some((l) => inodes.has(l))) continue;
    processes.push({ pid, start: startTime(pid) });
    // A node's own mount, pid and UTS namespaces are those of the processes in its network namespace.
    for (const l of links) if (!l.startsWith('net:')) namespaces.add(l);
  }
  // The machine's own namespaces (ours) are not the lab's.
  for (const l of nsLinks(process.pid)) namespaces.delete(l);
  let sysctls: { key: string; original: number }[] = [];
  try {
    const record = JSON.parse(readFileSync(kernelRecordFile(lab), 'utf8')) as { entries: RestoreEntry[] };
    sysctls = record.entries.flatMap((e) => (e.kind === 'sysctl' ? [{ key: e.key, original: e.original }] : []));
  } catch {
    // No kernel.json: the lab changed no sysctl.
  }
  return { lab, namespaces: [...namespaces].sort(), processes, sysctls };
}

/** Now, in the clock ticks of a process's start time (USER_HZ is 100 on Linux). */
export function uptimeTicks(): number {
  return Math.floor(Number(read('/proc/uptime').split(' ')[0]) * 100);
}

/**
 * Everything of the lab still on the machine after `lab down`: one line each, [] when none.
 * `downStarted` (uptimeTicks() taken just before lab down): namespace inodes are reused once freed,
 * so a process in a namespace with one of the lab's inodes counts only if it started before the
 * down — a later one lives in a new namespace (other labs run on this machine meanwhile).
 */
/** The directories and sysctls that the kernel records (kernel.json) of the labs other than `lab` hold. */
function handedOver(lab: string): { dirs: Set<string>; sysctls: Set<string> } {
  const dirs = new Set<string>();
  const sysctls = new Set<string>();
  for (const other of exists(LAB_ROOT_DIR) ? readdirSync(LAB_ROOT_DIR) : []) {
    if (other === lab || other.startsWith('.')) continue;
    let record: { entries?: RestoreEntry[] };
    try {
      record = JSON.parse(read(kernelRecordFile(other))) as { entries?: RestoreEntry[] };
    } catch {
      continue;
    }
    for (const entry of record.entries ?? []) {
      if (entry.kind === 'dir') dirs.add(entry.path);
      else if (entry.kind === 'sysctl') sysctls.add(entry.key);
    }
  }
  return { dirs, sysctls };
}

export function leftovers(before: MachineSnapshot, footprint: LabFootprint, downStarted = Number.MAX_SAFE_INTEGER): string[] {
  const found: string[] = [];
  const { lab } = footprint;
  for (const n of exists('/run/netns') ? readdirSync('/run/netns') : []) {
    if (parseLabNetns(n)?.lab === lab) found.push(`namespace ${n}`);
  }
  const nsSet = new Set(footprint.namespaces);
  const stateDir = labPaths(lab).stateDir;
  const live = new Map(footprint.processes.map((p) => [p.pid, p.start]));
  for (const pid of pids()) {
    if (isZombie(pid)) continue;
    const held = Number(startTime(pid)) <= downStarted ? nsLinks(pid).filter((l) => nsSet.has(l)) : [];
    if (held.length > 0) found.push(`process ${pid} in the lab's namespace ${held.join(', ')}`);
    else if (live.get(pid) === startTime(pid) && startTime(pid) !== '') found.push(`process ${pid} of the lab still runs (${read(`/proc/${pid}/cmdline`).replaceAll('\0', ' ').trim()}; ${nsLinks(pid).join(' ')})`);
    else if (read(`/proc/${pid}/cmdline`).includes(`${stateDir}/`)) found.push(`process ${pid} runs from ${stateDir}`);
  }
  const mounts = read('/proc/self/mountinfo');
  for (const line of mounts.split('\n')) {
    if (line.includes(`/pnlab-${lab}-`) || line.includes(`${stateDir}/`)) found.push(`mount ${line}`);
  }
  const after = machineSnapshot();
  const added = after.mounts.filter((m) => !before.mounts.includes(m));
  for (const m of added) found.push(`mount ${m} (not there before)`);
  for (const path of [stateDir, kernelRecordFile(lab), labLockFile(lab)]) if (exists(path)) found.push(`file ${path}`);
  for (const entry of exists(LAB_ROOT_DIR) ? readdirSync(LAB_ROOT_DIR) : []) {
    if (entry === lab || entry.startsWith(`.${lab}.`)) found.push(`file ${LAB_ROOT_DIR}/${entry}`);
  }
  // What lab down handed over to a lab still up (that lab puts it back when it goes) is not left behind.
  const heirs = handedOver(lab);
  for (const [point, existed] of Object.entries(before.mountPoints)) {
    if (!existed && after.mountPoints[point] === true && !heirs.dirs.has(point)) found.push(`directory ${point} (made by the lab)`);
  }
  // Only the lab's own changes: other labs on the machine may raise (and put back) the same ones meanwhile.
  for (const { key, original } of footprint.sysctls) {
    const now = after.sysctls[key];
    if (now !== String(original) && !heirs.sysctls.has(key)) found.push(`sysctl ${key} is ${now ?? '?'}, was ${original} before the lab raised it`);
  }
  return found;
}
