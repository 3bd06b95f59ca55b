// npm run bench:plan (no root, no SSH): the pure core at 100, 1,000 and 5,000 nodes. For each size it
// writes a cluster.yaml, synthesizes every node's gather output (as a node prints it: `ip -j` JSON,
// iptables-save, the files' digests) from scratch and converged, and times, as medians of RUNS runs
// with their spread (min–max):
//   - validating and loading the cluster.yaml (loadCluster);
//   - parsing the gather output of every node (parseGatherOutput, the parser podnet runs);
//   - planning every node from scratch (buildClusterState: subnets, desired states, plans);
//   - planning every node converged;
//   - planning one node (diff --limit): the others gathered from scratch, the one converged;
//   - rendering the plan from scratch as text and as JSON (in pieces, as podnet writes it).
// Plans of more than BATCH nodes are made BATCH target nodes at a time (buildClusterState's
// `targets`, as `--limit` does), each batch's plan dropped before the next: a 5,000-node plan from
// scratch holds 25 million route changes, more than a process can hold at once. Converged states
// at 5,000 nodes (25 million observed routes) are not built for the same reason.
//
// --smoke: 100 nodes, one run (the unit test runs it). --sizes 100,1000: other sizes. --runs N.
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Cluster, ObservedState } from '../src/model/types.js';
import { buildClusterState } from '../src/plan/node-state.js';
import { planJsonPieces, renderPlanText } from '../src/render/render-plan.js';
import { chunked } from '../src/render/json-pieces.js';
import { parseGatherOutput } from '../src/scripts/gather-script.js';
import { forgetSharedRoutes } from '../src/state/ip-json.js';
import { clusterYaml, gatherText, load, synth, type Synth } from './synth.js';

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

/** Parses every node's gather output as a podnet run does, starting with nothing shared between nodes (see forgetSharedRoutes). */
function parseAll(s: Synth, texts: readonly string[]): Map<string, ObservedState> {
  forgetSharedRoutes();
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
  /** The median CPU time (user + system, every thread of the process: GC helpers too). */
  cpu: number;
}

/** Wall time (and CPU time: on a loaded machine wall time waits for the CPU, CPU time less so). */
function time(runs: number, fn: () => void): Timing {
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    fn();
    ms.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  ms.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)]!, min: ms[0]!, max: ms[ms.length - 1]!, cpu: cpu[Math.floor(cpu.length / 2)]! };
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
  return `${f(t.median)} ms (${f(t.min)}–${f(t.max)}; cpu ${f(t.cpu)})`;
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
  renderJsonError?: string;
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
  const row: Row = { nodes, load: loadT, parseScratch, scratch: scratchT, scratchRoutes, oneNode: { median: 0, min: 0, max: 0, cpu: 0 }, oneNodeRoutes: 0, oneConverged: { median: 0, min: 0, max: 0, cpu: 0 } };

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
    // A plan of a million routes is more JSON than one JavaScript string holds (V8: 2^29 - 24
    // characters): it is rendered in pieces, as podnet writes it (chunks of 64 KiB, dropped here).
    row.renderJson = time(RUNS, () => {
      let characters = 0;
      for (const chunk of chunked(planJsonPieces(plan))) characters += chunk.length;
      if (characters === 0) throw new Error('no JSON');
    });
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
  `Pure core, no SSH (\`npm run bench:plan\`): wall time, median of ${RUNS} runs (min–max; the median CPU time of the process); one node: median of ${Math.max(RUNS, 5)}. Node ${process.version}, load average ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} CPUs at the end.`,
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
      r.renderText ? `${ms(r.renderText)} / ${r.renderJson ? ms(r.renderJson) : (r.renderJsonError ?? na)}` : na,
    ]
      .join(' | ')
      .replace(/^/, '| ')
      .replace(/$/, ' |'),
  ),
];
console.log(table.join('\n'));
