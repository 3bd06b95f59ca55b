// Parsing real iptables-save output (test/fixtures/iptables, captured by test/capture-iptables-fixtures.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinIptablesWords, parseFirewallText, parseIptablesSave, splitIptablesWords } from '../../src/state/iptables-save.js';
import { parseFirewallSections } from '../../src/scripts/gather-iptables.js';
import { splitSections } from '../../src/scripts/sections.js';
import { iptablesFixture } from '../support/iptables-fixtures.js';

test('an empty namespace: the built-in chains of filter and nat, no rules', () => {
  const state = parseIptablesSave(iptablesFixture('empty'));
  assert.deepEqual(
    state.chains.map((c) => `${c.table} ${c.name} ${c.policy}`),
    ['filter INPUT ACCEPT', 'filter FORWARD ACCEPT', 'filter OUTPUT ACCEPT', 'nat PREROUTING ACCEPT', 'nat INPUT ACCEPT', 'nat OUTPUT ACCEPT', 'nat POSTROUTING ACCEPT'],
  );
  assert.deepEqual(state.rules, []);
});

test("Docker's leftovers: DROP policy, a user chain (policy null), quoted comments unquoted, `!` kept", () => {
  const state = parseIptablesSave(iptablesFixture('docker-like'));
  assert.equal(state.chains.find((c) => c.table === 'filter' && c.name === 'FORWARD')?.policy, 'DROP');
  assert.equal(state.chains.find((c) => c.name === 'DOCKER-USER')?.policy, null);
  assert.deepEqual(state.rules.find((r) => r.chain === 'INPUT')?.args, ['-p', 'tcp', '-m', 'tcp', '--dport', '22', '-m', 'comment', '--comment', 'admin: ssh in', '-j', 'ACCEPT']);
  assert.deepEqual(state.rules.find((r) => r.table === 'nat')?.args, ['-s', '172.17.0.0/16', '!', '-o', 'docker0', '-j', 'MASQUERADE']);
});

test("podnet's own rules read back exactly as podnet writes them", () => {
  const state = parseIptablesSave(iptablesFixture('egress-converged'));
  assert.deepEqual(
    state.rules.map((r) => `${r.table} ${r.chain} ${r.args.join(' ')}`),
    [
      'filter FORWARD -m comment --comment podnet -j PODNET-FORWARD',
      'filter PODNET-FORWARD -s 10.244.0.0/16 -m comment --comment podnet -j ACCEPT',
      'filter PODNET-FORWARD -d 10.244.0.0/16 -m comment --comment podnet -j ACCEPT',
      'nat POSTROUTING -m comment --comment podnet -j PODNET-POSTROUTING',
      'nat PODNET-POSTROUTING -s 10.244.0.0/16 -d 10.244.0.0/16 -m comment --comment podnet -j RETURN',
      'nat PODNET-POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -m comment --comment podnet -j MASQUERADE',
    ],
  );
});

test('quotes: escaped quotes and backslashes inside, words glued to quotes; join quotes back', () => {
  assert.deepEqual(splitIptablesWords('-m comment --comment "a \\"b\\" c\\\\" -j ACCEPT'), ['-m', 'comment', '--comment', 'a "b" c\\', '-j', 'ACCEPT']);
  assert.deepEqual(splitIptablesWords('--comment x"y z"'), ['--comment', 'xy z']);
  assert.equal(joinIptablesWords(['--comment', 'admin: ssh in', '!', '-d', '10.0.0.0/8']), '--comment "admin: ssh in" ! -d 10.0.0.0/8');
  assert.throws(() => splitIptablesWords('--comment "open'), /unterminated quote/);
});

test('garbage is an error; the gather section reports a missing or failing iptables instead of throwing', () => {
  assert.throws(() => parseIptablesSave('-A FORWARD -j ACCEPT\n'), /outside any table/);
  assert.throws(() => parseIptablesSave('*filter\n-I FORWARD 1 -j ACCEPT\n'), /unreadable rule line/);
  const sections = (stdout: string) => parseFirewallSections(splitSections(stdout));
  assert.deepEqual(sections('@@podnet iptables\n@@podnet iptables-missing\n@@podnet rp_filter\n'), {
    available: false,
    reason: 'iptables is not installed (no iptables-save on PATH)',
  });
  const failed = sections(
    '@@podnet iptables\n@@podnet iptables-failed\niptables-save v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n',
  );
  assert.equal(failed?.available, false);
  assert.match(failed?.available === false ? failed.reason : '', /^iptables-save failed: .*Permission denied/);
  assert.equal(sections(`@@podnet iptables\n${iptablesFixture('empty')}@@podnet end\n`)?.available, true);
  assert.equal(sections('@@podnet rp_filter\n'), undefined, 'no iptables section: nothing known');
  assert.equal(parseFirewallText(iptablesFixture('empty')).available, true);
  assert.equal(parseFirewallText('*filter\n-X\n').available, false);
});

test('one iptables-save of every table: after iptables-read, nothing printed is no table at all; only filter and nat are podnet\'s', () => {
  const sections = (stdout: string) => parseFirewallSections(splitSections(stdout));
  assert.deepEqual(sections('@@podnet iptables\n@@podnet iptables-read\n@@podnet rp_filter\n'), { available: true, chains: [], rules: [] });
  assert.deepEqual(sections('@@podnet iptables\n@@podnet rp_filter\n'), { available: false, reason: 'iptables-save printed nothing' }, 'cut off: unknown');
  const all =
    '*mangle\n:PREROUTING ACCEPT [0:0]\n:PODNET-OLD - [0:0]\n-A PREROUTING -m comment --comment podnet -j PODNET-OLD\nCOMMIT\n' +
    '*filter\n:FORWARD DROP [0:0]\n-A FORWARD -m comment --comment podnet -j PODNET-FORWARD\nCOMMIT\n' +
    '*raw\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n' +
    '*nat\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n';
  const firewall = sections(`@@podnet iptables\n${all}@@podnet iptables-read\n`);
  assert.deepEqual(firewall, {
    available: true,
    chains: [
      { table: 'filter', name: 'FORWARD', policy: 'DROP' },
      { table: 'nat', name: 'POSTROUTING', policy: 'ACCEPT' },
    ],
    rules: [{ table: 'filter', chain: 'FORWARD', args: ['-m', 'comment', '--comment', 'podnet', '-j', 'PODNET-FORWARD'] }],
  });
  const failed = sections('@@podnet iptables\niptables-save v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied\n@@podnet iptables-failed\n');
  assert.match(failed?.available === false ? failed.reason : '', /^iptables-save failed: .*Permission denied$/, 'the message printed before the marker');
});
