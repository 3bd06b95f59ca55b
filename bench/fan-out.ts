// The floor for `npm run bench`: a bare ssh2 fan-out — read the cluster file, connect to every node at
// once, run one trivial exec on each, close. A process of its own, like the podnet CLI it is compared
// with, and none of podnet's code: only yaml and ssh2, with the cluster's top-level `ssh:` settings
// (user, port, identityFile, proxyCommand with %h and %p) and the host key checked against the
// known_hosts file's plain `host` / `[host]:port` entries (what the lab writes).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Duplex } from 'node:stream';
import { Client, type ConnectConfig } from 'ssh2';
import { parse } from 'yaml';

interface SshSettings {
  user?: string;
  port?: number;
  identityFile?: string;
  knownHostsFile?: string;
  proxyCommand?: string;
}

const file = process.argv[2];
if (!file) throw new Error('usage: fan-out.js CLUSTER_FILE');
const cluster = parse(readFileSync(file, 'utf8')) as { ssh?: SshSettings; nodes: { name: string; address: string }[] };
const ssh = cluster.ssh ?? {};
const port = ssh.port ?? 22;
const privateKey = readFileSync(ssh.identityFile ?? `${process.env.HOME}/.ssh/id_ed25519`);
const knownHosts = ssh.knownHostsFile === undefined ? [] : readFileSync(ssh.knownHostsFile, 'utf8').split('\n').map((l) => l.trim().split(/\s+/));

function hostKeyKnown(host: string, key: Buffer): boolean {
  const name = port === 22 ? host : `[${host}]:${port}`;
  return knownHosts.some(([hosts, , base64]) => base64 !== undefined && hosts?.split(',').includes(name) && Buffer.from(base64, 'base64').equals(key));
}

function exec(node: { name: string; address: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    const config: ConnectConfig = {
      host: node.address,
      port,
      username: ssh.user ?? 'root',
      privateKey,
      ...(ssh.knownHostsFile !== undefined ? { hostVerifier: (key: Buffer) => hostKeyKnown(node.address, key) } : {}),
    };
    if (ssh.proxyCommand !== undefined) {
      const proxy = spawn('sh', ['-c', ssh.proxyCommand.replaceAll('%h', node.address).replaceAll('%p', String(port))], { stdio: ['pipe', 'pipe', 'inherit'] });
      config.sock = Duplex.from({ readable: proxy.stdout, writable: proxy.stdin });
      client.on('close', () => proxy.kill());
    }
    client
      .on('ready', () =>
        client.exec('true', (err, stream) => {
          if (err) return reject(err);
          stream.on('exit', (code: number) => (code === 0 ? resolve() : reject(new Error(`${node.name}: exit ${code}`)))).on('close', () => client.end());
          stream.resume();
          stream.stderr.resume();
        }),
      )
      .on('error', reject)
      .connect(config);
  });
}

await Promise.all(cluster.nodes.map(exec));
