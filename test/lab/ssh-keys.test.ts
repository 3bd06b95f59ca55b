// Keys made in-process are what ssh-keygen would have made (ssh-keygen reads them back).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEd25519KeyPair } from '../../src/lab/ssh-keys.js';

test('an in-process ed25519 key pair reads back with ssh-keygen, public key and comment intact', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-keys-'));
  try {
    for (const comment of ['podnet-lab-default-node1', 'c', 'a comment of thirty-one letters']) {
      const pair = generateEd25519KeyPair(comment);
      assert.match(pair.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----\n([A-Za-z0-9+/=]{1,70}\n)+-----END OPENSSH PRIVATE KEY-----\n$/);
      assert.match(pair.publicKey, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} /);
      const file = join(dir, 'key');
      writeFileSync(file, pair.privateKey, { mode: 0o600 });
      const derived = spawnSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' });
      assert.equal(derived.status, 0, derived.stderr);
      assert.equal(derived.stdout, pair.publicKey);
      rmSync(file);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every pair is new', () => {
  assert.notEqual(generateEd25519KeyPair('x').publicKey, generateEd25519KeyPair('x').publicKey);
});
