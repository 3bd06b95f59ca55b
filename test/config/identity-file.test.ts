// A missing or unreadable identityFile is a config error at its place (validate, diff …), not every
// node unreachable later; the messages name the cause and the fix (src/model/causes.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadCluster, formatDiagnostic } from '../../src/config/index.js';
import type { FileFacts } from '../../src/model/causes.js';
import { HOME } from './helpers.js';

const FILE = 'test/fixtures/config/identity/identity-missing.yaml';

function load(fileProblem?: (path: string) => FileFacts | undefined) {
  return loadCluster(readFileSync(FILE, 'utf8'), FILE, { readFile: () => '', homeDir: HOME, ...(fileProblem ? { fileProblem } : {}) });
}

test('identity files that do not exist: one error per place they are named, at file:line:col', () => {
  const asked: string[] = [];
  const result = load((path) => {
    asked.push(path);
    return { path, code: 'ENOENT', uid: 1000 };
  });
  assert.ok(!result.ok);
  assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
    `${FILE}:4:17: identity file test/fixtures/config/identity/keys/cluster_ed25519 does not exist: check identityFile (or the inventory's ansible_ssh_private_key_file), or leave it unset to use the SSH agent and ~/.ssh/id_*`,
    `${FILE}:13:21: identity file /etc/podnet/node3_ed25519 does not exist: check identityFile (or the inventory's ansible_ssh_private_key_file), or leave it unset to use the SSH agent and ~/.ssh/id_*`,
  ]);
  assert.ok(asked.includes('/etc/podnet/node3_ed25519'));
});

test('a root-only key read as another user names the cause and the fix', () => {
  const result = load((path) => (path.startsWith('/etc') ? { path, code: 'EACCES', uid: 1000, ownerUid: 0, mode: 0o100600 } : undefined));
  assert.ok(!result.ok);
  assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
    `${FILE}:13:21: cannot read identity file /etc/podnet/node3_ed25519 (permission denied): the key file is readable only by root (owner root, mode 0600): run podnet as root (e.g. with sudo) or give it a key you can read`,
  ]);
});

test('keys that are there are fine; without a file check (validate --no-local-files) nothing is looked at', () => {
  assert.ok(load(() => undefined).ok);
  assert.ok(load().ok);
});
