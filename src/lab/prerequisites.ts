// What the lab needs on this machine, and the exact command that installs what is missing.
import { access, constants } from 'node:fs/promises';
import { delimiter } from 'node:path';
import { UserError } from '../model/errors.js';

interface Tool {
  /** Program name, or an absolute path when the lab runs it by path. */
  program: string;
  debianPackage: string;
}

const LAB_TOOLS: readonly Tool[] = [
  { program: '/usr/sbin/sshd', debianPackage: 'openssh-server' },
  { program: 'ssh-keygen', debianPackage: 'openssh-client' },
  { program: 'nc', debianPackage: 'netcat-openbsd' },
  { program: 'ip', debianPackage: 'iproute2' },
  { program: 'ss', debianPackage: 'iproute2' },
  { program: 'unshare', debianPackage: 'util-linux' },
  { program: 'nsenter', debianPackage: 'util-linux' },
  { program: 'mount', debianPackage: 'mount' },
];

const SSH_CLIENT: Tool = { program: 'ssh', debianPackage: 'openssh-client' };

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function findProgram(program: string): Promise<boolean> {
  if (program.startsWith('/')) return isExecutable(program);
  const dirs = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter).filter((d) => d !== '');
  for (const dir of dirs) if (await isExecutable(`${dir}/${program}`)) return true;
  return false;
}

async function missingTools(tools: readonly Tool[]): Promise<Tool[]> {
  const found = await Promise.all(tools.map((t) => findProgram(t.program)));
  return tools.filter((_, i) => !found[i]);
}

function installHint(missing: readonly Tool[]): string {
  const packages = [...new Set(missing.map((t) => t.debianPackage))];
  return (
    `podnet lab needs ${missing.map((t) => t.program).join(', ')}, which this machine lacks. Install with:\n` +
    `  apt-get install -y --no-install-recommends ${packages.join(' ')}`
  );
}

export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new UserError('podnet lab needs root (it creates network namespaces and runs sshd): run it with sudo');
  }
}

/** Throws a UserError unless we run as root with every program the lab uses. */
export async function checkLabPrerequisites(opts: { sshClient?: boolean } = {}): Promise<void> {
  requireRoot();
  const missing = await missingTools(opts.sshClient === true ? [...LAB_TOOLS, SSH_CLIENT] : LAB_TOOLS);
  if (missing.length > 0) throw new UserError(installHint(missing));
}
