// known_hosts rules, checked against OpenSSH's own ssh-keygen where it has an opinion.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  fingerprintSha256,
  formatKnownHostsLine,
  hostFieldMatches,
  keyTypeOfBlob,
  knownKeyTypes,
  lookupHostKey,
  parseKnownHosts,
} from '../../../src/run/ssh/known-hosts.js';

function sshKeygen(args: string[]): string {
  const r = spawnSync('ssh-keygen', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `ssh-keygen ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

interface Key {
  type: string;
  base64: string;
  blob: Buffer;
}

describe('known_hosts', () => {
  let dir: string;
  let keyA: Key;
  let keyB: Key;
  let keyRsa: Key;
  const newKey = (name: string, type: string): Key => {
    sshKeygen(['-q', '-t', type, '-N', '', '-f', join(dir, name)]);
    const [keyType, base64] = readFileSync(join(dir, `${name}.pub`), 'utf8').split(' ');
    return { type: keyType as string, base64: base64 as string, blob: Buffer.from(base64 as string, 'base64') };
  };
  const line = (hosts: string, k: Key): string => `${hosts} ${k.type} ${k.base64}`;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pnssh-kh-'));
    keyA = newKey('a', 'ed25519');
    keyB = newKey('b', 'ed25519');
    keyRsa = newKey('r', 'rsa');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('parses entries with line numbers, markers and comments; skips blank, comment and malformed lines', () => {
    const text = [
      '# a comment',
      '',
      line('node1,192.168.1.11', keyA),
      `@revoked * ${keyB.type} ${keyB.base64}`,
      `@cert-authority *.lab ${keyB.type} ${keyB.base64}`,
      '@bogus host ssh-ed25519 AAAA',
      'only-a-host',
      'host ssh-ed25519 not*base64',
      `  ${line('[node2]:2222', keyRsa)} root@builder  `,
    ].join('\n');
    const entries = parseKnownHosts(text);
    assert.deepEqual(
      entries.map((e) => [e.line, e.marker ?? '', e.hosts, e.keyType]),
      [
        [3, '', 'node1,192.168.1.11', 'ssh-ed25519'],
        [4, 'revoked', '*', 'ssh-ed25519'],
        [5, 'cert-authority', '*.lab', 'ssh-ed25519'],
        [9, '', '[node2]:2222', 'ssh-rsa'],
      ],
    );
    assert.ok(entries[0]?.key.equals(keyA.blob));
  });

  it('matches plain hosts: match, mismatch (changed key), unknown; case-insensitive', () => {
    const entries = parseKnownHosts(line('node1,192.168.1.11', keyA));
    assert.equal(lookupHostKey(entries, '192.168.1.11', 22, keyA.blob).status, 'match');
    assert.equal(lookupHostKey(entries, 'NODE1', 22, keyA.blob).status, 'match');
    const changed = lookupHostKey(entries, 'node1', 22, keyB.blob);
    assert.equal(changed.status, 'mismatch');
    assert.equal(changed.status === 'mismatch' && changed.known[0]?.line, 1);
    assert.equal(lookupHostKey(entries, '192.168.1.12', 22, keyA.blob).status, 'unknown');
  });

  it('a known key of another type is a mismatch (refused), and its type is preferred', () => {
    const entries = parseKnownHosts(line('node1', keyRsa));
    assert.equal(lookupHostKey(entries, 'node1', 22, keyA.blob).status, 'mismatch');
    assert.deepEqual(knownKeyTypes(entries, 'node1', 22), ['ssh-rsa']);
  });

  it('uses [host]:port for ports other than 22, and plain host only for 22', () => {
    const entries = parseKnownHosts([line('[node1]:2222', keyA), line('node1', keyB)].join('\n'));
    assert.equal(lookupHostKey(entries, 'node1', 2222, keyA.blob).status, 'match');
    assert.equal(lookupHostKey(entries, 'node1', 2222, keyB.blob).status, 'mismatch');
    assert.equal(lookupHostKey(entries, 'node1', 22, keyB.blob).status, 'match');
    assert.equal(lookupHostKey(entries, 'node1', 2223, keyA.blob).status, 'unknown');
    assert.equal(hostFieldMatches('[node1]:22', 'node1', 22), false);
  });

  it('matches entries hashed by ssh-keygen -H (port 22 and [host]:port)', () => {
    const file = join(dir, 'hashed');
    writeFileSync(file, `${line('node1,192.168.1.11', keyA)}\n${line('[192.168.1.12]:2222', keyB)}\n`);
    sshKeygen(['-q', '-H', '-f', file]);
    const entries = parseKnownHosts(readFileSync(file, 'utf8'));
    assert.ok(entries.every((e) => e.hosts.startsWith('|1|')), 'ssh-keygen hashed every entry');
    assert.equal(lookupHostKey(entries, 'node1', 22, keyA.blob).status, 'match');
    assert.equal(lookupHostKey(entries, '192.168.1.11', 22, keyA.blob).status, 'match');
    assert.equal(lookupHostKey(entries, '192.168.1.11', 22, keyB.blob).status, 'mismatch');
    assert.equal(lookupHostKey(entries, '192.168.1.12', 2222, keyB.blob).status, 'match');
    assert.equal(lookupHostKey(entries, '192.168.1.12', 22, keyB.blob).status, 'unknown');
  });

  it('honours wildcards * and ? and negation !', () => {
    assert.equal(hostFieldMatches('192.168.1.*', '192.168.1.200', 22), true);
    assert.equal(hostFieldMatches('192.168.1.?', '192.168.1.5', 22), true);
    assert.equal(hostFieldMatches('192.168.1.?', '192.168.1.15', 22), false);
    assert.equal(hostFieldMatches('*.lab', 'node1.lab', 22), true);
    assert.equal(hostFieldMatches('*.lab', 'node1.lab.example', 22), false);
    assert.equal(hostFieldMatches('node+1', 'nodee1', 22), false, 'regex characters are literal');
    const entries = parseKnownHosts(line('192.168.1.*,!192.168.1.13', keyA));
    assert.equal(lookupHostKey(entries, '192.168.1.12', 22, keyA.blob).status, 'match');
    assert.equal(lookupHostKey(entries, '192.168.1.13', 22, keyA.blob).status, 'unknown');
    assert.equal(hostFieldMatches('!192.168.1.13', '192.168.1.12', 22), false, 'a negation alone matches nothing');
  });

  it('refuses a @revoked key even when a plain entry matches it; ignores @cert-authority', () => {
    const revoked = parseKnownHosts([line('node1', keyA), `@revoked * ${keyA.type} ${keyA.base64}`].join('\n'));
    const r = lookupHostKey(revoked, 'node1', 22, keyA.blob);
    assert.equal(r.status, 'revoked');
    assert.equal(r.status === 'revoked' && r.entry.line, 2);
    const ca = parseKnownHosts(`@cert-authority node1 ${keyA.type} ${keyA.base64}`);
    assert.equal(lookupHostKey(ca, 'node1', 22, keyA.blob).status, 'unknown');
  });

  it('fingerprints like ssh-keygen -lf', () => {
    for (const [name, key] of [
      ['a', keyA],
      ['r', keyRsa],
    ] as const) {
      const printed = sshKeygen(['-l', '-E', 'sha256', '-f', join(dir, `${name}.pub`)]).split(' ')[1];
      assert.equal(fingerprintSha256(key.blob), printed);
    }
    assert.equal(keyTypeOfBlob(keyA.blob), 'ssh-ed25519');
    assert.equal(keyTypeOfBlob(keyRsa.blob), 'ssh-rsa');
  });

  it('formats plain and hashed lines that ssh-keygen -F finds', () => {
    assert.equal(formatKnownHostsLine('node1', 22, keyA.type, keyA.base64), `node1 ${keyA.type} ${keyA.base64}`);
    assert.equal(formatKnownHostsLine('Node1', 2222, keyA.type, keyA.base64), `[node1]:2222 ${keyA.type} ${keyA.base64}`);
    const salt = Buffer.alloc(20, 7);
    const hashed = formatKnownHostsLine('192.168.1.11', 2222, keyA.type, keyA.base64, { hashed: true, salt });
    assert.match(hashed, /^\|1\|BwcHBwcHBwcHBwcHBwcHBwcHBwc=\|[A-Za-z0-9+/]{27}= ssh-ed25519 /);
    const file = join(dir, 'formatted');
    writeFileSync(file, `${hashed}\n${formatKnownHostsLine('node9', 22, keyB.type, keyB.base64, { hashed: true })}\n`);
    assert.match(sshKeygen(['-F', '[192.168.1.11]:2222', '-f', file]), /found: line 1/);
    assert.match(sshKeygen(['-F', 'node9', '-f', file]), /found: line 2/);
    const entries = parseKnownHosts(readFileSync(file, 'utf8'));
    assert.equal(lookupHostKey(entries, '192.168.1.11', 2222, keyA.blob).status, 'match');
  });

  it('reads fields split by runs of spaces and tabs; skips commented-out entries, short lines and empty keys', () => {
    const entries = parseKnownHosts(
      [
        `node1 \t ${keyA.type}\t\t${keyA.base64}`, // runs of blanks between fields
        `#node2 ${keyA.type} ${keyA.base64}`, // an entry commented out, no space after '#'
        `node3 ${keyA.type}`, // no key
        '@revoked', // a marker and nothing else
        'node4 ssh-ed25519 A', // base64 of zero bytes
      ].join('\n'),
    );
    assert.deepEqual(
      entries.map((e) => [e.line, e.hosts, e.keyType, e.keyBase64]),
      [[1, 'node1', keyA.type, keyA.base64]],
    );
  });

  it('a hashed field must be exactly |1|salt|hash with both parts', () => {
    const name = 'node1';
    const salt = Buffer.alloc(20, 3);
    const hash = createHmac('sha1', salt).update(name).digest('base64');
    assert.equal(hostFieldMatches(`|1|${salt.toString('base64')}|${hash}`, name, 22), true);
    assert.equal(hostFieldMatches(`|1|${salt.toString('base64')}|${hash}|x`, name, 22), false, 'a fifth part');
    const unsalted = createHmac('sha1', Buffer.alloc(0)).update(name).digest('base64');
    assert.equal(hostFieldMatches(`|1||${unsalted}`, name, 22), false, 'an empty salt');
    assert.equal(hostFieldMatches(`|1|${salt.toString('base64')}|`, name, 22), false, 'an empty hash');
  });

  it('an empty pattern in a list matches nothing', () => {
    assert.equal(hostFieldMatches('a,,b', 'node1', 22), false);
    assert.equal(hostFieldMatches('!,node1', 'node1', 22), true, 'an empty negation vetoes nothing');
  });

  it('a revoked key of this host does not make the host known; only plain entries of this host give key types', () => {
    const entries = parseKnownHosts(
      [`@revoked node1 ${keyB.type} ${keyB.base64}`, line('node2', keyRsa), `@cert-authority node1 ${keyRsa.type} ${keyRsa.base64}`].join('\n'),
    );
    assert.equal(lookupHostKey(entries, 'node1', 22, keyA.blob).status, 'unknown', 'only a revoked key: still unknown');
    assert.deepEqual(knownKeyTypes(entries, 'node1', 22), []);
    assert.deepEqual(knownKeyTypes(parseKnownHosts([line('node1', keyA), line('node1', keyB)].join('\n')), 'node1', 22), ['ssh-ed25519']);
  });

  it('reads the key type of short or truncated blobs as unknown, and an empty type as empty', () => {
    const blob = (...bytes: number[]): Buffer => Buffer.from(bytes);
    assert.equal(keyTypeOfBlob(blob(0, 0, 0)), 'unknown', 'shorter than a length');
    assert.equal(keyTypeOfBlob(blob(0, 0, 0, 0)), '', 'a zero length');
    assert.equal(keyTypeOfBlob(blob(0, 0, 0, 2, 0x61, 0x62)), 'ab', 'the length is exactly what is left');
    assert.equal(keyTypeOfBlob(blob(0, 0, 0, 3, 0x61, 0x62)), 'unknown', 'one byte short');
    assert.equal(keyTypeOfBlob(blob(0, 0, 0, 5, 0x61, 0x62)), 'unknown', 'three bytes short');
  });
});
