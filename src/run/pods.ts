// `podnet pod add|del|list`: one exec per operation per node (through the Transport), running the
// deployed CNI plugin the way a container runtime does. The scripts and their parsing live in
// scripts/pod-script.ts.
import pLimit from 'p-limit';
import type { Cluster, NodeSpec } from '../model/types.js';
import { UserError } from '../model/errors.js';
import {
  parsePodAddOutput,
  parsePodDelOutput,
  parsePodListOutput,
  renderPodAddScript,
  renderPodDelScript,
  renderPodListScript,
  validatePodName,
  type PodAddress,
  type PodEntry,
} from '../scripts/pod-script.js';
import { pluginStdinConfig } from '../state/node-files.js';
import { classifyError } from './outcomes.js';
import type { ExecResult, Transport } from './transport.js';

export interface PodOptions {
  /** Every script sent to a node (for -v). */
  onCommand?: (node: string, command: string) => void;
  /** How many nodes `list` works on at once (default 10). */
  forks?: number;
}

export interface PodAdded {
  node: string;
  pod: string;
  /** The plugin's CNI result, as it printed it. */
  result: unknown;
  addresses: PodAddress[];
}

export interface PodDeleted {
  node: string;
  pod: string;
  /** False when the namespace was already gone (DEL still ran, releasing any address). */
  existed: boolean;
}

export type NodePods = { node: string; pods: PodEntry[] } | { node: string; error: string };

/** The node of that name, or a UserError listing the known ones. */
export function findNode(cluster: Cluster, name: string): NodeSpec {
  const node = cluster.nodes.find((n) => n.name === name);
  if (!node) throw new UserError(`unknown node ${name} (known: ${cluster.nodes.map((n) => n.name).join(', ')})`);
  return node;
}

function checkedPodName(pod: string): string {
  try {
    validatePodName(pod);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  return pod;
}

/**
 * The config on the plugin's stdin: the desired conflist's network config, the very value `podnet
 * apply` deploys (rendered here, so no JSON tool is needed on the node).
 */
export function podNetConfig(cluster: Cluster): string {
  return pluginStdinConfig(cluster);
}

/** One exec on one node; a node that cannot be reached is the user's to fix (UserError), a bug is not. */
async function runOnNode(transport: Transport, node: NodeSpec, script: string, options: PodOptions): Promise<ExecResult> {
  try {
    const connection = await transport.connect(node);
    options.onCommand?.(node.name, script);
    return await connection.exec(script);
  } catch (err) {
    const problem = classifyError(err);
    if (problem.status === 'error') throw err;
    throw new UserError(problem.message);
  }
}

/** Creates pod `pod` on node `nodeName`: namespace + the plugin's ADD. Throws UserError on failure. */
export async function addPod(transport: Transport, cluster: Cluster, nodeName: string, pod: string, options: PodOptions = {}): Promise<PodAdded> {
  const node = findNode(cluster, nodeName);
  const script = renderPodAddScript({ cni: cluster.cni, pod: checkedPodName(pod), netConfig: podNetConfig(cluster) });
  const outcome = parsePodAddOutput(pod, await runOnNode(transport, node, script, options));
  if (!outcome.ok) throw new UserError(`pod ${pod} on ${node.name}: ${outcome.message}`);
  return { node: node.name, pod, result: outcome.result, addresses: outcome.addresses };
}

/** Removes pod `pod` from node `nodeName`: the plugin's DEL, then the namespace. Idempotent. */
export async function deletePod(transport: Transport, cluster: Cluster, nodeName: string, pod: string, options: PodOptions = {}): Promise<PodDeleted> {
  const node = findNode(cluster, nodeName);
  const script = renderPodDelScript({ cni: cluster.cni, pod: checkedPodName(pod), netConfig: podNetConfig(cluster) });
  const outcome = parsePodDelOutput(pod, await runOnNode(transport, node, script, options));
  if (!outcome.ok) throw new UserError(`pod ${pod} on ${node.name}: ${outcome.message}`);
  return { node: node.name, pod, existed: outcome.existed };
}

/** The pods of the named node (or of every node), all nodes in parallel, one exec each. */
export async function listPods(transport: Transport, cluster: Cluster, nodeName: string | undefined, options: PodOptions = {}): Promise<NodePods[]> {
  const nodes = nodeName === undefined ? cluster.nodes : [findNode(cluster, nodeName)];
  const script = renderPodListScript(cluster.cni);
  const limit = pLimit(Math.max(1, options.forks ?? 10));
  return Promise.all(
    nodes.map((node) =>
      limit(async (): Promise<NodePods> => {
        try {
          const connection = await transport.connect(node);
          options.onCommand?.(node.name, script);
          const r = await connection.exec(script);
          if (r.code !== 0) return { node: node.name, error: `listing pods failed (exit ${String(r.code)}): ${r.stderr.trim()}` };
          return { node: node.name, pods: parsePodListOutput(r.stdout) };
        } catch (err) {
          const problem = classifyError(err);
          return { node: node.name, error: problem.status === 'error' ? `internal error: ${problem.message}` : problem.message };
        }
      }),
    ),
  );
}
