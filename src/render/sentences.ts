// Where a plan becomes words: what each change, conflict, refusal and warning says to people.
// The plan holds codes and values; this module is the only place that turns them into sentences.
import type {
  Change,
  Conflict,
  FileRole,
  LinkValue,
  Offence,
  Plan,
  PodDisruption,
  Refusal,
  RouteValue,
  RulePurpose,
  RuleValue,
  Waiting,
  Warning,
} from '../model/plan.js';
import { ACTION_RUNE } from '../model/plan.js';
import { withoutTag } from '../state/desired-firewall.js';
import { joinIptablesWords, splitIptablesWords } from '../state/iptables-save.js';

const RULE_PURPOSE: Record<RulePurpose, string> = {
  'forward-from-pods': 'forward traffic from pods',
  'forward-to-pods': 'forward traffic to pods',
  'forward-jump': "first in FORWARD: podnet's accept rules",
  'nat-keep-pod-traffic': 'pod to pod: never translated',
  'nat-masquerade': 'egress NAT: pods leaving the pod CIDR',
  'nat-jump': "first in POSTROUTING: podnet's NAT rules",
};

const FILE_ROLE: Record<FileRole, string> = {
  'cni-plugin': 'CNI plugin',
  'cni-config': 'CNI network config',
  'address-store': 'address store',
  'networkd-config': 'systemd-networkd drop-in',
  'networkmanager-config': 'NetworkManager drop-in',
  'state-file': 'state file',
};

/** `route 10.244.2.0/24 via 192.168.1.99 proto static`: a route with everything that identifies it. */
export function describeRoute(route: RouteValue): string {
  const parts = ['route'];
  if (route.type !== undefined) parts.push(route.type);
  parts.push(route.dst);
  if (route.gateway !== undefined) parts.push('via', route.gateway);
  for (const hop of route.nexthops ?? []) {
    parts.push('nexthop');
    if (hop.gateway !== undefined) parts.push('via', hop.gateway);
    if (hop.dev !== undefined) parts.push('dev', hop.dev);
  }
  if (route.gateway === undefined && route.dev !== undefined) parts.push('dev', route.dev);
  if (route.metric !== undefined) parts.push('metric', String(route.metric));
  parts.push('proto', route.protocol);
  return parts.join(' ');
}

/** `rule filter FORWARD -j PODNET-FORWARD`: a rule without podnet's tag. */
export function describeRule(rule: Pick<RuleValue, 'table' | 'chain' | 'rule'>): string {
  return `rule ${rule.table} ${rule.chain} ${joinIptablesWords(withoutTag(splitIptablesWords(rule.rule)))}`;
}

function describeLink(value: LinkValue): string {
  const attributes = [
    typeof value.kind === 'string' ? value.kind : undefined,
    value.alias !== undefined ? `alias ${value.alias}` : undefined,
    value.mtu !== undefined ? `mtu ${value.mtu}` : undefined,
    value.up === true ? 'up' : undefined,
  ].filter((a) => a !== undefined);
  return attributes.length > 0 ? `link ${value.name} (${attributes.join(', ')})` : `link ${value.name}`;
}

/** What a plan line says about its object: `route 10.244.2.0/24 via 192.168.1.12`, `link v-net-0 (bridge, up)`. */
export function describeSubject(change: Change): string {
  switch (change.kind) {
    case 'route': {
      const value = (change.action === 'delete' ? change.before : change.after) ?? { dst: change.key, protocol: '' };
      const via = value.gateway !== undefined ? ` via ${value.gateway}` : value.dev !== undefined ? ` dev ${value.dev}` : '';
      const type = value.type !== undefined ? ` (${value.type})` : '';
      const metric = value.metric !== undefined ? ` metric ${value.metric}` : '';
      return `route ${value.dst}${via}${metric}${type}`;
    }
    case 'link': {
      const value = change.action === 'delete' ? change.before : change.after;
      return value === undefined ? `link ${change.key}` : describeLink(value);
    }
    case 'sysctl': {
      const value = change.after?.value;
      return value !== undefined && value !== null && change.action !== 'delete' ? `sysctl ${change.key} = ${value}` : `sysctl ${change.key}`;
    }
    case 'address':
      return `address ${change.key}`;
    case 'chain': {
      const value = change.after ?? change.before;
      return value === undefined ? `chain ${change.key}` : `chain ${value.table} ${value.chain}`;
    }
    case 'rule': {
      const value = change.after ?? change.before;
      if (value === undefined) return `rule ${change.key}`;
      const purpose = change.after?.purpose !== undefined ? ` (${RULE_PURPOSE[change.after.purpose]})` : '';
      return `${describeRule(value)}${purpose}`;
    }
    case 'pod':
      return `pod ${change.key}`;
    case 'file': {
      if (change.before?.role === 'address-store') return `directory ${change.key}`;
      const value = change.action === 'delete' ? change.before : change.after;
      if (value?.mode === undefined) return `file ${change.key}`;
      const role = change.action !== 'delete' && value.role !== undefined ? `${FILE_ROLE[value.role]}, ` : '';
      const sha = value.sha256 !== undefined ? `, sha256 ${value.sha256.slice(0, 12)}…` : '';
      return `file ${change.key} (${role}mode ${value.mode}${sha})`;
    }
  }
}

/** Why a change is planned, in words. */
export function describeReason(change: Change): string {
  const reason = change.reason;
  switch (reason.code) {
    case 'missing':
      return 'missing';
    case 'differs':
      return describeDifference(change);
    case 'stale-address':
      return `stale: the bridge address is ${reason.want}`;
    case 'stale-bridge':
      return `stale: podnet's bridge is now ${reason.want}`;
    case 'stale-route-metric':
      return `stale: metric ${change.kind === 'route' ? (change.before?.metric ?? 0) : 0} (podnet's route to ${reason.peer} has none)`;
    case 'stale-route-router-host-gw':
      return 'stale: routing mode host-gw keeps no routes on the router';
    case 'stale-route-own-subnet':
      return `stale: ${routeDst(change)} is this node's own subnet`;
    case 'stale-route-outside-pod-cidr':
      return `stale: outside the pod CIDR ${reason.podCidr}`;
    case 'stale-route-pod-cidr':
      return 'stale: only routing mode gateway routes the whole pod CIDR via the router';
    case 'stale-route-via-router':
      return `stale: routing mode gateway sends the pod CIDR via ${reason.router} (${reason.gateway})`;
    case 'stale-route-no-node':
      return `stale: no node has subnet ${routeDst(change)}`;
    case 'stale-route-removed-node':
      return `stale: ${reason.gateway} left cluster.yaml (--prune-removed)`;
    case 'destroy-peer-route':
      return `podnet's route to ${reason.peer}, which is being destroyed`;
    case 'stale-chain':
      return 'stale: no longer used by podnet';
    case 'stale-rule':
      return "stale: not one of podnet's rules for this cluster";
    case 'rule-in-stale-chain':
      return `stale: podnet no longer uses chain ${reason.chain}`;
    case 'rule-duplicate':
      return 'duplicate';
    case 'rule-out-of-order':
      return 'out of order or duplicate';
    case 'rule-not-first': {
      const position = change.kind === 'rule' ? change.before?.position : undefined;
      return `not first in ${reason.chain}${position !== undefined ? ` (rule ${position})` : ''}: a rule before it could drop pod traffic; moved to the top`;
    }
    case 'destroy':
      return describeDestroy(change);
    case 'destroy-pod-through-plugin':
      return `made through podnet's plugin (${podAddresses(change)}): the plugin's DEL, then the namespace`;
    case 'destroy-pod-by-hand':
      return `made through podnet's plugin (${podAddresses(change)}); the plugin is gone: namespace and addresses by hand`;
    case 'rollback':
      return 'undoes the apply that was not confirmed';
  }
}

function routeDst(change: Change): string {
  return change.kind === 'route' ? (change.before?.dst ?? change.key) : change.key;
}

function podAddresses(change: Change): string {
  return change.kind === 'pod' ? (change.before?.addresses ?? []).join(', ') : '';
}

/** An update: what its before and after say. */
function describeDifference(change: Change): string {
  switch (change.kind) {
    case 'sysctl': {
      const before = change.before?.value;
      const want = change.after?.value;
      if (before === null || before === undefined) return `could not be read, want ${want}`;
      if (change.key === 'net.ipv4.ip_forward') return `forwarding is off (${before}), want ${want}`;
      return `is ${before}, want ${want}`;
    }
    case 'link': {
      const parts: string[] = [];
      if (change.after?.mtu !== undefined) parts.push(`mtu is ${change.before?.mtu ?? 'unset'}, want ${change.after.mtu}`);
      if (change.after?.up === true) parts.push('link is down');
      return parts.join('; ');
    }
    case 'route': {
      const route = change.before;
      const gateway = change.after?.gateway ?? '?';
      if (route === undefined) return 'differs';
      if (route.type !== undefined) return `type is ${route.type}, want a route via ${gateway}`;
      if (route.nexthops !== undefined) return `multipath, want a single route via ${gateway}`;
      if (route.gateway === undefined) return `no gateway${route.dev !== undefined ? ` (dev ${route.dev})` : ''}, want ${gateway}`;
      return `gateway is ${route.gateway}, want ${gateway}`;
    }
    case 'file': {
      const before = change.before;
      const after = change.after;
      if (before?.sha256 !== after?.sha256) return `content differs (sha256 ${(before?.sha256 ?? '').slice(0, 12)}…, want ${(after?.sha256 ?? '').slice(0, 12)}…)`;
      return `mode is ${before?.mode ?? 'unknown'}, want ${after?.mode ?? 'unknown'}`;
    }
    default:
      return 'differs';
  }
}

function describeDestroy(change: Change): string {
  switch (change.kind) {
    case 'route':
      return "podnet's route";
    case 'chain':
      return "podnet's chain";
    case 'rule':
      return "podnet's rule";
    case 'link': {
      const addresses = change.before?.addresses ?? [];
      const ports = change.before?.ports ?? [];
      return [
        "podnet's bridge",
        addresses.length > 0 ? `with ${addresses.join(', ')}` : '',
        ports.length > 0 ? `(ports ${ports.join(', ')} are detached, not deleted)` : '',
      ]
        .filter(Boolean)
        .join(' ');
    }
    case 'file': {
      const role = change.before?.role;
      if (role === 'address-store') return "podnet's address store (no addresses left in use)";
      return role !== undefined ? `podnet's ${FILE_ROLE[role]}` : "podnet's file";
    }
    default:
      return "podnet's";
  }
}

/** One plan line without colour: `+ route 10.244.3.0/24 via 192.168.1.13 (missing)`. */
export function describeChange(change: Change): string {
  return `${ACTION_RUNE[change.action]} ${describeSubject(change)} (${describeReason(change)})`;
}

/** A conflict as the object in the way and what podnet makes of it. */
export function describeConflict(conflict: Conflict): { object: string; message: string } {
  switch (conflict.code) {
    case 'link-not-bridge': {
      const kind = conflict.found.kind;
      return {
        object: `link ${conflict.key} (${kind ?? 'no kind'})`,
        message: `a ${kind ?? 'non-bridge'} link has the name of podnet's bridge; podnet will not replace it`,
      };
    }
    case 'bridge-not-podnet': {
      const alias = conflict.found.alias;
      return {
        object: `link ${conflict.key} (bridge${alias !== undefined ? `, alias ${alias}` : ''})`,
        message:
          `a bridge with this name exists without the alias "${conflict.alias}" (podnet did not make it); ` +
          `podnet will not adopt it — mark it with \`ip link set dev ${conflict.key} alias ${conflict.alias}\` if it is podnet's`,
      };
    }
    case 'foreign-address-on-bridge':
      return {
        object: `address ${conflict.key}`,
        message: `a foreign address (outside the pod CIDR ${conflict.podCidr}) on podnet's bridge; podnet leaves it alone`,
      };
    case 'pod-address-on-foreign-link':
      return {
        object: `address ${conflict.key}`,
        message: `an address inside the pod CIDR ${conflict.podCidr} on a link podnet does not own; it competes with podnet's bridge and routes`,
      };
    case 'old-bridge-has-ports':
      return {
        object: `link ${conflict.key}`,
        message: `podnet's old bridge still has ports (${conflict.ports.join(', ')}); podnet will not delete it while they are attached`,
      };
    case 'old-bridge-foreign-addresses':
      return { object: `link ${conflict.key}`, message: `podnet's old bridge carries foreign addresses (${conflict.addresses.join(', ')}); podnet will not delete it` };
    case 'bridge-foreign-addresses':
      return { object: `link ${conflict.key}`, message: `podnet's bridge carries foreign addresses (${conflict.addresses.join(', ')}); podnet will not delete it` };
    case 'foreign-route-to-peer':
      return {
        object: describeRoute(conflict.found),
        message: `a foreign route to ${conflict.peer}'s pod subnet ${conflict.found.dst}; podnet will not replace it`,
      };
    case 'foreign-route-inside-peer':
      return { object: describeRoute(conflict.found), message: `a foreign route inside ${conflict.peer}'s pod subnet ${conflict.subnet} shadows part of it` };
    case 'foreign-file':
      return {
        object: `file ${conflict.key}`,
        message: `a file that does not mention podnet is at podnet's ${FILE_ROLE[conflict.role]} path; podnet will not overwrite it`,
      };
    case 'foreign-jump-to-old-chain':
      return {
        object: `chain ${conflict.found.table} ${conflict.found.chain}`,
        message: `rules podnet did not make jump to podnet's old chain (${conflict.rules.map(describeRule).join('; ')}); podnet will not remove it`,
      };
    case 'iptables-missing-for-nat':
      return { object: 'iptables', message: `${conflict.problem}: egress NAT (egress.masquerade) needs it` };
  }
}

const PROTECTED: Record<NonNullable<Offence['takes']>['what'], string> = {
  'node-address': "the node's own address",
  'ssh-address': "the node's SSH address",
  'ssh-client': 'the SSH client',
};

function describeOffence(offence: Offence): string {
  const action = offence.action === 'keep' ? 'kept' : offence.action;
  if (offence.takes === undefined && offence.kind !== 'link') return `${offence.kind} ${offence.key} (${action})`;
  switch (offence.kind) {
    case 'link':
      return `link ${offence.key} (${action}) carries the SSH session`;
    case 'address':
      if (offence.connectedRoute !== undefined && offence.takes !== undefined) {
        return `address ${offence.key} (${action}) brings the connected route ${offence.connectedRoute}, which would take the path to ${PROTECTED[offence.takes.what]} ${offence.takes.address}`;
      }
      return `address ${offence.key} (${action}) is ${PROTECTED[offence.takes?.what ?? 'node-address']}`;
    case 'route':
      return `route ${offence.key} (${action}) would take the path to ${offence.takes !== undefined ? `${PROTECTED[offence.takes.what]} ${offence.takes.address}` : 'the node'}`;
  }
}

/** Why a node is refused: `refusing to touch node1's management path (SSH from … to …): …`. */
export function describeRefusal(node: string, refusal: Refusal): string {
  const m = refusal.management;
  if (m?.unknown === true) {
    return (
      `refusing to change links, addresses or routes on ${node}: its management path is unknown ` +
      `(the node reported no SSH_CONNECTION, so podnet cannot tell which of them carry the SSH session): ` +
      refusal.offences.map(describeOffence).join('; ')
    );
  }
  const path = m === undefined ? `node address ${refusal.nodeAddress}` : `SSH from ${m.peerAddress} to ${m.localAddress}${m.dev !== undefined ? ` on ${m.dev}` : ''}`;
  return `refusing to touch ${node}'s management path (${path}): ${refusal.offences.map(describeOffence).join('; ')}`;
}

export function describeWarning(warning: Warning): string {
  switch (warning.code) {
    case 'rp-filter-strict': {
      const { dev } = warning;
      const role = warning.role === 'bridge' ? "podnet's bridge" : 'node interface';
      const source = warning.fromAll ? 'net.ipv4.conf.all.rp_filter=1' : `net.ipv4.conf.${dev}.rp_filter=1`;
      return (
        `strict rp_filter on ${dev} (${role}; ${source}): pod packets arriving there are dropped unless the route back to their source ` +
        `leaves through ${dev}; podnet does not change it — set it to 2 (loose) if pod traffic is lost`
      );
    }
    case 'iptables-missing':
      return `${warning.problem}: podnet cannot make sure the FORWARD chain accepts pod traffic`;
    case 'foreign-file-left':
      return `${warning.path} does not name podnet (someone else's file): left in place`;
    case 'store-holds-foreign':
      return (
        `the address store ${warning.store} holds addresses of containers podnet did not start here ` +
        `(${warning.containers.map((c) => `${c.id}: ${c.addresses.join(', ')}`).join('; ')}); they and the store are left in place`
      );
    case 'store-holds-foreign-entries':
      return `the address store ${warning.store} holds entries podnet's plugin does not write (${warning.entries.join(', ')}): the store and everything in it are left in place`;
    case 'subnet':
      return warning.message;
    case 'network-manager-unconfigured':
      return warning.manager === 'systemd-networkd'
        ? `systemd-networkd runs here and deletes routes it did not make (ManageForeignRoutes=yes, its default): ` +
            `podnet's routes would vanish; this plan writes ${warning.path} and restarts it`
        : `NetworkManager runs here and may take over podnet's bridge and the pods' veths: this plan writes ${warning.path} and reloads its configuration`;
    case 'pod-stranded':
      return `${describePod(warning)} is stranded outside ${warning.subnet}: no network until it is deleted and created again`;
    case 'address-not-held':
      return `this host answered but holds no interface address ${warning.address} (is its \`address\` in cluster.yaml mistyped?): routes via it wait`;
    case 'node-removed':
      return (
        `a node at ${warning.address} (pods ${warning.subnets.join(', ')}) left cluster.yaml, but ${listNames(warning.routedBy)} still ` +
        `${warning.routedBy.length === 1 ? 'routes' : 'route'} to it and its own podnet state (bridge, routes, CNI files) stays on it; ` +
        `\`podnet apply --prune-removed ${warning.cluster}\` removes both (podnet reaches it at ${warning.address} with the cluster's ssh settings)`
      );
    case 'node-removed-unreached':
      return (
        `the node at ${warning.address} that left cluster.yaml (pods ${warning.subnets.join(', ')}) did not answer (${warning.problem}): ` +
        `only the routes to it are removed; its own podnet state, if it still runs, stays on it, and once those routes are gone podnet ` +
        `no longer finds it — list it in a cluster file and run \`podnet destroy --limit NODE\` on that file to clean it`
      );
    case 'node-removed-is-listed':
      return (
        `the host answering at ${warning.address} (a node that left cluster.yaml) also holds the address of ${warning.node}: ` +
        `it is ${warning.node}, so nothing on it is removed; only the routes via ${warning.address} go`
      );
    case 'prune-removed-incomplete':
      return (
        `--prune-removed removes nothing in this run: ${listNames(warning.unreached)} did not answer at ${warning.unreached.length === 1 ? 'its' : 'their'} ` +
        `address, and a node whose address changed looks just like one that left; run it again once every host answers`
      );
    case 'peer-routes-left':
      return `${listNames(warning.peers)} did not answer: ${warning.peers.length === 1 ? 'its' : 'their'} routes to ${warning.subnets.join(', ')} stay until \`podnet apply\` reaches ${warning.peers.length === 1 ? 'it' : 'them'}`;
    case 'state-file-damaged':
      return `podnet's state file ${warning.path} is damaged (${warning.problem}): podnet cannot tell drift from change here (every change counts as a first apply) until the next apply writes it again`;
    case 'state-file-missing':
      return `podnet's objects are here but its state file ${warning.path} is not (an older podnet applied them, or it was removed): podnet cannot tell drift from change here (every change counts as a first apply) until the next apply writes it`;
  }
}

function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1] as string}`;
}

const WAITING_WHY: Record<Waiting['why'], string> = {
  'not-reached': 'not reached in this run',
  'address-not-held': 'it holds no such address',
};

/** A waiting route as a plan line's subject and reason: `route 10.244.2.0/24 via 192.168.1.99`, `waiting for node2: …`. */
export function describeWaiting(waiting: Waiting): { subject: string; reason: string } {
  const route = waiting.want ?? waiting.found ?? { dst: waiting.key, protocol: '' };
  const subject = `route ${route.dst}${route.gateway !== undefined ? ` via ${route.gateway}` : ''}`;
  const why = `waiting for ${waiting.peer}: ${WAITING_WHY[waiting.why]}`;
  if (waiting.want === undefined) return { subject, reason: `${why}; kept as it is` };
  const found = waiting.found;
  if (found === undefined) return { subject, reason: `${why}; not set yet` };
  return { subject, reason: `${why}; the route via ${found.gateway ?? found.dev ?? '?'} stays` };
}

// ───────────────────────────── pods a plan disrupts ─────────────────────────────

/** `pod p2 (10.244.2.4)`; another runtime's pod by its container id: `container 3f2a9c1b7d4e… (10.244.1.7)`. */
export function describePod(pod: Pick<PodDisruption, 'pod' | 'netns' | 'addresses'>): string {
  const name = pod.netns !== undefined ? `pod ${pod.pod}` : `container ${pod.pod.length > 16 ? `${pod.pod.slice(0, 12)}…` : pod.pod}`;
  return pod.addresses.length > 0 ? `${name} (${pod.addresses.join(', ')})` : name;
}

/** What happens to a disrupted pod, and why. */
export function describeDisruption(disruption: PodDisruption): string {
  const cause = disruption.cause;
  switch (cause.code) {
    case 'outside-subnet':
      return `subnet ${cause.was} → ${cause.subnet} leaves it without a network`;
    case 'pod-deleted':
      return 'destroy deletes it';
    case 'bridge-deleted':
      return `destroy deletes its bridge ${cause.bridge}: it is left without a network`;
  }
}

/** A node planned again (after waiting for its lock) that now disrupts pods, for its recap. */
export function describeNodePodDisruption(pods: readonly PodDisruption[]): string {
  return (
    `refused: planned again after waiting for the lock, the node's plan leaves running pods without a network ` +
    `(${pods.map((d) => `${describePod(d)}: ${describeDisruption(d)}`).join('; ')}); nothing was applied — drain them, or pass --allow-pod-disruption`
  );
}

/** The plan's line under its summary when it disrupts pods. */
// ───────────────────────────── drift ─────────────────────────────

/** The heading of the plan's drift section (Terraform's "Objects have changed outside of Terraform"). */
export const DRIFT_HEADING = 'Objects have changed outside of podnet (drift):';

/** Under the drift heading: what the rows mean. */
export const DRIFT_INTRO =
  'podnet applied these objects on the node, and the node no longer matches what it applied (someone or something changed it); this plan puts them back.';

/** The heading of the changes cluster.yaml asks for, when a drift section comes before them. */
export const CHANGES_HEADING = 'Changes cluster.yaml asks for:';

/** A node with drift rows only, in the section of cluster.yaml's changes. */
export function describeOnlyDrift(node: string): string {
  return `No changes from cluster.yaml on ${node}; only the drift above is put back.`;
}

/** What the node header adds when the node has no usable state file and has changes: a first apply. */
export const FIRST_APPLY_TAG = 'first apply';

/** An apply whose steps ran but whose record could not be written (the next diff could not tell drift there). */
export function describeStateFileFailure(path: string, message: string): string {
  return `podnet's state file ${path} could not be written (${message}); the next diff cannot tell drift from change on this node`;
}

/** The plan line's tail when the plan puts back drift. */
export function describeDriftSummary(count: number): string {
  return `Drift: ${count} ${count === 1 ? 'object' : 'objects'} changed outside of podnet.`;
}

export function describeDisruptedPodsSummary(count: number): string {
  return `Pods disrupted: ${count}. Applying needs --allow-pod-disruption, or drain them first.`;
}

/**
 * Why apply or destroy refuses a plan that disrupts running pods: every pod by node, and the two
 * ways out (drain them first, or --allow-pod-disruption and what it costs).
 */
export function describePodDisruptionRefusal(plan: Plan, command: 'apply' | 'destroy', clusterFile: string): string {
  const pods = plan.nodes.flatMap((node) => (node.disruptedPods ?? []).map((d) => ({ node: node.node, d })));
  const lines = [
    `refusing to ${command}: the plan ${command === 'destroy' ? 'deletes or cuts off' : 'leaves'} ${pods.length} running pod${pods.length === 1 ? '' : 's'}${command === 'destroy' ? '' : ' without a network'}:`,
    ...pods.map(({ node, d }) => `  ${node}: ${describePod(d)}: ${describeDisruption(d)}`),
    'Nothing was changed. Either',
  ];
  const drain = pods.filter(({ d }) => d.netns !== undefined).map(({ node, d }) => `      podnet pod del ${clusterFile} ${node} ${d.pod}`);
  if (pods.some(({ d }) => d.netns === undefined)) drain.push("      a container runtime's pods: drain their node (kubectl drain NODE)");
  if (command === 'destroy') {
    lines.push(
      '  - drain them first, then destroy again:',
      ...drain,
      '    or',
      "  - pass --allow-pod-disruption: destroy deletes podnet's pods and leaves other pods without a network.",
    );
  } else {
    lines.push(
      '  - drain them first, apply, then create them again (they get addresses in the new subnet):',
      ...drain,
      '    or',
      '  - pass --allow-pod-disruption to apply anyway: the pods keep running without a working network',
      '    until they are deleted and created again.',
    );
  }
  return lines.join('\n');
}
