// connectNode against an in-process SSH server (fake-sshd.ts): no root, no network.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { connectNode, type RecordedHostKey } from '../../../src/run/ssh/connect.js';
import { classifyError } from '../../../src/run/outcomes.js';
import { SshTransport } from '../../../src/run/ssh-transport.js';
import { SshError } from '../../../src/run/ssh/errors.js';
import { fingerprintSha256, parseKnownHosts } from '../../../src/run/ssh/known-hosts.js';
import { startFakeSshd, type FakeSshd } from './fake-sshd.js';

async function connectError(promise: Promise<unknown>): Promise<SshError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof SshError, `expected SshError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the connect to fail');
}

function writeKnownHosts(fake: FakeSshd, text: string): void {
  mkdirSync(join(fake.dir, 'ssh'), { recursive: true });
  writeFileSync(fake.knownHostsFile, text);
}

describe('connectNode (in-process SSH server)', () => {
  let fake: FakeSshd;
  before(async () => {
    fake = await startFakeSshd();
  });
  after(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.execs.length = 0;
    fake.reply = () => ({ code: 0 });
    delete fake.stall;
    writeKnownHosts(fake, `${fake.knownHostsLine('192.0.2.10', 22)}\n`);
  });

  it('runs a script as `sh -s` with the script on stdin, returns stdout, stderr and the exit code; counts execs', async () => {
    fake.reply = (cmd, stdin) => ({ code: 3, stdout: `ran ${cmd} <<${JSON.stringify(stdin.toString())}\n`, stderr: 'warn\n' });
    const conn = await connectNode(fake.target(), { nodeName: 'node1' });
    try {
      const r = await conn.exec('ip -j link');
      assert.deepEqual(r, { code: 3, stdout: 'ran sh -s <<"{\\nip -j link\\n} </dev/null\\n"\n', stderr: 'warn\n' });
      assert.equal(conn.execCount, 1);
      await conn.exec('true');
      assert.equal(conn.execCount, 2);
      assert.deepEqual(
        fake.execs.map((e) => e.command),
        ['sh -s', 'sh -s'],
      );
    } finally {
      conn.close();
    }
  });

  it('writes a large stdin fully and ends it', async () => {
    fake.reply = (_cmd, stdin) => ({ code: 0, stdout: `${stdin.length}` });
    const conn = await connectNode(fake.target(), { nodeName: 'node1' });
    try {
      const big = 'route replace 10.244.1.0/24 via 192.168.1.11\n'.repeat(200_000);
      const r = await conn.exec('ip -batch -', { stdin: big });
      assert.equal(r.stdout, String(Buffer.byteLength(big)));
    } finally {
      conn.close();
    }
  });

  it('become wraps every command in sudo -n -- env SSH_CONNECTION=… sh -c with correct quoting', async () => {
    const conn = await connectNode(fake.target({ user: 'root', become: true }), { nodeName: 'node1' });
    try {
      await conn.exec(`echo 'it''s' "$HOME"`, { stdin: '' });
      assert.equal(fake.execs[0]?.command, `sudo -n -- env "SSH_CONNECTION=$SSH_CONNECTION" sh -c 'echo '\\''it'\\'''\\''s'\\'' "$HOME"'`);
      await conn.exec(`echo 'it''s' "$HOME"`);
      assert.equal(fake.execs[1]?.command, `sudo -n -- env "SSH_CONNECTION=$SSH_CONNECTION" sh -c 'sh -s'`, 'a script goes on stdin under sudo too');
      assert.equal(fake.execs[1]?.stdinBytes, Buffer.byteLength(`{\necho 'it''s' "$HOME"\n} </dev/null\n`));
    } finally {
      conn.close();
    }
  });

  it('become: sudo asking for a password is a sudo-password error', async () => {
    fake.reply = () => ({ code: 1, stderr: 'sudo: a password is required\n' });
    const conn = await connectNode(fake.target({ become: true }), { nodeName: 'node1' });
    try {
      const err = await connectError(conn.exec('ip -j link'));
      assert.equal(err.kind, 'sudo-password');
      assert.equal(err.node, 'node1');
      assert.match(err.message, /^node1 \(192\.0\.2\.10:22\): sudo asks for a password for root; become needs passwordless sudo/);
    } finally {
      conn.close();
    }
  });

  it('without become the same stderr is just a result', async () => {
    fake.reply = () => ({ code: 1, stderr: 'sudo: a password is required\n' });
    const conn = await connectNode(fake.target(), { nodeName: 'node1' });
    try {
      const r = await conn.exec('sudo -n true');
      assert.equal(r.code, 1);
    } finally {
      conn.close();
    }
  });

  it('accepts a host known by a hashed entry, and by [host]:port for a non-22 port', async () => {
    writeKnownHosts(fake, `${fake.knownHostsLine('192.0.2.10', 22, true)}\n${fake.knownHostsLine('192.0.2.10', 2222)}\n`);
    for (const port of [22, 2222]) {
      const conn = await connectNode(fake.target({ port }), { nodeName: 'node1' });
      conn.close();
    }
  });

  it('refuses an unknown host with its fingerprint and the way to accept it', async () => {
    writeKnownHosts(fake, '');
    const err = await connectError(connectNode(fake.target(), { nodeName: 'node1' }));
    assert.equal(err.kind, 'host-key-unknown');
    const fp = fingerprintSha256(fake.hostKeyBlob);
    assert.equal(err.details.fingerprint, fp);
    assert.ok(err.message.includes(fp), err.message);
    assert.ok(err.message.includes('run with --accept-new-hosts to record it (like StrictHostKeyChecking=accept-new)'));
    assert.equal(readFileSync(fake.knownHostsFile, 'utf8'), '', 'nothing recorded without acceptNewHosts');
  });

  it('acceptNewHosts records the key (creating dir and file 0600); the next connect needs no flag', async () => {
    const file = join(fake.dir, 'fresh', 'sub', 'known_hosts');
    const recorded: RecordedHostKey[] = [];
    const conn = await connectNode(fake.target({ knownHostsFile: file }), { nodeName: 'node1', acceptNewHosts: true, onHostKeyRecorded: (r) => recorded.push(r) });
    conn.close();
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const entries = parseKnownHosts(readFileSync(file, 'utf8'));
    assert.equal(entries.length, 1);
    assert.ok(entries[0]?.key.equals(fake.hostKeyBlob));
    // The user is told what was recorded, as ssh's "Permanently added …": host, key type, fingerprint, where.
    assert.deepEqual(recorded, [{ host: '192.0.2.10', keyType: fake.hostKeyType, fingerprint: fingerprintSha256(fake.hostKeyBlob), file, line: 1 }]);
    const again = await connectNode(fake.target({ knownHostsFile: file }), { nodeName: 'node1', acceptNewHosts: true, onHostKeyRecorded: (r) => recorded.push(r) });
    again.close();
    assert.equal(recorded.length, 1, 'a known key is not announced again');
  });

  it('acceptNewHosts from many parallel connections records each host once', async () => {
    const file = join(fake.dir, 'parallel_known_hosts');
    const hosts = ['192.0.2.21', '192.0.2.22', '192.0.2.23'];
    const conns = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        connectNode(fake.target({ knownHostsFile: file, host: hosts[i % hosts.length] as string }), {
          nodeName: `node${i}`,
          acceptNewHosts: true,
        }),
      ),
    );
    for (const c of conns) c.close();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.deepEqual(lines.map((l) => l.split(' ')[0]).sort(), hosts);
  });

  it('refuses a changed host key, even with acceptNewHosts, naming both fingerprints, file and line', async () => {
    const other = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(fake.dir, 'other')]);
    assert.equal(other.status, 0);
    const otherPub = readFileSync(join(fake.dir, 'other.pub'), 'utf8').split(' ');
    writeKnownHosts(fake, `# comment\n192.0.2.10 ${otherPub[0]} ${otherPub[1]}\n`);
    const err = await connectError(connectNode(fake.target(), { nodeName: 'node1', acceptNewHosts: true }));
    assert.equal(err.kind, 'host-key-changed');
    const knownFp = fingerprintSha256(Buffer.from(otherPub[1] as string, 'base64'));
    assert.equal(err.details.knownFingerprint, knownFp);
    assert.equal(err.details.fingerprint, fingerprintSha256(fake.hostKeyBlob));
    assert.ok(err.message.includes(`${fake.knownHostsFile}:2`), err.message);
    assert.ok(err.message.includes(knownFp) && err.message.includes(fingerprintSha256(fake.hostKeyBlob)));
    assert.equal(parseKnownHosts(readFileSync(fake.knownHostsFile, 'utf8')).length, 1, 'known_hosts untouched');
  });

  it('refuses a revoked host key', async () => {
    writeKnownHosts(fake, `${fake.knownHostsLine('192.0.2.10', 22)}\n@revoked * ${fake.hostKeyType} ${fake.hostKeyBlob.toString('base64')}\n`);
    const err = await connectError(connectNode(fake.target(), { nodeName: 'node1', acceptNewHosts: true }));
    assert.equal(err.kind, 'host-key-revoked');
    assert.match(err.message, /@revoked/);
  });

  it('a key the server does not accept is an auth error listing what was tried', async () => {
    const err = await connectError(connectNode(fake.target({ identityFile: fake.wrongIdentityFile }), { nodeName: 'node2' }));
    assert.equal(err.kind, 'auth');
    assert.equal(err.message, `node2 (192.0.2.10:22): authentication failed for root (tried: identity file ${fake.wrongIdentityFile})`);
  });

  it('an unreadable identity file is an auth error before any connection', async () => {
    const err = await connectError(connectNode(fake.target({ identityFile: join(fake.dir, 'missing') }), { nodeName: 'node1' }));
    assert.equal(err.kind, 'auth');
    assert.match(err.message, /identity file .*missing does not exist: check identityFile/);
  });

  it('a proxy command that never answers times out within the limit and is killed', async () => {
    const pidFile = join(fake.dir, 'proxy.pid');
    const started = Date.now();
    const err = await connectError(
      connectNode(fake.target({ proxyCommand: `echo $$ > ${pidFile}; exec sleep 30`, connectTimeoutMs: 400 }), { nodeName: 'node1' }),
    );
    const took = Date.now() - started;
    assert.equal(err.kind, 'timeout');
    assert.match(err.message, /timed out after 400 ms/);
    assert.ok(took >= 390 && took < 2400, `took ${took} ms`);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await waitGone(pid);
  });

  it('a failing proxy command reports its exit code and stderr', async () => {
    const err = await connectError(connectNode(fake.target({ proxyCommand: 'echo "no route to %h:%p" >&2; exit 4' }), { nodeName: 'node1' }));
    assert.equal(err.kind, 'proxy');
    assert.match(err.message, /exited with code 4 before the SSH handshake: no route to 192\.0\.2\.10:22/);
  });

  it('a proxy command failing as a non-root user entering a namespace, or exiting silently, names the cause and the fix', async () => {
    const denied = await connectError(
      connectNode(fake.target({ proxyCommand: 'echo \'setting the network namespace "pnlab-x-sw" failed: Operation not permitted\' >&2; exit 255' }), { nodeName: 'node1' }),
    );
    assert.equal(denied.kind, 'proxy');
    assert.match(denied.message, /Operation not permitted — entering a network namespace needs root: run podnet as root \(e\.g\. with sudo\)$/);
    const silent = await connectError(connectNode(fake.target({ proxyCommand: 'exit 1' }), { nodeName: 'node2' }));
    assert.equal(silent.kind, 'refused');
    assert.match(silent.message, /^node2 \(192\.0\.2\.10:22\): nothing answered at 192\.0\.2\.10:22: .* — check the node's address or host name \(192\.0\.2\.10\) in cluster\.yaml, and that sshd runs there$/);
  });

  it('an aborted signal stops the connect', async () => {
    const ac = new AbortController();
    const p = connectNode(fake.target({ proxyCommand: 'exec sleep 30' }), { nodeName: 'node1', signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    const err = await connectError(p);
    assert.match(err.message, /aborted/);
  });

  it('a node that stops answering mid-exec is unreachable after its keepalives, with the time it went quiet; another node is fine', { timeout: 5000 }, async () => {
    fake.stall = (command) => (command === 'apply node1' ? 'freeze' : undefined);
    const settings = { keepaliveIntervalMs: 200, keepaliveCountMax: 2, execTimeoutMs: 60_000 };
    const quiet = await connectNode(fake.target(settings), { nodeName: 'node1' });
    const fine = await connectNode(fake.target(settings), { nodeName: 'node2' });
    try {
      const started = Date.now();
      const [frozenExec, fineExec] = await Promise.allSettled([quiet.exec('apply node1', { stdin: '' }), fine.exec('apply node2', { stdin: '' })]);
      const took = Date.now() - started;
      assert.equal(fineExec.status, 'fulfilled');
      assert.equal(frozenExec.status, 'rejected');
      const err = (frozenExec as PromiseRejectedResult).reason as unknown;
      assert.ok(err instanceof SshError, String(err));
      assert.equal(err.kind, 'timeout');
      assert.equal(classifyError(err).status, 'unreachable');
      assert.match(err.message, /^node1 \(192\.0\.2\.10:22\): unreachable: no answer to 2 keepalives 0\.2 s apart while running a command; it went quiet at \d\d:\d\d:\d\d, [0-9.]+ s ago$/);
      // keepalive × count (0.6 s) and a little slack; never the exec deadline (60 s).
      assert.ok(took < 2500, `took ${took} ms`);
    } finally {
      quiet.close();
      fine.close();
    }
  });

  it('a command that never finishes meets the exec deadline: unreachable, with when the node was last heard from', { timeout: 5000 }, async () => {
    fake.stall = () => 'hang';
    const conn = await connectNode(fake.target({ keepaliveIntervalMs: 100, keepaliveCountMax: 3, execTimeoutMs: 700 }), { nodeName: 'node1' });
    try {
      const started = Date.now();
      const err = await connectError(conn.exec('sleep infinity'));
      const took = Date.now() - started;
      assert.equal(err.kind, 'timeout');
      assert.equal(classifyError(err).status, 'unreachable');
      // The keepalives were answered: the node was heard from lately, the command just never ended.
      assert.match(err.message, /^node1 \(192\.0\.2\.10:22\): unreachable: no result after 0\.7 s, the exec deadline \(ssh\.execTimeout, --exec-timeout 0\.7 s\); last heard from at \d\d:\d\d:\d\d$/);
      assert.ok(took >= 650 && took < 2500, `took ${took} ms`);
      const after = await connectError(conn.exec('true'));
      assert.equal(after.kind, 'disconnected');
    } finally {
      conn.close();
    }
  });

  it('--exec-timeout (SshTransport execTimeoutMs) overrides the node\'s ssh.execTimeout', { timeout: 5000 }, async () => {
    fake.stall = () => 'hang';
    const transport = new SshTransport({ acceptNewHosts: false, execTimeoutMs: 300 });
    const conn = await transport.connect({ name: 'node1', address: '192.0.2.10', ssh: fake.target({ execTimeoutMs: 60_000 }) });
    try {
      const err = await connectError(conn.exec('sleep infinity'));
      assert.match(err.message, /no result after 0\.3 s, the exec deadline \(ssh\.execTimeout, --exec-timeout 0\.3 s\)/);
    } finally {
      conn.close();
    }
  });

  it('exec after close is a disconnected error', async () => {
    const conn = await connectNode(fake.target(), { nodeName: 'node1' });
    conn.close();
    const err = await connectError(conn.exec('true'));
    assert.equal(err.kind, 'disconnected');
  });
});

/** Waits until pid is gone or a zombie (this machine's PID 1 reaps lazily). */
async function waitGone(pid: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    let state: string | undefined;
    try {
      state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    } catch {
      return;
    }
    if (state === 'Z' || state === 'X') return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`process ${pid} still running`);
}
