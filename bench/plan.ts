// npm run bench:plan (no root, no SSH): the pure core at 100, 1,000 and 5,000 nodes. For each size it
// writes a cluster.yaml, synthesizes every node's gather output (as a node prints it: `ip -j` JSON,
// iptables-save, the files' digests) from scratch and converged, and times, as medians of RUNS runs
// with their spread (min–max):
//   - validating and loading the cluster.yaml (loadCluster);
//   - parsing the gather output of every node (parseGatherOutput, the parser podnet runs);
//   - planning every node from scratch (buildClusterState: subnets, desired states, plans);
//   - planning every node converged;
//   - planning one node (diff --limit): the others gathered from scratch, the one converged;
//   - rendering the plan from scratch as text and as JSON.
// Plans of more than BATCH nodes are made BATCH target nodes at a time (buildClusterState's
// `targets`, as `--limit` does), each batch's plan dropped before the next: a 5,000-node plan from
// scratch holds 25 million route changes, more than a process can hold at once. Converged states
// at 5,000 nodes (25 million observed routes) are not built for the same reason.
//
// --smoke: 100 nodes, one run (the unit test runs it). --sizes 100,1000: other sizes. --runs N.
import { performance } from 'node:perf_hooks';
import { loadCluster } from '../src/config/load-cluster.js';
import type { Cluster, ObservedState } from '../src/model/types.js';
import { buildClusterState } from '../src/plan/node-state.js';
import { renderPlanJson, renderPlanText } from '../src/render/render-plan.js';
import { parseGatherOutput } from '../src/scripts/gather-script.js';
import { SECTION_PREFIX } from '../src/scripts/sections.js';
import { desiredState } from '../src/state/desired.js';
import { managedFilePaths } from '../src/state/node-files.js';
import { allocateSubnets } from '../src/state/subnets.js';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const SIZES = smoke ? [100] : (option('--sizes')?.split(',').map(Number) ?? [100, 1000, 5000]);
const RUNS = smoke ? 1 : Number(option('--runs') ?? 5);
/** The most target nodes planned at once (see the top of this file). */
const BATCH = 1000;
/** Converged states are built up to this size (N² observed routes). */
const CONVERGED_MAX = 1000;

// ── the cluster
/** Node i (0-based) on the node network 172.16.0.0/16. */
function nodeAddress(i: number): string {
  const n = i + 10;
  return `172.16.${Math.floor(n / 250)}.${(n % 250) + 2}`;
}

function clusterYaml(nodes: number): string {
  const lines = ['podCidr: 10.0.0.0/8', 'subnetPrefix: 24', 'routing: host-gw', 'bridge:', '  name: v-net-0', 'ssh:', '  user: root', 'nodes:'];
  for (let i = 0; i < nodes; i++) lines.push(`  - name: node${i + 1}`, `    address: ${nodeAddress(i)}`);
  return `${lines.join('\n')}\n`;
}

function load(text: string): Cluster {
  const result = loadCluster(text, '/bench/cluster.yaml', {
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

interface Synth {
  cluster: Cluster;
  subnets: Map<string, string>;
  filePaths: string[];
  /** The managed files as desired (the same on every node but the plugin, whose digest is per subnet). */
  files: (node: string) => { path: string; sha256: string; mode: string }[];
}

function gatherText(s: Synth, i: number, converged: boolean): string {
  const node = s.cluster.nodes[i]!;
  const subnet = s.subnets.get(node.name)!;
  const gateway = subnet.replace(/0\/24$/, '1');
  const links = converged ? [LO_LINK, ETH0_LINK, BRIDGE_LINK] : [LO_LINK, ETH0_LINK];
  const addrs = [
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
    ['ip', [links, addrs, routes].map((doc) => JSON.stringify(doc)).join('\n')],
    ['ip_forward', converged ? '1' : '0'],
    ['ssh_connection', `172.16.255.254 50000 ${node.address} 22`],
    ['iptables', (converged ? IPTABLES_CONVERGED : IPTABLES_EMPTY).join('\n')],
    ['rp_filter', 'all 0\ndefault 0\neth0 0'],
    ['network_managers', ''],
    ['files', files.map((f) => f.path).join('\n')],
    ['files_sha256', files.map((f) => `${f.sha256}  ${f.path}`).join('\n')],
    ['files_mode', files.map((f) => `${f.mode} ${f.path}`).join('\n')],
    ['files_podnet', files.map((f) => f.path).join('\n')],
  ];
  return sections.map(([name, body]) => `${SECTION_PREFIX} ${name}\n${body}\n`).join('') + `${SECTION_PREFIX} end\n`;
}

function synth(cluster: Cluster): Synth {
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

function parseAll(s: Synth, texts: readonly string[]): Map<string, ObservedState> {
  const observed = new Map<string, ObservedState>();
  texts.forEach((text, i) => {
    const node = s.cluster.nodes[i]!;
    observed.set(node.name, parseGatherOutput(text, node.name, node.address, s.filePaths));
  });
  return observed;
}

// ── timing
interface Timing {
  median: number;
  min: number;
  max: number;
}

function time(runs: number, fn: () => void): Timing {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    ms.push(performance.now() - start);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)]!, min: ms[0]!, max: ms[ms.length - 1]! };
}

/** Plans every node, BATCH target nodes at a time; the route changes planned (plans dropped). */
function planAll(cluster: Cluster, observed: ReadonlyMap<string, ObservedState>): number {
  let routes = 0;
  for (let from = 0; from < cluster.nodes.length; from += BATCH) {
    const batch = cluster.nodes.slice(from, from + BATCH).map((n) => n.name);
    const options = cluster.nodes.length > BATCH ? { targets: new Set(batch) } : {};
    const { plan } = buildClusterState(cluster, observed, 'present', options);
    for (const node of plan.nodes) for (const change of node.changes) if (change.kind === 'route') routes++;
  }
  return routes;
}

const ms = (t: Timing): string => {
  const f = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  return `${f(t.median)} ms (${f(t.min)}–${f(t.max)})`;
};
const usPer = (t: Timing, count: number): string => (count > 0 ? `${((t.median * 1000) / count).toFixed(2)} µs` : '—');

interface Row {
  nodes: number;
  load: Timing;
  parseScratch: Timing;
  parseConverged?: Timing;
  scratch: Timing;
  scratchRoutes: number;
  converged?: Timing;
  convergedRoutes?: number;
  oneNode: Timing;
  oneNodeRoutes: number;
  oneConverged: Timing;
  renderText?: Timing;
  renderJson?: Timing;
}

function benchSize(nodes: number): Row {
  const text = clusterYaml(nodes);
  let cluster = load(text);
  const loadT = time(RUNS, () => {
    cluster = load(text);
  });
  const s = synth(cluster);
  const scratchTexts = cluster.nodes.map((_, i) => gatherText(s, i, false));
  let scratch = parseAll(s, scratchTexts);
  const parseScratch = time(RUNS, () => {
    scratch = parseAll(s, scratchTexts);
  });
  let scratchRoutes = 0;
  const scratchT = time(RUNS, () => {
    scratchRoutes = planAll(cluster, scratch);
  });
  if (scratchRoutes !== nodes * (nodes - 1)) throw new Error(`${nodes} nodes from scratch: ${scratchRoutes} routes planned, expected ${nodes * (nodes - 1)}`);
  const row: Row = { nodes, load: loadT, parseScratch, scratch: scratchT, scratchRoutes, oneNode: { median: 0, min: 0, max: 0 }, oneNodeRoutes: 0, oneConverged: { median: 0, min: 0, max: 0 } };

  // One node (diff --limit node1): every host gathered, node1 planned.
  const target = new Set([cluster.nodes[0]!.name]);
  const oneRuns = Math.max(RUNS, 5);
  row.oneNode = time(oneRuns, () => {
    const { plan } = buildClusterState(cluster, scratch, 'present', { targets: target });
    row.oneNodeRoutes = plan.nodes[0]!.changes.filter((c) => c.kind === 'route').length;
  });
  const mixed = new Map(scratch);
  mixed.set(cluster.nodes[0]!.name, parseAll(s, [gatherText(s, 0, true)]).get(cluster.nodes[0]!.name)!);
  row.oneConverged = time(oneRuns, () => {
    const { plan } = buildClusterState(cluster, mixed, 'present', { targets: target });
    if (plan.nodes[0]!.changes.length !== 0) throw new Error(`node1 converged: ${plan.nodes[0]!.changes.length} changes planned`);
  });

  if (nodes <= BATCH) {
    const { plan } = buildClusterState(cluster, scratch);
    row.renderText = time(RUNS, () => void renderPlanText(plan, { color: false }));
    row.renderJson = time(RUNS, () => void renderPlanJson(plan));
  }
  scratch = new Map();

  if (nodes <= CONVERGED_MAX) {
    const convergedTexts = cluster.nodes.map((_, i) => gatherText(s, i, true));
    let converged = parseAll(s, convergedTexts);
    row.parseConverged = time(RUNS, () => {
      converged = parseAll(s, convergedTexts);
    });
    let left = -1;
    row.converged = time(RUNS, () => {
      const { plan } = buildClusterState(cluster, converged);
      left = plan.nodes.reduce((sum, n) => sum + n.changes.length, 0);
    });
    if (left !== 0) throw new Error(`${nodes} nodes converged: ${left} changes planned`);
    row.convergedRoutes = nodes * (nodes - 1);
  }
  return row;
}

const rows: Row[] = [];
for (const n of SIZES) {
  const row = benchSize(n);
  rows.push(row);
  console.error(`${n} nodes: load ${ms(row.load)}, from scratch ${ms(row.scratch)} (${row.scratchRoutes} routes), converged ${row.converged ? ms(row.converged) : '—'}, one node ${ms(row.oneNode)}`);
}

const na = '—';
const table = [
  `Pure core, no SSH (\`npm run bench:plan\`): median of ${RUNS} runs (min–max); one node: median of ${Math.max(RUNS, 5)}. Node ${process.version}.`,
  '',
  '| nodes | load cluster.yaml | parse every gather output (scratch / converged) | plan all from scratch | routes planned | µs per route | plan all converged | µs per route in place | plan one node (scratch / converged) | render text / JSON |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) =>
    [
      r.nodes.toLocaleString('en'),
      ms(r.load),
      `${ms(r.parseScratch)} / ${r.parseConverged ? ms(r.parseConverged) : na}`,
      ms(r.scratch),
      r.scratchRoutes.toLocaleString('en'),
      usPer(r.scratch, r.scratchRoutes),
      r.converged ? ms(r.converged) : na,
      r.converged && r.convergedRoutes ? usPer(r.converged, r.convergedRoutes) : na,
      `${ms(r.oneNode)} / ${ms(r.oneConverged)}`,
      r.renderText && r.renderJson ? `${ms(r.renderText)} / ${ms(r.renderJson)}` : na,
    ]
      .join(' | ')
      .replace(/^/, '| ')
      .replace(/$/, ' |'),
  ),
];
console.log(table.join('\n'));
