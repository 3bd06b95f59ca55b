// destroy (buildClusterState with goal `absent`, planDestroyNode per host): everything podnet owns goes, in an order that works, and nothing else; the
// management path is guarded as for apply; an emptied node plans nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planDestroyNode } from '../../src/plan/destroy.js';
import { buildClusterState } from '../../src/plan/node-state.js';
import { checkConverged } from '../../src/plan/converged.js';
import { renderPlanText } from '../../src/render/render-plan.js';
import { describeChange, describeConflict, describeReason, describeRefusal, describeSubject, describeWarning } from '../../src/render/sentences.js';
import type { Cluster, ObservedState, StoreEntry } from '../../src/model/types.js';
import type { Plan } from '../../src/model/plan.js';
import { classicCluster } from '../support/classic-cluster.js';
import { observedFirewall } from '../support/iptables-fixtures.js';
import { objectOf, stepArgvs } from '../support/plan-helpers.js';

/** The destroy plan of the gathered hosts (what `podnet destroy` shows). */
const planDestroy = (c: Cluster, observed: ReadonlyMap<string, ObservedState>): Plan => buildClusterState(c, observed, 'absent').plan;

/** What podnet left on a node: the destroy plan's changes, as plan lines. */
function leftovers(c: Cluster, host: string, observed: ObservedState): string[] {
  const state = buildClusterState(c, new Map([[host, observed]]), 'absent');
  return state.plan.nodes[0]!.changes.map(describeChange);
}

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
    pods: {
      netns: ['pa', 'someone-elses'],
      allocations: [{ ip: '10.244.1.2', containerId: 'pa', ifname: 'eth0' }],
      storeExists: true,
      storeEntries: STORE_ENTRIES,
    },
    ...overrides,
  };
}

/** What the plugin leaves in its store with pod pa: pa's allocation, the lock, the last reserved address. */
const STORE_ENTRIES: StoreEntry[] = [
  { name: '10.244.1.2', kind: 'file', firstLine: 'pa' },
  { name: 'last_reserved_ip.0', kind: 'file', firstLine: '10.244.1.2' },
  { name: 'lock', kind: 'file', firstLine: '' },
];

test('destroy removes pods, rules, chains, routes, the bridge, the files and the store — in that order', () => {
  const plan = planDestroyNode(cluster, node1, applied());
  assert.equal(plan.refused, undefined);
  assert.deepEqual(plan.conflicts, []);
  assert.ok(plan.changes.every((c) => c.action === 'delete'));
  const objects = plan.changes.map(objectOf);
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
    'file /var/lib/cni/networks/podnet',
  ]);
  assert.deepEqual(
    plan.changes.map((c) => c.kind),
    ['pod', 'rule', 'rule', 'rule', 'rule', 'rule', 'rule', 'chain', 'chain', 'route', 'route', 'link', 'file', 'file', 'file'],
  );
  assert.ok(plan.changes.slice(0, 14).every((c) => c.steps.length === 1), 'one step per object here (the pod goes through the plugin)');
  assert.ok(plan.changes.every((c) => c.after === undefined && c.before !== undefined), 'a deletion has a before and no after');
  assert.equal(describeSubject(plan.changes[14]!), 'directory /var/lib/cni/networks/podnet');
  assert.deepEqual(plan.changes[14]!.before, { path: '/var/lib/cni/networks/podnet', role: 'address-store' });
  assert.deepEqual(plan.changes[0]!.before, { pod: 'pa', addresses: ['10.244.1.2'] });
  assert.deepEqual(plan.changes[0]!.reason, { code: 'destroy-pod-through-plugin' });
  assert.ok(plan.changes.slice(1).every((c) => c.reason.code === 'destroy'));
  const argv = stepArgvs(plan.changes);
  assert.deepEqual(argv[0]!.slice(0, 2), ['sh', '-c'], "the pod goes through the plugin's DEL");
  assert.match(argv[0]![2]!, /CNI_COMMAND="\$1"/);
  assert.match(argv[0]![2]!, /^pod=pa$/m);
  assert.deepEqual(argv[9], ['ip', 'route', 'del', '10.244.2.0/24', 'via', '192.168.1.12', 'proto', '201']);
  assert.deepEqual(argv[11], ['ip', 'link', 'del', 'dev', 'v-net-0']);
  assert.deepEqual(argv[12], ['rm', '-f', '/opt/cni/bin/podnet']);
  assert.deepEqual(argv.slice(14), [
    ['rm', '-f', '/var/lib/cni/networks/podnet/10.244.1.2'],
    ['rm', '-f', '/var/lib/cni/networks/podnet/last_reserved_ip.0'],
    ['rm', '-f', '/var/lib/cni/networks/podnet/lock'],
    ['rmdir', '/var/lib/cni/networks/podnet'],
  ], 'the store: only the files the plugin writes, then rmdir (never rm -r)');
  assert.ok(!argv.flat().includes('-rf'));
  assert.ok(!argv.some((a) => a.includes('sysctl')), 'ip_forward is left as it is');
  assert.ok(!argv.flat().some((w) => w.includes('10.99.0.0') || w.includes('192.168.1.0/24')), "the admin's route and rule stay");
  assert.match(describeReason(plan.changes[11]!), /^podnet's bridge with 10\.244\.1\.1\/24$/, "the pod's veth goes with its pod, so it is not listed as a port");
  assert.deepEqual(plan.changes[11]!.before, { name: 'v-net-0', kind: 'bridge', alias: 'podnet', addresses: ['10.244.1.1/24'], ports: [] });
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
  assert.deepEqual(leftovers(cluster, 'node1', empty), []);
  assert.deepEqual(leftovers(cluster, 'node1', applied()).slice(0, 2), [
    "- pod pa (made through podnet's plugin (10.244.1.2): the plugin's DEL, then the namespace)",
    "- rule filter FORWARD -j PODNET-FORWARD (podnet's rule)",
  ]);
  // destroy's own convergence check: an emptied node has converged to `absent`, an applied one has not.
  const state = buildClusterState(cluster, new Map([['node1', applied()]]), 'absent').states[0]!;
  assert.equal(state.desired, undefined);
  assert.deepEqual(checkConverged(cluster, state, empty), { converged: true, unmet: [], conflicts: [] });
  const notYet = checkConverged(cluster, state, applied());
  assert.equal(notYet.converged, false);
  assert.equal(notYet.unmet.length, 15);
});

test('without the plugin a pod is removed by hand: ONE change, namespace then its addresses in the store', () => {
  const plan = planDestroyNode(cluster, node1, applied({ files: [{ path: '/opt/cni/bin/podnet', sha256: null }] }));
  const pods = plan.changes.filter((c) => c.kind === 'pod');
  assert.equal(pods.length, 1);
  assert.deepEqual([pods[0]!.key, pods[0]!.action, pods[0]!.reason], ['pa', 'delete', { code: 'destroy-pod-by-hand' }]);
  assert.deepEqual(stepArgvs(pods), [
    ['ip', 'netns', 'del', 'pa'],
    ['rm', '-f', '/var/lib/cni/networks/podnet/10.244.1.2'],
  ]);
  assert.equal(describeReason(pods[0]!), "made through podnet's plugin (10.244.1.2); the plugin is gone: namespace and addresses by hand");
  assert.equal(planDestroy(cluster, new Map([['node1', applied({ files: [{ path: '/opt/cni/bin/podnet', sha256: null }] })]])).summary.destroy, plan.changes.length);
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
  const objects = plan.changes.map(objectOf);
  assert.ok(!objects.includes('file /etc/cni/net.d/10-podnet.conflist'));
  assert.ok(!plan.changes.some((c) => c.kind === 'file' && c.before?.role === 'address-store'));
  assert.deepEqual(plan.warnings, [
    { code: 'store-holds-foreign', store: '/var/lib/cni/networks/podnet', containers: [{ id: '0f3c9a7e5d', addresses: ['10.244.1.3'] }] },
    { code: 'foreign-file-left', path: '/etc/cni/net.d/10-podnet.conflist' },
  ]);
  const warnings = (plan.warnings ?? []).map(describeWarning).join('\n');
  assert.match(warnings, /does not name podnet/);
  assert.match(warnings, /0f3c9a7e5d: 10\.244\.1\.3/);
  const pod = plan.changes.find((c) => c.kind === 'pod' && c.key === 'pa');
  assert.ok(pod !== undefined && pod.steps[0]?.run === 'ip', 'the plugin is only used when the conflist is podnet’s too');
});

test('a foreign address on the bridge keeps it (conflict); a bridge carrying the SSH session is refused', () => {
  const foreign = applied();
  foreign.addresses.push({ dev: 'v-net-0', family: 'inet', local: '172.20.0.1', prefixlen: 24 });
  const plan = planDestroyNode(cluster, node1, foreign);
  assert.deepEqual(plan.conflicts.map((c) => [c.code, c.kind, c.key]), [['bridge-foreign-addresses', 'link', 'v-net-0']]);
  assert.deepEqual(plan.conflicts.map((c) => describeConflict(c).object), ['link v-net-0']);
  assert.match(describeConflict(plan.conflicts[0]!).message, /carries foreign addresses \(172\.20\.0\.1\/24\)/);
  assert.ok(!plan.changes.some((c) => c.kind === 'link' && c.key === 'v-net-0'));

  const ssh = applied({ management: { localAddress: '10.244.1.1', peerAddress: '10.244.1.50', dev: 'v-net-0' } });
  const refused = planDestroyNode(cluster, node1, ssh);
  assert.deepEqual(refused.refused?.offences.find((o) => o.kind === 'link'), { kind: 'link', key: 'v-net-0', action: 'delete' });
  assert.match(refused.refused === undefined ? '' : describeRefusal('node1', refused.refused), /refusing to touch node1's management path .*link v-net-0 \(delete\) carries the SSH session/);
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
  // Pod pa runs on both nodes: destroy deletes it, so the plan says so under each node and after the summary.
  assert.match(text, /\n {2}! disrupted: pod pa \(10\.244\.1\.2\)\n {6}destroy deletes it\n/);
  assert.match(text, /Plan: 0 to add, 0 to change, 30 to destroy\.\nPods disrupted: 2\. Applying needs --allow-pod-disruption, or drain them first\.\n$/);
});

function routerCase(): { cluster: Cluster; observed: ObservedState } {
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
  return { cluster: withRouter, observed };
}

test('the gateway-mode router is destroyed too: its podnet routes and rules', () => {
  const { cluster: withRouter, observed } = routerCase();
  const plan = planDestroy(withRouter, new Map([['router', observed]]));
  assert.deepEqual(plan.nodes.map((n) => [n.node, n.role]), [['router', 'router']]);
  assert.deepEqual(plan.nodes[0]!.changes.map(objectOf), [
    'rule filter FORWARD -j PODNET-FORWARD',
    'rule filter PODNET-FORWARD -s 10.244.0.0/16 -j ACCEPT',
    'rule filter PODNET-FORWARD -d 10.244.0.0/16 -j ACCEPT',
    'chain filter PODNET-FORWARD',
    'route 10.244.1.0/24',
  ]);
});

test('the router’s destroy plan has its own header: it routes the whole pod CIDR', () => {
  const { cluster: withRouter, observed } = routerCase();
  const plan = planDestroy(withRouter, new Map([['router', observed]]));
  assert.deepEqual(plan.nodes.map((n) => [n.node, n.role, n.subnet]), [['router', 'router', '10.244.0.0/16']]);
  assert.match(renderPlanText(plan, { color: false }), /^router router \(192\.168\.1\.254, routes pods 10\.244\.0\.0\/16\)/);
});

test('the store goes only when it holds nothing but what the plugin writes: no rm -r, foreign entries keep it (warning)', () => {
  const store = '/var/lib/cni/networks/podnet';
  const withEntries = (extra: StoreEntry[]): ReturnType<typeof planDestroyNode> =>
    planDestroyNode(cluster, node1, applied({ pods: { ...applied().pods!, storeEntries: [...STORE_ENTRIES, ...extra] } }));
  // host-local sharing the store with an IPv6 lease, a sub-directory, a file of someone else's, a
  // link, a name the gather could not carry: each keeps the store, and nothing in it is removed.
  const cases: Array<[StoreEntry, string]> = [
    [{ name: '2001:db8::5', kind: 'file', firstLine: 'c0ffee' }, 'file 2001:db8::5'],
    [{ name: 'sub', kind: 'dir' }, 'dir sub'],
    [{ name: 'notes.txt', kind: 'file', firstLine: 'mine' }, 'file notes.txt'],
    [{ name: 'link', kind: 'other' }, 'other link'],
    [{ name: '?', kind: 'file', firstLine: '' }, 'file ?'],
    [{ name: 'last_reserved_ip.x', kind: 'file', firstLine: '' }, 'file last_reserved_ip.x'],
    [{ name: '10.244.1.9', kind: 'dir' }, 'dir 10.244.1.9'],
  ];
  for (const [entry, shown] of cases) {
    const plan = withEntries([entry]);
    assert.ok(!plan.changes.some((c) => c.key === store), `${shown} keeps the store`);
    assert.ok(!stepArgvs(plan.changes).some((a) => a.some((w) => w.startsWith(`${store}/`)) && a[0] !== 'sh'), `${shown}: nothing in the store is removed`);
    assert.deepEqual(plan.warnings, [{ code: 'store-holds-foreign-entries', store, entries: [shown] }]);
    assert.match(describeWarning(plan.warnings![0]!), new RegExp(`holds entries podnet's plugin does not write \\(${shown.replace(/[.?]/g, '\\$&')}\\): the store and everything in it are left in place`));
  }
  // An empty allocation file (an ADD killed before it wrote the container id) is the plugin's.
  const leftover = withEntries([{ name: '10.244.1.7', kind: 'file', firstLine: '' }]);
  assert.deepEqual(stepArgvs(leftover.changes.filter((c) => c.key === store)).slice(0, 2), [
    ['rm', '-f', `${store}/10.244.1.2`],
    ['rm', '-f', `${store}/10.244.1.7`],
  ]);
  // A store dir podnet never listed (an older gather) is not removed either.
  const unlisted = planDestroyNode(cluster, node1, applied({ pods: { ...applied().pods!, storeEntries: undefined } }));
  assert.ok(!unlisted.changes.some((c) => c.key === store));
});

test('a cni.dataDir of /opt and networkName cni: destroy never plans rm -rf /opt/cni', () => {
  const opt: Cluster = { ...cluster, cni: { ...cluster.cni, dataDir: '/opt', networkName: 'cni' } };
  const plan = planDestroyNode(opt, node1, applied({ pods: { netns: [], allocations: [], storeExists: true, storeEntries: [{ name: 'bin', kind: 'dir' }] } }));
  assert.ok(!stepArgvs(plan.changes).some((a) => a.includes('/opt/cni')));
  assert.deepEqual(plan.warnings, [{ code: 'store-holds-foreign-entries', store: '/opt/cni', entries: ['dir bin'] }]);
});
