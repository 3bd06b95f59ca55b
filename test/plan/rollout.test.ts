// Rolling apply, the pure part: --serial, the batches and Ansible's max-fail rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSerial } from '../../src/cli/options.js';
import { batchSize, exceedsMaxFail, planBatches, serialText } from '../../src/plan/rollout.js';

test('--serial takes a number of hosts or a percentage of them', () => {
  assert.deepEqual(parseSerial('3'), { count: 3 });
  assert.deepEqual(parseSerial('25%'), { percent: 25 });
  assert.deepEqual(parseSerial(' 100% '), { percent: 100 });
  for (const bad of ['0', '0%', '101%', '1.5', '-1', 'a', '', '%']) assert.equal(parseSerial(bad), null, bad);
  assert.equal(serialText({ percent: 25 }), '25%');
  assert.equal(serialText({ count: 3 }), '3');
});

test('a percentage is of the targeted hosts, rounded up, at least 1', () => {
  assert.equal(batchSize({ percent: 25 }, 10), 3);
  assert.equal(batchSize({ percent: 30 }, 10), 3);
  assert.equal(batchSize({ percent: 1 }, 10), 1);
  assert.equal(batchSize({ percent: 100 }, 7), 7);
  assert.equal(batchSize({ count: 4 }, 2), 4);
});

test('batches keep cluster.yaml order; the first host (the gateway router) leads', () => {
  const hosts = ['node1', 'node2', 'node3', 'node4', 'node5', 'router'];
  assert.deepEqual(planBatches(hosts, { count: 2 }), [['node1', 'node2'], ['node3', 'node4'], ['node5', 'router']]);
  assert.deepEqual(planBatches(hosts, { count: 2 }, 'router'), [['router', 'node1'], ['node2', 'node3'], ['node4', 'node5']]);
  assert.deepEqual(planBatches(hosts, { percent: 50 }), [['node1', 'node2', 'node3'], ['node4', 'node5', 'router']]);
  assert.deepEqual(planBatches(hosts, undefined, 'router'), [['router', 'node1', 'node2', 'node3', 'node4', 'node5']]);
  assert.deepEqual(planBatches(['node1'], { count: 1 }, 'router'), [['node1']]);
  assert.deepEqual(planBatches([], { count: 1 }), []);
});

test('the rollout stops when MORE than P% of a batch failed', () => {
  assert.equal(exceedsMaxFail(0, 4, 0), false);
  assert.equal(exceedsMaxFail(1, 4, 0), true);
  assert.equal(exceedsMaxFail(1, 4, 25), false);
  assert.equal(exceedsMaxFail(2, 4, 25), true);
  assert.equal(exceedsMaxFail(1, 2, 50), false);
  assert.equal(exceedsMaxFail(2, 2, 99), true);
  assert.equal(exceedsMaxFail(2, 2, 100), false);
});
