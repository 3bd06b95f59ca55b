// `podnet verify FILE`: its options and --help; the work is in ../verify-command.ts, loaded when it runs.
import type { Command } from 'commander';
import { addRunOptions, type VerifyCommandOptions } from '../options.js';

export function registerVerify(program: Command): void {
  addRunOptions(
    program
      .command('verify')
      .description(
        'test the live network with short-lived probe pods: pod ↔ pod on a node and across nodes, node ↔ pod, source address kept, MTU with DF, egress (exit 0 only when every check passed)',
      ),
  )
    .option('--egress-target <address>', 'an address outside the pod CIDR that pods must reach when egress.masquerade is on (default: egress.verifyTarget of cluster.yaml)')
    .action(async (file: string, options: VerifyCommandOptions) => {
      const { verifyCommand } = await import('../verify-command.js');
      process.exitCode = await verifyCommand(file, options);
    });
}
