import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Change, Plan } from '../../src/model/types.js';
import { parsePlanJson, renderPlanJson } from '../../src/render/render-plan.js';
import { stalePlanReason } from '../../src/plan/saved-plan.js';

const route = (dst: string): Change => ({
  action: 'create',
  kind: 'route',
  object: `route ${dst}`,
  reason: 'missing',
  after: { dst, gateway: '192.168.1.12', protocol: '201' },
  argv: ['ip', 'route', 'replace', dst, 'via', '192.168.1.12', 'proto', '201'],
});

function plan(changes: Change[], nodes = ['node1', 'node2'], cluster = 'cluster.yaml'): Plan {
  return {
    formatVersion: 1,
    cluster,
    nodes: nodes.map((node) => ({ node, address: '192.168.1.11', subnet: '10.244.1.0/24', changes: node === 'node1' ? changes : [], conflicts: [] })),
    summary: { add: changes.length, change: 0, destroy: 0, conflicts: 0, refused: 0 },
  };
}

test('a saved plan read back from JSON matches the same fresh plan (the cluster path may differ)', () => {
  const saved = parsePlanJson(renderPlanJson(plan([route('10.244.2.0/24')], undefined, './cluster.yaml')));
  assert.equal(stalePlanReason(saved, plan([route('10.244.2.0/24')])), null);
});

test('a plan is stale once a node would get other changes, or the nodes differ', () => {
  assert.match(stalePlanReason(plan([route('10.244.2.0/24')]), plan([route('10.244.3.0/24')])) ?? '', /^node1 changed since it was planned/);
  assert.match(stalePlanReason(plan([route('10.244.2.0/24')]), plan([])) ?? '', /saved: 1 change\(s\), now: 0/);
  assert.match(stalePlanReason(plan([]), plan([], ['node1'])) ?? '', /covers node1, node2, this run covers node1/);
});
