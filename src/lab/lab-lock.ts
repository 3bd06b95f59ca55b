// One lab, one writer: `lab up`, `lab down` and node stop/start of the same lab from several
// processes (or several calls in one process) run one after the other. The lock is a file created
// with O_EXCL holding the owner's PID; a lock whose owner is gone is taken over.
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { UserError } from '../model/errors.js';
import { LAB_ROOT_DIR } from './lab-layout.js';
import { isProcessAlive } from './processes.js';

const LOCK_TIMEOUT_MS = 120_000;
const LOCK_POLL_MS = 25;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function labLockFile(name: string): string {
  return `${LAB_ROOT_DIR}/.${name}.lock`;
}

async function lockOwner(file: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

async function acquire(name: string): Promise<void> {
  const file = labLockFile(name);
  await mkdir(LAB_ROOT_DIR, { recursive: true, mode: 0o755 });
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  let unreadableSince: number | null = null;
  for (;;) {
    try {
      const handle = await open(file, 'wx', 0o644);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = await lockOwner(file);
    if (owner === null) {
      // Between another process's create and its write the file is empty: give it a moment.
      unreadableSince ??= Date.now();
      if (Date.now() - unreadableSince > 2000) await rm(file, { force: true });
    } else if (!(await isProcessAlive(owner))) {
      await rm(file, { force: true });
    } else {
      unreadableSince = null;
      if (Date.now() >= deadline) throw new UserError(`lab "${name}" is busy (process ${owner} holds ${file})`);
    }
    await sleep(LOCK_POLL_MS);
  }
}

/** Runs fn holding the lab's lock. Not reentrant: call unlocked helpers from inside fn. */
export async function withLabLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  await acquire(name);
  try {
    return await fn();
  } finally {
    await rm(labLockFile(name), { force: true });
  }
}
