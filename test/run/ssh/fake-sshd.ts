// An in-process SSH server (ssh2's Server) on a unix socket, reached through a ProxyCommand that
// pipes stdio to the socket. No network, no root: it lets the transport's rules (host keys, auth,
// become wrapping, sudo's password message, stdin) be tested anywhere.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server as NetServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { Connection } from 'ssh2';
import type { SshTarget } from '../../../src/model/types.js';
import { formatKnownHostsLine } from '../../../src/run/ssh/known-hosts.js';

const { Server, utils } = ssh2;

export interface FakeExec {
  command: string;
  stdinBytes: number;
}

export interface FakeReply {
  code: number;
  stdout?: string;
  stderr?: string;
}

export interface FakeSshd {
  dir: string;
  socketPath: string;
  /** Private key (OpenSSH format) the server accepts, written to identityFile. */
  identityFile: string;
  /** A second key the server does NOT accept. */
  wrongIdentityFile: string;
  hostKeyBlob: Buffer;
  hostKeyType: string;
  /** The server's host key as a known_hosts line for host:port. */
  knownHostsLine(host: string, port: number, hashed?: boolean): string;
  knownHostsFile: string;
  execs: FakeExec[];
  /**
   * Execs that never finish: `freeze` stops the server reading the connection, so it answers
   * nothing more, keepalives included (like a node whose sshd was stopped); `hang` keeps the
   * connection alive but never ends the command.
   */
  stall?: (command: string) => 'freeze' | 'hang' | undefined;
  /** How the server answers an exec; default echoes nothing and exits 0. */
  reply: (command: string, stdin: Buffer) => FakeReply;
  /** A target that reaches this server through the unix-socket ProxyCommand. */
  target(overrides?: Partial<SshTarget>): SshTarget;
  close(): Promise<void>;
}

/** The ProxyCommand: this very Node binary piping its stdio to the unix socket. */
function proxyCommandFor(socketPath: string): string {
  const script = "const s=require('net').connect(process.argv[1]);process.stdin.pipe(s);s.pipe(process.stdout);s.on('error',e=>{console.error(e.message);process.exit(1)})";
  return `'${process.execPath}' -e "${script}" '${socketPath}'`;
}

/**
 * An ed25519 pair ssh2 can read back: about 1 in 300 private keys ssh2's own generator writes fail
 * its parser ("Malformed OpenSSH private key", measured: 10 of 3,000), which made a connect test
 * flaky. Draw again until the private key parses.
 */
function parsableKeyPair(): { private: string; public: string } {
  for (;;) {
    const pair = utils.generateKeyPairSync('ed25519');
    if (!(utils.parseKey(pair.private) instanceof Error)) return pair;
  }
}

export async function startFakeSshd(opts: { user?: string } = {}): Promise<FakeSshd> {
  const user = opts.user ?? 'root';
  const dir = mkdtempSync(join(tmpdir(), 'pnssh-fake-'));
  const socketPath = join(dir, 'sshd.sock');
  const host = parsableKeyPair();
  const client = parsableKeyPair();
  const wrong = parsableKeyPair();
  const identityFile = join(dir, 'id_ed25519');
  const wrongIdentityFile = join(dir, 'id_wrong');
  writeFileSync(identityFile, client.private, { mode: 0o600 });
  writeFileSync(`${identityFile}.pub`, `${client.public}\n`);
  writeFileSync(wrongIdentityFile, wrong.private, { mode: 0o600 });
  const allowed = utils.parseKey(client.public);
  const hostPublic = utils.parseKey(host.public);
  if (allowed instanceof Error || hostPublic instanceof Error) throw new Error('cannot parse generated keys');
  const allowedKey = Array.isArray(allowed) ? allowed[0] : allowed;
  const hostKey = Array.isArray(hostPublic) ? hostPublic[0] : hostPublic;
  const hostKeyBlob = hostKey.getPublicSSH();

  const fake: FakeSshd = {
    dir,
    socketPath,
    identityFile,
    wrongIdentityFile,
    hostKeyBlob,
    hostKeyType: hostKey.type,
    knownHostsFile: join(dir, 'ssh', 'known_hosts'),
    knownHostsLine: (h, p, hashed = false) => formatKnownHostsLine(h, p, hostKey.type, hostKeyBlob.toString('base64'), { hashed }),
    execs: [],
    reply: () => ({ code: 0 }),
    target: (overrides = {}) => ({
      host: '192.0.2.10',
      port: 22,
      user,
      identityFile,
      knownHostsFile: fake.knownHostsFile,
      become: false,
      proxyCommand: proxyCommandFor(socketPath),
      connectTimeoutMs: 5000,
      ...overrides,
    }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        for (const c of connections) c.end();
        for (const c of frozen) c.destroy();
      }),
  };

  const connections = new Set<Connection>();
  const frozen = new Set<Socket>();
  const server = new Server({ hostKeys: [host.private] }, (conn) => {
    connections.add(conn);
    conn.on('close', () => connections.delete(conn));
    conn.on('error', () => undefined);
    conn.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey' || ctx.username !== user) return ctx.reject(['publickey']);
      const sameKey = ctx.key.algo === allowedKey.type && ctx.key.data.equals(allowedKey.getPublicSSH());
      if (!sameKey) return ctx.reject(['publickey']);
      if (!ctx.signature) return ctx.accept(); // the "would you accept this key" probe
      if (ctx.blob && allowedKey.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) return ctx.accept();
      ctx.reject(['publickey']);
    });
    conn.on('ready', () => {
      conn.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (accept, _reject, info) => {
          const stream = accept();
          const stall = fake.stall?.(info.command);
          if (stall !== undefined) fake.execs.push({ command: info.command, stdinBytes: 0 });
          if (stall === 'hang') return;
          if (stall === 'freeze') {
            const sock = (conn as unknown as { _sock: Socket })._sock;
            sock.pause();
            frozen.add(sock);
            return;
          }
          const chunks: Buffer[] = [];
          stream.on('data', (d: Buffer) => chunks.push(d));
          stream.on('end', () => {
            const stdin = Buffer.concat(chunks);
            fake.execs.push({ command: info.command, stdinBytes: stdin.length });
            const r = fake.reply(info.command, stdin);
            if (r.stdout) stream.write(r.stdout);
            if (r.stderr) stream.stderr.write(r.stderr);
            stream.exit(r.code);
            stream.end();
          });
        });
      });
    });
  });
  await new Promise<void>((resolve) => (server.listen(socketPath, resolve) as unknown as NetServer));
  return fake;
}
