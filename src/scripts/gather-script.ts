// The ONE command podnet runs on a node to learn its state, and the parser of its output.
// Sections are delimited by marker lines so that one exec carries everything the planner needs.
import type { CniSpec, ManagementPath, ObservedFile, ObservedState } from '../model/types.js';
import { parseIpAddrs, parseIpForward, parseIpLinks, parseIpRoutes } from '../state/ip-json.js';
import { shellQuote } from './shell-quote.js';
import { iptablesGatherCommand, parseFirewallSections } from './gather-iptables.js';
import { RP_FILTER_GATHER_COMMAND, parseRpFilter } from '../state/rp-filter.js';
import { parseObservedPods, podsGatherCommand } from './gather-pods.js';
import { sectionMarker, splitSections, type Section } from './sections.js';
import { NETWORK_MANAGERS } from '../state/network-managers.js';
import type { NetworkManagerName } from '../model/types.js';
import { STATE_FILE_PATH, parseStateFileSection } from '../state/state-file.js';
import { ABSOLUTE_PATH_PATTERN } from '../model/names.js';

const IP_BATCH_END = 'PODNET_IP_END';

const NETWORK_MANAGERS_GATHER_COMMAND =
  `if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then systemctl is-active ${NETWORK_MANAGERS.map((m) => `${m}.service`).join(' ')} 2>/dev/null; fi; true`;

/** `systemctl is-active` prints one state per unit asked, in order; none without systemd. */
export function parseNetworkManagers(text: string): NetworkManagerName[] | undefined {
  const states = text.split('\n').map((l) => l.trim()).filter(Boolean);
  if (states.length !== NETWORK_MANAGERS.length) return undefined;
  return NETWORK_MANAGERS.filter((_, i) => ['active', 'reloading', 'activating'].includes(states[i] ?? ''));
}

/** Section name → the POSIX sh that prints it. Errors go to stderr; an empty section is reported. */
const SECTIONS: ReadonlyArray<readonly [string, string]> = [
  // One `ip` process prints two JSON documents, one per line: every link with its details and its
  // addresses (`-d addr show` carries all `-d link show` does: printing both sent every link twice),
  // then the main table's routes. Its commands come in a here-document (no `printf |`: a pipe forks).
  ['ip', `ip -j -d -batch - <<'${IP_BATCH_END}'\naddr show\nroute show table main\n${IP_BATCH_END}`],
  // `read` is a builtin (no process); sysctl files end without a newline when read byte-wise, so its status is ignored.
  ['ip_forward', 'v=; read -r v < /proc/sys/net/ipv4/ip_forward; echo "$v"'],
  // Which of the node's addresses this SSH session came in on (protects the management path).
  ['ssh_connection', 'printf "%s\\n" "${SSH_CONNECTION:-}"'],
  // podnet's FORWARD and NAT rules live here; a node without iptables says so instead of failing.
  ['iptables', iptablesGatherCommand()],
  ['rp_filter', RP_FILTER_GATHER_COMMAND],
  // Which network managers run (systemd's own test for "booted with systemd"); nothing without systemd.
  ['network_managers', NETWORK_MANAGERS_GATHER_COMMAND],
];

/**
 * The managed files, in four sections: which exist (shell builtins; they become the positional
 * parameters), then for those only `sha256sum`, `stat` modes and which name podnet (builtins, like
 * `grep -l podnet`), neither process started when no file exists (a node podnet never touched). Paths are validated
 * upstream (no blanks) and quoted.
 */
function filesSections(paths: readonly string[]): Array<readonly [string, string]> {
  if (paths.length === 0) return [['files', 'true']];
  const quoted = paths.map(shellQuote).join(' ');
  return [
    ['files', `set --; for f in ${quoted}; do [ -f "$f" ] && set -- "$@" "$f"; done; [ $# -eq 0 ] || printf '%s\\n' "$@"`],
    ['files_sha256', `[ $# -eq 0 ] || sha256sum -- "$@" 2>/dev/null; true`],
    ['files_mode', `[ $# -eq 0 ] || stat -c '%a %n' -- "$@" 2>/dev/null; true`],
    // What `grep -l podnet` printed, with builtins only (no process): a line at a time, stopping at
    // the first that names podnet (podnet's own files do in their first lines); the last line counts
    // without its newline; a file that cannot be read names nothing.
    ['files_podnet', `for f do l=; while IFS= read -r l || [ -n "$l" ]; do case $l in *podnet*) printf '%s\\n' "$f"; break ;; esac; l=; done < "$f"; done 2>/dev/null; true`],
  ];
}

export interface GatherOptions {
  /** When set, the `pods` section lists the node's namespaces and this CNI network's address store. */
  cni?: CniSpec;
  /** Where podnet's state file is (default STATE_FILE_PATH; tests point it elsewhere). */
  stateFile?: string;
}

/**
 * podnet's state file: a word saying whether it is there, then its lines, each after `|` (so no line
 * of it can pass for a section marker). Builtins only (no process), and nothing at all to read on a
 * node podnet never applied; the file is one line of JSON.
 */
export function stateFileGatherCommand(path: string = STATE_FILE_PATH): string {
  if (!ABSOLUTE_PATH_PATTERN.test(path)) throw new Error(`refusing unsafe state file path: ${JSON.stringify(path)}`);
  const f = shellQuote(path);
  return (
    `if [ -f ${f} ]; then if [ -r ${f} ]; then echo present; l=; while IFS= read -r l || [ -n "$l" ]; do printf '|%s\n' "$l"; l=; done < ${f}; else echo unreadable; fi; ` +
    `elif [ -e ${f} ] || [ -L ${f} ]; then echo not-a-file; else echo missing; fi`
  );
}

/** The gather command; `filePaths` are the files podnet manages on the node. */
export function renderGatherCommand(filePaths: readonly string[] = [], options: GatherOptions = {}): string {
  const sections: ReadonlyArray<readonly [string, string]> = [
    ...SECTIONS,
    ...(options.cni !== undefined ? [['pods', podsGatherCommand(options.cni)] as const] : []),
    ['state_file', stateFileGatherCommand(options.stateFile)],
    ...filesSections(filePaths),
  ];
  return [...sections.map(([name, cmd]) => `${sectionMarker(name)}; ${cmd}`), sectionMarker('end')].join('\n');
}

/** Lines of `<value> <path>` (sha256sum's two spaces, stat's one) as path → value. */
function valuesByPath(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^(\S+)\s+(\S+)$/.exec(line.trim());
    if (match) values.set(match[2]!, match[1]!);
  }
  return values;
}

/** The files podnet manages as found: `paths` in the order asked, missing ones with sha256 null. */
export function parseObservedFiles(paths: readonly string[], sections: ReadonlyMap<string, string>): ObservedFile[] {
  const lines = (name: string): string[] => (sections.get(name) ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  const existing = new Set(lines('files'));
  const sha256 = valuesByPath(sections.get('files_sha256') ?? '');
  const modes = valuesByPath(sections.get('files_mode') ?? '');
  const namingPodnet = new Set(lines('files_podnet'));
  return paths.map((path): ObservedFile => {
    const digest = sha256.get(path);
    if (!existing.has(path) || digest === undefined) return { path, sha256: null };
    const mode = modes.get(path);
    return { path, sha256: detached(digest), ...(mode !== undefined ? { mode } : {}), mentionsPodnet: namingPodnet.has(path) };
  });
}

export class GatherOutputError extends Error {}

/**
 * A copy of a piece of the gather output that does not keep the whole output alive: V8 keeps a
 * substring of 13 characters or more as a view into its parent, so one kept peer address would
 * hold a node's whole output (100 KB with a thousand routes) for the rest of the run.
 */
export function detached(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

/** The gather's sections in order, and the body of each by name (the first, for names that repeat). */
export function splitGatherOutput(stdout: string): { list: Section[]; byName: Map<string, string> } {
  const list = splitSections(stdout);
  const byName = new Map<string, string>();
  for (const s of list) if (!byName.has(s.name)) byName.set(s.name, s.body);
  if (!byName.has('files') || list.at(-1)?.name !== 'end') {
    throw new GatherOutputError('the gather output is incomplete (did the command run to its end?)');
  }
  return { list, byName };
}

function section(sections: Map<string, string>, name: string): string {
  const text = sections.get(name);
  if (text === undefined || text.trim() === '') {
    throw new GatherOutputError(`the node printed nothing for "${name}" (is iproute2 installed?)`);
  }
  return text;
}

/**
 * Parse `SSH_CONNECTION` ("client_ip client_port server_ip server_port"). When it is empty or
 * unreadable the path is `unknown` (the local address falls back to the configured one): the
 * guard then refuses every link, address and route change on the node.
 */
export function parseManagementPath(sshConnection: string, nodeAddress: string, state: Pick<ObservedState, 'addresses'>): ManagementPath {
  const parts = sshConnection.trim().split(/\s+/);
  const known = parts.length === 4 && parts[0] !== '' && parts[2] !== '';
  const localAddress = known ? detached(parts[2] as string) : nodeAddress;
  const peerAddress = known ? detached(parts[0] as string) : '';
  const dev = state.addresses.find((a) => a.local === localAddress)?.dev;
  return { localAddress, peerAddress, ...(dev ? { dev } : {}), ...(known ? {} : { unknown: true as const }) };
}

/** The gathered state of a node; `filePaths` are the managed files the command was rendered with. */
export function parseGatherOutput(stdout: string, node: string, nodeAddress: string, filePaths: readonly string[] = []): ObservedState {
  const { list, byName: sections } = splitGatherOutput(stdout);
  const [linksJson, routesJson, extra] = section(sections, 'ip').split('\n').filter((line) => line.trim() !== '');
  if (linksJson === undefined || routesJson === undefined || extra !== undefined) {
    throw new GatherOutputError('ip did not print two JSON documents (links with their addresses, routes)');
  }
  const links = parseIpLinks(linksJson);
  const addresses = parseIpAddrs(linksJson);
  const routes = parseIpRoutes(routesJson);
  const ipForward = parseIpForward(sections.get('ip_forward') ?? '');
  const management = parseManagementPath(sections.get('ssh_connection') ?? '', nodeAddress, { addresses });
  const files = parseObservedFiles(filePaths, sections);
  const state: ObservedState = { node, links, addresses, routes, ipForward, files, management };
  const firewall = parseFirewallSections(list);
  if (firewall !== undefined) state.firewall = firewall;
  const rpFilter = parseRpFilter(sections.get('rp_filter') ?? '');
  if (rpFilter !== null) state.rpFilter = rpFilter;
  const pods = parseObservedPods(list);
  if (pods !== undefined) state.pods = pods;
  const managers = parseNetworkManagers(sections.get('network_managers') ?? '');
  if (managers !== undefined) state.networkManagers = managers;
  const stateFile = sections.get('state_file');
  if (stateFile !== undefined) state.stateFile = parseStateFileSection(stateFile);
  return state;
}
