// The ONE command that applies a node's plan: consecutive `ip` steps go to `ip -batch` (a here-document,
// so several batches and other steps keep their order in one exec), a file is written to a temporary
// file beside its target and renamed over it (atomic), other steps run as they are.
// After the steps, the gather command runs in the same exec, so verify needs no extra round trip.
import type { Change, Step } from '../model/plan.js';
import { randomBytes } from 'node:crypto';
import { shellJoin, shellQuote } from './shell-quote.js';
import { renderGatherCommand, type GatherOptions } from './gather-script.js';
import { sectionMarker, splitSections } from './sections.js';
import { ABSOLUTE_PATH_PATTERN, FILE_MODE_PATTERN } from '../model/names.js';

/** The section a failing group of steps prints: `@@podnet failed-group N`. */
const FAILED = 'failed-group';
/** The section printed when the steps ran but podnet's state file could not be written. */
const STATE_FILE_FAILED = 'state-file-failed';

/** podnet's state file as an apply writes it: after every step succeeded, atomically, mode 0600. */
export interface StateFileWrite {
  path: string;
  /** The record's text (renderStateRecord). */
  content: string;
}
const HEREDOC_END = 'PODNET_BATCH_END';

/** One step of a node's plan, with where it comes from. */
export interface PlacedStep {
  step: Step;
  /** Index of its change in the node plan. */
  change: number;
  /** Index of the step among all the node's steps. */
  index: number;
}

/** A run of steps executed by one process: an `ip -batch` of several steps, or one other command. */
export interface StepGroup {
  steps: PlacedStep[];
  batch: boolean;
  /** For the apply (applyGroups): several iptables steps in one `iptables-restore`, one transaction each (`lines` holds its input). */
  restore?: true;
  /** For a batch: one `ip` argv (without the leading `ip`) per line. Otherwise the single shell command. */
  lines: string[];
}

// Stryker disable next-line StringLiteral: any word base64 never writes ends the here-document, '' too (an empty line)
const FILE_END = 'PODNET_FILE_END';

/** Base64 of the UTF-8 bytes, wrapped at 76 columns (what `base64 -d` reads). */
function base64Lines(text: string): string {
  // Stryker disable next-line Regex,StringLiteral: the wrapping is for people reading -v output; base64 -d reads any line length
  return (Buffer.from(text, 'utf8').toString('base64').match(/.{1,76}/g) ?? []).join('\n');
}

/**
 * A file's content written to `tmp` by the shell, and `&& podnet_rc=0` after it: `printf '%s' '…'`
 * (printf is a builtin: no process), the content single-quoted. A NUL cannot be in a shell word:
 * such content goes through `base64 -d` and a here-document.
 */
function writeContent(content: string, tmp: string): string {
  if (content.includes('\0')) return `base64 -d > ${tmp} <<'${FILE_END}' && podnet_rc=0\n${base64Lines(content)}\n${FILE_END}\n`;
  return `printf '%s' ${shellQuote(content)} > ${tmp} && podnet_rc=0\n`;
}

/** Characters of the random part of a temporary file's name (see renderInstallFile). */
const TMP_TAG = /^[A-Za-z0-9]+$/;

/** A fresh random tag for temporary file names: 16 hex digits from the controller's CSPRNG. */
export function newTmpTag(): string {
  return randomBytes(8).toString('hex');
}

/**
 * Shell that writes `content` to `path` atomically: a new file beside it, then a rename (`mv -f`).
 * The new file's name ends in `tmpTag`, random for each apply (the controller's CSPRNG; the script
 * comes on stdin, so the name is not in the node's process list). It is created under noclobber
 * (`set -C`: O_EXCL), after checking nothing is there: a file or link planted at that name makes
 * the step fail, it is never followed. The file is created with the mode itself through `umask`
 * when a new file can have that mode (no x, setuid, setgid or sticky bit: 644, 600, 640 …), else
 * private (077) and then `chmod`ed; the umask the exec had is taken once (`$(umask)`, a fork
 * without exec) and put back after each file. Processes: `mv`, `chmod` for modes with x bits,
 * `mkdir` when the directory is missing (`[ -d ]`, `umask` and `printf` are builtins): mktemp
 * and base64 are gone.
 */
function renderInstallFile({ path, mode, content }: Extract<Step, { run: 'install-file' }>, tmpTag: string): string {
  if (!ABSOLUTE_PATH_PATTERN.test(path)) throw new Error(`refusing unsafe file path: ${JSON.stringify(path)}`);
  if (!FILE_MODE_PATTERN.test(mode)) throw new Error(`refusing bad file mode: ${JSON.stringify(mode)}`);
  if (!TMP_TAG.test(tmpTag)) throw new Error(`refusing temporary file tag ${JSON.stringify(tmpTag)}`);
  const dir = path.slice(0, path.lastIndexOf('/') + 1); // with its trailing slash: `/` for a file at the root
  const tmp = `${dir}.podnet.${tmpTag}`;
  const bits = parseInt(mode, 8);
  // A new file gets 0666 & ~umask: the mode itself when it has no bit outside 0666.
  const direct = (bits & ~0o666) === 0;
  const umask = direct ? (0o777 & ~bits).toString(8).padStart(3, '0') : '077';
  return (
    // The content is single-quoted on purpose: nothing in it expands.
    `[ -n "\${podnet_umask:-}" ] || podnet_umask=$(umask); podnet_rc=1\n# shellcheck disable=SC2016\n` +
    `{ [ -d ${dir} ] || mkdir -p ${dir}; } && [ ! -e ${tmp} ] && [ ! -L ${tmp} ] && umask ${umask} && set -C && ${writeContent(content, tmp)}` +
    `set +C; umask "$podnet_umask"; { [ "$podnet_rc" = 0 ] && ${direct ? '' : `chmod ${mode} ${tmp} && `}mv -f ${tmp} ${path}; } || { rm -f ${tmp}; false; }`
  );
}

// Every word that reaches a batch line was validated upstream; this guard keeps a bug from becoming
// a shell or batch injection (`ip -batch` splits on blanks and honours quotes and `#`).
const BATCH_WORD = /^[A-Za-z0-9_.:/=@+-]+$/;

/** Every step of the changes, in order, with the change it realises. */
export function placeSteps(changes: readonly Change[]): PlacedStep[] {
  const placed: PlacedStep[] = [];
  changes.forEach((change, c) => {
    for (const step of change.steps) placed.push({ step, change: c, index: placed.length });
  });
  return placed;
}

const SYSCTL_KEY = /^[a-z0-9_]+(\.[a-z0-9_]+)+$/;
const SYSCTL_VALUE = /^[A-Za-z0-9_.:-]+$/;

/**
 * `sysctl -w KEY=VALUE` as what it does, the value written to /proc/sys/KEY (dots as slashes, as
 * sysctl reads them) by the shell itself: `printf` and the redirection are builtins, so the step
 * starts no process. Undefined for any other command, or a key or value outside plain words.
 */
function sysctlWrite(argv: readonly string[]): string | undefined {
  const [command, flag, assignment, ...rest] = argv;
  if (command !== 'sysctl' || flag !== '-w' || assignment === undefined || rest.length > 0) return undefined;
  const at = assignment.indexOf('=');
  const key = assignment.slice(0, at);
  const value = assignment.slice(at + 1);
  if (at < 0 || !SYSCTL_KEY.test(key) || !SYSCTL_VALUE.test(value)) return undefined;
  return `printf '%s\\n' ${value} > /proc/sys/${key.replaceAll('.', '/')}`;
}

/**
 * Consecutive `ip` steps share one batch; every other step is a group of its own. `tmpTag` (random
 * by default) names the temporary files of the file installs, with the step's index after it.
 */
export function groupSteps(changes: readonly Change[], tmpTag: string = newTmpTag()): StepGroup[] {
  const groups: StepGroup[] = [];
  for (const placed of placeSteps(changes)) {
    const { step } = placed;
    if (step.run === 'ip') {
      for (const word of step.args) {
        if (!BATCH_WORD.test(word)) throw new Error(`refusing unsafe word in an ip step: ${JSON.stringify(word)}`);
      }
      const last = groups[groups.length - 1];
      if (last?.batch) {
        last.steps.push(placed);
        last.lines.push(step.args.join(' '));
      } else groups.push({ steps: [placed], batch: true, lines: [step.args.join(' ')] });
    } else if (step.run === 'install-file') {
      groups.push({ steps: [placed], batch: false, lines: [renderInstallFile(step, `${tmpTag}${placed.index}`)] });
    } else if (step.run === 'script') {
      groups.push({ steps: [placed], batch: false, lines: [shellJoin(['sh', '-c', step.script])] });
    } else {
      groups.push({ steps: [placed], batch: false, lines: [sysctlWrite(step.argv) ?? shellJoin(step.argv)] });
    }
  }
  return groups;
}

const RESTORE_END = 'PODNET_RESTORE_END';
// A word iptables-restore reads as it is (it splits on blanks and honours quotes).
const RESTORE_WORD = /^[A-Za-z0-9_.:/=@+,!-]+$/;
/** Lines per step in an iptables-restore group: `*TABLE`, the command, `COMMIT`. */
const RESTORE_LINES_PER_STEP = 3;

/** `iptables -w -t TABLE ARGS…` as the iptables-restore lines of a transaction of its own, or undefined. */
function restoreLines(step: Step): string | undefined {
  if (step.run !== 'command') return undefined;
  const [command, wait, t, table, ...args] = step.argv;
  if (command !== 'iptables' || wait !== '-w' || t !== '-t' || table === undefined || args.length === 0) return undefined;
  if (![table, ...args].every((word) => RESTORE_WORD.test(word))) return undefined;
  return `*${table}\n${args.join(' ')}\nCOMMIT`;
}

/**
 * The groups the apply runs: groupSteps, with each run of consecutive iptables steps in ONE
 * `iptables-restore --noflush` (one process instead of one per step). Each step is a transaction of
 * its own (`*TABLE`, the command, `COMMIT`): like the single commands, the steps before a failing
 * one stay done, the rest are not run, and iptables-restore names the failing line.
 */
export function applyGroups(changes: readonly Change[], tmpTag?: string): StepGroup[] {
  const groups: StepGroup[] = [];
  for (const group of groupSteps(changes, tmpTag)) {
    const lines = group.batch ? undefined : restoreLines(group.steps[0]!.step);
    const last = groups[groups.length - 1];
    if (lines === undefined) groups.push(group);
    else if (last?.restore) {
      last.steps.push(...group.steps);
      last.lines.push(lines);
    } else groups.push({ steps: [...group.steps], batch: false, restore: true, lines: [lines] });
  }
  // A run of one stays the plain command people read in -v output.
  return groups.map((g) => (g.restore && g.steps.length === 1 ? plainGroup(g) : g));
}

function plainGroup(group: StepGroup): StepGroup {
  const step = group.steps[0]!;
  return { steps: [step], batch: false, lines: [shellJoin((step.step as Extract<Step, { run: 'command' }>).argv)] };
}

/**
 * The state file written like any file podnet installs (a new file beside it, renamed over it), in
 * the steps' subshell after the last step: a failing step leaves the record of the last apply as it
 * was. A failure prints `@@podnet state-file-failed` and ends the steps.
 */
function renderStateFileWrite(write: StateFileWrite, tmpTag: string): string {
  const install = renderInstallFile({ run: 'install-file', path: write.path, mode: '600', content: write.content }, `${tmpTag}s`);
  return `{ ${install}
} || { ${sectionMarker(STATE_FILE_FAILED)}; exit 0; }
`;
}

/**
 * Only the state file (a node already converged whose record is out of date): `preamble` (the node
 * lock), then the write. Prints `@@podnet state-file-failed` when it fails.
 */
export function renderStateFileCommand(write: StateFileWrite, preamble = '', tmpTag: string = newTmpTag()): string {
  return `${preamble}(
${renderStateFileWrite(write, tmpTag)})
`;
}

/**
 * The shell command applying `changes` in order, stopping at the first failure, then gathering state.
 * `preamble` runs first in the exec's own shell (the node lock and the confirm timer: confirm-script.ts).
 * `tmpTag` names the file installs' temporary files (random unless a test fixes it). `stateFile`:
 * podnet's state file, written once every step succeeded (still in the same exec).
 */
export function renderApplyCommand(
  changes: readonly Change[],
  filePaths: readonly string[],
  gather: GatherOptions = {},
  preamble = '',
  tmpTag?: string,
  stateFile?: StateFileWrite,
): string {
  const tag = tmpTag ?? newTmpTag();
  const parts = applyGroups(changes, tag).map((group, g) => {
    const body = group.batch
      ? `ip -batch - <<'${HEREDOC_END}'\n${group.lines.join('\n')}\n${HEREDOC_END}\n`
      : group.restore
        ? `iptables-restore -w --noflush <<'${RESTORE_END}'\n${group.lines.join('\n')}\n${RESTORE_END}\n`
        : `${group.lines[0]}\n`;
    return `{ ${body}} || { ${sectionMarker(FAILED, String(g))}; exit 0; }\n`;
  });
  if (stateFile !== undefined) parts.push(renderStateFileWrite(stateFile, tag));
  // The steps run in a subshell so a failure stops them but not the gather that follows.
  return `${preamble}(\n${parts.join('')})\n${renderGatherCommand(filePaths, gather)}\n`;
}

export type ApplyOutcome =
  | { ok: true }
  /** Every step ran, but podnet's state file could not be written (`message`: what the node said). */
  | { ok: false; stateFile: true; step: undefined; change: undefined; message: string }
  | {
      ok: false;
      stateFile?: undefined;
      /** The failing step (index among all the node's steps), or undefined when the output names none. */
      step: PlacedStep | undefined;
      change: Change | undefined;
      message: string;
    };

/** Map the exec's output back to the failing step (`Command failed -:N` is line N of the batch). */
export function parseApplyOutcome(changes: readonly Change[], stdout: string, stderr: string): ApplyOutcome {
  const sections = splitSections(stdout);
  const failed = sections.find((section) => section.name === FAILED);
  if (!failed) {
    if (sections.some((section) => section.name === STATE_FILE_FAILED)) return { ok: false, stateFile: true, step: undefined, change: undefined, message: stderr.trim() || 'it could not be written' };
    return { ok: true };
  }
  const groups = applyGroups(changes);
  const group = groups[Number(failed.args[0])];
  if (!group) return { ok: false, step: undefined, change: undefined, message: stderr.trim() || 'a step failed' };
  const batchLine = /Command failed -:(\d+)/.exec(stderr);
  const restoreLine = /iptables-restore(?: v[^:]*)?: line (\d+) failed/.exec(stderr);
  const step =
    group.batch && batchLine
      ? group.steps[Number(batchLine[1]) - 1]
      : group.restore && restoreLine
        ? group.steps[Math.floor((Number(restoreLine[1]) - 1) / RESTORE_LINES_PER_STEP)]
        : group.steps[0];
  const message = stderr
    .split('\n')
    .map((l) => l.trim().replace(/^iptables-restore(?: v[^:]*)?: line \d+ failed: /, 'iptables: '))
    .filter((l) => l && !l.startsWith('Command failed -:'))
    .join('; ');
  return { ok: false, step, change: step === undefined ? undefined : changes[step.change], message: message || 'the step failed' };
}

/** A step as the command line people read (`ip route replace …`, `install-file PATH MODE`). */
export function describeStep(step: Step): string {
  switch (step.run) {
    case 'ip':
      return ['ip', ...step.args].join(' ');
    case 'command':
      return step.argv.join(' ');
    case 'install-file':
      return `install-file ${step.path} ${step.mode}`;
    case 'script':
      return 'sh -c <script>';
  }
}
