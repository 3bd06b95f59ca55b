import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Change, Conflict, Plan, Refusal } from '../../src/model/plan.js';
import { parsePlanJson, renderPlanJson } from '../../src/render/render-plan.js';
import { stalePlanReason } from '../../src/plan/saved-plan.js';

const route = (dst: string, gateway = '192.168.1.12'): Change => ({
  kind: 'route',
  key: dst,
  action: 'create',
  after: { dst, gateway, protocol: '201' },
  reason: { code: 'missing' },
  steps: [{ run: 'ip', args: ['route', 'replace', dst, 'via', gateway, 'proto', '201'] }],
});

interface Extra {
  conflicts?: Conflict[];
  refused?: Refusal;
}

function plan(changes: Change[], nodes = ['node1', 'node2'], cluster = 'cluster.yaml', extra: Extra = {}): Plan {
  return {
    formatVersion: 2,
    cluster,
    nodes: nodes.map((node) => ({
      node,
      address: '192.168.1.11',
      subnet: '10.244.1.0/24',
      changes: node === 'node1' ? changes : [],
      conflicts: node === 'node1' ? (extra.conflicts ?? []) : [],
      ...(node === 'node1' && extra.refused !== undefined ? { refused: extra.refused } : {}),
    })),
    summary: { add: changes.length, change: 0, destroy: 0, conflicts: extra.conflicts?.length ?? 0, refused: extra.refused !== undefined ? 1 : 0 },
  };
}

const foreignRoute = (gateway: string): Conflict => ({
  node: 'node1',
  code: 'foreign-route-to-peer',
  kind: 'route',
  key: '10.244.3.0/24',
  found: { dst: '10.244.3.0/24', gateway, protocol: 'static' },
  peer: 'node3',
});

const refusal = (dst: string): Refusal => ({
  nodeAddress: '192.168.1.11',
  management: { dev: 'eth0', localAddress: '192.168.1.11', peerAddress: '192.168.1.1' },
  offences: [{ kind: 'route', key: dst, action: 'create', takes: { address: '192.168.1.1', what: 'ssh-client' } }],
});

test('a saved plan read back from JSON matches the same fresh plan (the cluster path may differ)', () => {
  const saved = parsePlanJson(renderPlanJson(plan([route('10.244.2.0/24')], undefined, './cluster.yaml')));
  assert.equal(stalePlanReason(saved, plan([route('10.244.2.0/24')])), null);
  const withExtras = { conflicts: [foreignRoute('192.168.1.99')], refused: refusal('192.168.1.0/24') };
  const savedExtras = parsePlanJson(renderPlanJson(plan([route('10.244.2.0/24')], undefined, 'cluster.yaml', withExtras)));
  assert.equal(stalePlanReason(savedExtras, plan([route('10.244.2.0/24')], undefined, 'cluster.yaml', withExtras)), null);
});

test('a plan is stale once a node would get other changes, or the nodes differ', () => {
  assert.match(stalePlanReason(plan([route('10.244.2.0/24')]), plan([route('10.244.3.0/24')])) ?? '', /^node1 changed since it was planned: route 10\.244\.2\.0\/24/);
  assert.match(stalePlanReason(plan([route('10.244.2.0/24')]), plan([])) ?? '', /saved: 1 change\(s\), now: 0/);
  assert.match(stalePlanReason(plan([]), plan([route('10.244.2.0/24')])) ?? '', /^node1 changed since it was planned: route 10\.244\.2\.0\/24 \(saved: 0 change\(s\), now: 1\)/);
  assert.match(stalePlanReason(plan([]), plan([], ['node1'])) ?? '', /covers node1, node2, this run covers node1/);
});

test('staleness compares data, never reason text: a reason of another code with the same object is not stale', () => {
  // The reason is how a change is worded (rendered by sentences.ts); rewording it, or a reason code
  // that renders differently, must not stale a plan whose objects and steps are the same.
  const reworded: Change = { ...route('10.244.2.0/24'), reason: { code: 'stale-route-no-node' } };
  assert.equal(stalePlanReason(plan([route('10.244.2.0/24')]), plan([reworded])), null);
});

test('a changed key, action, before, after or step stales the plan, naming the object', () => {
  const base = route('10.244.2.0/24');
  const variants: [string, Change][] = [
    ['key', { ...base, key: '10.244.2.0/24 metric 100' }],
    ['action', { ...base, action: 'update' }],
    ['before', { ...base, action: 'create', before: { dst: '10.244.2.0/24', gateway: '192.168.1.99', protocol: '201' } } as Change],
    ['after', route('10.244.2.0/24', '192.168.1.99')],
    ['step', { ...base, steps: [{ run: 'ip', args: ['route', 'replace', '10.244.2.0/24', 'via', '192.168.1.98', 'proto', '201'] }] }],
    ['extra step', { ...base, steps: [...base.steps, { run: 'ip', args: ['route', 'flush', 'cache'] }] }],
    ['kind', { ...base, kind: 'link', after: { name: '10.244.2.0/24' } } as Change],
  ];
  for (const [what, changed] of variants) {
    assert.match(stalePlanReason(plan([base]), plan([changed])) ?? '', /^node1 changed since it was planned: (route|link) 10\.244\.2\.0\/24/, what);
    assert.match(stalePlanReason(plan([changed]), plan([base])) ?? '', /^node1 changed since it was planned/, `${what} (reversed)`);
  }
});

test('the order of changes matters: the same objects in another order are another plan', () => {
  const a = route('10.244.2.0/24');
  const b = route('10.244.3.0/24');
  assert.match(stalePlanReason(plan([a, b]), plan([b, a])) ?? '', /^node1 changed since it was planned: route 10\.244\.2\.0\/24/);
});

test('other conflicts stale the plan, and so does a changed conflict value', () => {
  const r = route('10.244.2.0/24');
  const one = { conflicts: [foreignRoute('192.168.1.99')] };
  assert.match(stalePlanReason(plan([r], undefined, undefined, one), plan([r])) ?? '', /^node1 has other conflicts than when it was planned/);
  assert.match(stalePlanReason(plan([r]), plan([r], undefined, undefined, one)) ?? '', /^node1 has other conflicts/);
  assert.match(stalePlanReason(plan([r], undefined, undefined, one), plan([r], undefined, undefined, { conflicts: [foreignRoute('192.168.1.98')] })) ?? '', /^node1 has other conflicts/);
});

test('a refusal that appears, goes or changes stales the plan', () => {
  const r = route('10.244.2.0/24');
  const refused = { refused: refusal('192.168.1.0/24') };
  assert.match(stalePlanReason(plan([r], undefined, undefined, refused), plan([r])) ?? '', /^node1's management path changed since it was planned/);
  assert.match(stalePlanReason(plan([r]), plan([r], undefined, undefined, refused)) ?? '', /management path changed/);
  assert.match(stalePlanReason(plan([r], undefined, undefined, refused), plan([r], undefined, undefined, { refused: refusal('192.168.0.0/16') })) ?? '', /management path changed/);
});

test('a plan of no node, or a run of no node, says so', () => {
  const none: Plan = { ...plan([]), nodes: [] };
  assert.equal(stalePlanReason(none, plan([])), 'it covers no node, this run covers node1, node2');
  assert.equal(stalePlanReason(plan([]), none), 'it covers node1, node2, this run covers no node');
});

test('a route that waits for another host than when the plan was saved stales the plan', () => {
  const r = route('10.244.2.0/24');
  const waitingFor = (peer: string): Plan => {
    const p = plan([r]);
    (p.nodes[0] as Plan['nodes'][number]).waiting = [{ kind: 'route', key: '10.244.3.0/24', peer, why: 'not-reached' }];
    return p;
  };
  assert.equal(stalePlanReason(waitingFor('node3'), waitingFor('node3')), null);
  assert.equal(stalePlanReason(waitingFor('node3'), waitingFor('node2')), 'node1 waits for other hosts than when it was planned');
  assert.equal(stalePlanReason(plan([r]), waitingFor('node3')), 'node1 waits for other hosts than when it was planned');
  assert.equal(stalePlanReason(waitingFor('node3'), plan([r])), 'node1 waits for other hosts than when it was planned');
});

