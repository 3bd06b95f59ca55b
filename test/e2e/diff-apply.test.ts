// podnet diff / apply end to end on a real 3-node lab (namespaces with their own sshd). Needs root.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parse, stringify } from 'yaml';
import { labDown, labNodeExec, labRegenerateHostKey, labStartNode, labStopNode, labUp, type LabInfo } from '../../src/lab/lab.js';
import { runPodnet, runPodnetJson } from '../support/cli.js';
import { needs } from '../support/needs.js';

const requirement = needs('root', 'netns', 'sshd');

interface JsonChange {
  kind: string;
  key: string;
  action: string;
  steps: { run: string }[];
}
interface JsonReport {
  plan: { nodes: { node: string; changes: JsonChange[] }[] };
  results?: { node: string; status: string; changed: number; error?: string; failedStep?: { kind: string; key: string; command: string; message: string } }[];
  unreachable?: Record<string, string>;
  failed?: Record<string, string>;
  errors?: Record<string, string>;
  execs: Record<string, number>;
}

const podnet = runPodnet;

const podnetJson = (...args: string[]) => runPodnetJson<JsonReport>(...args);

const changesOf = (report: JsonReport, node: string): JsonChange[] => report.plan.nodes.find((n) => n.node === node)?.changes ?? [];

/** A change's object as people name it: `route 10.244.1.0/24`, `file /etc/cni/net.d/10-podnet.conflist`. */
const objectOf = (change: JsonChange): string => `${change.kind} ${change.key}`;

describe('podnet diff and apply on the lab', { skip: requirement, timeout: 180_000 }, () => {
  const name = `t${randomBytes(3).toString('hex')}`;
  let lab: LabInfo;
  let file: string;
  let tmp: string;

  async function onNode(node: string, ...argv: string[]): Promise<string> {
    const r = await labNodeExec(name, node, argv);
    assert.equal(r.code, 0, `${node}: ${argv.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  before(async () => {
    lab = await labUp({ name, nodes: 3 });
    file = lab.clusterFile;
    tmp = mkdtempSync(join(tmpdir(), 'podnet-e2e-'));
  });

  after(async () => {
    await labDown(name);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('apply from scratch converges every node; a second diff exits 0', () => {
    const before = podnet('diff', file);
    assert.equal(before.code, 2, before.stdout + before.stderr);
    assert.match(before.stdout, /to add/);
    const apply = podnetJson('apply', file);
    assert.equal(apply.code, 0, JSON.stringify(apply.report.results) + apply.stderr);
    assert.deepEqual(
      apply.report.results?.map((r) => [r.node, r.status]),
      [
        ['node1', 'converged'],
        ['node2', 'converged'],
        ['node3', 'converged'],
      ],
    );
    const again = podnet('diff', file);
    assert.equal(again.code, 0, again.stdout);
  });

  test('the nodes carry the bridge, its address, ip_forward and one podnet route per peer', async () => {
    const routes = JSON.parse(await onNode('node1', 'ip', '-j', 'route', 'show', 'proto', '201')) as { dst: string; gateway: string }[];
    assert.deepEqual(
      routes.map((r) => `${r.dst} via ${r.gateway}`).sort(),
      ['10.244.2.0/24 via 192.168.1.12', '10.244.3.0/24 via 192.168.1.13'],
    );
    assert.match(await onNode('node2', 'ip', '-o', '-4', 'addr', 'show', 'dev', 'v-net-0'), /10\.244\.2\.1\/24/);
    assert.equal((await onNode('node3', 'cat', '/proc/sys/net/ipv4/ip_forward')).trim(), '1');
  });

  test('the CNI plugin and its conflist are deployed; a file changed by hand is rewritten; a foreign one is a conflict', async () => {
    assert.match(await onNode('node2', 'stat', '-c', '%a %n', '/opt/cni/bin/podnet', '/etc/cni/net.d/10-podnet.conflist'), /^755 \/opt\/cni\/bin\/podnet\n644 \/etc\/cni\/net\.d\/10-podnet\.conflist\n$/);
    assert.match(await onNode('node2', 'env', 'CNI_COMMAND=VERSION', '/opt/cni/bin/podnet'), /supportedVersions/);
    await onNode('node2', 'sh', '-c', 'echo "# edited by hand" >> /etc/cni/net.d/10-podnet.conflist');
    const diff = podnetJson('diff', file);
    assert.equal(diff.code, 2);
    assert.deepEqual(changesOf(diff.report, 'node2').map((c) => [c.action, objectOf(c)]), [['update', 'file /etc/cni/net.d/10-podnet.conflist']]);
    assert.equal(podnet('apply', file).code, 0);
    assert.doesNotMatch(await onNode('node2', 'cat', '/etc/cni/net.d/10-podnet.conflist'), /edited by hand/);

    await onNode('node3', 'sh', '-c', 'printf "#!/bin/sh\\necho someone else\\n" > /opt/cni/bin/podnet');
    const conflict = podnet('diff', file);
    assert.equal(conflict.code, 1);
    assert.match(conflict.stdout, /conflict: file \/opt\/cni\/bin\/podnet/);
    assert.equal(podnet('apply', file).code, 1, 'a node with a conflict is not applied');
    assert.match(await onNode('node3', 'cat', '/opt/cni/bin/podnet'), /someone else/, 'the foreign file is untouched');
    await onNode('node3', 'rm', '/opt/cni/bin/podnet');
    assert.equal(podnet('apply', file).code, 0);
  });

  test('a converged run sends exactly one SSH exec per node', () => {
    const diff = podnetJson('diff', file);
    assert.equal(diff.code, 0);
    assert.deepEqual(diff.report.execs, { node1: 1, node2: 1, node3: 1 });
    const apply = podnetJson('apply', file);
    assert.equal(apply.code, 0);
    assert.deepEqual(apply.report.execs, { node1: 1, node2: 1, node3: 1 });
  });

  test('drift: a peer route deleted by hand is listed alone and restored with one command', async () => {
    await onNode('node2', 'ip', 'route', 'del', '10.244.3.0/24');
    const diff = podnetJson('diff', file);
    assert.equal(diff.code, 2);
    assert.deepEqual(changesOf(diff.report, 'node1'), []);
    assert.deepEqual(changesOf(diff.report, 'node3'), []);
    const drift = changesOf(diff.report, 'node2');
    assert.equal(drift.length, 1, JSON.stringify(drift));
    assert.equal(drift[0]!.action, 'create');
    assert.match(objectOf(drift[0]!), /10\.244\.3\.0\/24/);
    const text = podnet('diff', file);
    assert.match(text.stdout, /\+ .*10\.244\.3\.0\/24/);
    const apply = podnetJson('apply', file);
    assert.equal(apply.code, 0);
    assert.deepEqual(
      apply.report.results?.map((r) => [r.node, r.changed]),
      [
        ['node1', 0],
        ['node2', 1],
        ['node3', 0],
      ],
    );
    assert.equal(podnet('diff', file).code, 0);
  });

  test('the bridge set down by hand, or its address removed, is repaired', async () => {
    await onNode('node1', 'ip', 'link', 'set', 'dev', 'v-net-0', 'down');
    await onNode('node3', 'ip', 'addr', 'del', '10.244.3.1/24', 'dev', 'v-net-0');
    const diff = podnetJson('diff', file);
    assert.equal(diff.code, 2);
    assert.ok(changesOf(diff.report, 'node1').length >= 1);
    assert.ok(changesOf(diff.report, 'node3').some((c) => objectOf(c).includes('10.244.3.1/24')));
    assert.equal(podnet('apply', file).code, 0);
    assert.match(await onNode('node1', 'ip', '-o', 'link', 'show', 'dev', 'v-net-0'), /[<,]UP[,>]/);
    assert.match(await onNode('node3', 'ip', '-o', '-4', 'addr', 'show', 'dev', 'v-net-0'), /10\.244\.3\.1\/24/);
    assert.equal(podnet('diff', file).code, 0);
  });

  test("an admin's own route survives apply untouched", async () => {
    await onNode('node1', 'ip', 'route', 'add', '10.99.0.0/24', 'via', '192.168.1.12');
    const snapshot = await onNode('node1', 'ip', '-j', 'route', 'show', '10.99.0.0/24');
    await onNode('node1', 'ip', 'route', 'del', '10.244.2.0/24');
    assert.equal(podnet('apply', file).code, 0);
    assert.equal(await onNode('node1', 'ip', '-j', 'route', 'show', '10.99.0.0/24'), snapshot);
    assert.equal(podnet('diff', file).code, 0);
    await onNode('node1', 'ip', 'route', 'del', '10.99.0.0/24');
  });

  test('a node removed from cluster.yaml: diff warns naming --prune-removed; a plain apply leaves its peers\' routes to it', async () => {
    const doc = parse(readFileSync(file, 'utf8')) as { nodes: { name: string }[] };
    doc.nodes = doc.nodes.filter((n) => n.name !== 'node3');
    const twoNodes = join(tmp, 'two-nodes.yaml');
    writeFileSync(twoNodes, stringify(doc));
    const diff = podnetJson('diff', twoNodes);
    assert.equal(diff.code, 0);
    for (const node of ['node1', 'node2']) assert.deepEqual(changesOf(diff.report, node), []);
    assert.match(podnet('diff', twoNodes).stdout, /warning: a node at 192\.168\.1\.13 .*podnet apply --prune-removed/);
    assert.equal(podnet('apply', twoNodes).code, 0);
    assert.match(await onNode('node1', 'ip', 'route'), /10\.244\.3\.0\/24 via 192\.168\.1\.13/);
    assert.equal(podnet('apply', file).code, 0, 'the three-node cluster is still whole');
    assert.match(await onNode('node1', 'ip', 'route'), /10\.244\.3\.0\/24 via 192\.168\.1\.13/);
  });

  test('apply --check plans without changing anything; --limit touches only the named nodes; -v shows the commands', async () => {
    await onNode('node1', 'ip', 'route', 'del', '10.244.2.0/24');
    await onNode('node3', 'ip', 'route', 'del', '10.244.2.0/24');
    const check = podnetJson('apply', file, '--check');
    assert.equal(check.code, 2, 'changes pending, as for diff');
    assert.equal(check.report.results, undefined, 'nothing was applied');
    assert.equal(changesOf(check.report, 'node1').length, 1);
    assert.doesNotMatch(await onNode('node1', 'ip', 'route'), /10\.244\.2\.0/);

    const limited = podnet('apply', file, '--limit', 'node1', '-v');
    assert.equal(limited.code, 0, limited.stdout + limited.stderr);
    assert.match(limited.stderr, /\[node1\] \$ .*ip -batch -/s, '-v shows the command sent');
    // node3 is gathered (read only: routes point only at hosts that answer), never applied
    assert.match(limited.stderr, /\[node3\] \$ echo '@@podnet ip'/);
    assert.doesNotMatch(limited.stderr, /\[node3\] \$ mkdir -p \/run\/podnet\/apply/);
    assert.match(await onNode('node1', 'ip', 'route'), /10\.244\.2\.0\/24 via 192\.168\.1\.12/);
    assert.doesNotMatch(await onNode('node3', 'ip', 'route'), /10\.244\.2\.0/, 'node3 was not targeted');
    assert.equal(podnet('diff', file, '--limit', 'node3').code, 2);
    assert.equal(podnet('diff', file, '--limit', 'nodeX').code, 1, 'an unknown node name is an error');
    assert.equal(podnet('apply', file).code, 0);
  });

  test('a plan saved by diff --out is applied by apply --plan, and refused once it is stale', async () => {
    const saved = join(tmp, 'plan.json');
    await onNode('node2', 'ip', 'route', 'del', '10.244.1.0/24');
    assert.equal(podnet('diff', file, '--out', saved).code, 2);
    const applied = podnetJson('apply', file, '--plan', saved);
    assert.equal(applied.code, 0, applied.stderr);
    assert.deepEqual(changesOf(applied.report, 'node2').map(objectOf), ['route 10.244.1.0/24']);

    await onNode('node2', 'ip', 'route', 'del', '10.244.1.0/24');
    assert.equal(podnet('diff', file, '--out', saved).code, 2);
    await onNode('node3', 'ip', 'route', 'del', '10.244.1.0/24'); // drift after the plan was made
    const stale = podnet('apply', file, '--plan', saved);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /saved plan .* is stale: node3 changed since it was planned/);
    assert.doesNotMatch(await onNode('node2', 'ip', 'route'), /10\.244\.1\.0/, 'nothing was applied');
    assert.equal(podnet('apply', file).code, 0);
  });

  test('a failing step on one node is reported with that step; the other nodes converge', async () => {
    // node1's sysctls are made read-only by hand (as in many containers): its ip_forward step must fail.
    await onNode('node1', 'sysctl', '-qw', 'net.ipv4.ip_forward=0');
    await onNode('node1', 'mount', '--bind', '/proc/sys', '/proc/sys');
    await onNode('node1', 'mount', '-o', 'remount,bind,ro', '/proc/sys');
    await onNode('node2', 'ip', 'route', 'del', '10.244.1.0/24');
    try {
      const apply = podnetJson('apply', file);
      assert.equal(apply.code, 1);
      const byNode = new Map(apply.report.results?.map((r) => [r.node, r]));
      assert.equal(byNode.get('node1')?.status, 'failed');
      assert.match(byNode.get('node1')?.failedStep?.key ?? '', /ip_forward/);
      assert.match(byNode.get('node1')?.failedStep?.message ?? '', /permission denied|read-only/i);
      assert.equal(byNode.get('node2')?.status, 'converged');
      assert.equal(byNode.get('node3')?.status, 'converged');
      const text = podnet('apply', file);
      assert.match(text.stdout, /node1 .*failed=1/);
      assert.match(text.stdout, /step 1 \(sysctl net\.ipv4\.ip_forward\) failed: sysctl -w net\.ipv4\.ip_forward=1/);
    } finally {
      await onNode('node1', 'umount', '/proc/sys');
    }
    assert.equal(podnet('apply', file).code, 0);
  });

  test('a node whose sshd is stopped is reported unreachable; the others converge; it converges on return', async () => {
    await onNode('node1', 'ip', 'route', 'del', '10.244.2.0/24');
    await labStopNode(name, 'node3');
    const apply = podnetJson('apply', file);
    assert.notEqual(apply.code, 0);
    const byNode = new Map(apply.report.results?.map((r) => [r.node, r]));
    assert.equal(byNode.get('node3')?.status, 'unreachable');
    assert.equal(byNode.get('node1')?.status, 'converged');
    assert.equal(byNode.get('node2')?.status, 'converged');
    const diff = podnetJson('diff', file);
    assert.equal(diff.code, 1);
    assert.deepEqual(Object.keys(diff.report.unreachable ?? {}), ['node3'], 'a stopped sshd is unreachable, not failed');
    assert.deepEqual(diff.report.failed, {});
    assert.deepEqual(diff.report.errors, {});
    await labStartNode(name, 'node3');
    await onNode('node3', 'ip', 'route', 'del', '10.244.1.0/24');
    assert.equal(podnet('apply', file).code, 0);
    assert.equal(podnet('diff', file).code, 0);
  });

  test('a node presenting a different host key is refused', async () => {
    await labRegenerateHostKey(name, 'node2');
    const diff = podnet('diff', file);
    assert.equal(diff.code, 1);
    assert.match(diff.stdout + diff.stderr, /node2.*host key/i);
    const accept = podnet('diff', file, '--accept-new-hosts');
    assert.equal(accept.code, 1, 'a changed key is refused even with --accept-new-hosts');
  });
});
