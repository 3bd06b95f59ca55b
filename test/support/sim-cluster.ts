// A simulated cluster behind the FakeTransport: each host keeps a small model of what podnet
// manages (its podnet routes, bridge addresses, ip_forward, files), every exec runs the `ip -batch`
// lines and file installs it carries on that model, and answers with the gather output of the model.
// Every route and address made or deleted goes into one timeline across all hosts, so tests can
// check the order of makes and breaks cluster-wide. Confirm commands are confirmed.
import type { Cluster } from '../../src/model/types.js';
import { SECTION_PREFIX } from '../../src/scripts/sections.js';
import { SshError } from '../../src/run/ssh/errors.js';
import { FakeTransport, type FakeReply } from './fake-transport.js';
import { desiredFilesOn, type FakeFile } from './gather-output.js';
import { iptablesFixture } from './iptables-fixtures.js';

export interface SimHost {
  name: string;
  address: string;
  /** podnet routes: destination → gateway. */
  routes: Map<string, string>;
  /** Addresses on the bridge, `10.244.1.1/24`. */
  bridge: string[];
  files: Map<string, FakeFile>;
  /** Every apply exec on this host fails at its first step group. */
  failApply?: boolean;
  /** Unreachable from the start. */
  down?: boolean;
}

export interface TimelineEntry {
  host: string;
  /** `route replace 10.244.20.0/24 via 192.168.1.12 proto 201`, `address del 10.244.2.1/24 dev v-net-0` … */
  line: string;
  kind: 'make' | 'break' | 'other';
}

function networkOf(address: string): string {
  const [ip, prefix] = address.split('/');
  const octets = (ip ?? '').split('.').map(Number);
  const bits = Number(prefix);
  const value = ((octets[0]! << 24) >>> 0) + (octets[1]! << 16) + (octets[2]! << 8) + octets[3]!;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const base = (value & mask) >>> 0;
  return `${[base >>> 24, (base >>> 16) & 255, (base >>> 8) & 255, base & 255].join('.')}/${bits}`;
}

export class SimCluster {
  readonly hosts = new Map<string, SimHost>();
  readonly timeline: TimelineEntry[] = [];
  /** Apply execs per host (the execs that carried steps). */
  readonly applies = new Map<string, number>();

  /** Every host converged as `before` wants it; files as `after` wants them once rewritten. */
  constructor(
    before: Cluster,
    private readonly after: Cluster,
  ) {
    for (const node of before.nodes) {
      const routes = new Map<string, string>();
      for (const peer of before.nodes) if (peer.name !== node.name) routes.set(peer.subnet ?? '', peer.address);
      const files = new Map(desiredFilesOn(before, node.name).map((f) => [f.path, f]));
      const gateway = (node.subnet ?? '').replace(/0\/(\d+)$/, '1/$1');
      this.hosts.set(node.name, { name: node.name, address: node.address, routes, bridge: [gateway], files });
    }
    for (const node of after.nodes) {
      if (!this.hosts.has(node.name)) this.hosts.set(node.name, { name: node.name, address: node.address, routes: new Map(), bridge: [], files: new Map() });
    }
  }

  host(name: string): SimHost {
    const host = this.hosts.get(name);
    if (host === undefined) throw new Error(`no simulated host ${name}`);
    return host;
  }

  /** The transport that talks to the simulated hosts. */
  transport(): FakeTransport {
    const fake = new FakeTransport();
    for (const name of this.hosts.keys()) {
      const host = this.host(name);
      if (host.down === true) fake.on(name, { connectError: new SshError('refused', name, `${name}: connection refused`) });
      else fake.on(name, { replies: (command) => this.exec(name, command) });
    }
    return fake;
  }

  private exec(name: string, command: string): FakeReply {
    const host = this.host(name);
    if (/mkdir \/run\/podnet\/apply\/rollback\/[a-z0-9]+\/running 2>\/dev\/null; then/.test(command) && !command.includes('ip -batch')) {
      return { result: { code: 0, stdout: `${SECTION_PREFIX} confirmed\n`, stderr: '' } };
    }
    if (command.includes("echo '@@podnet reach'")) return { result: { code: 0, stdout: this.reach(host, command), stderr: '' } };
    // The rollback script written by the confirm preamble is not run: cut it out.
    const steps = command.replace(/<<'PODNET_ROLLBACK_END'[\s\S]*?\nPODNET_ROLLBACK_END\n/, '');
    let stdout = '';
    if (steps.includes("ip -batch - <<'PODNET_BATCH_END'") || steps.includes('mv -f ')) {
      this.applies.set(name, (this.applies.get(name) ?? 0) + 1);
      if (host.failApply === true) {
        return { result: { code: 0, stdout: `${SECTION_PREFIX} failed-group 0\n${this.gather(host)}`, stderr: 'RTNETLINK answers: Network is unreachable\nCommand failed -:1' } };
      }
      for (const batch of steps.matchAll(/ip -batch - <<'PODNET_BATCH_END'\n([\s\S]*?)\nPODNET_BATCH_END\n/g)) {
        for (const line of (batch[1] ?? '').split('\n')) this.run(host, line);
      }
      for (const mv of steps.matchAll(/mv -f \S+ (\S+);/g)) {
        const path = mv[1] ?? '';
        const file = desiredFilesOn(this.after, name).find((f) => f.path === path);
        if (file !== undefined) host.files.set(path, file);
      }
      if (steps.includes('/proc/sys/net/ipv4/ip_forward')) this.timeline.push({ host: name, line: 'ip_forward', kind: 'other' });
    }
    stdout += this.gather(host);
    return { result: { code: 0, stdout, stderr: '' } };
  }

  private run(host: SimHost, line: string): void {
    const words = line.trim().split(/\s+/);
    let kind: TimelineEntry['kind'] = 'other';
    if (words[0] === 'route' && words[1] === 'replace') {
      host.routes.set(words[2] ?? '', words[4] ?? '');
      kind = 'make';
    } else if (words[0] === 'route' && words[1] === 'del') {
      host.routes.delete(words[2] ?? '');
      kind = 'break';
    } else if (words[0] === 'address' && words[1] === 'add') {
      host.bridge.push(words[2] ?? '');
      kind = 'make';
    } else if (words[0] === 'address' && words[1] === 'del') {
      host.bridge = host.bridge.filter((a) => a !== words[2]);
      kind = 'break';
    }
    this.timeline.push({ host: host.name, line: line.trim(), kind });
  }

  /** Hosts that have no `ping`. */
  readonly noPing = new Set<string>();
  /** Pings between these pod gateways (`from>to`) are lost, whatever the routes say. */
  readonly cut = new Set<string>();

  /** The reach check (src/scripts/reach-script.ts): a peer answers when the routes go both ways. */
  private reach(host: SimHost, command: string): string {
    if (this.noPing.has(host.name)) return `${SECTION_PREFIX} reach-no-ping\n`;
    const source = /-I (\S+) /.exec(command)?.[1] ?? '';
    const targets = (/for t in ([^;]*); do/.exec(command)?.[1] ?? '').split(' ');
    const holder = (address: string): SimHost | undefined => [...this.hosts.values()].find((h) => h.bridge.some((a) => a.startsWith(`${address}/`)));
    const routes = (from: SimHost, to: string): boolean => {
      const bridge = holder(to)?.bridge.find((a) => a.startsWith(`${to}/`));
      return bridge !== undefined && (from.bridge.includes(bridge) || from.routes.has(networkOf(bridge)));
    };
    const lines = targets.map((t) => {
      const peer = holder(t);
      const ok = peer !== undefined && routes(host, t) && routes(peer, source) && !this.cut.has(`${host.name}>${peer.name}`);
      return `${ok ? 'ok' : 'fail'} ${t}`;
    });
    return `${SECTION_PREFIX} reach\n${lines.join('\n')}\n`;
  }

  /** The gather output of the host's model. */
  gather(host: SimHost): string {
    const addr = (local: string, prefixlen: number, label: string): object => ({ family: 'inet', local, prefixlen, scope: 'global', label });
    const links = [
      { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], mtu: 65536, operstate: 'UNKNOWN', link_type: 'loopback', addr_info: [addr('127.0.0.1', 8, 'lo')] },
      { ifindex: 2, ifname: 'eth0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, operstate: 'UP', link_type: 'ether', linkinfo: { info_kind: 'veth' }, addr_info: [addr(host.address, 24, 'eth0')] },
      {
        ifindex: 3,
        ifname: 'v-net-0',
        flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
        mtu: 1500,
        operstate: 'UP',
        link_type: 'ether',
        linkinfo: { info_kind: 'bridge', info_data: { stp_state: 0 } },
        ifalias: 'podnet',
        addr_info: host.bridge.map((a) => addr(a.split('/')[0] ?? '', Number(a.split('/')[1]), 'v-net-0')),
      },
    ];
    const routes: object[] = [{ dst: '192.168.1.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: host.address, flags: [] }];
    for (const a of host.bridge) routes.push({ dst: networkOf(a), dev: 'v-net-0', protocol: 'kernel', scope: 'link', prefsrc: a.split('/')[0], flags: [] });
    for (const [dst, gateway] of host.routes) routes.push({ dst, gateway, dev: 'eth0', protocol: '201', flags: [] });
    const files = [...host.files.values()];
    const sections: [string, string][] = [
      ['ip', [JSON.stringify(links), JSON.stringify(routes)].join('\n')],
      ['ip_forward', '1'],
      ['ssh_connection', `192.168.1.1 50000 ${host.address} 22`],
      ['iptables', iptablesFixture('forward-converged')],
      ['rp_filter', 'all 0\ndefault 0\neth0 0'],
      ['network_managers', ''],
      ['files', files.map((f) => f.path).join('\n')],
      ['files_sha256', files.map((f) => `${f.sha256}  ${f.path}`).join('\n')],
      ['files_stat', files.map((f, i) => `${f.mode} ${1000 + i} 100 1796300000.000000001 ${f.path}`).join('\n')],
      ['files_podnet', files.map((f) => f.path).join('\n')],
    ];
    return sections.map(([n, body]) => `${SECTION_PREFIX} ${n}\n${body}\n`).join('') + `${SECTION_PREFIX} end\n`;
  }

  /** Index of the last make and the first break in the timeline (-1 when none). */
  order(): { lastMake: number; firstBreak: number } {
    let lastMake = -1;
    let firstBreak = -1;
    this.timeline.forEach((e, i) => {
      if (e.kind === 'make') lastMake = i;
      if (e.kind === 'break' && firstBreak < 0) firstBreak = i;
    });
    return { lastMake, firstBreak };
  }
}
