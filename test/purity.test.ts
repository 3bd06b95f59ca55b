// The pure folders (config, model, state, plan, node scripts, probe planning, render) import no
// I/O: no node:* module but node:crypto (hashing is a pure function), no processes, sockets, fs or ssh2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const PURE_FOLDERS = ['config', 'model', 'cni', 'state', 'plan', 'scripts', 'probe', 'render'];
const FORBIDDEN = /^(node:(?!crypto$).*|child_process|net|fs|fs\/promises|ssh2|dgram|tls|http|https|os|process|worker_threads|cluster|crypto)$/;
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

/** Relative imports of a pure file that leave the pure folders (an impure module drags its I/O in). */
function impureNeighbours(file: string, source: string): string[] {
  const pure = PURE_FOLDERS.map((folder) => join(process.cwd(), 'src', folder));
  return [...source.matchAll(SPECIFIERS)]
    .map((m) => m[2] ?? '')
    .filter((spec) => spec.startsWith('.') && !spec.endsWith('.json'))
    .filter((spec) => {
      const target = join(file, '..', spec);
      return !pure.some((folder) => target.startsWith(folder + '/'));
    });
}

test('the purity scan catches every import form', () => {
  assert.deepEqual(
    forbiddenImports(`import { readFileSync } from 'node:fs';\nimport * as cp from "child_process";\nexport { x } from 'ssh2';\nconst n = await import('net');\nconst f = require('fs');\nimport 'node:os';`),
    ['node:fs', 'child_process', 'ssh2', 'net', 'fs', 'node:os'],
  );
  assert.deepEqual(forbiddenImports(`import { IPv4 } from 'ip-num';\nimport type { Plan } from './model.js';\n// from 'fs' in a comment is text`), ['fs']);
  assert.deepEqual(forbiddenImports(`import { createHash } from 'node:crypto';\nimport 'node:crypto/x';`), ['node:crypto/x']);
});

test('the pure folders import no I/O, and nothing outside the pure folders', () => {
  const files = PURE_FOLDERS.flatMap((folder) => tsFiles(join(process.cwd(), 'src', folder)));
  assert.ok(files.length > 30, `found ${files.length} files under the pure folders`);
  const offences = files.flatMap((file) => {
    const source = readFileSync(file, 'utf8');
    const name = relative(process.cwd(), file);
    return [
      ...forbiddenImports(source).map((spec) => `${name}: imports ${spec}`),
      ...impureNeighbours(file, source).map((spec) => `${name}: imports ${spec}, outside the pure folders`),
    ];
  });
  assert.deepEqual(offences, []);
});
