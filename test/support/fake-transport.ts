// A Transport for unit tests: replies scripted per host (a connect failure, exec results or thrown
// errors, delays), every command recorded, and the number of execs running at once measured.
import type { NodeSpec } from '../../src/model/types.js';
import type { Connection, ExecOptions, ExecResult, Transport } from '../../src/run/transport.js';

/** One scripted answer to an exec: a result, or an error thrown; after `delayMs`. */
export type FakeReply = { delayMs?: number } & ({ result: ExecResult } | { throws: unknown });

/** A reply computed from the command (and how many execs the host had before it). */
export type FakeResponder = (command: string, index: number) => FakeReply;

export interface FakeHost {
  /** Thrown by connect (after connectDelayMs); the host is then never exec'd. */
  connectError?: unknown;
  connectDelayMs?: number;
  /** Replies in order; the last one answers every later exec. A function answers every exec. */
  replies?: FakeReply[] | FakeResponder;
}

export interface SentCommand {
  host: string;
  command: string;
  stdin?: string;
}

export function ok(stdout: string, stderr = ''): FakeReply {
  return { result: { code: 0, stdout, stderr } };
}

export function exit(code: number, stderr: string, stdout = ''): FakeReply {
  return { result: { code, stdout, stderr } };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class FakeTransport implements Transport {
  readonly sent: SentCommand[] = [];
  readonly connects: string[] = [];
  /** The most execs that were running at the same time. */
  maxConcurrent = 0;
  closed = 0;
  private running = 0;
  private readonly hosts = new Map<string, FakeHost>();
  private readonly connections = new Map<string, Promise<Connection>>();

  constructor(hosts: Record<string, FakeHost> = {}) {
    for (const [name, host] of Object.entries(hosts)) this.hosts.set(name, host);
  }

  /** Script (or re-script) a host. */
  on(host: string, script: FakeHost): this {
    this.hosts.set(host, script);
    return this;
  }

  /** The commands sent to one host, in order. */
  commandsTo(host: string): string[] {
    return this.sent.filter((s) => s.host === host).map((s) => s.command);
  }

  connect(node: NodeSpec): Promise<Connection> {
    const existing = this.connections.get(node.name);
    if (existing) return existing;
    this.connects.push(node.name);
    const script = this.hosts.get(node.name);
    const connection = (async (): Promise<Connection> => {
      if (script?.connectDelayMs) await sleep(script.connectDelayMs);
      if (script === undefined) throw new Error(`FakeTransport: no script for host ${node.name}`);
      if (script.connectError !== undefined) throw script.connectError;
      return { exec: (command, options) => this.exec(node.name, script, command, options) };
    })();
    connection.catch(() => undefined);
    this.connections.set(node.name, connection);
    return connection;
  }

  /** A new connection: the cached one is dropped (connects records it again). */
  connectFresh(node: NodeSpec): Promise<Connection> {
    this.connections.delete(node.name);
    return this.connect(node);
  }

  private async exec(host: string, script: FakeHost, command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const index = this.sent.filter((s) => s.host === host).length;
    this.sent.push({ host, command, ...(options.stdin !== undefined ? { stdin: options.stdin } : {}) });
    const replies = script.replies ?? [];
    const reply = typeof replies === 'function' ? replies(command, index) : replies[Math.min(index, replies.length - 1)];
    if (reply === undefined) throw new Error(`FakeTransport: no reply scripted for ${host}`);
    this.running++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.running);
    try {
      // Always yield, so that execs of different hosts overlap as they would on a network.
      await sleep(reply.delayMs ?? 0);
      if ('throws' in reply) throw reply.throws;
      return reply.result;
    } finally {
      this.running--;
    }
  }

  execCounts(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const s of this.sent) counts.set(s.host, (counts.get(s.host) ?? 0) + 1);
    return Promise.resolve(counts);
  }

  close(): Promise<void> {
    this.closed++;
    this.connections.clear();
    return Promise.resolve();
  }
}
