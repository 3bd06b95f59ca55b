// `podnet lab up|down|status|ssh` (their options: ./commands/lab.ts): what each does, loaded when it
// runs. A real cluster on this machine, one network namespace and one OpenSSH sshd per node, for
// trying podnet and for its end-to-end tests.
import { spawn } from 'node:child_process';
import { UserError } from '../model/errors.js';
import { DEFAULT_LAB_NAME } from '../lab/lab-layout.js';
import {
  labDown,
  labInfo,
  labSshArgv,
  labStatus,
  labUp,
  listLabNames,
  type LabInfo,
  type LabStatus,
} from '../lab/lab.js';
import { labMembers } from '../lab/lab-router.js';
import { pickLab } from '../lab/lab-choice.js';
import { checkLabPrerequisites } from '../lab/prerequisites.js';

function renderLabUp(lab: LabInfo, seconds: number): string {
  const members = labMembers(lab);
  const nameWidth = Math.max(...members.map((n) => n.name.length));
  const addressWidth = Math.max(...members.map((n) => n.address.length));
  const router = lab.router === undefined ? '' : ' and a router';
  return [
    `lab ${lab.name}: ${lab.nodes.length} node${lab.nodes.length === 1 ? '' : 's'}${router} up (${seconds.toFixed(1)} s)`,
    ...members.map((n) => `  ${n.name.padEnd(nameWidth)}  ${n.address.padEnd(addressWidth)}  netns ${n.netns}`),
    `cluster file: ${lab.clusterFile}`,
    ...(lab.gatewayClusterFile !== undefined ? [`gateway mode: ${lab.gatewayClusterFile}`] : []),
    `next: podnet diff ${lab.clusterFile}`,
    `      podnet lab ssh ${lab.nodes[0]?.name ?? 'node1'}${lab.name === DEFAULT_LAB_NAME ? '' : ` --name ${lab.name}`}`,
    '',
  ].join('\n');
}

function renderLabStatus(labs: readonly LabStatus[]): string {
  if (labs.length === 0) return 'no labs\n';
  const lines: string[] = [];
  for (const lab of labs) {
    const up = lab.nodes.filter((n) => n.up).length;
    const note = lab.hasState ? '' : ` (left over without lab.json: run podnet lab down --name ${lab.name})`;
    lines.push(`lab ${lab.name}: ${up}/${lab.nodes.length} nodes up${note}`);
    for (const n of lab.router === undefined ? lab.nodes : [...lab.nodes, lab.router]) {
      const state = n.up ? 'up' : n.netnsExists ? 'down' : 'down (namespace missing)';
      lines.push(`  ${n.name.padEnd(8)}  ${n.address.padEnd(14)}  ${state}${n.up ? `  sshd pid ${n.pid}` : ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The version of `lab status -o json`'s document. */
export const LAB_STATUS_FORMAT_VERSION = 1;

/** `lab status -o json`: one document, like the other commands' JSON (formatVersion first). */
export function renderLabStatusJson(labs: readonly LabStatus[]): string {
  return `${JSON.stringify({ formatVersion: LAB_STATUS_FORMAT_VERSION, labs }, null, 2)}\n`;
}

/** Runs the real ssh client with our stdio; resolves with its exit code. */
function runInteractive(argv: readonly string[]): Promise<number> {
  const [program, ...args] = argv;
  if (program === undefined) return Promise.resolve(1);
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
}

async function requireLab(name: string): Promise<LabInfo> {
  const info = await labInfo(name);
  if (info === null) {
    throw new UserError(`no lab "${name}" (run: podnet lab up${name === DEFAULT_LAB_NAME ? '' : ` --name ${name}`})`);
  }
  return info;
}

/** `lab up`. */
export async function labUpAction(opts: { nodes?: number; name: string; router: boolean; tuneKernel: boolean }): Promise<void> {
  const started = performance.now();
  // Warnings go to stderr (the lab works; something around it may not), the raised limits to stdout.
  const info = await labUp({
    name: opts.name,
    router: opts.router,
    tuneKernel: opts.tuneKernel,
    ...(opts.nodes === undefined ? {} : { nodes: opts.nodes }),
    onKernel: ({ warnings, changes }) => {
      for (const warning of warnings) process.stderr.write(`${warning}\n`);
      for (const change of changes) process.stdout.write(`${change}\n`);
    },
  });
  process.stdout.write(renderLabUp(info, (performance.now() - started) / 1000));
}

/** `lab down`. */
export async function labDownAction(opts: { name: string; all: boolean }): Promise<void> {
  const names = opts.all ? await listLabNames() : [opts.name];
  for (const name of names) {
    const { removed, restored } = await labDown(name);
    process.stdout.write(
      removed.length === 0 ? `lab ${name}: nothing to remove\n` : `lab ${name}: removed ${removed.join(', ')}\n`,
    );
    for (const line of restored) process.stdout.write(`lab ${name}: ${line}\n`);
  }
  if (names.length === 0) process.stdout.write('no labs\n');
}

/** `lab status`. */
export async function labStatusAction(opts: { output: 'text' | 'json'; json?: boolean }): Promise<void> {
  const labs = await labStatus();
  process.stdout.write(opts.output === 'json' || opts.json === true ? renderLabStatusJson(labs) : renderLabStatus(labs));
}

/** `lab ssh`: the exit code of the ssh client. */
export async function labSshAction(node: string, command: string[], opts: { name?: string }): Promise<number> {
  await checkLabPrerequisites({ sshClient: true });
  const labs = await labStatus();
  const name = pickLab(opts.name, labs, `podnet lab ssh ${node} --name NAME`);
  const info = await requireLab(name);
  const status = labs.find((l) => l.name === name);
  const target = [...(status?.nodes ?? []), ...(status?.router !== undefined ? [status.router] : [])].find((n) => n.name === node);
  if (target !== undefined && !target.up) {
    throw new UserError(`lab "${name}": ${node} is down (see podnet lab status)`);
  }
  return runInteractive(labSshArgv(info, node, command));
}
