// Live progress on a terminal: redrawn in place, never over what was printed after a block ended.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProgress } from '../../src/cli/progress.js';

const CURSOR_UP = new RegExp(`${String.fromCharCode(27)}\\[\\d+A`);

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = { isTTY, columns: 80, write: (chunk: string) => written.push(chunk) } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

test('on a terminal each update redraws the block of node lines in place', () => {
  const { stream, written } = fakeStream(true);
  const progress = createProgress(stream, ['node1', 'node2'], true);
  progress.update('node1', { kind: 'connecting' });
  progress.update('node2', { kind: 'gathered' });
  assert.doesNotMatch(written[0]!, CURSOR_UP, 'the first draw moves nowhere');
  assert.ok(written[1]!.startsWith(`${String.fromCharCode(27)}[2A`), 'later draws go back up over the block');
  assert.match(written[1]!, /node1 {2}connecting\n.*node2 {2}gathered\n$/s);
});

test('after done() the next update starts a new block instead of overwriting the lines printed since', () => {
  const { stream, written } = fakeStream(true);
  const progress = createProgress(stream, ['node1'], true);
  progress.update('node1', { kind: 'gathered' });
  progress.done();
  const before = written.length;
  progress.update('node1', { kind: 'applying', changes: 3 });
  assert.doesNotMatch(written[before]!, CURSOR_UP);
  assert.match(written[before]!, /node1 {2}applying 3 change\(s\)/);
});

test('off a terminal progress is plain lines; disabled progress prints nothing', () => {
  const plain = fakeStream(false);
  createProgress(plain.stream, ['node1'], true).update('node1', { kind: 'unreachable', message: 'connection refused' });
  assert.deepEqual(plain.written, ['node1: unreachable: connection refused\n']);
  const off = fakeStream(true);
  createProgress(off.stream, ['node1'], false).update('node1', { kind: 'converged' });
  assert.deepEqual(off.written, []);
});

test('a notice (a host key recorded) is printed above the live block, which is drawn again below it; off a terminal it is a plain line', () => {
  const { stream, written } = fakeStream(true);
  const progress = createProgress(stream, ['node1', 'node2'], true);
  progress.update('node1', { kind: 'connecting' });
  progress.note('node1: permanently added');
  const after = written.slice(1).join('');
  assert.ok(after.startsWith(`${String.fromCharCode(27)}[2A${String.fromCharCode(27)}[2Knode1: permanently added\n`), JSON.stringify(after));
  assert.match(after, /permanently added\n.*node1 {2}connecting\n.*node2 {2}waiting\n$/s);
  progress.update('node2', { kind: 'gathered' });
  assert.ok(written.at(-1)!.startsWith(`${String.fromCharCode(27)}[2A`), 'the block is still two lines, below the notice');
  const plain = fakeStream(false);
  createProgress(plain.stream, ['node1'], false).note('node1: permanently added');
  assert.deepEqual(plain.written, ['node1: permanently added\n'], 'printed even when progress is off (JSON output)');
});
