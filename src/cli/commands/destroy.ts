// `podnet destroy FILE`: its options and --help; the work is in ../destroy-command.ts, loaded when it runs.
import type { Command } from 'commander';
import { addAllowPodDisruptionOption, addLockOption, addRunOptions, COUNTS_HELP, helpParagraph, INTERRUPT_HELP, PLAN_EXIT_CODES, type PlanCommandOptions } from '../options.js';
import { readClusterFirst } from './load.js';

export function registerDestroy(program: Command): void {
  addAllowPodDisruptionOption(addLockOption(addRunOptions(
    program
      .command('destroy')
      .summary('remove everything podnet made from the nodes, and nothing else (ip_forward stays as it is)')
      .description(
        'remove everything podnet made from the nodes — pods made through its plugin, its iptables rules and chains, ' +
          'its routes, its bridge and addresses, the CNI plugin and conflist — and nothing else; ' +
          'net.ipv4.ip_forward is left as it is (other software may rely on it). A plan that deletes or cuts off running pods (podnet\'s or a ' +
          'runtime\'s) is refused unless --allow-pod-disruption: drain them first. Exit 0 when nothing of podnet is left, 130 when interrupted',
      ),
  )))
    .option('--check', 'print what destroy would remove, change nothing (exit codes as for diff)', false)
    .addHelpText('after', `${COUNTS_HELP}\n${INTERRUPT_HELP}\n\n${helpParagraph(`Exit codes: 0 when nothing of podnet is left on the targeted nodes, 1 otherwise, 130 interrupted by Ctrl-C. With --check: ${PLAN_EXIT_CODES}.`)}`)
    .action(async (file: string, options: PlanCommandOptions) => {
    const cluster = await readClusterFirst(file);
    const { runDestroy } = await import('../destroy-command.js');
    process.exitCode = await runDestroy(file, options, undefined, undefined, cluster);
  });
}
