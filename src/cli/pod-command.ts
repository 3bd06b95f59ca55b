// `podnet pod add|del|list` (their options: ./commands/pod.ts): pods by hand on a node, through the
// deployed CNI plugin, exactly as a container runtime would run it. Loaded when one runs.
import type { PodEntry } from '../scripts/pod-script.js';
import { readCluster } from './read-cluster.js';
import { escapeControl, escapeJsonControl, escapeStrings } from '../render/terminal-safe.js';
import { addPod, deletePod, listPods, type NodePods, type PodOptions } from '../run/pods.js';
import { SshTransport } from '../run/ssh-transport.js';
import { renderHostKeyRecorded } from '../render/ssh-notices.js';
import { notice } from './progress.js';
import type { Transport } from '../run/transport.js';
import type { PodCommandOptions } from './commands/pod.js';

/** The version of `pod list -o json` and `pod del -o json` (schemas/pod-list.schema.json, pod-del.schema.json). */
export const POD_FORMAT_VERSION = 1;

/** Runs `work` over an SSH transport that is closed afterwards. */
async function withTransport<T>(options: PodCommandOptions, work: (transport: Transport) => Promise<T>): Promise<T> {
  const transport = new SshTransport({ acceptNewHosts: options.acceptNewHosts, onHostKeyRecorded: (node, recorded) => notice(renderHostKeyRecorded(node, recorded)) });
  try {
    return await work(transport);
  } finally {
    await transport.close();
  }
}

function podOptions(options: PodCommandOptions): PodOptions {
  return {
    ...(options.forks !== undefined ? { forks: options.forks } : {}),
    ...(options.verbose ? { onCommand: (node: string, script: string) => process.stderr.write(`[${node}] $ sh <<'EOF'\n${script}EOF\n`) } : {}),
  };
}

function renderPodLine(pod: PodEntry, width: number): string {
  const name = pod.name.padEnd(width);
  if (!pod.netns) return `  ${name}  ${pod.allocated.join(', ')} (allocated; no namespace of that name on this node)`;
  const addresses = pod.addresses.length > 0 ? pod.addresses.join(', ') : '(no IPv4 address)';
  return `  ${name}  ${addresses}`;
}

/** Text for `pod list`: a block per node. */
export function renderPodList(nodeTextNodes: readonly NodePods[]): string {
  const nodes = escapeStrings(nodeTextNodes); // names and errors from nodes reach the terminal escaped
  const lines: string[] = [];
  for (const entry of nodes) {
    if ('error' in entry) {
      lines.push(`${entry.node}: UNREACHABLE: ${entry.error}`);
      continue;
    }
    const pods = entry.pods.filter((p) => p.podnet);
    // Namespaces podnet did not make (containerd's cni-<uuid>, say): named apart, never podnet's pods.
    const others = entry.pods.filter((p) => !p.podnet).map((p) => p.name);
    const notPodnets = others.length > 0 ? [`  not podnet's (left alone): ${others.join(', ')}`] : [];
    if (pods.length === 0) {
      lines.push(`${entry.node}: no pods`, ...notPodnets);
      continue;
    }
    lines.push(`${entry.node}:`);
    const width = Math.max(...pods.map((p) => p.name.length));
    for (const pod of pods) lines.push(renderPodLine(pod, width));
    lines.push(...notPodnets);
  }
  return lines.join('\n') + '\n';
}

/** `pod add`. */
export async function podAddAction(file: string, node: string, name: string, options: PodCommandOptions): Promise<void> {
  const cluster = readCluster(file);
  const added = await withTransport(options, (transport) => addPod(transport, cluster, node, name, podOptions(options)));
  if (options.output === 'json') {
    process.stdout.write(escapeJsonControl(JSON.stringify(added.result, null, 2)) + '\n');
    return;
  }
  const addresses = added.addresses.map((a) => `${a.address}${a.gateway ? ` (gateway ${a.gateway})` : ''}`).join(', ');
  process.stdout.write(`pod ${added.pod} on ${added.node}: ${escapeControl(addresses) || 'no address in the result'}\n`);
}

/** `pod del`. */
export async function podDelAction(file: string, node: string, name: string, options: PodCommandOptions): Promise<void> {
  const cluster = readCluster(file);
  const deleted = await withTransport(options, (transport) => deletePod(transport, cluster, node, name, podOptions(options)));
  if (options.output === 'json') {
    process.stdout.write(JSON.stringify({ formatVersion: POD_FORMAT_VERSION, ...deleted }, null, 2) + '\n');
    return;
  }
  process.stdout.write(`pod ${deleted.pod} on ${deleted.node}: ${deleted.existed ? 'deleted' : 'already gone'}\n`);
}

/** `pod list`. */
export async function podListAction(file: string, node: string | undefined, options: PodCommandOptions): Promise<void> {
  const cluster = readCluster(file);
  const nodes = await withTransport(options, (transport) => listPods(transport, cluster, node, podOptions(options)));
  if (options.output === 'json') process.stdout.write(escapeJsonControl(JSON.stringify({ formatVersion: POD_FORMAT_VERSION, nodes }, null, 2)) + '\n');
  else process.stdout.write(renderPodList(nodes));
  process.exitCode = nodes.some((n) => 'error' in n) ? 1 : 0;
}
