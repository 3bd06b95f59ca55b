// The real OpenSSH client's command line for reaching a lab node, as a user would type it.
import { UserError } from '../model/errors.js';
import { labMembers } from './lab-router.js';
import type { LabInfo } from './lab-types.js';

/**
 * `ssh` argv that logs into `node` as root with the lab's key and known_hosts, through the switch
 * namespace. With a command it runs that command; without one it is an interactive session.
 */
export function labSshArgv(lab: LabInfo, node: string, command: readonly string[] = []): string[] {
  const members = labMembers(lab);
  const entry = members.find((n) => n.name === node);
  if (entry === undefined) {
    throw new UserError(`lab "${lab.name}" has no node "${node}" (it has ${members.map((n) => n.name).join(', ')})`);
  }
  return [
    'ssh',
    // Ignore ~/.ssh/config and the global known hosts: the lab brings everything it needs.
    '-F', 'none',
    '-i', lab.identityFile,
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${lab.knownHostsFile}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `ProxyCommand=${lab.proxyCommand}`,
    '-o', 'LogLevel=ERROR',
    `root@${entry.address}`,
    ...(command.length > 0 ? ['--', ...command] : []),
  ];
}
