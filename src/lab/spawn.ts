// Runs a program to completion and captures its output (no shell involved).
import { spawn } from 'node:child_process';
import type { LabExecResult } from './lab-types.js';

export interface SpawnOptions {
  input?: string;
}

export function spawnCommand(argv: readonly string[], opts: SpawnOptions = {}): Promise<LabExecResult> {
  const [program, ...args] = argv;
  if (program === undefined) return Promise.reject(new Error('spawnCommand: empty argv'));
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({
        code: code ?? (signal === null ? 1 : 128),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    // A program that exits without reading its stdin must not crash us with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Like spawnCommand, but a non-zero exit is an Error carrying the command and its stderr. */
export async function runChecked(argv: readonly string[], opts: SpawnOptions = {}): Promise<string> {
  const r = await spawnCommand(argv, opts);
  if (r.code !== 0) {
    throw new Error(`\`${argv.join(' ')}\` exited with ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r.stdout;
}
