import type { Command } from 'commander';
import { addOutOption, addRunOptions, PLAN_EXIT_CODES, runPlanCommand, type PlanCommandOptions } from '../plan-command.js';

export function registerDiff(program: Command): void {
  addOutOption(addRunOptions(
    program
      .command('diff')
      .description('gather every node over SSH and print the plan (exit 0 in sync, 2 changes pending, 1 error)'),
  ))
    .option('--prune-removed', 'also plan the removal of nodes that left cluster.yaml: their podnet state and their peers\' routes to them')
    .addHelpText('after', `\nExit codes: ${PLAN_EXIT_CODES}.`)
    .action(async (file: string, options: PlanCommandOptions) => {
    process.exitCode = await runPlanCommand(file, options, 'diff');
  });
}
