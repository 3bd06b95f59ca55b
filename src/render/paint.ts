// Colour for the renderers, passed in as functions so that rendering stays pure and testable:
// `Paint` colours one piece of text (or leaves it as it is). The one colour type of podnet's
// renderers (plan, verify); recap and progress take picocolors' own.

/** Colours one piece of text: ANSI codes around it, or the text unchanged. */
export type Paint = (text: string) => string;

/** No colour. */
export const plain: Paint = (text) => text;

/** The colours of a pass/fail report (`podnet verify`). */
export interface StatusPaint {
  pass: Paint;
  fail: Paint;
  dim: Paint;
  bold: Paint;
}

export const NO_PAINT: StatusPaint = { pass: plain, fail: plain, dim: plain, bold: plain };
