// What a command run in-process writes to stdout and stderr, captured as text.

/** Runs a command with what it writes to stdout and stderr captured (strings only: the test runner's own output passes). */
export async function captureBoth(run: () => Promise<number>): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  const hook = (into: string[], write: typeof writeOut) =>
    ((chunk: string | Uint8Array, ...rest: never[]) => (typeof chunk === 'string' ? into.push(chunk) > 0 : write(chunk, ...rest))) as typeof process.stdout.write;
  process.stdout.write = hook(out, writeOut);
  process.stderr.write = hook(err, writeErr);
  try {
    const code = await run();
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
  }
}

/** Runs a command with `-o json` and parses the one document it writes to stdout. */
export async function captureJson(run: () => Promise<number>): Promise<{ code: number; report: Record<string, unknown> }> {
  const { code, stdout } = await captureBoth(run);
  return { code, report: JSON.parse(stdout) as Record<string, unknown> };
}
