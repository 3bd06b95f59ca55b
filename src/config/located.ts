// Plain values from parsed YAML, and where they came from.
import type { Diagnostic } from '../model/types.js';

export type Dict = Record<string, unknown>;

export function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Makes the diagnostic that points at a value's source (cluster.yaml or an inventory). */
export type Blame = (message: string) => Diagnostic;

export interface Located<T> {
  value: T;
  blame: Blame;
}
