// Ctrl-C during apply and destroy: the first stops starting nodes and waits (bounded) for the nodes in
// flight, so the recap can say what became of each; a second one stops waiting at once.
import type { EventEmitter } from 'node:events';

export interface Interrupt {
  /** Aborted at the first Ctrl-C: no node is started after it. */
  signal: AbortSignal;
  /** Resolves when waiting for the nodes in flight is over: the bound has passed, or a second Ctrl-C. */
  giveUp: Promise<void>;
  /** Stop listening (the run is over). */
  dispose(): void;
}

export interface InterruptOptions {
  /** How long to wait for the nodes in flight after the first Ctrl-C. */
  waitMs: number;
  /** Where the two notices go (stderr). */
  write(text: string): void;
  /** Where SIGINT comes from (the process; tests pass an emitter of their own). */
  signals?: EventEmitter;
}

export function watchInterrupt(options: InterruptOptions): Interrupt {
  const signals = options.signals ?? process;
  const controller = new AbortController();
  let release: () => void = () => undefined;
  const giveUp = new Promise<void>((resolve) => {
    release = resolve;
  });
  let timer: NodeJS.Timeout | undefined;
  const onSigint = (): void => {
    if (!controller.signal.aborted) {
      controller.abort();
      const seconds = Math.ceil(options.waitMs / 1000);
      options.write(`\ninterrupted: no further node is started; waiting up to ${seconds} s for the nodes in flight (^C again to stop waiting)\n`);
      timer = setTimeout(release, options.waitMs);
      timer.unref();
      return;
    }
    options.write('interrupted again: not waiting for the nodes in flight\n');
    release();
  };
  signals.on('SIGINT', onSigint);
  return {
    signal: controller.signal,
    giveUp,
    dispose() {
      signals.off('SIGINT', onSigint);
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

/** Exit code of a run stopped by Ctrl-C (128 + SIGINT, as shells report it). */
export const INTERRUPTED_EXIT_CODE = 130;
