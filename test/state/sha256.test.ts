import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { sha256Hex } from '../../src/state/sha256.js';

test('sha256Hex agrees with node:crypto on edge lengths and random text', () => {
  const samples = ['', 'abc', 'a'.repeat(55), 'a'.repeat(56), 'a'.repeat(63), 'a'.repeat(64), 'a'.repeat(1000), 'naïve — ✓ ünïcode'];
  for (let i = 0; i < 50; i++) samples.push(randomBytes(i * 37).toString('base64'));
  for (const text of samples) assert.equal(sha256Hex(text), createHash('sha256').update(text, 'utf8').digest('hex'), `length ${text.length}`);
});
