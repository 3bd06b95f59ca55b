import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Change, Step } from '../../src/model/plan.js';
import { describeStep, groupSteps, parseApplyOutcome, renderApplyCommand, renderStateFileCommand } from '../../src/scripts/apply-script.js';

const ip = (...args: string[]): Step => ({ run: 'ip', args });

// The shape of a fresh node: forwarding, a new bridge (ONE change, two ip steps), its address, a route.
const changes: Change[] = [
  {
    kind: 'sysctl',
    key: 'net.ipv4.ip_forward',
    action: 'update',
    before: { key: 'net.ipv4.ip_forward', value: 0 },
    after: { key: 'net.ipv4.ip_forward', value: 1 },
    reason: { code: 'differs' },
    steps: [{ run: 'command', argv: ['sysctl', '-w', 'net.ipv4.ip_forward=1'] }],
  },
  {
    kind: 'link',
    key: 'v-net-0',
    action: 'create',
    after: { name: 'v-net-0', kind: 'bridge', up: true },
    reason: { code: 'missing' },
    steps: [ip('link', 'add', 'v-net-0', 'type', 'bridge'), ip('link', 'set', 'dev', 'v-net-0', 'up')],
  },
  {
    kind: 'address',
    key: '10.244.1.1/24 on v-net-0',
    action: 'create',
    after: { address: '10.244.1.1/24', dev: 'v-net-0' },
    reason: { code: 'missing' },
    steps: [ip('address', 'add', '10.244.1.1/24', 'dev', 'v-net-0')],
  },
  {
    kind: 'route',
    key: '10.244.2.0/24',
    action: 'create',
    after: { dst: '10.244.2.0/24', gateway: '192.168.1.12', protocol: '201' },
    reason: { code: 'missing' },
    steps: [ip('route', 'replace', '10.244.2.0/24', 'via', '192.168.1.12', 'proto', '201')],
  },
];

const withStep = (step: Step): Change => ({ kind: 'link', key: 'x', action: 'create', reason: { code: 'missing' }, steps: [step] });

test('consecutive ip steps share one batch, across changes; other steps run on their own, in order', () => {
  const groups = groupSteps(changes);
  assert.deepEqual(
    groups.map((g) => [g.steps.map((s) => [s.change, s.index]), g.batch, g.lines.length]),
    [
      [[[0, 0]], false, 1],
      [
        [
          [1, 1],
          [1, 2],
          [2, 3],
          [3, 4],
        ],
        true,
        4,
      ],
    ],
  );
  assert.equal(groups[1]!.lines[3], 'route replace 10.244.2.0/24 via 192.168.1.12 proto 201');
});

test('a non-ip step between ip steps splits the batch', () => {
  const groups = groupSteps([
    withStep(ip('link', 'set', 'dev', 'a', 'up')),
    withStep({ run: 'command', argv: ['iptables', '-w', '-t', 'filter', '-N', 'PODNET-FORWARD'] }),
    withStep(ip('link', 'set', 'dev', 'b', 'up')),
  ]);
  assert.deepEqual(
    groups.map((g) => [g.batch, g.lines]),
    [
      [true, ['link set dev a up']],
      [false, ['iptables -w -t filter -N PODNET-FORWARD']],
      [true, ['link set dev b up']],
    ],
  );
});

test('the apply command carries the batch as a here-document and gathers afterwards', () => {
  const command = renderApplyCommand(changes, []);
  assert.match(command, /ip -batch - <<'PODNET_BATCH_END'\nlink add v-net-0 type bridge\nlink set dev v-net-0 up\naddress add/);
  assert.match(command, /printf '%s\\n' 1 > \/proc\/sys\/net\/ipv4\/ip_forward/);
  assert.match(command, /@@podnet ip'/);
});

test('an unsafe word never reaches a batch line', () => {
  assert.throws(() => groupSteps([withStep(ip('link', 'set', 'dev', 'a b', 'up'))]), /unsafe word/);
  assert.throws(() => groupSteps([withStep(ip('link', 'set', 'dev', "a'b", 'up'))]), /unsafe word/);
});

test('an unsafe file path or mode is refused before any shell is written', () => {
  const file = (path: string, mode: string): Change => withStep({ run: 'install-file', path, mode, content: 'x' });
  assert.throws(() => groupSteps([file('/opt/cni/bin/pod net', '755')]), /unsafe file path/);
  assert.throws(() => groupSteps([file('/opt/../etc/passwd', '755')]), /unsafe file path/);
  assert.throws(() => groupSteps([file('/opt/cni/bin/podnet', '7x5')]), /bad file mode/);
});

test('"Command failed -:N" maps back to the Nth step of that batch and its change', () => {
  const outcome = parseApplyOutcome(changes, '@@podnet failed-group 1\n', 'Error: ipv4: Address already assigned.\nCommand failed -:3\n');
  assert.equal(outcome.ok, false);
  if (outcome.ok) return;
  assert.equal(outcome.step?.index, 3);
  assert.equal(outcome.step?.change, 2);
  assert.equal(outcome.change?.kind, 'address');
  assert.equal(outcome.change?.key, '10.244.1.1/24 on v-net-0');
  assert.equal(outcome.message, 'Error: ipv4: Address already assigned.');
});

test('the second step of a change that failed names that change (a bridge with several steps)', () => {
  const outcome = parseApplyOutcome(changes, '@@podnet failed-group 1\n', 'RTNETLINK answers: Operation not permitted\nCommand failed -:2\n');
  assert.equal(outcome.ok, false);
  if (outcome.ok) return;
  assert.deepEqual([outcome.step?.index, outcome.change?.kind, outcome.change?.key], [2, 'link', 'v-net-0']);
  assert.equal(describeStep(outcome.step!.step), 'ip link set dev v-net-0 up');
});

test('a failing non-ip step is that step', () => {
  const outcome = parseApplyOutcome(changes, '@@podnet failed-group 0\n', 'sysctl: permission denied\n');
  assert.deepEqual(outcome.ok ? null : [outcome.step?.index, outcome.change?.key, outcome.message], [0, 'net.ipv4.ip_forward', 'sysctl: permission denied']);
});

test('a group the output names that does not exist: no step, the output as the message', () => {
  const outcome = parseApplyOutcome(changes, '@@podnet failed-group 7\n', 'boom\n');
  assert.deepEqual(outcome, { ok: false, step: undefined, change: undefined, message: 'boom' });
});

test('no failure marker means every step ran', () => {
  assert.deepEqual(parseApplyOutcome(changes, '@@podnet links\n[]\n', ''), { ok: true });
});

test('steps as people read them', () => {
  assert.equal(describeStep(ip('route', 'replace', '10.244.2.0/24', 'via', '192.168.1.12', 'proto', '201')), 'ip route replace 10.244.2.0/24 via 192.168.1.12 proto 201');
  assert.equal(describeStep({ run: 'install-file', path: '/opt/cni/bin/podnet', mode: '755', content: '#!/bin/sh' }), 'install-file /opt/cni/bin/podnet 755');
  assert.equal(describeStep({ run: 'script', script: 'echo hi' }), 'sh -c <script>');
  assert.equal(describeStep({ run: 'command', argv: ['sysctl', '-w', 'net.ipv4.ip_forward=1'] }), 'sysctl -w net.ipv4.ip_forward=1');
});

test("the failure message is the output's lines, trimmed and joined, without the batch line number", () => {
  const outcome = parseApplyOutcome(changes, '@@podnet failed-group 1\n', '  Error: one  \n\nRTNETLINK answers: two\nCommand failed -:1\n');
  assert.equal(outcome.ok ? undefined : outcome.message, 'Error: one; RTNETLINK answers: two');
});

test('a failure with no output says a step failed', () => {
  const named = parseApplyOutcome(changes, '@@podnet failed-group 0\n', '');
  assert.equal(named.ok ? undefined : named.message, 'the step failed');
  const unnamed = parseApplyOutcome(changes, '@@podnet failed-group 9\n', ' \n');
  assert.equal(unnamed.ok ? undefined : unnamed.message, 'a step failed');
});

test('a file at the root of the file system is written from /', () => {
  const [group] = groupSteps([withStep({ run: 'install-file', path: '/podnet.conf', mode: '644', content: 'x' })]);
  assert.match(group?.lines[0] ?? '', /\{ \[ -d \/ \] \|\| mkdir -p \/; \} && \[ ! -e \/\.podnet\.[0-9a-f]{16}0 \]/);
});


test('sysctl -w is written by the shell itself (no process); other commands, and keys or values outside plain words, run as they are', () => {
  const sysctl = (...argv: string[]): Change => withStep({ run: 'command', argv });
  const line = (argv: string[]): string => groupSteps([sysctl(...argv)])[0]?.lines[0] ?? '';
  assert.equal(line(['sysctl', '-w', 'net.ipv4.ip_forward=1']), "printf '%s\\n' 1 > /proc/sys/net/ipv4/ip_forward");
  assert.equal(line(['sysctl', '-w', 'net.ipv4.conf.all.rp_filter=2']), "printf '%s\\n' 2 > /proc/sys/net/ipv4/conf/all/rp_filter");
  assert.equal(line(['sysctl', '-w', 'net/ipv4/ip_forward=1']), 'sysctl -w net/ipv4/ip_forward=1');
  assert.equal(line(['sysctl', '-w', 'net.ipv4.ip_forward=1 2']), "sysctl -w 'net.ipv4.ip_forward=1 2'");
  assert.equal(line(['sysctl', '-w', 'net.ipv4.ip_forward']), 'sysctl -w net.ipv4.ip_forward');
  assert.equal(line(['sysctl', '-q', 'net.ipv4.ip_forward=1']), 'sysctl -q net.ipv4.ip_forward=1');
  assert.equal(line(['rm', '-f', '/etc/x']), 'rm -f /etc/x');
});

test("the record of the files' digests is written with the state file, after the last step, in the steps' subshell; it waits a clock tick only after a file was installed", () => {
  const files = ['/opt/cni/bin/podnet'];
  const state = { path: '/var/lib/podnet/state.json', content: '{}' };
  const install: Change = {
    kind: 'file',
    key: '/opt/cni/bin/podnet',
    action: 'create',
    after: { path: '/opt/cni/bin/podnet', mode: '755', sha256: 'a'.repeat(64) },
    reason: { code: 'missing' },
    steps: [{ run: 'install-file', path: '/opt/cni/bin/podnet', mode: '755', content: '#!/bin/sh\n' }],
  };
  const routesOnly = renderApplyCommand(changes, files, {}, '', 'abc', state);
  const [steps, gather] = routesOnly.split('\n)\n');
  assert.ok(gather !== undefined && gather.includes('@@podnet files_sha256'), 'the gather follows the subshell');
  const record = steps!.indexOf("stat -c '%a %i %s %.9Z %n'");
  assert.ok(record > steps!.lastIndexOf('PODNET_BATCH_END'), 'after the last step');
  assert.ok(record > steps!.indexOf('/var/lib/podnet/state.json'), 'after the state file');
  assert.ok(steps!.includes('/var/lib/podnet/.podnet.abcr'));
  assert.ok(!steps!.includes('sleep'), 'no file installed: no wait');
  assert.ok(renderApplyCommand([...changes, install], files, {}, '', 'abc', state).split('\n)\n')[0]!.includes('sleep 0.02'));
  assert.ok(!renderApplyCommand(changes, [], {}, '', 'abc', state).includes('.podnet.abcr'), 'no managed file: no record');
  assert.ok(!renderApplyCommand(changes, files, {}, '', 'abc').includes('.podnet.abcr'), 'no state file written (destroy): no record');
  assert.ok(renderStateFileCommand(state, '', 'abc', { paths: files }).includes('/var/lib/podnet/.podnet.abcr'), "the converged node's record write carries it too");
});
