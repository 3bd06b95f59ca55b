// The options and --help words of diff, apply, destroy and verify: what commander needs to parse a
// command line and print --help, and nothing else. Start-up (issue 12): this module and the command
// declarations in ./commands/ load commander and a few words; the work of a command (SSH, the
// planner, the renderers) lives in the *-command.ts modules beside this one, imported when an action
// runs.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DEFAULT_WIDTH, wrapText } from '../render/wrap.js';
import type { Serial } from '../plan/rollout.js';

/** What -o takes: diff, apply and destroy text, json or markdown; verify also junit. */
export type OutputFormat = 'text' | 'json' | 'markdown' | 'junit';

/** The -o choices of diff, apply and destroy. */
export const PLAN_OUTPUTS: readonly OutputFormat[] = ['text', 'json', 'markdown'];

export interface PlanCommandOptions {
  limit?: string[];
  forks: number;
  output: OutputFormat;
  verbose: boolean;
  acceptNewHosts: boolean;
  /** Seconds; overrides ssh.execTimeout of every node. */
  execTimeout?: number;
  check?: boolean;
  /** Write the plan (renderPlanJson) to this file. */
  out?: string;
  /** Apply only if a fresh plan equals the plan saved in this file. */
  plan?: string;
  /** apply: seconds of the confirm window; false: --no-confirm; undefined: on when the plan needs it. */
  confirm?: number | false;
  /** Seconds to wait for a node's lock (0: fail at once). */
  lockTimeout?: number;
  /** apply, destroy: go ahead although the plan leaves running pods without a network. */
  allowPodDisruption?: boolean;
  /** Hidden, for tests: pause between the apply exec and the confirmation (ms). */
  confirmDelay?: number;
  /** diff/apply: remove what nodes that left cluster.yaml left behind (their state, their peers' routes). */
  pruneRemoved?: boolean;
  /** diff: a drift check: exit 3 when a node changed outside podnet, 0 when only cluster.yaml asks for changes. */
  failOnDrift?: boolean;
  /** apply --serial: hosts per batch (`3`) or a share of the targeted hosts (`25%`). */
  serial?: Serial;
  /** apply --max-fail-percentage: stop the rollout when more than this share of a batch failed. */
  maxFailPercentage?: number;
  /** Hidden, for tests: apply every host in one pass, without make-before-break. */
  onePass?: boolean;
}

/** verify: the options of a run and --egress-target. */
export interface VerifyCommandOptions extends PlanCommandOptions {
  egressTarget?: string;
  /** Run the source-address and MTU checks on every node pair instead of the sample. */
  fullMesh?: boolean;
  /** Also write the report as JUnit XML to this file (whatever -o says; also when verify fails early). */
  junit?: string;
}

/** `60s`, `2m`, `90` (seconds), `1h` → seconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+)(s|m|h)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('must be a duration like 60s, 2m or 90');
  const seconds = Number(m[1]) * (m[2] === 'm' ? 60 : m[2] === 'h' ? 3600 : 1);
  if (seconds > 86400) throw new InvalidArgumentError('must be at most a day');
  return seconds;
}

/** --allow-pod-disruption, shared by apply and destroy. */
export function addAllowPodDisruptionOption(command: Command): Command {
  return command.option(
    '--allow-pod-disruption',
    'go ahead although the plan leaves running pods without a network (their address leaves the node\'s subnet, or their bridge goes); without it such a plan is refused: drain those pods first',
    false,
  );
}

/** --lock-timeout, shared by apply and destroy. */
export function addLockOption(command: Command): Command {
  return command.option('--lock-timeout <duration>', "wait this long for a node's lock held by another podnet run (default: fail at once)", parseDuration, 0);
}

/** `3` → {count: 3}; `25%` → {percent: 25}; null for anything else (0, 0%, over 100%, fractions). */
export function parseSerial(text: string): Serial | null {
  const m = /^(\d{1,6})(%?)$/.exec(text.trim());
  if (m === null) return null;
  const n = Number(m[1]);
  if (n < 1) return null;
  if (m[2] === '%') return n <= 100 ? { percent: n } : null;
  return { count: n };
}

/** --serial N or P%. */
export function parseSerialOption(value: string): Serial {
  const serial = parseSerial(value);
  if (serial === null) throw new InvalidArgumentError('must be a number of hosts (3) or a percentage of them (25%), at least 1');
  return serial;
}

/** --max-fail-percentage P: 0 to 100. */
export function parsePercentage(value: string): number {
  const n = Number(value.trim().replace(/%$/, ''));
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100) throw new InvalidArgumentError('must be a percentage from 0 to 100');
  return n;
}

export function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('must be a whole number from 1 to 1000');
  return n;
}

export function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 86400) throw new InvalidArgumentError('must be a number of seconds from more than 0 to 86400');
  return n;
}

function parseLimit(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

export function addRunOptions(command: Command, outputs: readonly OutputFormat[] = PLAN_OUTPUTS): Command {
  return command
    .argument('<file>', 'the cluster.yaml')
    .option('-l, --limit <nodes>', 'only these nodes (comma-separated names); the other hosts are gathered too: routes point only at hosts that answer, and destroy removes their routes to these nodes', parseLimit)
    .option('-f, --forks <n>', 'how many nodes to work on at once', parsePositive, 10)
    .addOption(new Option('-o, --output <format>', `output format: ${outputs.join(', ')} (markdown: a pull-request comment)`).choices([...outputs]).default('text'))
    .option('-v, --verbose', 'show every command sent to a node', false)
    .option('--accept-new-hosts', 'record host keys of nodes not yet in known_hosts (like StrictHostKeyChecking=accept-new)', false)
    .option('--exec-timeout <seconds>', 'how long one command on a node may run before the node is reported unreachable (default: ssh.execTimeout, 120)', parseSeconds);
}

/** --out: only on the commands that make a plan apply --plan can take (diff, apply). */
export function addOutOption(command: Command): Command {
  return command.option('--out <plan.json>', 'also save the plan as JSON (for apply --plan)');
}

/** The exit codes of diff, apply --check and destroy --check, for their --help. */
export const PLAN_EXIT_CODES = '0 in sync (nothing to do), 2 changes pending, 1 error (bad input, a node not reached or its gather failed, a conflict, a refusal, an internal error)';

/** The exit codes of `diff --fail-on-drift`, for its --help. */
export const DRIFT_EXIT_CODES =
  '0 no drift (changes cluster.yaml asks for do not count), 3 drift found (a node no longer matches what podnet applied there), 1 error (as without it)';

/** The exit code of `diff --fail-on-drift` when drift is found. */
export const DRIFT_EXIT_CODE = 3;

/** A paragraph of `--help`, wrapped to 80 columns. */
export function helpParagraph(text: string): string {
  return wrapText(text, DEFAULT_WIDTH, '', '').join('\n');
}

/** `--help` of diff, apply and destroy: what the counts count (the README says the same). */
export const COUNTS_HELP = `
What the numbers count: objects (a sysctl, the bridge, an address, a route, a
chain, a rule, a file, a pod); one change is one object, however many commands
it takes. Plan, progress, recap and JSON count the same way.
  Plan: A to add, C to change, D to destroy
                 objects the plan creates, updates and deletes
  Plan incomplete: N of M nodes not reached
                 N nodes could not be read, so nothing is planned for them
Recap, per node (apply, destroy):
  ok=N           desired objects that were already right and were left alone
  changed=N      objects this run added, changed or destroyed (the node's
                 add + change + destroy; after a failed step, those before it)
  failed=1       the node answered, but a step failed or it did not converge
  unreachable=1  the node could not be reached, or the connection broke
  status         converged, failed, unreachable, error (a bug in podnet); after
                 Ctrl-C: not started (nothing changed) or unknown (in flight)`;

/** `--help` of apply and destroy: Ctrl-C. */
export const INTERRUPT_HELP = `
Ctrl-C: no further node is started; the nodes in flight are waited for (at most
the exec timeout; Ctrl-C again stops waiting); then the recap says per node:
done, not started or unknown, and the exit code is 130.`;


/** `--help` of apply: --serial, --max-fail-percentage and make-before-break. */
export const ROLLOUT_HELP = `
Rolling apply: --serial 2 (or 25%) applies the hosts in batches, in cluster.yaml
order (the router first in gateway mode); a batch is applied, confirmed and
checked converged before the next starts. The rollout stops when more than
--max-fail-percentage of a batch failed (default 0: any failure); the hosts not
started are left untouched, and the exit code is 1.
Make-before-break: when one host's new routes or addresses take over another's
old ones (a subnet moves, a node joins or leaves, the routing mode changes),
every host first gets its new routes and addresses (make pass, every batch),
and only then are old ones deleted (break pass, every batch). When the make
pass fails on a host, no old route is deleted anywhere.`;
