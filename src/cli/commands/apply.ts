import { Option, type Command } from 'commander';
import { addAllowPodDisruptionOption, addLockOption, addOutOption, addRunOptions, parseDuration, PLAN_EXIT_CODES, runPlanCommand, type PlanCommandOptions } from '../plan-command.js';

export function registerApply(program: Command): void {
  addAllowPodDisruptionOption(addOutOption(addLockOption(
    addRunOptions(
      program
        .command('apply')
        .description('gather, plan, apply on all nodes in parallel, check each converged; exit 0 only when every node converged'),
    ),
  )))
    .option('--confirm <duration>', 'each node undoes the apply by itself unless podnet confirms it over a new connection within DURATION (default on, 60s, when a route, address or link changes)', parseDuration)
    .option('--no-confirm', 'apply without the confirm window')
    .addOption(new Option('--confirm-delay <ms>', 'pause before confirming (tests)').argParser(Number).hideHelp())
    .option('--check', 'plan only, change nothing (exit codes as for diff)', false)
    .option('--prune-removed', 'remove what nodes that left cluster.yaml left behind: their podnet state (reached at their old address with the cluster\'s ssh settings) and their peers\' routes to them')
    .option('--plan <plan.json>', 'apply only if a fresh plan is exactly the one saved by diff --out (refused as stale otherwise)')
    .addHelpText('after', `\nExit codes: 0 when every targeted node converged, 1 otherwise.\nWith --check: ${PLAN_EXIT_CODES}.`)
    .action(async (file: string, options: PlanCommandOptions) => {
      process.exitCode = await runPlanCommand(file, options, 'apply');
    });
}
