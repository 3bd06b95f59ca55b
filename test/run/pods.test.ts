// podnet pod add / del / list through the transport: one exec per operation, the rendered script sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/model/errors.js';
import { addPod, deletePod, listPods, podNetConfig } from '../../src/run/pods.js';
import { SshError } from '../../src/run/ssh/errors.js';
import { renderPodAddScript, renderPodDelScript, renderPodListScript } from '../../src/scripts/pod-script.js';
import { classicCluster } from '../support/classic-cluster.js';
import { FakeTransport, exit, ok } from '../support/fake-transport.js';

const cluster = classicCluster();
const CNI_RESULT = { cniVersion: '1.0.0', ips: [{ address: '10.244.2.5/24', gateway: '10.244.2.1' }] };

test('pod add sends the rendered ADD script to that node alone, once, and reads the CNI result', async () => {
  const fake = new FakeTransport({ node2: { replies: [ok(JSON.stringify(CNI_RESULT) + '\n')] } });
  const added = await addPod(fake, cluster, 'node2', 'web1');
  assert.deepEqual(added.addresses, [{ address: '10.244.2.5/24', gateway: '10.244.2.1' }]);
  assert.deepEqual(fake.sent, [{ host: 'node2', command: renderPodAddScript({ cni: cluster.cni, pod: 'web1', netConfig: podNetConfig(cluster) }) }]);
});

test('pod del reports whether the pod existed; a failure on the node is a UserError', async () => {
  const fake = new FakeTransport({ node1: { replies: [ok('existed=1\n'), exit(99, 'sh: oops')] } });
  assert.deepEqual(await deletePod(fake, cluster, 'node1', 'web1'), { node: 'node1', pod: 'web1', existed: true });
  assert.equal(fake.sent[0]?.command, renderPodDelScript({ cni: cluster.cni, pod: 'web1', netConfig: podNetConfig(cluster) }));
  await assert.rejects(deletePod(fake, cluster, 'node1', 'web1'), (err) => err instanceof UserError && /exit 99/.test(err.message));
});

test('pod add: an unreachable node is a UserError, a bug is not turned into one', async () => {
  const down = new FakeTransport({ node1: { connectError: new SshError('refused', 'node1', 'node1: connection refused') } });
  await assert.rejects(addPod(down, cluster, 'node1', 'web1'), (err) => err instanceof UserError && err.message === 'node1: connection refused');
  const buggy = new FakeTransport({ node1: { replies: [{ throws: new TypeError('boom') }] } });
  await assert.rejects(addPod(buggy, cluster, 'node1', 'web1'), TypeError);
});

test('pod list: every node in one exec each; an unreachable node carries its reason', async () => {
  const fake = new FakeTransport({
    node1: { replies: [ok('')] },
    node2: { connectError: new SshError('timeout', 'node2', 'node2: timed out') },
    node3: { replies: [ok('')] },
  });
  const listed = await listPods(fake, cluster, undefined);
  assert.deepEqual(listed, [
    { node: 'node1', pods: [] },
    { node: 'node2', error: 'node2: timed out' },
    { node: 'node3', pods: [] },
  ]);
  assert.deepEqual(fake.commandsTo('node1'), [renderPodListScript(cluster.cni)]);
  assert.equal(fake.sent.length, 2);
});
