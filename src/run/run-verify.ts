// `podnet verify`: probe pods on every targeted node through the deployed plugin, then the checks,
// each phase ONE exec per node with the nodes in parallel (bounded by --forks):
//   setup (tools, probe pods, listener, firewall facts) → gather → probes → cleanup.
// Cleanup always runs on every node that was reached (try/finally), also after an abort (SIGINT).
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';
import type { Cluster, NodeSpec, ObservedState } from '../model/types.js';
import { UserError } from '../model/errors.js';
import { buildClusterState, type NodeState } from '../plan/node-state.js';
import {
  parseVerifyCleanupOutput,
  parseVerifyProbeRun,
  parseVerifySetupOutput,
  setupWorkDir,
  renderVerifyCleanupScript,
  renderVerifyProbeScript,
  renderVerifySetupScript,
  type NodeCleanup,
  type ProbeOutcome,
  type ProbeRun,
} from '../scripts/probe-script.js';
import { SshError } from './ssh/errors.js';
import { assembleChecks, planProbes, probePacing } from '../probe/probe-plan.js';
import { withDiagnosis, type DiagnosisNode } from '../probe/diagnosis.js';
import { summarizeChecks } from '../render/verify-render.js';
import { VERIFY_FORMAT_VERSION, type NodeSetup, type ProbePlanMode, type VerifyReport } from '../model/verify.js';
import type { RunHooks } from './events.js';
import { gatherCluster } from './gather.js';
import { classifyError } from './outcomes.js';
import { podNetConfig } from './pods.js';
import type { Transport } from './transport.js';

export type VerifyPhase = 'setup' | 'gather' | 'probe' | 'cleanup';

export interface VerifyOptions {
  forks: number;
  egressTarget?: string;
  hooks: RunHooks & { onPhase?(phase: VerifyPhase, nodes: number): void };
  /** Aborting stops before the next phase; cleanup still runs. */
  signal?: AbortSignal;
  /** The random part of the probe pod names (tests may fix it). */
  probeId?: string;
  /** `sample` (default) or `full-mesh` (--full-mesh). */
  plan?: ProbePlanMode;
  /** CPUs of this machine, for the global bound on probes in flight (default: os.availableParallelism()). */
  cpus?: number;
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function randomProbeId(): string {
  return Array.from(randomBytes(6), (b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('');
}

/** egress.masquerade from cluster.yaml (absent means off). */
export function egressMasquerade(cluster: Cluster): boolean {
  return cluster.egress?.masquerade === true;
}

/** Why a node is left out of the probes; a bug in podnet says so rather than passing for a network problem. */
function errorMessage(err: unknown): string {
  const problem = classifyError(err);
  return problem.status === 'error' ? `internal error: ${problem.message}` : problem.message;
}

class Aborted extends Error {}

/**
 * The node states of the gathered hosts, for the diagnosis; none when the cluster cannot be
 * planned (a node without a subnet): the diagnosis then skips the route comparison.
 */
function nodeStates(cluster: Cluster, observed: ReadonlyMap<string, ObservedState>): Map<string, NodeState> {
  try {
    return new Map(buildClusterState(cluster, observed).states.map((state) => [state.host.name, state]));
  } catch (err) {
    if (err instanceof UserError) return new Map();
    throw err;
  }
}

/** A host's part of the diagnosis: what was gathered, and what it should be. */
function diagnosisNode(host: Pick<NodeSpec, 'name' | 'address'>, state: NodeState | undefined, observed: ObservedState | undefined): DiagnosisNode {
  const entry: DiagnosisNode = { name: host.name, address: host.address };
  if (observed) entry.observed = observed;
  if (state?.desired) entry.desired = state.desired;
  return entry;
}

export async function runVerify(cluster: Cluster, nodes: readonly NodeSpec[], transport: Transport, options: VerifyOptions): Promise<VerifyReport> {
  const probeId = options.probeId ?? randomProbeId();
  // --egress-target, else the cluster's egress.verifyTarget (the lab writes its switch's address there).
  const egressTarget = options.egressTarget ?? cluster.egress?.verifyTarget;
  const netConfig = podNetConfig(cluster);
  const mtu = cluster.bridge.mtu ?? 1500;
  const limit = pLimit(Math.max(1, options.forks));
  const { hooks } = options;
  const unreachable = new Map<string, string>();
  const setups = new Map<string, NodeSetup>();
  const touched = new Set<string>();
  const outcomes = new Map<string, Map<number, ProbeOutcome>>();
  const probeRuns = new Map<string, ProbeRun>();
  const probeErrors = new Map<string, string>();
  const cleanups = new Map<string, NodeCleanup>();
  const cleanupProblems: string[] = [];
  let observed = new Map<string, ObservedState>();
  /** Each node's work directory, as its setup reported it (also when the rest of its output was not usable). */
  const workDirs = new Map<string, string>();
  const workDirOf = (node: string): { workDir?: string } => {
    const workDir = workDirs.get(node);
    return workDir !== undefined ? { workDir } : {};
  };

  const exec = async (node: NodeSpec, script: string): Promise<{ code: number | null; stdout: string; stderr: string }> => {
    const connection = await transport.connect(node);
    hooks.onCommand?.(node.name, script);
    return connection.exec(script);
  };
  const checkAbort = (): void => {
    if (options.signal?.aborted) throw new Aborted('interrupted');
  };

  let probePlan: ReturnType<typeof planProbes> | undefined;
  try {
    checkAbort();
    hooks.onPhase?.('setup', nodes.length);
    await Promise.all(
      nodes.map((node) =>
        limit(async () => {
          if (options.signal?.aborted) return;
          try {
            touched.add(node.name);
            const r = await exec(node, renderVerifySetupScript({ cni: cluster.cni, probeId, node: node.name, netConfig }));
            const workDir = setupWorkDir(node.name, probeId, r.stdout);
            if (workDir !== undefined) workDirs.set(node.name, workDir);
            if (r.code !== 0) throw new Error(`the verify setup failed (exit ${String(r.code)}): ${r.stderr.trim()}`);
            setups.set(node.name, parseVerifySetupOutput(node.name, probeId, r.stdout));
          } catch (err) {
            unreachable.set(node.name, errorMessage(err));
          }
        }),
      ),
    );

    checkAbort();
    hooks.onPhase?.('gather', setups.size);
    const reached = nodes.filter((n) => setups.has(n.name));
    // In gateway mode every cross-node packet passes the router: gather it too, for the diagnosis.
    const router = cluster.routing === 'gateway' ? cluster.router : undefined;
    const gathered = await gatherCluster(cluster, router ? [...reached, router] : reached, transport, { forks: options.forks, hooks });
    observed = gathered.observed;
    for (const [node, p] of gathered.problems) unreachable.set(node, p.status === 'error' ? `internal error: ${p.message}` : p.message);

    checkAbort();
    probePlan = planProbes({
      nodes: nodes.map((n) => ({ name: n.name, address: n.address })),
      setups,
      unreachable,
      mtu,
      egress: { requested: egressMasquerade(cluster), ...(egressTarget !== undefined ? { target: egressTarget } : {}) },
      mode: options.plan ?? 'sample',
    });
    const plan = probePlan;
    hooks.onPhase?.('probe', plan.probes.size);
    const pacing = probePacing(options.forks, options.cpus ?? availableParallelism());
    const probeLimit = pLimit(pacing.nodes);
    await Promise.all(
      [...plan.probes].map(([nodeName, probes]) =>
        probeLimit(async () => {
          const node = nodes.find((n) => n.name === nodeName);
          if (!node || options.signal?.aborted) return;
          try {
            const r = await exec(node, renderVerifyProbeScript(probeId, node.name, probes, workDirs.get(node.name) ?? '', { parallel: pacing.parallel }));
            if (r.code !== 0) throw new Error(`exit ${String(r.code)}: ${r.stderr.trim()}`);
            const run = parseVerifyProbeRun(r.stdout);
            probeRuns.set(node.name, run);
            outcomes.set(node.name, run.outcomes);
          } catch (err) {
            // The exec deadline passed: the node (or this machine) was too busy to finish the probes.
            const overloaded = err instanceof SshError && err.kind === 'timeout' && err.message.includes('exec deadline');
            probeErrors.set(
              node.name,
              overloaded
                ? `they did not finish before the exec deadline, the prober was overloaded (local load, not a network fault; run verify again with a lower --forks or a longer --exec-timeout): ${errorMessage(err)}`
                : errorMessage(err),
            );
          }
        }),
      ),
    );
  } catch (err) {
    if (!(err instanceof Aborted)) throw err;
  } finally {
    hooks.onPhase?.('cleanup', touched.size);
    await Promise.all(
      nodes
        .filter((n) => touched.has(n.name))
        .map((node) =>
          limit(async () => {
            try {
              const r = await exec(node, renderVerifyCleanupScript({ cni: cluster.cni, probeId, node: node.name, netConfig, ...workDirOf(node.name) }));
              const cleanup = parseVerifyCleanupOutput(probeId, r.stdout);
              cleanups.set(node.name, cleanup);
              for (const problem of cleanup.errors) cleanupProblems.push(`${node.name}: ${problem}`);
            } catch (err) {
              // A node never reached has no probe pods; one that was reached and now fails keeps them.
              if (setups.has(node.name)) cleanupProblems.push(`${node.name}: probe pods not removed: ${errorMessage(err)}`);
            }
          }),
        ),
    );
  }

  const checks = probePlan
    ? assembleChecks({ plan: probePlan, outcomes, probeErrors, cleanups, nodes: nodes.map((n) => ({ name: n.name, address: n.address })), setups })
    : [];
  const states = nodeStates(cluster, observed);
  const diagnosisNodes = new Map<string, DiagnosisNode>(
    cluster.nodes.map((n) => {
      const entry = diagnosisNode(n, states.get(n.name), observed.get(n.name));
      const s = setups.get(n.name);
      if (s) entry.setup = s;
      const run = probeRuns.get(n.name);
      entry.neighbour = {
        ...(s?.neighbour ? { before: s.neighbour } : {}),
        ...(run ? { after: run.neighbour } : {}),
        ...(run?.neighbours ? { entries: run.neighbours } : {}),
      };
      return [n.name, entry];
    }),
  );
  // In gateway mode every cross-node packet passes the router: its state is part of the diagnosis.
  const router = cluster.routing === 'gateway' ? cluster.router : undefined;
  const routerEntry = router !== undefined ? { router: diagnosisNode(router, states.get(router.name), observed.get(router.name)) } : {};
  const diagnosed = withDiagnosis({ podCidr: cluster.podCidr, bridgeName: cluster.bridge.name, mtu, nodes: diagnosisNodes, ...routerEntry }, checks);
  return {
    formatVersion: VERIFY_FORMAT_VERSION,
    cluster: cluster.sourcePath,
    probeId,
    nodes: nodes.map((n) => n.name),
    mtu,
    plan: options.plan ?? 'sample',
    ...(egressTarget !== undefined ? { egressTarget } : {}),
    checks: diagnosed,
    summary: summarizeChecks(diagnosed),
    unreachable: Object.fromEntries(unreachable),
    cleanup: cleanupProblems,
  };
}
