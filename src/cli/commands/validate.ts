// `podnet validate FILE…`: its options and --help; the work is in ../validate-command.ts, loaded when
// it runs.
import { Option, type Command } from 'commander';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check cluster files offline: every problem at once as file:line:col (exit 0 valid, 1 invalid)')
    .argument('<file...>', 'cluster.yaml files')
    .addOption(new Option('-o, --output <format>', 'output format: json prints one document {formatVersion, valid, files: [{file, valid, errors, warnings, summary}]}').choices(['text', 'json']).default('text'))
    .option('--no-local-files', "do not check the files cluster.yaml names on this machine (identityFile): for a CI job without the keys")
    .action(async (files: string[], opts: { output: 'text' | 'json'; localFiles: boolean }) => {
      (await import('../validate-command.js')).validateAction(files, opts);
    });
}
