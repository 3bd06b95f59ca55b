// POSIX shell quoting for argv that is sent to a node as one command string: the one quoting
// function of podnet (the node scripts and the ssh transport's `become` wrapping use it).
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one word for a POSIX shell: `it's` → `'it'\''s'`; safe words stay bare. */
export function shellQuote(arg: string): string {
  if (SAFE_WORD.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
