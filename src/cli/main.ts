#!/usr/bin/env node
// The podnet executable. Start-up counts (issue 12): `podnet --version` loads nothing but the
// version; everything else starts in ./program.ts, and each command loads its work when it runs.
import { VERSION } from './version.js';

type Program = typeof import('./program.js');

/** The build's bundle of ./program.js (scripts/bundle-cli.mjs), else the modules themselves (tsx, a tsc-only build). */
async function loadProgram(): Promise<Program> {
  const { loadBundle } = await import('./load-bundle.js');
  return loadBundle()?.program ?? import('./program.js');
}

async function run(argv: string[]): Promise<number> {
  // Commander prints the version as soon as it meets the option among the program's options; the
  // first word is the only place it can be without an error before it: same output, same exit.
  if (argv[0] === '--version' || argv[0] === '-V') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const { main } = await loadProgram();
  return main(argv);
}

/**
 * Exit once stdout and stderr are written out. Into a pipe, what the reader has not taken yet (beyond
 * the pipe's 64 KiB) waits in Node's queue, and process.exit would drop it: `podnet diff -o json | jq`
 * of a few dozen nodes got a cut plan. An empty write's callback runs after every earlier write.
 * A reader that went away (EPIPE, `| head`) ends the wait as well.
 */
function exitWhenWritten(code: number): void {
  let pending = 2;
  const done = (): void => {
    if (--pending === 0) process.exit(code);
  };
  for (const stream of [process.stdout, process.stderr]) {
    let settled = false;
    const once = (): void => {
      if (settled) return;
      settled = true;
      done();
    };
    stream.on('error', once);
    stream.write('', once);
  }
}

run(process.argv.slice(2)).then(exitWhenWritten, async (err: unknown) => {
  const { escapeControlKeepNewlines } = await import('../render/terminal-safe.js');
  process.stderr.write(`podnet: internal error: ${escapeControlKeepNewlines(err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`);
  exitWhenWritten(1);
});
