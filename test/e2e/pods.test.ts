// podnet pod add/del/list end to end on a real 3-node lab: after `podnet apply` deployed the CNI
// plugin, pods on every node reach each other (same node and across nodes) with their own
// addresses, no NAT. Needs root. Pods live in the lab nodes' private /run/netns and end with them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labNodeExec, startTestLab, stopTestLab, type LabInfo } from '../support/lab.js';
import { runPodnet } from '../support/cli.js';
import { needs } from '../support/needs.js';

const requirement = needs('root', 'netns', 'sshd');

const podnet = runPodnet;

interface CniResult {
  cniVersion: string;
  interfaces: { name: string; mac: string; sandbox?: string }[];
  ips: { address: string; gateway: string; interface: number }[];
  routes: { dst: string; gw: string }[];
}

interface ListReport {
  nodes: { node: string; pods?: { name: string; netns: boolean; addresses: string[]; allocated: string[] }[]; error?: string }[];
}

const STORE = '/var/lib/cni/networks/podnet';

/** The pods of this file: two on node1 (same-node traffic), one on each other node. */
const PODS = [
  { node: 'node1', name: 'pt-a' },
  { node: 'node1', name: 'pt-b' },
  { node: 'node2', name: 'pt-c' },
  { node: 'node3', name: 'pt-d' },
] as const;

describe('podnet pod on the lab', { skip: requirement, timeout: 180_000 }, () => {
  let lab: LabInfo | undefined;
  let file: string;
  /** Pod name → its address without prefix, filled by the add test. */
  const addressOf = new Map<string, string>();

  async function onNode(node: string, argv: string[]): Promise<string> {
    const r = await labNodeExec(lab!.name, node, argv);
    assert.equal(r.code, 0, `${node}: ${argv.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  before(async () => {
    lab = await startTestLab(3);
    file = lab.clusterFile;
    const apply = podnet('apply', file);
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
  });

  after(() => stopTestLab(lab));

  test('pod add on each node prints the address; --output json prints the CNI result', () => {
    const [first, ...rest] = PODS;
    const text = podnet('pod', 'add', file, first.node, first.name);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^pod pt-a on node1: (10\.244\.1\.\d+)\/24 \(gateway 10\.244\.1\.1\)\n$/);
    addressOf.set(first.name, /(10\.244\.1\.\d+)\//.exec(text.stdout)![1]!);
    for (const pod of rest) {
      const r = podnet('pod', 'add', file, pod.node, pod.name, '--output', 'json');
      assert.equal(r.code, 0, r.stderr);
      const result = JSON.parse(r.stdout) as CniResult;
      const nodeIndex = pod.node.slice('node'.length);
      assert.equal(result.cniVersion, '1.0.0');
      assert.equal(result.ips.length, 1);
      assert.match(result.ips[0]!.address, new RegExp(`^10\\.244\\.${nodeIndex}\\.\\d+/24$`));
      assert.equal(result.ips[0]!.gateway, `10.244.${nodeIndex}.1`);
      assert.equal(result.interfaces[result.ips[0]!.interface]?.sandbox, `/run/netns/${pod.name}`);
      addressOf.set(pod.name, result.ips[0]!.address.split('/')[0]!);
    }
    assert.equal(new Set(addressOf.values()).size, PODS.length, 'every pod has its own address');
  });

  test('every pod pings every other pod, on its own node and across nodes', async () => {
    const failures: string[] = [];
    await Promise.all(
      PODS.map(async (from) => {
        const targets = PODS.filter((to) => to.name !== from.name).map((to) => addressOf.get(to.name)!);
        const script = 'pod=$1; shift; for a in "$@"; do if ping -c1 -W2 -q "$a" >/dev/null 2>&1; then echo "$a ok"; else echo "$a FAIL"; fi; done';
        const out = await onNode(from.node, ['ip', 'netns', 'exec', from.name, 'sh', '-c', script, 'sh', from.name, ...targets]);
        for (const line of out.trim().split('\n')) if (!line.endsWith(' ok')) failures.push(`${from.name} → ${line}`);
        assert.equal(out.trim().split('\n').length, targets.length);
      }),
    );
    assert.deepEqual(failures, []);
  });

  test('pods attached to the bridges leave the cluster in sync (podnet diff exits 0)', () => {
    const diff = podnet('diff', file);
    assert.equal(diff.code, 0, diff.stdout + diff.stderr);
  });

  test('a TCP connection from a pod on node1 to a pod on node3 arrives from the client pod’s own address (no NAT)', async () => {
    const client = addressOf.get('pt-a')!;
    const server = addressOf.get('pt-d')!;
    const pidFile = '/root/pods-test-listener.pid';
    // The listener is bounded by `timeout`; its PID (in node3's pid namespace) is kept to end it by PID.
    const listener = labNodeExec(lab!.name, 'node3', [
      'sh',
      '-c',
      `echo $$ > ${pidFile}; exec timeout 20 ip netns exec pt-d nc -n -v -l -p 7000`,
    ]);
    try {
      let listening = false;
      for (let i = 0; i < 50 && !listening; i++) {
        const ss = await onNode('node3', ['ip', 'netns', 'exec', 'pt-d', 'ss', '-Hltn', 'sport = :7000']);
        listening = ss.includes(':7000');
        if (!listening) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(listening, 'the listener in pt-d is up');
      await onNode('node1', ['ip', 'netns', 'exec', 'pt-a', 'sh', '-c', `echo hello-from-pt-a | timeout 10 nc -n -N -w 5 ${server} 7000`]);
      const seen = await listener;
      assert.equal(seen.code, 0, seen.stderr);
      assert.equal(seen.stdout.trim(), 'hello-from-pt-a');
      assert.match(seen.stderr, new RegExp(`Connection received on ${client.replace(/\./g, '\\.')} \\d+`));
    } finally {
      // Ends the listener by its PID if it is still there (a no-op once it has exited).
      await labNodeExec(lab!.name, 'node3', [
        'sh',
        '-c',
        `pid=$(cat ${pidFile} 2>/dev/null) && grep -q timeout /proc/"$pid"/cmdline 2>/dev/null && kill "$pid"; rm -f ${pidFile}; true`,
      ]);
      await listener.catch(() => undefined);
    }
  });

  test('pod list shows every node’s pods with their addresses', () => {
    const r = podnet('pod', 'list', file, '--output', 'json');
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as ListReport;
    const seen = report.nodes.flatMap((n) => (n.pods ?? []).map((p) => [n.node, p.name, p.addresses.join(','), p.allocated.join(',')]));
    assert.deepEqual(
      seen,
      PODS.map((p) => [p.node, p.name, `${addressOf.get(p.name)}/24`, addressOf.get(p.name)]),
    );
    const text = podnet('pod', 'list', file, 'node1');
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stdout, `node1:\n  pt-a  ${addressOf.get('pt-a')}/24\n  pt-b  ${addressOf.get('pt-b')}/24\n`);
  });

  test('clear errors: pod exists, unknown node, bad pod name', async () => {
    const exists = podnet('pod', 'add', file, 'node1', 'pt-a');
    assert.equal(exists.code, 1);
    assert.match(exists.stderr, /pod pt-a on node1: already exists/);
    const unknown = podnet('pod', 'add', file, 'node9', 'pt-x');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown node node9 \(known: node1, node2, node3\)/);
    const bad = podnet('pod', 'add', file, 'node1', 'Bad;name');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /pod name "Bad;name" must be/);
    assert.doesNotMatch(await onNode('node1', ['ip', 'netns', 'list']), /pt-x|Bad/);
  });

  test('the plugin missing says to run podnet apply; apply puts it back', async () => {
    await onNode('node2', ['rm', '/opt/cni/bin/podnet']);
    const r = podnet('pod', 'add', file, 'node2', 'pt-x');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not deployed \(\/opt\/cni\/bin\/podnet missing\): run podnet apply first/);
    assert.doesNotMatch(await onNode('node2', ['ip', 'netns', 'list']), /pt-x/, 'no namespace was made');
    assert.equal(podnet('apply', file).code, 0);
  });

  test('a failing ADD removes the namespace it made and leaves no address behind', async () => {
    // Without its bridge the plugin cannot attach the pod: ADD fails part way and must undo it all.
    await onNode('node3', ['ip', 'link', 'del', 'v-net-0']);
    try {
      const storeBefore = await onNode('node3', ['ls', STORE]);
      const r = podnet('pod', 'add', file, 'node3', 'pt-x');
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, /pod pt-x on node3: the CNI plugin failed with code \d+: .*; namespace pt-x removed/);
      assert.doesNotMatch(await onNode('node3', ['ip', 'netns', 'list']), /pt-x/);
      assert.equal(await onNode('node3', ['ls', STORE]), storeBefore);
    } finally {
      assert.equal(podnet('apply', file).code, 0, 'apply rebuilds the bridge');
    }
  });

  test('pod del removes the namespace and frees the address; a second del succeeds', async () => {
    const address = addressOf.get('pt-b')!;
    assert.match(await onNode('node1', ['ls', STORE]), new RegExp(`^${address.replace(/\./g, '\\.')}$`, 'm'));
    const del = podnet('pod', 'del', file, 'node1', 'pt-b');
    assert.equal(del.code, 0, del.stderr);
    assert.equal(del.stdout, 'pod pt-b on node1: deleted\n');
    assert.doesNotMatch(await onNode('node1', ['ip', 'netns', 'list']), /pt-b/);
    assert.doesNotMatch(await onNode('node1', ['ls', STORE]), new RegExp(`^${address.replace(/\./g, '\\.')}$`, 'm'));
    assert.doesNotMatch(await onNode('node1', ['ip', '-o', 'link']), /podnet pt-b eth0/, 'its veth is gone');
    const again = podnet('pod', 'del', file, 'node1', 'pt-b', '--output', 'json');
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), { formatVersion: 1, node: 'node1', pod: 'pt-b', existed: false });
    const list = JSON.parse(podnet('pod', 'list', file, 'node1', '--output', 'json').stdout) as ListReport;
    assert.deepEqual(list.nodes[0]?.pods?.map((p) => p.name), ['pt-a']);
  });

  test('pod del releases the address even when the namespace was removed by hand', async () => {
    const address = addressOf.get('pt-c')!;
    await onNode('node2', ['ip', 'netns', 'del', 'pt-c']);
    const del = podnet('pod', 'del', file, 'node2', 'pt-c');
    assert.equal(del.code, 0, del.stderr);
    assert.equal(del.stdout, 'pod pt-c on node2: already gone\n');
    assert.doesNotMatch(await onNode('node2', ['ls', STORE]), new RegExp(`^${address.replace(/\./g, '\\.')}$`, 'm'));
  });

  test("containerd's cni-<uuid> namespace is not podnet's: pod del refuses it and leaves it, pod list names it apart", async () => {
    const foreign = 'cni-0f3c6e1a-6d4b-4c55-9d1e-2a7b3c4d5e6f';
    await onNode('node3', ['ip', 'netns', 'add', foreign]);
    try {
      const del = podnet('pod', 'del', file, 'node3', foreign);
      assert.notEqual(del.code, 0, del.stdout);
      assert.match(del.stderr, new RegExp(`network namespace ${foreign} is not podnet's`));
      assert.match(await onNode('node3', ['ip', 'netns', 'list']), new RegExp(`^${foreign}`, 'm'), 'the namespace is still there');
      const list = podnet('pod', 'list', file, 'node3');
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, new RegExp(`^node3:\n  pt-d .*\n  not podnet's \\(left alone\\): ${foreign}\n$`));
    } finally {
      await labNodeExec(lab!.name, 'node3', ['ip', 'netns', 'del', foreign]);
    }
  });
});
