// The ONE command podnet runs on a node to learn its state, and the parser of its output.
// Sections are delimited by marker lines so that one exec carries everything the planner needs.
import type { CniSpec, ManagementPath, ObservedFile, ObservedState } from './model.js';
import { parseIpAddrs, parseIpForward, parseIpLinks, parseIpRoutes } from './ip-json.js';
import { shellQuote } from './shell-quote.js';
import { iptablesGatherCommand, parseFirewallSection } from './iptables.js';
import { RP_FILTER_GATHER_COMMAND, parseRpFilter } from './rp-filter.js';
import { parseObservedPods, podsGatherCommand } from './observed-pods.js';

const MARK = '@@podnet-section';

/** Section name → the POSIX sh that prints it. Errors go to stderr; an empty section is reported. */
const SECTIONS: ReadonlyArray<readonly [string, string]> = [
  ['links', 'ip -j -d link show'],
  ['addrs', 'ip -j addr show'],
  ['routes', 'ip -j route show table main'],
  ['ip_forward', 'cat /proc/sys/net/ipv4/ip_forward'],
  // Which of the node's addresses this SSH session came in on (protects the management path).
  ['ssh_connection', 'printf "%s\\n" "${SSH_CONNECTION:-}"'],
  // podnet's FORWARD and NAT rules live here; a node without iptables says so instead of failing.
  ['iptables', iptablesGatherCommand()],
  ['rp_filter', RP_FILTER_GATHER_COMMAND],
];

/** One line per managed file: path, sha256 (or `-` when missing), mode, whether it names podnet. */
function filesCommand(paths: readonly string[]): string {
  if (paths.length === 0) return 'true';
  return (
    `for f in ${paths.map(shellQuote).join(' ')}; do ` +
    `if [ -f "$f" ]; then ` +
    `printf '%s\\t%s\\t%s\\t%s\\n' "$f" "$(sha256sum < "$f" | cut -d' ' -f1)" "$(stat -c %a "$f")" "$(grep -q podnet "$f" && echo 1 || echo 0)"; ` +
    `else printf '%s\\t-\\n' "$f"; fi; done`
  );
}

export interface GatherOptions {
  /** When set, the `pods` section lists the node's namespaces and this CNI network's address store. */
  cni?: CniSpec;
}

/** The gather command; `filePaths` are the files podnet manages on the node. */
export function renderGatherCommand(filePaths: readonly string[] = [], options: GatherOptions = {}): string {
  const sections: ReadonlyArray<readonly [string, string]> = [
    ...SECTIONS,
    ...(options.cni !== undefined ? [['pods', podsGatherCommand(options.cni)] as const] : []),
    ['files', filesCommand(filePaths)],
  ];
  return sections.map(([name, cmd]) => `echo '${MARK} ${name}'; ${cmd}`).join('; ') + `; echo '${MARK} end'`;
}

export function parseObservedFiles(text: string): ObservedFile[] {
  const files: ObservedFile[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const [path, sha256, mode, mentions] = line.split('\t');
    if (path === undefined || sha256 === undefined) throw new GatherOutputError(`unreadable file line: ${JSON.stringify(line)}`);
    if (sha256 === '-') files.push({ path, sha256: null });
    else files.push({ path, sha256, ...(mode !== undefined ? { mode } : {}), mentionsPodnet: mentions === '1' });
  }
  return files;
}

export class GatherOutputError extends Error {}

export function splitGatherOutput(stdout: string): Map<string, string> {
  const sections = new Map<string, string>();
  let current: string | undefined;
  let lines: string[] = [];
  for (const line of stdout.split('\n')) {
    if (line.startsWith(`${MARK} `)) {
      if (current !== undefined) sections.set(current, lines.join('\n'));
      current = line.slice(MARK.length + 1).trim();
      lines = [];
    } else if (current !== undefined) {
      lines.push(line);
    }
  }
  if (!sections.has('files') || current !== 'end') {
    throw new GatherOutputError('the gather output is incomplete (did the command run to its end?)');
  }
  return sections;
}

function section(sections: Map<string, string>, name: string): string {
  const text = sections.get(name);
  if (text === undefined || text.trim() === '') {
    throw new GatherOutputError(`the node printed nothing for "${name}" (is iproute2 installed?)`);
  }
  return text;
}

/** Parse `SSH_CONNECTION` ("client_ip client_port server_ip server_port"); the fallback is the configured address. */
export function parseManagementPath(sshConnection: string, nodeAddress: string, state: Pick<ObservedState, 'addresses'>): ManagementPath {
  const parts = sshConnection.trim().split(/\s+/);
  const localAddress = parts.length === 4 && parts[2] ? parts[2] : nodeAddress;
  const peerAddress = parts.length === 4 && parts[0] ? parts[0] : '';
  const dev = state.addresses.find((a) => a.local === localAddress)?.dev;
  return { localAddress, peerAddress, ...(dev ? { dev } : {}) };
}

export function parseGatherOutput(stdout: string, node: string, nodeAddress: string): ObservedState {
  const sections = splitGatherOutput(stdout);
  const links = parseIpLinks(section(sections, 'links'));
  const addresses = parseIpAddrs(section(sections, 'addrs'));
  const routes = parseIpRoutes(section(sections, 'routes'));
  const ipForward = parseIpForward(sections.get('ip_forward') ?? '');
  const management = parseManagementPath(sections.get('ssh_connection') ?? '', nodeAddress, { addresses });
  const files = parseObservedFiles(sections.get('files') ?? '');
  const state: ObservedState = { node, links, addresses, routes, ipForward, files, management };
  const iptables = sections.get('iptables');
  if (iptables !== undefined) state.firewall = parseFirewallSection(iptables);
  const rpFilter = parseRpFilter(sections.get('rp_filter') ?? '');
  if (rpFilter !== null) state.rpFilter = rpFilter;
  const pods = sections.get('pods');
  if (pods !== undefined) state.pods = parseObservedPods(pods);
  return state;
}
