// JSON too big for one string, in pieces. A plan of a million route changes is more JSON than a
// JavaScript string holds (V8: 2^29 - 24 characters), so `podnet diff -o json` and `--out` write it
// piece by piece: prettyJsonPieces yields, in order, the pieces whose concatenation is exactly
// JSON.stringify(value, null, 2). Containers down to `depth` levels are walked; anything deeper (and
// every array of plain strings, so that collapseStringArrays still sees each argv whole) is
// stringified at once and re-indented — JSON.stringify escapes newlines inside strings, so every
// newline in its output is one of its own line breaks, and indenting after each is exact.
// Pure: the shell (src/cli/write-pieces.ts) writes the pieces to stdout or a file.

/** Whether JSON.stringify leaves this value out of an object (and writes `null` for it in an array). */
function omitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

function stringifiedWhole(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return true;
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** The pieces of JSON.stringify(value, null, 2) (value itself must not be omitted: undefined, a function). */
export function* prettyJsonPieces(value: unknown, depth: number, indent = ''): Generator<string> {
  if (depth <= 0 || stringifiedWhole(value)) {
    const text = JSON.stringify(value, null, 2);
    yield indent === '' ? text : text.replaceAll('\n', `\n${indent}`);
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) {
      yield '[]';
      return;
    }
    for (let i = 0; i < value.length; i++) {
      yield i === 0 ? `[\n${inner}` : `,\n${inner}`;
      const item: unknown = value[i];
      if (omitted(item)) yield 'null';
      else yield* prettyJsonPieces(item, depth - 1, inner);
    }
    yield `\n${indent}]`;
    return;
  }
  const record = value as Record<string, unknown>;
  let first = true;
  for (const key of Object.keys(record)) {
    const item = record[key];
    if (omitted(item)) continue;
    yield `${first ? '{\n' : ',\n'}${inner}${JSON.stringify(key)}: `;
    first = false;
    yield* prettyJsonPieces(item, depth - 1, inner);
  }
  yield first ? '{}' : `\n${indent}}`;
}

/** Small pieces joined into chunks of about `size` characters (fewer, larger writes); a larger piece is one chunk. */
export function* chunked(pieces: Iterable<string>, size = 1 << 16): Generator<string> {
  let parts: string[] = [];
  let length = 0;
  for (const piece of pieces) {
    if (piece.length >= size) {
      // A large piece goes out as it is, not copied into a chunk.
      if (length > 0) yield parts.join('');
      parts = [];
      length = 0;
      yield piece;
      continue;
    }
    parts.push(piece);
    length += piece.length;
    if (length >= size) {
      yield parts.join('');
      parts = [];
      length = 0;
    }
  }
  if (length > 0) yield parts.join('');
}
