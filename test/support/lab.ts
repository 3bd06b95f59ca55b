// Test fixture: a lab of real nodes (namespaces with sshd) with a unique name, always torn down.
//
//   import { withLab } from './lab.js';
//   test('…', { skip: needs('root', 'netns', 'sshd') }, () => withLab(3, async (lab) => { … }));
//
// or, to share one lab between the tests of a file:
//
//   let lab: LabInfo;   (inside a describe whose skip is needs('root', 'netns', 'sshd'): see needs.ts)
//   before(async () => { lab = await startTestLab(3); });
//   after(() => stopTestLab(lab));
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { labDown, labSshArgv, labUp, type LabExecResult, type LabInfo } from '../../src/lab/lab.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `t` + 6 random characters of [a-z0-9]: a lab name no other test run uses. */
export function testLabName(): string {
  const bytes = randomBytes(6);
  return `t${Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join('')}`;
}

/** Labs this process started and has not torn down yet (torn down on SIGINT/SIGTERM too). */
const liveLabs = new Set<string>();

let signalHandlersInstalled = false;
function installSignalHandlers(): void {
  if (signalHandlersInstalled) return;
  signalHandlersInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void Promise.allSettled([...liveLabs].map((name) => labDown(name))).then(() => process.exit(130));
    });
  }
}

/** Options of a test lab: `router` adds the gateway-mode router (192.168.1.254) and cluster-gateway.yaml. */
export interface TestLabOptions {
  router?: boolean;
}

/** Brings up a fresh lab of `nodes` nodes under a unique name. */
export async function startTestLab(nodes: number, options: TestLabOptions = {}): Promise<LabInfo> {
  installSignalHandlers();
  const name = testLabName();
  liveLabs.add(name);
  try {
    return await labUp({ name, nodes, ...(options.router === true ? { router: true } : {}) });
  } catch (err) {
    await stopTestLab(name);
    throw err;
  }
}

/** Tears a test lab down; accepts undefined so `after(() => stopTestLab(lab))` is safe when `before` failed. */
export async function stopTestLab(lab: LabInfo | string | undefined): Promise<void> {
  if (lab === undefined) return;
  const name = typeof lab === 'string' ? lab : lab.name;
  await labDown(name);
  liveLabs.delete(name);
}

/** Runs `fn` on a fresh lab and tears it down afterwards, also when `fn` throws. */
export async function withLab(nodes: number, fn: (lab: LabInfo) => Promise<void>): Promise<void> {
  const lab = await startTestLab(nodes);
  try {
    await fn(lab);
  } finally {
    await stopTestLab(lab);
  }
}

/**
 * Runs a command on a node through the real OpenSSH client (`ssh … root@ADDRESS -- command`).
 * The remote shell joins the words with spaces, as ssh does: quote what needs quoting.
 */
export function sshToNode(lab: LabInfo, node: string, command: readonly string[], input = ''): Promise<LabExecResult> {
  const [program, ...args] = labSshArgv(lab, node, command);
  return new Promise((resolve, reject) => {
    const child = spawn(program ?? 'ssh', ['-o', 'BatchMode=yes', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code: code ?? 255, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

export { labNodeExec, labRegenerateHostKey, labStartNode, labStopNode } from '../../src/lab/lab.js';
export type { LabInfo, LabNode } from '../../src/lab/lab.js';
