// `podnet pod add|del|list`: the POSIX sh each operation sends to a node (one exec), and the
// parsing of what comes back. Pure. Every name is checked against a strict pattern and every value
// is shell-quoted, so nothing from cluster.yaml or the command line can change the script.
import type { CniSpec, ObservedAddress } from '../model/types.js';
import { parseIpAddrs } from '../state/ip-json.js';
import { shellQuote } from './shell-quote.js';
import { sectionMarkerPrintf, splitSections } from './sections.js';
import { CNI_NETWORK_NAME_PATTERN, CNI_VERSION_PATTERN, POD_NAME_PATTERN, isSafeDirectory } from '../model/names.js';

export { POD_NAME_PATTERN };
/** The interface the plugin creates inside each pod, as a container runtime would ask. */
export const POD_IFNAME = 'eth0';
/** Where `ip netns add NAME` puts the namespace, and so the CNI_NETNS of a pod. */
export const NETNS_DIR = '/run/netns';

/** Exit statuses of the node scripts (chosen well away from the plugin's and the shell's own). */
export const POD_EXIT = {
  notDeployed: 90,
  exists: 91,
  netnsFailed: 92,
  pluginFailed: 93,
  notPodnets: 94,
} as const;

/** Throws an Error unless name is an acceptable pod name. */
export function validatePodName(name: string): void {
  if (!POD_NAME_PATTERN.test(name)) {
    throw new Error(
      `pod name ${JSON.stringify(name)} must be 1-42 characters of a-z, 0-9 and '-', starting and ending with a letter or digit`,
    );
  }
}

function validateCni(cni: CniSpec): void {
  if (!CNI_NETWORK_NAME_PATTERN.test(cni.networkName)) {
    throw new Error(`CNI network name ${JSON.stringify(cni.networkName)} must match ${CNI_NETWORK_NAME_PATTERN.source}`);
  }
  if (!CNI_VERSION_PATTERN.test(cni.cniVersion)) throw new Error(`cniVersion ${JSON.stringify(cni.cniVersion)} is not a version`);
  for (const [key, path] of [
    ['binDir', cni.binDir],
    ['confDir', cni.confDir],
    ['dataDir', cni.dataDir],
  ] as const) {
    if (!isSafeDirectory(path)) {
      throw new Error(`cni.${key} ${JSON.stringify(path)} must be an absolute path of letters, digits and _ . + -`);
    }
  }
}

const trimSlash = (path: string): string => path.replace(/(.)\/$/, '$1');

/** Where podnet apply deploys the plugin and its conflist on a node. */
export function deployedPaths(cni: CniSpec): { plugin: string; conflist: string; store: string } {
  return {
    plugin: `${trimSlash(cni.binDir)}/podnet`,
    conflist: `${trimSlash(cni.confDir)}/10-${cni.networkName}.conflist`,
    store: `${trimSlash(cni.dataDir)}/${cni.networkName}`,
  };
}


export interface PodScriptInput {
  cni: CniSpec;
  pod: string;
  /** The plugin's network config (see cni/conflist.ts pluginNetConfig), sent on the plugin's stdin. */
  netConfig: string;
}

function scriptHeader(input: PodScriptInput): string[] {
  validatePodName(input.pod);
  validateCni(input.cni);
  const paths = deployedPaths(input.cni);
  return [
    'set -u',
    `pod=${shellQuote(input.pod)}`,
    `netns=${shellQuote(`${NETNS_DIR}/${input.pod}`)}`,
    `plugin=${shellQuote(paths.plugin)}`,
    `conflist=${shellQuote(paths.conflist)}`,
    `config=${shellQuote(input.netConfig)}`,
    `cni_path=${shellQuote(trimSlash(input.cni.binDir))}`,
    // One function runs the plugin exactly as a runtime does: environment plus config on stdin.
    'run_plugin() {',
    `  printf '%s' "$config" | CNI_COMMAND="$1" CNI_CONTAINERID="$pod" CNI_NETNS="$netns" CNI_IFNAME=${POD_IFNAME} CNI_PATH="$cni_path" "$plugin"`,
    '}',
    'if [ ! -x "$plugin" ] || [ ! -f "$conflist" ]; then',
    '  [ -x "$plugin" ] || printf \'%s\\n\' "$plugin" >&2',
    '  [ -f "$conflist" ] || printf \'%s\\n\' "$conflist" >&2',
    `  exit ${POD_EXIT.notDeployed}`,
    'fi',
  ];
}

/** ADD: create the namespace, run the plugin's ADD in it, and remove the namespace again if ADD fails. */
export function renderPodAddScript(input: PodScriptInput): string {
  return [
    ...scriptHeader(input),
    `[ -e "$netns" ] && exit ${POD_EXIT.exists}`,
    `err=$(ip netns add "$pod" 2>&1) || { printf '%s\\n' "$err" >&2; exit ${POD_EXIT.netnsFailed}; }`,
    'out=$(run_plugin ADD)',
    'rc=$?',
    'printf \'%s\\n\' "$out"',
    'if [ "$rc" -ne 0 ]; then',
    '  ip netns del "$pod" 2>/dev/null',
    `  exit ${POD_EXIT.pluginFailed}`,
    'fi',
    '',
  ].join('\n');
}

/**
 * Whether namespace "$pod" is podnet's: an allocation in podnet's address store whose container id
 * (the file's first line, host-local style, maybe ending in CR) is the pod's name — `pod add` and
 * verify's probes use the namespace's name as the container id, and destroy trusts the same mark.
 * Other software's namespaces (containerd's `cni-<uuid>`) fit the pod name pattern too and are
 * never podnet's to delete. Builtins only (`read`) in the loop, whatever the store holds.
 */
const IS_PODNETS_FUNCTION = [
  "cr=$(printf '\\r')",
  'is_podnets() {',
  '  for f in "$store"/*; do',
  '    [ -f "$f" ] || continue',
  '    id=',
  '    IFS= read -r id < "$f" || [ -n "$id" ] || continue',
  '    [ "${id%"$cr"}" = "$pod" ] && return 0',
  '  done',
  '  return 1',
  '}',
];

/**
 * DEL: the plugin's DEL (idempotent, also when the namespace is gone), then the namespace. A
 * namespace that is not podnet's (no allocation for it) is refused before anything runs.
 */
export function renderPodDelScript(input: PodScriptInput): string {
  return [
    ...scriptHeader(input),
    `store=${shellQuote(deployedPaths(input.cni).store)}`,
    ...IS_PODNETS_FUNCTION,
    'existed=0',
    '[ -e "$netns" ] && existed=1',
    `if [ "$existed" = 1 ] && ! is_podnets; then printf '%s\\n' "$store" >&2; exit ${POD_EXIT.notPodnets}; fi`,
    'out=$(run_plugin DEL)',
    'rc=$?',
    'if [ "$rc" -ne 0 ]; then',
    '  printf \'%s\\n\' "$out"',
    `  exit ${POD_EXIT.pluginFailed}`,
    'fi',
    'if [ "$existed" = 1 ]; then',
    `  err=$(ip netns del "$pod" 2>&1) || { printf '%s\\n' "$err" >&2; exit ${POD_EXIT.netnsFailed}; }`,
    'fi',
    'echo "existed=$existed"',
    '',
  ].join('\n');
}

/**
 * LIST: every namespace with its IPv4 addresses (a section `netns NAME` holding `ip -j -4 addr`),
 * then every allocation in the store (a section `allocation ADDRESS CONTAINERID IFNAME`). Needs no
 * plugin. A namespace is podnet's pod when an allocation names it (see IS_PODNETS_FUNCTION).
 */
export function renderPodListScript(cni: CniSpec): string {
  validateCni(cni);
  const { store } = deployedPaths(cni);
  return [
    'set -u',
    `store=${shellQuote(store)}`,
    `for ns in ${NETNS_DIR}/*; do`,
    '  [ -e "$ns" ] || continue',
    '  name=${ns##*/}',
    "  case $name in *[!A-Za-z0-9_.-]*) continue ;; esac",
    `  ${sectionMarkerPrintf('netns', '"$name"')}`,
    "  ip -n \"$name\" -j -4 addr show 2>/dev/null || printf '[]'",
    "  printf '\\n'",
    'done',
    'for f in "$store"/*; do',
    '  [ -f "$f" ] || continue',
    '  ip=${f##*/}',
    "  case $ip in *[!0-9.]*) continue ;; esac",
    "  id=$(head -n 1 \"$f\" | tr -d '\\r')",
    '  ifname=$(sed -n 2p "$f")',
    `  ${sectionMarkerPrintf('allocation', '"$ip"', '"$id"', '"$ifname"')}`,
    'done',
    'exit 0',
    '',
  ].join('\n');
}

export interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The address part of a CNI result that `pod add` prints. */
export interface PodAddress {
  address: string;
  gateway?: string;
}

export type PodAddOutcome =
  | { ok: true; result: unknown; addresses: PodAddress[] }
  | { ok: false; reason: 'not-deployed' | 'exists' | 'netns-failed' | 'plugin-failed' | 'unexpected'; message: string };

export type PodDelOutcome =
  | { ok: true; existed: boolean }
  | { ok: false; reason: 'not-deployed' | 'not-podnets' | 'netns-failed' | 'plugin-failed' | 'unexpected'; message: string };

function firstLines(text: string): string {
  return text.trim().split('\n').slice(0, 5).join('; ');
}

/** The message of a CNI error JSON (`{code, msg, details}`), or the raw output when it is not one. */
export function describePluginError(stdout: string, stderr: string): string {
  try {
    const error = JSON.parse(stdout) as { code?: unknown; msg?: unknown; details?: unknown };
    if (typeof error.msg === 'string') {
      const details = typeof error.details === 'string' && error.details !== '' ? ` (${error.details})` : '';
      return `the CNI plugin failed with code ${String(error.code)}: ${error.msg}${details}`;
    }
  } catch {
    // not JSON: fall through to the raw output
  }
  return `the CNI plugin failed: ${firstLines(stdout + stderr) || 'no output'}`;
}

function notDeployedMessage(stderr: string): string {
  const missing = stderr.trim().split('\n').filter(Boolean).join(' and ');
  return `the podnet CNI plugin is not deployed (${missing || 'plugin or conflist'} missing): run podnet apply first`;
}

function addressesOf(result: unknown): PodAddress[] {
  const ips = (result as { ips?: unknown }).ips;
  if (!Array.isArray(ips)) return [];
  return ips.flatMap((ip: unknown) => {
    const { address, gateway } = (ip ?? {}) as { address?: unknown; gateway?: unknown };
    if (typeof address !== 'string') return [];
    return [typeof gateway === 'string' ? { address, gateway } : { address }];
  });
}

export function parsePodAddOutput(pod: string, r: ScriptResult): PodAddOutcome {
  switch (r.code) {
    case 0: {
      let result: unknown;
      try {
        result = JSON.parse(r.stdout);
      } catch {
        return { ok: false, reason: 'unexpected', message: `the CNI plugin printed no JSON result: ${firstLines(r.stdout)}` };
      }
      return { ok: true, result, addresses: addressesOf(result) };
    }
    case POD_EXIT.notDeployed:
      return { ok: false, reason: 'not-deployed', message: notDeployedMessage(r.stderr) };
    case POD_EXIT.exists:
      return { ok: false, reason: 'exists', message: `already exists (${NETNS_DIR}/${pod})` };
    case POD_EXIT.netnsFailed:
      return { ok: false, reason: 'netns-failed', message: `cannot create network namespace ${pod}: ${firstLines(r.stderr)}` };
    case POD_EXIT.pluginFailed:
      return { ok: false, reason: 'plugin-failed', message: `${describePluginError(r.stdout, r.stderr)}; namespace ${pod} removed` };
    default:
      return { ok: false, reason: 'unexpected', message: `exit ${String(r.code)}: ${firstLines(r.stderr + r.stdout)}` };
  }
}

export function parsePodDelOutput(pod: string, r: ScriptResult): PodDelOutcome {
  switch (r.code) {
    case 0:
      return { ok: true, existed: /existed=1/.test(r.stdout) };
    case POD_EXIT.notDeployed:
      return { ok: false, reason: 'not-deployed', message: notDeployedMessage(r.stderr) };
    case POD_EXIT.notPodnets: {
      const store = firstLines(r.stderr);
      return {
        ok: false,
        reason: 'not-podnets',
        message:
          `network namespace ${pod} is not podnet's (podnet's address store${store !== '' ? ` ${store}` : ''} holds no address for it): ` +
          'left alone; if podnet made it and its address is already released, remove it with `ip netns del`',
      };
    }
    case POD_EXIT.netnsFailed:
      return { ok: false, reason: 'netns-failed', message: `cannot delete network namespace ${pod}: ${firstLines(r.stderr)}` };
    case POD_EXIT.pluginFailed:
      return { ok: false, reason: 'plugin-failed', message: describePluginError(r.stdout, r.stderr) };
    default:
      return { ok: false, reason: 'unexpected', message: `exit ${String(r.code)}: ${firstLines(r.stderr + r.stdout)}` };
  }
}

export interface PodEntry {
  name: string;
  /** Whether a network namespace of this name exists on the node. */
  netns: boolean;
  /** IPv4 addresses (CIDR) on the pod's interfaces other than lo. */
  addresses: string[];
  /** Addresses the podnet store holds for this container id. */
  allocated: string[];
  /** podnet's pod: the store holds an address for it. Other namespaces are only listed apart. */
  podnet: boolean;
}

/**
 * Pods of one node from the list script's output: namespaces first (sorted by name), then store
 * allocations whose container id has no namespace here (e.g. pods of a container runtime whose
 * namespaces live elsewhere, or leftovers).
 */
export function parsePodListOutput(stdout: string): PodEntry[] {
  const byName = new Map<string, PodEntry>();
  const entry = (name: string, netns: boolean): PodEntry => {
    let e = byName.get(name);
    if (!e) {
      e = { name, netns, addresses: [], allocated: [], podnet: false };
      byName.set(name, e);
    }
    if (netns) e.netns = true;
    return e;
  };
  for (const { name, args, body } of splitSections(stdout)) {
    const [first, second] = args;
    if (name === 'netns' && first !== undefined) {
      const pod = entry(first, true);
      const json = body.trim();
      let addrs: ObservedAddress[];
      try {
        addrs = parseIpAddrs(json === '' ? '[]' : json);
      } catch {
        addrs = [];
      }
      pod.addresses = addrs.filter((a) => a.family === 'inet' && a.dev !== 'lo').map((a) => `${a.local}/${a.prefixlen}`);
    } else if (name === 'allocation' && first && second) {
      const pod = entry(second, false);
      pod.allocated.push(first);
      pod.podnet = true;
    }
  }
  const sorted = [...byName.values()];
  sorted.sort((a, b) => Number(b.netns) - Number(a.netns) || a.name.localeCompare(b.name));
  return sorted;
}
