// The management guard on its own: each guard, with and without a known SSH path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManagementGuard } from '../../src/plan/management-guard.js';

test("deleting the node's own address is refused even when the SSH path is unknown", () => {
  const guard = new ManagementGuard({}, '192.168.1.11');
  guard.address('192.168.1.11', '192.168.1.11/24 on eth0');
  guard.address('10.244.1.7', '10.244.1.7/24 on v-net-0');
  assert.deepEqual(guard.refusal(), {
    nodeAddress: '192.168.1.11',
    offences: [{ kind: 'address', key: '192.168.1.11/24 on eth0', action: 'delete', takes: { address: '192.168.1.11', what: 'node-address' } }],
  });
});

test('nothing touched: no refusal', () => {
  const guard = new ManagementGuard({}, '192.168.1.11');
  guard.link('v-net-0', 'delete');
  guard.route('10.244.2.0/24', 'delete');
  assert.equal(guard.refusal(), undefined);
});

test('an unknown SSH path refuses deleting any address, not only the protected ones', () => {
  const unknown = { management: { localAddress: '', peerAddress: '', dev: '', unknown: true as const } };
  const guard = new ManagementGuard(unknown, '192.168.1.11');
  guard.address('10.244.1.1', '10.244.1.1/24 on v-net-0');
  assert.deepEqual(guard.refusal()?.offences, [{ kind: 'address', key: '10.244.1.1/24 on v-net-0', action: 'delete' }]);
});

test("an address's own connected route does not take that address, even when SSH comes in on it", () => {
  // SSH arrives at 10.244.1.1 over eth0 (say, from a pod's network); podnet keeps 10.244.1.1/24 on its bridge.
  const guard = new ManagementGuard({ management: { localAddress: '10.244.1.1', peerAddress: '192.168.1.1', dev: 'eth0' } }, '192.168.1.11');
  guard.addressRoute({ local: '10.244.1.1', prefixlen: 24, dev: 'v-net-0' }, '10.244.1.1/24 on v-net-0', 'keep');
  assert.equal(guard.refusal(), undefined);
  guard.addressRoute({ local: '10.244.1.2', prefixlen: 24, dev: 'v-net-0' }, '10.244.1.2/24 on v-net-0', 'create');
  assert.deepEqual(guard.refusal()?.offences.map((o) => o.takes), [{ address: '10.244.1.1', what: 'ssh-address' }]);
});
