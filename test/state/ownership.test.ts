// What podnet owns, by its marks: routes by protocol, bridges by alias (and only bridges).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPodnetBridge, isPodnetRoute } from '../../src/state/ownership.js';

test('only a bridge with the podnet alias is ours: a veth or dummy with that alias is not', () => {
  assert.equal(isPodnetBridge({ kind: 'bridge', alias: 'podnet' }), true);
  assert.equal(isPodnetBridge({ kind: 'veth', alias: 'podnet' }), false);
  assert.equal(isPodnetBridge({ kind: 'dummy', alias: 'podnet' }), false);
  assert.equal(isPodnetBridge({ kind: 'bridge', alias: 'docker' }), false);
  assert.equal(isPodnetBridge({ kind: 'bridge' }), false);
});

test('routes are ours by protocol 201 or its name, never by kernel, boot or static', () => {
  for (const protocol of ['201', 'podnet']) assert.equal(isPodnetRoute({ protocol }), true, protocol);
  for (const protocol of ['kernel', 'boot', 'static', '200', '']) assert.equal(isPodnetRoute({ protocol }), false, protocol);
});
