// podnet's FORWARD rules, egress NAT and `podnet destroy` end to end on a real 3-node lab. Needs root.
// Every node starts with `iptables -P FORWARD DROP` (what Docker does). Before the first apply each
// node's links, addresses, routes and iptables rules are snapshotted; destroy must bring them back
// exactly. The egress test adds a "world" namespace of its own to the lab's switch.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parse, stringify } from 'yaml';
import { labNodeExec, startTestLab, stopTestLab, type LabInfo } from '../support/lab.js';
import { runPodnet, runPodnetJson } from '../support/cli.js';
import { describeRule } from '../../src/render/sentences.js';
import { needs } from '../support/needs.js';

const requirement = needs('root', 'netns', 'sshd', 'iptables');

interface JsonChange {
  action: string;
  kind: string;
  key: string;
  before?: { table: string; chain: string; rule: string };
  after?: { table: string; chain: string; rule: string };
}
interface JsonReport {
  plan: { nodes: { node: string; changes: JsonChange[] }[] };
  results?: { node: string; status: string; changed: number; error?: string; unmet?: JsonChange[] }[];
}

/** A change's object as people read it: `rule filter FORWARD -j PODNET-FORWARD`, `chain nat PODNET-POSTROUTING`. */
function objectOf(change: JsonChange): string {
  const rule = change.after ?? change.before;
  return change.kind === 'rule' && rule !== undefined ? describeRule(rule) : `${change.kind} ${change.key}`;
}

const podnet = runPodnet;

const podnetJson = (...args: string[]) => runPodnetJson<JsonReport>(...args);

const NODES = ['node1', 'node2', 'node3'] as const;
const WORLD_ADDRESS = '192.168.1.200';
const JUMP = ['-m', 'comment', '--comment', 'podnet', '-j', 'PODNET-FORWARD'];

/** `iptables-save` without counters, dates, and tables that hold nothing (only built-in ACCEPT chains, no rules). */
function normaliseIptablesSave(text: string): string {
  const tables: string[][] = [];
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    if (line.startsWith('*')) {
      current = [line];
      tables.push(current);
    } else {
      current?.push(line.replace(/ \[\d+:\d+\]$/, ''));
    }
  }
  // iptables-nft keeps a table once a chain was made in it, even when it is empty again; a table
  // with no rules, no user chain and only ACCEPT policies filters nothing, exactly like an absent one.
  const meaningful = tables.filter((t) => t.some((line) => line.startsWith('-A ') || (line.startsWith(':') && !line.endsWith(' ACCEPT'))));
  return meaningful.map((t) => t.join('\n')).join('\n');
}

/** `ip -j` output without what changes on its own (ifindex numbers). */
function normaliseIpJson(text: string): unknown {
  const drop = new Set(['ifindex', 'link_index', 'link_netnsid']);
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([k]) => !drop.has(k)).map(([k, v]) => [k, strip(v)]));
  };
  return strip(JSON.parse(text));
}

describe('podnet firewall rules, egress NAT and destroy on the lab', { skip: requirement, timeout: 300_000 }, () => {
  let lab: LabInfo | undefined;
  let file: string;
  let egressFile: string;
  let tmp: string | undefined;
  const run = randomBytes(3).toString('hex');
  const world = `pnfw-${run}-world`;
  let worldCreated = false;
  const listeners = new Set<ChildProcess>();
  const snapshots = new Map<string, unknown>();
  const addressOf = new Map<string, string>();

  async function onNode(node: string, ...argv: string[]): Promise<string> {
    const r = await labNodeExec(lab!.name, node, argv);
    assert.equal(r.code, 0, `${node}: ${argv.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  async function snapshot(node: string): Promise<unknown> {
    // A fresh eth0's IPv6 link-local address is tentative (duplicate address detection) for a
    // moment, and its local route appears only after: wait until the node has settled.
    for (let i = 0; i < 100 && (await onNode(node, 'ip', '-6', 'addr', 'show', 'tentative')).trim() !== ''; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return {
      links: normaliseIpJson(await onNode(node, 'ip', '-j', 'link', 'show')),
      addrs: normaliseIpJson(await onNode(node, 'ip', '-j', 'addr', 'show')),
      routes: normaliseIpJson(await onNode(node, 'ip', '-j', 'route', 'show', 'table', 'all')),
      iptables: normaliseIptablesSave(await onNode(node, 'iptables-save')),
    };
  }

  /** One reply within `seconds` (ping sends once a second until then: a busy machine may lose the first). */
  async function ping(node: string, pod: string, address: string, seconds = 6): Promise<boolean> {
    const r = await labNodeExec(lab!.name, node, ['ip', 'netns', 'exec', pod, 'ping', '-c1', '-w', String(seconds), '-q', address]);
    return r.code === 0;
  }

  function addPod(node: string, pod: string): void {
    const r = podnet('pod', 'add', file, node, pod);
    assert.equal(r.code, 0, r.stderr);
    addressOf.set(pod, /: (10\.244\.\d+\.\d+)\//.exec(r.stdout)![1]!);
  }

  /** A TCP listener (nc, bounded by timeout) started by `argv`; resolves with what it printed. */
  function listen(argv: string[]): { child: ChildProcess; done: Promise<{ stdout: string; stderr: string }> } {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    listeners.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const done = new Promise<{ stdout: string; stderr: string }>((resolve) => {
      child.on('close', () => {
        listeners.delete(child);
        resolve({ stdout, stderr });
      });
    });
    return { child, done };
  }

  async function waitListening(check: () => Promise<string>): Promise<void> {
    for (let i = 0; i < 50; i++) {
      if ((await check()).includes(':7100')) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.fail('the listener did not come up');
  }

  before(async () => {
    lab = await startTestLab(3);
    file = lab.clusterFile;
    tmp = mkdtempSync(join(tmpdir(), 'podnet-fw-'));
    const doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    egressFile = join(tmp, 'cluster-egress.yaml');
    writeFileSync(egressFile, stringify({ ...doc, egress: { masquerade: true } }));
    for (const node of NODES) {
      await onNode(node, 'iptables', '-w', '-P', 'FORWARD', 'DROP');
      snapshots.set(node, await snapshot(node));
    }
  });

  after(async () => {
    for (const child of listeners) if (child.pid !== undefined) process.kill(child.pid);
    if (worldCreated) spawnSync('ip', ['netns', 'del', world]);
    await stopTestLab(lab);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('under FORWARD DROP, pods on node1 and node3 reach each other after apply, and not without podnet’s jump', async () => {
    const diff = podnet('diff', file);
    assert.equal(diff.code, 2, diff.stdout + diff.stderr);
    assert.match(diff.stdout, /\+ rule filter FORWARD -j PODNET-FORWARD/);
    const apply = podnet('apply', file);
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    assert.equal(
      (await onNode('node1', 'iptables-save', '-t', 'filter')).split('\n').find((l) => l.startsWith('-A FORWARD')),
      `-A FORWARD ${JUMP.join(' ')}`,
      "podnet's jump is FORWARD's first rule",
    );
    addPod('node1', 'fwa');
    addPod('node3', 'fwc');
    assert.ok(await ping('node1', 'fwa', addressOf.get('fwc')!), 'pod on node1 → pod on node3');

    for (const node of ['node1', 'node3']) await onNode(node, 'iptables', '-w', '-D', 'FORWARD', ...JUMP);
    assert.equal(await ping('node1', 'fwa', addressOf.get('fwc')!, 3), false, 'FORWARD DROP stops pod traffic without the jump');
    const drift = podnetJson('diff', file);
    assert.equal(drift.code, 2);
    for (const node of NODES) {
      const changes = drift.report.plan.nodes.find((n) => n.node === node)?.changes ?? [];
      const expected = node === 'node2' ? [] : [['create', 'rule', 'rule filter FORWARD -j PODNET-FORWARD']];
      assert.deepEqual(changes.map((c) => [c.action, c.kind, objectOf(c)]), expected, node);
    }
    assert.equal(podnet('apply', file).code, 0);
    assert.ok(await ping('node1', 'fwa', addressOf.get('fwc')!), 'the jump is back, so is the traffic');
    const again = podnet('diff', file);
    assert.equal(again.code, 0, again.stdout);
  });

  test('egress NAT: a pod reaches the world as its node; pod-to-pod keeps the pod’s address; off prunes the rules', async () => {
    // The world: a namespace of our own on the lab's switch, no address or route in the root namespace.
    spawnSync('ip', ['netns', 'add', world]);
    worldCreated = true;
    const ip = (...args: string[]): void => {
      const r = spawnSync('ip', args, { encoding: 'utf8' });
      assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.stderr}`);
    };
    ip('-n', lab!.switchNetns, 'link', 'add', `vw${run}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', world);
    ip('-n', lab!.switchNetns, 'link', 'set', `vw${run}`, 'master', 'sw0', 'up');
    ip('-n', world, 'address', 'add', `${WORLD_ADDRESS}/24`, 'dev', 'eth0');
    ip('-n', world, 'link', 'set', 'eth0', 'up');
    ip('-n', world, 'link', 'set', 'lo', 'up');

    const diff = podnet('diff', egressFile);
    assert.equal(diff.code, 2);
    assert.match(diff.stdout, /\+ rule nat PODNET-POSTROUTING -s 10\.244\.0\.0\/16 ! -d 10\.244\.0\.0\/16 -j MASQUERADE/);
    const apply = podnet('apply', egressFile);
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    assert.equal(podnet('diff', egressFile).code, 0);

    const outside = listen(['ip', 'netns', 'exec', world, 'timeout', '20', 'nc', '-n', '-v', '-l', '-p', '7100']);
    await waitListening(async () => spawnSync('ss', ['-N', world, '-Hltn', 'sport = :7100'], { encoding: 'utf8' }).stdout);
    await onNode('node1', 'ip', 'netns', 'exec', 'fwa', 'sh', '-c', `echo hello-world | timeout 10 nc -n -N -w 5 ${WORLD_ADDRESS} 7100`);
    const seen = await outside.done;
    assert.equal(seen.stdout.trim(), 'hello-world');
    assert.match(seen.stderr, /Connection received on 192\.168\.1\.11 \d+/, "the world sees node1's address");

    const pidFile = '/root/fw-test-listener.pid';
    const inPod = labNodeExec(lab!.name, 'node3', ['sh', '-c', `echo $$ > ${pidFile}; exec timeout 20 ip netns exec fwc nc -n -v -l -p 7100`]);
    try {
      await waitListening(() => onNode('node3', 'ip', 'netns', 'exec', 'fwc', 'ss', '-Hltn', 'sport = :7100'));
      await onNode('node1', 'ip', 'netns', 'exec', 'fwa', 'sh', '-c', `echo hello-pod | timeout 10 nc -n -N -w 5 ${addressOf.get('fwc')!} 7100`);
      const pod = await inPod;
      assert.equal(pod.stdout.trim(), 'hello-pod');
      const from = addressOf.get('fwa')!.replace(/\./g, '\\.');
      assert.match(pod.stderr, new RegExp(`Connection received on ${from} \\d+`), "pod to pod: the pod's own address, not translated");
    } finally {
      await labNodeExec(lab!.name, 'node3', ['sh', '-c', `pid=$(cat ${pidFile} 2>/dev/null) && grep -q timeout /proc/"$pid"/cmdline 2>/dev/null && kill "$pid"; rm -f ${pidFile}; true`]);
      await inPod.catch(() => undefined);
    }

    const off = podnetJson('diff', file);
    assert.equal(off.code, 2);
    for (const node of NODES) {
      const changes = off.report.plan.nodes.find((n) => n.node === node)?.changes ?? [];
      assert.deepEqual(
        changes.map((c) => [c.action, objectOf(c)]),
        [
          ['delete', 'rule nat POSTROUTING -j PODNET-POSTROUTING'],
          ['delete', 'rule nat PODNET-POSTROUTING -s 10.244.0.0/16 -d 10.244.0.0/16 -j RETURN'],
          ['delete', 'rule nat PODNET-POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -j MASQUERADE'],
          ['delete', 'chain nat PODNET-POSTROUTING'],
        ],
        node,
      );
    }
    assert.match(podnet('diff', file).stdout, /- rule nat PODNET-POSTROUTING .*-j MASQUERADE/);
    assert.equal(podnet('apply', file).code, 0);
    assert.doesNotMatch(await onNode('node1', 'iptables-save', '-t', 'nat'), /PODNET/);
    assert.equal(podnet('diff', file).code, 0);
    assert.ok(await ping('node1', 'fwa', addressOf.get('fwc')!), 'pods still reach each other');
  });

  test('destroy refuses while pods run; with --allow-pod-disruption it returns every node to its snapshot before the first apply; an admin’s route and rule stay; a second destroy removes nothing', async () => {
    addPod('node2', 'fwb');
    await onNode('node1', 'ip', 'route', 'add', '10.99.0.0/24', 'via', '192.168.1.12');
    await onNode('node1', 'iptables', '-w', '-A', 'FORWARD', '-s', '192.168.1.0/24', '-j', 'ACCEPT');

    // Pods run on node1, node2 and node3: destroy refuses until told it may delete them (issue 11).
    const refused = podnet('destroy', file);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /^podnet: refusing to destroy: the plan deletes or cuts off 3 running pods:\n {2}node1: pod fwa \([\d.]+\): destroy deletes it\n/m);
    assert.match(refused.stderr, /podnet pod del \S+ node2 fwb\n/);
    assert.equal((await onNode('node1', 'ls', '/run/netns')).trim(), 'fwa', 'nothing was changed');

    const destroy = podnet('destroy', '--allow-pod-disruption', file);
    assert.equal(destroy.code, 0, destroy.stdout + destroy.stderr);
    assert.match(destroy.stdout, /- pod fwa /);
    assert.match(destroy.stdout, /- link v-net-0 /);
    assert.match(destroy.stdout, /Plan: 0 to add, 0 to change, \d+ to destroy\./);
    assert.doesNotMatch(destroy.stdout, /^\s+[+~] /m);

    assert.match(await onNode('node1', 'ip', 'route', 'show', '10.99.0.0/24'), /via 192\.168\.1\.12/, "the admin's route stays");
    assert.match(await onNode('node1', 'iptables-save', '-t', 'filter'), /-A FORWARD -s 192\.168\.1\.0\/24 -j ACCEPT/, "the admin's rule stays");
    await onNode('node1', 'ip', 'route', 'del', '10.99.0.0/24');
    await onNode('node1', 'iptables', '-w', '-D', 'FORWARD', '-s', '192.168.1.0/24', '-j', 'ACCEPT');

    for (const node of NODES) assert.deepEqual(await snapshot(node), snapshots.get(node), `${node} is as before the first apply`);
    assert.equal((await onNode('node1', 'ls', '/run/netns')).trim(), '', 'the pods are gone');
    assert.equal((await onNode('node2', 'ls', '-A', '/opt/cni/bin', '/etc/cni/net.d')).replace(/\S+:\n/g, '').trim(), '', 'the CNI files are gone');
    assert.equal((await labNodeExec(lab!.name, 'node2', ['test', '-e', '/var/lib/cni/networks/podnet'])).code, 1, 'the address store is gone');
    assert.equal((await onNode('node3', 'cat', '/proc/sys/net/ipv4/ip_forward')).trim(), '1', 'ip_forward is left as it is');

    const again = podnetJson('destroy', file);
    assert.equal(again.code, 0);
    assert.deepEqual(again.report.plan.nodes.flatMap((n) => n.changes), [], 'nothing left to remove');
    assert.deepEqual(again.report.results?.map((r) => [r.node, r.status, r.changed]), NODES.map((n) => [n, 'converged', 0]));
  });
});
