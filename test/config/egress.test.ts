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
