// `podnet graph FILE` (its options: ./commands/graph.ts): the cluster as a picture. Read cluster.yaml
// (with --live: gather and plan as diff does; with --verify: read a verify report), build the graph
// (pure, src/render/graph.ts), write Mermaid or DOT, or SVG through Graphviz's `dot -Tsvg`.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { UserError } from '../model/errors.js';
import { VERIFY_FORMAT_VERSION, type VerifyReport } from '../model/verify.js';
import type { Cluster } from '../model/types.js';
import { buildClusterState } from '../plan/node-state.js';
import { allocateSubnets } from '../state/subnets.js';
import { buildGraph, liveSubnets, renderDot, renderMermaid, withLive, withVerify, type ClusterGraph } from '../render/graph.js';
import { gatherCluster } from '../run/gather.js';
import { targetHosts } from '../run/targets.js';
import { readCluster } from './read-cluster.js';
import { progressHooks, renderProblems, sshTransport } from './plan-command.js';
import { createProgress } from './progress.js';
import type { GraphCommandOptions } from './commands/graph.js';

/** A `podnet verify -o json` report, checked enough to colour edges with, or a UserError naming the file. */
export function readVerifyReport(path: string): Pick<VerifyReport, 'checks'> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read the verify report ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${path}: not JSON: ${(err as Error).message}`);
  }
  const report = data as Partial<VerifyReport> | null;
  if (report === null || typeof report !== 'object' || report.formatVersion !== VERIFY_FORMAT_VERSION || !Array.isArray(report.checks)) {
    throw new UserError(`${path}: not a podnet verify report (podnet verify -o json, formatVersion ${VERIFY_FORMAT_VERSION})`);
  }
  for (const check of report.checks) {
    if (typeof check?.id !== 'string' || !Array.isArray(check.cells) || !check.cells.every((c) => typeof c?.from === 'string' && typeof c.to === 'string' && ['pass', 'fail', 'not-run'].includes(c.status))) {
      throw new UserError(`${path}: not a podnet verify report: a check without cells of from, to and status`);
    }
  }
  return { checks: report.checks };
}

/** --live: gather every host, plan, and colour the routes; hosts not reached are drawn as such. */
async function liveGraph(cluster: Cluster, file: string, options: GraphCommandOptions): Promise<{ graph: ClusterGraph; problems: string }> {
  const hosts = targetHosts(cluster, undefined);
  const transport = sshTransport({ acceptNewHosts: options.acceptNewHosts, ...(options.execTimeout !== undefined ? { execTimeout: options.execTimeout } : {}) });
  const progress = createProgress(process.stderr, hosts.map((h) => h.name), Boolean(process.stderr.isTTY));
  try {
    const gathered = await gatherCluster(cluster, hosts, transport, { forks: options.forks, hooks: progressHooks(options, progress), gather: { cni: cluster.cni } });
    progress.done();
    const { plan } = buildClusterState(cluster, gathered.observed, 'present');
    const subnets = liveSubnets(allocateSubnets(cluster).subnets, plan);
    const graph = withLive(buildGraph(cluster, subnets, file), plan, new Set(gathered.problems.keys()));
    return { graph, problems: renderProblems(gathered) };
  } finally {
    progress.done();
    await transport.close();
  }
}

/** DOT → SVG through Graphviz (`dot -Tsvg`), or a UserError saying what is missing. */
export function dotToSvg(dot: string, program = 'dot'): string {
  const r = spawnSync(program, ['-Tsvg'], { input: dot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error !== undefined) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`--format svg needs Graphviz's ${program} on PATH (apt-get install graphviz); --format dot writes what it would draw`);
    throw new UserError(`${program} -Tsvg could not run: ${r.error.message}`);
  }
  if (r.status !== 0) throw new UserError(`${program} -Tsvg failed (exit ${String(r.status)}): ${r.stderr.trim()}`);
  return r.stdout;
}

export async function graphCommand(file: string, options: GraphCommandOptions): Promise<number> {
  const cluster = readCluster(file);
  // The report is read first: a bad file fails before any node is asked anything.
  const report = options.verify !== undefined ? readVerifyReport(options.verify) : undefined;
  let graph: ClusterGraph;
  let problems = '';
  if (options.live) ({ graph, problems } = await liveGraph(cluster, file, options));
  else graph = buildGraph(cluster, allocateSubnets(cluster).subnets, file);
  if (report !== undefined) graph = withVerify(graph, report);
  const text = options.format === 'mermaid' ? renderMermaid(graph) : options.format === 'dot' ? renderDot(graph) : dotToSvg(renderDot(graph));
  process.stdout.write(text);
  process.stderr.write(problems);
  return problems === '' ? 0 : 1;
}
