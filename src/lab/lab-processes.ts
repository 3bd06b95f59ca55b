// Finding the processes of a lab: by the network namespaces they live in (what `ip netns pids`
// does, in one pass over /proc for all namespaces) and by their command line (for namespaces
// already deleted by hand while their sshd still runs).
import { readlink, stat } from 'node:fs/promises';
import { LAB_SSH_PORT, labNodePaths, labPaths } from './lab-layout.js';
import { isListeningOnPort, isProcessAlive, listPids, readProcessArgv } from './processes.js';

/** The inode that identifies the network namespace behind /run/netns/NAME, or null when it is gone. */
async function netnsInode(netns: string): Promise<number | null> {
  try {
    return (await stat(`/run/netns/${netns}`)).ino;
  } catch {
    return null;
  }
}

async function processNetnsInode(pid: number): Promise<number | null> {
  try {
    const m = /^net:\[([0-9]+)\]$/.exec(await readlink(`/proc/${pid}/ns/net`));
    return m?.[1] === undefined ? null : Number(m[1]);
  } catch {
    return null;
  }
}

/** The OpenSSH listener rewrites its title to `sshd: /usr/sbin/sshd -D -f … [listener] …`. */
function isSshdCommandLine(argv: readonly string[], sshdConfig: string): boolean {
  const line = argv.join(' ');
  return (line.startsWith('/usr/sbin/sshd ') || line.startsWith('sshd: /usr/sbin/sshd ')) && line.includes(` ${sshdConfig}`);
}

/** Whether `pid` is the live sshd of that lab node (guards against a PID reused by another process). */
export async function isLabNodeSshd(pid: number, lab: string, node: string): Promise<boolean> {
  if (pid <= 0 || !(await isProcessAlive(pid))) return false;
  return isSshdCommandLine(await readProcessArgv(pid), labNodePaths(lab, node).sshdConfig);
}

/** Up = the node's sshd is alive and its namespace has a socket listening on port 22. */
export async function isLabNodeUp(pid: number, lab: string, node: string): Promise<boolean> {
  return (await isLabNodeSshd(pid, lab, node)) && (await isListeningOnPort(pid, LAB_SSH_PORT));
}

function isLabCommandLine(argv: readonly string[], lab: string): boolean {
  const paths = labPaths(lab);
  const line = argv.join(' ');
  const isSshd = line.startsWith('/usr/sbin/sshd ') || line.startsWith('sshd: /usr/sbin/sshd ');
  if (isSshd && line.includes(` ${paths.nodesDir}/`)) return true;
  return argv[0] === 'unshare' && argv.includes(paths.initScript);
}

/** Every live process in one of the namespaces, or whose command line is one of the lab's sshd/unshare. */
export async function findLabProcesses(lab: string, namespaces: readonly string[]): Promise<number[]> {
  const inodes = new Set((await Promise.all(namespaces.map(netnsInode))).filter((i): i is number => i !== null));
  const pids = await listPids();
  const selfPid = process.pid;
  const matches = await Promise.all(
    pids.map(async (pid) => {
      if (pid === selfPid) return false;
      const inode = await processNetnsInode(pid);
      if (inode !== null && inodes.has(inode)) return isProcessAlive(pid);
      return isLabCommandLine(await readProcessArgv(pid), lab);
    }),
  );
  return pids.filter((_, i) => matches[i]);
}

/** The sshd that is PID 1 of a node's pid namespace, found among the processes of its netns. */
export async function findNodeSshd(lab: string, node: string, netns: string): Promise<number> {
  for (const pid of await findLabProcesses(lab, [netns])) {
    if (await isLabNodeSshd(pid, lab, node)) return pid;
  }
  return 0;
}
