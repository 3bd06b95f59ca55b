// The ONE command that applies a node's plan: consecutive `ip` steps go to `ip -batch` (a here-document,
// so several batches and other steps keep their order in one exec), a file is written to a temporary
// file beside its target and renamed over it (atomic), other steps run as they are.
// After the steps, the gather command runs in the same exec, so verify needs no extra round trip.
import type { Change } from '../model/types.js';
import { shellJoin } from './shell-quote.js';
import { renderGatherCommand, type GatherOptions } from './gather-script.js';

const FAILED = '@@podnet-failed-group';
const HEREDOC_END = 'PODNET_BATCH_END';

/** A run of steps executed by one process: an `ip -batch` of several steps, or one other command. */
export interface StepGroup {
  /** Index of the group's first step in the node's change list. */
  firstStep: number;
  batch: boolean;
  /** For a batch: one `ip` argv (without the leading `ip`) per line. Otherwise the single shell command. */
  lines: string[];
}

/** The argv[0] of a file step: ['install-file', PATH, MODE], content in Change.content. */
export const INSTALL_FILE = 'install-file';
const FILE_END = 'PODNET_FILE_END';
const SAFE_PATH = /^(\/[A-Za-z0-9_.+-]+)+$/;
const MODE = /^[0-7]{3,4}$/;

/** Base64 of the UTF-8 bytes, wrapped at 76 columns (what `base64 -d` reads). */
function base64Lines(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return (btoa(binary).match(/.{1,76}/g) ?? []).join('\n');
}

/** Shell that writes `content` to `path` atomically: a temporary file in the same directory, then rename. */
function renderInstallFile(change: Change): string {
  const [, path, mode] = change.argv;
  if (path === undefined || !SAFE_PATH.test(path) || path.split('/').includes('..')) throw new Error(`refusing unsafe file path: ${JSON.stringify(path)}`);
  if (mode === undefined || !MODE.test(mode)) throw new Error(`refusing bad file mode: ${JSON.stringify(mode)}`);
  if (change.content === undefined) throw new Error(`file step for ${path} has no content`);
  const dir = path.slice(0, path.lastIndexOf('/')) || '/';
  return (
    `mkdir -p ${dir} && podnet_tmp=$(mktemp ${dir}/.podnet.XXXXXX) && ` +
    `{ base64 -d > "$podnet_tmp" <<'${FILE_END}' && chmod ${mode} "$podnet_tmp" && mv -f "$podnet_tmp" ${path}; } || { rm -f "$podnet_tmp"; false; }\n` +
    `${base64Lines(change.content)}\n${FILE_END}`
  );
}

// Every word that reaches a batch line was validated upstream; this guard keeps a bug from becoming
// a shell or batch injection (`ip -batch` splits on blanks and honours quotes and `#`).
const BATCH_WORD = /^[A-Za-z0-9_.:/=@+-]+$/;

export function groupSteps(changes: readonly Change[]): StepGroup[] {
  const groups: StepGroup[] = [];
  changes.forEach((change, index) => {
    const [program, ...args] = change.argv;
    if (program === 'ip') {
      for (const word of args) {
        if (!BATCH_WORD.test(word)) throw new Error(`refusing unsafe word in an ip step: ${JSON.stringify(word)}`);
      }
      const last = groups[groups.length - 1];
      if (last?.batch) last.lines.push(args.join(' '));
      else groups.push({ firstStep: index, batch: true, lines: [args.join(' ')] });
    } else if (program === INSTALL_FILE) {
      groups.push({ firstStep: index, batch: false, lines: [renderInstallFile(change)] });
    } else {
      groups.push({ firstStep: index, batch: false, lines: [shellJoin(change.argv)] });
    }
  });
  return groups;
}

/** The shell command applying `changes` in order, stopping at the first failure, then gathering state. */
export function renderApplyCommand(changes: readonly Change[], filePaths: readonly string[] = [], gather: GatherOptions = {}): string {
  const parts = groupSteps(changes).map((group, g) => {
    const body = group.batch
      ? `ip -batch - <<'${HEREDOC_END}'\n${group.lines.join('\n')}\n${HEREDOC_END}\n`
      : `${group.lines[0]}\n`;
    return `{ ${body}} || { echo '${FAILED} ${g}'; exit 0; }\n`;
  });
  // The steps run in a subshell so a failure stops them but not the gather that follows.
  return `(\n${parts.join('')})\n${renderGatherCommand(filePaths, gather)}\n`;
}

export type ApplyOutcome =
  | { ok: true }
  | { ok: false; stepIndex: number; change: Change | undefined; message: string };

/** Map the exec's output back to the failing step (`Command failed -:N` is line N of the batch). */
export function parseApplyOutcome(changes: readonly Change[], stdout: string, stderr: string): ApplyOutcome {
  const failed = new RegExp(`^${FAILED} (\\d+)$`, 'm').exec(stdout);
  if (!failed) return { ok: true };
  const groups = groupSteps(changes);
  const group = groups[Number(failed[1])];
  if (!group) return { ok: false, stepIndex: -1, change: undefined, message: stderr.trim() || 'a step failed' };
  let stepIndex = group.firstStep;
  const batchLine = /Command failed -:(\d+)/.exec(stderr);
  if (group.batch && batchLine) stepIndex = group.firstStep + Number(batchLine[1]) - 1;
  const message = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('Command failed -:'))
    .join('; ');
  return { ok: false, stepIndex, change: changes[stepIndex], message: message || 'the step failed' };
}
