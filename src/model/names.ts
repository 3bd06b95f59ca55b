// Every name and path pattern podnet checks, in one place: the config check (schemas/cluster.schema.json
// must spell the same patterns; test/config/schema-patterns.test.ts compares them) and the node
// script guards (pod, probe, plugin, apply renderers) test values against these before anything
// reaches a shell. Pure: plain RegExp constants.

/** Node (and router) names: a DNS label, lowercase. Schema `$defs.nodeName`. */
export const NODE_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Linux interface names podnet creates or names (the bridge): 1–15 safe characters. Schema `$defs.interfaceName`. */
export const INTERFACE_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}$/;

/** CNI network names (conflist `name`, store directory): the interface-name shape. Schema `cni.networkName`. */
export const CNI_NETWORK_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}$/;

/** The plugin's file name in the CNI bin dir (conflist `type`). */
export const CNI_PLUGIN_TYPE_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;

/** A CNI version as written in a conflist: MAJOR.MINOR.PATCH. */
export const CNI_VERSION_PATTERN = /^[0-9]+\.[0-9]+\.[0-9]+$/;

/** Pod names: DNS-label-like, short enough to be a netns name and a CNI container id. */
export const POD_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$/;

/** The random id of one `podnet verify` run (part of its probe pods' names). */
export const PROBE_ID_PATTERN = /^[a-z0-9]{4,12}$/;

/**
 * An absolute path of letters, digits and `_ . + -`, no `.` or `..` component, no trailing
 * slash: safe to write into a script unquoted. Schema `$defs.absolutePath`.
 */
export const ABSOLUTE_PATH_PATTERN = /^(\/(?!\.\.?(\/|$))[A-Za-z0-9_.+-]+)+$/;

/** An octal file mode, e.g. `755` or `0644`. */
export const FILE_MODE_PATTERN = /^[0-7]{3,4}$/;

/** A dotted-quad IPv4 address, each octet 0–255 without leading zeros. */
export const IPV4_PATTERN = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** SSH user names. Schema `$defs.sshUser`. */
export const SSH_USER_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_.-]{0,31}$/;

/** SSH host names or IPv4 addresses. Schema `$defs.sshHost`. */
export const SSH_HOST_PATTERN = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** OpenSSH ProxyJump: [user@]host[:port]. Schema `$defs.proxyJump`. */
export const PROXY_JUMP_PATTERN = /^([a-zA-Z_][a-zA-Z0-9_.-]{0,31}@)?[a-zA-Z0-9]([a-zA-Z0-9.-]{0,251}[a-zA-Z0-9])?(:[0-9]{1,5})?$/;

/** ABSOLUTE_PATH_PATTERN, also allowing one trailing slash (a directory as people write it). */
export function isSafeDirectory(path: string): boolean {
  return ABSOLUTE_PATH_PATTERN.test(path.replace(/(.)\/$/, '$1'));
}

/**
 * Directories of the system itself: never one of podnet's CNI directories (cni.binDir, confDir,
 * dataDir) nor its address store `<dataDir>/<networkName>`, since podnet writes into them and
 * destroy removes from them. Also every `/lib*` and `/usr/lib*` (see isSystemDirectory).
 */
export const SYSTEM_DIRECTORIES: readonly string[] = [
  '/', '/bin', '/boot', '/dev', '/etc', '/home', '/media', '/mnt', '/opt', '/proc', '/root', '/run', '/sbin', '/srv', '/sys', '/tmp',
  '/usr', '/usr/bin', '/usr/local', '/usr/local/bin', '/usr/local/sbin', '/usr/sbin', '/usr/share', '/usr/src',
  '/var', '/var/cache', '/var/lib', '/var/log', '/var/run', '/var/spool', '/var/tmp',
];

/** The CNI roots other plugins share: never podnet's store (they hold other networks' stores, plugins, configs). */
export const SHARED_CNI_DIRECTORIES: readonly string[] = ['/etc/cni', '/etc/cni/net.d', '/opt/cni', '/opt/cni/bin', '/var/lib/cni', '/var/lib/cni/networks'];

function normalDirectory(path: string): string {
  return path.replace(/\/+$/, '') || '/';
}

/** Whether path (trailing slashes ignored) is one of SYSTEM_DIRECTORIES or a /lib*, /usr/lib*, /usr/local/lib* directory. */
export function isSystemDirectory(path: string): boolean {
  const dir = normalDirectory(path);
  return SYSTEM_DIRECTORIES.includes(dir) || /^(\/usr(\/local)?)?\/lib[^/]*$/.test(dir);
}

/** Why the store `<dataDir>/<networkName>` may not be podnet's (a system or shared CNI directory, or binDir/confDir), or undefined. */
export function storeDirectoryProblem(cni: { binDir: string; confDir: string; dataDir: string; networkName: string }): string | undefined {
  const store = `${normalDirectory(cni.dataDir).replace(/^\/$/, '')}/${cni.networkName}`;
  if (isSystemDirectory(store)) return `the address store ${store} (cni.dataDir/cni.networkName) would be a system directory`;
  if (SHARED_CNI_DIRECTORIES.includes(store)) return `the address store ${store} (cni.dataDir/cni.networkName) would be a CNI directory other plugins share`;
  if (store === normalDirectory(cni.binDir) || store === normalDirectory(cni.confDir)) {
    return `the address store ${store} (cni.dataDir/cni.networkName) would be cni.${store === normalDirectory(cni.binDir) ? 'binDir' : 'confDir'}`;
  }
  return undefined;
}
