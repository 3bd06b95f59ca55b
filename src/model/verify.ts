// The data of `podnet verify`: the checks, their cells (from → to), and what a node told us about
// itself while its probe pods were being set up. Pure types and constants.
import type { ObservedFirewall, RpFilter } from './types.js';

export const VERIFY_FORMAT_VERSION = 1;

export type CheckId =
  | 'pod-to-pod-same-node'
  | 'pod-to-pod-cross-node'
  | 'node-to-pod'
  | 'pod-to-node'
  | 'source-address'
  | 'mtu'
  | 'egress';

export interface CheckInfo {
  id: CheckId;
  title: string;
  /** What one cell tests, for people. */
  describes: string;
}

/** Every check, in the order they are reported. */
export const CHECKS: readonly CheckInfo[] = [
  { id: 'pod-to-pod-same-node', title: 'pod → pod on the same node', describes: "probe pod a pings probe pod b on its own node (across the node's bridge)" },
  { id: 'pod-to-pod-cross-node', title: 'pod → pod across nodes', describes: 'the probe pod of FROM pings the probe pod of TO' },
  { id: 'node-to-pod', title: 'node → its own pod', describes: 'the node pings its probe pod' },
  { id: 'pod-to-node', title: 'pod → its own node', describes: "the probe pod pings its node's address" },
  { id: 'source-address', title: 'source address preserved (no NAT)', describes: "a TCP listener in TO's probe pod must see FROM's pod address as the peer" },
  { id: 'mtu', title: 'MTU-sized packet with DF set', describes: "FROM's probe pod pings TO's with a packet of the configured MTU, DF set (ping -M do)" },
  { id: 'egress', title: 'pod → egress target (egress NAT)', describes: 'the probe pod pings --egress-target' },
];

export type CellStatus = 'pass' | 'fail' | 'not-run';
export type CheckStatus = 'passed' | 'failed' | 'not-run';

export interface VerifyCell {
  from: string;
  /** A node name, or the egress target address for the egress check. */
  to: string;
  status: CellStatus;
  /** The command that was run (as the node ran it), when one was. */
  probe?: string;
  /** What came back: the probe's own words (`no reply`, `Frag needed and DF set (mtu = 1400)` …). */
  detail?: string;
  /** Why the cell was not run. */
  reason?: string;
  /** Likely causes of a failure, read from the gathered state (most certain first). */
  causes?: string[];
  /** When no cause was found: the facts that were checked and looked right (route, forwarding, bridge, firewall, neighbour entries …). */
  checked?: string[];
  /** How many times the probe ran (1 when it passed at once; retries are made only after a failure). */
  attempts?: number;
}

/** Which probe plan ran: `sample` (the default) or `full-mesh` (--full-mesh). */
export type ProbePlanMode = 'sample' | 'full-mesh';

/** A check that probed only a sample of the node pairs (source-address and mtu in the default plan). */
export interface CheckCoverage {
  /** Pairs probed. */
  probed: number;
  /** Every ordered node pair: the pairs --full-mesh would probe. */
  pairs: number;
}

export interface VerifyCheck {
  id: CheckId;
  title: string;
  /** failed when a cell failed; not-run when none failed but some were not run; else passed. */
  status: CheckStatus;
  cells: VerifyCell[];
  /** Only on a sampled check: the pairs left out are not cells (not run, not passed: not probed). */
  coverage?: CheckCoverage;
}

export interface VerifySummary {
  passed: number;
  failed: number;
  notRun: number;
}

export interface VerifyReport {
  formatVersion: typeof VERIFY_FORMAT_VERSION;
  cluster: string;
  /** The random part of this run's probe pod names (`podnet-probe-<id>-a`, `-b`). */
  probeId: string;
  nodes: string[];
  /** The MTU the mtu check sends (the bridge MTU of cluster.yaml, default 1500). */
  mtu: number;
  /** The probe plan: `sample` (every pair pinged, TCP source address and MTU on a ring sample) or `full-mesh`. */
  plan: ProbePlanMode;
  egressTarget?: string;
  checks: VerifyCheck[];
  /** Counts of checks by status. */
  summary: VerifySummary;
  /** Nodes that could not be reached, with the reason. */
  unreachable: Record<string, string>;
  /** Problems removing the probe pods (empty when every probe pod is gone). */
  cleanup: string[];
}

/** Tools found on a node (`command -v`), with the flavours that matter. */
export interface NodeTools {
  ping: boolean;
  /** iputils ping (has -M do for DF); busybox ping does not. */
  pingIputils: boolean;
  /** OpenBSD netcat (-k, -N, -v "Connection received on"). */
  ncOpenbsd: boolean;
  socat: boolean;
  timeout: boolean;
  iptables: boolean;
}

export type ProbePodRole = 'a' | 'b';

export interface ProbePodOutcome {
  pod: string;
  /** The pod's IPv4 address (no prefix) when it was created. */
  address?: string;
  error?: string;
  /** The MTU of the pod's eth0 as the pod sees it. */
  mtu?: number;
}

/** What the setup exec found on one node. */
export interface NodeSetup {
  node: string;
  tools: NodeTools;
  pods: Partial<Record<ProbePodRole, ProbePodOutcome>>;
  /** The source-address listener in pod a: which program, or why there is none. */
  listener: { program: 'nc' | 'socat' } | { error: string };
  /** The filter and nat tables, read as the gather reads them; absent when not reported. */
  firewall?: ObservedFirewall;
  /** rp_filter per interface, plus `all` and `default`; absent when unreadable. */
  rpFilter?: RpFilter;
  /** The neighbour table before the probes. */
  neighbour?: NeighbourSnapshot;
}

/**
 * The kernel's neighbour (ARP) table as a node shows it, read before the probes (setup) and after
 * them (probe exec). Each field is absent when the node cannot show it: /proc/net/stat/arp_cache and
 * gc_thresh3 exist only in the root network namespace (not in a lab node), dmesg needs CAP_SYSLOG.
 */
export interface NeighbourSnapshot {
  /** arp_cache `table_fulls`, summed over the CPUs: how often a new entry was refused since boot. */
  tableFulls?: number;
  /** arp_cache `entries`: the entries of every namespace of the kernel together. */
  entries?: number;
  /** net.ipv4.neigh.default.gc_thresh3: the hard limit of `entries`. */
  gcThresh3?: number;
  /** Kernel log lines `neighbour table overflow` (the kernel's, not the node's: nodes sharing a kernel all see them). */
  overflowLogs?: number;
}

/** One entry of the node's neighbour table (`ip -j neigh show`). */
export interface NeighbourEntry {
  dst: string;
  dev: string;
  /** FAILED, INCOMPLETE, REACHABLE, STALE … */
  state: string[];
}
