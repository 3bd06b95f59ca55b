// Errors that name the cause, on a real lab: a node address where no host is, the lab's root-only
// key read by another user, and the lab's proxy command (ip netns exec) run by a non-root user.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { startTestLab, stopTestLab, type LabInfo } from '../support/lab.js';
import { runPodnet } from '../support/cli.js';
import { needs } from '../support/needs.js';

const requirement = needs('root', 'netns', 'sshd');
const NOBODY = 65534;

/** The built CLI as the user nobody (setpriv: no capability, no group). */
function podnetAsNobody(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    'setpriv',
    ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', '--', process.execPath, resolve('dist/src/cli/main.js'), ...args],
    { encoding: 'utf8', timeout: 60_000 },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('errors that name the cause and the fix (lab)', { skip: requirement, timeout: 120_000 }, () => {
  let lab: LabInfo | undefined;
  let tmp = '';
  let doc: Record<string, unknown> = {};

  before(async () => {
    lab = await startTestLab(1);
    tmp = mkdtempSync(join(tmpdir(), 'podnet-error-causes-'));
    chmodSync(tmp, 0o755);
    doc = parse(readFileSync(lab.clusterFile, 'utf8')) as Record<string, unknown>;
  });
  after(async () => {
    if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
    await stopTestLab(lab);
  });

  function write(name: string, change: (d: Record<string, unknown>) => void): string {
    const copy = structuredClone(doc);
    change(copy);
    const file = join(tmp, name);
    writeFileSync(file, stringify(copy), { mode: 0o644 });
    return file;
  }

  test('a node address where no host answers: "nothing answered", check the address (not "connection refused")', () => {
    const file = write('wrong-address.yaml', (d) => {
      (d.nodes as { address: string }[])[0]!.address = '192.168.1.99';
    });
    const r = runPodnet('diff', file);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /^node1: UNREACHABLE: node1 \(192\.168\.1\.99:22\): nothing answered at 192\.168\.1\.99:22: proxy command `ip netns exec pnlab-\w+-sw nc 192\.168\.1\.99 22` exited with code 1 before the SSH handshake, no stderr output — check the node's address or host name \(192\.168\.1\.99\) in cluster\.yaml, and that sshd runs there$/m,
    );
  });

  test('the lab key (root only) read as another user: a config error at identityFile naming the fix, no connection tried', () => {
    const r = podnetAsNobody('diff', lab!.clusterFile);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /:\d+:\d+: cannot read identity file \/run\/podnet\/lab\/\w+\/id_ed25519 \(permission denied\): the key file is readable only by root \(owner root, mode 0600\): run podnet as root \(e\.g\. with sudo\) or give it a key you can read$/m,
    );
    assert.doesNotMatch(r.stderr, /at .*\.js/);
  });

  test('the proxy command entering the lab namespace as a non-root user: "Operation not permitted" names root as the fix', () => {
    const key = join(tmp, 'key');
    copyFileSync(lab!.identityFile, key);
    chownSync(key, NOBODY, NOBODY);
    const file = write('as-nobody.yaml', (d) => {
      (d.ssh as Record<string, unknown>).identityFile = key;
    });
    const r = podnetAsNobody('diff', file);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^node1: UNREACHABLE: .*Operation not permitted — entering a network namespace needs root: run podnet as root \(e\.g\. with sudo\)$/m);
  });
});
