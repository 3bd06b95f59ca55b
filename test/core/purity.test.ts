// The core is pure: no file under src/core may import node:* modules, processes, sockets, fs or ssh2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const CORE = join(process.cwd(), 'src', 'core');
const FORBIDDEN = /^(node:.*|child_process|net|fs|fs\/promises|ssh2|dgram|tls|http|https|os|process|worker_threads|cluster)$/;
// import … from 'x', export … from 'x', import 'x', import('x'), require('x')
const SPECIFIERS = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(['"])([^'"]+)\1/g;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function forbiddenImports(source: string): string[] {
  return [...source.matchAll(SPECIFIERS)].map((m) => m[2] ?? '').filter((spec) => FORBIDDEN.test(spec));
}

test('the purity scan catches every import form', () => {
  assert.deepEqual(
    forbiddenImports(`import { readFileSync } from 'node:fs';\nimport * as cp from "child_process";\nexport { x } from 'ssh2';\nconst n = await import('net');\nconst f = require('fs');\nimport 'node:os';`),
    ['node:fs', 'child_process', 'ssh2', 'net', 'fs', 'node:os'],
  );
  assert.deepEqual(forbiddenImports(`import { IPv4 } from 'ip-num';\nimport type { Plan } from './model.js';\n// from 'fs' in a comment is text`), ['fs']);
});

test('src/core imports no node:* modules, processes, sockets, fs or ssh2', () => {
  const files = tsFiles(CORE);
  assert.ok(files.length > 5, `found ${files.length} files under src/core`);
  const offences = files.flatMap((file) => forbiddenImports(readFileSync(file, 'utf8')).map((spec) => `${relative(process.cwd(), file)}: imports ${spec}`));
  assert.deepEqual(offences, []);
});
