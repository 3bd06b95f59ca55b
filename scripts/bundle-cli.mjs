#!/usr/bin/env node
// Bundles the command line after tsc (issue 12, start-up). Node 20 has no module compile cache:
// every module file costs a resolution, a read and a compile at each start. So the build writes
//
//   dist/src/cli/bundle/program.cjs        dist/src/cli/program.js and everything it imports, the
//                                          packages included (esbuild, one CommonJS file; ssh2, a
//                                          native addon, stays outside). The commands' work is still
//                                          imported lazily: esbuild turns each `await import()` into
//                                          a module initialised when the action runs.
//   dist/src/cli/bundle/program.cjs.cache  V8's code cache of that file, made here by loading it
//                                          and running `--help`, `diff --help`, `validate` of the
//                                          example cluster and `diff` of a missing file in a process
//                                          of its own: node then skips parsing and compiling what
//                                          those ran. V8 refuses a cache made by
//                                          another V8 or for another text, and compiles as usual.
//
// dist/src/cli/main.js (tsc's, not bundled) prints --version by itself and loads the bundle with
// ./load-bundle.js, or ./program.js when there is no bundle (tsx, a tsc-only build). The modules
// tsc wrote stay as they are: the unit tests import them. Run by `npm run build`, `npm run
// prepare` and `npm run test:unit` after tsc.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist/src/cli/bundle');
const outfile = join(outdir, 'program.cjs');

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'dist/src/cli/program.js')],
  outfile,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['ssh2'],
  // Smaller text to read; names are kept so that an internal error's stack stays readable.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});

// The code cache, made by dist/src/cli/load-bundle.js (the same vm.Script as at run time) in a
// process of its own, after the commands whose start-up matters ran there.
const made = spawnSync(
  process.execPath,
  ['--input-type=module', '-e', "const { makeCodeCache } = await import('./dist/src/cli/load-bundle.js'); await makeCodeCache('examples/seed-3-nodes/cluster.yaml');"],
  { cwd: root, encoding: 'utf8' },
);
if (made.status !== 0) {
  process.stderr.write(`bundle-cli: making the code cache failed (exit ${made.status}):\n${made.stderr}`);
  process.exit(1);
}
