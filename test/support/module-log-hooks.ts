// Module customization hooks (node:module register) that append every URL the program resolves to a
// file: which modules a command loads. Used through test/support/module-log.ts.
import { appendFileSync } from 'node:fs';

let logFile: string | undefined;

export function initialize(data: { logFile: string }): void {
  logFile = data.logFile;
}

interface ResolveResult {
  url: string;
}

export async function resolve(
  specifier: string,
  context: unknown,
  nextResolve: (specifier: string, context: unknown) => Promise<ResolveResult>,
): Promise<ResolveResult> {
  const result = await nextResolve(specifier, context);
  if (logFile !== undefined) appendFileSync(logFile, `${result.url}\n`);
  return result;
}
