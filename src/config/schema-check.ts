// Schema validation against schemas/cluster.schema.json, errors turned into messages that say what
// to write instead. The validators are Ajv standalone code compiled at build time
// (scripts/compile-schema.mjs writes cluster-schema.generated.ts): ajv itself is not loaded here.
import type { ErrorObject } from 'ajv';
import type { Diagnostic } from '../model/types.js';
import * as compiled from './cluster-schema.generated.js';
import { didYouMean } from './did-you-mean.js';
import type { JsonPath, YamlLocator } from './yaml-positions.js';

/** A compiled validator, as Ajv's ValidateFunction: true when valid, else its `errors`. */
interface CompiledValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

type DefinitionName = keyof (typeof import('../../schemas/cluster.schema.json'))['$defs'];

const validators = compiled as unknown as Record<string, CompiledValidator | undefined>;

function compiledValidator(name: string): CompiledValidator {
  const validate = validators[name];
  if (validate === undefined) throw new Error(`no compiled schema validator ${name} (run node scripts/compile-schema.mjs)`);
  return validate;
}

/** Validator of one `$defs` entry (for values that come from an inventory, not from YAML). */
export function definitionValidator(name: DefinitionName): (value: unknown) => string | undefined {
  const validate = compiledValidator(`def_${name}`);
  return (value) => {
    if (validate(value)) return undefined;
    const error = validate.errors?.[0];
    const custom = (error?.parentSchema as { patternErrorMessage?: string } | undefined)?.patternErrorMessage;
    return custom ?? error?.message ?? 'is invalid';
  };
}

function pathOf(instancePath: string): (string | number)[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^[0-9]+$/.test(segment) ? Number(segment) : segment));
}

function keyName(path: JsonPath): string {
  const last = path[path.length - 1];
  if (last === undefined) return 'the document';
  if (typeof last === 'string') return `\`${last}\``;
  const parent = path[path.length - 2];
  return `${typeof parent === 'string' ? `\`${parent}\` ` : ''}item ${last + 1}`;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `string "${value}"`;
  return `${typeof value} ${String(value)}`;
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
};

function describeError(error: ErrorObject, path: JsonPath): string {
  const name = keyName(path);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type': {
      if (path.length === 1 && path[0] === 'nodes') return '`nodes` must be a list of nodes, or {fromInventoryGroup: GROUP}';
      if (path.length === 2 && path[0] === 'nodes' && typeof error.data === 'string') {
        return `${name} must be a mapping like {name: ${error.data}}, got ${typeOf(error.data)}`;
      }
      const want = String(params.type)
        .split(',')
        .map((type) => TYPE_WORDS[type] ?? type)
        .join(' or ');
      const yes = typeof error.data === 'string' && /^(yes|no|on|off|y|n)$/i.test(error.data) && params.type === 'boolean';
      return `${name} must be ${want}, got ${typeOf(error.data)}${yes ? ' (YAML 1.2: write true or false)' : ''}`;
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      return `${name} must be one of ${allowed.join(', ')}; got ${typeOf(error.data)}${didYouMean(String(error.data), allowed)}`;
    }
    case 'pattern': {
      if (typeof error.data === 'string' && /:.*:/.test(error.data) && /^[0-9a-fA-F:.@[\]]+$/.test(error.data)) {
        return `${name} ${JSON.stringify(error.data)}: IPv6 is not supported yet`;
      }
      const custom = (error.parentSchema as { patternErrorMessage?: string } | undefined)?.patternErrorMessage;
      return `${name} ${JSON.stringify(error.data)} ${custom ?? `must match ${String(params.pattern)}`}`;
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${name} must be ${String(params.comparison)} ${String(params.limit)}, got ${String(error.data)}`;
    case 'minLength':
      return `${name} must not be empty`;
    case 'minItems':
      return `${name} must list at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}`;
    default:
      return `${name} ${error.message ?? 'is invalid'}`;
  }
}

/** Every schema violation, each at the YAML node it is about. */
export function checkSchema(data: unknown, locate: YamlLocator): Diagnostic[] {
  const validateCluster = compiledValidator('validateCluster');
  if (validateCluster(data)) return [];
  const diagnostics: Diagnostic[] = [];
  for (const error of validateCluster.errors ?? []) {
    // `if` only says "the then/else branch failed"; that branch's own errors say why.
    if (error.keyword === 'if') continue;
    const path = pathOf(error.instancePath);
    const params = error.params as Record<string, unknown>;
    if (error.keyword === 'additionalProperties') {
      const key = String(params.additionalProperty);
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const hint = didYouMean(key, known) || (known.length > 0 ? ` (known keys: ${known.join(', ')})` : '');
      diagnostics.push(locate.atKey(path, key, `unknown key \`${key}\`${hint}`));
    } else if (error.keyword === 'required') {
      const where = path.length === 0 ? '' : ` in ${keyName(path)}`;
      diagnostics.push(locate.at(path, `missing required key \`${String(params.missingProperty)}\`${where}`));
    } else {
      diagnostics.push(locate.at(path, describeError(error, path)));
    }
  }
  return diagnostics;
}
