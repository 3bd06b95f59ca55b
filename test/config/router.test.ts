// `routing: gateway` and `router:` in cluster.yaml: accepted shapes and every error at its line:col.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { formatDiagnostic, type LoadResult } from '../../src/config/index.js';
import type { Cluster } from '../../src/model/types.js';
import { loadFile, loadText } from './helpers.js';

function ok(result: LoadResult): Cluster {
  if (!result.ok) assert.fail(`expected a valid cluster, got:\n${result.diagnostics.map(formatDiagnostic).join('\n')}`);
  return result.cluster;
}

function errors(result: LoadResult): string[] {
  assert.equal(result.ok, false, 'should be rejected');
  return result.ok ? [] : result.diagnostics.map(formatDiagnostic);
}

const NODES = `nodes:
  - name: node1
    address: 192.168.1.11
  - name: node2
    address: 192.168.1.12
`;

function gatewayCluster(router: string, routing = 'gateway'): string {
  return `podCidr: 10.244.0.0/16\nrouting: ${routing}\nssh:\n  user: admin\n  port: 2222\n${NODES}${router}`;
}

test('gateway mode with a router: its SSH merged like a node’s (cluster defaults, then its own)', () => {
  const cluster = ok(loadText(gatewayCluster('router:\n  name: gw\n  address: 192.168.1.254\n  ssh:\n    port: 22\n')));
  assert.equal(cluster.routing, 'gateway');
  assert.deepEqual(cluster.router, {
    name: 'gw',
    address: '192.168.1.254',
    ssh: { host: '192.168.1.254', port: 22, user: 'admin', knownHostsFile: '/home/tester/.ssh/known_hosts', become: false, connectTimeoutMs: 10_000, keepaliveIntervalMs: 15_000, keepaliveCountMax: 3, execTimeoutMs: 120_000 },
  });
});

test('a router in host-gw mode is allowed (it is planned with no routes, to prune them)', () => {
  const cluster = ok(loadText(gatewayCluster('router:\n  name: router\n  address: 192.168.1.254\n', 'host-gw')));
  assert.equal(cluster.routing, 'host-gw');
  assert.equal(cluster.router?.name, 'router');
});

test('no router key: none in the cluster', () => {
  assert.equal(ok(loadText(gatewayCluster('', 'host-gw'))).router, undefined);
});

test('gateway mode without a router: at `routing`', () => {
  assert.deepEqual(errors(loadText(gatewayCluster(''))), [
    "cfg/cluster.yaml:2:10: routing mode `gateway` needs a `router:` with the `name` and `address` of the host that routes every node's pod subnet",
  ]);
});

test('router name: a node name pattern, and not a node’s name', () => {
  assert.deepEqual(errors(loadText(gatewayCluster('router:\n  name: Router_1\n  address: 192.168.1.254\n'))), [
    'cfg/cluster.yaml:12:9: `name` "Router_1" must be a node name: lowercase letters, digits and \'-\', at most 63 characters, starting and ending with a letter or digit',
  ]);
  assert.deepEqual(errors(loadText(gatewayCluster('router:\n  name: node2\n  address: 192.168.1.254\n'))), [
    "cfg/cluster.yaml:12:9: router name `node2` is also a node's name (line 9); the router needs a name of its own",
  ]);
});

test('router address: IPv4, outside the pod CIDR, not a node’s address', () => {
  assert.deepEqual(errors(loadText(gatewayCluster('router:\n  name: router\n  address: 192.168.1.300\n'))), [
    'cfg/cluster.yaml:13:12: router address 192.168.1.300: not a valid IPv4 address',
  ]);
  assert.deepEqual(errors(loadText(gatewayCluster('router:\n  name: router\n  address: 10.244.0.1\n'))), [
    'cfg/cluster.yaml:13:12: router address 10.244.0.1 is inside the pod CIDR 10.244.0.0/16',
  ]);
  assert.deepEqual(errors(loadText(gatewayCluster('router:\n  name: router\n  address: 192.168.1.12\n'))), [
    'cfg/cluster.yaml:13:12: router address 192.168.1.12 is also the address of node node2 (line 10); the router must be a host of its own',
  ]);
});

test('router shape: required keys and unknown keys, from the schema', () => {
  assert.deepEqual(errors(loadText(gatewayCluster('router:\n  name: router\n'))), ['cfg/cluster.yaml:12:3: missing required key `address` in `router`']);
  const unknown = errors(loadText(gatewayCluster('router:\n  name: router\n  address: 192.168.1.254\n  subnet: 10.244.9.0/24\n')));
  assert.equal(unknown.length, 1);
  assert.match(unknown[0] ?? '', /^cfg\/cluster\.yaml:14:3: unknown key `subnet`/);
  assert.deepEqual(errors(loadText(gatewayCluster('router:\n  name: router\n  address: 192.168.1.254\n  ssh:\n    port: 0\n'))), [
    'cfg/cluster.yaml:15:11: `port` must be >= 1, got 0',
  ]);
});

test('examples/lab/cluster-gateway.yaml targets the default lab with its router', () => {
  const cluster = ok(loadFile('examples/lab/cluster-gateway.yaml'));
  assert.equal(cluster.routing, 'gateway');
  assert.deepEqual(
    cluster.nodes.map((n) => [n.name, n.address, n.subnet]),
    [
      ['node1', '192.168.1.11', '10.244.1.0/24'],
      ['node2', '192.168.1.12', '10.244.2.0/24'],
      ['node3', '192.168.1.13', '10.244.3.0/24'],
    ],
  );
  assert.equal(cluster.router?.name, 'router');
  assert.equal(cluster.router?.address, '192.168.1.254');
  assert.equal(cluster.router?.ssh.proxyCommand, 'ip netns exec pnlab-default-sw nc %h %p');
});

test('podnet validate lists the router after the nodes', () => {
  const r = spawnSync(process.execPath, ['dist/src/cli/main.js', 'validate', '--no-local-files', 'examples/lab/cluster-gateway.yaml'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\n {2}node3 {2}192\.168\.1\.13 {2}10\.244\.3\.0\/24 \(explicit\)\n {2}router router {2}192\.168\.1\.254 {2}\(routes every node subnet\)\n$/);
});
