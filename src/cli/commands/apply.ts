// `podnet apply FILE`: its options and --help; the work is in ../plan-command.ts, loaded when it runs.
import { Option, type Command } from 'commander';
import { addAllowPodDisruptionOption, addLockOption, addOutOption, addRunOptions, COUNTS_HELP, helpParagraph, INTERRUPT_HELP, parseDuration, parsePercentage, parseSerialOption, PLAN_EXIT_CODES, ROLLOUT_HELP, type PlanCommandOptions } from '../options.js';
import { readClusterFirst } from './load.js';

export function registerApply(program: Command): void {
  addAllowPodDisruptionOption(addOutOption(addLockOption(
    addRunOptions(
      program
        .command('apply')
        .description('gather, plan, apply on all nodes in parallel, check each converged; exit 0 only when every node converged, 130 when interrupted'),
    ),
  )))
    .option('--confirm <duration>', 'each node undoes the apply by itself unless podnet confirms it over a new connection within DURATION (default on, 60s, when a route, address or link changes)', parseDuration)
    .option('--no-confirm', 'apply without the confirm window')
    .addOption(new Option('--confirm-delay <ms>', 'pause before confirming (tests)').argParser(Number).hideHelp())
    .addOption(new Option('--one-pass', 'every host in one pass, without make-before-break (tests measure the loss without it)').hideHelp())
    .option('--check', 'plan only, change nothing (exit codes as for diff)', false)
    .option('--prune-removed', 'remove what nodes that left cluster.yaml left behind: their podnet state (reached at their old address with the cluster\'s ssh settings) and their peers\' routes to them')
    .option('--plan <plan.json>', 'apply only if a fresh plan is exactly the one saved by diff --out (refused as stale otherwise)')
    .option('--serial <n|p%>', 'apply in batches of N hosts (or P% of the targeted hosts, rounded up), each applied, confirmed and converged before the next starts', parseSerialOption)
    .option('--max-fail-percentage <p>', 'stop the rollout when MORE than P% of a batch\'s hosts failed (default 0: any failure stops it); the hosts not started are left untouched', parsePercentage)
    .addHelpText('after', `${COUNTS_HELP}\n${INTERRUPT_HELP}\n${ROLLOUT_HELP}\n\n${helpParagraph(`Exit codes: 0 when every targeted node converged, 1 otherwise, 130 interrupted by Ctrl-C. With --check: ${PLAN_EXIT_CODES}.`)}`)
    .action(async (file: string, options: PlanCommandOptions) => {
      const cluster = await readClusterFirst(file);
      const { runPlanCommand } = await import('../plan-command.js');
      process.exitCode = await runPlanCommand(file, options, 'apply', undefined, undefined, cluster);
    });
}
