// apply --confirm and the node lock on a real 3-node lab: a confirmed apply leaves nothing behind;
// a controller killed after the apply exec, or a node cut off before the confirmation, is undone by
// the node itself (checked with plain `ip`); two concurrent applies never interleave. Needs root.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { labDown, labNodeExec, labUp, type LabInfo } from '../../src/lab/lab.js';
import { labSwitchPort } from '../../src/lab/lab-layout.js';
import { runPodnet, runPodnetJson, type CliResult } from '../support/cli.js';
import { needs } from '../support/needs.js';

interface Report {
  results?: { node: string; status: string; changed: number; error?: string; confirm?: { outcome: string; why?: string } }[];
}

const NODES = ['node1', 'node2', 'node3'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The podnet CLI as a child process (so a test can kill it by its PID). */
function startPodnet(...args: string[]): { pid: number; done: Promise<CliResult> } {
  const child = spawn(process.execPath, ['dist/src/cli/main.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { pid: child.pid!, done };
}

describe('apply --confirm and the node lock on the lab', { skip: needs('root', 'netns', 'sshd'), timeout: 300_000 }, () => {
  const name = `t${randomBytes(3).toString('hex')}`;
  let lab: LabInfo;
  let file: string;

  async function sh(node: string, script: string): Promise<string> {
    const r = await labNodeExec(name, node, ['sh', '-c', script]);
    assert.equal(r.code, 0, `${node}: ${script}: ${r.stderr}`);
    return r.stdout;
  }

  /** The node's routes, addresses and links as plain `ip -j` shows them. */
  async function ipState(node: string): Promise<string> {
    return sh(node, 'ip -j route show table all; ip -j addr; ip -j link');
  }

  const pending = (node: string): Promise<string> => sh(node, 'ls /run/podnet/apply/rollback 2>/dev/null; true');

  async function reset(): Promise<void> {
    const r = runPodnet('destroy', file);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  }

  async function waitUntil(what: string, deadlineMs: number, check: () => Promise<boolean>): Promise<void> {
    const end = Date.now() + deadlineMs;
    while (!(await check())) {
      if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
      await sleep(200);
    }
  }

  /** Every node armed its timer and ran its steps (the route to its last peer is there). */
  const allApplied = async (): Promise<boolean> => {
    for (const node of NODES) {
      if ((await pending(node)).trim() === '') return false;
      if (!(await sh(node, 'ip route show proto 201')).includes('via')) return false;
    }
    return true;
  };

  before(async () => {
    lab = await labUp({ name, nodes: 3 });
    file = lab.clusterFile;
  });

  after(async () => {
    await labDown(name);
  });

  test('a normal apply --confirm confirms every node and leaves no timer nor saved state', async () => {
    const r = runPodnetJson<Report>('apply', '--confirm', '30s', file);
    assert.equal(r.code, 0, JSON.stringify(r.report.results) + r.stderr);
    assert.deepEqual(
      r.report.results?.map((x) => [x.node, x.status, x.confirm?.outcome]),
      NODES.map((n) => [n, 'converged', 'confirmed']),
    );
    for (const node of NODES) {
      assert.equal((await pending(node)).trim(), '', `${node} keeps a rollback`);
      assert.equal((await sh(node, "ps -eo args | grep -c '[p]odnet/apply/rollback' || true")).trim(), '0', `${node} keeps a timer`);
    }
    // The recap says so.
    await reset();
    const text = runPodnet('apply', file);
    assert.equal(text.code, 0, text.stdout + text.stderr);
    assert.match(text.stdout, /confirmed \(apply [a-z0-9]+\)/);
  });

  test('podnet killed after the apply exec ran on every node: every node rolls itself back', async () => {
    await reset();
    const before = await Promise.all(NODES.map(ipState));
    const run = startPodnet('apply', '--confirm', '6s', '--confirm-delay', '60000', file, '-o', 'json');
    await waitUntil('every node applied', 30_000, allApplied);
    process.kill(run.pid, 'SIGKILL');
    await run.done;
    const killedAt = Date.now();
    await waitUntil('every node is back to its state before the apply', 6_000 + 5_000, async () => {
      const now = await Promise.all(NODES.map(ipState));
      return now.every((s, i) => s === before[i]);
    });
    assert.ok(Date.now() - killedAt <= 11_000);
    for (const node of NODES) {
      await waitUntil(`${node} removed its rollback`, 5_000, async () => (await pending(node)).trim() === '');
      assert.match(await sh(node, 'cat /run/podnet/apply/rollback.log'), /rolled back apply/);
    }
  });

  test('a node cut off before the confirmation rolls back and is reachable again; the others confirm', async () => {
    await reset();
    const before2 = await ipState('node2');
    const run = startPodnet('apply', '--confirm', '8s', '--confirm-delay', '3000', file, '-o', 'json');
    await waitUntil('every node applied', 30_000, allApplied);
    const port = labSwitchPort(2);
    execFileSync('ip', ['-n', lab.switchNetns, 'link', 'set', port, 'down']);
    try {
      const result = await run.done;
      const report = JSON.parse(result.stdout) as Report;
      const byNode = new Map(report.results?.map((x) => [x.node, x]));
      assert.equal(byNode.get('node1')?.confirm?.outcome, 'confirmed');
      assert.equal(byNode.get('node3')?.confirm?.outcome, 'confirmed');
      assert.equal(byNode.get('node2')?.status, 'unreachable', JSON.stringify(byNode.get('node2')));
      assert.equal(byNode.get('node2')?.confirm?.outcome, 'rolls-back');
      // Cut off, its eth0 has no carrier (plain `ip` shows that too): the rollback is waited for, then compared with the port up.
      await waitUntil('node2 rolled back', 8_000 + 5_000, async () => (await pending('node2')).trim() === '');
      assert.match(await sh('node2', 'cat /run/podnet/apply/rollback.log'), /rolled back apply/);
    } finally {
      execFileSync('ip', ['-n', lab.switchNetns, 'link', 'set', port, 'up']);
    }
    await waitUntil('node2 is back to its state before the apply', 5_000, async () => (await ipState('node2')) === before2);
    // Reachable again: the next diff sees node2 (and plans it again).
    const diff = runPodnetJson<{ unreachable: Record<string, string> }>('diff', file);
    assert.deepEqual(diff.report.unreachable, {});
  });

  test('a second run finds the nodes locked: it fails fast naming the holder, or waits with --lock-timeout', async () => {
    await reset();
    const first = startPodnet('apply', '--confirm', '30s', '--confirm-delay', '4000', file, '-o', 'json');
    await waitUntil('every node applied', 30_000, allApplied);
    // The first run holds every node's lock through its confirm window: a destroy meanwhile fails fast.
    const fast = runPodnetJson<Report>('destroy', file);
    assert.equal(fast.code, 1, JSON.stringify(fast.report.results));
    assert.equal(fast.report.results?.length, 3);
    for (const r of fast.report.results ?? []) {
      assert.equal(r.status, 'failed');
      assert.match(r.error ?? '', new RegExp(`locked by another podnet run: apply by .* pid ${first.pid} since \\d{4}-`));
    }
    assert.equal((await first.done).code, 0);

    // Two applies at once, both willing to wait: each node is changed by one of them only.
    await reset();
    const a = startPodnet('apply', '--lock-timeout', '60s', file, '-o', 'json');
    const b = startPodnet('apply', '--lock-timeout', '60s', file, '-o', 'json');
    const [ra, rb] = await Promise.all([a.done, b.done]);
    assert.equal(ra.code, 0, ra.stdout + ra.stderr);
    assert.equal(rb.code, 0, rb.stdout + rb.stderr);
    const resultsA = (JSON.parse(ra.stdout) as Report).results ?? [];
    const resultsB = (JSON.parse(rb.stdout) as Report).results ?? [];
    for (const node of NODES) {
      const changed = [resultsA, resultsB].map((rs) => rs.find((r) => r.node === node)?.changed ?? 0);
      assert.equal(changed.filter((c) => c > 0).length, 1, `${node}: changed by ${JSON.stringify(changed)}`);
    }
    assert.equal(runPodnet('diff', file).code, 0);
  });
});
