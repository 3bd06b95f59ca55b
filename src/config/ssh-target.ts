// How to reach one node: its SSH settings merged from cluster.yaml and the Ansible inventory.
// Precedence: the node's `ssh:` > inventory host vars > group vars > cluster `ssh:` > built-in.
import type { Diagnostic, SshTarget } from '../model/types.js';
import { identityFileProblem, type FileFacts } from '../model/causes.js';
import type { InventoryVar } from './inventory.js';
import { checkIpv4Address } from './ipv4.js';
import type { Blame, Dict, Located } from './located.js';
import { resolveConfigPath } from './paths.js';
import { definitionValidator } from './schema-check.js';
import type { JsonPath, YamlLocator } from './yaml-positions.js';

export const DEFAULT_SSH_USER = 'root';
export const DEFAULT_SSH_PORT = 22;
export const DEFAULT_KNOWN_HOSTS_FILE = '~/.ssh/known_hosts';
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 10;
/** Like OpenSSH's ServerAliveInterval 15 / ServerAliveCountMax 3: a silent node is dropped after about a minute. */
export const DEFAULT_KEEPALIVE_INTERVAL_SECONDS = 15;
export const DEFAULT_KEEPALIVE_COUNT_MAX = 3;
/** Generous: an apply of a node with many pods re-gathers and runs every step in one exec. */
export const DEFAULT_EXEC_TIMEOUT_SECONDS = 120;

/** Ansible's own spellings of what podnet reads, newest first. */
export const INVENTORY_KEYS = {
  host: ['ansible_host', 'ansible_ssh_host'],
  port: ['ansible_port', 'ansible_ssh_port'],
  user: ['ansible_user', 'ansible_ssh_user'],
  identityFile: ['ansible_ssh_private_key_file', 'ansible_private_key_file'],
  become: ['ansible_become'],
} as const;

// Ansible variables podnet deliberately does not use.
const PASSWORD_KEYS = ['ansible_password', 'ansible_ssh_pass', 'ansible_become_password', 'ansible_become_pass', 'ansible_sudo_pass'];

const isValidSshHost = definitionValidator('sshHost');
const isValidSshUser = definitionValidator('sshUser');

/** Ansible's boolean(): yes/no, true/false, on/off, 1/0, y/n, t/f in any case. */
export function ansibleBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  const text = String(value).toLowerCase();
  if (['yes', 'true', 'on', '1', 'y', 't'].includes(text)) return true;
  if (['no', 'false', 'off', '0', 'n', 'f'].includes(text)) return false;
  return undefined;
}

export function looksLikeIpv6(text: string): boolean {
  return text.includes(':') && /^[0-9a-fA-F:.]+$/.test(text);
}

/** Warnings for inventory variables podnet ignores on purpose. */
export function ignoredInventoryVars(hostVars: ReadonlyMap<string, InventoryVar>): Diagnostic[] {
  return [...hostVars]
    .filter(([key]) => PASSWORD_KEYS.includes(key))
    .map(([key, found]) => ({ ...found.pos, message: `warning: podnet ignores ${key}: it logs in with a key or the SSH agent, and \`become\` needs passwordless sudo` }));
}

export interface SshSources {
  /** The node's own `ssh:` mapping in cluster.yaml, and its path there. */
  nodeSsh: Dict;
  nodeSshPath: JsonPath;
  /** The cluster's `ssh:` mapping. */
  defaults: Dict;
  /** The node's merged inventory variable under the first of these names that is set. */
  inventoryVar(keys: readonly string[]): InventoryVar | undefined;
  /** The node has no `address` in cluster.yaml, so ansible_host is its address (checked there). */
  addressFromInventory: boolean;
  /** SSH host when nothing else names one: the node address. */
  fallbackHost: string;
  /** Where the cluster's `ssh:` mapping is (default ['ssh']). */
  defaultsPath?: JsonPath;
  /** Directories relative paths are taken against. */
  baseDir: string;
  inventoryDir: string;
  io: { homeDir: string; cwd?: string; fileProblem?: (path: string) => FileFacts | undefined };
  locate: YamlLocator;
  report(diagnostic: Diagnostic): void;
}

type Guard<T> = (value: unknown) => value is T;
const isString: Guard<string> = (value): value is string => typeof value === 'string';
const isNumber: Guard<number> = (value): value is number => typeof value === 'number';
const isBoolean: Guard<boolean> = (value): value is boolean => typeof value === 'boolean';

export function resolveSshTarget(sources: SshSources): SshTarget {
  const { nodeSsh, defaults, io, locate, report } = sources;
  const atPos =
    (found: InventoryVar): Blame =>
    (message) => ({ ...found.pos, message });
  const fromNode = <T>(key: string, isType: Guard<T>): Located<T> | undefined =>
    isType(nodeSsh[key]) ? { value: nodeSsh[key], blame: (message) => locate.at([...sources.nodeSshPath, key], message) } : undefined;
  const fromDefaults = <T>(key: string, isType: Guard<T>): T | undefined => (isType(defaults[key]) ? defaults[key] : undefined);
  const pathFromBase = (path: string): string => resolveConfigPath(path, sources.baseDir, io.homeDir, io.cwd);

  // host: the node's ssh.host, else ansible_host, else the node address
  const nodeHost = fromNode('host', isString);
  const inventoryHost = nodeHost ? undefined : sources.inventoryVar(INVENTORY_KEYS.host);
  const host = nodeHost?.value ?? (inventoryHost ? String(inventoryHost.value) : undefined);
  if (host !== undefined && (nodeHost !== undefined || !sources.addressFromInventory)) {
    const blame = nodeHost?.blame ?? atPos(inventoryHost as InventoryVar);
    if (/^[0-9.]+$/.test(host) && !checkIpv4Address(host).ok) report(blame(`ssh host ${host}: not a valid IPv4 address`));
    else if (inventoryHost) {
      const problem = looksLikeIpv6(host) ? 'IPv6 is not supported yet' : isValidSshHost(host);
      if (problem) report(blame(`ansible_host ${JSON.stringify(host)} ${problem}`));
    }
  }

  let port = fromNode('port', isNumber)?.value;
  const inventoryPort = port === undefined ? sources.inventoryVar(INVENTORY_KEYS.port) : undefined;
  if (inventoryPort) {
    const text = String(inventoryPort.value);
    const parsed = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
    if (parsed >= 1 && parsed <= 65535) port = parsed;
    else report(atPos(inventoryPort)(`ansible_port ${JSON.stringify(text)} must be a port number 1-65535`));
  }

  let user = fromNode('user', isString)?.value;
  const inventoryUser = user === undefined ? sources.inventoryVar(INVENTORY_KEYS.user) : undefined;
  if (inventoryUser) {
    user = String(inventoryUser.value);
    const problem = isValidSshUser(user);
    if (problem) report(atPos(inventoryUser)(`ansible_user ${JSON.stringify(user)} ${problem}`));
  }

  let identityFile: string | undefined;
  let identityBlame: Blame | undefined;
  const nodeIdentityAt = fromNode('identityFile', isString);
  const nodeIdentity = nodeIdentityAt?.value;
  const inventoryIdentity = nodeIdentity === undefined ? sources.inventoryVar(INVENTORY_KEYS.identityFile) : undefined;
  const defaultIdentity = fromDefaults('identityFile', isString);
  if (nodeIdentity !== undefined) {
    identityFile = pathFromBase(nodeIdentity);
    identityBlame = nodeIdentityAt?.blame;
  } else if (inventoryIdentity) {
    identityFile = resolveConfigPath(String(inventoryIdentity.value), sources.inventoryDir, io.homeDir, io.cwd);
    identityBlame = atPos(inventoryIdentity);
  } else if (defaultIdentity !== undefined) {
    identityFile = pathFromBase(defaultIdentity);
    identityBlame = (message) => locate.at([...(sources.defaultsPath ?? ['ssh']), 'identityFile'], message);
  }
  // A key that is missing or cannot be read is a config error here, not N unreachable nodes later.
  const identityFacts = identityFile !== undefined ? io.fileProblem?.(identityFile) : undefined;
  if (identityFacts !== undefined && identityBlame !== undefined) report(identityBlame(identityFileProblem(identityFacts)));

  let become = fromNode('become', isBoolean)?.value;
  const inventoryBecome = become === undefined ? sources.inventoryVar(INVENTORY_KEYS.become) : undefined;
  if (inventoryBecome) {
    become = ansibleBoolean(inventoryBecome.value);
    if (become === undefined) report(atPos(inventoryBecome)(`ansible_become ${JSON.stringify(String(inventoryBecome.value))} must be a boolean (true/false, yes/no)`));
  }

  // Not in inventories: the node's own setting, else the cluster's.
  const pick = <T>(key: string, isType: Guard<T>): T | undefined => fromNode(key, isType)?.value ?? fromDefaults(key, isType);
  const ssh: SshTarget = {
    host: host ?? sources.fallbackHost,
    port: port ?? fromDefaults('port', isNumber) ?? DEFAULT_SSH_PORT,
    user: user ?? fromDefaults('user', isString) ?? DEFAULT_SSH_USER,
    knownHostsFile: pathFromBase(pick('knownHostsFile', isString) ?? DEFAULT_KNOWN_HOSTS_FILE),
    become: become ?? fromDefaults('become', isBoolean) ?? false,
    connectTimeoutMs: Math.round((pick('connectTimeout', isNumber) ?? DEFAULT_CONNECT_TIMEOUT_SECONDS) * 1000),
    keepaliveIntervalMs: Math.round((pick('keepaliveInterval', isNumber) ?? DEFAULT_KEEPALIVE_INTERVAL_SECONDS) * 1000),
    keepaliveCountMax: pick('keepaliveCountMax', isNumber) ?? DEFAULT_KEEPALIVE_COUNT_MAX,
    execTimeoutMs: Math.round((pick('execTimeout', isNumber) ?? DEFAULT_EXEC_TIMEOUT_SECONDS) * 1000),
  };
  if (identityFile !== undefined) ssh.identityFile = identityFile;
  const proxyJump = pick('proxyJump', isString);
  if (proxyJump !== undefined) ssh.proxyJump = proxyJump;
  const proxyCommand = pick('proxyCommand', isString);
  if (proxyCommand !== undefined) ssh.proxyCommand = proxyCommand;
  return ssh;
}
