// The rendered CNI plugin run by a real POSIX sh, without root: stub `ip`, `nsenter` and `flock` on
// PATH (they log what they were asked and succeed) and a temporary address store. No namespace, no
// link is made; what is checked is the plugin's own logic: it takes the store's lock before it
// allocates, and it never hands out the gateway (the conformance tests, which need root, check the
// rest against the real kernel).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderPlugin } from '../../src/cni/render-plugin.js';

const STUBS: Record<string, string> = {
  // `ip -o -batch -` logs each line it is given ("ip-batch LINE") and prints one link per
  // "link show" line, with a MAC; everything else succeeds.
  ip: `#!/bin/sh
printf 'ip %s\\n' "$*" >> "$STUB_LOG"
case "$*" in
  *-batch*) while IFS= read -r line; do
      printf 'ip-batch %s\\n' "$line" >> "$STUB_LOG"
      case $line in "link show dev "*) printf '%s@if2 UP 02:00:00:00:00:07 <BROADCAST,MULTICAST,UP,LOWER_UP>\\n' "\${line#link show dev }" ;; esac
    done ;;
esac
exit 0
`,
  // nsenter --net=PATH CMD…: runs CMD here (the stub ip).
  nsenter: `#!/bin/sh
printf 'nsenter %s\\n' "$*" >> "$STUB_LOG"
shift
exec "$@"
`,
  // flock -w 60 9: records the call and that descriptor 9 is open on the store's lock file.
  flock: `#!/bin/sh
printf 'flock %s %s\\n' "$*" "$(readlink /proc/$$/fd/9)" >> "$STUB_LOG"
exit 0
`,
};

const SYSTEM_PATH_LINE = 'PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"\n';

describe('the plugin under sh with stub ip, nsenter and flock', () => {
  let dir = '';
  let plugin = '';
  let store = '';
  let log = '';

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pnstub-'));
    const bin = join(dir, 'bin');
    spawnSync('mkdir', [bin]);
    for (const [name, text] of Object.entries(STUBS)) writeFileSync(join(bin, name), text, { mode: 0o755 });
    log = join(dir, 'stub.log');
    plugin = join(dir, 'podnet');
    // A /29: hosts .1–.6; the gateway in the middle (.3), so skipping it is not "start after it".
    const rendered = renderPlugin({ networkName: 'podnet', bridge: 'v-net-0', subnet: '10.244.1.0/29', gateway: '10.244.1.3', mtu: 1500, dataDir: join(dir, 'networks') });
    // The plugin puts the system directories first on PATH (a runtime may call it with a bare
    // one); here that line goes, so the stubs are what it finds, never the real ip.
    assert.ok(rendered.includes(SYSTEM_PATH_LINE), 'the plugin sets PATH as this test expects');
    writeFileSync(plugin, rendered.replace(SYSTEM_PATH_LINE, ''), { mode: 0o755 });
    store = join(dir, 'networks', 'podnet');
    writeFileSync(join(dir, 'netns'), '');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function add(containerId: string): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync('sh', [plugin], {
      encoding: 'utf8',
      input: JSON.stringify({ cniVersion: '1.0.0', name: 'podnet', type: 'podnet' }),
      env: {
        PATH: `${join(dir, 'bin')}:/usr/local/bin:/usr/bin:/bin`,
        STUB_LOG: log,
        CNI_COMMAND: 'ADD',
        CNI_CONTAINERID: containerId,
        CNI_NETNS: join(dir, 'netns'), // a plain file: it exists, nothing enters it
        CNI_IFNAME: 'eth0',
        CNI_PATH: '/opt/cni/bin',
      },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  const allocations = (): string[] => readdirSync(store).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)).sort();

  it('takes the lock on the store before it allocates', () => {
    writeFileSync(log, '');
    const r = add('c0');
    assert.equal(r.status, 0, r.stderr);
    const calls = readFileSync(log, 'utf8').split('\n');
    const flock = calls.findIndex((l) => l.startsWith('flock '));
    assert.ok(flock >= 0, `flock was never called:\n${calls.join('\n')}`);
    assert.equal(calls[flock], `flock -w 60 9 ${join(store, 'lock')}`);
    const veth = calls.findIndex((l) => l.startsWith('ip-batch link add '));
    assert.ok(veth > flock, 'the address was reserved under the lock, before the veth was made');
    assert.deepEqual(allocations(), ['10.244.1.1']);
    assert.equal(readFileSync(join(store, '10.244.1.1'), 'utf8'), 'c0\r\neth0');
    const reply = JSON.parse(r.stdout) as { ips: Array<{ address: string; gateway: string }> };
    assert.deepEqual(reply.ips.map((x) => [x.address, x.gateway]), [['10.244.1.1/29', '10.244.1.3']]);
  });

  it('never hands out the gateway, even when it is the only address left', () => {
    for (const id of ['c1', 'c2', 'c3', 'c4']) assert.equal(add(id).status, 0);
    assert.deepEqual(allocations(), ['10.244.1.1', '10.244.1.2', '10.244.1.4', '10.244.1.5', '10.244.1.6']);
    const full = add('c5');
    assert.notEqual(full.status, 0, 'the subnet is full: the gateway is not a free address');
    assert.match(full.stdout, /no free address left in 10\.244\.1\.0\/29/);
    assert.ok(!allocations().includes('10.244.1.3'));
  });
});
