// The podnet command line: wires values together, one catch at the boundary. The commands' options
// and --help live in ./commands/ (light); each action imports its work when it runs.
import { Command, CommanderError } from 'commander';
import { UserError } from '../model/errors.js';
import { registerCommands } from './commands/index.js';
import { escapeControlKeepNewlines } from '../render/terminal-safe.js';
import { VERSION } from './version.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('podnet')
    .description('Declarative pod networking for hand-built clusters: no overlay, no NAT.')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run podnet --help for usage)');
  registerCommands(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof UserError) {
      // A UserError may quote a node (a plugin's error, stderr): its control characters are escaped.
      process.stderr.write(`podnet: ${escapeControlKeepNewlines(err.message)}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
