// `podnet lab up|down|status|ssh`: their options and --help; the work is in ../lab-command.ts,
// loaded when one runs.
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  DEFAULT_LAB_NAME,
  DEFAULT_LAB_NODES,
  LAB_NAME_PATTERN,
  MAX_LAB_NODES,
} from '../../lab/lab-layout.js';

function parseNodeCount(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < 1 || n > MAX_LAB_NODES) {
    throw new InvalidArgumentError(`must be a whole number from 1 to ${MAX_LAB_NODES}`);
  }
  return n;
}

function parseLabName(value: string): string {
  if (!LAB_NAME_PATTERN.test(value)) throw new InvalidArgumentError('must be 1 to 10 characters of a-z and 0-9');
  return value;
}

export function registerLab(program: Command): void {
  const lab = new Command('lab').description(
    'a real cluster on this machine: each node a network namespace running its own sshd (needs root)',
  );

  lab
    .command('up')
    .description('bring a lab up (or return the running one) and write its cluster.yaml')
    .option('-n, --nodes <n>', `number of nodes, 1 to ${MAX_LAB_NODES} (default ${DEFAULT_LAB_NODES})`, parseNodeCount)
    .option('--name <name>', 'lab name', parseLabName, DEFAULT_LAB_NAME)
    .option('--router', 'add a router (192.168.1.254) for routing mode gateway, and write cluster-gateway.yaml', false)
    .option(
      '--tune-kernel',
      'raise the kernel limits a lab of this size needs (neighbour table, pid_max, file-max …); lab down puts them back. Without it, a lab that would hit one is refused',
      false,
    )
    .action(async (opts: { nodes?: number; name: string; router: boolean; tuneKernel: boolean }) => {
      await (await import('../lab-command.js')).labUpAction(opts);
    });

  lab
    .command('down')
    .description('remove a lab: its processes, namespaces and state directory (idempotent)')
    .option('--name <name>', 'lab name', parseLabName, DEFAULT_LAB_NAME)
    .option('--all', 'remove every lab on this machine', false)
    .action(async (opts: { name: string; all: boolean }) => {
      await (await import('../lab-command.js')).labDownAction(opts);
    });

  lab
    .command('status')
    .description('list labs and whether each node is up (sshd alive and listening)')
    .addOption(new Option('-o, --output <format>', 'output format: json prints one document {formatVersion, labs}').choices(['text', 'json']).default('text'))
    .addOption(new Option('--json', 'the same as --output json (older spelling)').hideHelp())
    .action(async (opts: { output: 'text' | 'json'; json?: boolean }) => {
      await (await import('../lab-command.js')).labStatusAction(opts);
    });

  lab
    .command('ssh')
    .description('log into a lab node with the real OpenSSH client (interactive without a command)')
    .argument('<node>', 'node name, e.g. node1')
    .argument('[command...]', 'command to run on the node (put it after --)')
    .option('--name <name>', 'lab name (default: the only running lab)', parseLabName)
    .action(async (node: string, command: string[], opts: { name?: string }) => {
      process.exitCode = await (await import('../lab-command.js')).labSshAction(node, command, opts);
    });

  program.addCommand(lab);
}
