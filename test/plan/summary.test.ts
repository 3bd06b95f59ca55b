// withReach: a plan of a run that reached every host it targeted is left as it is (no
// `incomplete` key, so the JSON and the plan line stay those of a complete run); one that did not
// reach some says how many of how many.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarisePlan, withReach } from '../../src/plan/summary.js';
import { PLAN_FORMAT_VERSION, type Plan } from '../../src/model/plan.js';

const plan = (): Plan => ({ formatVersion: PLAN_FORMAT_VERSION, cluster: 'cluster.yaml', nodes: [], summary: summarisePlan([]) });

test('every host reached: the plan is returned unchanged, without an incomplete summary', () => {
  const complete = plan();
  assert.equal(withReach(complete, 3, 0), complete);
  assert.equal('incomplete' in withReach(complete, 3, 0).summary, false);
});

test('some hosts not reached: the summary says how many of how many, the rest is kept', () => {
  const partial = withReach(plan(), 3, 1);
  assert.deepEqual(partial.summary, { add: 0, change: 0, destroy: 0, conflicts: 0, refused: 0, incomplete: { notReached: 1, nodes: 3 } });
  assert.deepEqual(partial.nodes, []);
});
