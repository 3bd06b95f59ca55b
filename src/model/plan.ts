// A plan is data: per host the changes that bring it in line, each ONE object (kind + key) with
// an action, typed before/after values, a reason as a code, and the steps that realise it.
// Nothing here is a sentence: src/render writes them.
import type { FileRole, HostRole, IptablesTable, ManagementPath, NetworkManagerName, RulePurpose } from './types.js';

export type { FileRole, RulePurpose } from './types.js';

/** Version of the Plan JSON format (2: changes are objects with keys, reasons and steps). */
export const PLAN_FORMAT_VERSION = 2;

export type Action = 'create' | 'update' | 'delete';

/** Terraform-style runes. */
export const ACTION_RUNE: Record<Action, string> = { create: '+', update: '~', delete: '-' };

// ───────────────────────────── values (before/after) ─────────────────────────────

export interface SysctlValue {
  key: string;
  /** null: the node's value could not be read. */
  value: number | null;
}

export interface LinkValue {
  name: string;
  /** `bridge`; null for a link without a kind. */
  kind?: string | null;
  alias?: string;
  mtu?: number;
  up?: boolean;
  /** Addresses the link carries (a deleted bridge takes them with it). */
  addresses?: string[];
  /** Ports detached when the link goes. */
  ports?: string[];
}

export interface AddressValue {
  /** `10.244.1.1/24` */
  address: string;
  dev: string;
}

export interface RouteValue {
  /** Destination in network form, `10.244.2.0/24`, or `default`. */
  dst: string;
  type?: string;
  gateway?: string;
  dev?: string;
  nexthops?: { gateway?: string; dev?: string }[];
  metric?: number;
  /** `201`, `podnet`, `boot`, `kernel` … */
  protocol: string;
}

export interface FileValue {
  path: string;
  role?: FileRole;
  mode?: string;
  sha256?: string;
}

export interface ChainValue {
  table: IptablesTable | string;
  chain: string;
}

export interface RuleValue {
  table: IptablesTable | string;
  chain: string;
  /** The rule after `-A CHAIN`, as iptables-save spells it. */
  rule: string;
  /** 1-based position in its chain when it matters (a jump that must come first). */
  position?: number;
  /** Why podnet wants the rule (`accept pod traffic`, …); only on desired rules. */
  purpose?: RulePurpose;
}

export interface PodValue {
  pod: string;
  addresses: string[];
}

// ───────────────────────────── steps (how) ─────────────────────────────

/**
 * One command on the node. Consecutive `ip` steps share one `ip -batch`; a file is installed
 * atomically (temporary file, then rename); a script runs under `sh -c`.
 */
export type Step =
  | { run: 'ip'; args: string[] }
  | { run: 'command'; argv: string[] }
  | { run: 'install-file'; path: string; mode: string; content: string }
  | { run: 'script'; script: string };

// ───────────────────────────── reasons (why) ─────────────────────────────

/** Why a change is planned. `differs`: before and after say how. */
export type Reason =
  | { code: 'missing' }
  | { code: 'differs' }
  | { code: 'stale-address'; want: string }
  | { code: 'stale-bridge'; want: string }
  | { code: 'stale-route-metric'; peer: string }
  | { code: 'stale-route-router-host-gw' }
  | { code: 'stale-route-own-subnet' }
  | { code: 'stale-route-outside-pod-cidr'; podCidr: string }
  | { code: 'stale-route-pod-cidr' }
  | { code: 'stale-route-via-router'; router: string; gateway: string }
  | { code: 'stale-route-no-node' }
  /** Via the address of a node that left cluster.yaml (`apply --prune-removed`). */
  | { code: 'stale-route-removed-node'; gateway: string }
  /** destroy --limit: a peer's route to the pod subnet of a node being destroyed. */
  | { code: 'destroy-peer-route'; peer: string }
  | { code: 'stale-chain' }
  | { code: 'stale-rule' }
  | { code: 'rule-in-stale-chain'; chain: string }
  | { code: 'rule-duplicate' }
  | { code: 'rule-out-of-order' }
  | { code: 'rule-not-first'; chain: string }
  | { code: 'destroy' }
  | { code: 'destroy-pod-through-plugin' }
  | { code: 'destroy-pod-by-hand' }
  /** Undoes a change of an apply that was not confirmed (`apply --confirm`). */
  | { code: 'rollback' };

export type ReasonCode = Reason['code'];

// ───────────────────────────── changes ─────────────────────────────

interface ChangeOf<K extends string, V> {
  kind: K;
  /** The object's identity within its kind (route destination, link name, file path, rule spec …). */
  key: string;
  action: Action;
  before?: V;
  after?: V;
  reason: Reason;
  /** The commands that realise the change, in order. */
  steps: Step[];
  /** By the node's state file: drift (the node changed outside podnet), change (cluster.yaml asks for something new), first apply (no usable record). Absent: unknown (older plans, destroy). */
  origin?: 'drift' | 'change' | 'first-apply';
}

export type Change =
  | ChangeOf<'sysctl', SysctlValue>
  | ChangeOf<'link', LinkValue>
  | ChangeOf<'address', AddressValue>
  | ChangeOf<'route', RouteValue>
  | ChangeOf<'file', FileValue>
  | ChangeOf<'chain', ChainValue>
  | ChangeOf<'rule', RuleValue>
  | ChangeOf<'pod', PodValue>;

export type ChangeKind = Change['kind'];

export const CHANGE_KINDS: readonly ChangeKind[] = ['sysctl', 'link', 'address', 'route', 'file', 'chain', 'rule', 'pod'];

// ───────────────────────────── conflicts and refusals ─────────────────────────────

/** A foreign object in the way of desired state: podnet does not take it over. */
export type Conflict = { node: string } & ConflictDetail;

export type ConflictDetail =
  | { code: 'link-not-bridge'; kind: 'link'; key: string; found: LinkValue }
  | { code: 'bridge-not-podnet'; kind: 'link'; key: string; found: LinkValue; alias: string }
  | { code: 'foreign-address-on-bridge'; kind: 'address'; key: string; found: AddressValue; podCidr: string }
  | { code: 'pod-address-on-foreign-link'; kind: 'address'; key: string; found: AddressValue; podCidr: string }
  | { code: 'old-bridge-has-ports'; kind: 'link'; key: string; ports: string[] }
  | { code: 'old-bridge-foreign-addresses'; kind: 'link'; key: string; addresses: string[] }
  | { code: 'bridge-foreign-addresses'; kind: 'link'; key: string; addresses: string[] }
  | { code: 'foreign-route-to-peer'; kind: 'route'; key: string; found: RouteValue; peer: string }
  | { code: 'foreign-route-inside-peer'; kind: 'route'; key: string; found: RouteValue; peer: string; subnet: string }
  | { code: 'foreign-file'; kind: 'file'; key: string; role: FileRole }
  | { code: 'foreign-jump-to-old-chain'; kind: 'chain'; key: string; found: ChainValue; rules: RuleValue[] }
  | { code: 'iptables-missing-for-nat'; kind: 'iptables'; key: string; problem: string };

export type ConflictCode = ConflictDetail['code'];

/** A change that would touch the node's management path. */
export interface Offence {
  kind: 'link' | 'address' | 'route';
  key: string;
  /** `keep`: an address podnet keeps (no change) whose connected route already takes a protected address. */
  action: Action | 'keep';
  /** For an address or route: which protected address it takes. */
  takes?: { address: string; what: 'node-address' | 'ssh-address' | 'ssh-client' };
  /** For an address: the connected route the kernel installs with it (`10.0.1.0/24`), which takes `takes`. */
  connectedRoute?: string;
}

/** Why a node is refused: the plan would cut the management (SSH) path. */
export interface Refusal {
  nodeAddress: string;
  management?: ManagementPath;
  offences: Offence[];
}

// ───────────────────────────── warnings ─────────────────────────────

/** Worth knowing, not podnet's to change; does not stop the plan. */
export type Warning =
  | { code: 'rp-filter-strict'; dev: string; role: 'bridge' | 'node-interface'; fromAll: boolean }
  | { code: 'iptables-missing'; problem: string }
  | { code: 'foreign-file-left'; path: string }
  | { code: 'store-holds-foreign'; store: string; containers: { id: string; addresses: string[] }[] }
  /** Entries of the store the plugin does not write (`dir sub`, `file 2001:db8::5`): destroy leaves the store. */
  | { code: 'store-holds-foreign-entries'; store: string; entries: string[] }
  | { code: 'subnet'; message: string }
  | { code: 'network-manager-unconfigured'; manager: NetworkManagerName; path: string }
  /** A running pod already outside the node's subnet (a plan applied before stranded it): it has no working network. */
  | { code: 'pod-stranded'; pod: string; netns?: string; addresses: string[]; subnet: string }
  /** The host answered but holds no interface address equal to its `address`: routes via it wait. */
  | { code: 'address-not-held'; address: string }
  /** A node left cluster.yaml: hosts still route its subnets via its address (found in `routedBy`). */
  | { code: 'node-removed'; address: string; subnets: string[]; routedBy: string[]; cluster: string }
  /** --prune-removed: the node that left did not answer at its address; only the routes to it go. */
  | { code: 'node-removed-unreached'; address: string; subnets: string[]; problem: string }
  /** --prune-removed: the host at a removed node's address also holds the address of `node` of cluster.yaml: it is that node, not destroyed. */
  | { code: 'node-removed-is-listed'; address: string; node: string }
  /** --prune-removed did nothing: hosts of cluster.yaml were not reached (one may be the "removed" node under a new address). */
  | { code: 'prune-removed-incomplete'; unreached: string[] }
  /** destroy --limit: these peers were not reached; their routes to the destroyed node stay. */
  | { code: 'peer-routes-left'; peers: string[]; subnets: string[] }
  /** podnet's state file on the node cannot be used (`problem`): drift cannot be told from change, every change counts as a first apply. */
  | { code: 'state-file-damaged'; path: string; problem: string }
  /** The node holds podnet's objects but no state file (applied by an older podnet, or the file was removed): every change counts as a first apply. */
  | { code: 'state-file-missing'; path: string };


// ───────────────────────────── pods ─────────────────────────────

/**
 * A running pod this plan takes the network from: its address leaves the node's subnet, or its
 * bridge (and, for destroy, the pod itself) is deleted. apply and destroy refuse such a plan unless
 * `--allow-pod-disruption` is given; draining the pods first removes them from the plan.
 */
export interface PodDisruption {
  /** The pod: its network namespace for podnet's pods (`podnet pod add`), else the container id the store holds. */
  pod: string;
  /** The pod's network namespace in /run/netns, when podnet knows it. */
  netns?: string;
  /** Its addresses from podnet's address store (no prefix). */
  addresses: string[];
  cause: PodDisruptionCause;
}

export type PodDisruptionCause =
  /** The bridge address moves from `was` to the node's new subnet `subnet`: the pod's address is outside it. */
  | { code: 'outside-subnet'; subnet: string; was: string }
  /** destroy deletes the pod (one of podnet's, made through its plugin). */
  | { code: 'pod-deleted' }
  /** destroy deletes the bridge the pod is attached to; the pod (another runtime's) is left without a network. */
  | { code: 'bridge-deleted'; bridge: string };

// ───────────────────────────── waiting ─────────────────────────────

/** Why a route waits: its host was not gathered in this run, or answered without holding its address. */
export type WaitingWhy = 'not-reached' | 'address-not-held';

/**
 * A route podnet holds back on this host because the host it goes via (`peer`) did not answer in
 * this run: podnet's route to the destination, if any, is left exactly as it is (`found`), and
 * `want` is set once `peer` answers. Without `want`: a route of podnet's via `peer` that would
 * otherwise go, kept until `peer` answers.
 */
export interface Waiting {
  kind: 'route';
  key: string;
  peer: string;
  why: WaitingWhy;
  want?: RouteValue;
  found?: RouteValue;
}

// ───────────────────────────── plans ─────────────────────────────

export interface NodePlan {
  node: string;
  /** Absent means `node`; the gateway-mode router's plan is `router` (its own section in the plan). */
  role?: HostRole;
  address: string;
  /** The node's pod subnet; for the router, the pod CIDR. */
  subnet: string;
  changes: Change[];
  conflicts: Conflict[];
  /** Set when the plan would cut the management path; the node must not be applied. */
  refused?: Refusal;
  warnings?: Warning[];
  /** Running pods this plan leaves without a network (absent: none); see PodDisruption. */
  disruptedPods?: PodDisruption[];
  /** Routes held back until the host they go via answers (see Waiting). */
  waiting?: Waiting[];
  /** What the node's state file says of podnet's last apply there (recorded / missing / damaged); absent: not read. */
  lastApply?: { state: 'recorded' | 'missing' | 'damaged'; clusterDigest?: string; time?: string; controller?: string };
}

/** Objects by action: `add` creates, `change` updates, `destroy` deletes (one change is one object). */
export interface ChangeCounts {
  add: number;
  change: number;
  destroy: number;
}

export interface PlanSummary extends ChangeCounts {
  conflicts: number;
  refused: number;
  /**
   * Present when some targeted nodes could not be gathered (unreachable, gather failed, internal
   * error): they are not in the plan, so the counts cover only the `nodes - notReached` others.
   */
  incomplete?: { notReached: number; nodes: number };
  /** Pods the plan disrupts, all nodes together; present only when there are any. */
  disruptedPods?: number;
  /** Routes waiting for hosts not reached (absent when none). */
  waiting?: number;
  /** Changes whose origin is drift (absent when origins are unknown). */
  drift?: number;
}

export interface Plan {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  cluster: string;
  nodes: NodePlan[];
  summary: PlanSummary;
  warnings?: Warning[];
}
