// A host network manager that would undo podnet's work: found by the gather, kept away by a podnet
// drop-in (planned, reloaded, warned about until in place, removed by destroy).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetworkManagerName, ObservedFile, ObservedState } from '../../src/model/types.js';
import { planDestroyNode } from '../../src/plan/destroy.js';
import { planNode } from '../../src/plan/plan-node.js';
import { buildClusterState } from '../../src/plan/node-state.js';
import { describeWarning } from '../../src/render/sentences.js';
import { parseGatherOutput, parseNetworkManagers, renderGatherCommand } from '../../src/scripts/gather-script.js';
import { desiredState } from '../../src/state/desired.js';
import { NETWORKD_DROPIN, NETWORKMANAGER_DROPIN } from '../../src/state/network-managers.js';
import { managedFilePaths } from '../../src/state/node-files.js';
import { classicCluster, classicSubnets } from '../support/classic-cluster.js';
import { gatherStdout } from '../support/gather-output.js';
import { loadObserved } from '../support/ip-fixtures.js';
import { stepArgvs } from '../support/plan-helpers.js';

const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'network-managers');
const fixture = (name: string): string => readFileSync(join(FIXTURES, `${name}.txt`), 'utf8');
const cluster = classicCluster();
const ctx = { podCidr: cluster.podCidr, nodeAddress: '192.168.1.11' };

test('the section: which managers systemd reports active; nothing without systemd', () => {
  assert.deepEqual(parseNetworkManagers(fixture('networkd')), ['systemd-networkd']);
  assert.deepEqual(parseNetworkManagers(fixture('networkmanager')), ['NetworkManager']);
  assert.deepEqual(parseNetworkManagers(fixture('both')), ['systemd-networkd', 'NetworkManager']);
  assert.deepEqual(parseNetworkManagers(fixture('none')), []);
  assert.deepEqual(parseNetworkManagers(fixture('failed-and-starting')), ['NetworkManager'], 'activating counts, failed does not');
  assert.equal(parseNetworkManagers(fixture('no-systemd')), undefined);
  const command = renderGatherCommand(managedFilePaths(cluster));
  assert.match(command, /\[ -d \/run\/systemd\/system \] && command -v systemctl .* systemctl is-active systemd-networkd\.service NetworkManager\.service/);
});

test('the gather parses the section into the observed state; the drop-ins are among the files it reads', () => {
  const paths = managedFilePaths(cluster);
  assert.ok(paths.includes(NETWORKD_DROPIN) && paths.includes(NETWORKMANAGER_DROPIN));
  const stdout = gatherStdout({ ipCase: 'converged', address: '192.168.1.11', networkManagers: fixture('networkd') });
  assert.deepEqual(parseGatherOutput(stdout, 'node1', '192.168.1.11', paths).networkManagers, ['systemd-networkd']);
  const without = gatherStdout({ ipCase: 'converged', address: '192.168.1.11' });
  assert.equal(parseGatherOutput(without, 'node1', '192.168.1.11', paths).networkManagers, undefined);
});

function desiredWith(managers?: NetworkManagerName[]): ReturnType<typeof desiredState> {
  return desiredState(cluster, classicSubnets(cluster), 'node1', managers);
}

test('a running manager adds its podnet drop-in to the desired state, and only then', () => {
  assert.deepEqual(desiredWith().files.map((f) => f.role), ['cni-plugin', 'cni-config']);
  const both = desiredWith(['systemd-networkd', 'NetworkManager']).files;
  const networkd = both.find((f) => f.path === NETWORKD_DROPIN)!;
  assert.match(networkd.content, /^\[Network\]$/m);
  assert.match(networkd.content, /^ManageForeignRoutes=no$/m);
  assert.match(networkd.content, /^ManageForeignRoutingPolicyRules=no$/m);
  assert.match(networkd.content, /podnet/, 'the file names podnet: it is podnet\'s');
  const nm = both.find((f) => f.path === NETWORKMANAGER_DROPIN)!;
  assert.match(nm.content, /^unmanaged-devices=interface-name:v-net-0;interface-name:pn\*$/m);
  assert.deepEqual([networkd.mode, nm.mode], ['644', '644']);
});

function observedWith(files: ObservedFile[], managers?: NetworkManagerName[]): ObservedState {
  return { ...loadObserved('converged'), files, ...(managers !== undefined ? { networkManagers: managers } : {}) };
}

test('a missing drop-in is installed, then its manager reloads it, with a warning until it is in place', () => {
  const desired = desiredWith(['systemd-networkd']);
  const dropin = desired.files.find((f) => f.path === NETWORKD_DROPIN)!;
  const others = desired.files.filter((f) => f !== dropin).map((f): ObservedFile => ({ path: f.path, sha256: f.sha256, mode: f.mode, mentionsPodnet: true }));
  const plan = planNode(desired, observedWith([...others, { path: NETWORKD_DROPIN, sha256: null }], ['systemd-networkd']), ctx);
  assert.deepEqual(
    plan.changes.map((c) => [c.kind, c.key, c.action]),
    [['file', NETWORKD_DROPIN, 'create']],
  );
  assert.deepEqual(stepArgvs(plan.changes), [
    ['install-file', NETWORKD_DROPIN, '644'],
    ['systemctl', 'try-restart', 'systemd-networkd.service'],
  ]);
  assert.deepEqual(plan.warnings?.map((w) => w.code), ['network-manager-unconfigured']);
  assert.match(describeWarning(plan.warnings![0]!), /systemd-networkd runs here and deletes routes it did not make .*writes \/etc\/systemd\/networkd\.conf\.d\/50-podnet\.conf and restarts it/);

  const inPlace = planNode(desired, observedWith([...others, { path: NETWORKD_DROPIN, sha256: dropin.sha256, mode: '644', mentionsPodnet: true }], ['systemd-networkd']), ctx);
  assert.deepEqual(inPlace.changes, []);
  assert.equal(inPlace.warnings, undefined);
});

test('NetworkManager: its drop-in is reloaded with nmcli', () => {
  const desired = desiredWith(['NetworkManager']);
  const plan = planNode(desired, observedWith(desired.files.map((f) => ({ path: f.path, sha256: null })), ['NetworkManager']), ctx);
  const change = plan.changes.find((c) => c.key === NETWORKMANAGER_DROPIN)!;
  assert.deepEqual(stepArgvs([change]), [['install-file', NETWORKMANAGER_DROPIN, '644'], ['nmcli', 'general', 'reload', 'conf']]);
});

test('the node state reads the managers of each host from its gather (the router too)', () => {
  const observed = new Map([
    ['node1', { ...observedWith([]), networkManagers: ['systemd-networkd'] as NetworkManagerName[] }],
    ['node2', { ...loadObserved('converged', 'node2'), files: [] }],
  ]);
  const state = buildClusterState(cluster, observed);
  const files = (node: string): string[] => state.states.find((s) => s.host.name === node)!.desired!.files.map((f) => f.path);
  assert.ok(files('node1').includes(NETWORKD_DROPIN));
  assert.ok(!files('node2').includes(NETWORKD_DROPIN));
});

test("destroy removes podnet's drop-ins and reloads a manager that still runs; a foreign file stays", () => {
  const files: ObservedFile[] = [
    { path: NETWORKD_DROPIN, sha256: 'ab'.repeat(32), mode: '644', mentionsPodnet: true },
    { path: NETWORKMANAGER_DROPIN, sha256: 'cd'.repeat(32), mode: '644', mentionsPodnet: true },
  ];
  const plan = planDestroyNode(cluster, { name: 'node1', address: '192.168.1.11' }, observedWith(files, ['systemd-networkd']));
  const dropins = plan.changes.filter((c) => c.kind === 'file');
  assert.deepEqual(stepArgvs(dropins), [
    ['rm', '-f', NETWORKD_DROPIN],
    ['systemctl', 'try-restart', 'systemd-networkd.service'],
    ['rm', '-f', NETWORKMANAGER_DROPIN],
  ]);
  const foreign = planDestroyNode(cluster, { name: 'node1', address: '192.168.1.11' }, observedWith([{ ...files[0]!, mentionsPodnet: false }], ['systemd-networkd']));
  assert.deepEqual(foreign.changes.filter((c) => c.kind === 'file'), []);
  assert.deepEqual(foreign.warnings?.map((w) => w.code), ['foreign-file-left']);
});
