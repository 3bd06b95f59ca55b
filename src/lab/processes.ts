// Reading and ending processes through /proc. This machine's PID 1 reaps orphans lazily, so a
// process counts as gone once /proc says it is a zombie (state Z/X) or its entry has vanished.
import { readFile, readdir } from 'node:fs/promises';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The one-letter state of a process (R, S, Z …), or null when it no longer exists. */
export async function readProcessState(pid: number): Promise<string | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: the state follows the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) || null;
  } catch {
    return null;
  }
}

export async function isProcessAlive(pid: number): Promise<boolean> {
  const state = await readProcessState(pid);
  return state !== null && state !== 'Z' && state !== 'X';
}

/** The argv of a live process ([] when it is gone or a zombie). */
export async function readProcessArgv(pid: number): Promise<string[]> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    const argv = raw.split('\0');
    if (argv.at(-1) === '') argv.pop();
    return argv;
  } catch {
    return [];
  }
}

/** The PIDs of a process in each pid namespace it belongs to, outermost first (`NSpid:`). */
export async function readNamespacePids(pid: number): Promise<number[]> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const line = status.split('\n').find((l) => l.startsWith('NSpid:'));
    return line === undefined ? [] : line.slice('NSpid:'.length).trim().split(/\s+/).map(Number);
  } catch {
    return [];
  }
}

/** Direct children of a process (needs CONFIG_PROC_CHILDREN, which Debian kernels have). */
export async function readChildPids(pid: number): Promise<number[]> {
  try {
    const raw = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return raw.trim() === '' ? [] : raw.trim().split(/\s+/).map(Number);
  } catch {
    return [];
  }
}

/** Every PID currently in /proc. */
export async function listPids(): Promise<number[]> {
  const entries = await readdir('/proc');
  return entries.filter((e) => /^[0-9]+$/.test(e)).map(Number);
}

/**
 * Whether the network namespace of `pid` has a TCP socket listening on `port` — what
 * `ss -N NS -Hltn 'sport = :PORT'` reports, read from /proc/PID/net/tcp without starting a process.
 */
export async function isListeningOnPort(pid: number, port: number): Promise<boolean> {
  let table: string;
  try {
    table = await readFile(`/proc/${pid}/net/tcp`, 'utf8');
  } catch {
    return false;
  }
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  return table
    .split('\n')
    .slice(1)
    .some((line) => {
      const fields = line.trim().split(/\s+/);
      return fields[1]?.endsWith(`:${portHex}`) === true && fields[3] === '0A';
    });
}

/** Sends a signal; a process that is already gone is not an error. */
export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Waits until every PID is gone; returns those still alive when the timeout expires. */
export async function waitForExit(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = [...pids];
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    const states = await Promise.all(alive.map(isProcessAlive));
    alive = alive.filter((_, i) => states[i]);
    if (alive.length === 0 || Date.now() >= deadline) return alive;
    await sleep(delay);
  }
}

/** SIGTERM, then SIGKILL what is left after `graceMs`; resolves once all are gone (or reports who is not). */
export async function terminateProcesses(pids: readonly number[], graceMs = 3000): Promise<number[]> {
  for (const pid of pids) signalProcess(pid, 'SIGTERM');
  const stubborn = await waitForExit(pids, graceMs);
  for (const pid of stubborn) signalProcess(pid, 'SIGKILL');
  return waitForExit(stubborn, 2000);
}
