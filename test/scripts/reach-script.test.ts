// The check after each batch of a rolling apply, run by sh with a stand-in `ping` on PATH.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseReachOutput, renderReachScript } from '../../src/scripts/reach-script.js';

function runWith(ping: string | undefined, script: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-reach-'));
  try {
    if (ping !== undefined) {
      writeFileSync(join(dir, 'ping'), ping);
      chmodSync(join(dir, 'ping'), 0o755);
    }
    const r = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: { PATH: dir } });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('each peer is pinged from the pod gateway; ok or fail per peer, as ping exits', () => {
  // Answers 10.244.2.1 only, and only when asked from 10.244.1.1 with 3 requests.
  const ping = '#!/bin/sh\ncase "$*" in *"-c 3 "*"-I 10.244.1.1 10.244.2.1") exit 0;; esac\nexit 1\n';
  const script = renderReachScript('10.244.1.1', ['10.244.2.1', '10.244.3.1']);
  const out = runWith(ping, script);
  assert.deepEqual(parseReachOutput(out, ['10.244.2.1', '10.244.3.1']), { ping: true, reached: ['10.244.2.1'], failed: ['10.244.3.1'] });
});

test('no ping on the node: the check says so and is skipped', () => {
  const out = runWith(undefined, renderReachScript('10.244.1.1', ['10.244.2.1']));
  assert.deepEqual(parseReachOutput(out, ['10.244.2.1']), { ping: false });
});

test('a target without a line counts as failed; addresses are checked before they reach the script', () => {
  assert.deepEqual(parseReachOutput('@@podnet reach\nok 10.244.2.1\n', ['10.244.2.1', '10.244.3.1']), { ping: true, reached: ['10.244.2.1'], failed: ['10.244.3.1'] });
  assert.throws(() => renderReachScript('10.244.1.1', ['10.244.2.1; reboot']), /refusing address/);
});
