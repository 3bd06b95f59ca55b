// become wrapping, ProxyCommand tokens and ProxyJump parsing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { expandProxyCommand, isSudoPasswordError, parseProxyJump, wrapBecome } from '../../../src/run/ssh/command.js';
import { shellQuote } from '../../../src/scripts/shell-quote.js';

describe('shellQuote and wrapBecome', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pnssh-cmd-'));
    // A stand-in sudo that checks the flags podnet passes and runs the rest, as root would.
    writeFileSync(join(dir, 'sudo'), '#!/bin/sh\n[ "$1" = -n ] && [ "$2" = -- ] || { echo "bad sudo args: $*" >&2; exit 99; }\nshift 2\nexec "$@"\n');
    chmodSync(join(dir, 'sudo'), 0o755);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = (command: string): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync('/bin/sh', ['-c', command], {
      encoding: 'utf8',
      env: { PATH: `${dir}:/usr/bin:/bin`, HOME: '/home/x' },
      input: 'line1\nline2\n',
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('quotes only when needed, and round-trips any text through sh', () => {
    assert.equal(shellQuote('ip'), 'ip');
    assert.equal(shellQuote('10.244.1.0/24'), '10.244.1.0/24');
    assert.equal(shellQuote(''), "''");
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    for (const word of ["it's", 'a b', '$HOME', '`id`', '"x"', 'back\\slash', 'new\nline', "''", '*']) {
      assert.equal(run(`printf %s ${shellQuote(word)}`).stdout, word);
    }
  });

  it('wraps a command so that sudo -n -- sh -c runs it unchanged (quotes, variables, stdin, exit code)', () => {
    const commands = [
      `echo 'it''s' "$HOME"; echo "a  b" | tr a A`,
      `cat; exit 7`,
      `ip -batch - <<'EOF'\nroute replace 10.244.2.0/24 via 192.168.1.12\nEOF`,
      `printf '%s\\n' "$(echo nested 'quotes')" \`echo back\``,
    ];
    for (const command of commands) {
      const wrapped = wrapBecome(command);
      assert.ok(wrapped.startsWith('sudo -n -- env "SSH_CONNECTION=$SSH_CONNECTION" sh -c '), wrapped);
      assert.deepEqual(run(wrapped), run(command), command);
    }
  });

  it('keeps SSH_CONNECTION across a sudo that resets the environment (env_reset)', () => {
    // A sudo that, like the default env_reset, runs the command with an empty environment.
    const resetting = mkdtempSync(join(tmpdir(), 'pnssh-reset-'));
    try {
      writeFileSync(join(resetting, 'sudo'), '#!/bin/sh\n[ "$1" = -n ] && [ "$2" = -- ] || exit 99\nshift 2\nexec env -i PATH=/usr/bin:/bin "$@"\n');
      chmodSync(join(resetting, 'sudo'), 0o755);
      const r = spawnSync('/bin/sh', ['-c', wrapBecome('printf "%s\\n" "${SSH_CONNECTION:-}"; printf "%s\\n" "${HOME:-none}"')], {
        encoding: 'utf8',
        env: { PATH: `${resetting}:/usr/bin:/bin`, HOME: '/home/x', SSH_CONNECTION: '10.0.1.50 50022 192.168.1.11 22' },
      });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, '10.0.1.50 50022 192.168.1.11 22\nnone\n');
    } finally {
      rmSync(resetting, { recursive: true, force: true });
    }
  });

  it('recognizes sudo asking for a password', () => {
    assert.equal(isSudoPasswordError('sudo: a password is required\n'), true);
    assert.equal(isSudoPasswordError('sudo: a terminal is required to read the password; either use the -S option'), true);
    assert.equal(isSudoPasswordError('RTNETLINK answers: File exists\n'), false);
    assert.equal(isSudoPasswordError('sudo: ip: command not found'), false);
  });
});

describe('expandProxyCommand', () => {
  const tokens = { host: '192.168.1.12', port: 2222, user: 'admin', name: 'node2' };
  it('expands %h %p %r %n and %%', () => {
    assert.equal(
      expandProxyCommand('ip netns exec pnlab-x-sw nc %h %p # %r@%n 100%%', tokens),
      'ip netns exec pnlab-x-sw nc 192.168.1.12 2222 # admin@node2 100%',
    );
    assert.equal(expandProxyCommand('%%h', tokens), '%h');
  });
  it('refuses unknown tokens and a trailing %', () => {
    assert.throws(() => expandProxyCommand('nc %h %x', tokens), /unknown token %x/);
    assert.throws(() => expandProxyCommand('nc %h %', tokens), /unknown token %/);
  });
});

describe('parseProxyJump', () => {
  const defaults = { user: 'root', port: 22 };
  it('reads [user@]host[:port], IPv6 in brackets, ssh:// and chains', () => {
    assert.deepEqual(parseProxyJump('192.168.1.11', defaults), [{ user: 'root', host: '192.168.1.11', port: 22 }]);
    assert.deepEqual(parseProxyJump('ops@bastion:2200', defaults), [{ user: 'ops', host: 'bastion', port: 2200 }]);
    assert.deepEqual(parseProxyJump('[2001:db8::1]:2222', defaults), [{ user: 'root', host: '2001:db8::1', port: 2222 }]);
    assert.deepEqual(parseProxyJump('ssh://a@b:23', defaults), [{ user: 'a', host: 'b', port: 23 }]);
    assert.deepEqual(parseProxyJump('j1, u@j2:2022', defaults), [
      { user: 'root', host: 'j1', port: 22 },
      { user: 'u', host: 'j2', port: 2022 },
    ]);
  });
  it('refuses what it cannot read', () => {
    assert.throws(() => parseProxyJump('', defaults), /cannot read hop/);
    assert.throws(() => parseProxyJump('host:99999', defaults), /cannot read hop/);
    assert.throws(() => parseProxyJump('@host', defaults), /cannot read hop/);
    assert.throws(() => parseProxyJump('host:port', defaults), /cannot read hop/);
  });
});
