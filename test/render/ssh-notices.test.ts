import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderHostKeyRecorded } from '../../src/render/ssh-notices.js';

test('a recorded host key is announced with host, key type, SHA256 fingerprint and where it was written', () => {
  assert.equal(
    renderHostKeyRecorded('node1', { host: '192.168.1.11', keyType: 'ssh-ed25519', fingerprint: 'SHA256:abc', file: '/root/.ssh/known_hosts', line: 4 }),
    "node1: permanently added '192.168.1.11' (ssh-ed25519 SHA256:abc) to /root/.ssh/known_hosts:4 (--accept-new-hosts)",
  );
});
