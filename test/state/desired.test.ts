import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredState } from '../../src/state/desired.js';
import { classicCluster, classicSubnets } from '../support/classic-cluster.js';

test('desired state of node1 in the classic topology', () => {
  const cluster = classicCluster();
  const { files, firewall, ...desired } = desiredState(cluster, classicSubnets(cluster), 'node1');
  assert.deepEqual(firewall?.chains, [{ table: 'filter', name: 'PODNET-FORWARD' }], 'FORWARD rules, no NAT by default');
  assert.deepEqual(
    files.map((f) => [f.path, f.mode, f.role]),
    [
      ['/opt/cni/bin/podnet', '755', 'cni-plugin'],
      ['/etc/cni/net.d/10-podnet.conflist', '644', 'cni-config'],
    ],
  );
  assert.match(files[0]!.content, /^#!\/bin\/sh/);
  assert.match(files[0]!.content, /10\.244\.1\.0\/24/, 'the plugin carries the node subnet');
  assert.deepEqual(JSON.parse(files[1]!.content), { cniVersion: '1.0.0', name: 'podnet', plugins: [{ type: 'podnet' }] });
  assert.deepEqual(desired, {
    node: 'node1',
    subnet: '10.244.1.0/24',
    bridge: { name: 'v-net-0', alias: 'podnet' },
    address: { dev: 'v-net-0', local: '10.244.1.1', prefixlen: 24 },
    ipForward: true,
    routes: [
      { dst: '10.244.2.0/24', gateway: '192.168.1.12', peer: 'node2' },
      { dst: '10.244.3.0/24', gateway: '192.168.1.13', peer: 'node3' },
    ],
  });
});

test('no route for the node’s own subnet; MTU and bridge name come from the cluster', () => {
  const cluster = classicCluster({ bridge: { name: 'pods0', mtu: 1450 } });
  const desired = desiredState(cluster, classicSubnets(cluster), 'node2');
  assert.deepEqual(desired.bridge, { name: 'pods0', mtu: 1450, alias: 'podnet' });
  assert.deepEqual(desired.address, { dev: 'pods0', local: '10.244.2.1', prefixlen: 24 });
  assert.deepEqual(
    desired.routes.map((r) => r.dst),
    ['10.244.1.0/24', '10.244.3.0/24'],
  );
});

test('the bridge address is the first host of allocated subnets of any size', () => {
  const cluster = classicCluster();
  const subnets = new Map([
    ['node1', '10.244.64.0/18'],
    ['node2', '10.244.128.0/18'],
    ['node3', '10.244.192.0/26'],
  ]);
  assert.deepEqual(desiredState(cluster, subnets, 'node1').address, { dev: 'v-net-0', local: '10.244.64.1', prefixlen: 18 });
  assert.deepEqual(desiredState(cluster, subnets, 'node3').address, { dev: 'v-net-0', local: '10.244.192.1', prefixlen: 26 });
});

test('gateway routing mode without a router (the loader refuses it): a clear error', () => {
  const cluster = classicCluster({ routing: 'gateway' });
  assert.throws(() => desiredState(cluster, classicSubnets(cluster), 'node1'), /routing mode gateway needs a router/);
});

test('unknown node or missing subnet: a clear error', () => {
  const cluster = classicCluster();
  assert.throws(() => desiredState(cluster, classicSubnets(cluster), 'node9'), /node node9 is not in cluster\.yaml/);
  assert.throws(() => desiredState(cluster, new Map([['node1', '10.244.1.0/24']]), 'node1'), /node node2 has no pod subnet allocated/);
});
