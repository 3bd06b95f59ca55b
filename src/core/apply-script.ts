// The ONE command that applies a node's plan: consecutive `ip` steps go to `ip -batch` (a here-document,
// so several batches and other steps keep their order in one exec), other steps run as they are.
// After the steps, the gather command runs in the same exec, so verify needs no extra round trip.
import type { Change } from './model.js';
import { shellJoin } from './shell-quote.js';
import { renderGatherCommand } from './gather-script.js';

const FAILED = '@@podnet-failed-group';
const HEREDOC_END = 'PODNET_BATCH_END';

/** A run of steps executed by one process: an `ip -batch` of several steps, or one other command. */
export interface StepGroup {
  /** Index of the group's first step in the node's change list. */
  firstStep: number;
  batch: boolean;
  /** For a batch: one `ip` argv (without the leading `ip`) per line. Otherwise the single argv. */
  lines: string[];
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
    } else {
      groups.push({ firstStep: index, batch: false, lines: [shellJoin(change.argv)] });
    }
  });
  return groups;
}

/** The shell command applying `changes` in order, stopping at the first failure, then gathering state. */
export function renderApplyCommand(changes: readonly Change[]): string {
  const parts = groupSteps(changes).map((group, g) => {
    const body = group.batch
      ? `ip -batch - <<'${HEREDOC_END}'\n${group.lines.join('\n')}\n${HEREDOC_END}\n`
      : `${group.lines[0]}\n`;
    return `{ ${body}} || { echo '${FAILED} ${g}'; exit 0; }\n`;
  });
  // The steps run in a subshell so a failure stops them but not the gather that follows.
  return `(\n${parts.join('')})\n${renderGatherCommand()}\n`;
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
