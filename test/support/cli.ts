// Running the built podnet CLI from tests, as a user would (a fresh process, the repo root as cwd).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

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

/**
 * `node SCRIPT …args` with every module URL it resolves logged (test/support/module-log.ts): its
 * result and those URLs, made relative to the repository (`dist/src/…`, `node_modules/…`, `node:fs`).
 */
export function loadedModules(script: string, ...args: string[]): CliResult & { modules: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-modules-'));
  try {
    const log = join(dir, 'modules.log');
    const r = spawnSync(process.execPath, ['--import', './dist/test/support/module-log.js', script, ...args], {
      encoding: 'utf8',
      timeout: 90_000,
      env: { ...process.env, PODNET_MODULE_LOG: log },
    });
    const root = pathToFileURL(process.cwd()).href + '/';
    const urls = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
    const modules = [...new Set(urls.map((url) => (url.startsWith(root) ? url.slice(root.length) : url)))].sort();
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, modules };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
