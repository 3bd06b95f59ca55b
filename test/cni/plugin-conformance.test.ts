// Conformance of the rendered podnet CNI plugin, one test per rule of issue 4 §1: the plugin runs
// in a node namespace (bridge v-net-0 + gateway address) with the CNI environment and its config on
// stdin, against pod namespaces; its store is a temp dir. Needs root.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderPlugin } from '../../src/cni/render-plugin.js';
import { CniLab, ip, ipOk, pluginConfig, type CniCall, type PluginRun } from './cni-harness.js';
import { needs } from '../support/needs.js';

const requirement = needs('root', 'netns');

const NET = 'podnet';
const BRIDGE = 'v-net-0';
const SUBNET = '10.244.1.0/24';
const GATEWAY = '10.244.1.1';
const MTU = 1400;

describe('podnet CNI plugin: conformance', { skip: requirement }, () => {
  let lab: CniLab;
  let node: string;
  let plugin: string[];
  let podCount = 0;

  const call = (c: CniCall): Promise<PluginRun> => lab.run(node, plugin, c);
  const newPod = (): { ns: string; id: string } => {
    podCount += 1;
    return { ns: lab.addNamespace(`p${podCount}`), id: `ctr${podCount}${lab.prefix.slice(6)}` };
  };
  const add = (pod: { ns: string; id: string }, version = '1.0.0', ifname = 'eth0'): Promise<PluginRun> =>
    call({ command: 'ADD', containerId: pod.id, netns: pod.ns, ifname, config: pluginConfig(NET, version) });
  const del = (pod: { ns: string; id: string }, ifname = 'eth0'): Promise<PluginRun> =>
    call({ command: 'DEL', containerId: pod.id, netns: pod.ns, ifname, config: pluginConfig(NET) });
  /** Links named pn… on the node. */
  const hostVeths = (n = node): string[] =>
    lab.links(n).map((l) => String(l.ifname)).filter((name) => name.startsWith('pn'));
  const allocationsOf = (id: string): string[] =>
    [...lab.allocations(NET)].filter(([, content]) => content.startsWith(`${id}\r\n`)).map(([address]) => address);

  before(() => {
    lab = new CniLab();
    node = lab.addNode('node', BRIDGE, `${GATEWAY}/24`);
    plugin = ['sh', lab.writePlugin({ networkName: NET, bridge: BRIDGE, subnet: SUBNET, gateway: GATEWAY, mtu: MTU })];
  });
  after(() => lab?.cleanup());

  it('VERSION lists the versions it supports', async () => {
    const r = await call({ command: 'VERSION', config: '{"cniVersion":"1.0.0"}' });
    assert.equal(r.status, 0);
    assert.deepEqual(r.json, { cniVersion: '1.1.0', supportedVersions: ['0.4.0', '1.0.0', '1.1.0'] });
  });

  it('ADD wires the pod: veth on the bridge, address, MTU, default route, lo up, and says so', async () => {
    const pod = newPod();
    const r = await add(pod);
    console.log(`# one ADD took ${r.ms.toFixed(1)} ms (ip netns exec + sh plugin)`);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const result = r.json as {
      cniVersion: string;
      interfaces: Array<{ name: string; mac: string; sandbox?: string }>;
      ips: Array<{ address: string; gateway: string; interface: number }>;
      routes: Array<{ dst: string; gw: string }>;
      dns: object;
    };
    assert.equal(result.cniVersion, '1.0.0');
    const [hostIf, podIf] = result.interfaces;
    assert.ok(hostIf && podIf);
    assert.match(hostIf.name, /^pn[0-9a-f]{8}$/);
    assert.equal(podIf.name, 'eth0');
    assert.equal(podIf.sandbox, `/run/netns/${pod.ns}`);
    assert.equal(hostIf.sandbox, undefined);
    assert.equal(result.ips.length, 1);
    const address = result.ips[0]!.address;
    assert.match(address, /^10\.244\.1\.\d+\/24$/);
    assert.deepEqual(result.ips[0], { address, gateway: GATEWAY, interface: 1 });
    assert.deepEqual(result.routes, [{ dst: '0.0.0.0/0', gw: GATEWAY }]);
    assert.deepEqual(result.dns, {});

    const host = lab.links(node).find((l) => l.ifname === hostIf.name);
    assert.ok(host, 'host veth exists on the node');
    assert.equal(host.master, BRIDGE);
    assert.equal(host.mtu, MTU);
    assert.equal(host.address, hostIf.mac);
    assert.ok((host.flags as string[]).includes('UP'));
    assert.equal(host.ifalias, `podnet ${pod.id} eth0`);
    assert.equal((host.linkinfo as { info_kind: string }).info_kind, 'veth');

    const podLinks = lab.links(pod.ns);
    const eth0 = podLinks.find((l) => l.ifname === 'eth0');
    assert.ok(eth0);
    assert.equal(eth0.mtu, MTU);
    assert.equal(eth0.address, podIf.mac);
    assert.ok((eth0.flags as string[]).includes('UP'));
    assert.ok((podLinks.find((l) => l.ifname === 'lo')!.flags as string[]).includes('UP'));
    const addrs = JSON.parse(ip('-n', pod.ns, '-j', '-4', 'address', 'show', 'dev', 'eth0')) as Array<{
      addr_info: Array<{ local: string; prefixlen: number }>;
    }>;
    assert.deepEqual(addrs[0]!.addr_info.map((a) => `${a.local}/${a.prefixlen}`), [address]);
    const routes = JSON.parse(ip('-n', pod.ns, '-j', '-4', 'route', 'show', 'default')) as Array<Record<string, unknown>>;
    assert.deepEqual(routes.map((x) => [x.dst, x.gateway, x.dev]), [['default', GATEWAY, 'eth0']]);


    // host-local's layout: one file named after the address holding "<id>\r\n<ifname>".
    const bare = address.split('/')[0]!;
    assert.equal(lab.allocations(NET).get(bare), `${pod.id}\r\neth0`);
    assert.equal(readFileSync(join(lab.storeDir(NET), 'last_reserved_ip.0'), 'utf8'), bare);
    assert.ok(lab.storeFiles(NET).includes('lock'));
    assert.equal((await del(pod)).status, 0);
  });

  it('ADD echoes the requested cniVersion (0.4.0 results carry ips[].version, 1.1.0 does not)', async () => {
    const old = newPod();
    const r04 = await add(old, '0.4.0');
    assert.equal(r04.status, 0, r04.stdout);
    assert.equal(r04.json?.cniVersion, '0.4.0');
    assert.equal((r04.json?.ips as Array<{ version: string }>)[0]!.version, '4');
    const recent = newPod();
    const r11 = await add(recent, '1.1.0');
    assert.equal(r11.json?.cniVersion, '1.1.0');
    assert.equal((r11.json?.ips as Array<{ version?: string }>)[0]!.version, undefined);
    const bad = await add(newPod(), '0.2.0');
    assert.equal(bad.json?.code, 1);
    assert.equal(bad.status !== 0, true);
    await del(old);
    await del(recent);
  });

  it('ADD accepts a /proc/PID/ns/net path as CNI_NETNS', async () => {
    const pod = newPod();
    const holder = spawn('ip', ['netns', 'exec', pod.ns, 'sleep', '60'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const netns = `/proc/${holder.pid}/ns/net`;
      const r = await call({ command: 'ADD', containerId: pod.id, netns, ifname: 'eth0', config: pluginConfig(NET) });
      assert.equal(r.status, 0, r.stdout);
      assert.equal((r.json?.interfaces as Array<{ sandbox?: string }>)[1]!.sandbox, netns);
      assert.ok(ipOk('-n', pod.ns, 'link', 'show', 'dev', 'eth0'));
      const c = await call({ command: 'DEL', containerId: pod.id, netns, ifname: 'eth0', config: pluginConfig(NET) });
      assert.equal(c.status, 0);
      assert.equal(ipOk('-n', pod.ns, 'link', 'show', 'dev', 'eth0'), false);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('a second ADD for the same container and ifname is an error, never a second address', async () => {
    const pod = newPod();
    assert.equal((await add(pod)).status, 0);
    const again = await add(pod);
    assert.notEqual(again.status, 0);
    assert.equal(again.json?.code, 101);
    assert.match(String(again.json?.msg), /already has address/);
    assert.equal(allocationsOf(pod.id).length, 1);
    // A second ifname on the same network would need a second default route: refused and undone.
    const veths = hostVeths();
    const second = await add(pod, '1.0.0', 'net1');
    assert.equal(second.json?.code, 100);
    assert.match(String(second.json?.details), /File exists/);
    assert.equal(allocationsOf(pod.id).length, 1);
    assert.deepEqual(hostVeths(), veths);
    assert.equal(ipOk('-n', pod.ns, 'link', 'show', 'dev', 'net1'), false);
    await del(pod);
    assert.equal(allocationsOf(pod.id).length, 0);
  });

  it('ADD into a pod that already has CNI_IFNAME fails and leaves nothing behind', async () => {
    const pod = newPod();
    ip('-n', pod.ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'other0');
    const before = hostVeths();
    const r = await add(pod);
    assert.notEqual(r.status, 0);
    assert.equal(r.json?.code, 101);
    assert.match(String(r.json?.msg), /eth0 already exists/);
    assert.deepEqual(allocationsOf(pod.id), []);
    assert.deepEqual(hostVeths(), before);
    assert.ok(ipOk('-n', pod.ns, 'link', 'show', 'dev', 'eth0'), "the pod's own eth0 is untouched");
  });

  it('ADD with CNI_NETNS pointing at a missing namespace fails (code 3) and leaves nothing behind', async () => {
    const before = hostVeths();
    const r = await call({ command: 'ADD', containerId: 'ghost1', netns: `${lab.prefix}-missing`, ifname: 'eth0', config: pluginConfig(NET) });
    assert.notEqual(r.status, 0);
    assert.equal(r.json?.code, 3);
    assert.deepEqual(allocationsOf('ghost1'), []);
    assert.deepEqual(hostVeths(), before);
  });

  it('ADD failing after the veth exists (no bridge) undoes the veth and the address', async () => {
    const broken = ['sh', lab.writePlugin({ networkName: NET, bridge: 'v-net-9', subnet: SUBNET, gateway: GATEWAY, mtu: MTU }, 'podnet-nobridge')];
    const pod = newPod();
    const before = hostVeths();
    const r = await lab.run(node, broken, { command: 'ADD', containerId: pod.id, netns: pod.ns, ifname: 'eth0', config: pluginConfig(NET) });
    assert.notEqual(r.status, 0);
    assert.equal(r.json?.code, 100);
    assert.match(String(r.json?.msg), /cannot attach pn[0-9a-f]{8} to bridge v-net-9/);
    assert.match(String(r.json?.details), /v-net-9/);
    assert.deepEqual(allocationsOf(pod.id), []);
    assert.deepEqual(hostVeths(), before);
    assert.equal(ipOk('-n', pod.ns, 'link', 'show', 'dev', 'eth0'), false);
  });

  it('ADD interrupted by SIGTERM after reserving its address releases it', async () => {
    // A FIFO as CNI_NETNS: "ip link add … netns FIFO" blocks in open(), right after the reservation.
    const fifo = join(lab.dataDir, '..', 'netns-fifo');
    execFileSync('mkfifo', [fifo]);
    const id = `sigterm${lab.prefix.slice(6)}`;
    const child = spawn('ip', ['netns', 'exec', node, ...plugin], {
      detached: true,
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', CNI_COMMAND: 'ADD', CNI_CONTAINERID: id, CNI_NETNS: fifo, CNI_IFNAME: 'eth0', CNI_PATH: '/usr/lib/cni' },
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdin.end(pluginConfig(NET));
    try {
      for (let k = 0; k < 100 && allocationsOf(id).length === 0; k++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(allocationsOf(id).length, 1, 'the address was reserved');
      await new Promise((r) => setTimeout(r, 200));
      process.kill(-child.pid!, 'SIGTERM');
      const status = await exited;
      assert.notEqual(status, 0);
      const error = JSON.parse(stdout) as { code: number; msg: string };
      assert.equal(error.code, 100);
      assert.match(error.msg, /interrupted/);
      assert.deepEqual(allocationsOf(id), []);
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
  });

  it('allocation goes round from the last reserved address, skipping the gateway', async () => {
    const a = newPod();
    const b = newPod();
    const c = newPod();
    const ra = await add(a);
    const rb = await add(b);
    const last = (r: PluginRun): number => Number((r.json?.ips as Array<{ address: string }>)[0]!.address.split('/')[0]!.split('.')[3]);
    assert.equal(last(rb), last(ra) + 1);
    await del(a);
    const rc = await add(c);
    assert.equal(last(rc), last(rb) + 1, 'the freed address is not handed out again right away');
    assert.notEqual(last(ra), 1);
    await del(b);
    await del(c);
  });

  it("honours host-local's old one-line files (container id only): skipped by ADD, released by DEL", async () => {
    const store = lab.storeDir(NET);
    const last = readFileSync(join(store, 'last_reserved_ip.0'), 'utf8');
    const next = last.replace(/\d+$/, (d) => String(Number(d) + 1));
    writeFileSync(join(store, next), 'legacyctr');
    const pod = newPod();
    const r = await add(pod);
    assert.notEqual((r.json?.ips as Array<{ address: string }>)[0]!.address, `${next}/24`);
    const legacy = await call({ command: 'DEL', containerId: 'legacyctr', ifname: 'eth0', config: pluginConfig(NET) });
    assert.equal(legacy.status, 0, legacy.stdout);
    assert.equal(lab.allocations(NET).has(next), false);
    await del(pod);
  });

  it('DEL twice succeeds with no output, and removes the veth and the allocation', async () => {
    const pod = newPod();
    const r = await add(pod);
    const hostIf = (r.json?.interfaces as Array<{ name: string }>)[0]!.name;
    const first = await del(pod);
    assert.equal(first.status, 0, first.stdout);
    assert.equal(first.stdout, '');
    assert.deepEqual(allocationsOf(pod.id), []);
    assert.equal(ipOk('-n', node, 'link', 'show', 'dev', hostIf), false);
    assert.equal(ipOk('-n', pod.ns, 'link', 'show', 'dev', 'eth0'), false);
    const second = await del(pod);
    assert.equal(second.status, 0, second.stdout);
    assert.equal(second.stdout, '');
  });

  it('an ADD of the same container and ifname right after its DEL gets a fresh veth and address', async () => {
    // DEL answers before ip has returned (the kernel is still freeing the old veth): the ADD that
    // follows at once must neither meet the old veth's name (code 101) nor lose its own veth to the
    // old deletion.
    const pod = newPod();
    for (let round = 0; round < 5; round++) {
      const added = await add(pod);
      assert.equal(added.status, 0, `round ${round}: ${added.stdout}${added.stderr}`);
      const deleted = await del(pod);
      assert.equal(deleted.status, 0, `round ${round}: ${deleted.stdout}${deleted.stderr}`);
      const again = await add(pod);
      assert.equal(again.status, 0, `round ${round}, ADD right after DEL: ${again.stdout}${again.stderr}`);
      const hostIf = (again.json?.interfaces as Array<{ name: string }>)[0]!.name;
      const address = (again.json?.ips as Array<{ address: string }>)[0]!.address;
      // Long enough for the old deletion's ip to have returned.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const nodeEnd = lab.links(node).find((l) => l.ifname === hostIf);
      assert.equal(nodeEnd?.master, BRIDGE, `round ${round}: the new node end ${hostIf} is on the bridge`);
      const podEnd = JSON.parse(ip('-n', pod.ns, '-j', 'address', 'show', 'dev', 'eth0')) as Array<{ addr_info: Array<{ local: string; prefixlen: number }> }>;
      assert.ok(podEnd[0]!.addr_info.some((a) => `${a.local}/${a.prefixlen}` === address), `round ${round}: eth0 carries ${address}`);
      assert.deepEqual(allocationsOf(pod.id), [address.split('/')[0]]);
      const check = await call({ command: 'CHECK', containerId: pod.id, netns: pod.ns, ifname: 'eth0', config: pluginConfig(NET, '1.0.0', { prevResult: again.json }) });
      assert.equal(check.status, 0, `round ${round}: ${check.stdout}`);
      assert.equal((await del(pod)).status, 0);
      assert.deepEqual(hostVeths().filter((name) => name === hostIf), []);
    }
  });

  it('DEL answers once the veth is gone from the node, not when ip returns; a refusal still fails with code 100', async () => {
    // An ip on the plugin's PATH that wraps the real one: WRAP_DELAY sleeps before the deletion
    // (DEL must still not answer while the veth is there), WRAP_LINGER after it (DEL must not wait
    // for that: the kernel's freeing), WRAP_FAIL refuses it (DEL must notice, though ip is a child
    // it never waits for in the normal case).
    const realIp = execFileSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).trim();
    const wrapDir = join(lab.storeDir(NET), '..', 'wrap');
    mkdirSync(wrapDir, { recursive: true });
    writeFileSync(join(wrapDir, 'ip'), `#!/bin/sh
case "$*" in
  "link del dev "*)
    [ -z "$WRAP_DELAY" ] || sleep "$WRAP_DELAY"
    [ -z "$WRAP_FAIL" ] || { echo 'RTNETLINK answers: Operation not permitted' >&2; exit 2; }
    ${realIp} "$@" || exit
    [ -z "$WRAP_LINGER" ] || sleep "$WRAP_LINGER"
    exit 0 ;;
esac
exec ${realIp} "$@"
`, { mode: 0o755 });
    const script = readFileSync(plugin[1]!, 'utf8').replace('PATH="/usr/local/sbin:', `PATH="${wrapDir}:/usr/local/sbin:`);
    assert.notEqual(script, readFileSync(plugin[1]!, 'utf8'));
    const wrapped = join(wrapDir, 'podnet');
    writeFileSync(wrapped, script, { mode: 0o755 });
    const delWith = (pod: { ns: string; id: string }, env: Record<string, string>): Promise<PluginRun> =>
      lab.run(node, ['sh', wrapped], { command: 'DEL', containerId: pod.id, netns: pod.ns, ifname: 'eth0', config: pluginConfig(NET) }, env);
    const hostIfOf = (r: PluginRun): string => (r.json?.interfaces as Array<{ name: string }>)[0]!.name;

    const slow = newPod();
    const slowIf = hostIfOf(await add(slow));
    const afterDelay = await delWith(slow, { WRAP_DELAY: '0.4' });
    assert.equal(afterDelay.status, 0, afterDelay.stdout + afterDelay.stderr);
    assert.equal(ipOk('-n', node, 'link', 'show', 'dev', slowIf), false, 'DEL answered while the veth was still there');
    assert.deepEqual(allocationsOf(slow.id), []);

    const lingering = newPod();
    const lingeringIf = hostIfOf(await add(lingering));
    const quick = await delWith(lingering, { WRAP_LINGER: '3' });
    assert.equal(quick.status, 0, quick.stdout + quick.stderr);
    assert.ok(quick.ms < 2000, `DEL waited for ip to return (${quick.ms.toFixed(0)} ms)`);
    assert.equal(ipOk('-n', node, 'link', 'show', 'dev', lingeringIf), false);
    assert.deepEqual(allocationsOf(lingering.id), []);

    const refused = newPod();
    const added = await add(refused);
    const refusedIf = hostIfOf(added);
    const address = (added.json?.ips as Array<{ address: string }>)[0]!.address.split('/')[0]!;
    const failed = await delWith(refused, { WRAP_FAIL: '1' });
    assert.equal(failed.json?.code, 100, failed.stdout);
    assert.match(String(failed.json?.details), /Operation not permitted/);
    assert.equal(ipOk('-n', node, 'link', 'show', 'dev', refusedIf), true);
    assert.deepEqual(allocationsOf(refused.id), [address]);
    assert.equal((await del(refused)).status, 0);
    assert.equal(ipOk('-n', node, 'link', 'show', 'dev', refusedIf), false);
    assert.deepEqual(allocationsOf(refused.id), []);
  });

  it('DEL releases the address when the netns is already gone, and without CNI_NETNS', async () => {
    const pod = newPod();
    assert.equal((await add(pod)).status, 0);
    lab.deleteNamespace(pod.ns);
    const r = await del(pod);
    assert.equal(r.status, 0, r.stdout);
    assert.deepEqual(allocationsOf(pod.id), []);

    const other = newPod();
    assert.equal((await add(other)).status, 0);
    const noNetns = await call({ command: 'DEL', containerId: other.id, ifname: 'eth0', config: pluginConfig(NET) });
    assert.equal(noNetns.status, 0, noNetns.stdout);
    assert.deepEqual(allocationsOf(other.id), []);
    assert.equal(ipOk('-n', other.ns, 'link', 'show', 'dev', 'eth0'), false);
  });

  it('CHECK passes on an intact pod and fails clearly once its address, route or prevResult differ', async () => {
    const pod = newPod();
    const r = await add(pod);
    const prevResult = r.json!;
    const check = (extra: Record<string, unknown> = { prevResult }): Promise<PluginRun> =>
      call({ command: 'CHECK', containerId: pod.id, netns: pod.ns, ifname: 'eth0', config: pluginConfig(NET, '1.0.0', extra) });
    const ok = await check();
    assert.equal(ok.status, 0, ok.stdout);
    assert.equal(ok.stdout, '');

    const noPrev = await check({});
    assert.equal(noPrev.json?.code, 7);

    const address = (prevResult.ips as Array<{ address: string }>)[0]!.address;
    const otherAddress = address === '10.244.1.200/24' ? '10.244.1.201/24' : '10.244.1.200/24';
    const wrongPrev = await check({ prevResult: { ...prevResult, ips: [{ address: otherAddress, gateway: GATEWAY, interface: 1 }] } });
    assert.equal(wrongPrev.json?.code, 102);
    assert.match(String(wrongPrev.json?.msg), /prevResult does not list the allocated address/);

    ip('-n', pod.ns, 'route', 'del', 'default');
    const noRoute = await check();
    assert.equal(noRoute.json?.code, 102);
    assert.match(String(noRoute.json?.msg), /no default route via 10\.244\.1\.1 dev eth0/);
    ip('-n', pod.ns, 'route', 'add', 'default', 'via', GATEWAY, 'dev', 'eth0');
    assert.equal((await check()).status, 0);

    // The address changed by hand.
    ip('-n', pod.ns, 'address', 'del', address, 'dev', 'eth0');
    ip('-n', pod.ns, 'address', 'add', otherAddress, 'dev', 'eth0');
    const changed = await check();
    assert.notEqual(changed.status, 0);
    assert.equal(changed.json?.code, 102);
    assert.match(String(changed.json?.msg), new RegExp(`does not carry its address ${address.replace(/\./g, '\\.')}`));

    await del(pod);
    const afterDel = await check();
    assert.equal(afterDel.json?.code, 102);
    assert.match(String(afterDel.json?.msg), /no address is allocated/);
  });

  it('missing or invalid environment variables give code 4', async () => {
    const pod = newPod();
    const full: CniCall = { command: 'ADD', containerId: pod.id, netns: pod.ns, ifname: 'eth0', config: pluginConfig(NET) };
    for (const name of ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH']) {
      const r = await call({ ...full, omit: [name] });
      assert.notEqual(r.status, 0);
      assert.equal(r.json?.code, 4, name);
      assert.match(String(r.json?.msg), new RegExp(name));
    }
    for (const name of ['CNI_CONTAINERID', 'CNI_IFNAME']) {
      const r = await call({ ...full, command: 'DEL', omit: [name] });
      assert.equal(r.json?.code, 4, `DEL without ${name}`);
    }
    assert.equal((await call({ ...full, omit: ['CNI_COMMAND'] })).json?.code, 4);
    assert.equal((await call({ ...full, command: 'FROB' })).json?.code, 4);
    assert.equal((await call({ ...full, containerId: 'bad id;rm' })).json?.code, 4);
    assert.equal((await call({ ...full, ifname: 'much-too-long-ifname' })).json?.code, 4);
    assert.equal((await call({ ...full, ifname: '..' })).json?.code, 4);
    assert.deepEqual(allocationsOf(pod.id), []);
  });

  it('a config that is not JSON gives code 6, an invalid one code 7, an unknown version code 1', async () => {
    const pod = newPod();
    const adding = (config: string): Promise<PluginRun> =>
      call({ command: 'ADD', containerId: pod.id, netns: pod.ns, ifname: 'eth0', config });
    for (const config of ['{bad', '', '{"cniVersion":"1.0.0","name":"podnet"} trailing', '{"a":"\\x"}', '{"a":[1,]}']) {
      const r = await adding(config);
      assert.notEqual(r.status, 0);
      assert.equal(r.json?.code, 6, config);
    }
    for (const config of ['[1]', '{"name":"podnet"}', '{"cniVersion":"1.0.0"}', '{"cniVersion":"1.0.0","name":"other"}', '{"cniVersion":"1.0.0","name":7}']) {
      const r = await adding(config);
      assert.equal(r.json?.code, 7, config);
    }
    const unknown = await adding('{"cniVersion":"9.9.9","name":"podnet"}');
    assert.equal(unknown.json?.code, 1);
    // Nested keys never shadow the top-level ones.
    const nested = await adding('{"args":{"name":"podnet","cniVersion":"1.0.0"},"cniVersion":"1.0.0","name":"other"}');
    assert.equal(nested.json?.code, 7);
    assert.deepEqual(allocationsOf(pod.id), []);
  });

  it('GC releases allocations (and veths) that are not in cni.dev/valid-attachments', async () => {
    const pods = [newPod(), newPod(), newPod()];
    const results = [];
    for (const pod of pods) results.push(await add(pod, '1.1.0'));
    const [keep1, gone, keep2] = pods as [typeof pods[0], typeof pods[0], typeof pods[0]];
    const goneIf = (results[1]!.json?.interfaces as Array<{ name: string }>)[0]!.name;
    // Allocations of other live pods on this network from earlier tests must be listed too.
    const others = [...lab.allocations(NET).values()]
      .map((content) => content.split('\r\n'))
      .filter(([id]) => !pods.some((p) => p.id === id))
      .map(([containerID, ifname]) => ({ containerID, ifname }));
    const gc = (extra: Record<string, unknown>, version = '1.1.0'): Promise<PluginRun> =>
      call({ command: 'GC', config: pluginConfig(NET, version, extra) });
    const valid = [...others, { containerID: keep1.id, ifname: 'eth0' }, { containerID: keep2.id, ifname: 'eth0' }];
    const r = await gc({ 'cni.dev/valid-attachments': valid });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(allocationsOf(keep1.id).length, 1);
    assert.equal(allocationsOf(keep2.id).length, 1);
    assert.deepEqual(allocationsOf(gone.id), []);
    assert.equal(ipOk('-n', node, 'link', 'show', 'dev', goneIf), false);

    assert.equal((await gc({})).json?.code, 7);
    assert.equal((await gc({ 'cni.dev/valid-attachments': [] }, '1.0.0')).json?.code, 1);
    await del(keep1);
    await del(keep2);
    await del(gone);
  });

  it('a store that cannot be created gives code 5', async () => {
    const file = join(lab.dataDir, '..', 'podnet-nostore');
    writeFileSync(file, renderPlugin({ networkName: NET, bridge: BRIDGE, subnet: SUBNET, gateway: GATEWAY, mtu: MTU, dataDir: '/proc/pncni-store' }));
    const pod = newPod();
    const r = await lab.run(node, ['sh', file], { command: 'ADD', containerId: pod.id, netns: pod.ns, ifname: 'eth0', config: pluginConfig(NET) });
    assert.equal(r.json?.code, 5);
    assert.match(r.stderr, /podnet: cannot create the address store \/proc\/pncni-store\/podnet/);
    assert.equal(ipOk('-n', pod.ns, 'link', 'show', 'dev', 'eth0'), false);
  });

  it('STATUS succeeds when the bridge exists and gives code 50 when it does not', async () => {
    const ok = await call({ command: 'STATUS', config: pluginConfig(NET, '1.1.0') });
    assert.equal(ok.status, 0, ok.stdout);
    assert.equal(ok.stdout, '');
    const bare = lab.addNamespace('bare');
    const missing = await lab.run(bare, plugin, { command: 'STATUS', config: pluginConfig(NET, '1.1.0') });
    assert.notEqual(missing.status, 0);
    assert.equal(missing.json?.code, 50);
    assert.match(String(missing.json?.msg), /bridge v-net-0 does not exist/);
  });

  it('an exhausted range (/29) gives code 11 and leaks nothing', async () => {
    const small = lab.addNode('node29', BRIDGE, '10.244.9.1/29');
    const smallPlugin = ['sh', lab.writePlugin({ networkName: 'pn29', bridge: BRIDGE, subnet: '10.244.9.0/29', gateway: '10.244.9.1', mtu: 1500 }, 'podnet29')];
    const run = (c: CniCall): Promise<PluginRun> => lab.run(small, smallPlugin, c);
    const pods = [1, 2, 3, 4, 5, 6].map((k) => ({ ns: lab.addNamespace(`x${k}`), id: `x${k}` }));
    const got: string[] = [];
    for (const pod of pods.slice(0, 5)) {
      const r = await run({ command: 'ADD', containerId: pod.id, netns: pod.ns, ifname: 'eth0', config: pluginConfig('pn29') });
      assert.equal(r.status, 0, r.stdout);
      got.push((r.json?.ips as Array<{ address: string }>)[0]!.address);
    }
    assert.deepEqual(got.sort(), ['10.244.9.2/29', '10.244.9.3/29', '10.244.9.4/29', '10.244.9.5/29', '10.244.9.6/29']);
    const sixth = pods[5]!;
    const r = await run({ command: 'ADD', containerId: sixth.id, netns: sixth.ns, ifname: 'eth0', config: pluginConfig('pn29') });
    assert.notEqual(r.status, 0);
    assert.equal(r.json?.code, 11);
    assert.match(String(r.json?.msg), /no free address left in 10\.244\.9\.0\/29/);
    assert.match(r.stderr, /podnet: no free address left/);
    assert.equal(lab.allocations('pn29').size, 5);
    assert.equal(hostVeths(small).length, 5);
    assert.equal(ipOk('-n', sixth.ns, 'link', 'show', 'dev', 'eth0'), false);
    // Freeing one makes room again.
    const first = pods[0]!;
    await run({ command: 'DEL', containerId: first.id, netns: first.ns, ifname: 'eth0', config: pluginConfig('pn29') });
    const retry = await run({ command: 'ADD', containerId: sixth.id, netns: sixth.ns, ifname: 'eth0', config: pluginConfig('pn29') });
    assert.equal(retry.status, 0, retry.stdout);
  });

  it('100 ADDs in parallel give 100 distinct addresses; 100 DELs leave the store empty', async () => {
    const busy = lab.addNode('busy', BRIDGE, '10.244.2.1/24');
    const busyPlugin = ['sh', lab.writePlugin({ networkName: 'pnbusy', bridge: BRIDGE, subnet: '10.244.2.0/24', gateway: '10.244.2.1', mtu: 1500 }, 'podnet-busy')];
    const pods = Array.from({ length: 100 }, (_, k) => ({ ns: lab.addNamespace(`b${k}`), id: `busy${k}` }));
    const config = pluginConfig('pnbusy');
    let started = process.hrtime.bigint();
    const adds = await Promise.all(
      pods.map((pod) => lab.run(busy, busyPlugin, { command: 'ADD', containerId: pod.id, netns: pod.ns, ifname: 'eth0', config })),
    );
    const addMs = Number(process.hrtime.bigint() - started) / 1e6;
    for (const r of adds) assert.equal(r.status, 0, r.stdout + r.stderr);
    const addresses = adds.map((r) => (r.json?.ips as Array<{ address: string }>)[0]!.address);
    assert.equal(new Set(addresses).size, 100);
    assert.ok(!addresses.includes('10.244.2.1/24'));
    assert.equal(lab.allocations('pnbusy').size, 100);
    assert.equal(hostVeths(busy).length, 100);
    started = process.hrtime.bigint();
    const dels = await Promise.all(
      pods.map((pod) => lab.run(busy, busyPlugin, { command: 'DEL', containerId: pod.id, netns: pod.ns, ifname: 'eth0', config })),
    );
    const delMs = Number(process.hrtime.bigint() - started) / 1e6;
    for (const r of dels) assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.deepEqual(lab.storeFiles('pnbusy'), ['last_reserved_ip.0', 'lock']);
    assert.deepEqual(hostVeths(busy), []);
    console.log(`# 100 parallel ADDs: ${addMs.toFixed(0)} ms; 100 parallel DELs: ${delMs.toFixed(0)} ms`);
  });
});
