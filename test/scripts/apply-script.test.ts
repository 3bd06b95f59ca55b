import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Change } from '../../src/model/types.js';
import { groupSteps, parseApplyOutcome, renderApplyCommand } from '../../src/scripts/apply-script.js';

const step = (object: string, argv: string[]): Change => ({ action: 'create', kind: 'route', object, reason: 'missing', argv });

const changes: Change[] = [
  step('sysctl net.ipv4.ip_forward', ['sysctl', '-w', 'net.ipv4.ip_forward=1']),
  step('link v-net-0', ['ip', 'link', 'add', 'v-net-0', 'type', 'bridge']),
  step('link v-net-0', ['ip', 'link', 'set', 'dev', 'v-net-0', 'up']),
  step('address 10.244.1.1/24 on v-net-0', ['ip', 'address', 'add', '10.244.1.1/24', 'dev', 'v-net-0']),
  step('route 10.244.2.0/24', ['ip', 'route', 'replace', '10.244.2.0/24', 'via', '192.168.1.12', 'proto', '201']),
];

test('consecutive ip steps share one batch; other steps run on their own, in order', () => {
  const groups = groupSteps(changes);
  assert.deepEqual(
    groups.map((g) => [g.firstStep, g.batch, g.lines.length]),
    [
      [0, false, 1],
      [1, true, 4],
    ],
  );
  assert.equal(groups[1]!.lines[3], 'route replace 10.244.2.0/24 via 192.168.1.12 proto 201');
});

test('the apply command carries the batch as a here-document and gathers afterwards', () => {
  const command = renderApplyCommand(changes);
  assert.match(command, /ip -batch - <<'PODNET_BATCH_END'\nlink add v-net-0 type bridge\n/);
  assert.match(command, /sysctl -w net.ipv4.ip_forward=1/);
  assert.match(command, /@@podnet ip'/);
});

test('an unsafe word never reaches a batch line', () => {
  assert.throws(() => groupSteps([step('x', ['ip', 'link', 'set', 'dev', 'a b', 'up'])]), /unsafe word/);
  assert.throws(() => groupSteps([step('x', ['ip', 'link', 'set', 'dev', "a'b", 'up'])]), /unsafe word/);
});

test('"Command failed -:N" maps back to the Nth step of that batch', () => {
  const outcome = parseApplyOutcome(changes, '@@podnet-failed-group 1\n', 'Error: ipv4: Address already assigned.\nCommand failed -:3\n');
  assert.equal(outcome.ok, false);
  if (outcome.ok) return;
  assert.equal(outcome.stepIndex, 3);
  assert.equal(outcome.change?.object, 'address 10.244.1.1/24 on v-net-0');
  assert.equal(outcome.message, 'Error: ipv4: Address already assigned.');
});

test('a failing non-ip step is that step', () => {
  const outcome = parseApplyOutcome(changes, '@@podnet-failed-group 0\n', 'sysctl: permission denied\n');
  assert.deepEqual(outcome.ok ? null : [outcome.stepIndex, outcome.message], [0, 'sysctl: permission denied']);
});

test('no failure marker means every step ran', () => {
  assert.deepEqual(parseApplyOutcome(changes, '@@podnet links\n[]\n', ''), { ok: true });
});
