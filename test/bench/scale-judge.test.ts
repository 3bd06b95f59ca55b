// bench:scale's break check (bench/scale-judge.ts): verify must name exactly the two faults made
// (a route deleted on node1 towards node2's pods, forwarding off on node3), and nothing else may fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeBreak, type VerifyCellJson, type VerifyJson } from '../../bench/scale-judge.js';

const ROUTE = { node: 'node1', peer: 'node2', subnet: '10.244.2.0/24' };
const routeCause = (dir: string) => `node1 has no route to node2's pods (${dir}): 10.244.2.0/24 via 192.168.1.12 is missing`;
const forwardCause = 'ip_forward is off on node3: it cannot forward pod traffic';

function report(cells: VerifyCellJson[]): VerifyJson {
  return { checks: [{ id: 'pod-to-pod-cross-node', cells }], summary: { passed: 0, failed: 0, notRun: 0 } };
}
const pass = (from: string, to: string): VerifyCellJson => ({ from, to, status: 'pass' });
const fail = (from: string, to: string, cause: string): VerifyCellJson => ({ from, to, status: 'fail', causes: [cause] });

const exact = report([
  fail('node1', 'node2', routeCause('requests')),
  fail('node2', 'node1', routeCause('replies')),
  fail('node1', 'node3', forwardCause),
  fail('node3', 'node2', forwardCause),
  pass('node2', 'node4'),
]);

test('exactly the two causes, exit 1: nothing to say', () => {
  assert.deepEqual(judgeBreak(exact, 1, ROUTE, 'node3'), []);
});

test('an exit code other than 1 is named', () => {
  assert.deepEqual(judgeBreak(exact, 0, ROUTE, 'node3'), ['verify exited 0, not 1']);
});

test('a cell failing for a third cause, or between nodes neither fault touches, is named', () => {
  const extra = report([...exact.checks[0]!.cells, fail('node2', 'node4', 'no cause found in the gathered state')]);
  assert.deepEqual(judgeBreak(extra, 1, ROUTE, 'node3'), [
    'pod-to-pod-cross-node node2 → node4 failed for another cause: no cause found in the gathered state',
    'pod-to-pod-cross-node node2 → node4 failed but touches neither fault',
    '3 distinct causes named, not 2: node1 has no route to node2\'s pods: 10.244.2.0/24 via 192.168.1.12 is missing | ip_forward is off on node3: it cannot forward pod traffic | no cause found in the gathered state',
  ]);
});

test('a fault verify did not name is named', () => {
  const onlyRoute = report([fail('node1', 'node2', routeCause('requests')), pass('node1', 'node3')]);
  assert.deepEqual(judgeBreak(onlyRoute, 1, ROUTE, 'node3'), ['ip_forward off on node3 was not named', '1 distinct causes named, not 2: node1 has no route to node2\'s pods: 10.244.2.0/24 via 192.168.1.12 is missing']);
});
