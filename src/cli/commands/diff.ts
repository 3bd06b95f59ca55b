import type { Command } from 'commander';
import { addRunOptions, runCommand, type RunCommandOptions } from '../run-command.js';

export function registerDiff(program: Command): void {
  addRunOptions(
    program
      .command('diff')
      .description('gather every node over SSH and print the plan (exit 0 in sync, 2 changes pending, 1 error)'),
  ).action(async (file: string, options: RunCommandOptions) => {
    process.exitCode = await runCommand(file, options, 'diff');
  });
}
