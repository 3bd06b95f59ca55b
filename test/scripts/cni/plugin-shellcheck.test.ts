// The rendered plugin must pass shellcheck as POSIX sh (all default checks, down to style).
// shellcheck missing is a failure, not a skip: install it with `apt-get install -y --no-install-recommends shellcheck`.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderPlugin } from '../../../src/scripts/cni/render-plugin.js';

describe('rendered plugin', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pncni-sc-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('passes shellcheck --shell=sh with no finding', () => {
    const version = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' });
    assert.equal(version.error, undefined, 'shellcheck is not installed: apt-get install -y --no-install-recommends shellcheck');
    for (const [name, constants] of [
      ['default', { networkName: 'podnet', bridge: 'v-net-0', subnet: '10.244.1.0/24', gateway: '10.244.1.1', mtu: 1500 }],
      ['custom', { networkName: 'lab.net_1', bridge: 'br-pods', subnet: '172.20.0.0/16', gateway: '172.20.255.254', mtu: 9000, dataDir: '/srv/cni-store' }],
    ] as const) {
      const file = join(dir, `podnet-${name}`);
      writeFileSync(file, renderPlugin(constants));
      const r = spawnSync('shellcheck', ['--shell=sh', '--severity=style', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, `shellcheck ${name}:\n${r.stdout}${r.stderr}`);
    }
  });

  it('is valid for sh -n (dash parses it)', () => {
    const file = join(dir, 'podnet-parse');
    writeFileSync(file, renderPlugin({ networkName: 'podnet', bridge: 'v-net-0', subnet: '10.244.1.0/24', gateway: '10.244.1.1', mtu: 1500 }));
    const r = spawnSync('sh', ['-n', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
});
