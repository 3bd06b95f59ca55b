// The `egress:` section: masquerade off by default, on when asked, anything else a diagnostic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadText } from './helpers.js';

const NODES = 'nodes:\n  - name: node1\n    address: 192.168.1.11\n';

test('without an egress section masquerade is off', () => {
  const result = loadText(`podCidr: 10.244.0.0/16\n${NODES}`);
  assert.ok(result.ok);
  assert.deepEqual(result.cluster.egress, { masquerade: false });
});

test('egress.masquerade: true turns it on; an empty egress section leaves it off', () => {
  const on = loadText(`podCidr: 10.244.0.0/16\negress:\n  masquerade: true\n${NODES}`);
  assert.ok(on.ok);
  assert.deepEqual(on.cluster.egress, { masquerade: true });
  const empty = loadText(`podCidr: 10.244.0.0/16\negress: {}\n${NODES}`);
  assert.ok(empty.ok);
  assert.deepEqual(empty.cluster.egress, { masquerade: false });
});

test('a non-boolean masquerade or an unknown egress key is refused at its line', () => {
  const result = loadText(`podCidr: 10.244.0.0/16\negress:\n  masquerade: "yes"\n  snat: 1.2.3.4\n${NODES}`);
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.deepEqual(result.diagnostics.map((d) => d.line).sort(), [3, 4]);
});

test('egress.verifyTarget: the default of verify --egress-target; an IPv4 address outside the pod CIDR, else refused at its line', () => {
  const ok = loadText(`podCidr: 10.244.0.0/16\negress:\n  masquerade: true\n  verifyTarget: 192.168.1.1\n${NODES}`);
  assert.ok(ok.ok);
  assert.deepEqual(ok.cluster.egress, { masquerade: true, verifyTarget: '192.168.1.1' });
  const inside = loadText(`podCidr: 10.244.0.0/16\negress:\n  verifyTarget: 10.244.9.9\n${NODES}`);
  assert.ok(!inside.ok);
  assert.deepEqual(inside.diagnostics.map((d) => [d.line, d.col, d.message]), [[3, 17, 'egress.verifyTarget 10.244.9.9 is inside the pod CIDR 10.244.0.0/16: egress is traffic leaving it']]);
  const bad = loadText(`podCidr: 10.244.0.0/16\negress:\n  verifyTarget: "1.2.3.4; reboot"\n${NODES}`);
  assert.ok(!bad.ok);
  assert.match(bad.diagnostics[0]?.message ?? '', /^egress\.verifyTarget 1\.2\.3\.4; reboot: not a valid IPv4 address$/);
});
