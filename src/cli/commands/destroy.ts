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
import { addLockOption, addRunOptions, lockHolder, problemResults, progressHooks, sshTransport, type PlanCommandOptions } from '../plan-command.js';
import { createProgress } from '../progress.js';

export function registerDestroy(program: Command): void {
  addLockOption(addRunOptions(
    program
      .command('destroy')
      .summary('remove everything podnet made from the nodes, and nothing else (ip_forward stays as it is)')
      .description(
        'remove everything podnet made from the nodes — pods made through its plugin, its iptables rules and chains, ' +
          'its routes, its bridge and addresses, the CNI plugin and conflist — and nothing else; ' +
          'net.ipv4.ip_forward is left as it is (other software may rely on it). Exit 0 when nothing of podnet is left',
      ),
  )).action(async (file: string, options: PlanCommandOptions) => {
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
  };
  try {
    const gathered = await gatherCluster(cluster, nodes, transport, runOptions);
    const state = buildClusterState(cluster, gathered.observed, 'absent', limited ? { targets: new Set(targets.map((t) => t.name)) } : {});
    const plan = state.plan;
    for (const nodePlan of plan.nodes) progress.update(nodePlan.node, { kind: 'planned', changes: nodePlan.changes.length });
    if (!json) {
      progress.done();
      process.stdout.write(renderPlanText(plan, { color }));
    }
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
