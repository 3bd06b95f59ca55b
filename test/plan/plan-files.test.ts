// The CNI plugin and conflist as desired state: planned from the digests the gather reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ObservedFile, ObservedState } from '../../src/model/types.js';
import { desiredState } from '../../src/state/desired.js';
import { planNode } from '../../src/plan/plan-node.js';
import { describeConflict, describeReason } from '../../src/render/sentences.js';
import { classicCluster, classicSubnets } from '../support/classic-cluster.js';
import { convergenceOf, nodeStateOf, objectOf, stepArgvs } from '../support/plan-helpers.js';

const cluster = classicCluster();
const desired = desiredState(cluster, classicSubnets(cluster), 'node1');
const ctx = { podCidr: cluster.podCidr, nodeAddress: '192.168.1.11' };
const [plugin, conflist] = desired.files;

/** node1 converged on everything but files. */
function observedWith(files: ObservedFile[] | undefined): ObservedState {
  return {
    node: 'node1',
    links: [{ ifindex: 3, name: 'v-net-0', kind: 'bridge', up: true, operstate: 'UP', mtu: 1500, alias: 'podnet' }],
    addresses: [{ dev: 'v-net-0', family: 'inet', local: '10.244.1.1', prefixlen: 24 }],
    routes: [
      { dst: '10.244.2.0/24', gateway: '192.168.1.12', protocol: '201' },
      { dst: '10.244.3.0/24', gateway: '192.168.1.13', protocol: '201' },
    ],
    ipForward: true,
    ...(files !== undefined ? { files } : {}),
  };
}

/** What is left after apply when the re-gather saw `files` (the plan was made from nothing). */
const leftAfter = (files: ObservedFile[]): ReturnType<typeof convergenceOf> =>
  convergenceOf(cluster, nodeStateOf(cluster, 'node1', observedWith([])), observedWith(files));

const present = (f: typeof plugin, over: Partial<ObservedFile> = {}): ObservedFile => ({ path: f!.path, sha256: f!.sha256, mode: f!.mode, mentionsPodnet: true, ...over });

test('missing files are created with their content, after every network change', () => {
  const plan = planNode(desired, observedWith([{ path: plugin!.path, sha256: null }, { path: conflist!.path, sha256: null }]), ctx);
  assert.deepEqual(
    plan.changes.map((c) => [c.action, objectOf(c), stepArgvs([c]).map((a) => a.join(' '))]),
    [
      ['create', 'file /opt/cni/bin/podnet', ['install-file /opt/cni/bin/podnet 755']],
      ['create', 'file /etc/cni/net.d/10-podnet.conflist', ['install-file /etc/cni/net.d/10-podnet.conflist 644']],
    ],
  );
  assert.deepEqual(plan.changes[0]!.steps, [{ run: 'install-file', path: plugin!.path, mode: '755', content: plugin!.content }]);
  assert.deepEqual(plan.changes[1]!.steps, [{ run: 'install-file', path: conflist!.path, mode: '644', content: conflist!.content }]);
  assert.deepEqual(plan.changes[0]!.after, { path: plugin!.path, role: 'cni-plugin', mode: '755', sha256: plugin!.sha256 });
  const left = leftAfter([{ path: plugin!.path, sha256: null }, present(conflist)]);
  assert.equal(left.converged, false);
  assert.deepEqual(left.unmet.map((c) => [c.kind, c.key, c.action]), [['file', '/opt/cni/bin/podnet', 'create']]);
});

test('identical files plan nothing; other content or mode is an update; files never gathered plan nothing', () => {
  assert.deepEqual(planNode(desired, observedWith([present(plugin), present(conflist)]), ctx).changes, []);
  assert.deepEqual(leftAfter([present(plugin), present(conflist)]), { converged: true, unmet: [], conflicts: [], lines: [] });
  const drifted = planNode(desired, observedWith([present(plugin, { sha256: 'ab'.repeat(32) }), present(conflist, { mode: '666' })]), ctx);
  assert.deepEqual(
    drifted.changes.map((c) => [c.action, objectOf(c), describeReason(c).split(' (')[0]]),
    [
      ['update', 'file /opt/cni/bin/podnet', 'content differs'],
      ['update', 'file /etc/cni/net.d/10-podnet.conflist', 'mode is 666, want 644'],
    ],
  );
  assert.deepEqual(
    drifted.changes.map((c) => [c.before, c.after]),
    [
      [
        { path: plugin!.path, role: 'cni-plugin', mode: '755', sha256: 'ab'.repeat(32) },
        { path: plugin!.path, role: 'cni-plugin', mode: '755', sha256: plugin!.sha256 },
      ],
      [
        { path: conflist!.path, role: 'cni-config', mode: '666', sha256: conflist!.sha256 },
        { path: conflist!.path, role: 'cni-config', mode: '644', sha256: conflist!.sha256 },
      ],
    ],
  );
  assert.deepEqual(planNode(desired, observedWith(undefined), ctx).changes, []);
});

test("a file that is not podnet's is a conflict and is left alone", () => {
  const plan = planNode(desired, observedWith([present(plugin, { sha256: 'cd'.repeat(32), mentionsPodnet: false }), present(conflist)]), ctx);
  assert.deepEqual(plan.changes, []);
  assert.deepEqual(plan.conflicts.map((c) => [c.code, c.kind, c.key]), [['foreign-file', 'file', '/opt/cni/bin/podnet']]);
  assert.deepEqual(plan.conflicts.map((c) => describeConflict(c).object), ['file /opt/cni/bin/podnet']);
  // …and after apply it still stands in the way: not converged, though nothing is left to do.
  const left = leftAfter([present(plugin, { sha256: 'cd'.repeat(32), mentionsPodnet: false }), present(conflist)]);
  assert.deepEqual([left.converged, left.unmet, left.conflicts.map((c) => c.code)], [false, [], ['foreign-file']]);
});
