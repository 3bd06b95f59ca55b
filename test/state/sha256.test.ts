import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { sha256Hex } from '../../src/state/sha256.js';

test('sha256Hex gives the FIPS 180-4 test vectors', () => {
  assert.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(
    sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  );
});

test('sha256Hex hashes the UTF-8 bytes, as sha256sum on a node does', () => {
  for (const text of ['naïve — ✓ ünïcode\n', 'line\r\nwith CRLF', 'a'.repeat(1000)]) {
    const r = spawnSync('sha256sum', { input: Buffer.from(text, 'utf8'), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(sha256Hex(text), r.stdout.split(' ')[0], JSON.stringify(text.slice(0, 20)));
  }
});
