// The node side of the lock and of `apply --confirm`: the scripts that keep two podnet runs from
// interleaving on a node, and that let a node undo an apply by itself when the controller does
// not confirm it over a fresh connection in time (nmstate checkpoints, `netplan try`, Junos
// `commit confirmed`). Everything lives under NODE_APPLY_DIR:
//   lock, lock.info            flock(1) lock held by apply, destroy and the confirm window; who holds it
//   rollback/<id>/rollback.sh  the rollback of apply <id> (rendered from the pure rollback plan)
//   rollback/<id>/files/N      old copies of the files the apply replaces
//   rollback/<id>/timer        `systemd` or `setsid`; rollback/<id>/pid: the detached timer's PID
//   rollback/<id>/running      made atomically (mkdir) by whichever of rollback and confirm comes first
import type { Change, Step } from '../model/plan.js';
import { groupSteps } from './apply-script.js';
import { sectionMarker, splitSections } from './sections.js';
import { shellJoin, shellQuote } from './shell-quote.js';

export const NODE_APPLY_DIR = '/run/podnet/apply';
export const LOCK_FILE = `${NODE_APPLY_DIR}/lock`;
export const LOCK_INFO_FILE = `${NODE_APPLY_DIR}/lock.info`;
const LOCK_FD = 9;

/** An apply id: what names the rollback directory and the systemd unit. */
export const APPLY_ID_PATTERN = /^[a-z0-9]{6,32}$/;

export function rollbackDir(applyId: string): string {
  if (!APPLY_ID_PATTERN.test(applyId)) throw new Error(`refusing bad apply id: ${JSON.stringify(applyId)}`);
  return `${NODE_APPLY_DIR}/rollback/${applyId}`;
}

/** Who takes the lock: written to lock.info, shown to the run that finds it taken. */
export interface LockHolder {
  controller: string;
  pid: number;
  /** ISO time. */
  since: string;
  /** What holds it: `apply`, `destroy`. */
  what: string;
}

export interface LockOptions {
  holder: LockHolder;
  /** Seconds to wait for the lock; 0 fails at once. */
  timeoutSeconds: number;
}

const LOCKED = 'locked';
const LOCK_WAITED = 'lock-waited';

function holderLine(holder: LockHolder): string {
  const controller = holder.controller.replace(/[^A-Za-z0-9_.:-]/g, '?').slice(0, 64);
  return `${holder.what} by ${controller} pid ${holder.pid} since ${holder.since.replace(/[^0-9A-Za-z:.+-]/g, '')}`;
}

/**
 * Takes the node's lock on fd 9 for the rest of the exec (and for whatever inherits the fd: the
 * confirm window's timer). Taken: lock.info names the holder. Held by another run: prints
 * `@@podnet locked` and lock.info, and exits. Got after waiting: prints `@@podnet lock-waited` and
 * exits too — the state may have changed while it waited, so the controller plans the node again.
 */
export function renderLockPreamble(lock: LockOptions): string {
  const wait =
    lock.timeoutSeconds > 0
      ? `if flock -w ${Math.ceil(lock.timeoutSeconds)} ${LOCK_FD}; then ${sectionMarker(LOCK_WAITED)}; exit 0; fi; `
      : '';
  return (
    `{ [ -d ${NODE_APPLY_DIR} ] || mkdir -p ${NODE_APPLY_DIR}; } && exec ${LOCK_FD}>>${LOCK_FILE} || exit 1\n` +
    `if ! flock -n ${LOCK_FD}; then ${wait}${sectionMarker(LOCKED)}; cat ${LOCK_INFO_FILE} 2>/dev/null; exit 0; fi\n` +
    `printf '%s\\n' ${shellQuote(holderLine(lock.holder))} > ${LOCK_INFO_FILE}\n`
  );
}

export type LockOutcome = { state: 'taken' } | { state: 'locked'; holder: string } | { state: 'waited' };

export function parseLockOutcome(stdout: string): LockOutcome {
  const sections = splitSections(stdout);
  if (sections.some((s) => s.name === LOCK_WAITED)) return { state: 'waited' };
  const locked = sections.find((s) => s.name === LOCKED);
  if (locked !== undefined) return { state: 'locked', holder: locked.body.trim() || 'another podnet run' };
  return { state: 'taken' };
}

/** The rollback steps as a script that goes on past a failing step (it restores what it can). */
function renderRollbackSteps(changes: readonly Change[]): string {
  return groupSteps(changes)
    .map((group) => {
      const body = group.batch
        ? `ip -force -batch - <<'PODNET_BATCH_END'\n${group.lines.join('\n')}\nPODNET_BATCH_END\n`
        : `${group.lines[0]}\n`;
      return `{ ${body}} || echo "podnet rollback: a step failed" >&2\n`;
    })
    .join('');
}

/**
 * The rollback script of apply `applyId`. Whichever of rollback and confirm makes `running` first
 * wins: two rollbacks of one apply never both run, and a confirmed apply never rolls back. It takes
 * the lock unless it inherited it (the detached timer holds the apply's lock through the window).
 */
export function renderRollbackScript(applyId: string, changes: readonly Change[]): string {
  const dir = rollbackDir(applyId);
  return (
    `#!/bin/sh\n# podnet: rollback of apply ${applyId}\n` +
    `mkdir ${dir}/running 2>/dev/null || exit 0\n` +
    `if [ -z "$PODNET_LOCK_HELD" ]; then exec ${LOCK_FD}>>${LOCK_FILE}; flock -w 120 ${LOCK_FD} || exit 1; fi\n` +
    `printf 'rollback of %s since %s\\n' ${applyId} "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > ${LOCK_INFO_FILE}\n` +
    renderRollbackSteps(changes) +
    `echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) rolled back apply ${applyId}" >> ${NODE_APPLY_DIR}/rollback.log\n` +
    `rm -rf ${dir}\n`
  );
}

export interface ConfirmOptions {
  applyId: string;
  seconds: number;
  rollback: Change[];
  /** Copies of the files the apply replaces, run before the timer is armed. */
  save: Step[];
}

/**
 * After the lock: write the rollback script, save the files, and arm the node's own timer — a
 * systemd timer where systemd runs (with a detached sleeper that holds the lock for the window),
 * otherwise a detached `setsid` process that inherits the lock.
 * Only then do the apply's steps run.
 */
export function renderArmTimer(options: ConfirmOptions): string {
  const dir = rollbackDir(options.applyId);
  const seconds = Math.max(1, Math.ceil(options.seconds));
  const unit = `podnet-rollback-${options.applyId}`;
  const script = renderRollbackScript(options.applyId, options.rollback);
  const save = options.save.map((s) => (s.run === 'command' ? shellJoin(s.argv) : '')).filter(Boolean);
  return (
    `mkdir -p ${dir} && cat > ${dir}/rollback.sh <<'PODNET_ROLLBACK_END' || exit 1\n${script}PODNET_ROLLBACK_END\n` +
    save.map((line) => `${line} || exit 1\n`).join('') +
    `if command -v systemd-run >/dev/null 2>&1 && [ -d /run/systemd/system ] && [ "$(systemctl is-system-running 2>/dev/null)" != offline ]; then\n` +
    `  systemd-run --quiet --unit ${unit} --on-active=${seconds} sh ${dir}/rollback.sh || exit 1\n` +
    // systemd's timer does not inherit the lock: a detached sleeper does, and holds it for the window.
    `  setsid sh -c 'sleep ${seconds}' </dev/null >/dev/null 2>&1 &\n` +
    `  echo $! > ${dir}/holder; echo systemd > ${dir}/timer\n` +
    `else\n` +
    `  PODNET_LOCK_HELD=1 setsid sh -c 'sleep ${seconds}; exec sh ${dir}/rollback.sh' </dev/null >>${dir}/log 2>&1 &\n` +
    `  echo $! > ${dir}/pid; echo setsid > ${dir}/timer\n` +
    `fi\n` +
    `${sectionMarker('armed', options.applyId)}\n`
  );
}

/**
 * Confirms apply `applyId` (run over a fresh connection once the node converged): disarms the
 * timer and removes the rollback directory. `@@podnet confirmed`, or `@@podnet rolled-back` when
 * the rollback got there first. With `rollbackNow` it runs the rollback at once instead.
 */
export function renderConfirmCommand(applyId: string, rollbackNow = false): string {
  const dir = rollbackDir(applyId);
  const unit = `podnet-rollback-${applyId}`;
  const disarm =
    `  if [ "$(cat ${dir}/timer 2>/dev/null)" = systemd ]; then systemctl stop ${unit}.timer ${unit}.service 2>/dev/null; ` +
    `[ -s ${dir}/holder ] && kill -TERM "-$(cat ${dir}/holder)" 2>/dev/null; ` +
    // The detached timer leads its own process group (setsid): its sleep goes with it, and so does the lock it holds.
    // `kill -TERM -PGID`, without `--`: dash's kill takes `--` for a pid and signals nothing.
    `elif [ -s ${dir}/pid ]; then kill -TERM "-$(cat ${dir}/pid)" 2>/dev/null; fi\n`;
  if (rollbackNow) {
    return (
      `if [ -d ${dir} ] && ! [ -d ${dir}/running ]; then\n${disarm}` +
      `  PODNET_LOCK_HELD='' sh ${dir}/rollback.sh; ${sectionMarker('rolled-back', 'now')}\n` +
      `else ${sectionMarker('rolled-back', 'before')}; fi\n`
    );
  }
  return (
    `if mkdir ${dir}/running 2>/dev/null; then\n${disarm}` +
    `  rm -rf ${dir}; ${sectionMarker('confirmed')}\n` +
    `else ${sectionMarker('rolled-back', 'before')}; fi\n`
  );
}

export type ConfirmOutcome = 'confirmed' | 'rolled-back' | 'unknown';

export function parseConfirmOutcome(stdout: string): ConfirmOutcome {
  const sections = splitSections(stdout);
  if (sections.some((s) => s.name === 'confirmed')) return 'confirmed';
  if (sections.some((s) => s.name === 'rolled-back')) return 'rolled-back';
  return 'unknown';
}
