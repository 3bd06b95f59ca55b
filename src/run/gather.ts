// Gather: every host's state in ONE exec each, hosts in parallel bounded by --forks. A host that
// cannot be gathered is kept apart with the reason (unreachable / failed / error), never thrown.
import pLimit from 'p-limit';
import type { Cluster, NodeSpec, ObservedState } from '../model/types.js';
import { parseGatherOutput, renderGatherCommand, type GatherOptions } from '../scripts/gather-script.js';
import type { RunHooks } from './events.js';
import { managedFilePaths } from '../state/node-files.js';
import { classifyError, NodeFailedError, parseNodeOutput, problemEvent, type NodeProblem } from './outcomes.js';
import type { Transport } from './transport.js';

export interface GatherRunOptions {
  forks: number;
  hooks: RunHooks;
  /** Extra sections for every gather: the pods (diff, apply and destroy ask for them; verify does not). */
  gather?: GatherOptions;
  /** Once aborted (Ctrl-C), hosts not yet started are not gathered (they are in neither map). */
  signal?: AbortSignal;
}

export interface GatherResult {
  observed: Map<string, ObservedState>;
  /** Hosts whose state could not be gathered, and why. */
  problems: Map<string, NodeProblem>;
}

let lastGather: { key: string; command: string } | undefined;

/**
 * The gather command for these managed files (also the tail of every apply command). Every node
 * of a run gets the same one: it is rendered once and kept while the files and options stay.
 */
export function gatherCommand(filePaths: readonly string[], gather: GatherOptions = {}): string {
  const key = JSON.stringify([filePaths, gather]);
  if (lastGather?.key !== key) lastGather = { key, command: renderGatherCommand(filePaths, gather) };
  return lastGather.command;
}

/** The host's state as the gather command (alone, or at the end of an apply) printed it. */
export function readGathered(stdout: string, host: NodeSpec, filePaths: readonly string[]): ObservedState {
  return parseNodeOutput('the gathered state', () => parseGatherOutput(stdout, host.name, host.address, filePaths));
}

/** One exec: the host's observed state. Throws (TransportError, NodeFailedError, or a bug). */
export async function gatherHost(
  transport: Transport,
  host: NodeSpec,
  filePaths: readonly string[],
  hooks: RunHooks,
  gather: GatherOptions = {},
): Promise<ObservedState> {
  const connection = await transport.connect(host);
  const command = gatherCommand(filePaths, gather);
  hooks.onCommand?.(host.name, command);
  const result = await connection.exec(command);
  if (result.code !== 0) {
    throw new NodeFailedError(`gathering state failed (exit ${result.code ?? result.signal}): ${result.stderr.trim()}`);
  }
  return readGathered(result.stdout, host, filePaths);
}

export async function gatherCluster(
  cluster: Cluster,
  hosts: readonly NodeSpec[],
  transport: Transport,
  options: GatherRunOptions,
): Promise<GatherResult> {
  const filePaths = managedFilePaths(cluster);
  const limit = pLimit(Math.max(1, options.forks));
  const observed = new Map<string, ObservedState>();
  const problems = new Map<string, NodeProblem>();
  const { hooks } = options;
  await Promise.all(
    hosts.map((host) =>
      limit(async () => {
        if (options.signal?.aborted === true) return;
        hooks.onProgress?.(host.name, { kind: 'connecting' });
        try {
          observed.set(host.name, await gatherHost(transport, host, filePaths, hooks, options.gather));
          hooks.onProgress?.(host.name, { kind: 'gathered' });
        } catch (err) {
          const problem = classifyError(err);
          problems.set(host.name, problem);
          hooks.onProgress?.(host.name, problemEvent(problem));
        }
      }),
    ),
  );
  return { observed, problems };
}
