// The schema validator is Ajv standalone code compiled at build time (scripts/compile-schema.mjs →
// src/config/cluster-schema.generated.ts): it must be the schema of today, and say exactly what
// Ajv compiling the schema at run time said (the messages of schema-check.ts are built on them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Ajv2020 } from 'ajv/dist/2020.js';
import * as compiled from '../../src/config/cluster-schema.generated.js';

function check(...args: string[]): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['scripts/compile-schema.mjs', '--check', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stderr: r.stderr };
}

test('the generated validator is the one schemas/cluster.schema.json gives now', () => {
  const fresh = check();
  assert.equal(fresh.code, 0, fresh.stderr);
});

test('the check fails when the schema changed and the validator was not generated again', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-schema-'));
  try {
    const schema = JSON.parse(readFileSync('schemas/cluster.schema.json', 'utf8')) as { properties: { subnetPrefix: { maximum: number } } };
    schema.properties.subnetPrefix.maximum = 29;
    const changed = join(dir, 'cluster.schema.json');
    writeFileSync(changed, JSON.stringify(schema, null, 2));
    const stale = check('--schema', changed);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /src\/config\/cluster-schema\.generated\.ts is stale against schemas\/cluster\.schema\.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

interface Validator {
  (data: unknown): boolean;
  errors?: unknown[] | null;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

test('the compiled validators report what Ajv compiling the schema at run time reports, error for error', () => {
  const schema = JSON.parse(readFileSync('schemas/cluster.schema.json', 'utf8')) as { $id: string; $defs: Record<string, unknown> };
  const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true });
  ajv.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
  ajv.addSchema(schema);
  const generated = compiled as unknown as Record<string, Validator>;
  const documents: [string, unknown][] = [];
  for (const file of [...yamlFiles('examples'), ...yamlFiles('test/fixtures/config')]) {
    try {
      documents.push([file, parse(readFileSync(file, 'utf8'))]);
    } catch {
      // a YAML syntax error: the schema never sees it
    }
  }
  documents.push(
    ['not a mapping', [1, 2]],
    ['wrong types everywhere', { podCidr: 1, subnetPrefix: 'x', routing: 'bgp', bridge: { name: 'a/b', mtu: 1e9 }, egress: { masquerade: 'yes', verifyTarget: '' }, nodes: 'x' }],
    ['a surrogate pair in a minLength string', { podCidr: '10.0.0.0/8', inventory: '\u{1F600}', nodes: { fromInventoryGroup: '' } }],
    ['bad nodes', { podCidr: '10.0.0.0/8', nodes: [{}, 'node1', { name: 'N!', ssh: { port: 0, user: '9', proxyJump: '@', keepaliveCountMax: 1.5, extra: 1 } }] }],
  );
  assert.ok(documents.length > 40, `${documents.length} documents`);
  let invalid = 0;
  for (const [name, data] of documents) {
    const reference = ajv.getSchema(schema.$id) as unknown as Validator;
    const ours = generated.validateCluster as Validator;
    const valid = reference(data);
    assert.equal(ours(data), valid, name);
    assert.deepEqual(ours.errors ?? null, reference.errors ?? null, name);
    if (!valid) invalid++;
    for (const def of Object.keys(schema.$defs)) {
      const referenceDef = ajv.getSchema(`${schema.$id}#/$defs/${def}`) as unknown as Validator;
      const ourDef = generated[`def_${def}`] as Validator;
      for (const value of ['node1', 'N!', '', 22, 'a@b:1', { host: 'x' }]) {
        assert.equal(ourDef(value), referenceDef(value), `${def} ${JSON.stringify(value)}`);
        assert.deepEqual(ourDef.errors ?? null, referenceDef.errors ?? null, `${def} ${JSON.stringify(value)}`);
      }
    }
  }
  assert.ok(invalid > 20, `${invalid} invalid documents compared`);
});
