// The synthetic clusters of the plan benches (bench/plan.ts, bench/plan-memory.ts): a cluster.yaml
// of N nodes, and each node's gather output as the gather command prints it (the sections the
// parser in src/scripts/gather-script.ts reads: `ip -j` JSON, iptables-save, the files' digests),
// from scratch (nothing of podnet) or converged (bridge, address, a route to every peer, rules, files).
import { loadCluster } from '../src/config/load-cluster.js';
import type { Cluster } from '../src/model/types.js';
import { SECTION_PREFIX } from '../src/scripts/sections.js';
import { desiredState } from '../src/state/desired.js';
import { managedFilePaths } from '../src/state/node-files.js';
import { allocateSubnets } from '../src/state/subnets.js';

// ── the cluster
/** Node i (0-based) on the node network 172.16.0.0/16. */
function nodeAddress(i: number): string {
  const n = i + 10;
  return `172.16.${Math.floor(n / 250)}.${(n % 250) + 2}`;
}

export function clusterYaml(nodes: number): string {
  const lines = ['podCidr: 10.0.0.0/8', 'subnetPrefix: 24', 'routing: host-gw', 'bridge:', '  name: v-net-0', 'ssh:', '  user: root', 'nodes:'];
  for (let i = 0; i < nodes; i++) lines.push(`  - name: node${i + 1}`, `    address: ${nodeAddress(i)}`);
  return `${lines.join('\n')}\n`;
}

export function load(text: string, file = '/bench/cluster.yaml'): Cluster {
  const result = loadCluster(text, file, {
    readFile: () => {
      throw new Error('no files in the bench');
    },
    homeDir: '/root',
  });
  if (!result.ok) throw new Error(`cluster.yaml does not load: ${JSON.stringify(result.diagnostics.slice(0, 3))}`);
  return result.cluster;
}

// ── the gather output of one node, as the gather command prints it
const LO_LINK = { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], mtu: 65536, qdisc: 'noqueue', operstate: 'UNKNOWN', linkmode: 'DEFAULT', group: 'default', txqlen: 1000, link_type: 'loopback', address: '00:00:00:00:00:00', broadcast: '00:00:00:00:00:00' };
const ETH0_LINK = { ifindex: 2, link_index: 2, ifname: 'eth0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, qdisc: 'noqueue', operstate: 'UP', linkmode: 'DEFAULT', group: 'default', txqlen: 1000, link_type: 'ether', address: 'be:c3:60:e2:fd:de', broadcast: 'ff:ff:ff:ff:ff:ff', link_netnsid: 0, linkinfo: { info_kind: 'veth' } };
const BRIDGE_LINK = { ifindex: 3, ifname: 'v-net-0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, qdisc: 'noqueue', operstate: 'UP', linkmode: 'DEFAULT', group: 'default', txqlen: 1000, link_type: 'ether', address: 'a2:28:83:a7:f7:3a', broadcast: 'ff:ff:ff:ff:ff:ff', linkinfo: { info_kind: 'bridge', info_data: { stp_state: 0, vlan_filtering: 0 } }, ifalias: 'podnet' };

function addrInfo(local: string, prefixlen: number, label: string): object {
  return { family: 'inet', local, prefixlen, scope: 'global', label, valid_life_time: 4294967295, preferred_life_time: 4294967295 };
}

const IPTABLES_EMPTY = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', 'COMMIT', '*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', 'COMMIT'];
const IPTABLES_CONVERGED = [
  '*filter',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  ':PODNET-FORWARD - [0:0]',
  '-A FORWARD -m comment --comment podnet -j PODNET-FORWARD',
  '-A PODNET-FORWARD -s 10.0.0.0/8 -m comment --comment podnet -j ACCEPT',
  '-A PODNET-FORWARD -d 10.0.0.0/8 -m comment --comment podnet -j ACCEPT',
  'COMMIT',
  '*nat',
  ':PREROUTING ACCEPT [0:0]',
  ':INPUT ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  ':POSTROUTING ACCEPT [0:0]',
  'COMMIT',
];

export interface Synth {
  cluster: Cluster;
  subnets: Map<string, string>;
  filePaths: string[];
  /** The managed files as desired (the same on every node but the plugin, whose digest is per subnet). */
  files: (node: string) => { path: string; sha256: string; mode: string }[];
}

export function gatherText(s: Synth, i: number, converged: boolean): string {
  const node = s.cluster.nodes[i]!;
  const subnet = s.subnets.get(node.name)!;
  const gateway = subnet.replace(/0\/24$/, '1');
  // What `ip -j -d addr show` prints: every link with its details and its addresses.
  const links = [
    { ...LO_LINK, addr_info: [addrInfo('127.0.0.1', 8, 'lo')] },
    { ...ETH0_LINK, addr_info: [addrInfo(node.address, 16, 'eth0')] },
    ...(converged ? [{ ...BRIDGE_LINK, addr_info: [addrInfo(gateway, 24, 'v-net-0')] }] : []),
  ];
  const routes: object[] = [{ dst: 'default', gateway: '172.16.0.1', dev: 'eth0', protocol: 'static', flags: [] }];
  if (converged) {
    routes.push({ dst: subnet, dev: 'v-net-0', protocol: 'kernel', scope: 'link', prefsrc: gateway, flags: [] });
    for (const peer of s.cluster.nodes) {
      if (peer.name !== node.name) routes.push({ dst: s.subnets.get(peer.name), gateway: peer.address, dev: 'eth0', protocol: '201', flags: [] });
    }
  }
  routes.push({ dst: '172.16.0.0/16', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: node.address, flags: [] });
  const files = converged ? s.files(node.name) : [];
  const sections: [string, string][] = [
    ['ip', [links, routes].map((doc) => JSON.stringify(doc)).join('\n')],
    ['ip_forward', converged ? '1' : '0'],
    ['ssh_connection', `172.16.255.254 50000 ${node.address} 22`],
    ['iptables', (converged ? IPTABLES_CONVERGED : IPTABLES_EMPTY).join('\n')],
    ['rp_filter', 'all 0\ndefault 0\neth0 0'],
    ['network_managers', ''],
    ['files', files.map((f) => f.path).join('\n')],
    ['files_sha256', files.map((f) => `${f.sha256}  ${f.path}`).join('\n')],
    ['files_stat', files.map((f, i) => `${f.mode} ${1000 + i} 100 1796300000.000000001 ${f.path}`).join('\n')],
    ['files_podnet', files.map((f) => f.path).join('\n')],
  ];
  return sections.map(([name, body]) => `${SECTION_PREFIX} ${name}\n${body}\n`).join('') + `${SECTION_PREFIX} end\n`;
}

export function synth(cluster: Cluster): Synth {
  const { subnets } = allocateSubnets(cluster);
  const filePaths = managedFilePaths(cluster);
  const paths = new Set(filePaths);
  return {
    cluster,
    subnets,
    filePaths,
    files: (node) =>
      desiredState(cluster, subnets, node)
        .files.filter((f) => paths.has(f.path))
        .map((f) => ({ path: f.path, sha256: f.sha256, mode: f.mode })),
  };
}

