// Issue 11, "a subnet change strands running pods", on a real 3-node lab: pods run on node2, its
// subnet moves in cluster.yaml. diff lists the pods the move strands, apply refuses (nothing
// changes, the pods keep working), a drained pod leaves the plan, apply --allow-pod-disruption
// goes ahead; afterwards diff warns of the stranded pod until it is created again in the new
// subnet, where it works. Needs root. Pods live in the lab nodes' /run/netns and end with them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labNodeExec, startTestLab, stopTestLab, type LabInfo } from '../support/lab.js';
import { runPodnet, runPodnetJson } from '../support/cli.js';
import { needs } from '../support/needs.js';

const requirement = needs('root', 'netns', 'sshd');
const podnet = runPodnet;

interface DiffReport {
  plan: { summary: { disruptedPods?: number }; nodes: { node: string; disruptedPods?: { pod: string; addresses: string[]; cause: { code: string } }[] }[] };
}

describe('moving a node’s subnet under running pods (issue 11)', { skip: requirement, timeout: 240_000 }, () => {
  let lab: LabInfo | undefined;
  let tmp: string | undefined;
  let file: string;
  let movedFile: string;
  const addressOf = new Map<string, string>();

  function addPod(node: string, pod: string, clusterFile = file): string {
    const r = podnet('pod', 'add', clusterFile, node, pod);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const address = /: (10\.244\.\d+\.\d+)\//.exec(r.stdout)?.[1];
    assert.ok(address, r.stdout);
    addressOf.set(pod, address);
    return address;
  }

  /** Whether pod `from` on node1 reaches `address` (one ping, 2 s). */
  async function reaches(from: string, address: string): Promise<boolean> {
    const r = await labNodeExec(lab!.name, 'node1', ['ip', 'netns', 'exec', from, 'ping', '-c1', '-W2', '-q', address]);
    return r.code === 0;
  }

  async function bridgeAddresses(): Promise<string> {
    const r = await labNodeExec(lab!.name, 'node2', ['ip', '-4', '-o', 'addr', 'show', 'dev', 'v-net-0']);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  }

  before(async () => {
    lab = await startTestLab(3);
    file = lab.clusterFile;
    tmp = mkdtempSync(join(tmpdir(), 'podnet-subnet-move-'));
    movedFile = join(tmp, 'cluster.yaml');
    const text = readFileSync(file, 'utf8');
    assert.match(text, /subnet: 10\.244\.2\.0\/24/);
    writeFileSync(movedFile, text.replace('subnet: 10.244.2.0/24', 'subnet: 10.244.20.0/24'));
    const apply = podnet('apply', file);
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    addPod('node1', 'm1');
    addPod('node2', 'p2');
    addPod('node2', 'p3');
    assert.ok(await reaches('m1', addressOf.get('p2')!), 'm1 reaches p2 before the move');
  });

  after(async () => {
    await stopTestLab(lab);
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  });

  test('diff shows each pod the move strands, with its address, under node2; exit 2', () => {
    const diff = podnet('diff', movedFile);
    assert.equal(diff.code, 2, diff.stdout + diff.stderr);
    for (const pod of ['p2', 'p3']) {
      const address = addressOf.get(pod)!.replace(/\./g, '\\.');
      assert.match(diff.stdout, new RegExp(`\\n {2}! disrupted: pod ${pod} \\(${address}\\)\\n {6}subnet 10\\.244\\.2\\.0/24 → 10\\.244\\.20\\.0/24 leaves it without a network\\n`));
    }
    assert.match(diff.stdout, /\nPods disrupted: 2\. Applying needs --allow-pod-disruption, or drain them first\.\n$/);
    const json = runPodnetJson<DiffReport>('diff', movedFile);
    assert.deepEqual(
      json.report.plan.nodes.map((n) => [n.node, (n.disruptedPods ?? []).map((d) => `${d.pod} ${d.addresses.join(',')} ${d.cause.code}`)]),
      [['node1', []], ['node2', [`p2 ${addressOf.get('p2')} outside-subnet`, `p3 ${addressOf.get('p3')} outside-subnet`]], ['node3', []]],
    );
  });

  test('apply refuses: it names the pods and both ways out, changes nothing, and the pods still work', async () => {
    const apply = podnet('apply', movedFile);
    assert.equal(apply.code, 1, apply.stdout + apply.stderr);
    assert.match(apply.stderr, /^podnet: refusing to apply: the plan leaves 2 running pods without a network:\n {2}node2: pod p2 /m);
    assert.match(apply.stderr, new RegExp(`\\n {6}podnet pod del ${movedFile.replace(/[.]/g, '\\.')} node2 p3\\n`));
    assert.match(apply.stderr, /pass --allow-pod-disruption to apply anyway/);
    assert.match(await bridgeAddresses(), /inet 10\.244\.2\.1\/24 /, 'node2 keeps its subnet');
    assert.ok(await reaches('m1', addressOf.get('p2')!), 'm1 still reaches p2');
    assert.equal(podnet('diff', file).code, 0, 'the cluster is as it was');
  });

  test('a drained pod leaves the plan; apply --allow-pod-disruption moves the subnet and converges', async () => {
    const del = podnet('pod', 'del', file, 'node2', 'p3');
    assert.equal(del.code, 0, del.stderr);
    const json = runPodnetJson<DiffReport>('diff', movedFile);
    assert.equal(json.code, 2);
    assert.deepEqual(json.report.plan.nodes.find((n) => n.node === 'node2')?.disruptedPods?.map((d) => d.pod), ['p2']);
    assert.equal(json.report.plan.summary.disruptedPods, 1);

    const apply = podnet('apply', '--allow-pod-disruption', movedFile);
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    assert.match(await bridgeAddresses(), /inet 10\.244\.20\.1\/24 /);
    assert.ok(!(await reaches('m1', addressOf.get('p2')!)), 'p2 is stranded, as the plan said');
  });

  test('diff after the move warns of the stranded pod (exit 0); p2 created again gets an address of the new subnet and works', async () => {
    const diff = podnet('diff', movedFile);
    assert.equal(diff.code, 0, diff.stdout + diff.stderr);
    assert.match(diff.stdout, new RegExp(`warning: pod p2 \\(${addressOf.get('p2')!.replace(/\./g, '\\.')}\\) is stranded outside 10\\.244\\.20\\.0/24`));
    assert.doesNotMatch(diff.stdout, /disrupted/);

    assert.equal(podnet('pod', 'del', movedFile, 'node2', 'p2').code, 0);
    const address = addPod('node2', 'p2', movedFile);
    assert.match(address, /^10\.244\.20\./);
    assert.ok(await reaches('m1', address), 'm1 reaches p2 in its new subnet');
    assert.doesNotMatch(podnet('diff', movedFile).stdout, /stranded/);
  });
});
