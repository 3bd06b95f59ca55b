import type { Command } from 'commander';
import { addRunOptions, runPlanCommand, type PlanCommandOptions } from '../plan-command.js';

export function registerApply(program: Command): void {
  addRunOptions(
    program
      .command('apply')
      .description('gather, plan, apply on all nodes in parallel, check each converged; exit 0 only when every node converged'),
  )
    .option('--check', 'plan only, change nothing (exit codes as for diff)', false)
    .option('--plan <plan.json>', 'apply only if a fresh plan is exactly the one saved by diff --out (refused as stale otherwise)')
    .action(async (file: string, options: PlanCommandOptions) => {
      process.exitCode = await runPlanCommand(file, options, 'apply');
    });
}
