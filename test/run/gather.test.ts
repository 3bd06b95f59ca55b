// gather over a fake transport: one exec per host, --forks respected, and the three ways a host
// can fail to be gathered kept apart (unreachable, failed, internal error).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeSpec } from '../../src/model/types.js';
import { gatherCluster } from '../../src/run/gather.js';
import type { ProgressEvent } from '../../src/run/events.js';
import { SshError } from '../../src/run/ssh/errors.js';
import { renderGatherCommand } from '../../src/scripts/gather-script.js';
import { managedFilePaths } from '../../src/state/node-files.js';
import { classicCluster } from '../support/classic-cluster.js';
import { FakeTransport, exit, ok } from '../support/fake-transport.js';
import { convergedNodeStdout, emptyNodeStdout, gatherStdout } from '../support/gather-output.js';

const cluster = classicCluster();
const quiet = { forks: 10, hooks: {} };

test('every host is gathered with ONE exec of the gather command, and its state parsed', async () => {
  const fake = new FakeTransport({
    node1: { replies: [ok(convergedNodeStdout(cluster, 1))] },
    node2: { replies: [ok(emptyNodeStdout(2))] },
    node3: { replies: [ok(convergedNodeStdout(cluster, 3))] },
  });
  const gathered = await gatherCluster(cluster, cluster.nodes, fake, quiet);
  assert.deepEqual(gathered.problems, new Map());
  assert.deepEqual([...gathered.observed.keys()].sort(), ['node1', 'node2', 'node3']);
  const command = renderGatherCommand(managedFilePaths(cluster));
  for (const node of ['node1', 'node2', 'node3']) assert.deepEqual(fake.commandsTo(node), [command]);
  assert.equal(gathered.observed.get('node1')?.ipForward, true);
  assert.equal(gathered.observed.get('node2')?.ipForward, false);
  assert.ok(gathered.observed.get('node1')?.links.some((l) => l.name === 'v-net-0'));
  assert.ok(!gathered.observed.get('node2')?.links.some((l) => l.name === 'v-net-0'));
  assert.equal(gathered.observed.get('node3')?.management?.localAddress, '192.168.1.13');
});

function manyNodes(count: number): NodeSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    ...cluster.nodes[0]!,
    name: `n${i + 1}`,
    address: `192.168.1.${100 + i}`,
  }));
}

for (const forks of [1, 3]) {
  test(`no more than --forks ${forks} hosts are worked on at once (and that many are)`, async () => {
    const hosts = manyNodes(7);
    const fake = new FakeTransport();
    for (const h of hosts) fake.on(h.name, { replies: [{ ...ok(gatherStdout({ ipCase: 'empty', address: h.address })), delayMs: 15 }] });
    const gathered = await gatherCluster(cluster, hosts, fake, { forks, hooks: {} });
    assert.equal(gathered.observed.size, 7);
    assert.equal(fake.sent.length, 7);
    assert.equal(fake.maxConcurrent, forks);
  });
}

test('unreachable, failed and internal error are told apart, and the other hosts are still gathered', async () => {
  const hosts = manyNodes(7);
  const [refused, disconnected, sudo, exited, garbled, buggy, fine] = hosts.map((h) => h.name) as string[] as [string, string, string, string, string, string, string];
  const fake = new FakeTransport({
    [refused]: { connectError: new SshError('refused', refused, `${refused} (root@h:22): connection refused`) },
    [disconnected]: { replies: [{ throws: new SshError('disconnected', disconnected, 'connection lost while running a command') }] },
    [sudo]: { replies: [{ throws: new SshError('sudo-password', sudo, 'sudo asks for a password') }] },
    [exited]: { replies: [exit(127, 'sh: ip: not found\n')] },
    [garbled]: { replies: [ok('Welcome to the node!\n')] },
    [buggy]: { replies: [{ throws: new TypeError("Cannot read properties of undefined (reading 'trim')") }] },
    [fine]: { replies: [ok(gatherStdout({ ipCase: 'empty', address: '192.168.1.106' }))] },
  });
  const gathered = await gatherCluster(cluster, hosts, fake, quiet);
  const status = Object.fromEntries([...gathered.problems].map(([host, p]) => [host, p.status]));
  assert.deepEqual(status, {
    [refused]: 'unreachable',
    [disconnected]: 'unreachable',
    [sudo]: 'failed',
    [exited]: 'failed',
    [garbled]: 'failed',
    [buggy]: 'error',
  });
  assert.deepEqual([...gathered.observed.keys()], [fine]);
  assert.match(gathered.problems.get(refused)!.message, /connection refused/);
  assert.equal(gathered.problems.get(exited)!.message, 'gathering state failed (exit 127): sh: ip: not found');
  assert.match(gathered.problems.get(garbled)!.message, /^cannot read the gathered state: the gather output is incomplete/);
  assert.equal(gathered.problems.get(buggy)!.message, "Cannot read properties of undefined (reading 'trim')");
  assert.deepEqual(fake.commandsTo(refused), [], 'a host that cannot be reached is sent nothing');
});

test('a gather that printed a broken ip section is failed, naming what could not be read', async () => {
  const stdout = gatherStdout({ ipCase: 'empty', address: '192.168.1.11' }).replace(/^\[\{"ifindex".*$/m, '[{"ifindex":1,');
  const fake = new FakeTransport({ node1: { replies: [ok(stdout)] } });
  const gathered = await gatherCluster(cluster, [cluster.nodes[0]!], fake, quiet);
  const problem = gathered.problems.get('node1');
  assert.equal(problem?.status, 'failed');
  assert.match(problem?.message ?? '', /^cannot read the gathered state: ip -j -d link show: output is not JSON/);
});

test('progress events come in order per host: connecting, then gathered or the problem', async () => {
  const fake = new FakeTransport({
    node1: { replies: [{ ...ok(emptyNodeStdout(1)), delayMs: 10 }] },
    node2: { connectError: new SshError('timeout', 'node2', 'node2: connect timed out'), connectDelayMs: 5 },
    node3: { replies: [exit(1, 'boom')] },
  });
  const events = new Map<string, ProgressEvent[]>();
  const commands: string[] = [];
  await gatherCluster(cluster, cluster.nodes, fake, {
    forks: 10,
    hooks: {
      onProgress: (node, event) => events.set(node, [...(events.get(node) ?? []), event]),
      onCommand: (node) => commands.push(node),
    },
  });
  assert.deepEqual(events.get('node1'), [{ kind: 'connecting' }, { kind: 'gathered' }]);
  assert.deepEqual(events.get('node2'), [{ kind: 'connecting' }, { kind: 'unreachable', message: 'node2: connect timed out' }]);
  assert.deepEqual(events.get('node3'), [{ kind: 'connecting' }, { kind: 'failed', message: 'gathering state failed (exit 1): boom' }]);
  assert.deepEqual(commands.sort(), ['node1', 'node3'], 'onCommand sees every command sent, and only those');
});
