import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unmetDesired } from '../../src/plan/converged.js';
import { desiredState } from '../../src/state/desired.js';
import type { DesiredState } from '../../src/model/types.js';
import { classicCluster, classicSubnets } from '../support/classic-cluster.js';
import { loadObserved } from '../support/ip-fixtures.js';

function desiredFor(mtu?: number): DesiredState {
  const cluster = classicCluster(mtu !== undefined ? { bridge: { name: 'v-net-0', mtu } } : {});
  return desiredState(cluster, classicSubnets(cluster), 'node1');
}

test('a converged node meets every desired fact (kernel and admin routes are extra, fine)', () => {
  assert.deepEqual(unmetDesired(desiredFor(1500), loadObserved('converged')), []);
  assert.deepEqual(unmetDesired(desiredFor(), loadObserved('converged-named-proto')), []);
  assert.deepEqual(unmetDesired(desiredFor(), loadObserved('admin-route')), []);
  assert.deepEqual(unmetDesired(desiredFor(), loadObserved('pod-attached')), []);
});

test('a drifted node: each unmet fact described', () => {
  assert.deepEqual(unmetDesired(desiredFor(1500), loadObserved('drifted')), [
    'net.ipv4.ip_forward is 0, want 1',
    'link v-net-0: mtu 1400, want 1500; down',
    'address 10.244.1.1/24 on v-net-0 is missing',
    'route 10.244.2.0/24 via 192.168.1.12 proto 201 is missing (found route 10.244.2.0/24 via 192.168.1.99 proto 201)',
    'route 10.244.3.0/24 via 192.168.1.13 proto 201 is missing',
  ]);
});

test('an empty node lacks everything', () => {
  assert.deepEqual(unmetDesired(desiredFor(), loadObserved('empty')), [
    'net.ipv4.ip_forward is 0, want 1',
    'link v-net-0 is missing',
    'address 10.244.1.1/24 on v-net-0 is missing',
    'route 10.244.2.0/24 via 192.168.1.12 proto 201 is missing',
    'route 10.244.3.0/24 via 192.168.1.13 proto 201 is missing',
  ]);
});

test('foreign objects in the way are not convergence', () => {
  assert.deepEqual(unmetDesired(desiredFor(), loadObserved('foreign-route')), [
    'route 10.244.2.0/24 via 192.168.1.12 proto 201 is missing (found route 10.244.2.0/24 via 192.168.1.99 proto static)',
  ]);
  const taken = unmetDesired(desiredFor(), loadObserved('bridge-name-taken'));
  assert.ok(taken.includes('link v-net-0: a veth, want a bridge; no alias, want alias podnet'), taken.join('\n'));
  assert.ok(unmetDesired(desiredFor(), loadObserved('bridge-no-alias')).includes('link v-net-0: no alias, want alias podnet'));
});

test('one entry per desired fact: an empty node lacks all of them', () => {
  const desired = desiredFor(1500);
  const facts = 3 + desired.routes.length; // forwarding, bridge, address, routes
  assert.equal(unmetDesired(desired, { node: 'node1', links: [], addresses: [], routes: [], ipForward: null }).length, facts);
  assert.ok(unmetDesired(desired, loadObserved('drifted')).length <= facts);
});

test('unreadable ip_forward is not converged', () => {
  const observed = loadObserved('converged');
  observed.ipForward = null;
  assert.deepEqual(unmetDesired(desiredFor(), observed), ['net.ipv4.ip_forward is unreadable, want 1']);
});
