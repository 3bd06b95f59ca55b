// connectNode against the real lab: OpenSSH sshd per node, reached through the lab's ProxyCommand.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SshTarget } from '../../../src/model/types.js';
import { labHostKeyFingerprint } from '../../../src/lab/lab.js';
import { connectNode } from '../../../src/run/ssh/connect.js';
import { SshError } from '../../../src/run/ssh/errors.js';
import { parseKnownHosts } from '../../../src/run/ssh/known-hosts.js';
import {
  labRegenerateHostKey,
  labStartNode,
  labStopNode,
  startTestLab,
  stopTestLab,
  type LabInfo,
} from '../../support/lab.js';
import { needs } from '../../support/needs.js';

const requirement = needs('root', 'netns', 'sshd');

async function connectError(promise: Promise<unknown>): Promise<SshError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof SshError, `expected SshError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the connect to fail');
}

describe('connectNode on the lab', { skip: requirement }, () => {
  let lab: LabInfo | undefined;
  let dir: string;
  const nodeOf = (name: string): { name: string; address: string } => {
    const node = lab?.nodes.find((n) => n.name === name);
    assert.ok(node, `lab has ${name}`);
    return node;
  };
  const target = (node: string, overrides: Partial<SshTarget> = {}): SshTarget => {
    assert.ok(lab);
    return {
      host: nodeOf(node).address,
      port: 22,
      user: 'root',
      identityFile: lab.identityFile,
      knownHostsFile: lab.knownHostsFile,
      become: false,
      proxyCommand: lab.proxyCommand,
      connectTimeoutMs: 5000,
      ...overrides,
    };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pnssh-e2e-'));
    lab = await startTestLab(3);
  });
  after(async () => {
    await stopTestLab(lab);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a command through the ProxyCommand: stdout, stderr, exit code, one exec', async () => {
    const conn = await connectNode(target('node1'), { nodeName: 'node1' });
    try {
      const r = await conn.exec('echo "$SSH_CONNECTION"; echo to-stderr >&2; exit 5');
      assert.equal(r.code, 5);
      assert.equal(r.stderr, 'to-stderr\n');
      assert.match(r.stdout, new RegExp(` ${nodeOf('node1').address.replace(/\./g, '\\.')} 22\n$`));
      assert.equal(conn.execCount, 1);
      const big = 'x'.repeat(5_000_000);
      const wc = await conn.exec('wc -c', { stdin: big });
      assert.equal(wc.stdout.trim(), String(big.length));
    } finally {
      conn.close();
    }
  });

  it('refuses an unknown host with its fingerprint; acceptNewHosts records it, then no flag is needed', async () => {
    const knownHostsFile = join(dir, 'accept', 'known_hosts');
    const fingerprint = await labHostKeyFingerprint((lab as LabInfo).name, 'node2');
    const err = await connectError(connectNode(target('node2', { knownHostsFile }), { nodeName: 'node2' }));
    assert.equal(err.kind, 'host-key-unknown');
    assert.equal(err.details.fingerprint, fingerprint);
    assert.ok(err.message.includes(fingerprint), err.message);
    assert.ok(err.message.includes('--accept-new-hosts'));
    assert.equal(existsSync(knownHostsFile), false);

    const conn = await connectNode(target('node2', { knownHostsFile }), { nodeName: 'node2', acceptNewHosts: true });
    conn.close();
    const entries = parseKnownHosts(readFileSync(knownHostsFile, 'utf8'));
    assert.equal(entries.length, 1);
    const again = await connectNode(target('node2', { knownHostsFile }), { nodeName: 'node2' });
    assert.equal((await again.exec('true')).code, 0);
    again.close();
  });

  it('records every node once when all connect in parallel with acceptNewHosts', async () => {
    const knownHostsFile = join(dir, 'parallel_known_hosts');
    const names = ['node1', 'node2', 'node3'];
    const conns = await Promise.all(
      [...names, ...names, ...names].map((n) => connectNode(target(n, { knownHostsFile }), { nodeName: n, acceptNewHosts: true })),
    );
    for (const c of conns) c.close();
    const hosts = parseKnownHosts(readFileSync(knownHostsFile, 'utf8')).map((e) => e.hosts);
    assert.deepEqual(hosts.sort(), names.map((n) => nodeOf(n).address).sort());
  });

  it('a wrong key is an authentication error naming the user and what was tried', async () => {
    const wrong = join(dir, 'wrong_key');
    assert.equal(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrong]).status, 0);
    const err = await connectError(connectNode(target('node1', { identityFile: wrong }), { nodeName: 'node1' }));
    assert.equal(err.kind, 'auth');
    assert.equal(err.message, `node1 (${nodeOf('node1').address}:22): authentication failed for root (tried: identity file ${wrong})`);
  });

  it('a proxy command that never answers is a timeout within the limit', async () => {
    const started = Date.now();
    const err = await connectError(connectNode(target('node1', { proxyCommand: 'sleep 30', connectTimeoutMs: 700 }), { nodeName: 'node1' }));
    const took = Date.now() - started;
    assert.equal(err.kind, 'timeout');
    assert.ok(took >= 690 && took < 2700, `took ${took} ms`);
  });

  it('ProxyJump through node1 reaches node2 (the ProxyCommand carries the first hop)', async () => {
    const conn = await connectNode(target('node2', { proxyJump: nodeOf('node1').address }), { nodeName: 'node2' });
    try {
      const r = await conn.exec('echo "$SSH_CONNECTION"');
      // node2 sees the SSH client coming from node1's address.
      assert.match(r.stdout, new RegExp(`^${nodeOf('node1').address.replace(/\./g, '\\.')} \\d+ ${nodeOf('node2').address.replace(/\./g, '\\.')} 22\n$`));
    } finally {
      conn.close();
    }
    // A bastion's host key is checked too.
    const onlyNode2 = join(dir, 'only_node2');
    const line = readFileSync((lab as LabInfo).knownHostsFile, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith(`${nodeOf('node2').address} `));
    writeFileSync(onlyNode2, `${line.join('\n')}\n`);
    const err = await connectError(
      connectNode(target('node2', { proxyJump: nodeOf('node1').address, knownHostsFile: onlyNode2 }), { nodeName: 'node2' }),
    );
    assert.equal(err.kind, 'host-key-unknown');
    assert.match(err.message, /bastion root@192\.168\.1\.11:22: host key/);
  });

  it('authenticates with the SSH agent when no identity file is given', async () => {
    const agentSock = join(dir, 'agent.sock');
    const home = join(dir, 'home'); // no ~/.ssh/id_* here: only the agent can succeed
    const saved = { SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK, HOME: process.env.HOME };
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', agentSock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !existsSync(agentSock); i++) await new Promise((r) => setTimeout(r, 20));
      process.env.HOME = home;
      process.env.SSH_AUTH_SOCK = agentSock;
      const { identityFile: _unused, ...noIdentity } = target('node3');
      const empty = await connectError(connectNode(noIdentity, { nodeName: 'node3' }));
      assert.equal(empty.kind, 'auth');
      assert.ok(empty.message.includes(`tried: agent (${agentSock})`), empty.message);

      const add = spawnSync('ssh-add', ['-q', (lab as LabInfo).identityFile], { env: { ...process.env, SSH_AUTH_SOCK: agentSock } });
      assert.equal(add.status, 0, String(add.stderr));
      const conn = await connectNode(noIdentity, { nodeName: 'node3' });
      assert.equal((await conn.exec('echo agent-ok')).stdout, 'agent-ok\n');
      conn.close();

      process.env.SSH_AUTH_SOCK = join(dir, 'no-such-agent.sock');
      const none = await connectError(connectNode(noIdentity, { nodeName: 'node3' }));
      assert.equal(none.kind, 'auth');
      assert.match(none.message, /no SSH credential/);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      if (agent.pid !== undefined && agent.exitCode === null) process.kill(agent.pid, 'SIGTERM');
    }
  });

  it('a node going away under an open connection is a disconnected error; stopped sshd is refused; back again works', async () => {
    const name = (lab as LabInfo).name;
    const open = await connectNode(target('node3'), { nodeName: 'node3' });
    await labStopNode(name, 'node3');
    const lost = await connectError(open.exec('true'));
    assert.equal(lost.kind, 'disconnected');
    open.close();
    try {
      const err = await connectError(connectNode(target('node3'), { nodeName: 'node3' }));
      assert.equal(err.kind, 'refused');
      assert.match(err.message, /^node3 \(192\.168\.1\.13:22\): nothing answered at 192\.168\.1\.13:22: .* — check the node's address or host name \(192\.168\.1\.13\) in cluster\.yaml, and that sshd runs there$/);
    } finally {
      await labStartNode(name, 'node3');
    }
    const conn = await connectNode(target('node3'), { nodeName: 'node3' });
    conn.close();
  });

  it('refuses a changed host key, also with acceptNewHosts', async () => {
    const name = (lab as LabInfo).name;
    const before = join(dir, 'known_hosts_before');
    copyFileSync((lab as LabInfo).knownHostsFile, before);
    await labRegenerateHostKey(name, 'node2');
    const newFingerprint = await labHostKeyFingerprint(name, 'node2');
    for (const acceptNewHosts of [false, true]) {
      const err = await connectError(connectNode(target('node2', { knownHostsFile: before }), { nodeName: 'node2', acceptNewHosts }));
      assert.equal(err.kind, 'host-key-changed');
      assert.equal(err.details.fingerprint, newFingerprint);
      assert.ok(err.details.knownFingerprint && err.details.knownFingerprint !== newFingerprint);
      assert.ok(err.message.includes(before), err.message);
    }
    assert.equal(readFileSync(before, 'utf8'), readFileSync((lab as LabInfo).knownHostsFile, 'utf8'), 'known_hosts untouched');
  });
});
