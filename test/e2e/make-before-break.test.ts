// Issue 14, item 4, on a real 3-node lab: node2's pod subnet moves (10.244.2.0/24 → 10.244.20.0/24)
// while a pod on node1 pings, every 10 ms, a pod on node2 in the old subnet and a pod on node2 in
// the new subnet (made by hand before the apply: the plugin on node2 hands out old addresses until
// the apply). A client that talks to whichever address answers loses the pings to the old address
// sent before the new address first answered: those are counted. With make-before-break the new
// subnet is routed everywhere before the old one goes anywhere, so nothing is lost; the same move
// in one pass (--one-pass, the apply before issue 14) is measured too and reported, not asserted:
// its loss depends on how far apart the hosts' execs land. Needs root.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labNodeExec, startTestLab, stopTestLab, type LabInfo } from '../support/lab.js';
import { runPodnet } from '../support/cli.js';
import { needs } from '../support/needs.js';

const requirement = needs('root', 'netns', 'sshd');

/** One ping stream: per sequence number, when it was sent (s) and whether a reply came. */
interface Stream {
  sent: Map<number, number>;
  answered: Set<number>;
  firstAnswer?: number;
  lastAnswer?: number;
}

const INTERVAL_S = 0.01;

/** `ping -D -O` output → the stream (a reply line dates its request by its time minus the round trip). */
export function parsePing(text: string): Stream {
  const stream: Stream = { sent: new Map(), answered: new Set() };
  for (const line of text.split('\n')) {
    const reply = /^\[(\d+\.\d+)\] \d+ bytes from [\d.]+: icmp_seq=(\d+) .*time=([\d.]+) ms/.exec(line);
    if (reply) {
      const at = Number(reply[1]);
      const seq = Number(reply[2]);
      stream.answered.add(seq);
      if (!stream.sent.has(seq)) stream.sent.set(seq, at - Number(reply[3]) / 1000);
      stream.firstAnswer ??= at;
      stream.lastAnswer = at;
      continue;
    }
    // Printed when the next request goes out and this one has no answer yet.
    const none = /^\[(\d+\.\d+)\] no answer yet for icmp_seq=(\d+)/.exec(line);
    if (none) {
      const seq = Number(none[2]);
      if (!stream.sent.has(seq)) stream.sent.set(seq, Number(none[1]) - INTERVAL_S);
    }
  }
  return stream;
}

/** Pings lost by a client that uses the old address until the new one answers. */
export function lostPings(old: Stream, next: Stream): { lost: number; gapMs: number } {
  const switchAt = next.firstAnswer ?? Infinity;
  let lost = 0;
  for (const [seq, at] of old.sent) if (at < switchAt && !old.answered.has(seq)) lost++;
  const gapMs = old.lastAnswer !== undefined && next.firstAnswer !== undefined ? Math.max(0, (next.firstAnswer - old.lastAnswer) * 1000) : NaN;
  return { lost, gapMs };
}

/** A ping running in pod `pod` of a lab node until its stdin gets a line (then SIGINT, summary, exit). */
function startPing(labPid: number, pod: string, address: string): { stop(): Promise<string> } {
  const script = `ping -n -D -O -i ${INTERVAL_S} -W 1 ${address} & p=$!; read x; kill -INT $p; wait $p`;
  const child = spawn('nsenter', ['-t', String(labPid), '-n', '-m', '-u', '-p', '--', 'ip', 'netns', 'exec', pod, 'sh', '-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', () => {});
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    async stop() {
      child.stdin.end('stop\n');
      await closed;
      return Buffer.concat(out).toString('utf8');
    },
  };
}

/** The podnet CLI as a child process, without blocking the event loop (the pings are read meanwhile). */
function podnetAsync(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/src/cli/main.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('moving a node’s subnet under a continuous ping (make-before-break)', { skip: requirement, timeout: 180_000 }, () => {
  let lab: LabInfo | undefined;
  let tmp: string | undefined;
  let file: string;
  let movedFile: string;

  before(async () => {
    lab = await startTestLab(3);
    file = lab.clusterFile;
    tmp = mkdtempSync(join(tmpdir(), 'podnet-mbb-'));
    movedFile = join(tmp, 'cluster.yaml');
    writeFileSync(movedFile, readFileSync(file, 'utf8').replace('subnet: 10.244.2.0/24', 'subnet: 10.244.20.0/24'));
  });

  after(async () => {
    await stopTestLab(lab);
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  });

  /** Apply `file`, make the pods, move node2's subnet while pinging; the pings lost. */
  async function measure(extra: string[]): Promise<{ lost: number; gapMs: number; passes: boolean; apply: string }> {
    // From the old subnet, with fresh pods each time.
    const reset = runPodnet('apply', '--allow-pod-disruption', file);
    assert.equal(reset.code, 0, reset.stdout + reset.stderr);
    const node1 = lab!.nodes.find((n) => n.name === 'node1')!;
    const node2 = lab!.nodes.find((n) => n.name === 'node2')!;
    const run = async (node: string, script: string): Promise<void> => {
      const r = await labNodeExec(lab!.name, node, ['sh', '-ec', script]);
      assert.equal(r.code, 0, `${node}: ${script}\n${r.stderr}`);
    };
    await run('node1', 'ip netns del mbbc 2>/dev/null || true');
    await run('node2', 'ip netns del mbbnew 2>/dev/null || true; ip link del mbbn0 2>/dev/null || true');
    let oldAddress: string | undefined;
    for (const [node, pod] of [['node1', 'mbbc'], ['node2', 'mbbold']] as const) {
      runPodnet('pod', 'del', file, node, pod);
      const added = runPodnet('pod', 'add', file, node, pod);
      assert.equal(added.code, 0, added.stdout + added.stderr);
      if (node === 'node2') oldAddress = /: (10\.244\.2\.\d+)\//.exec(added.stdout)?.[1];
    }
    assert.ok(oldAddress, 'the pod on node2 has an address of the old subnet');
    // The pod of the new subnet, by hand, as the plugin will make it once node2 has moved.
    await run(
      'node2',
      'ip netns add mbbnew; ip link add mbbn0 type veth peer name eth0 netns mbbnew; ip link set mbbn0 master v-net-0 up; ' +
        'ip -n mbbnew link set lo up; ip -n mbbnew address add 10.244.20.50/24 dev eth0; ip -n mbbnew link set eth0 up; ' +
        'ip -n mbbnew route add default via 10.244.20.1',
    );
    const pid = node1.pid;
    assert.ok(pid > 0 && node2 !== undefined);
    const toOld = startPing(pid, 'mbbc', oldAddress);
    const toNew = startPing(pid, 'mbbc', '10.244.20.50');
    await sleep(1000);
    const apply = await podnetAsync('apply', '--allow-pod-disruption', ...extra, movedFile);
    await sleep(1000);
    const [oldText, newText] = await Promise.all([toOld.stop(), toNew.stop()]);
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    const old = parsePing(oldText);
    const next = parsePing(newText);
    assert.ok(old.answered.size > 50, `the old pod answered before the move:\n${oldText.slice(0, 2000)}`);
    assert.ok(next.answered.size > 50, `the new pod answers after the move:\n${newText.slice(-2000)}`);
    return { ...lostPings(old, next), passes: /make-before-break/.test(apply.stderr), apply: apply.stdout };
  }

  test('with make-before-break no ping is lost; in one pass (before issue 14) the loss is measured and reported', async (t) => {
    const onePass = await measure(['--one-pass']);
    assert.equal(onePass.passes, false);
    const mbb = await measure([]);
    assert.equal(mbb.passes, true, 'the move ran in two passes');
    t.diagnostic(`one pass: ${onePass.lost} pings lost (gap ${onePass.gapMs.toFixed(1)} ms); make-before-break: ${mbb.lost} lost (gap ${mbb.gapMs.toFixed(1)} ms)`);
    assert.equal(mbb.lost, 0, `make-before-break lost ${mbb.lost} pings (one pass lost ${onePass.lost})`);
    assert.ok(Number.isNaN(mbb.gapMs) || mbb.gapMs === 0, `the new pod answered ${mbb.gapMs} ms after the old one stopped`);
  });

  test('apply --serial 1: after each batch its hosts ping the pod gateways of the hosts applied before; a dropped ping stops the rollout', async () => {
    const ok = await podnetAsync('apply', '--serial', '1', '-o', 'json', movedFile);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const report = JSON.parse(ok.stdout) as { results: { node: string; batch: number; reach?: unknown }[]; rollout: { batches: string[][] } };
    assert.deepEqual(report.rollout.batches, [['node1'], ['node2'], ['node3']]);
    assert.deepEqual(report.results.map((r) => [r.node, r.batch, r.reach]), [
      ['node1', 1, undefined],
      ['node2', 2, { peers: 1, unreached: [] }],
      ['node3', 3, { peers: 2, unreached: [] }],
    ]);
    // node1 drops what node2's pod gateway sends it: node2's check fails, node3 is left untouched.
    const drop = ['iptables', '-w', '-I', 'INPUT', '-s', '10.244.20.1', '-p', 'icmp', '-j', 'DROP'];
    assert.equal((await labNodeExec(lab!.name, 'node1', drop)).code, 0);
    const stopped = await podnetAsync('apply', '--serial', '1', movedFile);
    assert.equal(stopped.code, 1, stopped.stdout + stopped.stderr);
    assert.match(stopped.stdout, /^node2 : .*batch=2 +failed\n {8}converged, but its pod gateway does not reach the pod gateway of node1\s+\(10\.244\.1\.1\)/m);
    assert.match(stopped.stdout, /^node3 : .*batch=3 +untouched$/m);
    assert.match(stopped.stdout, /\nLeft untouched: node3 \(nothing was changed there\)\.\n$/);
    assert.equal((await labNodeExec(lab!.name, 'node1', ['iptables', '-w', '-D', 'INPUT', '-s', '10.244.20.1', '-p', 'icmp', '-j', 'DROP'])).code, 0);
  });
});
