// The recap lines up (node names padded to the longest, every count column as wide as its widest
// entry) and wraps long node errors at 80 columns, indented under the counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderRecap, type NodeResult } from '../../src/render/recap.js';

const results: NodeResult[] = [
  { node: 'node1', status: 'converged', changed: 12, ok: 5 },
  { node: 'n2', status: 'converged', changed: 0, ok: 17 },
  { node: 'node-three', status: 'unreachable', changed: 0, ok: 0, error: 'node-three: connect timed out after 10 s (no answer from 192.168.1.13:22); is the address right and sshd running?' },
  {
    node: 'node4',
    status: 'failed',
    changed: 3,
    ok: 104,
    failedStep: { index: 6, kind: 'route', key: '10.244.9.0/24', command: 'ip route replace 10.244.9.0/24 via 192.168.1.99 proto 201', message: 'Error: Nexthop has invalid gateway. The kernel refused the route because 192.168.1.99 is not on a connected network.' },
  },
];

test('recap: names, counts and statuses line up in columns', () => {
  const recap = renderRecap(results, { color: false });
  const rows = recap.split('\n').filter((line) => / : ok=/.test(line));
  assert.equal(rows.length, 4);
  for (const column of [' : ', 'changed=', 'failed=', 'unreachable=']) {
    const at = new Set(rows.map((row) => row.indexOf(column)));
    assert.equal(at.size, 1, `"${column}" starts in one column: ${rows.join(' | ')}`);
  }
  const statusAt = new Set(rows.map((row) => row.search(/(converged|unreachable|failed)$/)));
  assert.equal(statusAt.size, 1, `the statuses line up:\n${rows.join('\n')}`);
  assert.equal(rows[0], 'node1      : ok=5    changed=12  failed=0  unreachable=0  converged');
  assert.equal(rows[3], 'node4      : ok=104  changed=3   failed=1  unreachable=0  failed');
});

test('recap: long errors wrap at 80 columns, indented under the counts', () => {
  const recap = renderRecap(results, { color: false });
  const lines = recap.split('\n');
  assert.deepEqual(lines.filter((line) => line.length > 80), []);
  const indent = ' '.repeat('node-three : '.length);
  assert.ok(lines.includes(`${indent}node-three: connect timed out after 10 s (no answer from`), recap);
  assert.ok(lines.includes(`${indent}  192.168.1.13:22); is the address right and sshd running?`), recap);
  assert.ok(lines.includes(`${indent}step 7 (route 10.244.9.0/24) failed: ip route replace 10.244.9.0/24`), recap);
  assert.ok(lines.includes(`${indent}  via 192.168.1.99 proto 201`), recap);
  // Wider output (a terminal) keeps more on a line.
  const wide = renderRecap(results, { color: false, width: 120 });
  assert.ok(wide.split('\n').includes(`${indent}step 7 (route 10.244.9.0/24) failed: ip route replace 10.244.9.0/24 via 192.168.1.99 proto 201`));
});

test('recap: with colour, the same columns (colour codes aside)', () => {
  // eslint-disable-next-line no-control-regex -- stripping the renderer's own colour codes
  const coloured = renderRecap(results, { color: true }).replace(/\u001b\[\d+m/g, '');
  assert.equal(coloured, renderRecap(results, { color: false }));
});
