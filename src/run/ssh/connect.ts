// One SSH connection to one node (ssh2): credentials, host key check against known_hosts,
// ProxyCommand / ProxyJump, one deadline for the whole connect, and exec with `become`.
// Every failure is an SshError naming the node; nothing here throws into another node's flow.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, ClientChannel, HostVerifier, ServerHostKeyAlgorithm } from 'ssh2';
import type { SshTarget } from '../../model/types.js';
import { connectHint, identityFileProblem, proxyExitProblem } from '../../model/causes.js';
import { expandProxyCommand, isSudoPasswordError, parseProxyJump, scriptOnStdin, wrapBecome } from './command.js';
import { SshError } from './errors.js';
import { recordHostKey, readKnownHostsFile, type RecordResult } from './known-hosts-file.js';
import {
  fingerprintSha256,
  keyTypeOfBlob,
  knownHostsName,
  knownKeyTypes,
  lookupHostKey,
  type KnownHostEntry,
} from './known-hosts.js';
import { DEFAULT_EXEC_TIMEOUT_SECONDS, DEFAULT_KEEPALIVE_COUNT_MAX, DEFAULT_KEEPALIVE_INTERVAL_SECONDS } from '../../config/ssh-target.js';
import { pathExists } from '../path-exists.js';
import type { Connection, ExecResult } from '../transport.js';

const { Client, utils } = ssh2;
type SshClient = InstanceType<typeof Client>;

export type { ExecResult } from '../transport.js';

export interface NodeConnection extends Connection {
  close(): void;
  readonly execCount: number;
}

export interface ConnectOptions {
  nodeName: string;
  /** Record unknown host keys in known_hosts (StrictHostKeyChecking=accept-new). */
  acceptNewHosts?: boolean;
  signal?: AbortSignal;
  onDebug?: (line: string) => void;
  /** Called for each host key --accept-new-hosts records (the user is told, as ssh's "Permanently added …"). */
  onHostKeyRecorded?: (recorded: RecordedHostKey) => void;
  /** Shared by the connections of one run: each identity and known_hosts file is read once, not once per node. */
  reads?: ConnectReads;
}

/**
 * The local files a connect reads, each read once per run (a transport's connections share one):
 * the credentials by identity file (`''`: the agent and default keys), known_hosts by path. An
 * entry is dropped when it failed (the next node reads again) and when a host key was recorded.
 */
export class ConnectReads {
  private readonly credentials = new Map<string, Promise<Credentials>>();
  private readonly knownHosts = new Map<string, Promise<KnownHostEntry[]>>();

  resolveCredentials(target: Pick<SshTarget, 'identityFile'>): Promise<Credentials> {
    return this.once(this.credentials, target.identityFile ?? '', () => resolveCredentials(target));
  }

  readKnownHosts(path: string): Promise<KnownHostEntry[]> {
    return this.once(this.knownHosts, path, () => readKnownHostsFile(path));
  }

  /** After a host key is written to `path`, the next connect reads the file again. */
  knownHostsChanged(path: string): void {
    this.knownHosts.delete(path);
  }

  private once<T>(cache: Map<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> {
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    const reading = read();
    cache.set(key, reading);
    reading.catch(() => {
      if (cache.get(key) === reading) cache.delete(key);
    });
    return reading;
  }
}

/** A host key written to known_hosts by acceptNewHosts. */
export interface RecordedHostKey {
  /** As known_hosts names it: `192.168.1.11`, `[host]:2222`. */
  host: string;
  keyType: string;
  /** `SHA256:…` */
  fingerprint: string;
  file: string;
  line: number;
}

/** OpenSSH's default identities, tried (after the agent) when no identityFile is configured. */
export const DEFAULT_IDENTITY_NAMES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

const ACCEPT_NEW_HINT = 'run with --accept-new-hosts to record it (like StrictHostKeyChecking=accept-new)';
const STDERR_KEEP = 4096;

interface Hop {
  user: string;
  host: string;
  port: number;
  /** Message prefix part for this hop: '' for the node itself, `bastion u@h:p: ` for a jump host. */
  label: string;
}

type Credential = { type: 'publickey'; key: Buffer } | { type: 'agent'; agent: string };

interface Credentials {
  list: Credential[];
  /** Human list for the auth failure message: `identity file /x`, `agent (/path)`. */
  tried: string[];
}

/** Finds the credentials to offer: identityFile, else the agent and OpenSSH's default keys. */
export async function resolveCredentials(
  target: Pick<SshTarget, 'identityFile'>,
  env: { SSH_AUTH_SOCK?: string | undefined; home: string } = { SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK, home: homedir() },
): Promise<Credentials> {
  if (target.identityFile !== undefined) {
    const key = await readIdentity(target.identityFile);
    return { list: [{ type: 'publickey', key }], tried: [`identity file ${target.identityFile}`] };
  }
  const list: Credential[] = [];
  const tried: string[] = [];
  const agent = env.SSH_AUTH_SOCK;
  if (agent && (await pathExists(agent))) {
    list.push({ type: 'agent', agent });
    tried.push(`agent (${agent})`);
  }
  for (const name of DEFAULT_IDENTITY_NAMES) {
    const path = join(env.home, '.ssh', name);
    if (!(await pathExists(path))) continue;
    try {
      list.push({ type: 'publickey', key: await readIdentity(path) });
      tried.push(`identity file ${path}`);
    } catch {
      // An unusable default key (e.g. passphrase-protected) is skipped, as ssh would prompt instead.
    }
  }
  if (list.length === 0) {
    throw new Error(
      `no SSH credential: no identityFile configured, no usable agent (SSH_AUTH_SOCK ${agent ? `${agent} does not exist` : 'is not set'}), ` +
        `and none of ~/.ssh/${DEFAULT_IDENTITY_NAMES.join(', ~/.ssh/')} is usable`,
    );
  }
  return { list, tried };
}

async function readIdentity(path: string): Promise<Buffer> {
  let key: Buffer;
  try {
    key = await readFile(path);
  } catch (err) {
    throw new Error(identityFileProblem(await fileFacts(path, err)));
  }
  const parsed = utils.parseKey(key);
  if (parsed instanceof Error) {
    const hint = /passphrase/i.test(parsed.message) ? ' (load it into ssh-agent and leave identityFile unset)' : '';
    throw new Error(`cannot use identity file ${path}: ${parsed.message}${hint}`);
  }
  return key;
}

/** What the failed read of a local file tells, with its owner and mode when stat can see them. */
export async function fileFacts(path: string, err: unknown): Promise<Parameters<typeof identityFileProblem>[0]> {
  const code = (err as NodeJS.ErrnoException).code;
  const st = await stat(path).catch(() => undefined);
  return {
    path,
    ...(code !== undefined ? { code } : {}),
    ...(process.getuid !== undefined ? { uid: process.getuid() } : {}),
    ...(st !== undefined ? { ownerUid: st.uid, mode: st.mode } : {}),
  };
}

/** Host key algorithms ssh2 offers, reordered so a key type already known for the host wins. */
function hostKeyPreference(knownTypes: string[]): ServerHostKeyAlgorithm[] | undefined {
  if (knownTypes.length === 0) return undefined;
  const all: ServerHostKeyAlgorithm[] = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ];
  const algosOf = (type: string): string[] => (type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type]);
  const preferred = all.filter((a) => knownTypes.some((t) => algosOf(t).includes(a)));
  return [...preferred, ...all.filter((a) => !preferred.includes(a))];
}

/** Opens the connection to target (through its bastions/proxy), ready for exec. */
export async function connectNode(target: SshTarget, opts: ConnectOptions): Promise<NodeConnection> {
  const attempt = new ConnectAttempt(target, opts);
  return attempt.run();
}

class ConnectAttempt {
  private readonly where: string;
  private readonly clients: SshClient[] = [];
  private proxy: ChildProcess | undefined;
  private proxyStderr = '';
  private proxyExit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  private proxyCommandLine = '';
  private cancelled = false;
  private phase = 'connecting';
  private knownHosts: KnownHostEntry[] = [];

  constructor(
    private readonly target: SshTarget,
    private readonly opts: ConnectOptions,
  ) {
    this.where = `${opts.nodeName} (${target.host}:${target.port})`;
  }

  private debug(line: string): void {
    this.opts.onDebug?.(`${this.opts.nodeName}: ${line}`);
  }

  private error(kind: SshError['kind'], hop: Hop | undefined, text: string, cause?: unknown): SshError {
    return new SshError(kind, this.opts.nodeName, `${this.where}: ${hop?.label ?? ''}${text}`, cause ? { cause } : undefined);
  }

  run(): Promise<NodeConnection> {
    return new Promise<NodeConnection>((resolve, reject) => {
      let settled = false;
      const settle = (err: SshError | undefined, conn?: NodeConnection): void => {
        if (settled) {
          if (conn) conn.close();
          return;
        }
        settled = true;
        clearTimeout(timer);
        this.opts.signal?.removeEventListener('abort', onAbort);
        if (err) {
          this.teardown();
          reject(err);
        } else if (conn) {
          resolve(conn);
        }
      };
      const timer = setTimeout(() => {
        const proxy = this.proxyStderr.trim() ? ` (proxy command stderr: ${this.proxyStderr.trim()})` : '';
        settle(this.error('timeout', undefined, `connection timed out after ${this.target.connectTimeoutMs} ms while ${this.phase}${proxy}`));
      }, this.target.connectTimeoutMs);
      const onAbort = (): void => settle(this.error('other', undefined, 'connect aborted'));
      if (this.opts.signal?.aborted) {
        onAbort();
        return;
      }
      this.opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.open().then(
        (conn) => settle(undefined, conn),
        (err: unknown) =>
          settle(err instanceof SshError ? err : this.error('other', undefined, (err as Error).message ?? String(err), err)),
      );
    });
  }

  /** Ends every hop, innermost first, then the proxy command. graceful: send SSH disconnect. */
  private teardown(graceful = false): void {
    this.cancelled = true;
    for (const client of [...this.clients].reverse()) {
      if (graceful) client.end();
      else client.destroy();
    }
    this.killProxy();
  }

  private killProxy(): void {
    const pid = this.proxy?.pid;
    if (pid === undefined || this.proxy?.exitCode !== null || this.proxy.signalCode !== null) return;
    try {
      process.kill(-pid, 'SIGTERM'); // the proxy runs in its own process group (detached)
    } catch {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }

  private async open(): Promise<NodeConnection> {
    let credentials: Credentials;
    try {
      credentials = await (this.opts.reads?.resolveCredentials(this.target) ?? resolveCredentials(this.target));
    } catch (err) {
      throw this.error('auth', undefined, (err as Error).message, err);
    }
    try {
      this.knownHosts = await (this.opts.reads?.readKnownHosts(this.target.knownHostsFile) ?? readKnownHostsFile(this.target.knownHostsFile));
    } catch (err) {
      throw this.error('other', undefined, `cannot read known_hosts ${this.target.knownHostsFile}: ${(err as Error).message}`, err);
    }
    let jumps: Hop[] = [];
    if (this.target.proxyJump) {
      try {
        jumps = parseProxyJump(this.target.proxyJump, { user: this.target.user, port: 22 }).map((j) => ({
          ...j,
          label: `bastion ${j.user}@${j.host}:${j.port}: `,
        }));
      } catch (err) {
        throw this.error('proxy', undefined, (err as Error).message, err);
      }
    }
    const hops: Hop[] = [...jumps, { user: this.target.user, host: this.target.host, port: this.target.port, label: '' }];
    const first = hops[0] as Hop;
    let sock: Duplex = this.target.proxyCommand ? this.spawnProxy(first) : await this.tcpConnect(first);
    let client: SshClient | undefined;
    for (let i = 0; i < hops.length; i++) {
      const hop = hops[i] as Hop;
      client = await this.handshake(hop, sock, credentials, i === 0 && this.proxy !== undefined);
      const next = hops[i + 1];
      if (next) sock = await this.forward(client, hop, next);
    }
    this.debug('connected');
    return this.makeConnection(client as SshClient, sock);
  }

  private checkCancelled(): void {
    if (this.cancelled) throw this.error('other', undefined, 'connect cancelled');
  }

  private spawnProxy(hop: Hop): Duplex {
    let command: string;
    try {
      command = expandProxyCommand(this.target.proxyCommand as string, {
        host: hop.host,
        port: hop.port,
        user: hop.user,
        name: this.opts.nodeName,
      });
    } catch (err) {
      throw this.error('proxy', undefined, (err as Error).message, err);
    }
    this.proxyCommandLine = command;
    this.phase = 'running the proxy command';
    this.debug(`proxy command: /bin/sh -c ${JSON.stringify(command)}`);
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.proxy = child;
    this.proxyExit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    child.on('error', (err) => {
      this.proxyStderr += `${err.message}\n`;
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (this.proxyStderr.length < STDERR_KEEP) this.proxyStderr += chunk.toString('utf8');
    });
    child.stdin?.on('error', () => undefined);
    child.stdout?.on('error', () => undefined);
    const sock = Duplex.from({ readable: child.stdout, writable: child.stdin });
    // ssh2 stops listening once the client is gone; a late EPIPE must not become an uncaught error.
    sock.on('error', (err) => this.debug(`proxy stream: ${err.message}`));
    return sock;
  }

  private tcpConnect(hop: Hop): Promise<Duplex> {
    this.phase = `connecting to ${hop.host}:${hop.port}`;
    this.debug(`tcp connect ${hop.host}:${hop.port}`);
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: hop.host, port: hop.port });
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        socket.on('error', (err) => this.debug(`socket: ${err.message}`));
        if (this.cancelled) {
          socket.destroy();
          reject(this.error('other', hop, 'connect cancelled'));
        } else resolve(socket);
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        socket.destroy();
        reject(this.socketError(hop, err));
      });
    });
  }

  private socketError(hop: Hop, err: NodeJS.ErrnoException): SshError {
    const hint = connectHint(err.code, hop.host, hop.port);
    const e = this.rawSocketError(hop, err);
    return hint === undefined ? e : new SshError(e.kind, this.opts.nodeName, `${e.message} — ${hint}`, { cause: err });
  }

  private rawSocketError(hop: Hop, err: NodeJS.ErrnoException): SshError {
    switch (err.code) {
      case 'ECONNREFUSED':
        return this.error('refused', hop, 'connection refused', err);
      case 'ETIMEDOUT':
        return this.error('timeout', hop, 'connection timed out', err);
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return this.error('other', hop, `cannot resolve host name ${hop.host}`, err);
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
        return this.error('other', hop, `no route to host ${hop.host}`, err);
      case 'ECONNRESET':
      case 'EPIPE':
        return this.error('disconnected', hop, `connection reset while ${this.phase}`, err);
      default:
        return this.error('other', hop, err.message, err);
    }
  }

  private forward(client: SshClient, via: Hop, to: Hop): Promise<Duplex> {
    this.phase = `opening a tunnel through ${via.host}:${via.port}`;
    this.debug(`forward through ${via.host}:${via.port} to ${to.host}:${to.port}`);
    return new Promise((resolve, reject) => {
      client.forwardOut('127.0.0.1', 0, to.host, to.port, (err, channel) => {
        if (err) {
          const refused = /refused/i.test(err.message);
          reject(
            this.error(
              refused ? 'refused' : 'proxy',
              to,
              `${refused ? 'connection refused' : 'cannot open a tunnel'} (through bastion ${via.user}@${via.host}:${via.port}: ${err.message})`,
              err,
            ),
          );
          return;
        }
        channel.on('error', (e: Error) => this.debug(`tunnel: ${e.message}`));
        resolve(channel as unknown as Duplex);
      });
    });
  }

  private handshake(hop: Hop, sock: Duplex, credentials: Credentials, viaProxyCommand: boolean): Promise<SshClient> {
    this.checkCancelled();
    const client = new Client();
    this.clients.push(client);
    this.phase = `waiting for the SSH handshake of ${hop.host}:${hop.port}`;
    return new Promise((resolve, reject) => {
      let ready = false;
      let hostKeyError: SshError | undefined;
      let failed = false;
      const fail = (err: SshError): void => {
        if (failed || ready) return;
        failed = true;
        reject(err);
      };
      const verifier: HostVerifier = (key, verify) => {
        this.verifyHostKey(hop, key).then(
          () => verify(true),
          (err: unknown) => {
            hostKeyError = err instanceof SshError ? err : this.error('other', hop, String(err), err);
            verify(false);
          },
        );
      };
      client.on('handshake', () => {
        this.phase = `authenticating as ${hop.user} on ${hop.host}:${hop.port}`;
      });
      client.on('ready', () => {
        ready = true;
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        if (err.level === 'agent') {
          this.debug(`agent: ${err.message}`);
          return; // ssh2 moves on to the next key
        }
        if (ready) {
          this.debug(`connection error: ${err.message}`);
          return;
        }
        if (hostKeyError) return fail(hostKeyError);
        if (err.level === 'client-authentication') {
          return fail(this.error('auth', hop, `authentication failed for ${hop.user} (tried: ${credentials.tried.join(', ')})`, err));
        }
        if ((err.level === 'client-socket' && err.code) || /connection lost before handshake/i.test(err.message)) {
          void this.closedEarly(hop, viaProxyCommand, err.code ? err : undefined).then(fail);
          return;
        }
        fail(this.error('other', hop, `${err.message} (while ${this.phase})`, err));
      });
      client.on('close', () => {
        if (ready || failed) return;
        if (hostKeyError) return fail(hostKeyError);
        void this.closedEarly(hop, viaProxyCommand).then(fail);
      });
      const algorithms = hostKeyPreference(knownKeyTypes(this.knownHosts, hop.host, hop.port));
      const methods = credentials.list.map((c) => ({ ...c, username: hop.user })) as AnyAuthMethod[];
      this.debug(`ssh handshake with ${hop.user}@${hop.host}:${hop.port}`);
      client.connect({
        sock,
        username: hop.user,
        readyTimeout: 0, // our own deadline covers the whole connect
        keepaliveInterval: this.target.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_SECONDS * 1000,
        keepaliveCountMax: this.target.keepaliveCountMax ?? DEFAULT_KEEPALIVE_COUNT_MAX,
        hostVerifier: verifier,
        authHandler: methods,
        ...(algorithms ? { algorithms: { serverHostKey: algorithms } } : {}),
      });
    });
  }

  /** Why the stream closed before the SSH session was ready (proxy exit, refused, reset). */
  private async closedEarly(hop: Hop, viaProxyCommand: boolean, err?: NodeJS.ErrnoException): Promise<SshError> {
    if (viaProxyCommand) {
      const exit = await Promise.race([this.proxyExit, new Promise<undefined>((r) => setTimeout(() => r(undefined), 300))]);
      // The likely cause and its fix (a silent `nc`: no such host or no sshd; a namespace entered without root …).
      const { kind, message } = proxyExitProblem({
        command: this.proxyCommandLine,
        host: hop.host,
        port: hop.port,
        code: exit?.code ?? null,
        signal: exit?.signal ?? null,
        stderr: this.proxyStderr,
        when: this.phase.startsWith('auth') ? 'during authentication' : 'before the SSH handshake',
      });
      return this.error(kind, hop, message);
    }
    if (err) return this.socketError(hop, err);
    return this.error('disconnected', hop, `connection closed by the server while ${this.phase}`);
  }

  private async verifyHostKey(hop: Hop, key: Buffer): Promise<void> {
    const file = this.target.knownHostsFile;
    const type = keyTypeOfBlob(key);
    const fingerprint = fingerprintSha256(key);
    let found = lookupHostKey(this.knownHosts, hop.host, hop.port, key);
    if (found.status === 'unknown' && this.opts.acceptNewHosts) {
      let recorded: RecordResult;
      try {
        recorded = await recordHostKey(file, hop.host, hop.port, key);
        if (recorded.status === 'added') this.opts.reads?.knownHostsChanged(file);
      } catch (err) {
        throw this.error('other', hop, `cannot record host key ${type} ${fingerprint} in ${file}: ${(err as Error).message}`, err);
      }
      if (recorded.status === 'added') {
        this.debug(`recorded host key ${type} ${fingerprint} for ${knownHostsName(hop.host, hop.port)} in ${file}:${recorded.line}`);
        this.opts.onHostKeyRecorded?.({ host: knownHostsName(hop.host, hop.port), keyType: type, fingerprint, file, line: recorded.line });
        return;
      }
      found = recorded;
    }
    switch (found.status) {
      case 'match':
        this.debug(`host key ${type} ${fingerprint} matches ${file}:${found.entry.line}`);
        return;
      case 'unknown':
        throw new SshError(
          'host-key-unknown',
          this.opts.nodeName,
          `${this.where}: ${hop.label}host key ${type} ${fingerprint} is not in ${file}; ${ACCEPT_NEW_HINT}`,
          { details: { fingerprint, knownHostsFile: file } },
        );
      case 'revoked':
        throw new SshError(
          'host-key-revoked',
          this.opts.nodeName,
          `${this.where}: ${hop.label}host key ${type} ${fingerprint} is marked @revoked in ${file}:${found.entry.line}; refusing to connect`,
          { details: { fingerprint, knownHostsFile: file, knownHostsLine: found.entry.line } },
        );
      case 'mismatch': {
        const known = found.known[0] as KnownHostEntry;
        const knownFingerprint = fingerprintSha256(known.key);
        const name = knownHostsName(hop.host, hop.port);
        throw new SshError(
          'host-key-changed',
          this.opts.nodeName,
          `${this.where}: ${hop.label}HOST KEY CHANGED: the server presents ${type} ${fingerprint}, but ${file}:${known.line} ` +
            `holds ${known.keyType} ${knownFingerprint} for ${name}. Someone could be intercepting the connection, or the host ` +
            `was reinstalled. Refused (even with --accept-new-hosts); if the change is expected, remove the old key ` +
            `(ssh-keygen -R '${name}' -f ${file}) and connect again with --accept-new-hosts.`,
          { details: { fingerprint, knownFingerprint, knownHostsFile: file, knownHostsLine: known.line } },
        );
      }
    }
  }

  /** `sock` carries the node's SSH stream: what arrives on it tells when the node last spoke. */
  private makeConnection(client: SshClient, sock: Duplex): NodeConnection {
    const target = this.target;
    const where = this.where;
    const node = this.opts.nodeName;
    const debug = (line: string): void => this.debug(line);
    let closed = false;
    let execCount = 0;
    let lastHeard = Date.now();
    sock.on('data', () => {
      lastHeard = Date.now();
    });
    let keepaliveTimedOut = false;
    client.on('error', (err: Error & { level?: string }) => {
      if (err.level === 'client-timeout') keepaliveTimedOut = true;
    });
    client.on('close', () => {
      closed = true;
    });
    const intervalMs = target.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_SECONDS * 1000;
    const countMax = target.keepaliveCountMax ?? DEFAULT_KEEPALIVE_COUNT_MAX;
    const execTimeoutMs = target.execTimeoutMs ?? DEFAULT_EXEC_TIMEOUT_SECONDS * 1000;
    const quiet = (): string => `it went quiet at ${clockTime(lastHeard)}, ${seconds(Date.now() - lastHeard)} ago`;
    const teardown = (): void => this.teardown(true);
    return {
      get execCount() {
        return execCount;
      },
      close() {
        closed = true;
        teardown();
      },
      exec(command, execOpts = {}) {
        if (closed) return Promise.reject(new SshError('disconnected', node, `${where}: the connection is closed`));
        execCount++;
        // A script goes on stdin (`sh -s`), not in the command line: no length limit, nothing of it in the
        // node's process list, and the same POSIX sh whatever the user's login shell is.
        const shipped = execOpts.stdin !== undefined ? { command, stdin: execOpts.stdin } : scriptOnStdin(command);
        const remote = target.become ? wrapBecome(shipped.command) : shipped.command;
        debug(`exec: ${remote} (stdin: ${Buffer.byteLength(shipped.stdin)} bytes)`);
        return new Promise<ExecResult>((resolve, reject) => {
          const started = Date.now();
          // The deadline: a node that keeps answering keepalives but never finishes the command.
          const deadline = setTimeout(() => {
            reject(
              new SshError(
                'timeout',
                node,
                `${where}: unreachable: no result after ${seconds(Date.now() - started)}, the exec deadline (ssh.execTimeout, --exec-timeout ${seconds(execTimeoutMs)}); ` +
                  `${Date.now() - lastHeard >= 1000 ? quiet() : `last heard from at ${clockTime(lastHeard)}`}`,
              ),
            );
            closed = true;
            teardown();
          }, execTimeoutMs);
          const settle = <T>(done: (value: T) => void) => (value: T): void => {
            clearTimeout(deadline);
            done(value);
          };
          resolve = settle(resolve);
          reject = settle(reject);
          const onChannel = (err: Error | undefined, stream: ClientChannel): void => {
            if (err) {
              reject(new SshError(closed ? 'disconnected' : 'other', node, `${where}: cannot start command: ${err.message}`, { cause: err }));
              return;
            }
            const out: Buffer[] = [];
            const errOut: Buffer[] = [];
            let code: number | null | undefined;
            let signal: string | undefined;
            stream.on('data', (d: Buffer) => out.push(d));
            stream.stderr.on('data', (d: Buffer) => errOut.push(d));
            stream.on('exit', (c: number | null, s?: string) => {
              code = c;
              if (s) signal = s;
            });
            stream.on('error', () => undefined);
            stream.on('close', () => {
              const result: ExecResult = {
                code: code ?? null,
                ...(signal ? { signal } : {}),
                stdout: Buffer.concat(out).toString('utf8'),
                stderr: Buffer.concat(errOut).toString('utf8'),
              };
              if (code === undefined && signal === undefined && keepaliveTimedOut) {
                reject(
                  new SshError(
                    'timeout',
                    node,
                    `${where}: unreachable: no answer to ${countMax} keepalives ${seconds(intervalMs)} apart while running a command; ${quiet()}`,
                  ),
                );
              } else if (code === undefined && signal === undefined && closed) {
                reject(new SshError('disconnected', node, `${where}: connection lost while running a command`));
              } else if (target.become && result.code !== 0 && isSudoPasswordError(result.stderr)) {
                reject(
                  new SshError(
                    'sudo-password',
                    node,
                    `${where}: sudo asks for a password for ${target.user}; become needs passwordless sudo ` +
                      `(a sudoers rule like "${target.user} ALL=(root) NOPASSWD: ALL")`,
                  ),
                );
              } else resolve(result);
            });
            stream.end(shipped.stdin);
          };
          try {
            client.exec(remote, onChannel);
          } catch (err) {
            closed = true;
            reject(new SshError('disconnected', node, `${where}: the connection is closed`, { cause: err }));
          }
        });
      },
    };
  }
}

/** HH:MM:SS of a time, local to the machine podnet runs on. */
function clockTime(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}

/** `12 s`, `1.5 s`: a duration as a person reads it. */
function seconds(ms: number): string {
  const s = ms / 1000;
  return `${s >= 10 ? Math.round(s) : Math.round(s * 10) / 10} s`;
}
