// The values of a destroy plan (planDestroyNode), beyond its order: the header (role, subnet, no
// refused/warnings keys when there are none), what a deleted bridge and file record (ports, role,
// mode: rollback puts them back from these), and when a pod may go through the plugin.
// (Issue 9: each test here kills mutants that survived.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planDestroyNode } from '../../src/plan/destroy.js';
import type { ObservedState, StoreEntry } from '../../src/model/types.js';
import type { Change } from '../../src/model/plan.js';
import { NETWORKD_DROPIN, NETWORKMANAGER_DROPIN } from '../../src/state/network-managers.js';
import { classicCluster } from '../support/classic-cluster.js';

const cluster = classicCluster();
const PLUGIN = '/opt/cni/bin/podnet';
const CONFLIST = '/etc/cni/net.d/10-podnet.conflist';
const NODE1 = { name: 'node1', address: '192.168.1.11' };

/** node1 after apply with pod pa on the bridge, and an admin's eth1 enslaved to it too. No firewall gathered. */
function applied(overrides: Partial<ObservedState> = {}): ObservedState {
  return {
    node: 'node1',
    links: [
      { ifindex: 2, name: 'eth0', kind: 'veth', up: true, operstate: 'UP', mtu: 1500 },
      { ifindex: 3, name: 'v-net-0', kind: 'bridge', up: true, operstate: 'UP', mtu: 1500, alias: 'podnet' },
      { ifindex: 4, name: 'pn1a2b3c4d', kind: 'veth', up: true, operstate: 'UP', mtu: 1500, alias: 'podnet pa eth0', master: 'v-net-0' },
      { ifindex: 5, name: 'eth1', kind: 'veth', up: true, operstate: 'UP', mtu: 1500, master: 'v-net-0' },
      { ifindex: 6, name: 'eth2', kind: 'veth', up: true, operstate: 'UP', mtu: 1500 },
    ],
    addresses: [
      { dev: 'eth0', family: 'inet', local: '192.168.1.11', prefixlen: 24 },
      // The bridge's IPv6 address first: the header's subnet is its IPv4 one all the same.
      { dev: 'v-net-0', family: 'inet6', local: 'fe80::1', prefixlen: 64 },
      { dev: 'v-net-0', family: 'inet', local: '10.244.1.1', prefixlen: 24 },
    ],
    routes: [{ dst: '192.168.1.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link' }],
    ipForward: true,
    files: [
      { path: PLUGIN, sha256: 'a'.repeat(64), mode: '755', mentionsPodnet: true },
      { path: CONFLIST, sha256: 'b'.repeat(64), mentionsPodnet: true },
    ],
    management: { localAddress: '192.168.1.11', peerAddress: '192.168.1.1', dev: 'eth0' },
    pods: { netns: ['pa'], allocations: [{ ip: '10.244.1.2', containerId: 'pa', ifname: 'eth0' }], storeExists: false },
    ...overrides,
  };
}

const change = (changes: readonly Change[], key: string): Change => {
  const found = changes.find((c) => c.key === key);
  assert.ok(found, `no change ${key} in ${changes.map((c) => c.key).join(', ')}`);
  return found;
};

test('the header: the subnet from the bridge’s IPv4 address when none is given, else none; no role for a node', () => {
  const plan = planDestroyNode(cluster, NODE1, applied());
  assert.equal(plan.subnet, '10.244.1.1/24');
  // disruptedPods: the fixture's pod pa, which destroy deletes (src/plan/plan-pods.ts).
  assert.deepEqual(Object.keys(plan).sort(), ['address', 'changes', 'conflicts', 'disruptedPods', 'node', 'subnet'], 'no role, refused or warnings key when there are none');
  assert.equal(planDestroyNode(cluster, { ...NODE1, subnet: '10.244.7.0/24' }, applied()).subnet, '10.244.7.0/24');
  const bare = applied({ links: applied().links.filter((l) => l.kind !== 'bridge'), addresses: applied().addresses.filter((a) => a.dev === 'eth0') });
  assert.equal(planDestroyNode(cluster, NODE1, bare).subnet, 'none');
  assert.ok(!('role' in planDestroyNode(cluster, { ...NODE1, role: 'node' }, applied())), 'role node is the default: not written');
  assert.equal(planDestroyNode(cluster, { ...NODE1, role: 'router' }, applied()).role, 'router');
});

test('a deleted bridge records its alias, IPv4 addresses and the ports that are not the removed pods’ veths', () => {
  const plan = planDestroyNode(cluster, NODE1, applied());
  assert.deepEqual(change(plan.changes, 'v-net-0').before, { name: 'v-net-0', kind: 'bridge', alias: 'podnet', addresses: ['10.244.1.1/24'], ports: ['eth1'] });
});

test('a deleted file records its role and its mode when the gather read one', () => {
  const plan = planDestroyNode(cluster, NODE1, applied());
  assert.deepEqual(change(plan.changes, PLUGIN).before, { path: PLUGIN, role: 'cni-plugin', sha256: 'a'.repeat(64), mode: '755' });
  assert.deepEqual(change(plan.changes, CONFLIST).before, { path: CONFLIST, role: 'cni-config', sha256: 'b'.repeat(64) });
});

test('a pod goes through the plugin only when both the plugin and its conflist are there and name podnet', () => {
  const reasonOf = (observed: ObservedState): string => change(planDestroyNode(cluster, NODE1, observed).changes, 'pa').reason.code;
  assert.equal(reasonOf(applied()), 'destroy-pod-through-plugin');
  assert.equal(reasonOf(applied({ files: undefined })), 'destroy-pod-by-hand', 'files not gathered');
  // The plugin is gone; another file naming podnet (a networkd drop-in) does not stand in for it.
  const dropin = { path: NETWORKD_DROPIN, sha256: 'c'.repeat(64), mentionsPodnet: true };
  assert.equal(reasonOf(applied({ files: [applied().files![1]!, dropin] })), 'destroy-pod-by-hand', 'no plugin');
  assert.equal(reasonOf(applied({ files: [{ path: PLUGIN, sha256: null }, applied().files![1]!] })), 'destroy-pod-by-hand', 'the plugin is missing');
});

test('a deleted network manager drop-in records its manager’s role', () => {
  const files = [...applied().files!, { path: NETWORKD_DROPIN, sha256: 'c'.repeat(64), mentionsPodnet: true }, { path: NETWORKMANAGER_DROPIN, sha256: 'd'.repeat(64), mentionsPodnet: true }];
  const plan = planDestroyNode(cluster, NODE1, applied({ files }));
  assert.equal((change(plan.changes, NETWORKD_DROPIN).before as { role: string }).role, 'networkd-config');
  assert.equal((change(plan.changes, NETWORKMANAGER_DROPIN).before as { role: string }).role, 'networkmanager-config');
});

test('the store: last_reserved_ip.N (any N) and empty or deleted pods’ address files are the plugin’s; other names and other containers’ files keep it', () => {
  const STORE = '/var/lib/cni/networks/podnet';
  const withEntries = (storeEntries: StoreEntry[] | undefined): ObservedState =>
    applied({ pods: { netns: ['pa'], allocations: [{ ip: '10.244.1.2', containerId: 'pa', ifname: 'eth0' }], storeExists: true, ...(storeEntries ? { storeEntries } : {}) } });
  const plugins: StoreEntry[] = [
    { name: '10.244.1.2', kind: 'file', firstLine: 'pa' },
    { name: '10.244.1.3', kind: 'file', firstLine: '' },
    { name: 'last_reserved_ip.10', kind: 'file', firstLine: '10.244.1.2' },
    { name: 'lock', kind: 'file', firstLine: '' },
  ];
  const plan = planDestroyNode(cluster, NODE1, withEntries(plugins));
  assert.equal(plan.warnings, undefined);
  assert.deepEqual(change(plan.changes, STORE).steps.length, 5, 'four rm -f, then rmdir');
  const foreignOf = (entries: StoreEntry[] | undefined): unknown => planDestroyNode(cluster, NODE1, withEntries(entries)).warnings;
  for (const name of ['old-last_reserved_ip.0', 'last_reserved_ip.0.bak']) {
    assert.deepEqual(foreignOf([...plugins, { name, kind: 'file' }]), [{ code: 'store-holds-foreign-entries', store: STORE, entries: [`file ${name}`] }], name);
  }
  assert.deepEqual(foreignOf([...plugins, { name: '10.244.1.9', kind: 'file', firstLine: 'someone-else' }]), [
    { code: 'store-holds-foreign-entries', store: STORE, entries: ['file 10.244.1.9'] },
  ]);
  assert.deepEqual(foreignOf(undefined), [{ code: 'store-holds-foreign-entries', store: STORE, entries: ['(entries not listed by the gather)'] }]);
  // The plugin's podnet+<id>+<ifname> notes: a deleted pod's, and a left-over one (no address file
  // names its container), are the plugin's; one of a container that keeps its address is not.
  const notes: StoreEntry[] = [
    { name: 'podnet+pa+eth0', kind: 'file', firstLine: '10.244.1.2' },
    { name: 'podnet+gone+eth0', kind: 'file', firstLine: '10.244.1.7' },
  ];
  assert.equal(planDestroyNode(cluster, NODE1, withEntries([...plugins, ...notes])).warnings, undefined);
  assert.equal(change(planDestroyNode(cluster, NODE1, withEntries([...plugins, ...notes])).changes, STORE).steps.length, 7);
  assert.deepEqual(foreignOf([...plugins, { name: '10.244.1.9', kind: 'file', firstLine: 'other' }, { name: 'podnet+other+eth0', kind: 'file', firstLine: '10.244.1.9' }]), [
    { code: 'store-holds-foreign-entries', store: STORE, entries: ['file 10.244.1.9', 'file podnet+other+eth0'] },
  ]);
});
