#!/usr/bin/env node
// Bundles the command line after tsc (issue 12, start-up): dist/src/cli/program.js and everything it
// imports, the packages included, into dist/src/cli/bundle/ with esbuild: program.js plus one chunk
// per part the commands import lazily (./commands/* load their work with `await import`), so that a
// command still loads only what it uses, from a few files instead of some hundred. Node 20 has no
// module compile cache: each module file costs a read, a resolution and a compile.
//
// dist/src/cli/main.js (tsc's, not bundled) prints --version by itself and imports
// ./bundle/program.js (or ./program.js when there is no bundle: tsx, a tsc-only build). The modules
// tsc wrote stay as they are: the unit tests import them. ssh2 stays outside (a native addon);
// nothing else is. Run by `npm run build`, `npm run prepare` and `npm run test:unit` after tsc.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist/src/cli/bundle');

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'dist/src/cli/program.js')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['ssh2'],
  // Smaller files parse faster; names are kept so that an internal error's stack stays readable.
  minifyWhitespace: true,
  minifySyntax: true,
  chunkNames: 'chunks/[name]-[hash]',
  // The CommonJS packages (commander, yaml, ip-num) call require() for node's own modules.
  banner: { js: "import{createRequire as __podnetCreateRequire}from'node:module';const require=__podnetCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
