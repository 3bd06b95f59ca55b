// The floor for `npm run bench`: a bare ssh2 fan-out — connect to every node at once, run `true` on
// each, close. A process of its own, like the podnet CLI it is compared with, and it loads nothing
// but Node's own modules and ssh2: no YAML, no schema, no podnet code. The harness (bench.ts) hands
// it everything as one JSON argument:
//
//   node dist/bench/fan-out.js '{"hosts":["192.168.1.11",…],"port":22,"user":"root",
//     "identityFile":"/…/id_ed25519","knownHostsFile":"/…/known_hosts","proxyCommand":"… %h %p"}'
//
// The same key and ProxyCommand (run by /bin/sh, %h and %p expanded) as podnet, and the host key
// checked against the known_hosts file's plain `host` / `[host]:port` entries (what the lab writes).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Duplex } from 'node:stream';
import ssh2 from 'ssh2';

interface Targets {
  hosts: string[];
  port?: number;
  user?: string;
  identityFile: string;
  knownHostsFile?: string;
  proxyCommand?: string;
}

const arg = process.argv[2];
if (arg === undefined) throw new Error('usage: fan-out.js \'{"hosts":[…],"identityFile":…,"user":…,"port":…,"knownHostsFile":…,"proxyCommand":…}\'');
const targets = JSON.parse(arg) as Targets;
const port = targets.port ?? 22;
const privateKey = readFileSync(targets.identityFile);
const knownHosts = targets.knownHostsFile === undefined ? [] : readFileSync(targets.knownHostsFile, 'utf8').split('\n').map((l) => l.trim().split(/\s+/));

function hostKeyKnown(host: string, key: Buffer): boolean {
  const name = port === 22 ? host : `[${host}]:${port}`;
  return knownHosts.some(([hosts, , base64]) => base64 !== undefined && hosts?.split(',').includes(name) && Buffer.from(base64, 'base64').equals(key));
}

function run(host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    const config: ssh2.ConnectConfig = {
      host,
      port,
      username: targets.user ?? 'root',
      privateKey,
      ...(targets.knownHostsFile !== undefined ? { hostVerifier: (key: Buffer) => hostKeyKnown(host, key) } : {}),
    };
    if (targets.proxyCommand !== undefined) {
      const command = targets.proxyCommand.replaceAll('%h', host).replaceAll('%p', String(port));
      const proxy = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'inherit'] });
      config.sock = Duplex.from({ readable: proxy.stdout, writable: proxy.stdin });
      client.on('close', () => proxy.kill());
    }
    client
      .on('ready', () =>
        client.exec('true', (err, stream) => {
          if (err) return reject(err);
          stream.on('exit', (code: number) => (code === 0 ? resolve() : reject(new Error(`${host}: exit ${code}`)))).on('close', () => client.end());
          stream.resume();
          stream.stderr.resume();
        }),
      )
      .on('error', reject)
      .connect(config);
  });
}

await Promise.all(targets.hosts.map(run));
