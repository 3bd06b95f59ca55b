// Issue 11 items 2 and 3 on a real 3-node lab: a mistyped node address leaves its peers' routes
// alone (the plan says they wait, the exit code says so), and a node removed from cluster.yaml is
// warned about, then cleaned — with its peers' routes — by apply --prune-removed, or beforehand by
// destroy --limit. Needs root.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { labNodeExec, labStartNode, labStopNode, type LabInfo } from '../../src/lab/lab.js';
import { runPodnet, runPodnetJson } from '../support/cli.js';
import { startTestLab, stopTestLab } from '../support/lab.js';
import { needs } from '../support/needs.js';

const requirement = needs('root', 'netns', 'sshd');

interface JsonReport {
  plan: {
    summary: { waiting?: number };
    warnings?: { code: string; address?: string }[];
    nodes: { node: string; role?: string; changes: { kind: string; key: string; action: string }[]; waiting?: { key: string; peer: string; why: string }[] }[];
  };
  results?: { node: string; status: string; waiting?: { key: string; peer: string }[] }[];
  unreachable?: Record<string, string>;
}

describe('peers only routed to nodes that answer; removing a node', { skip: requirement, timeout: 300_000 }, () => {
  let lab: LabInfo | undefined;
  let tmp: string;
  let file: string;

  /** cluster.yaml of the lab, edited: a short connect timeout (for the address nothing answers at). */
  function variant(fileName: string, edit: (doc: { ssh: Record<string, unknown>; nodes: { name: string; address: string }[] }) => void): string {
    const doc = parse(readFileSync(file, 'utf8')) as { ssh: Record<string, unknown>; nodes: { name: string; address: string }[] };
    doc.ssh.connectTimeout = 3;
    edit(doc);
    const path = join(tmp, fileName);
    writeFileSync(path, stringify(doc));
    return path;
  }

  async function onNode(node: string, ...argv: string[]): Promise<string> {
    const r = await labNodeExec((lab as LabInfo).name, node, argv);
    assert.equal(r.code, 0, `${node}: ${argv.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  /** podnet's routes on a node, one `dst via gateway` each. */
  async function podnetRoutes(node: string): Promise<string[]> {
    const out = await onNode(node, 'ip', '-o', 'route', 'show', 'proto', '201');
    return out.split('\n').filter(Boolean).map((l) => l.split(/\s+/).slice(0, 3).join(' ')).sort();
  }

  function applyAll(): void {
    const r = runPodnet('apply', '--no-confirm', file);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  }

  before(async () => {
    lab = await startTestLab(3);
    file = lab.clusterFile;
    tmp = mkdtempSync(join(tmpdir(), 'podnet-peers-'));
  });

  after(async () => {
    await stopTestLab(lab);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('a mistyped node address: its peers keep their route, the plan says they wait, diff and apply exit 1', async () => {
    applyAll();
    const mistyped = variant('mistyped.yaml', (doc) => {
      (doc.nodes[1] as { address: string }).address = '192.168.1.99';
    });
    const diff = runPodnetJson<JsonReport>('diff', mistyped);
    assert.equal(diff.code, 1, diff.stderr);
    assert.deepEqual(Object.keys(diff.report.unreachable ?? {}), ['node2']);
    for (const node of ['node1', 'node3']) {
      const plan = diff.report.plan.nodes.find((n) => n.node === node);
      assert.deepEqual(plan?.changes.filter((c) => c.kind === 'route'), [], `${node}: no route change towards .99`);
      assert.deepEqual(plan?.waiting?.map((w) => `${w.key} ${w.peer} ${w.why}`), ['10.244.2.0/24 node2 not-reached'], node);
    }
    assert.equal(diff.report.plan.summary.waiting, 2);
    const text = runPodnet('diff', mistyped);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /… route 10\.244\.2\.0\/24 via 192\.168\.1\.99 +\(waiting for node2: not reached in this run; the route via 192\.168\.1\.12 stays\)/);
    assert.match(text.stdout, /2 routes waiting for hosts not reached/);

    const apply = runPodnet('apply', '--no-confirm', mistyped);
    assert.equal(apply.code, 1, apply.stdout + apply.stderr);
    assert.match(apply.stdout, /^node1 +: .*converged\n +waiting: route 10\.244\.2\.0\/24 via 192\.168\.1\.99 \(waiting for node2/m);
    assert.match(apply.stdout, /^node2 +: .*unreachable/m);
    for (const node of ['node1', 'node3']) {
      assert.ok((await podnetRoutes(node)).includes('10.244.2.0/24 via 192.168.1.12'), `${node} still routes node2's pods via the real node2`);
    }
    const fixed = runPodnet('diff', file);
    assert.equal(fixed.code, 0, fixed.stdout);
  });

  test('node3 removed from cluster.yaml: diff warns naming the command; apply leaves it; apply --prune-removed cleans node3 and its peers', async () => {
    applyAll();
    const removed = variant('removed.yaml', (doc) => {
      doc.nodes = doc.nodes.filter((n) => n.name !== 'node3');
    });
    const diff = runPodnet('diff', removed);
    assert.equal(diff.code, 0, diff.stdout + diff.stderr);
    assert.match(diff.stdout, new RegExp(`warning: a node at 192\\.168\\.1\\.13 \\(pods 10\\.244\\.3\\.0/24\\) left cluster\\.yaml.*\`podnet apply --prune-removed ${removed.replace(/[.]/g, '\\.')}\``));
    const plain = runPodnet('apply', '--no-confirm', removed);
    assert.equal(plain.code, 0, plain.stdout + plain.stderr);
    assert.ok((await podnetRoutes('node1')).includes('10.244.3.0/24 via 192.168.1.13'), 'a plain apply leaves the routes to the removed node');

    const prune = runPodnetJson<JsonReport>('apply', '--no-confirm', '--prune-removed', removed);
    assert.equal(prune.code, 0, JSON.stringify(prune.report.results) + prune.stderr);
    const section = prune.report.plan.nodes.find((n) => n.node === '192.168.1.13');
    assert.equal(section?.role, 'removed');
    assert.deepEqual(prune.report.results?.map((r) => [r.node, r.status]), [
      ['node1', 'converged'],
      ['node2', 'converged'],
      ['192.168.1.13', 'converged'],
    ]);
    assert.deepEqual(await podnetRoutes('node3'), []);
    assert.equal((await labNodeExec((lab as LabInfo).name, 'node3', ['ip', 'link', 'show', 'v-net-0'])).code !== 0, true, "node3's bridge is gone");
    assert.equal((await labNodeExec((lab as LabInfo).name, 'node3', ['test', '-e', '/etc/cni/net.d/10-podnet.conflist'])).code !== 0, true, "node3's conflist is gone");
    for (const node of ['node1', 'node2']) assert.ok(!(await podnetRoutes(node)).some((r) => r.startsWith('10.244.3.0/24')), `${node} no longer routes to node3`);
    const after = runPodnet('diff', removed);
    assert.equal(after.code, 0, after.stdout);
    assert.doesNotMatch(after.stdout, /warning/);
  });

  test('--prune-removed when the removed node does not answer: only its peers\' routes go, and the plan says so', async () => {
    applyAll(); // node3 is back
    const removed = join(tmp, 'removed.yaml');
    await labStopNode((lab as LabInfo).name, 'node3');
    try {
      const prune = runPodnet('apply', '--no-confirm', '--prune-removed', removed);
      assert.equal(prune.code, 0, prune.stdout + prune.stderr);
      assert.match(prune.stdout, /the node at 192\.168\.1\.13 that left cluster\.yaml .* did not answer .*only the routes to it are removed/);
      for (const node of ['node1', 'node2']) assert.ok(!(await podnetRoutes(node)).some((r) => r.startsWith('10.244.3.0/24')), node);
    } finally {
      await labStartNode((lab as LabInfo).name, 'node3');
    }
  });

  test('destroy --limit node3 (still listed): node3 loses its podnet state, node1 and node2 their routes to it', async () => {
    applyAll();
    const destroy = runPodnet('destroy', '--limit', 'node3', file);
    assert.equal(destroy.code, 0, destroy.stdout + destroy.stderr);
    assert.match(destroy.stdout, /- route 10\.244\.3\.0\/24 via 192\.168\.1\.13 +\(podnet's route to node3, which is being destroyed\)/);
    assert.deepEqual(await podnetRoutes('node3'), []);
    for (const node of ['node1', 'node2']) {
      const routes = await podnetRoutes(node);
      assert.ok(!routes.some((r) => r.startsWith('10.244.3.0/24')), node);
      assert.equal(routes.length, 1, `${node} keeps its route to the other peer: ${routes.join('; ')}`);
    }
  });
});
