// `podnet graph`: the cluster as a picture. Pure: the graph is a value built from the cluster (and,
// with --live, the plan of a fresh gather; with --verify, a verify report), then written as Mermaid
// or Graphviz DOT. Byte-stable: the same input gives the same bytes (no time, no randomness).
import type { Plan } from '../model/plan.js';
import type { Cluster, NodeSpec } from '../model/types.js';
import type { CheckId, VerifyReport } from '../model/verify.js';

/**
 * What is known of a route (an edge): from --live, `ok` (in place), `drift` (changed outside podnet
 * since its last apply), `missing` (podnet would create it), `changed` (podnet would change it:
 * cluster.yaml asks for something new); from --verify, `pass`, `fail`, `not-run` (the cells that
 * crossed it). Absent: only cluster.yaml was read.
 */
export type EdgeState = 'ok' | 'drift' | 'missing' | 'changed' | 'pass' | 'fail' | 'not-run';

/** What is known of a node: `unreachable` when --live could not gather it. */
export type NodeStatus = 'unreachable';

export interface GraphNode {
  name: string;
  role: 'node' | 'router';
  address: string;
  /** The node's pod subnet (absent: not allocated yet, cluster.yaml gives none). */
  subnet?: string;
  status?: NodeStatus;
}

export interface GraphEdge {
  from: string;
  to: string;
  /** The route's destination: the peer's subnet (host-gw, router → node) or the pod CIDR (node → router). */
  dst: string;
  /** Its gateway: the address of `to`. */
  via: string;
  state?: EdgeState;
}

export interface ClusterGraph {
  /** The cluster file, as given on the command line. */
  source: string;
  podCidr: string;
  routing: Cluster['routing'];
  bridge: string;
  nodes: GraphNode[];
  router?: GraphNode;
  edges: GraphEdge[];
}

/**
 * The cluster's nodes, subnets and routes as cluster.yaml asks for them. `subnets`: node → subnet
 * (explicit, or as allocated). host-gw: every node → every peer with a subnet. gateway: every node →
 * the router (the pod CIDR), the router → every node with a subnet.
 */
export function buildGraph(cluster: Cluster, subnets: ReadonlyMap<string, string>, source: string = cluster.sourcePath): ClusterGraph {
  const nodes: GraphNode[] = cluster.nodes.map((n) => {
    const subnet = subnets.get(n.name) ?? n.subnet;
    return { name: n.name, role: 'node', address: n.address, ...(subnet !== undefined ? { subnet } : {}) };
  });
  const edges: GraphEdge[] = [];
  const router = cluster.routing === 'gateway' ? cluster.router : undefined;
  if (router !== undefined) {
    for (const n of nodes) edges.push({ from: n.name, to: router.name, dst: cluster.podCidr, via: router.address });
    for (const n of nodes) if (n.subnet !== undefined) edges.push({ from: router.name, to: n.name, dst: n.subnet, via: n.address });
  } else {
    for (const from of nodes) {
      for (const to of nodes) if (to !== from && to.subnet !== undefined) edges.push({ from: from.name, to: to.name, dst: to.subnet, via: to.address });
    }
  }
  return {
    source,
    podCidr: cluster.podCidr,
    routing: cluster.routing,
    bridge: cluster.bridge.name,
    nodes,
    ...(router !== undefined ? { router: routerNode(router) } : {}),
    edges,
  };
}

function routerNode(router: Omit<NodeSpec, 'subnet'>): GraphNode {
  return { name: router.name, role: 'router', address: router.address };
}

/**
 * --live: each route as the fresh plan finds it: a route change of the node's plan whose key is the
 * edge's destination makes the edge drift (origin drift), missing (a create) or changed (an update);
 * otherwise it is in place (`ok`). Hosts not in the plan (not reached) are `unreachable`, and so is
 * what is known of their routes (no state).
 */
export function withLive(graph: ClusterGraph, plan: Plan, unreached: ReadonlySet<string>): ClusterGraph {
  const planned = new Map(plan.nodes.map((n) => [n.node, n]));
  const mark = (n: GraphNode): GraphNode => {
    const subnet = planned.get(n.name)?.subnet;
    const withSubnet = n.role === 'node' && subnet !== undefined && subnet !== '' ? { ...n, subnet } : n;
    return unreached.has(n.name) ? { ...withSubnet, status: 'unreachable' } : withSubnet;
  };
  const edges = graph.edges.map((edge): GraphEdge => {
    const nodePlan = planned.get(edge.from);
    if (nodePlan === undefined) return edge;
    const change = nodePlan.changes.find((c) => c.kind === 'route' && c.key === edge.dst && c.action !== 'delete');
    const state: EdgeState = change === undefined ? 'ok' : change.origin === 'drift' ? 'drift' : change.action === 'create' ? 'missing' : 'changed';
    return { ...edge, state };
  });
  return { ...graph, nodes: graph.nodes.map(mark), ...(graph.router !== undefined ? { router: mark(graph.router) } : {}), edges };
}

/**
 * --live: the subnets the plan works with (a node without `subnet:` keeps the one its bridge has),
 * else those of `allocated` (cluster.yaml alone). The edges are built from these.
 */
export function liveSubnets(allocated: ReadonlyMap<string, string>, plan: Plan): Map<string, string> {
  const subnets = new Map(allocated);
  for (const n of plan.nodes) if ((n.role ?? 'node') === 'node' && n.subnet !== '') subnets.set(n.node, n.subnet);
  return subnets;
}

/** The checks whose cells go from one node to another through the routes. */
const CROSS_CHECKS: readonly CheckId[] = ['pod-to-pod-cross-node', 'source-address', 'mtu'];

/**
 * --verify: each edge by the cells of the report that crossed it (host-gw: from → to; gateway: a
 * cell from A to B crosses A → router and router → B): fail when one failed, pass when every cell
 * that ran passed, not-run when none ran. Edges no cell crossed keep their state, and so do edges
 * --live found drifted, missing or changed (what is wrong with the route comes first).
 */
export function withVerify(graph: ClusterGraph, report: Pick<VerifyReport, 'checks'>): ClusterGraph {
  const seen = new Map<string, { pass: number; fail: number; notRun: number }>();
  const count = (from: string, to: string, status: 'pass' | 'fail' | 'not-run'): void => {
    const key = `${from}\n${to}`;
    const c = seen.get(key) ?? { pass: 0, fail: 0, notRun: 0 };
    if (status === 'pass') c.pass++;
    else if (status === 'fail') c.fail++;
    else c.notRun++;
    seen.set(key, c);
  };
  const router = graph.router?.name;
  for (const check of report.checks) {
    if (!CROSS_CHECKS.includes(check.id)) continue;
    for (const cell of check.cells) {
      if (cell.from === cell.to) continue;
      if (router !== undefined) {
        count(cell.from, router, cell.status);
        count(router, cell.to, cell.status);
      } else count(cell.from, cell.to, cell.status);
    }
  }
  const edges = graph.edges.map((edge): GraphEdge => {
    const c = seen.get(`${edge.from}\n${edge.to}`);
    // With --live too: a route drifted, missing or changed keeps that colour; verify colours the rest.
    if (c === undefined || (edge.state !== undefined && edge.state !== 'ok')) return edge;
    const state: EdgeState = c.fail > 0 ? 'fail' : c.pass > 0 ? 'pass' : 'not-run';
    return { ...edge, state };
  });
  return { ...graph, edges };
}

// ───────────────────────────── colours and words ─────────────────────────────

const EDGE_STYLE: Record<EdgeState, { color: string; dashed: boolean; legend: string }> = {
  ok: { color: '#2ca02c', dashed: false, legend: 'route in place' },
  drift: { color: '#ff7f0e', dashed: false, legend: 'drift: changed outside podnet' },
  missing: { color: '#d62728', dashed: true, legend: 'missing: podnet would create it' },
  changed: { color: '#1f77b4', dashed: true, legend: 'changed: cluster.yaml asks for something new' },
  pass: { color: '#2ca02c', dashed: false, legend: 'verify passed' },
  fail: { color: '#d62728', dashed: false, legend: 'verify failed' },
  'not-run': { color: '#7f7f7f', dashed: true, legend: 'verify did not run' },
};
const EDGE_STATES = Object.keys(EDGE_STYLE) as EdgeState[];
const UNREACHABLE_COLOR = '#7f7f7f';

function nodeLines(node: GraphNode, graph: ClusterGraph): string[] {
  const lines = [node.name, node.address];
  if (node.role === 'router') lines.push(`router for ${graph.podCidr}`);
  else lines.push(`bridge ${graph.bridge}`, node.subnet !== undefined ? `pods ${node.subnet}` : 'pods: subnet allocated at apply');
  if (node.status === 'unreachable') lines.push('NOT REACHED');
  return lines;
}

function edgeLabel(edge: GraphEdge): string[] {
  return [edge.dst, `via ${edge.via}`];
}

function title(graph: ClusterGraph): string {
  return `pod CIDR ${graph.podCidr} · routing ${graph.routing}`;
}

/** The states the edges use, in a fixed order (for the legend). */
function usedStates(graph: ClusterGraph): EdgeState[] {
  const used = new Set(graph.edges.flatMap((e) => (e.state !== undefined ? [e.state] : [])));
  return EDGE_STATES.filter((s) => used.has(s));
}

// ───────────────────────────── Mermaid ─────────────────────────────

/** Text inside a Mermaid `"…"` label: quotes and the characters Mermaid reads as markup as entities. */
function mermaidText(text: string): string {
  return text.replaceAll('&', '#amp;').replaceAll('"', '#quot;').replaceAll('<', '#lt;').replaceAll('>', '#gt;');
}

/** The graph as a Mermaid flowchart (GitHub and GitLab render it in a ```mermaid block). */
export function renderMermaid(graph: ClusterGraph): string {
  const all = [...graph.nodes, ...(graph.router !== undefined ? [graph.router] : [])];
  const id = new Map(all.map((n, i) => [n.name, `n${i}`]));
  const box = (n: GraphNode): string => `${id.get(n.name) ?? ''}["${nodeLines(n, graph).map(mermaidText).join('<br/>')}"]`;
  const lines = [`%% podnet graph ${mermaidText(graph.source)}`, 'flowchart LR'];
  lines.push(`  subgraph pods["${mermaidText(title(graph))}"]`);
  for (const n of graph.nodes) lines.push(`    ${box(n)}`);
  lines.push('  end');
  if (graph.router !== undefined) lines.push(`  ${box(graph.router)}`);
  graph.edges.forEach((e) => {
    lines.push(`  ${id.get(e.from) ?? ''} -->|"${edgeLabel(e).map(mermaidText).join('<br/>')}"| ${id.get(e.to) ?? ''}`);
  });
  graph.edges.forEach((e, i) => {
    if (e.state === undefined) return;
    const style = EDGE_STYLE[e.state];
    lines.push(`  linkStyle ${i} stroke:${style.color},stroke-width:2px${style.dashed ? ',stroke-dasharray:5 5' : ''}`);
  });
  const unreachable = all.filter((n) => n.status === 'unreachable');
  if (unreachable.length > 0) {
    lines.push(`  classDef unreachable stroke:${UNREACHABLE_COLOR},stroke-dasharray:5 5,color:${UNREACHABLE_COLOR}`);
    lines.push(`  class ${unreachable.map((n) => id.get(n.name) ?? '').join(',')} unreachable`);
  }
  const states = usedStates(graph);
  if (states.length > 0) {
    lines.push(`  subgraph legend["legend"]`);
    states.forEach((s, i) => lines.push(`    legend${i}["${mermaidText(EDGE_STYLE[s].legend)}"]`));
    lines.push('  end');
    states.forEach((s, i) => lines.push(`  style legend${i} stroke:${EDGE_STYLE[s].color},stroke-width:2px${EDGE_STYLE[s].dashed ? ',stroke-dasharray:5 5' : ''}`));
  }
  return `${lines.join('\n')}\n`;
}

// ───────────────────────────── DOT ─────────────────────────────

/** A DOT double-quoted string: backslash and quote escaped, lines joined with `\n`. */
function dotString(lines: readonly string[]): string {
  return `"${lines.map((l) => l.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', ' ')).join('\\n')}"`;
}

/** Text inside a DOT HTML-like label. */
function htmlText(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

/** The graph in Graphviz DOT (`dot -Tsvg` draws it). */
export function renderDot(graph: ClusterGraph): string {
  const lines = [
    `// podnet graph ${graph.source.replaceAll('\n', ' ')}`,
    'digraph podnet {',
    '  graph [rankdir=LR, fontname="Helvetica", fontsize=11, nodesep=0.6, ranksep=1.2];',
    '  node [shape=box, style="rounded,filled", fillcolor="#f7f7f7", fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
    '  subgraph cluster_pods {',
    `    label=${dotString([title(graph)])};`,
    '    style="rounded,dashed";',
    '    color="#999999";',
  ];
  const nodeLine = (n: GraphNode): string => {
    const unreachable = n.status === 'unreachable' ? `, style="rounded,dashed", color="${UNREACHABLE_COLOR}", fontcolor="${UNREACHABLE_COLOR}"` : '';
    const router = n.role === 'router' ? ', shape=box3d' : '';
    return `${dotString([n.name])} [label=${dotString(nodeLines(n, graph))}${router}${unreachable}];`;
  };
  for (const n of graph.nodes) lines.push(`    ${nodeLine(n)}`);
  lines.push('  }');
  if (graph.router !== undefined) lines.push(`  ${nodeLine(graph.router)}`);
  for (const e of graph.edges) {
    const style = e.state !== undefined ? EDGE_STYLE[e.state] : undefined;
    const attrs = [`label=${dotString(edgeLabel(e))}`];
    if (style !== undefined) attrs.push(`color="${style.color}"`, `fontcolor="${style.color}"`, 'penwidth=2', ...(style.dashed ? ['style=dashed'] : []));
    lines.push(`  ${dotString([e.from])} -> ${dotString([e.to])} [${attrs.join(', ')}];`);
  }
  const states = usedStates(graph);
  if (states.length > 0) {
    // One node, one line per colour (an HTML-like label): the legend stays compact.
    const rows = states.map((s) => `<font color="${EDGE_STYLE[s].color}">${EDGE_STYLE[s].dashed ? '- - -' : '———'} ${htmlText(EDGE_STYLE[s].legend)}</font>`);
    lines.push('  subgraph cluster_legend {', '    label="legend";', '    style="rounded";', '    color="#999999";');
    lines.push(`    legend [shape=plaintext, style="", label=<${rows.join('<br align="left"/>')}<br align="left"/>>];`);
    lines.push('  }');
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
