// Which lab a command means when no --name is given: the only one running, else ask. Pure.
import { UserError } from '../model/errors.js';
import { DEFAULT_LAB_NAME } from './lab-layout.js';
import type { LabStatus } from './lab-types.js';

/** A lab counts as running when lab.json records it and at least one of its nodes is up. */
export function runningLabs(labs: readonly LabStatus[]): LabStatus[] {
  return labs.filter((l) => l.hasState && [...l.nodes, ...(l.router !== undefined ? [l.router] : [])].some((n) => n.up));
}

/**
 * The lab to use: `requested` when given; else the only running lab; with none running, the default
 * lab (whose absence is reported by the caller); with several, a UserError listing them.
 */
export function pickLab(requested: string | undefined, labs: readonly LabStatus[], example: string): string {
  if (requested !== undefined) return requested;
  const running = runningLabs(labs);
  if (running.length === 1 && running[0] !== undefined) return running[0].name;
  if (running.length === 0) return DEFAULT_LAB_NAME;
  const list = running
    .map((l) => {
      const up = l.nodes.filter((n) => n.up).length;
      return `  ${l.name} (${up} node${up === 1 ? '' : 's'} up)`;
    })
    .join('\n');
  throw new UserError(`${running.length} labs are running; say which with --name:\n${list}\nfor example: ${example.replace('NAME', running[0]?.name ?? DEFAULT_LAB_NAME)}`);
}
