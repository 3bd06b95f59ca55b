// The textfile write on the nodes: the command really run by sh (a temporary directory stands for
// the node's textfileDir), which hosts get a file, and problems reported per node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeTransport, type FakeReply } from '../support/fake-transport.js';
import { classicCluster } from '../support/classic-cluster.js';
import { applyTextfiles, renderTextfileCommand, verifyTextfiles, writeApplyMetrics, writeTextfiles } from '../../src/run/metrics.js';
import type { Plan } from '../../src/model/plan.js';
import type { NodeResult } from '../../src/render/recap.js';
import type { VerifyReport } from '../../src/model/verify.js';

/** Runs the command with sh on this machine, as the node would. */
const runLocally = (command: string): FakeReply => {
  const r = spawnSync('sh', ['-c', command], { encoding: 'utf8' });
  return { result: { code: r.status, stdout: r.stdout, stderr: r.stderr } };
};

test('renderTextfileCommand writes the file atomically: created with its directory, replaced whole, no temporary file left, mode 644', () => {
  const root = mkdtempSync(join(tmpdir(), 'podnet-metrics-'));
  try {
    const dir = join(root, 'node-exporter');
    for (const content of ['podnet_x 1\n', "podnet_y{a=\"it's\"} 2\n"]) {
      const written = runLocally(renderTextfileCommand(dir, 'podnet_apply.prom', content, 'abc'));
      assert.ok('result' in written && written.result.code === 0);
      assert.equal(readFileSync(join(dir, 'podnet_apply.prom'), 'utf8'), content);
      assert.deepEqual(readdirSync(dir), ['podnet_apply.prom']);
      assert.equal(statSync(join(dir, 'podnet_apply.prom')).mode & 0o777, 0o644);
    }
    // A file planted at the temporary name is never written through: the write fails, the old file stays whole.
    writeFileSync(join(dir, '.podnet.abc'), 'planted');
    const planted = runLocally(renderTextfileCommand(dir, "podnet_apply.prom", "podnet_z 3\n", "abc"));
    assert.ok("result" in planted && planted.result.code !== 0);
    assert.equal(readFileSync(join(dir, 'podnet_apply.prom'), 'utf8'), "podnet_y{a=\"it's\"} 2\n");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

const PLAN: Plan = {
  formatVersion: 2,
  cluster: 'cluster.yaml',
  summary: { add: 2, change: 0, destroy: 0, conflicts: 0, refused: 0, drift: 1 },
  nodes: [
    {
      node: 'node1',
      address: '192.168.1.11',
      subnet: '10.244.1.0/24',
      conflicts: [],
      changes: [
        { kind: 'route', key: '10.244.2.0/24', action: 'create', reason: { code: 'missing' }, steps: [], origin: 'drift' },
        { kind: 'route', key: '10.244.3.0/24', action: 'create', reason: { code: 'missing' }, steps: [], origin: 'change' },
      ],
    },
    { node: 'node2', address: '192.168.1.12', subnet: '10.244.2.0/24', conflicts: [], changes: [] },
    { node: 'node3', address: '192.168.1.13', subnet: '10.244.3.0/24', conflicts: [], changes: [] },
    { node: 'gone', role: 'removed', address: '192.168.1.14', subnet: '10.244.4.0/24', conflicts: [], changes: [] },
  ],
};

test('applyTextfiles: every node reached (converged or failed), with the changes that ran; not the unreachable nor removed hosts', () => {
  const results: NodeResult[] = [
    { node: 'node1', status: 'failed', changed: 1, ok: 0, error: 'x' },
    { node: 'node2', status: 'converged', changed: 0, ok: 5 },
    { node: 'node3', status: 'unreachable', changed: 0, ok: 0, error: 'x' },
    { node: 'gone', status: 'converged', changed: 0, ok: 0 },
  ];
  const files = applyTextfiles(PLAN, results, new Date(1000));
  assert.deepEqual([...files.keys()], ['node1', 'node2']);
  const node1 = files.get('node1') ?? '';
  assert.match(node1, /^podnet_apply_converged 0$/m);
  assert.match(node1, /^podnet_apply_changes\{action="create",kind="route"\} 1$/m, 'the change that ran, not the one after the failure');
  assert.match(node1, /^podnet_apply_changes_by_origin\{origin="drift"\} 1$/m);
  assert.match(node1, /^podnet_drift_changes 1$/m);
  assert.match(files.get('node2') ?? '', /^podnet_apply_converged 1$/m);
  assert.match(files.get('node2') ?? '', /^podnet_apply_last_run_timestamp_seconds 1$/m);
});

test('verifyTextfiles: every node verify reached', () => {
  const report = { nodes: ['node1', 'node2'], unreachable: { node2: 'down' }, checks: [] } as unknown as VerifyReport;
  const files = verifyTextfiles(report, true, new Date(0));
  assert.deepEqual([...files.keys()], ['node1']);
  assert.match(files.get('node1') ?? '', /^podnet_verify_success 1$/m);
});

test('writeTextfiles: one exec per host with content, problems per node; nothing without metrics in cluster.yaml', async () => {
  const cluster = classicCluster();
  const transport = new FakeTransport({
    node1: { replies: [{ result: { code: 0, stdout: '', stderr: '' } }] },
    node2: { replies: [{ result: { code: 1, stdout: '', stderr: 'mkdir: Permission denied' } }] },
    node3: { connectError: new Error('connection refused') },
  });
  const contents = new Map([
    ['node1', 'a 1\n'],
    ['node2', 'a 2\n'],
    ['node3', 'a 3\n'],
  ]);
  const problems = await writeTextfiles(transport, cluster.nodes, '/var/lib/x', 'podnet_apply.prom', contents, 5);
  assert.deepEqual(
    problems.map((p) => [p.node, p.file, p.message.includes('Permission denied') || p.message.includes('refused')]),
    [
      ['node2', '/var/lib/x/podnet_apply.prom', true],
      ['node3', '/var/lib/x/podnet_apply.prom', true],
    ],
  );
  assert.equal(transport.commandsTo('node1').length, 1);
  assert.match(transport.commandsTo('node1')[0] ?? '', /mv -f \/var\/lib\/x\/\.podnet\.[0-9a-f]+ \/var\/lib\/x\/podnet_apply\.prom/);
  const none = new FakeTransport({});
  assert.deepEqual(await writeApplyMetrics(cluster, cluster.nodes, PLAN, [], none, 5), []);
  assert.equal(none.sent.length, 0);
});
