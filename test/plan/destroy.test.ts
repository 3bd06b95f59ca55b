// planDestroy: everything podnet owns goes, in an order that works, and nothing else; the
// management path is guarded as for apply; an emptied node plans nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planDestroy, planDestroyNode, podnetLeftovers } from '../../src/plan/destroy.js';
import { renderPlanText } from '../../src/render/render-plan.js';
import type { ObservedState } from '../../src/model/types.js';
import { classicCluster } from '../support/classic-cluster.js';
import { observedFirewall } from '../support/iptables-fixtures.js';

const cluster = classicCluster();
const node1 = cluster.nodes[0]!;

/** node1 after apply, a pod made by `podnet pod add`, an admin's route and an admin's rule. */
function applied(overrides: Partial<ObservedState> = {}): ObservedState {
  return {
    node: 'node1',
    links: [
      { ifindex: 2, name: 'eth0', kind: 'veth', up: true, operstate: 'UP', mtu: 1500 },
      { ifindex: 3, name: 'v-net-0', kind: 'bridge', up: true, operstate: 'UP', mtu: 1500, alias: 'podnet' },
      { ifindex: 4, name: 'pn1a2b3c4d', kind: 'veth', up: true, operstate: 'UP', mtu: 1500, alias: 'podnet pa eth0', master: 'v-net-0' },
    ],
    addresses: [
      { dev: 'eth0', family: 'inet', local: '192.168.1.11', prefixlen: 24 },
      { dev: 'v-net-0', family: 'inet', local: '10.244.1.1', prefixlen: 24 },
      { dev: 'v-net-0', family: 'inet6', local: 'fe80::1', prefixlen: 64 },
    ],
    routes: [
      { dst: '192.168.1.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link' },
      { dst: '10.244.1.0/24', dev: 'v-net-0', protocol: 'kernel', scope: 'link' },
      { dst: '10.244.2.0/24', gateway: '192.168.1.12', protocol: '201' },
      { dst: '10.244.3.0/24', gateway: '192.168.1.13', protocol: 'podnet' },
      { dst: '10.99.0.0/24', gateway: '192.168.1.12', protocol: 'boot' },
    ],
    ipForward: true,
    files: [
      { path: '/opt/cni/bin/podnet', sha256: 'a'.repeat(64), mode: '755', mentionsPodnet: true },
      { path: '/etc/cni/net.d/10-podnet.conflist', sha256: 'b'.repeat(64), mode: '644', mentionsPodnet: true },
    ],
    management: { localAddress: '192.168.1.11', peerAddress: '192.168.1.1', dev: 'eth0' },
    firewall: observedFirewall('stale-cidr'),
    pods: { netns: ['pa', 'someone-elses'], allocations: [{ ip: '10.244.1.2', containerId: 'pa', ifname: 'eth0' }], storeExists: true },
    ...overrides,
  };
}

test('destroy removes pods, rules, chains, routes, the bridge, the files and the store — in that order', () => {
  const plan = planDestroyNode(cluster, node1, applied());
  assert.equal(plan.refused, undefined);
  assert.deepEqual(plan.conflicts, []);
  assert.ok(plan.changes.every((c) => c.action === 'delete'));
  const objects = plan.changes.map((c) => c.object);
  assert.deepEqual(objects, [
    'pod pa',
    'rule filter FORWARD -j PODNET-FORWARD',
    'rule nat POSTROUTING -j PODNET-POSTROUTING',
    'rule filter PODNET-FORWARD -s 10.245.0.0/16 -j ACCEPT',
    'rule filter PODNET-FORWARD -d 10.245.0.0/16 -j ACCEPT',
    'rule nat PODNET-POSTROUTING -s 10.245.0.0/16 -d 10.245.0.0/16 -j RETURN',
    'rule nat PODNET-POSTROUTING -s 10.245.0.0/16 ! -d 10.245.0.0/16 -j MASQUERADE',
    'chain filter PODNET-FORWARD',
    'chain nat PODNET-POSTROUTING',
    'route 10.244.2.0/24',
    'route 10.244.3.0/24',
    'link v-net-0',
    'file /opt/cni/bin/podnet',
    'file /etc/cni/net.d/10-podnet.conflist',
    'directory /var/lib/cni/networks/podnet',
  ]);
  const argv = plan.changes.map((c) => c.argv);
  assert.deepEqual(argv[0]!.slice(0, 2), ['sh', '-c'], "the pod goes through the plugin's DEL");
  assert.match(argv[0]![2]!, /CNI_COMMAND="\$1"/);
  assert.match(argv[0]![2]!, /^pod=pa$/m);
  assert.deepEqual(argv[9], ['ip', 'route', 'del', '10.244.2.0/24', 'via', '192.168.1.12', 'proto', '201']);
  assert.deepEqual(argv[11], ['ip', 'link', 'del', 'dev', 'v-net-0']);
  assert.deepEqual(argv[12], ['rm', '-f', '/opt/cni/bin/podnet']);
  assert.deepEqual(argv[14], ['rm', '-rf', '/var/lib/cni/networks/podnet']);
  assert.ok(!argv.some((a) => a.includes('sysctl')), 'ip_forward is left as it is');
  assert.ok(!argv.flat().some((w) => w.includes('10.99.0.0') || w.includes('192.168.1.0/24')), "the admin's route and rule stay");
  assert.match(plan.changes[11]!.reason, /^podnet's bridge with 10\.244\.1\.1\/24$/, "the pod's veth goes with its pod, so it is not listed as a port");
});

test('an emptied node plans nothing (the second destroy removes nothing)', () => {
  const empty = applied({
    links: applied().links.slice(0, 1),
    addresses: applied().addresses.slice(0, 1),
    routes: applied().routes.filter((r) => r.protocol === 'kernel' || r.protocol === 'boot').filter((r) => r.dev !== 'v-net-0'),
    files: [
      { path: '/opt/cni/bin/podnet', sha256: null },
      { path: '/etc/cni/net.d/10-podnet.conflist', sha256: null },
    ],
    firewall: observedFirewall('docker-like'),
    pods: { netns: ['someone-elses'], allocations: [], storeExists: false },
  });
  const plan = planDestroyNode(cluster, node1, empty);
  assert.deepEqual(plan.changes, []);
  assert.deepEqual(podnetLeftovers(cluster, node1, empty), []);
  assert.deepEqual(podnetLeftovers(cluster, node1, applied()).slice(0, 2), ['pod pa', 'rule filter FORWARD -j PODNET-FORWARD']);
});

test('without the plugin a pod is removed by hand: namespace, then its addresses in the store', () => {
  const plan = planDestroyNode(cluster, node1, applied({ files: [{ path: '/opt/cni/bin/podnet', sha256: null }] }));
  assert.deepEqual(
    plan.changes.filter((c) => c.kind === 'pod').map((c) => c.argv),
    [
      ['ip', 'netns', 'del', 'pa'],
      ['rm', '-f', '/var/lib/cni/networks/podnet/10.244.1.2'],
    ],
  );
});

test("foreign things stay: a conflist that does not name podnet, another container's address keeps the store", () => {
  const plan = planDestroyNode(
    cluster,
    node1,
    applied({
      files: [
        { path: '/opt/cni/bin/podnet', sha256: 'a'.repeat(64), mode: '755', mentionsPodnet: true },
        { path: '/etc/cni/net.d/10-podnet.conflist', sha256: 'c'.repeat(64), mode: '644', mentionsPodnet: false },
      ],
      pods: {
        netns: ['pa'],
        allocations: [
          { ip: '10.244.1.2', containerId: 'pa', ifname: 'eth0' },
          { ip: '10.244.1.3', containerId: '0f3c9a7e5d', ifname: 'eth0' },
        ],
        storeExists: true,
      },
    }),
  );
  const objects = plan.changes.map((c) => c.object);
  assert.ok(!objects.includes('file /etc/cni/net.d/10-podnet.conflist'));
  assert.ok(!objects.some((o) => o.startsWith('directory ')));
  assert.match(plan.warnings?.join('\n') ?? '', /does not name podnet/);
  assert.match(plan.warnings?.join('\n') ?? '', /0f3c9a7e5d: 10\.244\.1\.3/);
  assert.ok(plan.changes.some((c) => c.object === 'pod pa' && c.argv[0] === 'ip'), 'the plugin is only used when the conflist is podnet’s too');
});

test('a foreign address on the bridge keeps it (conflict); a bridge carrying the SSH session is refused', () => {
  const foreign = applied();
  foreign.addresses.push({ dev: 'v-net-0', family: 'inet', local: '172.20.0.1', prefixlen: 24 });
  const plan = planDestroyNode(cluster, node1, foreign);
  assert.deepEqual(plan.conflicts.map((c) => c.object), ['link v-net-0']);
  assert.ok(!plan.changes.some((c) => c.object === 'link v-net-0'));

  const ssh = applied({ management: { localAddress: '10.244.1.1', peerAddress: '10.244.1.50', dev: 'v-net-0' } });
  const refused = planDestroyNode(cluster, node1, ssh);
  assert.match(refused.refused ?? '', /refusing to touch node1's management path .*link v-net-0 \(delete\) carries the SSH session/);
});

test('planDestroy covers the gathered nodes in cluster order and renders a plan of - lines', () => {
  const observed = new Map([
    ['node3', { ...applied(), node: 'node3' }],
    ['node1', applied()],
  ]);
  const plan = planDestroy(cluster, observed);
  assert.deepEqual(plan.nodes.map((n) => n.node), ['node1', 'node3']);
  assert.equal(plan.summary.add + plan.summary.change, 0);
  assert.equal(plan.summary.destroy, 30);
  const text = renderPlanText(plan, { color: false });
  assert.match(text, /^node1 \(192\.168\.1\.11, pods 10\.244\.1\.0\/24\)\n {2}- pod pa /);
  assert.match(text, /Plan: 0 to add, 0 to change, 30 to destroy\.\n$/);
});

test("the gateway-mode router is destroyed too: its podnet routes and rules, under its own header", () => {
  const router = { name: 'router', address: '192.168.1.254', ssh: node1.ssh };
  const withRouter = classicCluster({ routing: 'gateway', router });
  const observed: ObservedState = {
    node: 'router',
    links: [{ ifindex: 2, name: 'eth0', kind: 'veth', up: true, operstate: 'UP', mtu: 1500 }],
    addresses: [{ dev: 'eth0', family: 'inet', local: '192.168.1.254', prefixlen: 24 }],
    routes: [
      { dst: '10.244.1.0/24', gateway: '192.168.1.11', protocol: '201' },
      { dst: '192.168.1.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link' },
    ],
    ipForward: true,
    files: [],
    management: { localAddress: '192.168.1.254', peerAddress: '192.168.1.1', dev: 'eth0' },
    firewall: observedFirewall('forward-converged'),
  };
  const plan = planDestroy(withRouter, new Map([['router', observed]]));
  assert.deepEqual(plan.nodes.map((n) => [n.node, n.role, n.subnet]), [['router', 'router', '10.244.0.0/16']]);
  assert.deepEqual(plan.nodes[0]!.changes.map((c) => c.object), [
    'rule filter FORWARD -j PODNET-FORWARD',
    'rule filter PODNET-FORWARD -s 10.244.0.0/16 -j ACCEPT',
    'rule filter PODNET-FORWARD -d 10.244.0.0/16 -j ACCEPT',
    'chain filter PODNET-FORWARD',
    'route 10.244.1.0/24',
  ]);
  assert.match(renderPlanText(plan, { color: false }), /^router router \(192\.168\.1\.254, routes pods 10\.244\.0\.0\/16\)/);
});
