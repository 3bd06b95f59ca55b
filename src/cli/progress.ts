// Live progress per node on a terminal (one line per node, redrawn in place); plain lines otherwise.
import pc from 'picocolors';
import type { ChangeCounts } from '../model/plan.js';
import type { ProgressEvent } from '../run/events.js';
import { escapeControl } from '../render/terminal-safe.js';

/** `2 to add, 1 to change, 0 to destroy`: the words of the plan's summary line. */
function describeCounts(counts: ChangeCounts): string {
  return `${counts.add} to add, ${counts.change} to change, ${counts.destroy} to destroy`;
}

function describe(event: ProgressEvent): string {
  switch (event.kind) {
    case 'connecting':
      return 'connecting';
    case 'gathered':
      return 'gathered';
    case 'planned':
      if (event.changes === 0) return 'in sync';
      return event.counts !== undefined ? describeCounts(event.counts) : `${event.changes} change(s)`;
    case 'applying':
      return event.counts !== undefined ? `applying: ${describeCounts(event.counts)}` : `applying ${event.changes} change(s)`;
    case 'checking':
      return `checking convergence (attempt ${event.attempt})`;
    case 'converged':
      return event.changed !== undefined && event.ok !== undefined ? `converged: changed=${event.changed} ok=${event.ok}` : 'converged';
    // Messages carry node output (stderr): escaped, so they cannot drive the terminal.
    case 'failed':
      return `failed: ${escapeControl(event.message)}`;
    case 'unreachable':
      return `unreachable: ${escapeControl(event.message)}`;
    case 'error':
      return `internal error: ${escapeControl(event.message)}`;
    case 'not-started':
      return 'not started (interrupted)';
    case 'unknown':
      return `unknown: ${escapeControl(event.message)}`;
    case 'stopped':
      return escapeControl(event.message);
  }
}

export interface Progress {
  update(node: string, event: ProgressEvent): void;
  /** Finish the current block (before the plan or recap is printed); later updates start a new one. */
  done(): void;
  /** A line of its own (e.g. a host key recorded), printed above the live block, which is redrawn below it. */
  note(text: string): void;
}

/** The progress of the run under way: notices go through it so they do not break its live block. */
let current: Progress | undefined;
let currentStream: NodeJS.WriteStream = process.stderr;

/** Prints a notice line on stderr (through the live progress when one is drawn). */
export function notice(text: string): void {
  if (current !== undefined) current.note(text);
  else currentStream.write(`${text}\n`);
}

export function createProgress(stream: NodeJS.WriteStream, nodes: readonly string[], enabled: boolean): Progress {
  currentStream = stream;
  const plainNote = (text: string): void => void stream.write(`${text}\n`);
  if (!enabled) return (current = { update() {}, done() {}, note: plainNote });
  if (!stream.isTTY) {
    return (current = {
      update(node, event) {
        stream.write(`${node}: ${describe(event)}\n`);
      },
      done() {},
      note: plainNote,
    });
  }
  const width = Math.max(...nodes.map((n) => n.length));
  const lines = new Map(nodes.map((n) => [n, 'waiting']));
  let drawn = 0;
  const colorFor = (text: string): string =>
    text.startsWith('failed') || text.startsWith('unreachable') || text.startsWith('internal error') || text.startsWith('unknown') ? pc.red(text) : text.startsWith('converged') || text === 'in sync' ? pc.green(text) : text;
  const draw = (): void => {
    const cols = stream.columns || 100;
    let out = drawn > 0 ? `\x1b[${drawn}A` : '';
    for (const [node, text] of lines) out += `\x1b[2K${node.padEnd(width)}  ${colorFor(text.slice(0, Math.max(10, cols - width - 3)))}\n`;
    drawn = lines.size;
    stream.write(out);
  };
  return (current = {
    update(node, event) {
      lines.set(node, describe(event));
      draw();
    },
    note(text) {
      // Over the first line of the block, then the block again below it.
      stream.write(`${drawn > 0 ? `\x1b[${drawn}A` : ''}\x1b[2K${text}\n`);
      if (drawn > 0) {
        drawn = 0;
        draw();
      }
    },
    done() {
      if (drawn > 0) draw();
      // Whatever is printed next (the plan, the recap) must not be redrawn over: a later update
      // starts a new block below it.
      drawn = 0;
    },
  });
}
