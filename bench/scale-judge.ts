// What bench/scale.ts asks of verify's JSON, apart from the bench so that it can be tested (test/bench/scale-judge.test.ts).

export interface VerifyCellJson {
  from: string;
  to: string;
  status: 'pass' | 'fail' | 'not-run';
  causes?: string[];
}
export interface VerifyJson {
  checks: { id: string; cells: VerifyCellJson[] }[];
  summary: { passed: number; failed: number; notRun: number };
}

export function cellCounts(report: VerifyJson): { cells: number; failed: number; notRun: number } {
  const cells = report.checks.flatMap((c) => c.cells);
  return { cells: cells.length, failed: cells.filter((c) => c.status === 'fail').length, notRun: cells.filter((c) => c.status === 'not-run').length };
}

/** A cause with its direction note dropped: "(requests)" and "(replies)" name the same fault. */
const causeKey = (cause: string): string => cause.replace(/ \((requests|replies)\)/, '');

/**
 * The break check: every failed cell names one of the two faults made, both are named, and no cell
 * fails for anything else. Returns what is wrong ([] when verify named exactly those two causes).
 */
export function judgeBreak(report: VerifyJson, code: number, brokenRoute: { node: string; peer: string; subnet: string }, noForward: string): string[] {
  const problems: string[] = [];
  if (code !== 1) problems.push(`verify exited ${code}, not 1`);
  const isRoute = (c: string): boolean => c.startsWith(`${brokenRoute.node} has no route to ${brokenRoute.peer}'s pods`) && c.includes(brokenRoute.subnet);
  const isForward = (c: string): boolean => c.startsWith(`ip_forward is off on ${noForward}`);
  const seen = new Set<string>();
  for (const check of report.checks) {
    for (const cell of check.cells) {
      if (cell.status !== 'fail') continue;
      const first = cell.causes?.[0] ?? '(no cause)';
      if (!isRoute(first) && !isForward(first)) problems.push(`${check.id} ${cell.from} → ${cell.to} failed for another cause: ${first}`);
      else seen.add(isRoute(first) ? 'route' : 'forward');
      const involved = [cell.from, cell.to];
      const routePair = involved.includes(brokenRoute.node) && involved.includes(brokenRoute.peer);
      if (!routePair && !involved.includes(noForward)) problems.push(`${check.id} ${cell.from} → ${cell.to} failed but touches neither fault`);
    }
  }
  if (!seen.has('route')) problems.push(`the deleted route (${brokenRoute.node} → ${brokenRoute.subnet}) was not named`);
  if (!seen.has('forward')) problems.push(`ip_forward off on ${noForward} was not named`);
  const causes = new Set(report.checks.flatMap((c) => c.cells.filter((x) => x.status === 'fail').map((x) => causeKey(x.causes?.[0] ?? ''))));
  if (causes.size !== 2) problems.push(`${causes.size} distinct causes named, not 2: ${[...causes].join(' | ')}`);
  return problems;
}

