// The kernel limits a lab of N nodes needs, compared with what the kernel has, what `--tune-kernel`
// raises, and what `lab down` puts back. Pure: numbers in, decisions and sentences out. The effectful
// side (reading /proc, writing sysctls, the records in the state directory) is ./kernel-tuning.ts.
//
// Figures (measured on a 2-CPU Debian 12 machine, see docs/lab.md "Kernel limits"): a lab node is 2
// processes at rest (unshare + sshd, ~4.5 open files each) and up to ~90 during a full-mesh verify
// (sshd's session pairs, shells, probes, the controller's proxy `ip netns exec … nc`); the controller
// holds ~4 descriptors per node it talks to (the ssh2 socket pair and the proxy's pipes) plus ~30 of
// its own; pod traffic between every pair of nodes needs one neighbour entry per ordered pair
// (host-gw next hops) plus a few per node (the switch, local pods). None of the lab's processes uses
// inotify (0 instances and 0 watches at 10 and 100 nodes), so inotify is not checked.

/** What happens when a limit is short: `refuse` — the lab would fail (traffic lost, forks or opens
 * failing); `warn` — the lab works, something around it may degrade. */
export type LimitSeverity = 'refuse' | 'warn';

export interface KernelNeed {
  /** A sysctl name (`net.ipv4.neigh.default.gc_thresh3`), or a pseudo-key for what no sysctl sets. */
  key: string;
  /** The smallest value that works. */
  needed: number;
  severity: LimitSeverity;
  /** The value `--tune-kernel` sets when the current one is below `needed`; absent: not tunable by us. */
  tuneTo?: number;
  /** Why the lab needs it, and how to raise it by hand when we do not. */
  why: string;
}

/** What the machine shows now, read from /proc (absent when unreadable or not present). */
export interface KernelFacts {
  /** Current values of the sysctls in `needs` (by sysctl name). */
  sysctls: Record<string, number | undefined>;
  /** Threads running on the machine now (the 4th field of /proc/loadavg, after the slash). */
  threads?: number;
  /** Open files on the machine now (first field of fs.file-nr). */
  openFiles?: number;
  /** Mounts of the root mount namespace now (lines of /proc/self/mountinfo). */
  mounts?: number;
  /** Hard RLIMIT_NOFILE of this process (node raises the soft limit to it at start). */
  nofileHard?: number;
  /** MemAvailable, in KiB. */
  memAvailableKiB?: number;
}

/** Lab members (nodes, plus the router) of the lab being made and of the other labs up on the machine. */
export interface LabDemand {
  members: number;
  otherMembers: number;
}

export const NEIGH_GC_THRESH2 = 'net.ipv4.neigh.default.gc_thresh2';
export const NEIGH_GC_THRESH3 = 'net.ipv4.neigh.default.gc_thresh3';
export const PID_MAX = 'kernel.pid_max';
export const THREADS_MAX = 'kernel.threads-max';
export const FILE_MAX = 'fs.file-max';
export const MOUNT_MAX = 'fs.mount-max';
export const MAX_NET_NAMESPACES = 'user.max_net_namespaces';
export const CONNTRACK_MAX = 'net.netfilter.nf_conntrack_max';
/** Pseudo-keys: limits no sysctl sets. */
export const NOFILE = 'RLIMIT_NOFILE';
export const MEMORY = 'MemAvailable';

/** Every sysctl the check reads (nf_conntrack_max only exists with the conntrack module loaded). */
export const CHECKED_SYSCTLS = [NEIGH_GC_THRESH2, NEIGH_GC_THRESH3, PID_MAX, THREADS_MAX, FILE_MAX, MOUNT_MAX, MAX_NET_NAMESPACES, CONNTRACK_MAX] as const;

/** Neighbour entries outside the labs (the machine's own, other namespaces): gc_thresh1's default. */
const NEIGH_MACHINE_ENTRIES = 128;
/** Processes (threads) per member while podnet works on it: a full-mesh verify of 100 nodes peaked at
 * 9,311 processes on the machine (bench:scale), about 90 per node. */
const THREADS_PER_MEMBER = 100;
/** Open files per member on the machine (its processes at work). */
const FILES_PER_MEMBER = 50;
/** The controller's descriptors: its own, and per node it talks to. */
const CONTROLLER_FILES = 64;
const CONTROLLER_FILES_PER_MEMBER = 5;
/** KiB of memory per member: sshd (~1.3 MB PSS) and its sessions, the probe pods. */
const MEMORY_KIB_PER_MEMBER = 4096;

/** Neighbour entries one lab of `members` needs when every pair of nodes carries pod traffic (a full verify). */
export function labNeighbourEntries(members: number): number {
  // members × (members − 1) next hops, plus per member: the switch and its entry for the node (2),
  // the node's bridge entries for its pods and the pods' entries for their gateway and each other
  // (two probe pods and one pod of your own: 6).
  return members * (members - 1) + 8 * members;
}

/** `value` rounded up to a multiple of `step`. */
function roundUp(value: number, step: number): number {
  return Math.ceil(value / step) * step;
}

/** What a lab of `demand.members` needs of the kernel, with the other labs on the machine counted in. */
export function labKernelNeeds(demand: LabDemand, facts: KernelFacts): KernelNeed[] {
  const { members, otherMembers } = demand;
  const all = members + otherMembers;
  // The neighbour table is global to the kernel: every lab on the machine counts. This lab alone past
  // gc_thresh3 is refused; together with the other labs only warned about (they seldom all carry
  // traffic at once, and the other labs may well be idle), and --tune-kernel raises it for all.
  const own = labNeighbourEntries(members) + NEIGH_MACHINE_ENTRIES;
  const entries = own + labNeighbourEntries(otherMembers);
  const neighTarget = roundUp(entries, 1024);
  const threads = (facts.threads ?? 0) + THREADS_PER_MEMBER * members;
  const files = (facts.openFiles ?? 0) + FILES_PER_MEMBER * members;
  const needs: KernelNeed[] = [
    {
      key: NEIGH_GC_THRESH3,
      needed: own,
      severity: 'refuse',
      tuneTo: 2 * roundUp(own, 1024),
      why:
        `the neighbour table is shared by every namespace of the machine; pod traffic between every pair of nodes ` +
        `(a full verify) needs about ${own} entries, and past gc_thresh3 new entries fail (ENOBUFS, "neighbour table overflow"): pods lose packets`,
    },
    {
      key: NEIGH_GC_THRESH2,
      needed: own,
      severity: 'warn',
      tuneTo: neighTarget,
      why: `past gc_thresh2 the kernel collects neighbour entries older than 5 s: traffic still flows, with more ARP`,
    },
    ...(otherMembers === 0
      ? []
      : [
          {
            key: NEIGH_GC_THRESH3,
            needed: entries,
            severity: 'warn' as const,
            tuneTo: 2 * neighTarget,
            why: `this lab and the other labs on the machine (${all} members in all) need about ${entries} neighbour entries when all carry pod traffic at once`,
          },
        ]),
    {
      key: PID_MAX,
      needed: threads,
      severity: 'refuse',
      tuneTo: roundUp(2 * threads, 1024),
      why: `about ${THREADS_PER_MEMBER} processes per node while podnet works on it, on top of the ${facts.threads ?? 0} threads running now: forks past it fail`,
    },
    {
      key: THREADS_MAX,
      needed: threads,
      severity: 'refuse',
      tuneTo: roundUp(2 * threads, 1024),
      why: `the same processes count against the machine's thread limit`,
    },
    {
      key: FILE_MAX,
      needed: files,
      severity: 'refuse',
      tuneTo: roundUp(2 * files, 1024),
      why: `about ${FILES_PER_MEMBER} open files per node at work, on top of the ${facts.openFiles ?? 0} open now: opens past it fail (ENFILE)`,
    },
    {
      key: MOUNT_MAX,
      needed: (facts.mounts ?? 0) + members + 1,
      severity: 'refuse',
      tuneTo: roundUp(2 * ((facts.mounts ?? 0) + members + 1), 1024),
      why: `every namespace of the lab is a mount in /run/netns, on top of the ${facts.mounts ?? 0} mounts now`,
    },
    {
      key: MAX_NET_NAMESPACES,
      // The switch, every member, and two probe pods per node while verify runs.
      needed: 3 * members + 1,
      severity: 'refuse',
      tuneTo: roundUp(2 * (3 * members + 1), 1024),
      why: `a namespace for the switch and each node, and two probe pods per node while verify runs`,
    },
    {
      key: NOFILE,
      needed: CONTROLLER_FILES + CONTROLLER_FILES_PER_MEMBER * members,
      severity: 'warn',
      why:
        `podnet (apply, diff, verify) holds about ${CONTROLLER_FILES_PER_MEMBER} descriptors per node it talks to: ` +
        `past the hard open-files limit of your shell it fails with EMFILE (raise it with \`ulimit -Hn\`, ` +
        `or LimitNOFILE in a systemd unit; --tune-kernel cannot change your shell's limits)`,
    },
    {
      key: MEMORY,
      needed: MEMORY_KIB_PER_MEMBER * members,
      severity: 'warn',
      why: `about ${MEMORY_KIB_PER_MEMBER / 1024} MiB per node (sshd, its sessions, probe pods): the machine may swap or kill processes`,
    },
  ];
  // nf_conntrack_max only exists (and only matters) with the conntrack module loaded.
  if (facts.sysctls[CONNTRACK_MAX] !== undefined) {
    const flows = 2 * members * members;
    needs.push({
      key: CONNTRACK_MAX,
      needed: flows,
      severity: 'refuse',
      tuneTo: roundUp(2 * flows, 1024),
      why: `verify's ping and TCP checks between every pair of nodes are tracked flows when masquerading: past the limit the kernel drops packets ("nf_conntrack: table full")`,
    });
  }
  return needs;
}

/** The current value of a need's key: a sysctl, or one of the pseudo-keys. */
export function currentValue(key: string, facts: KernelFacts): number | undefined {
  if (key === NOFILE) return facts.nofileHard;
  if (key === MEMORY) return facts.memAvailableKiB;
  return facts.sysctls[key];
}

export interface LimitFinding extends KernelNeed {
  current: number;
}

/** The needs the machine does not meet now (unreadable values are not judged). */
export function shortLimits(needs: readonly KernelNeed[], facts: KernelFacts): LimitFinding[] {
  const short: LimitFinding[] = [];
  for (const need of needs) {
    const current = currentValue(need.key, facts);
    if (current !== undefined && current < need.needed) short.push({ ...need, current });
  }
  return short;
}

/** One sysctl write of `--tune-kernel`. */
export interface SysctlChange {
  key: string;
  from: number;
  to: number;
}

/** The writes `--tune-kernel` makes: every short limit it can raise, raised to its target. */
export function tuneChanges(findings: readonly LimitFinding[]): SysctlChange[] {
  const changes = new Map<string, SysctlChange>();
  for (const f of findings) {
    if (f.tuneTo === undefined || f.tuneTo <= f.current) continue;
    const seen = changes.get(f.key);
    if (seen === undefined || seen.to < f.tuneTo) changes.set(f.key, { key: f.key, from: f.current, to: f.tuneTo });
  }
  return [...changes.values()];
}

/** The largest value any need asks of each key (several needs may share one). */
export function neededByKey(needs: readonly KernelNeed[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of needs) out[n.key] = Math.max(out[n.key] ?? 0, n.needed);
  return out;
}

/**
 * What `lab up` does about the findings: with `tune`, raise what it can (and refuse only what it
 * cannot raise); without, refuse on every `refuse` finding. Warnings are reported either way.
 */
export function kernelVerdict(
  findings: readonly LimitFinding[],
  tune: boolean,
): { refuse: LimitFinding[]; warn: LimitFinding[]; tune: SysctlChange[] } {
  const changes = tune ? tuneChanges(findings) : [];
  const raised = new Set(changes.map((c) => c.key));
  return {
    refuse: findings.filter((f) => f.severity === 'refuse' && !raised.has(f.key)),
    warn: findings.filter((f) => f.severity === 'warn' && !raised.has(f.key)),
    tune: changes,
  };
}

/** The message of a refused `lab up`: every limit too low, what it needs, and how to go on. */
export function renderRefusal(lab: string, nodes: number, refused: readonly LimitFinding[], tunable: boolean): string {
  const lines = [`lab "${lab}" (${nodes} node${nodes === 1 ? '' : 's'}) would hit kernel limits; nothing was made:`];
  for (const f of refused) {
    lines.push(`  ${f.key} is ${f.current}, needs at least ${f.needed}${f.tuneTo !== undefined ? ` (--tune-kernel sets ${f.tuneTo})` : ''}: ${f.why}`);
  }
  lines.push(
    tunable
      ? `run again with --tune-kernel to raise ${refused.length === 1 ? 'it' : 'them'} (lab down puts the old values back), or raise ${refused.length === 1 ? 'it' : 'them'} yourself with sysctl -w`
      : 'raise them yourself (sysctl -w), then run lab up again',
  );
  return lines.join('\n');
}

export function renderWarning(f: LimitFinding): string {
  const unit = f.key === MEMORY ? ' KiB' : '';
  return `warning: ${f.key} is ${f.current}${unit}, below the ${f.needed}${unit} a lab of this size needs: ${f.why}`;
}

export function renderChange(c: SysctlChange): string {
  return `raised ${c.key} from ${c.from} to ${c.to} (lab down puts it back)`;
}

// ───────────────────────────── the restore list ─────────────────────────────

/** One thing a lab changed on the machine, which `lab down` puts back. */
export type RestoreEntry =
  | { kind: 'sysctl'; key: string; original: number; set: number }
  /** A directory the lab created (a mount point inside the nodes that the machine did not have). */
  | { kind: 'dir'; path: string };

/** What a lab's kernel.json holds. */
export interface RestoreRecord {
  formatVersion: 1;
  entries: RestoreEntry[];
}

/** Another lab still up when one goes down: its name, members, and restore entries. */
export interface OtherLab {
  name: string;
  needs: Record<string, number>;
  entries: RestoreEntry[];
}

export type RestoreAction =
  /** Write `value` back to the sysctl. */
  | { kind: 'write'; key: string; from: number; value: number }
  /** Remove the directory if it is empty. */
  | { kind: 'rmdir'; path: string }
  /** Move the entry to another lab still up, which puts it back when it goes down. */
  | { kind: 'hand-over'; lab: string; entry: RestoreEntry; reason: string }
  /** Leave it as it is. */
  | { kind: 'leave'; entry: RestoreEntry; reason: string };

/**
 * What `lab down` does with each entry of its restore list, given the sysctls' current values and
 * the labs still up:
 * - a sysctl still at the value this lab set is written back to its original value, unless a lab
 *   still up needs more than the original: then it stays and goes to that lab's list;
 * - a sysctl changed since (someone else set it) is left alone, unless another lab's list holds an
 *   entry that took over from this one (its original is our set value): that entry's original
 *   becomes ours, so the last lab down puts back what was there before any lab;
 * - a directory the lab created stays while another lab is up (its nodes mount on it) and goes to
 *   that lab's list; otherwise it is removed if it is empty.
 */
export function planRestore(entries: readonly RestoreEntry[], current: Record<string, number | undefined>, others: readonly OtherLab[]): RestoreAction[] {
  const actions: RestoreAction[] = [];
  for (const entry of entries) {
    if (entry.kind === 'dir') {
      const heir = others[0];
      actions.push(
        heir === undefined
          ? { kind: 'rmdir', path: entry.path }
          : { kind: 'hand-over', lab: heir.name, entry, reason: `lab ${heir.name} is still up and its nodes mount on it` },
      );
      continue;
    }
    const now = current[entry.key];
    if (now === undefined) {
      actions.push({ kind: 'leave', entry, reason: `${entry.key} can no longer be read` });
      continue;
    }
    if (now !== entry.set) {
      const successor = others.find((o) => o.entries.some((e) => e.kind === 'sysctl' && e.key === entry.key && e.original === entry.set));
      actions.push(
        successor !== undefined
          ? { kind: 'hand-over', lab: successor.name, entry, reason: `lab ${successor.name} raised it further and will put back ${entry.original}` }
          : { kind: 'leave', entry, reason: `${entry.key} is ${now} now, not the ${entry.set} this lab set: someone else changed it, so it stays` },
      );
      continue;
    }
    const needy = others.find((o) => (o.needs[entry.key] ?? 0) > entry.original);
    actions.push(
      needy !== undefined
        ? { kind: 'hand-over', lab: needy.name, entry, reason: `lab ${needy.name} is still up and needs ${needy.needs[entry.key] ?? 0}` }
        : { kind: 'write', key: entry.key, from: now, value: entry.original },
    );
  }
  return actions;
}

/** A lab's list after a hand-over: entries that took over from the incoming one get its original; others are added. */
export function receiveHandOver(entries: readonly RestoreEntry[], incoming: RestoreEntry): RestoreEntry[] {
  if (incoming.kind === 'dir') {
    return entries.some((e) => e.kind === 'dir' && e.path === incoming.path) ? [...entries] : [...entries, incoming];
  }
  const chained = entries.findIndex((e) => e.kind === 'sysctl' && e.key === incoming.key && e.original === incoming.set);
  if (chained >= 0) {
    return entries.map((e, i) => (i === chained && e.kind === 'sysctl' ? { ...e, original: incoming.original } : e));
  }
  return entries.some((e) => e.kind === 'sysctl' && e.key === incoming.key) ? [...entries] : [...entries, incoming];
}

export function renderRestoreAction(action: RestoreAction): string {
  switch (action.kind) {
    case 'write':
      return `put ${action.key} back from ${action.from} to ${action.value}`;
    case 'rmdir':
      return `removed ${action.path} (made by the lab)`;
    case 'hand-over':
      return `left ${describeEntry(action.entry)}: ${action.reason}`;
    case 'leave':
      return `left ${describeEntry(action.entry)}: ${action.reason}`;
  }
}

function describeEntry(entry: RestoreEntry): string {
  return entry.kind === 'dir' ? entry.path : `${entry.key} (was ${entry.original}, the lab set ${entry.set})`;
}
