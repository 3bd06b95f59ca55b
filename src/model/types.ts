// The data types of the configuration and of node state. Pure: no I/O. The plan's types are in plan.ts.
// The flow: Cluster (validated config) → DesiredState per node; ObservedState per node
// (parsed from `ip -j`); plan(desired, observed) → Plan (ordered Changes per node).

/** podnet's own route protocol number (`proto 201`, named `podnet` in rt_protos.d/podnet.conf). */
export const PODNET_ROUTE_PROTO = 201;
/** The name of that protocol, as `ip -j route` prints it when rt_protos.d knows it. */
export const PODNET_ROUTE_PROTO_NAME = 'podnet';
/** The link alias (`ip link set dev X alias podnet`) that marks a bridge as podnet's. */
export const PODNET_LINK_ALIAS = 'podnet';

// ───────────────────────────── configuration ─────────────────────────────

export type RoutingMode = 'host-gw' | 'gateway';

/** How to reach one node over SSH, after defaults, inventory and per-node overrides merged. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
  /** Private key file; when absent the SSH agent (SSH_AUTH_SOCK) is used. */
  identityFile?: string;
  /** OpenSSH-format known_hosts file (absolute path). */
  knownHostsFile: string;
  /** Run node commands through `sudo -n`. */
  become: boolean;
  /** OpenSSH-style ProxyJump: `[user@]host[:port]` of a bastion. */
  proxyJump?: string;
  /** OpenSSH-style ProxyCommand whose stdio is the connection; %h %p %r %n are expanded. */
  proxyCommand?: string;
  connectTimeoutMs: number;
  /** Keepalive every this many ms once connected; after keepaliveCountMax unanswered the node is unreachable. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Deadline of one exec (a gather, an apply); past it the node is reported unreachable. */
  execTimeoutMs?: number;
}

export interface NodeSpec {
  name: string;
  /** The node's IPv4 address on the node network (the next hop for its pod subnet). */
  address: string;
  /** Pod subnet as written in cluster.yaml, if any (CIDR, network address). */
  subnet?: string;
  ssh: SshTarget;
}

/**
 * The central router of routing mode `gateway`: reached over SSH like a node, it holds one route
 * per node subnet via that node. It has no pod subnet, no bridge and no CNI files.
 */
export type RouterSpec = Omit<NodeSpec, 'subnet'>;

export interface BridgeSpec {
  name: string;
  mtu?: number;
}

/** Where the CNI plugin and its conflist go on every node, and the network they define. */
export interface CniSpec {
  /** Directory of CNI plugin binaries; the plugin is `<binDir>/podnet`. */
  binDir: string;
  /** Directory of CNI network configs; the conflist is `<confDir>/10-<networkName>.conflist`. */
  confDir: string;
  /** The CNI network name (the conflist's `name`, the store's directory name). */
  networkName: string;
  cniVersion: string;
  /** host-local style address store root (`<dataDir>/<networkName>/`). */
  dataDir: string;
}

export const DEFAULT_CNI: CniSpec = {
  binDir: '/opt/cni/bin',
  confDir: '/etc/cni/net.d',
  networkName: 'podnet',
  cniVersion: '1.0.0',
  dataDir: '/var/lib/cni/networks',
};

/** `egress:` in cluster.yaml: what happens to pod traffic leaving the pod CIDR. */
export interface EgressSpec {
  /** Masquerade traffic from the pod CIDR to outside it as it leaves the node (default false). */
  masquerade: boolean;
  /** What `podnet verify` pings from the pods to check egress (the default of --egress-target). */
  verifyTarget?: string;
}

/** A validated cluster.yaml. Node subnets may still be unallocated (see allocateSubnets). */
export interface Cluster {
  /** Path of the cluster.yaml it was loaded from (for messages). */
  sourcePath: string;
  podCidr: string;
  /** Prefix length of subnets allocated to nodes without an explicit subnet. */
  subnetPrefix: number;
  routing: RoutingMode;
  bridge: BridgeSpec;
  cni: CniSpec;
  nodes: NodeSpec[];
  /** Egress NAT; absent means `{ masquerade: false }`. */
  egress?: EgressSpec;
  /**
   * The router (`router:` in cluster.yaml): required in gateway mode; in host-gw mode it is still
   * gathered and planned, with no routes, so that switching back prunes its podnet routes.
   */
  router?: RouterSpec;
  /**
   * The cluster's `ssh:` defaults as one target (its host left empty): how `apply --prune-removed`
   * reaches a node that left cluster.yaml, at the address its peers still route to.
   */
  defaultSsh?: SshTarget;
}

/** Source position of a diagnostic: 1-based line and column. */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  message: string;
}

// ───────────────────────────── state ─────────────────────────────

export interface DesiredBridge {
  name: string;
  mtu?: number;
  alias: string;
}

export interface DesiredAddress {
  dev: string;
  /** Address without prefix, e.g. 10.244.1.1 */
  local: string;
  prefixlen: number;
}

export interface DesiredRoute {
  /** Destination CIDR, network address form, e.g. 10.244.2.0/24 */
  dst: string;
  gateway: string;
  /** The peer node this route leads to (for messages). */
  peer: string;
}

/** What a file podnet keeps is for. */
export type FileRole = 'cni-plugin' | 'cni-config' | 'address-store' | 'networkd-config' | 'networkmanager-config' | 'state-file';

/** A host network manager podnet keeps away from its objects. */
export type NetworkManagerName = 'systemd-networkd' | 'NetworkManager';

/** What one of podnet's iptables rules is for. */
export type RulePurpose = 'forward-jump' | 'forward-from-pods' | 'forward-to-pods' | 'nat-jump' | 'nat-keep-pod-traffic' | 'nat-masquerade';

/** A file podnet keeps on a node (the CNI plugin, its conflist), written atomically. */
export interface DesiredFile {
  path: string;
  /** Octal permission bits, e.g. `755`. */
  mode: string;
  content: string;
  /** SHA-256 of content (hex), what gather reads back with sha256sum. */
  sha256: string;
  /** What the file is for. */
  role: FileRole;
  /** A command the node runs after the file changed or went (a network manager's reload). */
  reload?: string[];
}

/** What a planned host is: a node (bridge, pods, CNI files) or the gateway-mode router (forwarding and routes only). */
/** `removed`: a host that left cluster.yaml, found by its peers' routes (apply --prune-removed). */
export type HostRole = 'node' | 'router' | 'removed';

/** The iptables tables podnet writes to. */
export type IptablesTable = 'filter' | 'nat';

/** One iptables rule podnet wants, in iptables-save's own spelling (so observed and desired compare as text). */
export interface DesiredRule {
  table: IptablesTable;
  chain: string;
  /** The rule after `-A CHAIN`, e.g. ['-s','10.244.0.0/16','-m','comment','--comment','podnet','-j','ACCEPT']. */
  args: string[];
  /** A jump from a built-in chain: it must be the chain's first rule (`-I CHAIN 1`). */
  first?: boolean;
  /** What the rule is for. */
  purpose: RulePurpose;
}

/** podnet's own chains and their rules (in order), and the jumps to them. */
export interface DesiredFirewall {
  chains: { table: IptablesTable; name: string }[];
  rules: DesiredRule[];
}

export interface DesiredState {
  node: string;
  /** Absent means `node`. */
  role?: HostRole;
  /** The node's own pod subnet, e.g. 10.244.1.0/24; for the router, the whole pod CIDR it routes. */
  subnet: string;
  /** podnet's bridge; absent on the router. */
  bridge?: DesiredBridge;
  /** The bridge's address; absent on the router. */
  address?: DesiredAddress;
  ipForward: true;
  routes: DesiredRoute[];
  files: DesiredFile[];
  /** podnet's iptables chains and rules (FORWARD accept, egress NAT); absent: not managed. */
  firewall?: DesiredFirewall;
}

export interface ObservedLink {
  ifindex: number;
  name: string;
  /** linkinfo.info_kind (`bridge`, `veth` …); null for links without one (lo, physical). */
  kind: string | null;
  /** Administratively up (UP flag). */
  up: boolean;
  operstate: string;
  mtu: number;
  alias?: string;
  /** Name of the master (bridge) of this link, if any. */
  master?: string;
}

export interface ObservedAddress {
  dev: string;
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
}

export interface ObservedRoute {
  /** CIDR in network form (`10.244.2.0/24`, host routes as `/32`), or `default`. */
  dst: string;
  gateway?: string;
  dev?: string;
  /** `kernel`, `boot`, `static`, `podnet`, or a number as a string (`201`). */
  protocol: string;
  metric?: number;
  scope?: string;
  /** Route type when not unicast (`blackhole`, `unreachable` …). */
  type?: string;
  /** Next hops of a multipath route (then gateway and dev are absent). */
  nexthops?: { gateway?: string; dev?: string }[];
}

export interface ObservedFile {
  path: string;
  /** SHA-256 of the content (hex); null when the file does not exist. */
  sha256: string | null;
  /** Octal permission bits, e.g. `755`. */
  mode?: string;
  /** The file names podnet (podnet's files always do); a file that does not is someone else's. */
  mentionsPodnet?: boolean;
}

/** How this SSH session reaches the node: protect it from the plan. */
export interface ManagementPath {
  /** The node's address the SSH client connected to (from SSH_CONNECTION). */
  localAddress: string;
  /** The SSH client's address as the node sees it. */
  peerAddress: string;
  /** The interface that carries localAddress. */
  dev?: string;
  /**
   * SSH_CONNECTION was empty on the node (e.g. cleared by sudo's env_reset): localAddress is only
   * the configured address and the client's address is not known. Route-changing plans are refused.
   */
  unknown?: true;
}

/** A chain as iptables-save lists it: built-in chains have a policy, user chains none. */
export interface IptablesChain {
  table: string;
  name: string;
  /** `ACCEPT`, `DROP` … for a built-in chain; null for a user-defined chain. */
  policy: string | null;
}

/** One `-A CHAIN …` line of iptables-save. */
export interface IptablesRule {
  table: string;
  chain: string;
  /** The words after `-A CHAIN`, unquoted. */
  args: string[];
}

/** The iptables state of a node, or why it could not be read (iptables not installed …). */
export type ObservedFirewall =
  | { available: true; chains: IptablesChain[]; rules: IptablesRule[] }
  | { available: false; reason: string };

/** Pods made through podnet's plugin and what its address store holds (from the gather's `pods` section). */
export interface ObservedPods {
  /** Network namespaces in /run/netns. */
  netns: string[];
  /** Allocations in the store: address, container id, interface name. */
  allocations: { ip: string; containerId: string; ifname: string }[];
  /** Whether the store directory (`<dataDir>/<networkName>`) exists. */
  storeExists: boolean;
  /**
   * Every entry of the store directory (allocations included), so destroy can tell what the plugin
   * wrote from anything else. `name` is `?` when it holds characters a marker cannot carry;
   * `firstLine` (files only) has such characters as `?`. Absent when the gather did not list them.
   */
  storeEntries?: StoreEntry[];
}

export interface StoreEntry {
  name: string;
  /** `other`: a symbolic link, device, socket, fifo (or the store itself when it is a link: name `.`). */
  kind: 'file' | 'dir' | 'other';
  firstLine?: string;
}

/** `net.ipv4.conf.<dev>.rp_filter` of `all`, `default` and every interface (0 off, 1 strict, 2 loose). */
export type RpFilter = { all: number; [dev: string]: number };

/**
 * podnet's state file on a node (see src/state/state-file.ts): what the last apply that changed the
 * node applied there. `objects` maps `kind key` (`route 10.244.2.0/24`) to the SHA-256 of the canonical
 * desired value podnet applied.
 */
export interface StateRecord {
  formatVersion: 1;
  podnetVersion: string;
  node: string;
  /** The cluster.yaml path the apply read, and the SHA-256 of its bytes. */
  cluster?: string;
  clusterDigest?: string;
  /** When the apply ran (UTC ISO). */
  time: string;
  /** Who ran it: `user@hostname` of the controller. */
  controller: string;
  objects: Record<string, string>;
}

/** The state file as the gather found it: read (`recorded`), absent, or unusable (`damaged`, why). */
export type ObservedStateFile = { state: 'recorded'; record: StateRecord } | { state: 'missing' } | { state: 'damaged'; problem: string };

export interface ObservedState {
  node: string;
  links: ObservedLink[];
  addresses: ObservedAddress[];
  /** Routes of table main. */
  routes: ObservedRoute[];
  /** net.ipv4.ip_forward; null when it could not be read. */
  ipForward: boolean | null;
  /** The files podnet manages, as found (absent when not gathered). */
  files?: ObservedFile[];
  management?: ManagementPath;
  /** iptables filter and nat tables (absent when not gathered). */
  firewall?: ObservedFirewall;
  /**
   * `net.ipv4.conf.<dev>.rp_filter` for `all`, `default` and every interface (0 off, 1 strict,
   * 2 loose; the kernel uses the larger of `all` and the interface's value). Absent when not gathered.
   */
  rpFilter?: RpFilter;
  /** Pod namespaces and podnet's address store (absent when not gathered). */
  pods?: ObservedPods;
  /** The network managers systemd reports active (absent: systemd does not run, or not gathered). */
  networkManagers?: NetworkManagerName[];
  /** podnet's state file (absent: not gathered, e.g. fixtures of an older gather). */
  stateFile?: ObservedStateFile;
}
