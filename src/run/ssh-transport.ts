// The SSH transport: one ssh2 connection per node per run, opened on first use and shared by
// gather, apply and the convergence re-gathers (credentials, known_hosts and become live in ssh/).
import type { NodeSpec } from '../model/types.js';
import { ConnectReads, connectNode, type NodeConnection, type RecordedHostKey } from './ssh/connect.js';
import type { Transport } from './transport.js';

export interface SshTransportOptions {
  acceptNewHosts: boolean;
  /** Overrides every node's ssh.execTimeout (the --exec-timeout flag). */
  execTimeoutMs?: number;
  onDebug?: (node: string, line: string) => void;
  /** Each host key recorded with acceptNewHosts, as it is written. */
  onHostKeyRecorded?: (node: string, recorded: RecordedHostKey) => void;
}

export class SshTransport implements Transport {
  private readonly connections = new Map<string, Promise<NodeConnection>>();
  /** The identity and known_hosts files, read once for all the run's connections. */
  private readonly reads = new ConnectReads();

  constructor(private readonly options: SshTransportOptions) {}

  connect(node: NodeSpec): Promise<NodeConnection> {
    const existing = this.connections.get(node.name);
    if (existing) return existing;
    const { onDebug, onHostKeyRecorded } = this.options;
    const { execTimeoutMs } = this.options;
    const connection = connectNode(execTimeoutMs !== undefined ? { ...node.ssh, execTimeoutMs } : node.ssh, {
      nodeName: node.name,
      acceptNewHosts: this.options.acceptNewHosts,
      reads: this.reads,
      ...(onDebug ? { onDebug: (line: string) => onDebug(node.name, line) } : {}),
      ...(onHostKeyRecorded ? { onHostKeyRecorded: (recorded: RecordedHostKey) => onHostKeyRecorded(node.name, recorded) } : {}),
    });
    // A failed connect is remembered too: the run reports the node unreachable once.
    connection.catch(() => undefined);
    this.connections.set(node.name, connection);
    return connection;
  }

  async connectFresh(node: NodeSpec): Promise<NodeConnection> {
    const old = this.connections.get(node.name);
    this.connections.delete(node.name);
    (await old?.catch(() => undefined))?.close();
    return this.connect(node);
  }

  /** Execs sent per node so far (the converged run sends exactly one). */
  async execCounts(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const [name, connection] of this.connections) {
      const c = await connection.catch(() => undefined);
      if (c) counts.set(name, c.execCount);
    }
    return counts;
  }

  async close(): Promise<void> {
    for (const connection of this.connections.values()) {
      const c = await connection.catch(() => undefined);
      c?.close();
    }
    this.connections.clear();
  }
}
