// What a node prints for the gather command, built from captured fixtures: the sections the parser
// of src/scripts/gather-script.ts expects, each after its marker line, ending with the `end` marker.
import type { Cluster } from '../../src/model/types.js';
import { SECTION_PREFIX } from '../../src/scripts/sections.js';
import { managedFilePaths } from '../../src/state/node-files.js';
import { allocateSubnets } from '../../src/state/subnets.js';
import { desiredState } from '../../src/state/desired.js';
import { readFixtureFile } from './ip-fixtures.js';
import { iptablesFixture } from './iptables-fixtures.js';

const MARK = SECTION_PREFIX;

export interface FakeFile {
  path: string;
  sha256: string;
  mode: string;
}

export interface GatherStdoutOptions {
  /** A case under test/fixtures/ip (links, addresses, routes and ip_forward as captured). */
  ipCase: string;
  /** The node's address (the server side of SSH_CONNECTION). */
  address: string;
  /** A case under test/fixtures/iptables; absent: the section is left out (not gathered). */
  iptables?: string;
  /** The managed files found on the node. */
  files?: readonly FakeFile[];
  /** Override ip_forward ("0" or "1"). */
  ipForward?: string;
  /** The `network_managers` section as systemctl prints it (test/fixtures/network-managers); absent: empty. */
  networkManagers?: string;
}

/** One JSON document per line, as `ip -j` prints it. */
function oneLine(json: string): string {
  return JSON.stringify(JSON.parse(json));
}

/**
 * What `ip -j -d addr show` prints for a captured case: its `ip -j -d link show` entries, each with
 * the `addr_info` its `ip -j addr show` entry has (matched by ifindex).
 */
export function linksWithAddresses(ipCase: string): string {
  type Entry = { ifindex?: number; addr_info?: unknown };
  const links = JSON.parse(readFixtureFile(ipCase, 'links.json')) as Entry[];
  const addrs = JSON.parse(readFixtureFile(ipCase, 'addrs.json')) as Entry[];
  const infoByIndex = new Map(addrs.map((a) => [a.ifindex, a.addr_info]));
  return JSON.stringify(links.map((l) => ({ ...l, addr_info: infoByIndex.get(l.ifindex) ?? [] })));
}

export function gatherStdout(options: GatherStdoutOptions): string {
  const files = options.files ?? [];
  const sections: Array<[string, string]> = [
    ['ip', [linksWithAddresses(options.ipCase), oneLine(readFixtureFile(options.ipCase, 'routes.json'))].join('\n')],
    ['ip_forward', (options.ipForward ?? readFixtureFile(options.ipCase, 'ip_forward')).trim()],
    ['ssh_connection', `192.168.1.1 50000 ${options.address} 22`],
    ...(options.iptables !== undefined ? [['iptables', iptablesFixture(options.iptables)] as [string, string]] : []),
    ['rp_filter', 'all 0\ndefault 0\neth0 0'],
    ['network_managers', (options.networkManagers ?? '').trimEnd()],
    ['files', files.map((f) => f.path).join('\n')],
    ['files_sha256', files.map((f) => `${f.sha256}  ${f.path}`).join('\n')],
    ['files_stat', files.map((f, i) => `${f.mode} ${1000 + i} 100 1796300000.000000001 ${f.path}`).join('\n')],
    ['files_podnet', files.map((f) => f.path).join('\n')],
  ];
  return sections.map(([name, body]) => `${MARK} ${name}\n${body}\n`).join('') + `${MARK} end\n`;
}

/** The managed files exactly as desired on `node` (a converged node has them). */
export function desiredFilesOn(cluster: Cluster, node: string): FakeFile[] {
  const desired = desiredState(cluster, allocateSubnets(cluster).subnets, node);
  const paths = new Set(managedFilePaths(cluster));
  return desired.files.filter((f) => paths.has(f.path)).map((f) => ({ path: f.path, sha256: f.sha256, mode: f.mode }));
}

/** A node of the classic cluster with nothing of podnet on it. */
export function emptyNodeStdout(n: number): string {
  return gatherStdout({ ipCase: n === 1 ? 'empty' : `empty-node${n}`, address: `192.168.1.1${n}`, iptables: 'empty' });
}

/** A node of the classic cluster where podnet has converged. */
export function convergedNodeStdout(cluster: Cluster, n: number): string {
  return gatherStdout({
    ipCase: n === 1 ? 'converged' : `converged-node${n}`,
    address: `192.168.1.1${n}`,
    iptables: 'forward-converged',
    files: desiredFilesOn(cluster, `node${n}`),
  });
}
