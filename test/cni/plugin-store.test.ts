// The plugin's address store and parameters, run without root: the rendered plugin under sh with
// stub ip and nsenter (test/cni/plugin-sandbox.ts) and a temporary store.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PluginSandbox } from './plugin-sandbox.js';

const podAddress = (json: Record<string, unknown> | undefined): string | undefined =>
  (json?.ips as { address: string }[] | undefined)?.[0]?.address.split('/')[0];

describe('the plugin store (no root: stub ip and nsenter)', () => {
  let sandbox: PluginSandbox;
  beforeEach(() => {
    sandbox = new PluginSandbox();
    mkdirSync(sandbox.store, { recursive: true });
  });
  afterEach(() => sandbox.cleanup());

  it('reads last_reserved_ip.0 with leading zeros as decimal: 08 and 010 never abort the shell', () => {
    writeFileSync(join(sandbox.store, 'last_reserved_ip.0'), '10.244.1.08');
    const first = sandbox.add('c1');
    assert.equal(first.status, 0, first.stdout + first.stderr);
    assert.equal(podAddress(first.json), '10.244.1.9');
    writeFileSync(join(sandbox.store, 'last_reserved_ip.0'), '010.244.001.010');
    const second = sandbox.add('c2');
    assert.equal(second.status, 0, second.stdout + second.stderr);
    assert.equal(podAddress(second.json), '10.244.1.11');
  });

  it('ignores a last_reserved_ip.0 that is no address (octets of four digits or above 255) and starts over', () => {
    writeFileSync(join(sandbox.store, 'last_reserved_ip.0'), '10.244.1.0008');
    const r = sandbox.add('c1');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(podAddress(r.json), '10.244.1.2');
  });

  it('takes back an empty allocation file (its writer was killed between create and write) when allocating', () => {
    sandbox.cleanup();
    // 10.244.1.0/29: .2 to .6 are handed out (.1 is the gateway). .2-.5 taken, .6 empty.
    sandbox = new PluginSandbox({ subnet: '10.244.1.0/29' });
    mkdirSync(sandbox.store, { recursive: true });
    for (const host of [2, 3, 4, 5]) writeFileSync(join(sandbox.store, `10.244.1.${host}`), `other${host}\r\neth0`);
    writeFileSync(join(sandbox.store, '10.244.1.6'), '');
    const r = sandbox.add('c1');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(podAddress(r.json), '10.244.1.6');
  });

  it('GC removes empty allocation files and keeps the valid attachments', () => {
    writeFileSync(join(sandbox.store, '10.244.1.7'), '');
    writeFileSync(join(sandbox.store, '10.244.1.8'), 'keep\r\neth0');
    writeFileSync(join(sandbox.store, '10.244.1.9'), 'gone\r\neth0');
    const r = sandbox.gc([{ containerID: 'keep', ifname: 'eth0' }]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.deepEqual(readdirSync(sandbox.store).filter((f) => /^[0-9.]+$/.test(f)), ['10.244.1.8']);
  });

  it('GC still works when the valid attachments exceed what one environment variable holds (128 KiB)', () => {
    sandbox.cleanup();
    sandbox = new PluginSandbox({ subnet: '10.244.0.0/16', gateway: '10.244.0.1' });
    mkdirSync(sandbox.store, { recursive: true });
    const valid: { containerID: string; ifname: string }[] = [];
    for (let k = 0; k < 6000; k++) {
      const id = `${'a-container-id-as-long-as-a-sha256-in-hex-is-'.padEnd(58, 'x')}${String(k).padStart(6, '0')}`;
      writeFileSync(join(sandbox.store, `10.244.${2 + Math.floor(k / 250)}.${1 + (k % 250)}`), `${id}\r\neth0`);
      if (k % 2 === 0) valid.push({ containerID: id, ifname: 'eth0' });
    }
    const r = sandbox.gc(valid);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(readdirSync(sandbox.store).filter((f) => /^[0-9.]+$/.test(f)).length, 3000);
    assert.ok(existsSync(join(sandbox.store, '10.244.2.1')));
    assert.ok(!existsSync(join(sandbox.store, '10.244.2.2')));
  });

  it('refuses a CNI_NETNS that is not an absolute path with error 4 (ADD and CHECK)', () => {
    const add = sandbox.add('c1', 'run/netns/c1');
    assert.equal(add.json?.code, 4, add.stdout + add.stderr);
    assert.match(String(add.json?.msg), /CNI_NETNS/);
    assert.notEqual(add.status, 0);
    assert.deepEqual(readdirSync(sandbox.store).filter((f) => /^[0-9.]+$/.test(f)), []);
    const check = sandbox.run('CHECK', { CNI_CONTAINERID: 'c1', CNI_NETNS: 'c1', CNI_IFNAME: 'eth0' }, sandbox.config('1.1.0', { prevResult: {} }));
    assert.equal(check.json?.code, 4, check.stdout + check.stderr);
  });
});
