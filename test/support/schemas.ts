// The JSON Schemas of podnet's outputs (schemas/*.schema.json), compiled once with Ajv (draft
// 2020-12, strict), and a check that names what failed.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';

export const SCHEMA_DIR = join(process.cwd(), 'schemas');

/** Every output schema (cluster.schema.json describes the input and is tested in test/config). */
export const OUTPUT_SCHEMAS = readdirSync(SCHEMA_DIR)
  .filter((f) => f.endsWith('.schema.json') && f !== 'cluster.schema.json')
  .sort();

export type Schema = Record<string, unknown> & { $id: string };

export function readSchema(file: string): Schema {
  return JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as Schema;
}

let ajv: Ajv2020 | undefined;

function compiled(): Ajv2020 {
  if (ajv !== undefined) return ajv;
  ajv = new Ajv2020({ allErrors: true, strict: true });
  for (const file of OUTPUT_SCHEMAS) ajv.addSchema(readSchema(file));
  return ajv;
}

/** Validates `value` against schemas/FILE; fails with Ajv's errors and where. */
export function assertValid(file: string, value: unknown, what = file): void {
  const validate = compiled().getSchema(readSchema(file).$id);
  assert.ok(validate !== undefined, `${file} did not compile`);
  if (!validate(value)) assert.fail(`${what} does not match ${file}:\n${JSON.stringify(validate.errors?.slice(0, 8), null, 2)}`);
}

/** Whether `value` matches schemas/FILE. */
export function isValid(file: string, value: unknown): boolean {
  const validate = compiled().getSchema(readSchema(file).$id);
  assert.ok(validate !== undefined);
  return validate(value) === true;
}
