// The `metrics:` section: textfileDir, a safe absolute path, or a diagnostic at its line and column.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadText } from './helpers.js';

const NODES = 'nodes:\n  - name: node1\n    address: 192.168.1.11\n';

test('without a metrics section no textfile is written', () => {
  const result = loadText(`podCidr: 10.244.0.0/16\n${NODES}`);
  assert.ok(result.ok);
  assert.equal(result.cluster.metrics, undefined);
});

test('metrics.textfileDir is taken as written', () => {
  const result = loadText(`podCidr: 10.244.0.0/16\nmetrics:\n  textfileDir: /var/lib/prometheus/node-exporter\n${NODES}`);
  assert.ok(result.ok);
  assert.deepEqual(result.cluster.metrics, { textfileDir: '/var/lib/prometheus/node-exporter' });
});

test('an unsafe, relative or missing textfileDir, or an unknown key, is refused at its line and column', () => {
  for (const [yaml, line, col, message] of [
    ['metrics:\n  textfileDir: "/var/lib/x; reboot"\n', 3, 16, /textfileDir.*absolute path/],
    ['metrics:\n  textfileDir: var/lib/x\n', 3, 16, /absolute path/],
    ['metrics:\n  textfileDir: /var/../etc\n', 3, 16, /absolute path/],
    ['metrics: {}\n', 2, 10, /textfileDir/],
    ['metrics:\n  textfileDir: /x\n  port: 9100\n', 4, 3, /port/],
  ] as const) {
    const result = loadText(`podCidr: 10.244.0.0/16\n${yaml}${NODES}`);
    assert.equal(result.ok, false, yaml);
    if (result.ok) continue;
    assert.equal(result.diagnostics.length, 1, JSON.stringify(result.diagnostics));
    const [d] = result.diagnostics;
    assert.deepEqual([d?.line, d?.col], [line, col], `${yaml}: ${JSON.stringify(d)}`);
    assert.match(d?.message ?? '', message);
  }
});
