// ConnectReads: the identity and known_hosts files are read once for all the connections of a run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectReads } from '../../../src/run/ssh/connect.js';

function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-reads-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('an identity file is read once: every connect of the run gets the same credentials', () =>
  withDir(async (dir) => {
    const key = join(dir, 'id');
    assert.equal(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]).status, 0);
    const reads = new ConnectReads();
    const first = reads.resolveCredentials({ identityFile: key });
    const again = reads.resolveCredentials({ identityFile: key });
    assert.equal(first, again, 'one read, shared');
    assert.match((await first).tried.join(), /identity file/);
    // Another run (another ConnectReads) reads it afresh.
    assert.notEqual(new ConnectReads().resolveCredentials({ identityFile: key }), first);
  }));

test('a failed read is not kept: the next connect reads again (and sees a file made meanwhile)', () =>
  withDir(async (dir) => {
    const key = join(dir, 'id');
    const reads = new ConnectReads();
    await assert.rejects(reads.resolveCredentials({ identityFile: key }), /does not exist/);
    assert.equal(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]).status, 0);
    assert.match((await reads.resolveCredentials({ identityFile: key })).tried.join(), /identity file/);
  }));

test('known_hosts is read once per path, and again after a host key was recorded in it', () =>
  withDir(async (dir) => {
    const file = join(dir, 'known_hosts');
    const line = (host: string): string => `${host} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n`;
    writeFileSync(file, line('192.168.1.11'));
    const reads = new ConnectReads();
    const first = await reads.readKnownHosts(file);
    appendFileSync(file, line('192.168.1.12'));
    assert.equal(await reads.readKnownHosts(file), first, 'the first read is kept for the run');
    assert.equal(first.length, 1);
    reads.knownHostsChanged(file);
    assert.equal((await reads.readKnownHosts(file)).length, 2);
  }));
