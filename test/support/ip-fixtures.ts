// Loads the captured `ip -j` fixtures (test/fixtures/ip/<case>/) as observed state.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIpAddrs, parseIpForward, parseIpLinks, parseIpRoutes } from '../../src/state/ip-json.js';
import type { ManagementPath, ObservedState } from '../../src/model/types.js';

export const FIXTURE_ROOT = join(process.cwd(), 'test', 'fixtures', 'ip');

/** The captured case names (directories under test/fixtures/ip), sorted. */
export function fixtureCases(): string[] {
  return readdirSync(FIXTURE_ROOT, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

export function readFixtureFile(caseName: string, file: string): string {
  return readFileSync(join(FIXTURE_ROOT, caseName, file), 'utf8');
}

/** Observed state of a fixture directory (a case name under test/fixtures/ip, or an absolute path). */
export function loadObserved(caseOrDir: string, node = 'node1', management?: ManagementPath): ObservedState {
  const dir = caseOrDir.startsWith('/') ? caseOrDir : join(FIXTURE_ROOT, caseOrDir);
  const read = (file: string): string => readFileSync(join(dir, file), 'utf8');
  const observed: ObservedState = {
    node,
    links: parseIpLinks(read('links.json')),
    addresses: parseIpAddrs(read('addrs.json')),
    routes: parseIpRoutes(read('routes.json')),
    ipForward: parseIpForward(read('ip_forward')),
  };
  if (management !== undefined) observed.management = management;
  return observed;
}
