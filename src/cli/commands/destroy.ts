// `podnet destroy FILE`: gather every node (with its pods), plan the removal of everything podnet
// owns (pure: the node states with goal `absent`, src/plan/destroy.ts), print it, run it through apply's machinery, and check that
// nothing podnet owns is left (its convergence check). net.ipv4.ip_forward stays as it is. With
// --limit, the other hosts only lose their routes to the destroyed nodes' pod subnets.
import type { Command } from 'commander';
import { buildClusterState } from '../../plan/node-state.js';
import { renderPlanJson, renderPlanText } from '../../render/render-plan.js';
import { renderRecap } from '../../render/recap.js';
import { escapeJsonControl } from '../../render/terminal-safe.js';
import { readCluster } from '../read-cluster.js';
import { applyPlan, type RunOptions } from '../../run/apply.js';
import { gatherCluster } from '../../run/gather.js';
import { targetHosts } from '../../run/targets.js';
import type { Transport } from '../../run/transport.js';
import {
  addAllowPodDisruptionOption,
  addLockOption,
  addRunOptions,
  lockHolder,
  PLAN_EXIT_CODES,
  planExitCode,
  problemResults,
  problemsJson,
  refusePodDisruption,
  progressHooks,
  renderProblems,
  sshTransport,
  type PlanCommandOptions,
} from '../plan-command.js';
import { createProgress } from '../progress.js';

export function registerDestroy(program: Command): void {
  addAllowPodDisruptionOption(addLockOption(addRunOptions(
    program
      .command('destroy')
      .summary('remove everything podnet made from the nodes, and nothing else (ip_forward stays as it is)')
      .description(
        'remove everything podnet made from the nodes — pods made through its plugin, its iptables rules and chains, ' +
          'its routes, its bridge and addresses, the CNI plugin and conflist — and nothing else; ' +
          'net.ipv4.ip_forward is left as it is (other software may rely on it). A plan that deletes or cuts off running pods (podnet\'s or a ' +
          'runtime\'s) is refused unless --allow-pod-disruption: drain them first. Exit 0 when nothing of podnet is left',
      ),
  )))
    .option('--check', 'print what destroy would remove, change nothing (exit codes as for diff)', false)
    .addHelpText('after', `\nExit codes: 0 when nothing of podnet is left on the targeted nodes, 1 otherwise.\nWith --check: ${PLAN_EXIT_CODES}.`)
    .action(async (file: string, options: PlanCommandOptions) => {
    process.exitCode = await runDestroy(file, options);
  });
}

export async function runDestroy(
  file: string,
  options: PlanCommandOptions,
  transport: Transport = sshTransport(options),
): Promise<number> {
  const cluster = readCluster(file);
  const targets = targetHosts(cluster, options.limit);
  // --limit: the other hosts are gathered too, and lose their routes to the destroyed nodes' subnets.
  const everyHost = targetHosts(cluster, undefined);
  const limited = targets.length !== everyHost.length;
  const nodes = limited ? [...targets, ...everyHost.filter((h) => !targets.includes(h))] : targets;
  const json = options.output === 'json';
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  const progress = createProgress(process.stderr, nodes.map((n) => n.name), !json);
  const runOptions: RunOptions = {
    forks: options.forks,
    hooks: progressHooks(options, progress),
    gather: { cni: cluster.cni },
    lock: { holder: lockHolder('destroy'), timeoutSeconds: options.lockTimeout ?? 0 },
    ...(options.allowPodDisruption === true ? { allowPodDisruption: true } : {}),
  };
  try {
    const gathered = await gatherCluster(cluster, nodes, transport, runOptions);
    const state = buildClusterState(cluster, gathered.observed, 'absent', limited ? { targets: new Set(targets.map((t) => t.name)) } : {});
    const plan = state.plan;
    for (const nodePlan of plan.nodes) progress.update(nodePlan.node, { kind: 'planned', changes: nodePlan.changes.length });
    if (options.check === true) {
      // Plan only, as diff: nothing is sent to a node after the gather.
      progress.done();
      if (json) {
        const report = { plan: JSON.parse(renderPlanJson(plan)) as unknown, ...problemsJson(gathered), execs: Object.fromEntries(await transport.execCounts()) };
        process.stdout.write(escapeJsonControl(JSON.stringify(report, null, 2)) + '\n');
      } else {
        process.stdout.write(renderPlanText(plan, { color }));
        process.stdout.write(renderProblems(gathered));
      }
      return planExitCode(plan, gathered.problems.size);
    }
    if (!json) {
      progress.done();
      process.stdout.write(renderPlanText(plan, { color }));
    }
    refusePodDisruption(plan, options, 'destroy', file);
    const results = await applyPlan(state, nodes, gathered, transport, runOptions);
    progress.done();
    const allResults = results.length > 0 ? results : problemResults(gathered);
    if (json) {
      const report = { plan: JSON.parse(renderPlanJson(plan)) as unknown, results: allResults, execs: Object.fromEntries(await transport.execCounts()) };
      process.stdout.write(escapeJsonControl(JSON.stringify(report, null, 2)) + '\n');
    } else {
      process.stdout.write(renderRecap(allResults, { color }));
    }
    return allResults.every((r) => r.status === 'converged') ? 0 : 1;
  } finally {
    await transport.close();
  }
}
