// `podnet pod add|del|list`: their options and --help; the work is in ../pod-command.ts, loaded when
// one runs.
import { Command, InvalidArgumentError, Option } from 'commander';

export interface PodCommandOptions {
  output: 'text' | 'json';
  verbose: boolean;
  acceptNewHosts: boolean;
  forks?: number;
}

function withCommonOptions(command: Command): Command {
  return command
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('-v, --verbose', 'show the script sent to the node', false)
    .option('--accept-new-hosts', 'record host keys of nodes not yet in known_hosts (like StrictHostKeyChecking=accept-new)', false);
}

function parseForks(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('must be a whole number from 1 to 1000');
  return n;
}

export function registerPod(program: Command): void {
  const pod = program
    .command('pod')
    .description('pods by hand: a network namespace on a node, wired by the deployed CNI plugin (run podnet apply first)');

  withCommonOptions(
    pod
      .command('add')
      .description("create network namespace NAME on NODE and run the plugin's ADD in it; prints the pod's address")
      .argument('<file>', 'the cluster.yaml')
      .argument('<node>', 'a node of the cluster')
      .argument('<name>', 'the pod (namespace and container id): a-z, 0-9, -'),
  ).action(async (file: string, node: string, name: string, options: PodCommandOptions) => {
    await (await import('../pod-command.js')).podAddAction(file, node, name, options);
  });

  withCommonOptions(
    pod
      .command('del')
      .description("run the plugin's DEL for pod NAME on NODE (releasing its address), then delete its namespace; succeeds when already gone")
      .argument('<file>', 'the cluster.yaml')
      .argument('<node>', 'a node of the cluster')
      .argument('<name>', 'the pod'),
  ).action(async (file: string, node: string, name: string, options: PodCommandOptions) => {
    await (await import('../pod-command.js')).podDelAction(file, node, name, options);
  });

  withCommonOptions(
    pod
      .command('list')
      .description("every node's pods (namespaces podnet's address store holds an address for) with their addresses; other namespaces named apart; all nodes in parallel")
      .argument('<file>', 'the cluster.yaml')
      .argument('[node]', 'only this node')
      .option('-f, --forks <n>', 'how many nodes to work on at once', parseForks, 10),
  ).action(async (file: string, node: string | undefined, options: PodCommandOptions) => {
    await (await import('../pod-command.js')).podListAction(file, node, options);
  });
}
