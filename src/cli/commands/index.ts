// Every subcommand lives in a file of its own and registers itself here.
import type { Command } from 'commander';
import { registerValidate } from './validate.js';
import { registerLab } from './lab.js';

export function registerCommands(program: Command): void {
  void program;
  registerValidate(program);
  registerLab(program);
}
