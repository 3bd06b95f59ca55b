// `podnet graph FILE`: its options and --help; the work is in ../graph-command.ts, loaded when it runs.
import { Option, type Command } from 'commander';
import { helpParagraph, parsePositive, parseSeconds } from '../options.js';

export interface GraphCommandOptions {
  format: 'mermaid' | 'dot' | 'svg';
  live: boolean;
  verify?: string;
  forks: number;
  verbose: boolean;
  acceptNewHosts: boolean;
  execTimeout?: number;
}

export function registerGraph(program: Command): void {
  program
    .command('graph')
    .description('draw the cluster: nodes with their bridge and pod subnet, the routes between them (or via the router), the pod CIDR')
    .argument('<file>', 'the cluster.yaml')
    .addOption(new Option('--format <format>', 'mermaid (renders in pull requests), dot (Graphviz), or svg (through Graphviz\'s dot, which must be installed)').choices(['mermaid', 'dot', 'svg']).default('mermaid'))
    .option('--live', 'gather the nodes over SSH (as diff does) and colour each route: in place, drifted (changed outside podnet), missing, or changed by cluster.yaml', false)
    .option('--verify <report.json>', 'colour each route by the cells of a `podnet verify -o json` report that crossed it: passed, failed, not run')
    .option('-f, --forks <n>', 'with --live: how many nodes to gather at once', parsePositive, 10)
    .option('-v, --verbose', 'with --live: show every command sent to a node', false)
    .option('--accept-new-hosts', 'with --live: record host keys of nodes not yet in known_hosts', false)
    .option('--exec-timeout <seconds>', 'with --live: how long one command on a node may run', parseSeconds)
    .addHelpText('after', `\n${helpParagraph('Writes the picture to stdout. Exit codes: 0 drawn, 1 error (bad input, dot missing for svg; with --live, a node not reached: it is drawn as not reached).')}`)
    .action(async (file: string, options: GraphCommandOptions) => {
      const { graphCommand } = await import('../graph-command.js');
      process.exitCode = await graphCommand(file, options);
    });
}
