// The record of the files' digests on a real 2-node lab: apply writes /var/lib/podnet/files.stat on
// every node; a converged diff agrees with it; a plugin changed by hand — appended to, or one byte
// overwritten in place with the size kept — is still seen as changed (the record never hides an
// edit); destroy removes the record. Needs root.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { labDown, labNodeExec, labUp, type LabInfo } from '../../src/lab/lab.js';
import { runPodnet, runPodnetJson } from '../support/cli.js';
import { needs } from '../support/needs.js';

const requirement = needs('root', 'netns', 'sshd');
const RECORD = '/var/lib/podnet/files.stat';
const PLUGIN = '/opt/cni/bin/podnet';

interface JsonPlan {
  plan: { nodes: { node: string; changes: { kind: string; key: string; action: string }[] }[] };
}

describe("the record of the files' digests on the lab", { skip: requirement, timeout: 120_000 }, () => {
  const name = `rec${randomBytes(3).toString('hex')}`;
  let lab: LabInfo | undefined;
  let file = '';

  const onNode = async (node: string, script: string): Promise<{ code: number; stdout: string }> => {
    const r = await labNodeExec(name, node, ['sh', '-c', script]);
    return { code: r.code, stdout: r.stdout };
  };
  const fileChanges = (): string[] => {
    const diff = runPodnetJson<JsonPlan>('diff', file);
    return diff.report.plan.nodes.flatMap((n) => n.changes.filter((c) => c.kind === 'file').map((c) => `${n.node} ${c.action} ${c.key}`));
  };

  before(async () => {
    lab = await labUp({ name, nodes: 2 });
    file = lab.clusterFile;
    const applied = runPodnet('apply', file, '--no-confirm');
    assert.equal(applied.code, 0, applied.stderr);
  });
  after(async () => {
    await labDown(name);
  });

  test('apply wrote it on every node (mode 0600, both files), and a converged diff agrees', async () => {
    for (const node of ['node1', 'node2']) {
      const r = await onNode(node, `stat -c %a ${RECORD} && cat ${RECORD}`);
      assert.equal(r.code, 0, node);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines[0], '600');
      assert.equal(lines[1], 'podnet-files 1');
      assert.equal(lines.filter((l) => / [0-9a-f]{64}$/.test(l)).length, 2, r.stdout);
    }
    assert.equal(runPodnet('diff', file).code, 0);
  });

  test('a plugin appended to by hand is seen changed, and apply puts it back', async () => {
    assert.equal((await onNode('node1', `echo '# by hand' >> ${PLUGIN}`)).code, 0);
    assert.deepEqual(fileChanges(), [`node1 update ${PLUGIN}`]);
    assert.equal(runPodnet('apply', file, '--no-confirm').code, 0);
    assert.deepEqual(fileChanges(), []);
  });

  test('one byte overwritten in place (same size, same inode) is seen changed', async () => {
    const before = await onNode('node2', `stat -c '%i %s' ${PLUGIN}`);
    assert.equal((await onNode('node2', `printf X | dd of=${PLUGIN} bs=1 seek=20 conv=notrunc 2>/dev/null`)).code, 0);
    assert.equal((await onNode('node2', `stat -c '%i %s' ${PLUGIN}`)).stdout, before.stdout, 'same inode and size');
    assert.deepEqual(fileChanges(), [`node2 update ${PLUGIN}`]);
    assert.equal(runPodnet('apply', file, '--no-confirm').code, 0);
    assert.deepEqual(fileChanges(), []);
  });

  test('destroy removes it', async () => {
    const destroyed = runPodnet('destroy', file, '--allow-pod-disruption');
    assert.equal(destroyed.code, 0, destroyed.stderr);
    for (const node of ['node1', 'node2']) assert.equal((await onNode(node, `[ ! -e ${RECORD} ]`)).code, 0, node);
  });
});
