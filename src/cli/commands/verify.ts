// `podnet verify FILE`: its options and --help; the work is in ../verify-command.ts, loaded when it runs.
import type { Command } from 'commander';
import { addRunOptions, PLAN_OUTPUTS, type VerifyCommandOptions } from '../options.js';

export function registerVerify(program: Command): void {
  addRunOptions(
    program
      .command('verify')
      .description(
        'test the live network with short-lived probe pods: pod ↔ pod on a node and across nodes, node ↔ pod, source address kept, MTU with DF, egress (exit 0 only when every check passed)',
      ),
    [...PLAN_OUTPUTS, 'junit'],
  )
    .option('--junit <file>', 'also write the report as JUnit XML to FILE (one test case per check and node or node pair), whatever -o says; written also when verify fails early')
    .option('--full-mesh', 'run the TCP source-address and MTU checks on every ordered node pair (N×(N−1) each) instead of a sample covering every node as client and server; every pair is pinged either way', false)
    .option('--egress-target <address>', 'an address outside the pod CIDR that pods must reach when egress.masquerade is on (default: egress.verifyTarget of cluster.yaml)')
    .action(async (file: string, options: VerifyCommandOptions) => {
      const { verifyCommand } = await import('../verify-command.js');
      process.exitCode = await verifyCommand(file, options);
    });
}
