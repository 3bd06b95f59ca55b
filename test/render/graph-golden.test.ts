// podnet graph's pure renderers against golden files (test/golden-graph/<case>/): the cluster loaded
// with the real loader, subnets allocated, then --live's plan and --verify's report applied as the
// command does; Mermaid and DOT byte for byte. UPDATE_GOLDEN=1 rewrites the expectations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadCluster } from '../../src/config/load-cluster.js';
import { allocateSubnets } from '../../src/state/subnets.js';
import { buildGraph, liveSubnets, renderDot, renderMermaid, withLive, withVerify } from '../../src/render/graph.js';
import type { Plan } from '../../src/model/plan.js';
import type { VerifyReport } from '../../src/model/verify.js';

const ROOT = join(process.cwd(), 'test', 'golden-graph');
const update = process.env['UPDATE_GOLDEN'] === '1';

function checkGolden(file: string, actual: string): void {
  if (update) writeFileSync(file, actual);
  assert.equal(actual, readFileSync(file, 'utf8'), `${relative(process.cwd(), file)} differs (UPDATE_GOLDEN=1 rewrites it)`);
}

const cases = readdirSync(ROOT, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

test('there are golden graph cases', () => {
  assert.deepEqual(cases, ['gateway', 'host-gw', 'live', 'live-verify', 'verify']);
});

for (const name of cases) {
  test(`golden graph: ${name}`, () => {
    const dir = join(ROOT, name);
    const file = join(dir, 'cluster.yaml');
    const loaded = loadCluster(readFileSync(file, 'utf8'), file, { readFile: (p) => readFileSync(p, 'utf8'), homeDir: '/home/golden' });
    assert.ok(loaded.ok, JSON.stringify(loaded));
    let graph = buildGraph(loaded.cluster, allocateSubnets(loaded.cluster).subnets, 'cluster.yaml');
    if (existsSync(join(dir, 'plan.json'))) {
      const unreached = existsSync(join(dir, 'unreached')) ? readFileSync(join(dir, 'unreached'), 'utf8').split('\n').filter(Boolean) : [];
      graph = withLive(graph, JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as Plan, new Set(unreached));
    }
    if (existsSync(join(dir, 'verify.json'))) graph = withVerify(graph, JSON.parse(readFileSync(join(dir, 'verify.json'), 'utf8')) as VerifyReport);
    const mermaid = renderMermaid(graph);
    const dot = renderDot(graph);
    checkGolden(join(dir, 'graph.mmd'), mermaid);
    checkGolden(join(dir, 'graph.dot'), dot);
    // Byte-stable: the same input renders the same bytes.
    assert.equal(renderMermaid(graph), mermaid);
    assert.equal(renderDot(graph), dot);
  });
}

test('liveSubnets: the plan\'s subnet of a node (its bridge kept) wins over cluster.yaml\'s allocation; the router and removed hosts are not nodes', () => {
  const allocated = new Map([
    ['node1', '10.244.1.0/24'],
    ['node3', '10.244.2.0/24'],
  ]);
  const node = (name: string, subnet: string, role?: 'router' | 'removed'): Plan['nodes'][number] => ({ node: name, address: '', subnet, changes: [], conflicts: [], ...(role ? { role } : {}) });
  const plan = { nodes: [node('node3', '10.244.7.0/24'), node('router', '10.244.0.0/16', 'router'), node('gone', '10.244.9.0/24', 'removed')] } as Plan;
  assert.deepEqual(Object.fromEntries(liveSubnets(allocated, plan)), { node1: '10.244.1.0/24', node3: '10.244.7.0/24' });
  assert.equal(allocated.get('node3'), '10.244.2.0/24', 'the allocation is not changed');
});
