// `podnet diff FILE`: its options and --help; the work is in ../plan-command.ts, loaded when it runs.
import type { Command } from 'commander';
import { addOutOption, addRunOptions, COUNTS_HELP, DRIFT_EXIT_CODES, helpParagraph, PLAN_EXIT_CODES, type PlanCommandOptions } from '../options.js';
import { readClusterFirst } from './load.js';

export function registerDiff(program: Command): void {
  addOutOption(addRunOptions(
    program
      .command('diff')
      .description('gather every node over SSH and print the plan (exit 0 in sync, 2 changes pending, 1 error)'),
  ))
    .option('--prune-removed', 'also plan the removal of nodes that left cluster.yaml: their podnet state and their peers\' routes to them')
    .option('--fail-on-drift', 'a drift check: exit 3 when a node no longer matches what podnet last applied there (changes cluster.yaml asks for do not count)')
    .addHelpText('after', `${COUNTS_HELP}\n\n${helpParagraph(`Exit codes: ${PLAN_EXIT_CODES}.`)}\n${helpParagraph(`With --fail-on-drift: ${DRIFT_EXIT_CODES}.`)}`)
    .action(async (file: string, options: PlanCommandOptions) => {
    const cluster = await readClusterFirst(file);
    const { runPlanCommand } = await import('../plan-command.js');
    process.exitCode = await runPlanCommand(file, options, 'diff', undefined, undefined, cluster);
  });
}
