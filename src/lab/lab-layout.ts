// Names, addresses and paths of a lab: the contract other modules and tests code against.
// Pure: everything here is derived from the lab name and the node index.
import { UserError } from '../model/errors.js';

export const DEFAULT_LAB_NAME = 'default';
export const DEFAULT_LAB_NODES = 3;
/** Node addresses are 192.168.1.(10+i): 200 nodes keep the last one at .210. */
export const MAX_LAB_NODES = 200;
export const LAB_NAME_PATTERN = /^[a-z0-9]{1,10}$/;
export const LAB_ROOT_DIR = '/run/podnet/lab';
export const LAB_NETNS_PREFIX = 'pnlab-';
export const LAB_SWITCH_BRIDGE = 'sw0';
export const LAB_SWITCH_ADDRESS = '192.168.1.1';
export const LAB_NETWORK_PREFIXLEN = 24;
export const LAB_SSH_PORT = 22;
export const LAB_POD_CIDR = '10.244.0.0/16';
export const LAB_POD_BRIDGE = 'v-net-0';

/** Throws a UserError unless `name` is a valid lab name. */
export function assertLabName(name: string): void {
  if (!LAB_NAME_PATTERN.test(name)) {
    throw new UserError(`invalid lab name "${name}": use 1 to 10 characters of a-z and 0-9`);
  }
}

/** Throws a UserError unless `nodes` is a whole number of nodes a lab can have. */
export function assertLabNodeCount(nodes: number): void {
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_LAB_NODES) {
    throw new UserError(`invalid node count ${String(nodes)}: a lab has 1 to ${MAX_LAB_NODES} nodes`);
  }
}

/** `node1` … `nodeN` (index is 1-based). */
export function labNodeName(index: number): string {
  return `node${index}`;
}

/** 1-based index of a node name, or null when it is not a lab node name. */
export function labNodeIndex(node: string): number | null {
  const m = /^node([1-9][0-9]*)$/.exec(node);
  return m?.[1] === undefined ? null : Number(m[1]);
}

export function labNodeAddress(index: number): string {
  return `192.168.1.${10 + index}`;
}

/** The classic topology: node i owns 10.244.i.0/24. */
export function labNodeSubnet(index: number): string {
  return `10.244.${index}.0/24`;
}

export function labSwitchNetns(name: string): string {
  return `${LAB_NETNS_PREFIX}${name}-sw`;
}

export function labNodeNetns(name: string, node: string): string {
  return `${LAB_NETNS_PREFIX}${name}-${node}`;
}

/** The switch-side end of node i's veth (its peer is the node's eth0). */
export function labSwitchPort(index: number): string {
  return `vn${index}`;
}

/** Which lab and member a namespace name belongs to, or null when it is not a lab namespace. */
export function parseLabNetns(netns: string): { lab: string; member: string } | null {
  const m = /^pnlab-([a-z0-9]{1,10})-(sw|router|node[1-9][0-9]*)$/.exec(netns);
  return m?.[1] === undefined || m[2] === undefined ? null : { lab: m[1], member: m[2] };
}

export function labProxyCommand(name: string): string {
  return `ip netns exec ${labSwitchNetns(name)} nc %h %p`;
}

/** Every path of a lab's state directory. */
export interface LabPaths {
  stateDir: string;
  identityFile: string;
  publicKeyFile: string;
  authorizedKeysFile: string;
  knownHostsFile: string;
  clusterFile: string;
  stateFile: string;
  initScript: string;
  nodesDir: string;
}

export function labPaths(name: string): LabPaths {
  const stateDir = `${LAB_ROOT_DIR}/${name}`;
  return {
    stateDir,
    identityFile: `${stateDir}/id_ed25519`,
    publicKeyFile: `${stateDir}/id_ed25519.pub`,
    authorizedKeysFile: `${stateDir}/authorized_keys`,
    knownHostsFile: `${stateDir}/known_hosts`,
    clusterFile: `${stateDir}/cluster.yaml`,
    stateFile: `${stateDir}/lab.json`,
    initScript: `${stateDir}/node-init.sh`,
    nodesDir: `${stateDir}/nodes`,
  };
}

/** Every path of one node's directory; the `*Dir` entries are bind-mounted inside the node. */
export interface LabNodePaths {
  nodeDir: string;
  hostKeyFile: string;
  hostPublicKeyFile: string;
  sshdConfig: string;
  sshdLog: string;
  initLog: string;
  etcCniDir: string;
  cniBinDir: string;
  cniStateDir: string;
  rootHomeDir: string;
  /** The node's own /run/podnet/apply (lock and rollbacks of apply --confirm): /run is the machine's. */
  applyStateDir: string;
  /** The node's own /var/lib/podnet (podnet's state file): /var/lib is the machine's. */
  podnetStateDir: string;
}

export function labNodePaths(name: string, node: string): LabNodePaths {
  const nodeDir = `${labPaths(name).nodesDir}/${node}`;
  return {
    nodeDir,
    hostKeyFile: `${nodeDir}/ssh_host_ed25519_key`,
    hostPublicKeyFile: `${nodeDir}/ssh_host_ed25519_key.pub`,
    sshdConfig: `${nodeDir}/sshd_config`,
    sshdLog: `${nodeDir}/sshd.log`,
    initLog: `${nodeDir}/init.log`,
    etcCniDir: `${nodeDir}/etc-cni`,
    cniBinDir: `${nodeDir}/opt-cni-bin`,
    cniStateDir: `${nodeDir}/var-lib-cni`,
    rootHomeDir: `${nodeDir}/root`,
    applyStateDir: `${nodeDir}/run-podnet-apply`,
    podnetStateDir: `${nodeDir}/var-lib-podnet`,
  };
}
