// Errors that name the cause: each raw failure maps to the likely cause and the fix (src/model/causes.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectHint, identityFileProblem, proxyExitProblem } from '../../src/model/causes.js';

const LAB_PROXY = 'ip netns exec pnlab-default-sw nc 192.168.1.99 22';
const base = { command: LAB_PROXY, host: '192.168.1.99', port: 22, when: 'before the SSH handshake' };

test('a proxy command that exits 1 without a word (nc to a host that does not exist): nothing answered, check the address', () => {
  const { kind, message } = proxyExitProblem({ ...base, code: 1, stderr: '' });
  assert.equal(kind, 'refused');
  assert.equal(
    message,
    `nothing answered at 192.168.1.99:22: proxy command \`${LAB_PROXY}\` exited with code 1 before the SSH handshake, no stderr output — check the node's address or host name (192.168.1.99) in cluster.yaml, and that sshd runs there`,
  );
});

test('"Operation not permitted" entering the lab namespace as non-root: run as root', () => {
  const { kind, message } = proxyExitProblem({ ...base, code: 255, stderr: 'setting the network namespace "pnlab-default-sw" failed: Operation not permitted\n' });
  assert.equal(kind, 'proxy');
  assert.match(message, /failed: Operation not permitted — entering a network namespace needs root: run podnet as root \(e\.g\. with sudo\)$/);
  const other = proxyExitProblem({ ...base, command: 'my-connector %h', code: 1, stderr: 'my-connector: Permission denied' });
  assert.match(other.message, /not allowed to do this as the current user: run podnet as root \(e\.g\. with sudo\), or change proxyCommand$/);
});

test('refused, no route, a missing program, and anything else', () => {
  assert.deepEqual(proxyExitProblem({ ...base, code: 1, stderr: 'nc: connect to 192.168.1.99 port 22 (tcp) failed: Connection refused' }).kind, 'refused');
  assert.match(proxyExitProblem({ ...base, code: 1, stderr: 'nc: connect to 192.168.1.99 port 22 (tcp) failed: Connection refused' }).message, /^connection refused: .* — nothing listens at 192\.168\.1\.99:22/);
  assert.match(proxyExitProblem({ ...base, code: 1, stderr: 'nc: getaddrinfo for host "nod2": Name or service not known' }).message, / — 192\.168\.1\.99 cannot be reached: check the node's address or host name \(192\.168\.1\.99\) in cluster\.yaml$/);
  assert.match(proxyExitProblem({ ...base, code: 127, stderr: 'sh: 1: ncat: not found' }).message, /not installed \(exit 127\)/);
  assert.deepEqual(proxyExitProblem({ ...base, code: 4, stderr: 'something odd' }), {
    kind: 'proxy',
    message: `proxy command \`${LAB_PROXY}\` exited with code 4 before the SSH handshake: something odd`,
  });
  assert.match(proxyExitProblem({ ...base, code: null, signal: 'SIGKILL', stderr: '' }).message, /was killed by SIGKILL/);
});

test('identity files: root-only, someone else’s, missing, a directory', () => {
  assert.equal(
    identityFileProblem({ path: '/run/podnet/lab/default/id_ed25519', code: 'EACCES', uid: 1000, ownerUid: 0, mode: 0o100600 }),
    'cannot read identity file /run/podnet/lab/default/id_ed25519 (permission denied): the key file is readable only by root (owner root, mode 0600): run podnet as root (e.g. with sudo) or give it a key you can read',
  );
  assert.equal(
    identityFileProblem({ path: '/home/ann/k', code: 'EACCES', uid: 1000, ownerUid: 1001, mode: 0o600 }),
    'cannot read identity file /home/ann/k (permission denied to uid 1000; owner uid 1001, mode 0600): run podnet as a user who can read it, or give it a key you can read',
  );
  assert.match(identityFileProblem({ path: '/k', code: 'ENOENT' }), /^identity file \/k does not exist: check identityFile/);
  assert.match(identityFileProblem({ path: '/k', code: 'EISDIR' }), /is a directory/);
});

test('a direct TCP connect: refused and unknown hosts get a fix, other errors none', () => {
  assert.match(connectHint('ECONNREFUSED', 'h', 2222) ?? '', /nothing listens at h:2222/);
  assert.match(connectHint('ENOTFOUND', 'nod2', 22) ?? '', /check the node's address or host name \(nod2\)/);
  assert.equal(connectHint('ECONNRESET', 'h', 22), undefined);
});
