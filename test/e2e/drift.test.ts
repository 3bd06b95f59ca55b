// Issue 14 item 1 on a real 3-node lab: apply records on every node what it applied (its own
// /var/lib/podnet/state.json); then a route deleted by hand and a subnet edited in cluster.yaml:
// diff shows the drift and the change, each under its own heading (text and JSON), and
// `diff --fail-on-drift` exits 3; once applied, nothing drifts; destroy removes the state file. Needs root.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labNodeExec, labUp, type LabInfo } from '../../src/lab/lab.js';
import { runPodnet, runPodnetJson } from '../support/cli.js';
import { needs } from '../support/needs.js';

const requirement = needs('root', 'netns', 'sshd');

interface JsonReport {
  plan: {
    summary: { add: number; change: number; destroy: number; drift?: number };
    nodes: { node: string; lastApply?: { state: string; clusterDigest?: string; controller?: string; time?: string }; changes: { kind: string; key: string; action: string; origin?: string }[] }[];
  };
  results?: { node: string; status: string; error?: string }[];
}

const STATE = '/var/lib/podnet/state.json';

describe('drift told apart from change on the lab (issue 14)', { skip: requirement, timeout: 180_000 }, () => {
  // The helper's prefix and 6 random characters: no other run uses this lab.
  const name = `i14d${randomBytes(3).toString('hex')}`;
  let lab: LabInfo | undefined;
  let file: string;
  let moved: string;
  let tmp: string | undefined;

  async function onNode(node: string, ...argv: string[]): Promise<{ code: number; stdout: string }> {
    const r = await labNodeExec(name, node, argv);
    return { code: r.code, stdout: r.stdout };
  }

  before(async () => {
    lab = await labUp({ name, nodes: 3 });
    file = lab.clusterFile;
    tmp = mkdtempSync(join(tmpdir(), 'podnet-drift-'));
    moved = join(tmp, 'cluster.yaml');
    const text = readFileSync(file, 'utf8');
    assert.match(text, /subnet: 10\.244\.3\.0\/24/);
    writeFileSync(moved, text.replace('subnet: 10.244.3.0/24', 'subnet: 10.244.30.0/24'));
  });

  after(async () => {
    await labDown(name);
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  });

  test('a first apply: every change says so, and each node gets its own state file, mode 0600', async () => {
    const diff = runPodnetJson<JsonReport>('diff', file);
    assert.equal(diff.code, 2, diff.stderr);
    for (const node of diff.report.plan.nodes) {
      assert.deepEqual(node.lastApply, { state: 'missing' }, node.node);
      assert.ok(node.changes.length > 0 && node.changes.every((c) => c.origin === 'first-apply'), node.node);
    }
    assert.equal(diff.report.plan.summary.drift, 0);
    assert.match(runPodnet('diff', file).stdout, /^node1 \(192\.168\.1\.11, pods 10\.244\.1\.0\/24, first apply\)$/m);
    const apply = runPodnet('apply', file);
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    const digest = createHash('sha256').update(readFileSync(file)).digest('hex');
    for (const node of ['node1', 'node2', 'node3']) {
      const mode = await onNode(node, 'stat', '-c', '%a', STATE);
      assert.equal(mode.stdout.trim(), '600', node);
      const record = JSON.parse((await onNode(node, 'cat', STATE)).stdout) as { node: string; clusterDigest: string; controller: string; objects: Record<string, string> };
      assert.equal(record.node, node, 'each node has its own /var/lib/podnet');
      assert.equal(record.clusterDigest, digest);
      assert.match(record.controller, /^[^@\s]+@\S+$/);
      assert.match(record.objects['route 10.244.1.0/24'] ?? record.objects['route 10.244.2.0/24'] ?? '', /^[0-9a-f]{64}$/);
    }
    const again = runPodnetJson<JsonReport>('diff', file);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.report.plan.summary.drift, 0);
    assert.equal(again.report.plan.nodes[0]?.lastApply?.state, 'recorded');
    assert.equal(again.report.plan.nodes[0]?.lastApply?.clusterDigest, digest);
    assert.equal(runPodnet('diff', '--fail-on-drift', file).code, 0);
  });

  test('a route deleted by hand and a subnet edited in cluster.yaml: one drift and the change, each under its own heading', async () => {
    assert.equal((await onNode('node1', 'ip', 'route', 'del', '10.244.2.0/24', 'proto', '201')).code, 0);
    const text = runPodnet('diff', moved);
    assert.equal(text.code, 2, text.stdout + text.stderr);
    const [driftPart, changePart] = text.stdout.split('Changes cluster.yaml asks for:\n');
    assert.ok(changePart !== undefined, text.stdout);
    assert.match(driftPart!, /^Objects have changed outside of podnet \(drift\):$/m);
    assert.match(driftPart!, /^node1 \(192\.168\.1\.11, pods 10\.244\.1\.0\/24\)\n {2}\+ route 10\.244\.2\.0\/24 via 192\.168\.1\.12 +\(missing\)\n\n$/m);
    assert.equal((driftPart!.match(/^ {2}[+~-] /gm) ?? []).length, 1, 'one drift');
    assert.doesNotMatch(changePart, /10\.244\.2\.0\/24 via/, 'the drift is not listed again');
    assert.match(changePart, /^ {2}\+ route 10\.244\.30\.0\/24 via 192\.168\.1\.13/m);
    assert.match(changePart, /^ {2}\+ address 10\.244\.30\.1\/24 on v-net-0/m);
    assert.match(text.stdout, /Drift: 1 object changed outside of\s+podnet\.\n$/);
    const json = runPodnetJson<JsonReport>('diff', moved);
    assert.equal(json.code, 2);
    const origins = json.report.plan.nodes.flatMap((n) => n.changes.map((c) => `${n.node} ${c.action} ${c.kind} ${c.key}: ${c.origin}`));
    assert.deepEqual(origins.filter((o) => o.endsWith('drift')), ['node1 create route 10.244.2.0/24: drift']);
    assert.ok(origins.filter((o) => o.endsWith('change')).length >= 5, origins.join('\n'));
    assert.ok(origins.every((o) => /: (drift|change)$/.test(o)), origins.join('\n'));
    assert.equal(json.report.plan.summary.drift, 1);
    // The drift check fails on the drift, and only on it: the unedited file has the drift alone.
    assert.equal(runPodnet('diff', '--fail-on-drift', moved).code, 3);
    assert.equal(runPodnet('diff', '--fail-on-drift', '-o', 'json', file).code, 3);
  });

  test('applied: nothing drifts, the records follow the new cluster.yaml; destroy removes them', async () => {
    const apply = runPodnet('apply', moved);
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    const diff = runPodnetJson<JsonReport>('diff', moved);
    assert.equal(diff.code, 0, diff.stderr);
    assert.equal(diff.report.plan.summary.drift, 0);
    const record = JSON.parse((await onNode('node1', 'cat', STATE)).stdout) as { objects: Record<string, string> };
    assert.ok(record.objects['route 10.244.30.0/24'] !== undefined && record.objects['route 10.244.3.0/24'] === undefined);
    const destroy = runPodnet('destroy', moved);
    assert.equal(destroy.code, 0, destroy.stdout + destroy.stderr);
    for (const node of ['node1', 'node2', 'node3']) assert.notEqual((await onNode(node, 'test', '-e', STATE)).code, 0, `${node}: the state file is gone`);
  });
});
