// Drift in the plan's text and JSON: drift under its own heading before the changes cluster.yaml
// asks for (as Terraform's "Objects have changed outside of Terraform"), a first apply said in the
// node's header, origins, lastApply and summary.drift in the JSON and read back; a saved plan is not
// stale because an origin differs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Plan } from '../../src/model/plan.js';
import type { Cluster, ObservedState, ObservedStateFile } from '../../src/model/types.js';
import { desiredState } from '../../src/state/desired.js';
import { planNode } from '../../src/plan/plan-node.js';
import { summarisePlan } from '../../src/plan/summary.js';
import { stateRecord } from '../../src/plan/origin.js';
import { stalePlanReason } from '../../src/plan/saved-plan.js';
import { parsePlanJson, renderPlanJson, renderPlanText } from '../../src/render/render-plan.js';
import { classicCluster, classicSubnets } from '../support/classic-cluster.js';
import { loadObserved } from '../support/ip-fixtures.js';

const FACTS = { podnetVersion: '0.1.0', time: '2026-12-03T21:00:00.000Z', controller: 'root@ctl', cluster: 'cluster.yaml', clusterDigest: 'c'.repeat(64) };

function movedCluster(): Cluster {
  const cluster = classicCluster();
  cluster.nodes[2] = { ...cluster.nodes[2]!, subnet: '10.244.9.0/24' };
  return cluster;
}

/** node1 and node2 as an apply of the classic cluster left them, then: node1 lost its route to node2 by hand, node3's subnet moved in cluster.yaml. */
function driftPlan(): Plan {
  const before = classicCluster();
  const now = movedCluster();
  const nodes = [
    { name: 'node1', address: '192.168.1.11', fixture: 'converged', edit: (o: ObservedState) => (o.routes = o.routes.filter((r) => r.dst !== '10.244.2.0/24')) },
    { name: 'node2', address: '192.168.1.12', fixture: 'converged-node2', edit: () => {} },
  ].map(({ name, address, fixture, edit }) => {
    const stateFile: ObservedStateFile = { state: 'recorded', record: stateRecord(desiredState(before, classicSubnets(before), name), { node: name, conflicts: [] }, FACTS) };
    const observed = loadObserved(fixture, name);
    observed.stateFile = stateFile;
    edit(observed);
    return planNode(desiredState(now, classicSubnets(now), name), observed, { podCidr: now.podCidr, nodeAddress: address });
  });
  return { formatVersion: 2, cluster: 'cluster.yaml', nodes, summary: summarisePlan(nodes) };
}

test('text: drift under its own heading, then the changes cluster.yaml asks for', () => {
  const text = renderPlanText(driftPlan(), { color: false });
  assert.equal(
    text,
    [
      'Objects have changed outside of podnet (drift):',
      'podnet applied these objects on the node, and the node no longer matches what it',
      'applied (someone or something changed it); this plan puts them back.',
      '',
      'node1 (192.168.1.11, pods 10.244.1.0/24)',
      '  + route 10.244.2.0/24 via 192.168.1.12   (missing)',
      '',
      'Changes cluster.yaml asks for:',
      '',
      'node1 (192.168.1.11, pods 10.244.1.0/24)',
      '  - route 10.244.3.0/24 via 192.168.1.13',
      '      (stale: no node has subnet 10.244.3.0/24)',
      '  + route 10.244.9.0/24 via 192.168.1.13   (missing)',
      '',
      'node2 (192.168.1.12, pods 10.244.2.0/24)',
      '  - route 10.244.3.0/24 via 192.168.1.13',
      '      (stale: no node has subnet 10.244.3.0/24)',
      '  + route 10.244.9.0/24 via 192.168.1.13   (missing)',
      '',
      'Plan: 3 to add, 0 to change, 2 to destroy. Drift: 1 object changed outside of',
      'podnet.',
      '',
    ].join('\n'),
  );
});

test('text: a node whose only changes are drift says so in the section of cluster.yaml\'s changes', () => {
  const plan = driftPlan();
  plan.nodes = [plan.nodes[0]!];
  plan.nodes[0]!.changes = plan.nodes[0]!.changes.filter((c) => c.origin === 'drift');
  plan.summary = summarisePlan(plan.nodes);
  const text = renderPlanText(plan, { color: false });
  assert.match(text, /Changes cluster\.yaml asks for:\n\nnode1 \(192\.168\.1\.11, pods 10\.244\.1\.0\/24\)\n {2}No changes from cluster\.yaml on node1; only the drift above is put back\.\n/);
  assert.doesNotMatch(text, /in sync/);
});

test('text: without drift the plan reads as before; a first apply is said in the header', () => {
  const cluster = classicCluster();
  const observed = loadObserved('empty');
  observed.stateFile = { state: 'missing' };
  const node = planNode(desiredState(cluster, classicSubnets(cluster), 'node1'), observed, { podCidr: cluster.podCidr, nodeAddress: '192.168.1.11' });
  const text = renderPlanText({ formatVersion: 2, cluster: 'cluster.yaml', nodes: [node], summary: summarisePlan([node]) }, { color: false });
  assert.match(text, /^node1 \(192\.168\.1\.11, pods 10\.244\.1\.0\/24, first apply\)\n/);
  assert.doesNotMatch(text, /drift|outside of podnet|cluster\.yaml asks/i);
  assert.match(text, /\nPlan: 4 to add, 1 to change, 0 to destroy\.\n$/);
  // In sync: no first-apply tag (nothing is applied); podnet's objects without a state file are warned about.
  const synced = planNode(desiredState(cluster, classicSubnets(cluster), 'node1'), Object.assign(loadObserved('converged'), { stateFile: { state: 'missing' } as const }), { podCidr: cluster.podCidr, nodeAddress: '192.168.1.11' });
  assert.match(renderPlanText({ formatVersion: 2, cluster: 'c', nodes: [synced], summary: summarisePlan([synced]) }, { color: false }), /^node1 \(192\.168\.1\.11, pods 10\.244\.1\.0\/24\)\n {2}warning: podnet's objects are here but its state file\n[^]*\n {2}No changes\. node1 is in sync\./);
});

test('JSON: every change carries its origin, each node its lastApply, the summary drift; all read back', () => {
  const plan = driftPlan();
  const json = renderPlanJson(plan);
  const value = JSON.parse(json) as { summary: { drift: number }; nodes: { lastApply: unknown; changes: { key: string; origin: string }[] }[] };
  assert.equal(value.summary.drift, 1);
  assert.deepEqual(value.nodes[0]!.lastApply, { clusterDigest: FACTS.clusterDigest, controller: 'root@ctl', state: 'recorded', time: FACTS.time });
  assert.deepEqual(value.nodes[0]!.changes.map((c) => `${c.key} ${c.origin}`), ['10.244.3.0/24 change', '10.244.2.0/24 drift', '10.244.9.0/24 change']);
  const back = parsePlanJson(json);
  assert.equal(back.summary.drift, 1);
  assert.deepEqual(back.nodes[0]!.lastApply, plan.nodes[0]!.lastApply);
  assert.deepEqual(back.nodes.flatMap((n) => n.changes.map((c) => c.origin)), plan.nodes.flatMap((n) => n.changes.map((c) => c.origin)));
  assert.equal(renderPlanJson(back), json);
  assert.throws(() => parsePlanJson(json.replace('"origin": "drift"', '"origin": "weather"')), /origin: expected one of drift, change, first-apply/);
  assert.throws(() => parsePlanJson(json.replace('"state": "recorded"', '"state": "lost"')), /lastApply\.state: expected one of recorded, missing, damaged/);
});

test('a saved plan is not stale because a change\'s origin differs (only what apply does counts)', () => {
  const saved = parsePlanJson(renderPlanJson(driftPlan()));
  const fresh = driftPlan();
  for (const change of fresh.nodes[0]!.changes) change.origin = 'first-apply';
  delete fresh.nodes[0]!.lastApply;
  assert.equal(stalePlanReason(saved, fresh), null);
  // What apply does still counts: another gateway stales it.
  const other = driftPlan();
  const route = other.nodes[0]!.changes.find((c) => c.kind === 'route' && c.action === 'create');
  (route!.after as { gateway: string }).gateway = '192.168.1.99';
  assert.match(stalePlanReason(saved, other) ?? '', /node1 changed since it was planned: route/);
});
