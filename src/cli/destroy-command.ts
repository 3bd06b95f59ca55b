// `podnet destroy FILE` (its options: ./commands/destroy.ts): gather every node (with its pods),
// plan the removal of everything podnet owns (pure: the node states with goal `absent`,
// src/plan/destroy.ts), print it, run it through apply's machinery, and check that nothing podnet
// owns is left (its convergence check). net.ipv4.ip_forward stays as it is. With --limit, the other
// hosts only lose their routes to the destroyed nodes' pod subnets.
import type { EventEmitter } from 'node:events';
import type { Cluster } from '../model/types.js';
import { buildClusterState } from '../plan/node-state.js';
import { countChanges, withReach } from '../plan/summary.js';
import { canonicalPlan, renderPlanText, reportJsonPieces } from '../render/render-plan.js';
import { writePieces } from './write-pieces.js';
import { renderPlanMarkdown } from '../render/markdown.js';
import { readCluster } from './read-cluster.js';
import { applyPlan, type RunOptions } from '../run/apply.js';
import { gatherCluster } from '../run/gather.js';
import { targetHosts } from '../run/targets.js';
import type { Transport } from '../run/transport.js';
import {
  finishRun,
  gatherUnlessGivenUp,
  interruptedBeforeApply,
  lockHolder,
  planExitCode,
  problemResults,
  problemsJson,
  REPORT_FORMAT_VERSION,
  refusePodDisruption,
  progressHooks,
  renderProblems,
  silencable,
  sshTransport,
  textOptions,
  watchRunInterrupt,
  type PlanCommandOptions,
} from './plan-command.js';
import { createProgress } from './progress.js';

export async function runDestroy(
  file: string,
  options: PlanCommandOptions,
  transport: Transport = sshTransport(options),
  signals?: EventEmitter,
  cluster: Cluster = readCluster(file),
): Promise<number> {
  const targets = targetHosts(cluster, options.limit);
  // --limit: the other hosts are gathered too, and lose their routes to the destroyed nodes' subnets.
  const everyHost = targetHosts(cluster, undefined);
  const limited = targets.length !== everyHost.length;
  const nodes = limited ? [...targets, ...everyHost.filter((h) => !targets.includes(h))] : targets;
  const json = options.output === 'json';
  const text = textOptions();
  const progress = createProgress(process.stderr, nodes.map((n) => n.name), !json);
  const hooks = silencable(progressHooks(options, progress));
  // Ctrl-C: as for apply (no node started after it, the nodes in flight waited for, bounded; exit 130).
  const interrupt = watchRunInterrupt(nodes, options, signals);
  const runOptions: RunOptions = {
    forks: options.forks,
    hooks: hooks.hooks,
    gather: { cni: cluster.cni },
    lock: { holder: lockHolder('destroy'), timeoutSeconds: options.lockTimeout ?? 0 },
    interrupt,
    ...(options.allowPodDisruption === true ? { allowPodDisruption: true } : {}),
  };
  // A function, not a narrowed value: the abort comes while the run awaits.
  const interrupted = (): boolean => interrupt.signal.aborted;
  try {
    const gathered = await gatherUnlessGivenUp(gatherCluster(cluster, nodes, transport, { ...runOptions, signal: interrupt.signal }), interrupt);
    if (interrupted()) {
      hooks.silence();
      progress.done();
      return await finishRun(undefined, interruptedBeforeApply(nodes, gathered), transport, options.output, true, false, 'destroy');
    }
    const built = buildClusterState(cluster, gathered.observed, 'absent', limited ? { targets: new Set(targets.map((t) => t.name)) } : {});
    const state = { ...built, plan: withReach(built.plan, nodes.length, gathered.problems.size) };
    const plan = state.plan;
    for (const nodePlan of plan.nodes) progress.update(nodePlan.node, { kind: 'planned', changes: nodePlan.changes.length, counts: countChanges(nodePlan.changes) });
    if (options.check === true) {
      // Plan only, as diff: nothing is sent to a node after the gather.
      progress.done();
      if (options.output === 'markdown') {
        process.stdout.write(renderPlanMarkdown({ command: 'destroy', plan, notGathered: problemsJson(gathered) }));
      } else if (json) {
        const report = { formatVersion: REPORT_FORMAT_VERSION, plan: canonicalPlan(plan), ...problemsJson(gathered), execs: Object.fromEntries(await transport.execCounts()) };
        await writePieces(process.stdout, reportJsonPieces(report));
      } else {
        process.stdout.write(renderPlanText(plan, text));
        process.stdout.write(renderProblems(gathered, text.width));
      }
      return planExitCode(plan, gathered.problems.size);
    }
    if (options.output === 'text') {
      progress.done();
      process.stdout.write(renderPlanText(plan, text));
    }
    refusePodDisruption(plan, options, 'destroy', file);
    const results = await applyPlan(state, nodes, gathered, transport, runOptions);
    hooks.silence();
    progress.done();
    const allResults = results.length > 0 ? results : problemResults(gathered);
    return await finishRun(plan, allResults, transport, options.output, interrupted(), false, 'destroy');
  } finally {
    interrupt.dispose();
    await transport.close();
  }
}
