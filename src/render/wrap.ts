// Fitting text to a terminal: lines are wrapped at spaces to a width (80 unless the caller knows the
// terminal's), continuation lines indented. Pure; works on plain text (colour is added afterwards).

/** The width of text output when nothing better is known (pipes, files, golden tests). */
export const DEFAULT_WIDTH = 80;

/** The narrowest and widest layout the renderers accept (a terminal's width is clamped to these). */
export const MIN_WIDTH = 40;
export const MAX_WIDTH = 120;

/** The width for text output: a terminal's columns (clamped to 40–120), otherwise 80. */
export function outputWidth(stream: { isTTY?: boolean; columns?: number }): number {
  if (!stream.isTTY || !stream.columns) return DEFAULT_WIDTH;
  return Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, stream.columns));
}

/**
 * `text` as lines of at most `width` columns: the first starts with `firstPrefix`, the others with
 * `indent`. Breaks at spaces; a word longer than a whole line is cut (so no line is ever wider);
 * the text's own line breaks are kept (each continuing with `indent`).
 */
export function wrapText(text: string, width: number, firstPrefix: string, indent: string): string[] {
  const lines: string[] = [];
  let line = firstPrefix;
  let prefixOnly = true;
  const room = (prefix: string): number => Math.max(1, width - prefix.length);
  const flush = (): void => {
    lines.push(line);
    line = indent;
    prefixOnly = true;
  };
  text.split('\n').forEach((paragraph, p) => {
    if (p > 0) flush();
    for (const word of paragraph.split(' ').filter((w) => w !== '')) {
      const sep = prefixOnly ? '' : ' ';
      if (line.length + sep.length + word.length <= width) {
        line += sep + word;
        prefixOnly = false;
        continue;
      }
      if (!prefixOnly) flush();
      // The word alone is wider than a line: cut it into pieces that fit.
      let rest = word;
      while (line.length + rest.length > width) {
        const take = room(line);
        line += rest.slice(0, take);
        rest = rest.slice(take);
        flush();
      }
      if (rest !== '') {
        line += rest;
        prefixOnly = false;
      }
    }
  });
  if (!prefixOnly || lines.length === 0) lines.push(line);
  return lines.map((l) => l.trimEnd());
}
