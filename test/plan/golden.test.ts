// Walks test/golden/<case>/: cluster.yaml + observed fixtures → the expected plan text and JSON.
// UPDATE_GOLDEN=1 rewrites the expectations (review the diff before committing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadCluster } from '../../src/config/load-cluster.js';
import type { ManagementPath, ObservedState } from '../../src/model/types.js';
import { planCluster } from '../../src/plan/node-state.js';
import { parsePlanJson, renderPlanJson, renderPlanText } from '../../src/render/render-plan.js';
import { FIXTURE_ROOT, loadObserved } from '../support/ip-fixtures.js';
import { gatherFixture } from '../support/gather-fixtures.js';
import { parseGatherOutput } from '../../src/scripts/gather-script.js';

const GOLDEN_ROOT = join(process.cwd(), 'test', 'golden');
const update = process.env['UPDATE_GOLDEN'] === '1';

function observedOf(caseDir: string): Map<string, ObservedState> {
  const observed = new Map<string, ObservedState>();
  const root = join(caseDir, 'observed');
  for (const node of readdirSync(root).sort()) {
    const dir = join(root, node);
    const gatherFile = join(dir, 'gather');
    if (existsSync(gatherFile)) {
      // A captured gather (test/fixtures/gather): its ip state, SSH path and pods, as the other cases see a node.
      const { links, addresses, routes, ipForward, management, pods } = parseGatherOutput(gatherFixture(readFileSync(gatherFile, 'utf8').trim()), node, '');
      observed.set(node, { node, links, addresses, routes, ipForward, ...(management !== undefined ? { management } : {}), ...(pods !== undefined ? { pods } : {}) });
      continue;
    }
    const fixtureFile = join(dir, 'fixture');
    const source = existsSync(fixtureFile) ? join(FIXTURE_ROOT, readFileSync(fixtureFile, 'utf8').trim()) : dir;
    const managementFile = join(dir, 'management.json');
    const management = existsSync(managementFile) ? (JSON.parse(readFileSync(managementFile, 'utf8')) as ManagementPath) : undefined;
    observed.set(node, loadObserved(source, node, management));
  }
  return observed;
}

function checkGolden(file: string, actual: string): void {
  if (update || !existsSync(file)) {
    writeFileSync(file, actual);
    if (!update) assert.fail(`${relative(process.cwd(), file)} did not exist; written — review it and run again`);
    return;
  }
  assert.equal(actual, readFileSync(file, 'utf8'), `${relative(process.cwd(), file)} differs (UPDATE_GOLDEN=1 rewrites it)`);
}

/** Directories of other goldens (test/render/markdown.test.ts, junit.test.ts), not plan cases. */
const NOT_PLAN_CASES = new Set(['markdown', 'junit']);

const cases = readdirSync(GOLDEN_ROOT, { withFileTypes: true })
  .filter((e) => e.isDirectory() && !NOT_PLAN_CASES.has(e.name))
  .map((e) => e.name)
  .sort();

test('golden cases exist', () => {
  assert.ok(cases.length >= 10, `found ${cases.length} cases`);
});

for (const name of cases) {
  test(`golden: ${name}`, () => {
    const caseDir = join(GOLDEN_ROOT, name);
    const file = relative(process.cwd(), join(caseDir, 'cluster.yaml'));
    const loaded = loadCluster(readFileSync(file, 'utf8'), file, { readFile: (p) => readFileSync(p, 'utf8'), homeDir: '/home/golden' });
    if (!loaded.ok) assert.fail(`${file} does not load: ${JSON.stringify(loaded.diagnostics)}`);
    const plan = planCluster(loaded.cluster, observedOf(caseDir));
    const json = renderPlanJson(plan);
    checkGolden(join(caseDir, 'plan.txt'), renderPlanText(plan, { color: false }));
    checkGolden(join(caseDir, 'plan.json'), json);
    // A saved plan reads back to the same plan.
    assert.equal(renderPlanJson(parsePlanJson(json)), json);
  });
}
