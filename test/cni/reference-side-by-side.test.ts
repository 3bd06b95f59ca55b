// podnet's plugin side by side with the reference plugins (Debian containernetworking-plugins:
// /usr/lib/cni/bridge + host-local) on the same kind of config: a bridge holding the gateway
// address, pods with a default route through it. Same kinds of objects on the node and in the pod,
// a result JSON of the same shape, and one address store both can share. Needs root and the
// package (apt-get install -y --no-install-recommends containernetworking-plugins).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { CniLab, ip, pluginConfig, type PluginRun } from './cni-harness.js';
import { needs } from '../support/needs.js';

const requirement = needs('root', 'netns');

const NET = 'podnet';
const BRIDGE = 'v-net-0';
const GATEWAY = '10.244.1.1';
const MTU = 1400;
const REFERENCE_BRIDGE = '/usr/lib/cni/bridge';

/** The shape of a JSON value: objects keep their keys (sorted), arrays the shape of each element. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, shapeOf((value as Record<string, unknown>)[k])]));
  }
  return value === null ? 'null' : typeof value;
}

interface PodView {
  /** The node end: kind, master, up, MTU. */
  nodePort: { kind: string; master: string; up: boolean; mtu: number };
  /** The pod end: name, kind, MTU, up, prefix length, address inside the subnet, default route. */
  podIf: { name: string; kind: string; mtu: number; up: boolean; prefixlen: number; inSubnet: boolean };
  defaultRoute: Array<[unknown, unknown, unknown]>;
}

function viewOf(lab: CniLab, node: string, podNs: string, hostIf: string): PodView {
  const host = lab.links(node).find((l) => l.ifname === hostIf);
  assert.ok(host, `node port ${hostIf} exists`);
  const eth0 = lab.links(podNs).find((l) => l.ifname === 'eth0');
  assert.ok(eth0, 'pod interface eth0 exists');
  const addrs = JSON.parse(ip('-n', podNs, '-j', '-4', 'address', 'show', 'dev', 'eth0')) as Array<{
    addr_info: Array<{ local: string; prefixlen: number }>;
  }>;
  const a = addrs[0]!.addr_info[0]!;
  const routes = JSON.parse(ip('-n', podNs, '-j', '-4', 'route', 'show', 'default')) as Array<Record<string, unknown>>;
  return {
    nodePort: {
      kind: (host.linkinfo as { info_kind: string }).info_kind,
      master: String(host.master),
      up: (host.flags as string[]).includes('UP'),
      mtu: Number(host.mtu),
    },
    podIf: {
      name: String(eth0.ifname),
      kind: (eth0.linkinfo as { info_kind: string }).info_kind,
      mtu: Number(eth0.mtu),
      up: (eth0.flags as string[]).includes('UP'),
      prefixlen: a.prefixlen,
      inSubnet: a.local.startsWith('10.244.1.') && a.local !== GATEWAY,
    },
    defaultRoute: routes.map((r) => [r.dst, r.gateway, r.dev]),
  };
}

describe('podnet plugin side by side with bridge + host-local', { skip: requirement }, () => {
  let lab: CniLab;

  before(() => {
    assert.ok(existsSync(REFERENCE_BRIDGE), 'reference plugins missing: apt-get install -y --no-install-recommends containernetworking-plugins');
    lab = new CniLab();
  });
  after(() => lab?.cleanup());

  it('builds the same objects, answers with the same result shape, and shares the host-local store', async () => {
    const podnetNode = lab.addNode('pnode', BRIDGE, `${GATEWAY}/24`);
    const refNode = lab.addNode('rnode', BRIDGE, `${GATEWAY}/24`);
    const plugin = ['sh', lab.writePlugin({ networkName: NET, bridge: BRIDGE, subnet: '10.244.1.0/24', gateway: GATEWAY, mtu: MTU })];
    // The reference config of the same kind: bridge with the gateway address, default route via it,
    // host-local over the same subnet and the same data dir (so both use one store).
    const refConfig = JSON.stringify({
      cniVersion: '1.0.0',
      name: NET,
      type: 'bridge',
      bridge: BRIDGE,
      isDefaultGateway: true,
      mtu: MTU,
      ipam: { type: 'host-local', subnet: '10.244.1.0/24', gateway: GATEWAY, dataDir: lab.dataDir },
    });
    const refA = { ns: lab.addNamespace('ra'), id: 'refpoda' };
    const ours = { ns: lab.addNamespace('pb'), id: 'podnetpodb' };
    const refC = { ns: lab.addNamespace('rc'), id: 'refpodc' };
    const runRef = (command: string, pod: { ns: string; id: string }): Promise<PluginRun> =>
      lab.run(refNode, [REFERENCE_BRIDGE], { command, containerId: pod.id, netns: pod.ns, ifname: 'eth0', config: refConfig });
    const runOurs = (command: string): Promise<PluginRun> =>
      lab.run(podnetNode, plugin, { command, containerId: ours.id, netns: ours.ns, ifname: 'eth0', config: pluginConfig(NET) });

    const a = await runRef('ADD', refA);
    assert.equal(a.status, 0, a.stdout + a.stderr);
    const b = await runOurs('ADD');
    assert.equal(b.status, 0, b.stdout + b.stderr);
    const c = await runRef('ADD', refC);
    assert.equal(c.status, 0, c.stdout + c.stderr);
    console.log(`# reference bridge+host-local ADD: ${a.ms.toFixed(1)} ms; podnet ADD: ${b.ms.toFixed(1)} ms`);

    // One store, two plugins: each honours the other's allocations and last_reserved_ip.0.
    const address = (r: PluginRun): string => (r.json?.ips as Array<{ address: string }>)[0]!.address;
    assert.deepEqual([address(a), address(b), address(c)], ['10.244.1.2/24', '10.244.1.3/24', '10.244.1.4/24']);
    assert.deepEqual(
      [...lab.allocations(NET)].sort(),
      [['10.244.1.2', 'refpoda\r\neth0'], ['10.244.1.3', 'podnetpodb\r\neth0'], ['10.244.1.4', 'refpodc\r\neth0']],
    );

    // Same result shape: same keys and types at every level. The reference also lists the bridge
    // as interfaces[0] (so its ips[].interface is 2, ours 1); the remaining entries match one to one.
    const refResult = structuredClone(a.json!) as { interfaces: unknown[]; ips: Array<{ interface: number }> };
    const bridgeEntry = refResult.interfaces.shift() as { name: string };
    assert.equal(bridgeEntry.name, BRIDGE);
    assert.equal(refResult.ips[0]!.interface, 2);
    assert.equal((b.json!.ips as Array<{ interface: number }>)[0]!.interface, 1);
    assert.deepEqual(shapeOf(b.json), shapeOf(refResult));
    assert.deepEqual(b.json!.routes, a.json!.routes);

    // Same kinds of objects on the node and in the pod.
    const hostIfOf = (r: PluginRun, index: number): string => (r.json?.interfaces as Array<{ name: string }>)[index]!.name;
    const refView = viewOf(lab, refNode, refA.ns, hostIfOf(a, 1));
    const ourView = viewOf(lab, podnetNode, ours.ns, hostIfOf(b, 0));
    assert.deepEqual(ourView, refView);
    assert.deepEqual(ourView.nodePort, { kind: 'veth', master: BRIDGE, up: true, mtu: MTU });
    assert.deepEqual(ourView.defaultRoute, [['default', GATEWAY, 'eth0']]);

    // DEL on both sides leaves one clean store.
    for (const r of [await runRef('DEL', refA), await runOurs('DEL'), await runRef('DEL', refC)]) {
      assert.equal(r.status, 0, r.stdout + r.stderr);
    }
    assert.deepEqual(lab.storeFiles(NET), ['last_reserved_ip.0', 'lock']);
  });
});
