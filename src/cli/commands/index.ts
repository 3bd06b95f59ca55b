// Every subcommand lives in a file of its own and registers itself here.
import type { Command } from 'commander';
import { registerValidate } from './validate.js';
import { registerDiff } from './diff.js';
import { registerApply } from './apply.js';
import { registerLab } from './lab.js';
import { registerPod } from './pod.js';
import { registerDestroy } from './destroy.js';
import { registerVerify } from './verify.js';
import { registerGraph } from './graph.js';

export function registerCommands(program: Command): void {
  registerValidate(program);
  registerDiff(program);
  registerApply(program);
  registerLab(program);
  registerPod(program);
  registerDestroy(program);
  registerVerify(program);
  registerGraph(program);
}
