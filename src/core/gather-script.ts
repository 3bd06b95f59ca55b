// The ONE command podnet runs on a node to learn its state, and the parser of its output.
// Sections are delimited by marker lines so that one exec carries everything the planner needs.
import type { ManagementPath, ObservedState } from './model.js';
import { parseIpAddrs, parseIpForward, parseIpLinks, parseIpRoutes } from './ip-json.js';

const MARK = '@@podnet-section';

/** Section name → the POSIX sh that prints it. Errors go to stderr; an empty section is reported. */
const SECTIONS: ReadonlyArray<readonly [string, string]> = [
  ['links', 'ip -j -d link show'],
  ['addrs', 'ip -j addr show'],
  ['routes', 'ip -j route show table main'],
  ['ip_forward', 'cat /proc/sys/net/ipv4/ip_forward'],
  // Which of the node's addresses this SSH session came in on (protects the management path).
  ['ssh_connection', 'printf "%s\\n" "${SSH_CONNECTION:-}"'],
];

export function renderGatherCommand(): string {
  return SECTIONS.map(([name, cmd]) => `echo '${MARK} ${name}'; ${cmd}`).join('; ') + `; echo '${MARK} end'`;
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
  if (!sections.has(SECTIONS[SECTIONS.length - 1]![0]) || current !== 'end') {
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
  return { node, links, addresses, routes, ipForward, management };
}
