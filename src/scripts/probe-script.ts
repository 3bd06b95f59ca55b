// The three node scripts of `podnet verify` (one exec per node each: setup, probe, cleanup) and the
// parsing of what they print. Pure. Sections are sections.ts markers (`@@podnet NAME ARGS`); every
// value from the cluster is validated or shell-quoted. The firewall and rp_filter sections are the
// gather's own commands and parsers.
import type { CniSpec } from '../model/types.js';
import { NETNS_DIR, parsePodAddOutput, parsePodDelOutput, renderPodAddScript, renderPodDelScript, validatePodName } from './pod-script.js';
import { shellQuote } from './shell-quote.js';
import { IPV4_PATTERN, NODE_NAME_PATTERN, PROBE_ID_PATTERN } from '../model/names.js';
import type { CheckId, NeighbourEntry, NeighbourSnapshot, NodeSetup, NodeTools, ProbePodRole } from '../model/verify.js';
import { sectionMarker, splitSections as splitMarkedSections, type Section } from './sections.js';
import { iptablesGatherCommand, parseFirewallSections } from './gather-iptables.js';
import { RP_FILTER_GATHER_COMMAND, parseRpFilter } from '../state/rp-filter.js';
/** The TCP port of the source-address listener inside probe pod a. */
export const LISTENER_PORT = 7946;
/**
 * Seconds a listener may live at most: only a safety net when cleanup never runs (cleanup ends it by
 * its PID). A verify of 100 nodes with failing cells (each retried) ran 405 s, past the 300 s this
 * was: the listeners had ended, and the late nodes' source-address probes failed with "no cause
 * found". Cleanup now also reports whether the listener was still up (listener-alive), so a run longer
 * than this reports those cells "not run", naming the ended listener.
 */
export const LISTENER_LIFETIME_S = 3600;

export function isIpv4(text: string): boolean {
  return IPV4_PATTERN.test(text);
}

/** The probe pods of a run: `podnet-probe-<id>-a` (cross-node peer, listener) and `-b` (its same-node peer). */
export function probePodName(probeId: string, role: ProbePodRole): string {
  if (!PROBE_ID_PATTERN.test(probeId)) throw new Error(`probe id ${JSON.stringify(probeId)} must be 4-12 of a-z0-9`);
  const name = `podnet-probe-${probeId}-${role}`;
  validatePodName(name);
  return name;
}

/**
 * The mktemp template of this run's directory on the node (listener log and PID, probe results):
 * setup creates it fresh with `mktemp -d` (never a path an earlier run or another user could have
 * made) and reports it; probe and cleanup get that path back (see isProbeWorkDir).
 */
export function probeWorkDirTemplate(probeId: string, node: string): string {
  if (!PROBE_ID_PATTERN.test(probeId)) throw new Error(`probe id ${JSON.stringify(probeId)} must be 4-12 of a-z0-9`);
  if (!NODE_NAME_PATTERN.test(node)) throw new Error(`node name ${JSON.stringify(node)} is not a valid node name`);
  return `/tmp/podnet-verify-${probeId}-${node}.XXXXXXXXXX`;
}

/** Whether path is a directory mktemp made from this run's template (what setup reports). */
export function isProbeWorkDir(path: string, probeId: string, node: string): boolean {
  const prefix = probeWorkDirTemplate(probeId, node).replace(/X+$/, '');
  return path.startsWith(prefix) && /^[A-Za-z0-9]{10}$/.test(path.slice(prefix.length));
}

function checkedWorkDir(path: string, probeId: string, node: string): string {
  if (!isProbeWorkDir(path, probeId, node)) throw new Error(`verify work directory ${JSON.stringify(path)} is not one setup made for this run`);
  return path;
}

/** sh that sets dir to the reported work directory, ending the script with 97 unless it is a directory of ours. */
function useWorkDir(path: string): string {
  return `dir=${shellQuote(path)}; [ -d "$dir" ] && [ ! -L "$dir" ] && [ -O "$dir" ] || exit 97`;
}

export interface VerifyScriptInput {
  cni: CniSpec;
  probeId: string;
  node: string;
  /** The plugin's network config (see pluginNetConfig). */
  netConfig: string;
}

export interface VerifyCleanupInput extends VerifyScriptInput {
  /** The work directory setup reported; absent when setup reported none (cleanup then makes its own). */
  workDir?: string;
}

const ROLES: readonly ProbePodRole[] = ['a', 'b'];

const section = sectionMarker;

/** The body of a pod script run in a subshell, so its `exit` ends only the subshell. */
function subshell(script: string): string {
  return `(\n${script.trimEnd()}\n)`;
}

/** A pod script run in a subshell: its exit code, stdout and stderr, each in a section of its own. */
function podScriptLines(step: 'add' | 'del', role: ProbePodRole, script: string): string[] {
  return [
    `${subshell(script)} >"$dir/${step}-${role}.out" 2>"$dir/${step}-${role}.err"`,
    'rc=$?',
    `${section(step, role)}; echo "$rc"`,
    `cat "$dir/${step}-${role}.out"; echo`,
    section(`${step}-stderr`, role),
    `cat "$dir/${step}-${role}.err"`,
  ];
}

/**
 * SETUP: the tools the node has, both probe pods created through the deployed plugin, the
 * listener started in pod a (when nc or socat is there), and the facts verify's diagnosis needs
 * beyond the gather: the filter and nat tables (as the gather reads them), rp_filter per interface, pod MTUs.
 */
export function renderVerifySetupScript(input: VerifyScriptInput): string {
  const template = probeWorkDirTemplate(input.probeId, input.node);
  const podA = probePodName(input.probeId, 'a');
  const lines = [
    'set -u',
    // A fresh directory (mode 700) every run, reported first so probe and cleanup use it.
    `dir=$(mktemp -d ${shellQuote(template)}) || exit 97`,
    section('workdir'),
    'printf \'%s\\n\' "$dir"',
    // bash's `command -v` also names a file it cannot execute: require an executable regular file.
    'have() { p=$(command -v "$1" 2>/dev/null) && [ -f "$p" ] && [ -x "$p" ]; }',
    section('tools'),
    'for t in ping nc socat timeout iptables; do have "$t" && echo "$t"; done',
    'ping -V 2>&1 | grep -qi iputils && echo ping-iputils',
    'have nc && nc -h 2>&1 | grep -qi openbsd && echo nc-openbsd',
  ];
  for (const role of ROLES) {
    const pod = probePodName(input.probeId, role);
    lines.push(
      ...podScriptLines('add', role, renderPodAddScript({ cni: input.cni, pod, netConfig: input.netConfig })),
      section('pod-mtu', role),
      `ip -n ${shellQuote(pod)} -o link show eth0 2>/dev/null`,
    );
  }
  const a = shellQuote(podA);
  const port = String(LISTENER_PORT);
  lines.push(
    // The listener: bounded by timeout, its PID kept so cleanup ends it by PID; it logs each peer.
    'listener=none',
    `if [ -e ${NETNS_DIR}/${podA} ] && have timeout; then`,
    '  if have nc && nc -h 2>&1 | grep -qi openbsd; then',
    `    timeout ${LISTENER_LIFETIME_S} ip netns exec ${a} nc -d -n -v -l -k -p ${port} </dev/null >/dev/null 2>"$dir/listen.log" &`,
    '    echo $! >"$dir/listen.pid"; listener=nc',
    '  elif have socat; then',
    `    timeout ${LISTENER_LIFETIME_S} ip netns exec ${a} socat -d -d -u TCP-LISTEN:${port},reuseaddr,fork CREATE:/dev/null </dev/null >/dev/null 2>"$dir/listen.log" &`,
    '    echo $! >"$dir/listen.pid"; listener=socat',
    '  fi',
    'fi',
    'if [ "$listener" != none ]; then',
    '  i=0',
    `  until ip netns exec ${a} ss -Hltn 'sport = :${port}' 2>/dev/null | grep -q .; do`,
    '    i=$((i + 1)); [ "$i" -gt 50 ] && { listener=failed; break; }',
    '    sleep 0.1',
    '  done',
    'fi',
    `${section('listener')}; echo "$listener"`,
    '[ "$listener" = failed ] && cat "$dir/listen.log"',
    section('iptables'),
    iptablesGatherCommand(),
    section('rp_filter'),
    RP_FILTER_GATHER_COMMAND,
    ...neighbourSnapshotLines(),
    section('end'),
    '',
  );
  return lines.join('\n');
}

/** The sections of a verify script's output, bodies trimmed. */
function splitSections(stdout: string): Section[] {
  return splitMarkedSections(stdout).map((s) => ({ ...s, body: s.body.trim() }));
}

function parseTools(text: string): NodeTools {
  const found = new Set(text.split('\n').map((l) => l.trim()));
  return {
    ping: found.has('ping'),
    pingIputils: found.has('ping-iputils'),
    ncOpenbsd: found.has('nc-openbsd'),
    socat: found.has('socat'),
    timeout: found.has('timeout'),
    iptables: found.has('iptables'),
  };
}

export class VerifyOutputError extends Error {}

/** The work directory a setup's output reports, even when the setup did not run to its end (cleanup removes it). */
export function setupWorkDir(node: string, probeId: string, stdout: string): string | undefined {
  const workDir = splitSections(stdout).find((s) => s.name === 'workdir')?.body;
  return workDir !== undefined && isProbeWorkDir(workDir, probeId, node) ? workDir : undefined;
}

/** The setup exec's output. Throws VerifyOutputError when it did not run to its end. */
export function parseVerifySetupOutput(node: string, probeId: string, stdout: string): NodeSetup {
  const sections = splitSections(stdout);
  if (sections.at(-1)?.name !== 'end') throw new VerifyOutputError('the verify setup did not run to its end');
  const get = (name: string, arg?: string): string | undefined =>
    sections.find((s) => s.name === name && (arg === undefined || s.args[0] === arg))?.body;
  const setup: NodeSetup = {
    node,
    tools: parseTools(get('tools') ?? ''),
    pods: {},
    listener: { error: 'no listener (install netcat-openbsd or socat)' },
  };
  const firewall = parseFirewallSections(sections);
  if (firewall !== undefined) setup.firewall = firewall;
  const rpFilter = parseRpFilter(get('rp_filter') ?? '');
  if (rpFilter !== null) setup.rpFilter = rpFilter;
  const neighbour = parseNeighbourSnapshot((name) => get(name));
  if (Object.keys(neighbour).length > 0) setup.neighbour = neighbour;
  for (const role of ROLES) {
    const pod = probePodName(probeId, role);
    const addBody = get('add', role);
    if (addBody === undefined) continue;
    const [codeLine = '', ...rest] = addBody.split('\n');
    const outcome = parsePodAddOutput(pod, { code: Number(codeLine.trim()), stdout: rest.join('\n').trim(), stderr: get('add-stderr', role) ?? '' });
    if (!outcome.ok) {
      setup.pods[role] = { pod, error: outcome.message };
      continue;
    }
    const address = outcome.addresses[0]?.address.split('/')[0];
    const mtuMatch = /\bmtu (\d+)/.exec(get('pod-mtu', role) ?? '');
    setup.pods[role] = {
      pod,
      ...(address !== undefined ? { address } : { error: 'the CNI result holds no address' }),
      ...(mtuMatch?.[1] ? { mtu: Number(mtuMatch[1]) } : {}),
    };
  }
  const listener = (get('listener') ?? '').split('\n');
  const program = listener[0]?.trim();
  if (program === 'nc' || program === 'socat') setup.listener = { program };
  else if (program === 'failed') setup.listener = { error: `the listener did not start: ${listener.slice(1).join(' ').trim() || 'no output'}` };
  else if (!setup.pods.a?.address) setup.listener = { error: 'no probe pod to listen in' };
  else if (!setup.tools.timeout) setup.listener = { error: 'no listener (install coreutils timeout)' };
  return setup;
}

// ───────────────────────────── probes ─────────────────────────────

export type ProbeCommand =
  | {
      kind: 'ping';
      netns?: string;
      target: string;
      dontFragmentSize?: number;
      /**
       * iputils ping: resend every 0.2 s until the first reply or 3 s (`-c 1 -w 3 -i 0.2`), so a
       * packet lost while a neighbour is being resolved under load is not a failure.
       */
      retry?: boolean;
    }
  | { kind: 'tcp'; netns: string; target: string; port: number; client: 'nc' | 'socat' };

export interface Probe {
  id: number;
  check: CheckId;
  from: string;
  to: string;
  command: ProbeCommand;
}

/** The command line of one probe, as the probe script runs it (and as reports show it). */
export function probeCommandLine(command: ProbeCommand): string {
  // nsenter joins only the network namespace; `ip netns exec` also makes a mount namespace and
  // remounts /sys for every probe, which costs a lot with hundreds of probes at once.
  const inPod = command.netns !== undefined ? `nsenter --net=${shellQuote(`${NETNS_DIR}/${command.netns}`)} ` : '';
  if (!isIpv4(command.target)) throw new Error(`probe target ${JSON.stringify(command.target)} is not an IPv4 address`);
  if (command.kind === 'ping') {
    const df = command.dontFragmentSize !== undefined ? ` -M 'do' -s ${String(Math.trunc(command.dontFragmentSize))}` : '';
    const wait = command.retry ? '-c 1 -w 3 -i 0.2' : '-c 1 -W 2';
    return `${inPod}ping -n ${wait}${df} ${command.target}`;
  }
  const port = String(Math.trunc(command.port));
  return command.client === 'nc'
    ? `printf 'podnet-verify\\n' | timeout 10 ${inPod}nc -v -n -N -w 5 ${command.target} ${port}`
    : `printf 'podnet-verify\\n' | timeout 10 ${inPod}socat -u - TCP:${command.target}:${port},connect-timeout=5`;
}

/** How many probes a node runs at once at most (a sliding window): enough to finish fast, few enough not to flood the node. */
export const PROBE_PARALLEL = 16;

/**
 * The retry schedule: a probe that failed runs again after these pauses (seconds), in rounds: round
 * 1 runs every probe, round 2 (1 s after round 1 ended) the ones that failed, round 3 (2 s after
 * round 2) the ones that failed again. A cell fails only when every attempt failed.
 */
export const RETRY_BACKOFF_S: readonly number[] = [1, 2];

/** sh: `now` sets $up to the seconds since boot in hundredths, from /proc/uptime (a builtin read: no fork). */
const NOW_FUNCTION = 'now() { read -r up _ </proc/uptime; up=${up%.*}${up#*.}; }';

/** The sh that prints the neighbour table counters: arp_cache's, gc_thresh3, the kernel log's overflow lines. */
function neighbourSnapshotLines(): string[] {
  return [
    section('arp-cache'),
    'cat /proc/net/stat/arp_cache 2>/dev/null',
    section('gc-thresh3'),
    'cat /proc/sys/net/ipv4/neigh/default/gc_thresh3 2>/dev/null',
    section('overflow-logs'),
    // The kernel's log is the kernel's: in a lab every node shares it (see diagnosis.ts).
    'if dmesg >"$dir/dmesg" 2>/dev/null; then grep -ci "table overflow" "$dir/dmesg"; fi; rm -f "$dir/dmesg"',
  ];
}

export interface ProbeScriptOptions {
  /** Probes in flight at once on this node (default PROBE_PARALLEL). */
  parallel?: number;
}

/**
 * PROBE: the node's probes as background jobs, at most `parallel` at a time (a token FIFO as the
 * semaphore), each attempt timed (when it was due, when it started, when it ended, from
 * /proc/uptime); the failed ones again after each RETRY_BACKOFF_S pause. Then the neighbour table
 * (entries, counters) as the probes left it, and every attempt's result.
 */
export function renderVerifyProbeScript(probeId: string, node: string, probes: readonly Probe[], workDir: string, options: ProbeScriptOptions = {}): string {
  const parallel = Math.max(1, Math.trunc(options.parallel ?? PROBE_PARALLEL));
  const lines = [
    'set -u',
    useWorkDir(checkedWorkDir(workDir, probeId, node)),
    NOW_FUNCTION,
    // The slots: `parallel` lines in a FIFO; a job takes one before it starts and gives it back when it ends.
    'mkfifo "$dir/slots" || exit 96',
    'exec 3<>"$dir/slots"',
    'rm -f "$dir/slots"',
    `n=0; while [ "$n" -lt ${String(parallel)} ]; do echo >&3; n=$((n + 1)); done`,
  ];
  for (const probe of probes) lines.push(`p${String(Math.trunc(probe.id))}() { ${probeCommandLine(probe.command)}; }`);
  lines.push(
    // One attempt: $1 the probe id, $2 the round, $due when it took its slot.
    'run() {',
    '  now; started=$up',
    '  out=$("p$1" 2>&1); rc=$?',
    '  now',
    `  { ${section('probe')} "$1" "$2"; printf '%s %s %s %s\\n%s\\n' "$rc" "$due" "$started" "$up" "$out"; } >"$dir/probe-$1-$2"`,
    '  echo >&3',
    '}',
    `todo='${probes.map((p) => String(Math.trunc(p.id))).join(' ')}'`,
    'round=0',
    `for pause in 0 ${RETRY_BACKOFF_S.map((s) => String(s)).join(' ')}; do`,
    '  [ -n "$todo" ] || break',
    '  round=$((round + 1))',
    '  [ "$pause" = 0 ] || sleep "$pause"',
    '  for id in $todo; do read -r _ <&3; now; due=$up; run "$id" "$round" & done',
    '  wait',
    '  again=',
    '  for id in $todo; do rc=none; { { read -r _; read -r rc _; } <"$dir/probe-$id-$round"; } 2>/dev/null; [ "$rc" = 0 ] || again="$again $id"; done',
    '  todo=$again',
    'done',
    section('neigh'),
    'ip -j neigh show 2>/dev/null',
    ...neighbourSnapshotLines(),
    'cat "$dir"/probe-* 2>/dev/null',
    section('end'),
    '',
  );
  return lines.join('\n');
}

/** One run of a probe command on the node, with its timing (seconds). */
export interface ProbeAttempt {
  /** Exit status; null when the attempt left no result. */
  code: number | null;
  output: string;
  /** Seconds between taking its slot and starting (the node's scheduling delay). */
  startDelay: number;
  /** Seconds it ran. */
  duration: number;
}

export interface ProbeOutcome {
  /** Exit status of the probe command (the last attempt's); null when no result came back. */
  code: number | null;
  output: string;
  /** Every attempt, in order (absent in outcomes made by hand). */
  attempts?: ProbeAttempt[];
}

/** What the probe exec brought back: the outcomes, and the neighbour table as the probes left it. */
export interface ProbeRun {
  outcomes: Map<number, ProbeOutcome>;
  neighbour: NeighbourSnapshot;
  /** The node's neighbour entries after the probes; absent when `ip -j neigh` gave nothing readable. */
  neighbours?: NeighbourEntry[];
}

/** Probe id → outcome. A probe missing from the output has code null. */
export function parseVerifyProbeOutput(stdout: string): Map<number, ProbeOutcome> {
  return parseVerifyProbeRun(stdout).outcomes;
}

export function parseVerifyProbeRun(stdout: string): ProbeRun {
  const sections = splitSections(stdout);
  const attempts = new Map<number, Map<number, ProbeAttempt>>();
  for (const s of sections) {
    if (s.name !== 'probe' || s.args[0] === undefined) continue;
    const id = Number(s.args[0]);
    const round = Number(s.args[1] ?? 1);
    const [head = '', ...rest] = s.body.split('\n');
    const [rc = '', due = '', started = '', ended = ''] = head.trim().split(/\s+/);
    const code = /^\d+$/.test(rc) ? Number(rc) : null;
    const hundredths = (t: string): number | undefined => (/^\d+$/.test(t) ? Number(t) : undefined);
    const [d, s0, e] = [hundredths(due), hundredths(started), hundredths(ended)];
    const attempt: ProbeAttempt = {
      code,
      output: rest.join('\n').trim(),
      startDelay: d !== undefined && s0 !== undefined ? Math.max(0, s0 - d) / 100 : 0,
      duration: s0 !== undefined && e !== undefined ? Math.max(0, e - s0) / 100 : 0,
    };
    const list = attempts.get(id) ?? new Map<number, ProbeAttempt>();
    list.set(round, attempt);
    attempts.set(id, list);
  }
  const outcomes = new Map<number, ProbeOutcome>();
  for (const [id, rounds] of attempts) {
    const ordered = [...rounds].sort(([a], [b]) => a - b).map(([, a]) => a);
    const last = ordered.at(-1);
    outcomes.set(id, { code: last?.code ?? null, output: last?.output ?? '', attempts: ordered });
  }
  const get = (name: string): string | undefined => sections.find((x) => x.name === name)?.body;
  const neighbours = parseNeighbours(get('neigh') ?? '');
  return { outcomes, neighbour: parseNeighbourSnapshot(get), ...(neighbours ? { neighbours } : {}) };
}

/** `ip -j neigh show` → entries; undefined when it is not the JSON ip prints. */
export function parseNeighbours(text: string): NeighbourEntry[] | undefined {
  if (text.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  return parsed.flatMap((e: unknown): NeighbourEntry[] => {
    if (typeof e !== 'object' || e === null) return [];
    const { dst, dev, state } = e as { dst?: unknown; dev?: unknown; state?: unknown };
    if (typeof dst !== 'string') return [];
    return [{ dst, dev: typeof dev === 'string' ? dev : '', state: Array.isArray(state) ? state.filter((x): x is string => typeof x === 'string') : [] }];
  });
}

/** /proc/net/stat/arp_cache: a header, then one row per CPU in hex; entries is the same on every row, the rest add up. */
export function parseArpCacheStat(text: string): { entries: number; tableFulls: number } | undefined {
  const [header, ...rows] = text.trim().split('\n').map((l) => l.trim().split(/\s+/));
  if (!header || rows.length === 0) return undefined;
  const entriesAt = header.indexOf('entries');
  const fullsAt = header.indexOf('table_fulls');
  if (entriesAt < 0 || fullsAt < 0) return undefined;
  let tableFulls = 0;
  let entries: number | undefined;
  for (const row of rows) {
    const e = row[entriesAt];
    const f = row[fullsAt];
    if (!e || !f || !/^[0-9a-f]+$/i.test(e) || !/^[0-9a-f]+$/i.test(f)) return undefined;
    entries ??= parseInt(e, 16);
    tableFulls += parseInt(f, 16);
  }
  return entries === undefined ? undefined : { entries, tableFulls };
}

function parseNeighbourSnapshot(get: (name: string) => string | undefined): NeighbourSnapshot {
  const snapshot: NeighbourSnapshot = {};
  const stat = parseArpCacheStat(get('arp-cache') ?? '');
  if (stat) {
    snapshot.entries = stat.entries;
    snapshot.tableFulls = stat.tableFulls;
  }
  const thresh = (get('gc-thresh3') ?? '').trim();
  if (/^\d+$/.test(thresh)) snapshot.gcThresh3 = Number(thresh);
  const logs = (get('overflow-logs') ?? '').trim();
  if (/^\d+$/.test(logs)) snapshot.overflowLogs = Number(logs);
  return snapshot;
}

// ───────────────────────────── cleanup ─────────────────────────────

/** CLEANUP: print the listener's log, end it by its PID, delete both probe pods, remove the work dir. */
export function renderVerifyCleanupScript(input: VerifyCleanupInput): string {
  const lines = [
    'set -u',
    input.workDir !== undefined
      ? useWorkDir(checkedWorkDir(input.workDir, input.probeId, input.node))
      : `dir=$(mktemp -d ${shellQuote(probeWorkDirTemplate(input.probeId, input.node))}) || exit 97`,
    section('listen-log'),
    'cat "$dir/listen.log" 2>/dev/null',
    // Whether the listener lived until now: a source-address probe that failed after it ended says nothing about the network.
    section('listener-alive'),
    'if [ -f "$dir/listen.pid" ]; then kill -0 "$(cat "$dir/listen.pid")" 2>/dev/null && echo alive || echo ended; fi',
    'if [ -f "$dir/listen.pid" ]; then kill "$(cat "$dir/listen.pid")" 2>/dev/null; fi',
  ];
  for (const role of ROLES) {
    const pod = probePodName(input.probeId, role);
    lines.push(
      ...podScriptLines('del', role, renderPodDelScript({ cni: input.cni, pod, netConfig: input.netConfig })),
      section('left', role),
      `[ -e ${shellQuote(`${NETNS_DIR}/${pod}`)} ] && echo left`,
    );
  }
  lines.push('rm -rf "$dir"', section('end'), '');
  return lines.join('\n');
}

export interface NodeCleanup {
  /** Peer addresses the listener logged, in order. */
  peers: string[];
  /** Problems deleting the probe pods (empty when both are gone). */
  errors: string[];
  /** The listener had ended before cleanup came (its lifetime ran out, or it died). */
  listenerEnded: boolean;
}

const PEER_LINE = /(?:Connection received on|Connection from|accepting connection from AF=2)\s+\[?(\d{1,3}(?:\.\d{1,3}){3})/;

/** Peer addresses from a listener log: OpenBSD nc -v (`Connection received on A P`) or socat -d -d. */
export function parseListenerLog(log: string): string[] {
  return log.split('\n').flatMap((line) => {
    const m = PEER_LINE.exec(line);
    return m?.[1] ? [m[1]] : [];
  });
}

export function parseVerifyCleanupOutput(probeId: string, stdout: string): NodeCleanup {
  const sections = splitSections(stdout);
  const errors: string[] = [];
  if (sections.at(-1)?.name !== 'end') errors.push('the cleanup did not run to its end');
  const peers = parseListenerLog(sections.find((s) => s.name === 'listen-log')?.body ?? '');
  const listenerEnded = sections.find((s) => s.name === 'listener-alive')?.body.trim() === 'ended';
  for (const role of ROLES) {
    const pod = probePodName(probeId, role);
    const body = sections.find((s) => s.name === 'del' && s.args[0] === role)?.body;
    if (body === undefined) {
      errors.push(`${pod}: not deleted (no result)`);
      continue;
    }
    const [codeLine = '', ...rest] = body.split('\n');
    const stderr = sections.find((s) => s.name === 'del-stderr' && s.args[0] === role)?.body ?? '';
    const outcome = parsePodDelOutput(pod, { code: Number(codeLine.trim()), stdout: rest.join('\n').trim(), stderr });
    const left = sections.find((s) => s.name === 'left' && s.args[0] === role)?.body === 'left';
    // Without the plugin there is nothing to DEL: only a namespace left behind is a problem then.
    if (!outcome.ok && (outcome.reason !== 'not-deployed' || left)) errors.push(`${pod}: ${outcome.message}`);
    else if (left) errors.push(`${pod}: its network namespace is still there`);
  }
  return { peers, errors, listenerEnded };
}
