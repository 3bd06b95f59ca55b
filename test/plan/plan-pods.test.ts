// Pods in the plan (issue 11): the running pods a plan leaves without a network, per pod, from the
// real gather of a lab node with pods (test/fixtures/gather). Pure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Plan, PodDisruption } from '../../src/model/plan.js';
import type { ObservedState } from '../../src/model/types.js';
import { buildClusterState, planCluster } from '../../src/plan/node-state.js';
import { runningPods } from '../../src/plan/plan-pods.js';
import { stalePlanReason } from '../../src/plan/saved-plan.js';
import { parsePlanJson, renderPlanJson } from '../../src/render/render-plan.js';
import { desiredFilesOn } from '../support/gather-output.js';
import { gatherFixtureCluster, observedFromGather } from '../support/gather-fixtures.js';
import { loadObserved } from '../support/ip-fixtures.js';

const RUNTIME_ID = '3f2a9c1b7d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeef';
const original = gatherFixtureCluster('cluster');
const moved = gatherFixtureCluster('cluster-moved');

/** node1 and node3 as converged on the original cluster, node2 from a captured gather. */
function observedCluster(node2: ObservedState): Map<string, ObservedState> {
  return new Map([
    ['node1', loadObserved('converged', 'node1')],
    ['node2', node2],
    ['node3', loadObserved('converged-node3', 'node3')],
  ]);
}

function node2Of(plan: Plan): Plan['nodes'][number] {
  const node = plan.nodes.find((n) => n.node === 'node2');
  assert.ok(node, 'node2 is planned');
  return node;
}

/** `pod (addresses) cause` per disrupted pod. */
function summary(pods: readonly PodDisruption[] | undefined): string[] {
  return (pods ?? []).map((d) => `${d.pod}${d.netns !== undefined ? ` netns ${d.netns}` : ''} (${d.addresses.join(', ')}) ${JSON.stringify(d.cause)}`);
}

test('the running pods of a node: podnet pods by their namespace, a runtime pod by its veth; no probe pod, no leftover allocation', () => {
  const pods = runningPods(observedFromGather('node2-pods', original));
  assert.deepEqual(
    pods.map((p) => [p.pod, p.netns, p.addresses, p.bridge]),
    [
      [RUNTIME_ID, undefined, ['10.244.2.6'], 'v-net-0'],
      ['p2', 'p2', ['10.244.2.2'], 'v-net-0'],
      ['p3', 'p3', ['10.244.2.3'], 'v-net-0'],
    ],
  );
});

test('moving a subnet under running pods lists each pod, its address and why; the summary counts them', () => {
  const plan = planCluster(moved, observedCluster(observedFromGather('node2-pods', moved)));
  const node2 = node2Of(plan);
  const cause = JSON.stringify({ code: 'outside-subnet', subnet: '10.244.20.0/24', was: '10.244.2.0/24' });
  assert.deepEqual(summary(node2.disruptedPods), [`${RUNTIME_ID} (10.244.2.6) ${cause}`, `p2 netns p2 (10.244.2.2) ${cause}`, `p3 netns p3 (10.244.2.3) ${cause}`]);
  assert.equal(plan.summary.disruptedPods, 3);
  // The pods are no change of the plan: the address swap is still all it does on node2.
  assert.ok(node2.changes.some((c) => c.kind === 'address' && c.action === 'create' && c.key === '10.244.20.1/24 on v-net-0'));
  assert.ok(node2.changes.every((c) => c.kind !== 'pod'));
  // node1 and node3 only re-route: they have no pods.
  assert.deepEqual(plan.nodes.filter((n) => n.node !== 'node2').map((n) => n.disruptedPods), [undefined, undefined]);
});

test('without a subnet move the same pods are in the plan nowhere', () => {
  const plan = planCluster(original, observedCluster(observedFromGather('node2-pods', original, desiredFilesOn(original, 'node2'))));
  assert.equal(node2Of(plan).disruptedPods, undefined);
  assert.equal(plan.summary.disruptedPods, undefined);
  assert.deepEqual(node2Of(plan).changes, []);
});

test('drained pods leave the plan: after pod del (and the runtime removing its pod) nothing is disrupted', () => {
  const observed = observedFromGather('node2-pods', moved);
  const drained = new Set(['p2', 'p3', RUNTIME_ID]);
  const pods = observed.pods!;
  const after: ObservedState = {
    ...observed,
    links: observed.links.filter((l) => !(l.alias ?? '').startsWith(`podnet ${RUNTIME_ID}`) && !['p2', 'p3'].some((p) => l.alias === `podnet ${p} eth0`)),
    pods: { ...pods, netns: pods.netns.filter((n) => !drained.has(n)), allocations: pods.allocations.filter((a) => !drained.has(a.containerId)) },
  };
  const plan = planCluster(moved, observedCluster(after));
  assert.equal(node2Of(plan).disruptedPods, undefined);
  // Only p2 drained: p3 and the runtime's pod are still listed.
  const partly: ObservedState = { ...observed, pods: { ...pods, netns: pods.netns.filter((n) => n !== 'p2'), allocations: pods.allocations.filter((a) => a.containerId !== 'p2') } };
  assert.deepEqual(node2Of(planCluster(moved, observedCluster(partly))).disruptedPods?.map((d) => d.pod), [RUNTIME_ID, 'p3']);
});

test('pods an earlier apply stranded are a warning, not a disruption of this plan (it neither causes nor cures it)', () => {
  const plan = planCluster(moved, observedCluster(observedFromGather('node2-stranded', moved, desiredFilesOn(moved, 'node2'))));
  const node2 = node2Of(plan);
  assert.equal(node2.disruptedPods, undefined);
  assert.deepEqual(node2.changes, [], 'node2 itself is converged on the moved subnet');
  assert.deepEqual(
    (node2.warnings ?? []).filter((w) => w.code === 'pod-stranded'),
    [
      { code: 'pod-stranded', pod: RUNTIME_ID, addresses: ['10.244.2.6'], subnet: '10.244.20.0/24' },
      { code: 'pod-stranded', pod: 'p2', netns: 'p2', addresses: ['10.244.2.2'], subnet: '10.244.20.0/24' },
      { code: 'pod-stranded', pod: 'p3', netns: 'p3', addresses: ['10.244.2.3'], subnet: '10.244.20.0/24' },
    ],
  );
});

test('destroy: podnet pods it deletes and a runtime pod whose bridge it deletes are listed; the probe pod is deleted, not listed', () => {
  const state = buildClusterState(original, new Map([['node2', observedFromGather('node2-pods', original)]]), 'absent');
  const node2 = node2Of(state.plan);
  assert.deepEqual(summary(node2.disruptedPods), [
    `${RUNTIME_ID} (10.244.2.6) ${JSON.stringify({ code: 'bridge-deleted', bridge: 'v-net-0' })}`,
    `p2 netns p2 (10.244.2.2) {"code":"pod-deleted"}`,
    `p3 netns p3 (10.244.2.3) {"code":"pod-deleted"}`,
  ]);
  assert.ok(node2.changes.some((c) => c.kind === 'pod' && c.key === 'podnet-probe-abcd12-a'), 'the probe pod is still removed');
  assert.equal(state.plan.summary.disruptedPods, 3);
});

test('destroy of a node without running pods disrupts none (a leftover allocation is not a pod)', () => {
  const observed = observedFromGather('node2-pods', original);
  const pods = observed.pods!;
  const keep = new Set(['p9', 'podnet-probe-abcd12-a']);
  const empty: ObservedState = {
    ...observed,
    links: observed.links.filter((l) => l.alias === undefined || !l.alias.startsWith('podnet ') || l.alias.includes('probe')),
    pods: { ...pods, netns: pods.netns.filter((n) => keep.has(n)), allocations: pods.allocations.filter((a) => keep.has(a.containerId)) },
  };
  const plan = buildClusterState(original, new Map([['node2', empty]]), 'absent').plan;
  assert.equal(node2Of(plan).disruptedPods, undefined);
  assert.equal(plan.summary.disruptedPods, undefined);
});

test('a saved plan carries its disrupted pods (JSON round trip); a plan whose pods changed since is stale', () => {
  const plan = planCluster(moved, observedCluster(observedFromGather('node2-pods', moved)));
  const json = renderPlanJson(plan);
  const saved = parsePlanJson(json);
  assert.deepEqual(node2Of(saved).disruptedPods, node2Of(plan).disruptedPods);
  assert.equal(saved.summary.disruptedPods, 3);
  assert.equal(renderPlanJson(saved), json);
  assert.equal(stalePlanReason(saved, plan), null);

  // A new pod started on node2 since the plan was saved: applying it would disrupt a pod nobody reviewed.
  const observed = observedFromGather('node2-pods', moved);
  const more = { ...observed, pods: { ...observed.pods!, netns: observed.pods!.netns.filter((n) => n !== 'p3'), allocations: observed.pods!.allocations.filter((a) => a.containerId !== 'p3') } };
  const fresh = planCluster(moved, observedCluster(more));
  assert.match(stalePlanReason(saved, fresh) ?? '', /node2's running pods that the plan disrupts changed since it was planned \(saved: 3, now: 2\)/);
});

test('a saved plan whose disrupted pod lacks its fields is refused with the path', () => {
  const json = JSON.parse(renderPlanJson(planCluster(moved, observedCluster(observedFromGather('node2-pods', moved))))) as { nodes: { disruptedPods?: unknown[] }[] };
  delete (json.nodes[1]!.disruptedPods![0] as Record<string, unknown>)['cause'];
  assert.throws(() => parsePlanJson(JSON.stringify(json)), /plan\.nodes\[1\]\.disruptedPods\[0\]\.cause: missing/);
});
