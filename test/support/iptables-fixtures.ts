// Real iptables-save output captured by test/capture-iptables-fixtures.sh, read by name.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIptablesSave } from '../../src/state/iptables-save.js';
import type { ObservedFirewall } from '../../src/model/types.js';

export function iptablesFixture(name: string): string {
  return readFileSync(join(process.cwd(), 'test', 'fixtures', 'iptables', `${name}.txt`), 'utf8');
}

/** The fixture as the gather's ObservedFirewall. */
export function observedFirewall(name: string): ObservedFirewall {
  return { available: true, ...parseIptablesSave(iptablesFixture(name)) };
}
