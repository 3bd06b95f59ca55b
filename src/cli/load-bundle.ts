// Loads the bundled command line, dist/src/cli/bundle/program.cjs (scripts/bundle-cli.mjs), with
// V8's code cache the build wrote beside it: node then neither parses nor compiles the code that
// start-up runs (Node 20 has no module compile cache of its own). V8 checks the cache against its
// own version, its flags and the text, and compiles as usual when it does not fit.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

type Program = typeof import('./program.js');

const BUNDLE = join(dirname(fileURLToPath(import.meta.url)), 'bundle', 'program.cjs');
const CODE_CACHE = `${BUNDLE}.cache`;

/** The bundle's text, or undefined when the build made none (tsx, tsc alone). */
function readBundle(): string | undefined {
  try {
    return readFileSync(BUNDLE, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function readCodeCache(): Buffer | undefined {
  try {
    return readFileSync(CODE_CACHE);
  } catch {
    return undefined;
  }
}

/** The bundled program, run as a CommonJS module, and its script (whose cache V8 took or refused). */
export function loadBundle(withCache = true): { program: Program; script: Script } | undefined {
  const source = readBundle();
  if (source === undefined) return undefined;
  const cachedData = withCache ? readCodeCache() : undefined;
  // The CommonJS wrapper on the text's first line: line numbers in stacks stay those of the file.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: BUNDLE,
    ...(cachedData !== undefined ? { cachedData } : {}),
  });
  const module = { exports: {} as Program };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, createRequire(BUNDLE), module, BUNDLE, dirname(BUNDLE));
  return { program: module.exports, script };
}

/**
 * Build time (scripts/bundle-cli.mjs, in a process of its own): load the bundle without a cache,
 * run the commands whose start-up matters with their output thrown away, and write the code
 * cache of everything they compiled.
 */
export async function makeCodeCache(clusterFile: string): Promise<void> {
  const loaded = loadBundle(false);
  if (loaded === undefined) throw new Error(`no bundle at ${BUNDLE}`);
  const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  process.stdout.write = () => true;
  process.stderr.write = () => true;
  try {
    for (const argv of [['--help'], ['diff', '--help'], ['validate', '--no-local-files', clusterFile], ['diff', `${clusterFile}.missing`]]) {
      await loaded.program.main(argv);
    }
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
    process.exitCode = 0;
  }
  writeFileSync(CODE_CACHE, loaded.script.createCachedData());
}
