// Writes the Prometheus textfiles of apply and verify (metrics.textfileDir of cluster.yaml) on the
// nodes. The content is rendered on the controller (src/render/metrics.ts); the node writes it
// atomically (a new file beside the target, then a rename: the textfile collector never reads half
// a file) in ONE exec on the connection the run already holds. It is an exec of its own because
// what it reports (converged, the verify results) is known only after the run's last exec.
import pLimit from 'p-limit';
import type { Change, Plan } from '../model/plan.js';
import type { Cluster, NodeSpec } from '../model/types.js';
import type { VerifyReport } from '../model/verify.js';
import { APPLY_TEXTFILE, applyMetrics, renderTextfile, VERIFY_TEXTFILE, verifyMetrics } from '../render/metrics.js';
import type { NodeResult } from '../render/recap.js';
import { newTmpTag, renderInstallFile } from '../scripts/apply-script.js';
import { classifyError } from './outcomes.js';
import type { Transport } from './transport.js';

/** The shell command that writes `content` to DIR/FILE atomically (mode 644; DIR made when missing). */
export function renderTextfileCommand(dir: string, file: string, content: string, tmpTag: string = newTmpTag()): string {
  return `${renderInstallFile({ run: 'install-file', path: `${dir}/${file}`, mode: '644', content }, tmpTag)}\n`;
}

/** A node whose textfile could not be written, and why. */
export interface MetricsProblem {
  node: string;
  file: string;
  message: string;
}

/** Writes each host's content (hosts without one are skipped); the hosts in parallel, bounded by forks. */
export async function writeTextfiles(
  transport: Transport,
  hosts: readonly NodeSpec[],
  dir: string,
  file: string,
  contents: ReadonlyMap<string, string>,
  forks: number,
): Promise<MetricsProblem[]> {
  const limit = pLimit(Math.max(1, forks));
  const problems: MetricsProblem[] = [];
  await Promise.all(
    hosts.map((host) =>
      limit(async () => {
        const content = contents.get(host.name);
        if (content === undefined) return;
        try {
          const connection = await transport.connect(host);
          const result = await connection.exec(renderTextfileCommand(dir, file, content));
          if (result.code !== 0) problems.push({ node: host.name, file: `${dir}/${file}`, message: result.stderr.trim() || `exit ${String(result.code)}` });
        } catch (err) {
          problems.push({ node: host.name, file: `${dir}/${file}`, message: classifyError(err).message });
        }
      }),
    ),
  );
  return problems.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
}

/**
 * After apply: the textfile of every host the apply reached (converged or failed; not the
 * unreachable, the not started, nor hosts that left cluster.yaml).
 */
export function applyTextfiles(plan: Plan, results: readonly NodeResult[], time: Date): Map<string, string> {
  const contents = new Map<string, string>();
  for (const result of results) {
    if (result.status !== 'converged' && result.status !== 'failed') continue;
    const nodePlan = plan.nodes.find((n) => n.node === result.node);
    if (nodePlan === undefined || nodePlan.role === 'removed') continue;
    const applied: Change[] = nodePlan.changes.slice(0, result.changed);
    const drift = nodePlan.changes.filter((c) => c.origin === 'drift').length;
    contents.set(result.node, renderTextfile(applyMetrics({ time, converged: result.status === 'converged', applied, drift })));
  }
  return contents;
}

/** After verify: the textfile of every node verify reached. */
export function verifyTextfiles(report: VerifyReport, passed: boolean, time: Date): Map<string, string> {
  const contents = new Map<string, string>();
  for (const node of report.nodes) {
    if (report.unreachable[node] !== undefined) continue;
    contents.set(node, renderTextfile(verifyMetrics(report, node, time, passed)));
  }
  return contents;
}

/** apply's hook: writes the textfiles when cluster.yaml asks for metrics. */
export async function writeApplyMetrics(cluster: Cluster, hosts: readonly NodeSpec[], plan: Plan, results: readonly NodeResult[], transport: Transport, forks: number): Promise<MetricsProblem[]> {
  if (cluster.metrics === undefined) return [];
  return writeTextfiles(transport, hosts, cluster.metrics.textfileDir, APPLY_TEXTFILE, applyTextfiles(plan, results, new Date()), forks);
}

/** verify's hook: writes the textfiles when cluster.yaml asks for metrics. */
export async function writeVerifyMetrics(cluster: Cluster, nodes: readonly NodeSpec[], report: VerifyReport, passed: boolean, transport: Transport, forks: number): Promise<MetricsProblem[]> {
  if (cluster.metrics === undefined) return [];
  return writeTextfiles(transport, nodes, cluster.metrics.textfileDir, VERIFY_TEXTFILE, verifyTextfiles(report, passed, new Date()), forks);
}
