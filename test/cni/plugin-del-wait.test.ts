// DEL watches the veth leave sysfs for a moment, then waits for ip without burning the CPU. A DEL
// that spins until a slow `ip link del` returns costs a CPU for as long as the kernel takes: verify's
// cleanup of a 100-node lab (200 DELs on 2 CPUs, every delete behind the kernel's one rtnl lock)
// took 104 s instead of 7 s, and starved the nodes' sshd. Here ip's delete is held back 1.5 s by a
// wrapper on PATH, so a spinning DEL would spend about 1.5 s of CPU. Needs root.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CniLab, pluginConfig } from './cni-harness.js';
import { needs } from '../support/needs.js';

const requirement = needs('root', 'netns');
const SYSTEM_PATH_LINE = 'PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"\n';
const HOLD_S = 1.5;

/** The children's CPU seconds (user + system) from the second line of the shell's `times`. */
function childCpuSeconds(times: string): number {
  const line = times.trim().split('\n').at(-1) ?? '';
  const seconds = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  assert.equal(seconds.length, 2, `times printed: ${times}`);
  return seconds[0]! + seconds[1]!;
}

describe('podnet CNI plugin: DEL behind a slow ip link del', { skip: requirement }, () => {
  let lab: CniLab;
  let node: string;
  let plugin = '';
  let stubs = '';

  before(() => {
    lab = new CniLab();
    node = lab.addNode('node', 'v-net-0', '10.244.1.1/24');
    const path = lab.writePlugin({ networkName: 'podnet', bridge: 'v-net-0', subnet: '10.244.1.0/24', gateway: '10.244.1.1', mtu: 1500 });
    const rendered = readFileSync(path, 'utf8');
    assert.ok(rendered.includes(SYSTEM_PATH_LINE), 'the plugin sets PATH as this test expects');
    writeFileSync(path, rendered.replace(SYSTEM_PATH_LINE, ''));
    plugin = path;
    stubs = mkdtempSync(join(tmpdir(), 'pncni-slowip-'));
    writeFileSync(join(stubs, 'ip'), `#!/bin/sh\ncase "$1 $2" in "link del") sleep ${String(HOLD_S)} ;; esac\nexec /bin/ip "$@"\n`, { mode: 0o755 });
  });
  after(() => {
    lab?.cleanup();
    if (stubs !== '') rmSync(stubs, { recursive: true, force: true });
  });

  it('answers after ip returns, the veth gone and the address released, having spent little CPU meanwhile', async () => {
    const pod = lab.addNamespace('pod');
    const env = { PATH: `${stubs}:/usr/sbin:/usr/bin:/sbin:/bin` };
    const added = await lab.run(node, ['sh', plugin], { command: 'ADD', containerId: 'slowdel', netns: pod, ifname: 'eth0', config: pluginConfig('podnet') }, env);
    assert.equal(added.status, 0, added.stdout + added.stderr);
    const hostIf = (added.json?.interfaces as Array<{ name: string }>)[0]!.name;
    assert.ok(lab.links(node).some((l) => l.ifname === hostIf));

    // `times` (to stderr) reports the CPU of the plugin and every child it waited for.
    const del = await lab.run(node, ['sh', '-c', 'sh "$1"; status=$?; times >&2; exit $status', 'sh', plugin], { command: 'DEL', containerId: 'slowdel', netns: pod, ifname: 'eth0', config: pluginConfig('podnet', '1.0.0', { prevResult: added.json }) }, env);
    assert.equal(del.status, 0, del.stdout + del.stderr);
    assert.equal(del.stdout, '');
    console.log(`# DEL took ${del.ms.toFixed(0)} ms with ip held ${String(HOLD_S)} s; CPU ${childCpuSeconds(del.stderr).toFixed(3)} s`);
    assert.ok(del.ms >= HOLD_S * 1000, `DEL answered in ${del.ms.toFixed(0)} ms, before ip returned`);
    assert.ok(!lab.links(node).some((l) => l.ifname === hostIf), 'the veth is gone when DEL answers');
    assert.deepEqual([...lab.allocations('podnet').keys()], []);
    const cpu = childCpuSeconds(del.stderr);
    assert.ok(cpu < HOLD_S / 3, `DEL spent ${cpu.toFixed(3)} s of CPU while ip was held ${String(HOLD_S)} s: it spins`);
  });
});
