// The schema editors and the config check use, and the node-script guards, must agree: every
// `pattern` in schemas/cluster.schema.json is one of src/model/names.ts, spelled the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as names from '../../src/model/names.js';

const schema: unknown = JSON.parse(readFileSync('schemas/cluster.schema.json', 'utf8'));

/** Every `pattern` keyword in the schema, by JSON pointer. */
function patternsOf(value: unknown, pointer = ''): Map<string, string> {
  const found = new Map<string, string>();
  if (value === null || typeof value !== 'object') return found;
  for (const [key, child] of Object.entries(value)) {
    if (key === 'pattern' && typeof child === 'string') found.set(pointer, child);
    else for (const [p, text] of patternsOf(child, `${pointer}/${key}`)) found.set(p, text);
  }
  return found;
}

const expected: Record<string, RegExp> = {
  '/properties/cni/properties/networkName': names.CNI_NETWORK_NAME_PATTERN,
  '/$defs/absolutePath': names.ABSOLUTE_PATH_PATTERN,
  '/$defs/nodeName': names.NODE_NAME_PATTERN,
  '/$defs/interfaceName': names.INTERFACE_NAME_PATTERN,
  '/$defs/sshHost': names.SSH_HOST_PATTERN,
  '/$defs/sshUser': names.SSH_USER_PATTERN,
  '/$defs/proxyJump': names.PROXY_JUMP_PATTERN,
};

test('every schema pattern is the names.ts pattern of the same thing', () => {
  const inSchema = patternsOf(schema);
  assert.deepEqual([...inSchema.keys()].sort(), Object.keys(expected).sort(), 'a schema pattern without a names.ts counterpart (or one gone)');
  for (const [pointer, text] of inSchema) {
    assert.equal(new RegExp(text, 'u').source, expected[pointer]?.source, pointer);
  }
});

test('the path pattern refuses what a script must never see', () => {
  for (const good of ['/opt/cni/bin', '/a', '/var/lib/cni.d/x+y_z-1', '/a/.hidden']) assert.ok(names.ABSOLUTE_PATH_PATTERN.test(good), good);
  for (const bad of ['', '/', 'rel/path', '/a/', '/a/../b', '/a/./b', '/..', '/a b', "/a'b", '/a$(x)', '//a']) {
    assert.ok(!names.ABSOLUTE_PATH_PATTERN.test(bad), bad);
  }
  assert.ok(names.isSafeDirectory('/srv/cni/'));
  assert.ok(!names.isSafeDirectory('/srv/../cni/'));
});
