// Drift, change or first apply: every branch of the origin classifier, on the planner's own plans
// of captured nodes with a state file as an apply of podnet would have written it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Change, NodePlan } from '../../src/model/plan.js';
import type { Cluster, DesiredState, ObservedState, ObservedStateFile, StateRecord } from '../../src/model/types.js';
import { desiredState } from '../../src/state/desired.js';
import { planNode } from '../../src/plan/plan-node.js';
import { summarisePlan } from '../../src/plan/summary.js';
import { appliedObjects, classifyChange, desiredObjectDigests, recordIsCurrent, stateRecord } from '../../src/plan/origin.js';
import { desiredObjectKeys } from '../../src/plan/converged.js';
import { STATE_FILE_PATH } from '../../src/state/state-file.js';
import { classicCluster, classicSubnets } from '../support/classic-cluster.js';
import { loadObserved } from '../support/ip-fixtures.js';

const CTX = { podCidr: '10.244.0.0/16', nodeAddress: '192.168.1.11' };
const FACTS = { podnetVersion: '0.1.0', time: '2026-12-03T21:00:00.000Z', controller: 'root@ctl', cluster: 'cluster.yaml', clusterDigest: 'c'.repeat(64) };

function desiredOf(cluster: Cluster = classicCluster(), node = 'node1'): DesiredState {
  return desiredState(cluster, classicSubnets(cluster), node);
}

/** The record an apply of `cluster` leaves on node1 (converged: nothing waits, nothing blocks). */
function recordOf(cluster: Cluster = classicCluster()): StateRecord {
  return stateRecord(desiredOf(cluster), { node: 'node1', conflicts: [] }, FACTS);
}

function observedWith(fixture: string, stateFile: ObservedStateFile | undefined, edit: (o: ObservedState) => void = () => {}): ObservedState {
  const observed = loadObserved(fixture);
  if (stateFile !== undefined) observed.stateFile = stateFile;
  edit(observed);
  return observed;
}

const rows = (plan: NodePlan): string[] => plan.changes.map((c) => `${c.action} ${c.kind} ${c.key}: ${c.origin ?? 'unknown'}`);

test('drift: an object podnet applied was deleted by hand (cluster.yaml unchanged)', () => {
  const observed = observedWith('converged', { state: 'recorded', record: recordOf() }, (o) => {
    o.routes = o.routes.filter((r) => r.dst !== '10.244.3.0/24');
  });
  const plan = planNode(desiredOf(), observed, CTX);
  assert.deepEqual(rows(plan), ['create route 10.244.3.0/24: drift']);
  assert.deepEqual(plan.lastApply, { state: 'recorded', clusterDigest: FACTS.clusterDigest, time: FACTS.time, controller: FACTS.controller });
  assert.equal(summarisePlan([plan]).drift, 1);
  assert.equal(plan.warnings, undefined);
});

test('drift: an object podnet applied was changed by hand (an update back to what it applied)', () => {
  const cluster = classicCluster({ bridge: { name: 'v-net-0', mtu: 1500 } });
  const observed = observedWith('converged', { state: 'recorded', record: recordOf(cluster) }, (o) => {
    const bridge = o.links.find((l) => l.name === 'v-net-0')!;
    bridge.mtu = 1400;
  });
  assert.deepEqual(rows(planNode(desiredOf(cluster), observed, CTX)), ['update link v-net-0: drift']);
});

test("change: cluster.yaml asks for another value than podnet applied (the update and the stale object's delete)", () => {
  // node3's subnet moved from 10.244.3.0/24 to 10.244.9.0/24 since the last apply.
  const moved = classicCluster();
  moved.nodes[2] = { ...moved.nodes[2]!, subnet: '10.244.9.0/24' };
  const observed = observedWith('converged', { state: 'recorded', record: recordOf() });
  const plan = planNode(desiredOf(moved), observed, CTX);
  assert.deepEqual(rows(plan), ['delete route 10.244.3.0/24: change', 'create route 10.244.9.0/24: change']);
  assert.equal(summarisePlan([plan]).drift, 0);
  // A changed MTU: the update is a change, not drift, although the node differs from the record too.
  const mtu = classicCluster({ bridge: { name: 'v-net-0', mtu: 9000 } });
  const withMtu = observedWith('converged', { state: 'recorded', record: recordOf(classicCluster({ bridge: { name: 'v-net-0', mtu: 1500 } })) });
  assert.deepEqual(rows(planNode(desiredOf(mtu), withMtu, CTX)), ['update link v-net-0: change']);
});

test('drift and change side by side on one node', () => {
  const moved = classicCluster();
  moved.nodes[2] = { ...moved.nodes[2]!, subnet: '10.244.9.0/24' };
  const observed = observedWith('converged', { state: 'recorded', record: recordOf() }, (o) => {
    o.routes = o.routes.filter((r) => r.dst !== '10.244.2.0/24');
  });
  const plan = planNode(desiredOf(moved), observed, CTX);
  assert.deepEqual(rows(plan), ['delete route 10.244.3.0/24: change', 'create route 10.244.2.0/24: drift', 'create route 10.244.9.0/24: change']);
  assert.equal(summarisePlan([plan]).drift, 1);
});

test('drift: an object marked as podnet\'s that podnet never applied; change: one it applied and no longer wants', () => {
  const observed = observedWith('converged', { state: 'recorded', record: recordOf() }, (o) => {
    o.routes.push({ dst: '10.244.77.0/24', gateway: '192.168.1.12', dev: 'eth0', protocol: '201' });
  });
  assert.deepEqual(rows(planNode(desiredOf(), observed, CTX)), ['delete route 10.244.77.0/24: drift']);
  const record = recordOf();
  record.objects['route 10.244.77.0/24'] = 'd'.repeat(64);
  observed.stateFile = { state: 'recorded', record };
  assert.deepEqual(rows(planNode(desiredOf(), observed, CTX)), ['delete route 10.244.77.0/24: change']);
});

test('change: a desired object the record never had (a new peer, or an apply that left it waiting)', () => {
  const record = recordOf();
  delete record.objects['route 10.244.3.0/24'];
  const observed = observedWith('converged', { state: 'recorded', record }, (o) => {
    o.routes = o.routes.filter((r) => r.dst !== '10.244.3.0/24');
  });
  assert.deepEqual(rows(planNode(desiredOf(), observed, CTX)), ['create route 10.244.3.0/24: change']);
});

test('a delete that serves a desired object (a rule out of order) follows that object: drift when podnet applied it so', () => {
  const digests = new Map([['rule filter PODNET-FORWARD x', 'e'.repeat(64)]]);
  const record = { ...recordOf(), objects: { 'rule filter PODNET-FORWARD x': 'e'.repeat(64) } };
  const change: Pick<Change, 'kind' | 'key' | 'action'> = { kind: 'rule', key: 'filter PODNET-FORWARD x', action: 'delete' };
  assert.equal(classifyChange(change, record, digests), 'drift');
  assert.equal(classifyChange(change, { ...record, objects: { 'rule filter PODNET-FORWARD x': 'f'.repeat(64) } }, digests), 'change');
  assert.equal(classifyChange(change, { ...record, objects: {} }, digests), 'change');
  // A key the record holds as an own property only: `constructor` is no recorded object.
  assert.equal(classifyChange({ kind: 'route', key: 'x', action: 'delete' }, { ...record, objects: {} }, new Map()), 'drift');
  assert.equal(classifyChange({ kind: 'constructor' as never, key: '', action: 'delete' }, { ...record, objects: {} }, new Map()), 'drift');
});

test('first apply: no state file on a fresh node, without a warning', () => {
  const plan = planNode(desiredOf(), observedWith('empty', { state: 'missing' }), CTX);
  assert.ok(plan.changes.length > 0);
  assert.ok(plan.changes.every((c) => c.origin === 'first-apply'));
  assert.deepEqual(plan.lastApply, { state: 'missing' });
  assert.equal(plan.warnings?.some((w) => w.code.startsWith('state-file')) ?? false, false);
  assert.equal(summarisePlan([plan]).drift, 0);
});

test("first apply with a warning: podnet's objects but no state file, or a damaged one", () => {
  const missing = planNode(desiredOf(), observedWith('converged', { state: 'missing' }, (o) => (o.routes = o.routes.filter((r) => r.dst !== '10.244.3.0/24'))), CTX);
  assert.deepEqual(rows(missing), ['create route 10.244.3.0/24: first-apply']);
  assert.deepEqual(missing.warnings, [{ code: 'state-file-missing', path: STATE_FILE_PATH }]);
  const damaged = planNode(desiredOf(), observedWith('converged', { state: 'damaged', problem: 'it is not JSON' }, (o) => (o.routes = o.routes.filter((r) => r.dst !== '10.244.3.0/24'))), CTX);
  assert.deepEqual(rows(damaged), ['create route 10.244.3.0/24: first-apply']);
  assert.deepEqual(damaged.lastApply, { state: 'damaged' });
  assert.deepEqual(damaged.warnings, [{ code: 'state-file-damaged', path: STATE_FILE_PATH, problem: 'it is not JSON' }]);
  // Damaged on a node in sync: still worth a warning (the next drift check could not tell).
  const inSync = planNode(desiredOf(), observedWith('converged', { state: 'damaged', problem: 'it is empty' }), CTX);
  assert.equal(inSync.changes.length, 0);
  assert.equal(inSync.warnings?.[0]?.code, 'state-file-damaged');
});

test('origins unknown when the gather did not read the state file: nothing is set', () => {
  const plan = planNode(desiredOf(), observedWith('empty', undefined), CTX);
  assert.ok(plan.changes.every((c) => c.origin === undefined));
  assert.equal(plan.lastApply, undefined);
  assert.equal(summarisePlan([plan]).drift, undefined);
});

test('the record holds every desired object the apply leaves in place, not a waiting route nor a blocked one', () => {
  const desired = desiredOf();
  const all = appliedObjects(desired, { conflicts: [] });
  assert.deepEqual(Object.keys(all).sort(), desiredObjectKeys(desired).sort());
  assert.deepEqual([...desiredObjectDigests(desired).keys()].sort(), desiredObjectKeys(desired).sort());
  const left = appliedObjects(desired, {
    waiting: [{ kind: 'route', key: '10.244.3.0/24', peer: 'node3', why: 'not-reached' }],
    conflicts: [{ node: 'node1', code: 'foreign-route-to-peer', kind: 'route', key: '10.244.2.0/24', found: { dst: '10.244.2.0/24', protocol: 'static' }, peer: 'node2' }],
  });
  assert.equal(left['route 10.244.3.0/24'], undefined);
  assert.equal(left['route 10.244.2.0/24'], undefined);
  assert.equal(Object.keys(left).length, Object.keys(all).length - 2);
  // A digest follows the desired value: another gateway, another digest.
  const moved = classicCluster();
  moved.nodes[1] = { ...moved.nodes[1]!, address: '192.168.1.22' };
  assert.notEqual(appliedObjects(desiredOf(moved), { conflicts: [] })['route 10.244.2.0/24'], all['route 10.244.2.0/24']);
  assert.equal(appliedObjects(desiredOf(), { conflicts: [] })['route 10.244.2.0/24'], all['route 10.244.2.0/24']);
});

test('a record is current when it holds exactly the objects an apply would record', () => {
  const desired = desiredOf();
  const plan = { conflicts: [] };
  const record = recordOf();
  assert.equal(recordIsCurrent({ state: 'recorded', record }, desired, plan), true);
  assert.equal(recordIsCurrent(undefined, desired, plan), true);
  assert.equal(recordIsCurrent({ state: 'missing' }, desired, plan), false);
  assert.equal(recordIsCurrent({ state: 'damaged', problem: 'x' }, desired, plan), false);
  const fewer = { ...record, objects: { ...record.objects } };
  delete fewer.objects['route 10.244.2.0/24'];
  assert.equal(recordIsCurrent({ state: 'recorded', record: fewer }, desired, plan), false);
  const other = { ...record, objects: { ...record.objects, 'route 10.244.2.0/24': '0'.repeat(64) } };
  assert.equal(recordIsCurrent({ state: 'recorded', record: other }, desired, plan), false);
  const more = { ...record, objects: { ...record.objects, 'route 10.244.99.0/24': '0'.repeat(64) } };
  assert.equal(recordIsCurrent({ state: 'recorded', record: more }, desired, plan), false);
});
