// The built-in lab: nodes that are network namespaces, each running its own OpenSSH sshd on a
// shared switch that lives in a namespace of its own. Nothing is added to the root namespace.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import pLimit from 'p-limit';
import { UserError } from '../model/errors.js';
import { renderKnownHostsLine, renderNodeInit, renderSshdConfig } from './lab-files.js';
import {
  DEFAULT_LAB_NAME,
  DEFAULT_LAB_NODES,
  LAB_NAME_PATTERN,
  LAB_NETWORK_PREFIXLEN,
  LAB_ROOT_DIR,
  LAB_SSH_PORT,
  LAB_SWITCH_ADDRESS,
  LAB_SWITCH_BRIDGE,
  assertLabName,
  assertLabNodeCount,
  labNodeAddress,
  labNodeName,
  labNodeNetns,
  labNodePaths,
  labPaths,
  labProxyCommand,
  labSwitchNetns,
  labSwitchPort,
  parseLabNetns,
} from './lab-layout.js';
import { withLabLock } from './lab-lock.js';
import {
  labGatewayClusterFile,
  labMembers,
  labRouterMember,
  LAB_ROUTER_NAME,
  renderLabGatewayClusterYaml,
  renderLabHostGwClusterYaml,
  routerSwitchLines,
} from './lab-router.js';
import { findLabProcesses, findNodeSshd, isLabNodeSshd, isLabNodeUp } from './lab-processes.js';
import type { LabExecResult, LabInfo, LabNode, LabNodeStatus, LabState, LabStatus } from './lab-types.js';
import { addNetns, deleteNetns, ipBatchIn, listNetns } from './netns.js';
import { checkLabPrerequisites, requireRoot } from './prerequisites.js';
import { isListeningOnPort, isProcessAlive, readChildPids, readNamespacePids, terminateProcesses } from './processes.js';
import { runChecked, spawnCommand } from './spawn.js';
import { generateEd25519KeyPair } from './ssh-keys.js';
import { prepareKernel, restoreKernel, type KernelStepResult } from './kernel-tuning.js';
import { pathExists } from '../run/path-exists.js';

/** Per-node setup steps (key generation, `ip` batches, starts) run this many at a time. */
const NODE_SETUP_CONCURRENCY = 16;
/** How long a node's init may take to appear after its start. */
const NODE_START_TIMEOUT_MS = 15_000;
const LISTEN_TIMEOUT_BASE_MS = 15_000;
const LISTEN_TIMEOUT_PER_NODE_MS = 100;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ───────────────────────────── lab.json ─────────────────────────────

async function readLabState(name: string): Promise<LabState | null> {
  try {
    const state = JSON.parse(await readFile(labPaths(name).stateFile, 'utf8')) as LabState;
    return state.name === name && Array.isArray(state.nodes) ? state : null;
  } catch {
    return null;
  }
}

async function writeLabState(state: LabState): Promise<void> {
  const file = labPaths(state.name).stateFile;
  await writeFile(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o644 });
  await rename(`${file}.tmp`, file);
}

async function updateNodePid(name: string, node: string, pid: number): Promise<void> {
  const state = await readLabState(name);
  const entry = state === null ? undefined : labMembers(state).find((n) => n.name === node);
  if (state === null || entry === undefined) return;
  entry.pid = pid;
  await writeLabState(state);
}

function toLabInfo(state: LabState): LabInfo {
  const { name, stateDir, switchNetns, clusterFile, identityFile, knownHostsFile, proxyCommand, nodes, router, gatewayClusterFile } = state;
  return {
    name,
    stateDir,
    switchNetns,
    clusterFile,
    identityFile,
    knownHostsFile,
    proxyCommand,
    nodes,
    ...(router !== undefined ? { router } : {}),
    ...(gatewayClusterFile !== undefined ? { gatewayClusterFile } : {}),
  };
}

/** The lab as lab.json records it (whether or not its nodes are up), or null when there is none. */
export async function labInfo(name: string = DEFAULT_LAB_NAME): Promise<LabInfo | null> {
  assertLabName(name);
  const state = await readLabState(name);
  return state === null ? null : toLabInfo(state);
}

async function requireLabNode(name: string, node: string): Promise<{ state: LabState; node: LabNode }> {
  assertLabName(name);
  requireRoot();
  const state = await readLabState(name);
  if (state === null) throw new UserError(`no lab "${name}" (run: podnet lab up --name ${name})`);
  const entry = labMembers(state).find((n) => n.name === node);
  if (entry === undefined) {
    throw new UserError(`lab "${name}" has no node "${node}" (it has ${labMembers(state).map((n) => n.name).join(', ')})`);
  }
  return { state, node: entry };
}

// ───────────────────────────── node processes ─────────────────────────────

/** Writes a new ed25519 key pair to FILE and FILE.pub, as `ssh-keygen -t ed25519 -N '' -f FILE` would. */
async function generateKey(file: string, comment: string): Promise<void> {
  const { privateKey, publicKey } = generateEd25519KeyPair(comment);
  await rm(file, { force: true });
  await writeFile(file, privateKey, { mode: 0o600 });
  await writeFile(`${file}.pub`, publicKey, { mode: 0o644 });
}

async function readTail(file: string, lines = 5): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function nodeFailure(lab: string, node: string, what: string): Promise<Error> {
  const paths = labNodePaths(lab, node);
  const logs = [await readTail(paths.initLog), await readTail(paths.sshdLog)].filter((l) => l !== '').join('\n');
  return new Error(`lab ${lab}: ${node} ${what}${logs === '' ? '' : `:\n${logs}`}`);
}

/**
 * Starts a node's init (which execs sshd) detached, in the node's netns and in new mount, UTS and
 * pid namespaces; returns the PID of that sshd as the root namespace sees it.
 */
async function startNodeProcess(lab: string, node: LabNode): Promise<number> {
  const deadline = Date.now() + NODE_START_TIMEOUT_MS;
  const paths = labNodePaths(lab, node.name);
  const logFd = openSync(paths.initLog, 'a');
  let unsharePid: number | undefined;
  try {
    const child = spawn(
      'ip',
      [
        'netns', 'exec', node.netns,
        'unshare', '--mount', '--propagation', 'private', '--uts', '--pid', '--fork', '--kill-child', '--mount-proc',
        '/bin/sh', labPaths(lab).initScript, node.name, paths.sshdConfig, paths.sshdLog,
        paths.etcCniDir, '/etc/cni',
        paths.cniBinDir, '/opt/cni/bin',
        paths.cniStateDir, '/var/lib/cni',
        paths.rootHomeDir, '/root',
        paths.applyStateDir, '/run/podnet/apply',
        paths.podnetStateDir, '/var/lib/podnet',
      ],
      { detached: true, stdio: ['ignore', logFd, logFd] },
    );
    child.on('error', () => {});
    child.unref();
    unsharePid = child.pid;
  } finally {
    closeSync(logFd);
  }
  if (unsharePid === undefined) throw await nodeFailure(lab, node.name, 'could not be started');
  // unshare forks the node's PID 1: its only child, whose innermost PID is 1.
  for (let delay = 2; Date.now() < deadline; delay = Math.min(delay * 2, 50)) {
    for (const child of await readChildPids(unsharePid)) {
      const nsPids = await readNamespacePids(child);
      if (nsPids.length >= 2 && nsPids.at(-1) === 1) return child;
    }
    if (!(await isProcessAlive(unsharePid))) break;
    await sleep(delay);
  }
  throw await nodeFailure(lab, node.name, 'did not start');
}

async function waitNodeListening(lab: string, node: LabNode, deadline: number): Promise<void> {
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    if (await isListeningOnPort(node.pid, LAB_SSH_PORT)) return;
    if (!(await isProcessAlive(node.pid))) throw await nodeFailure(lab, node.name, 'sshd exited');
    if (Date.now() >= deadline) throw await nodeFailure(lab, node.name, 'sshd is not listening');
    await sleep(delay);
  }
}

/** Once every node's process runs, how long sshd may take to listen (longer for big labs on busy machines). */
function listenDeadline(nodes: number): number {
  return Date.now() + LISTEN_TIMEOUT_BASE_MS + LISTEN_TIMEOUT_PER_NODE_MS * nodes;
}

async function startNode(lab: string, node: LabNode): Promise<number> {
  const pid = await startNodeProcess(lab, node);
  await waitNodeListening(lab, { ...node, pid }, listenDeadline(1));
  return pid;
}

// ───────────────────────────── up ─────────────────────────────

async function prepareNodeDir(lab: string, node: LabNode, authorizedKeysFile: string): Promise<void> {
  const paths = labNodePaths(lab, node.name);
  // The usual modes of what they are mounted over: /root private, the CNI directories readable by all.
  for (const dir of [paths.etcCniDir, paths.cniBinDir, paths.cniStateDir, paths.applyStateDir, paths.podnetStateDir]) await mkdir(dir, { recursive: true, mode: 0o755 });
  await mkdir(paths.rootHomeDir, { recursive: true, mode: 0o700 });
  await generateKey(paths.hostKeyFile, `podnet-lab-${lab}-${node.name}`);
  await writeFile(
    paths.sshdConfig,
    renderSshdConfig({ address: node.address, hostKeyFile: paths.hostKeyFile, authorizedKeysFile }),
    { mode: 0o600 },
  );
}

async function writeKnownHosts(info: LabInfo): Promise<void> {
  const lines = await Promise.all(
    labMembers(info).map(async (n) =>
      renderKnownHostsLine(n.address, await readFile(labNodePaths(info.name, n.name).hostPublicKeyFile, 'utf8')),
    ),
  );
  await writeFile(info.knownHostsFile, lines.join(''), { mode: 0o644 });
}

async function createLab(name: string, count: number, withRouter: boolean): Promise<LabInfo> {
  const paths = labPaths(name);
  const limit = pLimit(NODE_SETUP_CONCURRENCY);
  const nodes: LabNode[] = Array.from({ length: count }, (_, i) => ({
    name: labNodeName(i + 1),
    address: labNodeAddress(i + 1),
    netns: labNodeNetns(name, labNodeName(i + 1)),
    pid: 0,
  }));
  const info: LabInfo = {
    name,
    stateDir: paths.stateDir,
    switchNetns: labSwitchNetns(name),
    clusterFile: paths.clusterFile,
    identityFile: paths.identityFile,
    knownHostsFile: paths.knownHostsFile,
    proxyCommand: labProxyCommand(name),
    nodes,
    ...(withRouter ? { router: labRouterMember(name), gatewayClusterFile: labGatewayClusterFile(name) } : {}),
  };
  // The router (with --router) is set up, started and torn down exactly like a node.
  const members = labMembers(info);
  const state: LabState = { ...info, created: new Date().toISOString() };

  await mkdir(paths.nodesDir, { recursive: true, mode: 0o755 });
  await writeLabState(state);
  await writeFile(paths.initScript, renderNodeInit(), { mode: 0o755 });
  await generateKey(paths.identityFile, `podnet-lab-${name}`);
  await copyFile(paths.publicKeyFile, paths.authorizedKeysFile);
  await Promise.all(members.map((n) => limit(() => prepareNodeDir(name, n, paths.authorizedKeysFile))));

  await addNetns([info.switchNetns, ...members.map((n) => n.netns)]);
  await ipBatchIn(info.switchNetns, [
    'link set lo up',
    `link add ${LAB_SWITCH_BRIDGE} type bridge`,
    `addr add ${LAB_SWITCH_ADDRESS}/${LAB_NETWORK_PREFIXLEN} dev ${LAB_SWITCH_BRIDGE}`,
    `link set ${LAB_SWITCH_BRIDGE} up`,
    ...nodes.flatMap((n, i) => [
      `link add ${labSwitchPort(i + 1)} type veth peer name eth0 netns ${n.netns}`,
      `link set ${labSwitchPort(i + 1)} master ${LAB_SWITCH_BRIDGE}`,
      `link set ${labSwitchPort(i + 1)} up`,
    ]),
    ...(info.router !== undefined ? routerSwitchLines(info.router, LAB_SWITCH_BRIDGE) : []),
  ]);
  await Promise.all(
    members.map((n) =>
      limit(() =>
        ipBatchIn(n.netns, ['link set lo up', `addr add ${n.address}/${LAB_NETWORK_PREFIXLEN} dev eth0`, 'link set eth0 up']),
      ),
    ),
  );

  await Promise.all(
    members.map((n) =>
      limit(async () => {
        n.pid = await startNodeProcess(name, n);
      }),
    ),
  );
  await writeLabState(state);
  const deadline = listenDeadline(members.length);
  await Promise.all(members.map((n) => waitNodeListening(name, n, deadline)));

  await writeKnownHosts(info);
  await writeFile(paths.clusterFile, renderLabHostGwClusterYaml(info), { mode: 0o644 });
  if (info.gatewayClusterFile !== undefined) await writeFile(info.gatewayClusterFile, renderLabGatewayClusterYaml(info), { mode: 0o644 });
  return info;
}

/** A lab whose every namespace exists and every node's sshd is up; null otherwise. */
async function healthyLab(name: string): Promise<LabState | null> {
  const state = await readLabState(name);
  if (state === null || state.nodes.length === 0) return null;
  const namespaces = new Set(await listNetns());
  if (!namespaces.has(state.switchNetns)) return null;
  for (const node of labMembers(state)) {
    if (!namespaces.has(node.netns) || !(await isLabNodeUp(node.pid, name, node.name))) return null;
  }
  for (const file of [state.clusterFile, state.identityFile, state.knownHostsFile, ...(state.gatewayClusterFile !== undefined ? [state.gatewayClusterFile] : [])]) {
    if (!(await pathExists(file))) return null;
  }
  return state;
}

/**
 * Brings a lab up and returns it. Idempotent: a healthy lab of that name is returned as is; a
 * half-dead one (crash, stopped node, missing namespace) is torn down and built again. With
 * `router`, the lab also gets a router (192.168.1.254) and a cluster-gateway.yaml.
 */
export async function labUp(opts: LabUpOptions = {}): Promise<LabInfo> {
  const name = opts.name ?? DEFAULT_LAB_NAME;
  assertLabName(name);
  if (opts.nodes !== undefined) assertLabNodeCount(opts.nodes);
  await checkLabPrerequisites();
  const kernel = { tune: opts.tuneKernel ?? false, ...(opts.procSys !== undefined ? { procSys: opts.procSys } : {}) };
  return withLabLock(name, () => upUnlocked(name, opts.nodes, opts.router ?? false, kernel, opts.onKernel));
}

export interface LabUpOptions {
  name?: string;
  nodes?: number;
  router?: boolean;
  /** Raise the kernel limits a lab of this size needs (recorded in kernel.json; lab down puts them back). Without it, a lab that would hit one is refused. */
  tuneKernel?: boolean;
  /** Where the sysctls are read and written (default /proc/sys): for tests only. */
  procSys?: string;
  /** Called with the kernel step's warnings and raised limits when a new lab is made (not for a lab already up). */
  onKernel?: (result: KernelStepResult) => void;
}

async function upUnlocked(
  name: string,
  nodes: number | undefined,
  withRouter: boolean,
  kernel: { tune: boolean; procSys?: string },
  onKernel?: (result: KernelStepResult) => void,
): Promise<LabInfo> {
  const existing = await healthyLab(name);
  if (existing !== null) {
    if (nodes !== undefined && nodes !== existing.nodes.length) {
      throw new UserError(
        `lab "${name}" is already up with ${existing.nodes.length} nodes; run \`podnet lab down --name ${name}\` first to get ${nodes}`,
      );
    }
    if (withRouter && existing.router === undefined) {
      throw new UserError(`lab "${name}" is already up without a router; run \`podnet lab down --name ${name}\` first to get one`);
    }
    return toLabInfo(existing);
  }
  await downUnlocked(name, kernel.procSys);
  const count = nodes ?? DEFAULT_LAB_NODES;
  // Refused here, nothing is made; tuned, what was raised is in kernel.json before anything else.
  const step = await prepareKernel(name, count, count + (withRouter ? 1 : 0), kernel);
  onKernel?.(step);
  try {
    return await createLab(name, count, withRouter);
  } catch (err) {
    await downUnlocked(name, kernel.procSys).catch(() => {});
    throw err;
  }
}

// ───────────────────────────── down ─────────────────────────────

/**
 * Removes everything a lab made: its processes (found through lab.json, the lab's namespaces and
 * their command lines), its namespaces and its state directory. Idempotent; also cleans up after a
 * crashed run that left no lab.json.
 */
export async function labDown(name: string = DEFAULT_LAB_NAME, opts: { procSys?: string } = {}): Promise<{ removed: string[]; restored: string[] }> {
  assertLabName(name);
  requireRoot();
  return withLabLock(name, () => downUnlocked(name, opts.procSys));
}

async function downUnlocked(name: string, procSys?: string): Promise<{ removed: string[]; restored: string[] }> {
  const paths = labPaths(name);
  const namespaces = (await listNetns()).filter((ns) => parseLabNetns(ns)?.lab === name);
  const pids = new Set(await findLabProcesses(name, namespaces));
  const state = await readLabState(name);
  for (const node of state === null ? [] : labMembers(state)) {
    if (await isLabNodeSshd(node.pid, name, node.name)) pids.add(node.pid);
  }
  const stuck = await terminateProcesses([...pids]);
  if (stuck.length > 0) throw new Error(`lab ${name}: processes ${stuck.join(', ')} would not end`);
  await deleteNetns(namespaces);
  // What the lab raised or created on the machine goes back once its nodes are gone.
  const restored = await restoreKernel(name, procSys === undefined ? {} : { procSys });
  const hadStateDir = await pathExists(paths.stateDir);
  await rm(paths.stateDir, { recursive: true, force: true });
  return { removed: [...namespaces, ...(hadStateDir ? [paths.stateDir] : [])], restored };
}

/** The names of every lab on this machine: state directories and namespaces left without one. */
export async function listLabNames(): Promise<string[]> {
  const names = new Set<string>();
  try {
    for (const entry of await readdir(LAB_ROOT_DIR)) if (LAB_NAME_PATTERN.test(entry)) names.add(entry);
  } catch {
    // No lab was ever made.
  }
  for (const ns of await listNetns()) {
    const parsed = parseLabNetns(ns);
    if (parsed !== null) names.add(parsed.lab);
  }
  return [...names].sort();
}

// ───────────────────────────── status ─────────────────────────────

export async function labStatus(): Promise<LabStatus[]> {
  requireRoot();
  const namespaces = await listNetns();
  const present = new Set(namespaces);
  const labs: LabStatus[] = [];
  for (const name of await listLabNames()) {
    const state = await readLabState(name);
    const nodes: LabNode[] =
      state?.nodes ??
      namespaces
        .map((ns) => ({ ns, parsed: parseLabNetns(ns) }))
        .filter(({ parsed }) => parsed?.lab === name && parsed.member !== 'sw' && parsed.member !== LAB_ROUTER_NAME)
        .map(({ ns, parsed }) => {
          const nodeName = parsed?.member ?? '';
          const index = Number(nodeName.slice('node'.length));
          return { name: nodeName, address: labNodeAddress(index), netns: ns, pid: 0 };
        })
        .sort((a, b) => a.address.localeCompare(b.address, 'en', { numeric: true }));
    const memberStatus = async (n: LabNode): Promise<LabNodeStatus> => {
      const pid = state === null ? await findNodeSshd(name, n.name, n.netns) : n.pid;
      return { ...n, pid, netnsExists: present.has(n.netns), up: await isLabNodeUp(pid, name, n.name) };
    };
    const statuses: LabNodeStatus[] = await Promise.all(nodes.map(memberStatus));
    const router = state?.router === undefined ? undefined : await memberStatus(state.router);
    labs.push({
      name,
      stateDir: labPaths(name).stateDir,
      hasState: state !== null,
      ...(state === null ? {} : { created: state.created }),
      switchNetnsExists: present.has(labSwitchNetns(name)),
      nodes: statuses,
      ...(router !== undefined ? { router } : {}),
    });
  }
  return labs;
}

// ───────────────────────────── nodes ─────────────────────────────

/**
 * Runs argv inside a node: its network, mount, UTS and pid namespaces (so it sees the node's pods in
 * /run/netns and its /etc/cni, and anything it leaves running ends with the node). The node must be running.
 */
export async function labNodeExec(
  name: string,
  node: string,
  argv: string[],
  opts: { input?: string } = {},
): Promise<LabExecResult> {
  const { node: entry } = await requireLabNode(name, node);
  if (!(await isLabNodeSshd(entry.pid, name, node))) throw new UserError(`lab "${name}": ${node} is not running`);
  return spawnCommand(['nsenter', '-t', String(entry.pid), '-n', '-m', '-u', '-p', '--', ...argv], opts);
}

/** Stops a node's sshd (and with it every process and pod of the node); its namespace and address stay. */
export async function labStopNode(name: string, node: string): Promise<void> {
  await requireLabNode(name, node);
  await withLabLock(name, () => stopNodeUnlocked(name, node));
}

async function stopNodeUnlocked(name: string, node: string): Promise<void> {
  const { node: entry } = await requireLabNode(name, node);
  if (await isLabNodeSshd(entry.pid, name, node)) {
    const stuck = await terminateProcesses([entry.pid]);
    if (stuck.length > 0) throw new Error(`lab ${name}: ${node}'s sshd (pid ${entry.pid}) would not end`);
  }
  await updateNodePid(name, node, 0);
}

/** Starts a stopped node again, with the same host keys; a running node is returned as is. */
export async function labStartNode(name: string, node: string): Promise<LabNode> {
  await requireLabNode(name, node);
  return withLabLock(name, () => startNodeUnlocked(name, node));
}

async function startNodeUnlocked(name: string, node: string): Promise<LabNode> {
  const { node: entry } = await requireLabNode(name, node);
  if (await isLabNodeUp(entry.pid, name, node)) return entry;
  if (await isLabNodeSshd(entry.pid, name, node)) await terminateProcesses([entry.pid]);
  const pid = await startNode(name, entry);
  await updateNodePid(name, node, pid);
  return { ...entry, pid };
}

/** Gives a node a new host key and restarts it, leaving known_hosts as it was (it now mismatches). */
export async function labRegenerateHostKey(name: string, node: string): Promise<LabNode> {
  await requireLabNode(name, node);
  return withLabLock(name, async () => {
    await stopNodeUnlocked(name, node);
    await generateKey(labNodePaths(name, node).hostKeyFile, `podnet-lab-${name}-${node}`);
    return startNodeUnlocked(name, node);
  });
}

/** The SHA256 fingerprint of the host key a node's sshd is configured with (`SHA256:…`). */
export async function labHostKeyFingerprint(name: string, node: string): Promise<string> {
  await requireLabNode(name, node);
  const out = await runChecked(['ssh-keygen', '-l', '-E', 'sha256', '-f', labNodePaths(name, node).hostPublicKeyFile]);
  const fingerprint = out.split(/\s+/)[1];
  if (fingerprint === undefined) throw new Error(`unexpected ssh-keygen output: ${out}`);
  return fingerprint;
}

export type { KernelStepResult } from './kernel-tuning.js';
export type { LabExecResult, LabInfo, LabNode, LabNodeStatus, LabStatus } from './lab-types.js';
export { labSshArgv } from './lab-ssh.js';
