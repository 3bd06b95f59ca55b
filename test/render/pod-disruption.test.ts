// What apply and destroy say when they refuse a plan that disrupts running pods: every pod with its
// node, address and why, and the two ways out (drain them — with the exact `podnet pod del` — or
// --allow-pod-disruption and what it costs). Pure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Plan } from '../../src/model/plan.js';
import { buildClusterState, planCluster } from '../../src/plan/node-state.js';
import { describePod, describePodDisruptionRefusal, describeWarning } from '../../src/render/sentences.js';
import { renderPlanText } from '../../src/render/render-plan.js';
import { gatherFixtureCluster, observedFromGather } from '../support/gather-fixtures.js';

const moved = gatherFixtureCluster('cluster-moved');
const original = gatherFixtureCluster('cluster');

function movedPlan(): Plan {
  return planCluster(moved, new Map([['node2', observedFromGather('node2-pods', moved)]]));
}

test('apply refuses with every pod, its node, address and cause, the pod del of each podnet pod, and the flag', () => {
  const text = describePodDisruptionRefusal(movedPlan(), 'apply', 'cluster.yaml');
  assert.equal(
    text,
    [
      'refusing to apply: the plan leaves 3 running pods without a network:',
      '  node2: container 3f2a9c1b7d4e… (10.244.2.6): subnet 10.244.2.0/24 → 10.244.20.0/24 leaves it without a network',
      '  node2: pod p2 (10.244.2.2): subnet 10.244.2.0/24 → 10.244.20.0/24 leaves it without a network',
      '  node2: pod p3 (10.244.2.3): subnet 10.244.2.0/24 → 10.244.20.0/24 leaves it without a network',
      'Nothing was changed. Either',
      '  - drain them first, apply, then create them again (they get addresses in the new subnet):',
      '      podnet pod del cluster.yaml node2 p2',
      '      podnet pod del cluster.yaml node2 p3',
      "      a container runtime's pods: drain their node (kubectl drain NODE)",
      '    or',
      '  - pass --allow-pod-disruption to apply anyway: the pods keep running without a working network',
      '    until they are deleted and created again.',
    ].join('\n'),
  );
});

test('destroy refuses naming the pods it deletes and those whose bridge it deletes', () => {
  const plan = buildClusterState(original, new Map([['node2', observedFromGather('node2-pods', original)]]), 'absent').plan;
  const text = describePodDisruptionRefusal(plan, 'destroy', 'c.yaml');
  assert.match(text, /^refusing to destroy: the plan deletes or cuts off 3 running pods:\n/);
  assert.match(text, /\n {2}node2: container 3f2a9c1b7d4e… \(10\.244\.2\.6\): destroy deletes its bridge v-net-0: it is left without a network\n/);
  assert.match(text, /\n {2}node2: pod p2 \(10\.244\.2\.2\): destroy deletes it\n/);
  assert.match(text, /\n {6}podnet pod del c\.yaml node2 p3\n/);
  assert.match(text, /--allow-pod-disruption: destroy deletes podnet's pods and leaves other pods without a network\.$/);
});

test('one pod: singular words; a pod of a runtime is named by its container id, short ones whole', () => {
  const plan = movedPlan();
  plan.nodes[0]!.disruptedPods = plan.nodes[0]!.disruptedPods!.filter((d) => d.pod === 'p2');
  plan.summary.disruptedPods = 1;
  assert.match(describePodDisruptionRefusal(plan, 'apply', 'f.yaml'), /^refusing to apply: the plan leaves 1 running pod without a network:\n/);
  assert.doesNotMatch(describePodDisruptionRefusal(plan, 'apply', 'f.yaml'), /container runtime/);
  assert.equal(describePod({ pod: 'abc123', addresses: ['10.244.1.9'] }), 'container abc123 (10.244.1.9)');
  assert.equal(describePod({ pod: 'p1', netns: 'p1', addresses: [] }), 'pod p1');
});

test('the plan text shows each disrupted pod under its node and a line after the summary', () => {
  const text = renderPlanText(movedPlan(), { color: false });
  assert.match(text, /\n {2}! disrupted: pod p2 \(10\.244\.2\.2\)\n {6}subnet 10\.244\.2\.0\/24 → 10\.244\.20\.0\/24 leaves it without a network\n/);
  assert.match(text, /\nPods disrupted: 3\. Applying needs --allow-pod-disruption, or drain them first\.\n$/);
  const quiet = renderPlanText(planCluster(original, new Map([['node2', observedFromGather('node2-pods', original)]])), { color: false });
  assert.doesNotMatch(quiet, /disrupted/);
});

test('a stranded pod warns with its address and the subnet it is outside of', () => {
  assert.equal(
    describeWarning({ code: 'pod-stranded', pod: 'p2', netns: 'p2', addresses: ['10.244.2.2'], subnet: '10.244.20.0/24' }),
    'pod p2 (10.244.2.2) is stranded outside 10.244.20.0/24: no network until it is deleted and created again',
  );
});
