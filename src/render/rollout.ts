// The words of a rolling apply (--serial, --max-fail-percentage) and of make-before-break: the
// progress notices before each batch, and the line after the recap.
import type { Pass } from '../plan/make-before-break.js';
import type { RolloutReport } from '../plan/rollout.js';

export type { RolloutReport } from '../plan/rollout.js';
import { DEFAULT_WIDTH, wrapText } from './wrap.js';

const PASS_WORDS: Record<Pass, string> = {
  make: 'make: new routes and addresses',
  break: 'break: old routes and addresses deleted',
};

/** The notice before a batch runs: `batch 2 of 3 (make: …): node3, node4`. */
export function describeBatchStart(pass: Pass | 'all', batch: number, batches: number, hosts: readonly string[]): string {
  const what = pass === 'all' ? '' : ` (${PASS_WORDS[pass]})`;
  return `batch ${batch} of ${batches}${what}: ${hosts.join(', ')}`;
}

/** The notice when a plan runs in two passes. */
export function describePasses(): string {
  return 'make-before-break: every host first gets its new routes and addresses; the old ones are deleted only once every host has them';
}

function hostList(hosts: readonly string[]): string {
  return hosts.length <= 10 ? hosts.join(', ') : `${hosts.slice(0, 10).join(', ')} and ${hosts.length - 10} more`;
}

/** The lines after the recap of a rollout: batches, and why and where it stopped. Empty when there is nothing to say. */
export function renderRollout(report: RolloutReport, width = DEFAULT_WIDTH): string {
  const lines: string[] = [];
  const batches = report.batches.length;
  const passes = report.passes.includes('make') ? ' in two passes (make-before-break)' : '';
  if (report.serial !== undefined) lines.push(`Rollout: ${batches} batch${batches === 1 ? '' : 'es'} (--serial ${report.serial})${passes}.`);
  else if (passes !== '') lines.push(`Rollout:${passes}.`);
  if (report.stopped !== undefined) {
    const { pass, batch, failed, size } = report.stopped;
    const where = pass === 'all' ? `batch ${batch} of ${batches}` : `batch ${batch} of ${batches} of the ${pass} pass`;
    const failedText = `${failed} of ${size} host${size === 1 ? '' : 's'} failed`;
    lines.push(
      report.maxFailPercentage === 0
        ? `Stopped after ${where}: ${failedText} (--max-fail-percentage 0: any failure stops the rollout).`
        : `Stopped after ${where}: ${failedText}, more than --max-fail-percentage ${report.maxFailPercentage} allows.`,
    );
    if (report.untouched.length > 0) lines.push(`Left untouched: ${hostList(report.untouched)} (nothing was changed there).`);
    if (report.incomplete.length > 0) {
      lines.push(`Old routes and addresses kept on: ${hostList(report.incomplete)} (their new ones were made; podnet apply deletes the old ones once every host has the new).`);
    }
  }
  return lines.map((line) => `${wrapText(line, width, '', '  ').join('\n')}\n`).join('');
}

/** Why a host is left untouched. */
export function describeUntouched(): string {
  return 'left untouched: the rollout stopped before podnet began on it (nothing changed)';
}

/** Why a host is incomplete: its new routes and addresses were made, its old ones kept. */
export function describeIncomplete(interrupted = false): string {
  const why = interrupted ? 'interrupted (Ctrl-C)' : 'the rollout stopped';
  return `its new routes and addresses were made, its old ones kept: ${why} before the break pass; podnet apply deletes them`;
}

/** A host of a batch whose pod gateway did not reach some peers' (the check after each batch). */
export function describeUnreached(unreached: readonly { node: string; address: string }[]): string {
  const peers = unreached.map((u) => `${u.node} (${u.address})`);
  return `converged, but its pod gateway does not reach the pod gateway of ${hostList(peers)} and back; podnet verify names the cause`;
}
