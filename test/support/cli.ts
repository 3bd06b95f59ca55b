// Running the built podnet CLI from tests, as a user would (a fresh process, the repo root as cwd).
import { spawnSync } from 'node:child_process';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runPodnet(...args: string[]): CliResult {
  const r = spawnSync(process.execPath, ['dist/src/cli/main.js', ...args], { encoding: 'utf8', timeout: 90_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `podnet … --output json`, parsed; a run that printed no JSON fails with its output. */
export function runPodnetJson<T>(...args: string[]): { code: number | null; report: T; stderr: string } {
  const r = runPodnet(...args, '--output', 'json');
  try {
    return { code: r.code, report: JSON.parse(r.stdout) as T, stderr: r.stderr };
  } catch {
    throw new Error(`not JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}
