// Find the YAML node behind a JSON path, so that every diagnostic points at file:line:col.
import { isAlias, isMap, isScalar, isSeq, visit, type Document, type LineCounter, type Node as YamlNode } from 'yaml';
import type { Diagnostic } from '../model/types.js';

export type JsonPath = readonly (string | number)[];

export class YamlLocator {
  constructor(
    readonly file: string,
    private readonly doc: Document.Parsed,
    private readonly lineCounter: LineCounter,
  ) {}

  private resolve(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.doc) : node;
  }

  /** The node at path, or the deepest existing node on the way. */
  valueNode(path: JsonPath): YamlNode | undefined {
    let node: unknown = this.doc.contents;
    for (const segment of path) {
      node = this.resolve(node);
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
        // `key:` without a value has a null value node; point at the key then.
        next = pair && (pair.value === null || (isScalar(pair.value) && pair.value.range === undefined)) ? pair.key : pair?.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        next = node.items[segment];
      }
      if (next === undefined || next === null) break;
      node = next;
    }
    return (node ?? undefined) as YamlNode | undefined;
  }

  /** The key node of `key` in the mapping at path (for unknown keys). */
  keyNode(path: JsonPath, key: string): YamlNode | undefined {
    const map = this.resolve(this.valueNode(path));
    if (isMap(map)) {
      const pair = map.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
      if (pair && isScalar(pair.key)) return pair.key;
    }
    return this.valueNode(path);
  }

  positionOf(node: YamlNode | undefined): { line: number; col: number } {
    const offset = node?.range?.[0];
    if (offset === undefined) return { line: 1, col: 1 };
    return this.lineCounter.linePos(offset);
  }

  at(path: JsonPath, message: string): Diagnostic {
    return { file: this.file, ...this.positionOf(this.valueNode(path)), message };
  }

  atKey(path: JsonPath, key: string, message: string): Diagnostic {
    return { file: this.file, ...this.positionOf(this.keyNode(path, key)), message };
  }

  /** At the first alias whose anchor is missing (or the first alias at all), else 1:1. */
  atFirstBadAlias(message: string): Diagnostic {
    let unresolved: YamlNode | undefined;
    let first: YamlNode | undefined;
    visit(this.doc, {
      Alias: (_key, alias) => {
        first ??= alias;
        if (!unresolved && alias.resolve(this.doc) === undefined) unresolved = alias;
      },
    });
    return { file: this.file, ...this.positionOf(unresolved ?? first), message };
  }

  atOffset(offset: number, message: string): Diagnostic {
    return { file: this.file, ...this.lineCounter.linePos(offset), message };
  }
}

/** `path:LINE:COL: message`, the form editors and compilers use. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.message}`;
}
