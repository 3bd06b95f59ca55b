// Text from a node (link aliases, file names, pod names, error output …) reaches the operator's
// terminal only through here: its control characters are written as escapes, so an alias holding
// `ESC ]2;…BEL` cannot retitle the terminal, move the cursor or hide text. The renderers put their
// own newlines and colours around the escaped text afterwards. JSON output: JSON.stringify writes
// every C0 control as an escape, but DEL and the C1 controls raw; escapeJsonControl does those.

const NAMED: Record<string, string> = { '\x1b': '\\e', '\t': '\\t', '\r': '\\r', '\n': '\\n' };

// C0 controls, DEL and C1 controls (U+0080–U+009F).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex -- as above
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;

function escapeChar(ch: string): string {
  return NAMED[ch] ?? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/** `text` with every control character written as an escape: `\e`, `\n`, `\x07` … */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, escapeChar);
}

/**
 * A whole message that podnet wrote and that may carry node text (an error from a node): its own
 * line breaks stay, every other control character is escaped.
 */
export function escapeControlKeepNewlines(text: string): string {
  return text.replace(CONTROL_BUT_NEWLINE, escapeChar);
}

// Without the g flag: test() keeps no lastIndex between calls.
// eslint-disable-next-line no-control-regex -- as above
const HAS_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Whether any string in the value (object keys too) holds a control character. Reads, allocates nothing. */
function holdsControl(value: unknown): boolean {
  if (typeof value === 'string') return HAS_CONTROL.test(value);
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (holdsControl(value[i])) return true;
    return false;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (Object.hasOwn(record, key) && (HAS_CONTROL.test(key) || holdsControl(record[key]))) return true;
  }
  return false;
}

/**
 * A value with every string in it (object keys too) escaped: what a text renderer reads from nodes.
 * A part without a control character is returned as it is (not copied): a plan of a million routes
 * is read once, not rebuilt.
 */
export function escapeStrings<T>(value: T): T {
  if (!holdsControl(value)) return value;
  if (typeof value === 'string') return escapeControl(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => escapeStrings(v)) as T;
  return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [escapeControl(k), escapeStrings(v)])) as T;
}

/** JSON text (from JSON.stringify) with DEL and the C1 controls written as `\u007f` … `\u009f`: the same JSON value. */
export function escapeJsonControl(json: string): string {
  return json.replace(/[\u007f-\u009f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
