// SIGINT to a real `podnet apply` on a 3-node lab (one node at a time): the node in flight finishes
// (its apply confirmed), the others are never touched, the recap says which is which, exit 130.
// Needs root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { CliResult } from '../support/cli.js';
import { labNodeExec, withLab } from '../support/lab.js';
import { needs } from '../support/needs.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('SIGINT during apply: node1 in flight finishes and is confirmed, node2 and node3 not started, exit 130', { skip: needs('root', 'netns', 'sshd'), timeout: 120_000 }, () =>
  withLab(3, async (lab) => {
    // --confirm-delay keeps node1 in flight (applied, not yet confirmed) for 3 s: the signal lands there.
    const child = spawn(process.execPath, ['dist/src/cli/main.js', 'apply', lab.clusterFile, '--forks', '1', '--confirm', '60s', '--confirm-delay', '3000'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const done = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
    try {
      const end = Date.now() + 30_000;
      while (!/^node1: applying/m.test(stderr)) {
        if (Date.now() > end) assert.fail(`node1 never started applying:\n${stderr}`);
        await sleep(50);
      }
      await sleep(500);
      process.kill(child.pid!, 'SIGINT');
      const r = await done;
      assert.equal(r.code, 130, r.stdout + r.stderr);
      assert.match(r.stderr, /interrupted: no further node is started; waiting up to \d+ s for the nodes in flight/);
      assert.match(r.stdout, /^node1 : ok=\d+ +changed=\d+ +failed=0 +unreachable=0 {2}converged$/m);
      assert.match(r.stdout, /confirmed \(apply [a-z0-9]+\)/);
      assert.match(r.stdout, /^node2 : .* {2}not started$/m);
      assert.match(r.stdout, /^node3 : .* {2}not started$/m);
      assert.match(r.stdout, /^Interrupted \(Ctrl-C\): 1 done, 2 not started, 0 unknown\.$/m);
      // What the recap says is what the nodes show: node1 has podnet's bridge, the others nothing.
      const bridge = async (node: string): Promise<string> => (await labNodeExec(lab.name, node, ['sh', '-c', 'ip -br link show type bridge'])).stdout;
      assert.match(await bridge('node1'), /v-net-0/);
      assert.doesNotMatch(await bridge('node2'), /v-net-0/);
      assert.doesNotMatch(await bridge('node3'), /v-net-0/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await done;
    }
  }),
);
