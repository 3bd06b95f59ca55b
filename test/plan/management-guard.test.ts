// The management guard: connected routes of the bridge address (issue 10, 1.2) and a node whose
// SSH path is unknown (1.3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredState } from '../../src/state/desired.js';
import type { DesiredState, ManagementPath } from '../../src/model/types.js';
import type { NodePlan } from '../../src/model/plan.js';
import { planNode } from '../../src/plan/plan-node.js';
import { describeRefusal } from '../../src/render/sentences.js';
import { parseGatherOutput } from '../../src/scripts/gather-script.js';
import { SECTION_PREFIX } from '../../src/scripts/sections.js';
import { classicCluster, classicSubnets } from '../support/classic-cluster.js';
import { gatherStdout } from '../support/gather-output.js';
import { loadObserved } from '../support/ip-fixtures.js';

const CTX = { podCidr: '10.244.0.0/16', nodeAddress: '192.168.1.11' };

function desiredFor(node = 'node1'): DesiredState {
  const cluster = classicCluster();
  return desiredState(cluster, classicSubnets(cluster), node);
}

const refusalText = (plan: NodePlan): string => (plan.refused === undefined ? '' : describeRefusal(plan.node, plan.refused));

// The SSH client sits inside node1's pod subnet (10.244.1.0/24) and reaches node1 on eth0.
const CLIENT_IN_SUBNET: ManagementPath = { localAddress: '192.168.1.11', peerAddress: '10.244.1.50', dev: 'eth0' };

test('guard: the bridge address podnet adds is refused when its connected route takes the SSH client', () => {
  const plan = planNode(desiredFor(), loadObserved('empty', 'node1', CLIENT_IN_SUBNET), CTX);
  assert.deepEqual(plan.refused?.offences, [
    {
      kind: 'address',
      key: '10.244.1.1/24 on v-net-0',
      action: 'create',
      takes: { address: '10.244.1.50', what: 'ssh-client' },
      connectedRoute: '10.244.1.0/24',
    },
  ]);
  assert.equal(
    refusalText(plan),
    "refusing to touch node1's management path (SSH from 10.244.1.50 to 192.168.1.11 on eth0): address 10.244.1.1/24 on v-net-0 (create) " +
      'brings the connected route 10.244.1.0/24, which would take the path to the SSH client 10.244.1.50',
  );
});

test('guard: an address podnet keeps is refused too when its connected route takes the SSH client', () => {
  const plan = planNode(desiredFor(), loadObserved('converged', 'node1', CLIENT_IN_SUBNET), CTX);
  assert.deepEqual(plan.changes, []);
  assert.deepEqual(plan.refused?.offences.map((o) => [o.kind, o.key, o.action, o.connectedRoute]), [['address', '10.244.1.1/24 on v-net-0', 'keep', '10.244.1.0/24']]);
  assert.match(refusalText(plan), /address 10\.244\.1\.1\/24 on v-net-0 \(kept\) brings the connected route 10\.244\.1\.0\/24/);
});

test('guard: a client outside the node subnet, or one that comes in on the bridge itself, is not refused', () => {
  const outside = planNode(desiredFor(), loadObserved('empty', 'node1', { localAddress: '192.168.1.11', peerAddress: '192.168.1.1', dev: 'eth0' }), CTX);
  assert.equal(outside.refused, undefined);
  const onBridge = planNode(desiredFor(), loadObserved('converged', 'node1', { localAddress: '10.244.1.1', peerAddress: '10.244.1.50', dev: 'v-net-0' }), CTX);
  assert.equal(onBridge.refused, undefined);
});

const UNKNOWN: ManagementPath = { localAddress: '192.168.1.11', peerAddress: '', dev: 'eth0', unknown: true };

test('guard: an unknown management path refuses every link, address and route change, and says why', () => {
  const plan = planNode(desiredFor(), loadObserved('empty', 'node1', UNKNOWN), CTX);
  assert.ok(plan.changes.some((c) => c.kind === 'sysctl'), 'the changes stay visible');
  assert.deepEqual(
    plan.refused?.offences.map((o) => `${o.kind} ${o.key} ${o.action}`),
    ['link v-net-0 create', 'address 10.244.1.1/24 on v-net-0 create', 'route 10.244.2.0/24 create', 'route 10.244.3.0/24 create'],
  );
  assert.match(refusalText(plan), /^refusing to change links, addresses or routes on node1: its management path is unknown \(the node reported no SSH_CONNECTION/);
  assert.match(refusalText(plan), /route 10\.244\.2\.0\/24 \(create\)/);
});

test('guard: an unknown management path does not refuse a converged node', () => {
  const plan = planNode(desiredFor(), loadObserved('converged', 'node1', UNKNOWN), CTX);
  assert.equal(plan.refused, undefined);
});

test('gather: an empty ssh_connection section makes the management path unknown', () => {
  const stdout = gatherStdout({ ipCase: 'empty', address: '192.168.1.11' }).replace(
    new RegExp(`(${SECTION_PREFIX} ssh_connection\\n)[^\\n]*\\n`),
    '$1\n',
  );
  const observed = parseGatherOutput(stdout, 'node1', '192.168.1.11');
  assert.equal(observed.management?.unknown, true);
  assert.equal(observed.management?.peerAddress, '');
  const known = parseGatherOutput(gatherStdout({ ipCase: 'empty', address: '192.168.1.11' }), 'node1', '192.168.1.11');
  assert.equal(known.management?.unknown, undefined);
  assert.equal(known.management?.peerAddress, '192.168.1.1');
});
