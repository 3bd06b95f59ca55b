// The one marker format of every script podnet sends to a node: a line `@@podnet NAME ARGS…` starts
// a section, and every line up to the next marker is its body. Scripts print markers with
// sectionMarker (fixed words) or sectionMarkerPrintf (words known only on the node); parsers split
// the output with splitSections. Pure.
import { shellQuote } from './shell-quote.js';

export const SECTION_PREFIX = '@@podnet';

/** Section names and fixed arguments: plain words, never anything the shell or the parser would split. */
const WORD = /^[A-Za-z0-9_.:+-]+$/;

function checkWords(words: readonly string[]): void {
  for (const word of words) {
    if (!WORD.test(word)) throw new Error(`section marker word ${JSON.stringify(word)} must match ${WORD.source}`);
  }
}

/** The sh that prints the marker line `@@podnet NAME ARGS…` (quoted as one word). */
export function sectionMarker(name: string, ...args: string[]): string {
  checkWords([name, ...args]);
  return `echo ${shellQuote([SECTION_PREFIX, name, ...args].join(' '))}`;
}

/**
 * The sh that prints `@@podnet NAME` followed by the values of shell words evaluated on the node
 * (e.g. `"$ip"`), separated by blanks. Values must hold no blank or newline to come back as one
 * argument each (empty values are lost at the end of the line).
 */
export function sectionMarkerPrintf(name: string, ...shellWords: string[]): string {
  checkWords([name]);
  const format = [SECTION_PREFIX, name, ...shellWords.map(() => '%s')].join(' ');
  return [`printf ${shellQuote(`${format}\\n`)}`, ...shellWords].join(' ');
}

export interface Section {
  name: string;
  args: string[];
  /** The lines after the marker, up to the next marker, joined with `\n` (not trimmed). */
  body: string;
}

/** The name and arguments of a marker line, or undefined when the line is not one. */
export function parseMarker(line: string): { name: string; args: string[] } | undefined {
  if (!line.startsWith(`${SECTION_PREFIX} `)) return undefined;
  const [name = '', ...args] = line.slice(SECTION_PREFIX.length + 1).trim().split(/\s+/);
  return name === '' ? undefined : { name, args };
}

/** Every section of a script's stdout, in order; lines before the first marker are dropped. */
export function splitSections(stdout: string): Section[] {
  const sections: Section[] = [];
  let current: { name: string; args: string[]; lines: string[] } | undefined;
  const close = (): void => {
    if (current) sections.push({ name: current.name, args: current.args, body: current.lines.join('\n') });
  };
  for (const line of stdout.split('\n')) {
    const marker = parseMarker(line);
    if (marker) {
      close();
      current = { ...marker, lines: [] };
    } else if (current) {
      current.lines.push(line);
    }
  }
  close();
  return sections;
}
