// Renders the podnet CNI plugin for one node from two real files: plugin.sh (the POSIX sh script,
// with example constants in its first 16 lines) and json-flatten.awk (its JSON parser). Pure: the
// files' texts reach this module as string constants that scripts/embed-node-scripts.mjs generates
// before tsc runs (plugin-source.generated.ts, git-ignored), so nothing is read at run time and the
// planner can call renderPlugin. The node's header replaces plugin.sh's example header line for
// line (shellcheck and `sh` line numbers of the rendered plugin are plugin.sh's up to the awk), and
// the awk text replaces the @@json-flatten.awk@@ placeholder inside JSON_FLATTEN_AWK='...'.
// Every constant is validated strictly before it is baked in, so the script never has to quote or
// re-check them.
import { ipv4ToInt, parseIpv4Cidr, rangeLast } from '../model/ipv4.js';
import { JSON_FLATTEN_AWK, PLUGIN_SH } from './plugin-source.generated.js';
import { CNI_NETWORK_NAME_PATTERN, INTERFACE_NAME_PATTERN, IPV4_PATTERN, isSafeDirectory } from '../model/names.js';

export interface PluginConstants {
  /** CNI network name (the conflist's `name`); also the store directory under dataDir. */
  networkName: string;
  /** The node's pod bridge, e.g. `v-net-0`. */
  bridge: string;
  /** The node's pod subnet in CIDR notation, network address, e.g. `10.244.1.0/24` (prefix 8–30). */
  subnet: string;
  /** The bridge's address inside subnet: the pods' default gateway. */
  gateway: string;
  /** MTU of both veth ends (68–65535). */
  mtu: number;
  /** Root of the host-local style store; default `/var/lib/cni/networks`. */
  dataDir?: string;
}

export const DEFAULT_CNI_DATA_DIR = '/var/lib/cni/networks';
/** The CNI versions the plugin speaks (VERSION lists them; GC and STATUS need 1.1.0). */
export const SUPPORTED_CNI_VERSIONS = ['0.4.0', '1.0.0', '1.1.0'] as const;

/** Throws an Error naming the first constant that is not acceptable. */
export function validatePluginConstants(constants: PluginConstants): void {
  const { networkName, bridge, subnet, gateway, mtu } = constants;
  const dataDir = constants.dataDir ?? DEFAULT_CNI_DATA_DIR;
  if (!CNI_NETWORK_NAME_PATTERN.test(networkName)) {
    throw new Error(`CNI network name ${JSON.stringify(networkName)} must match ${CNI_NETWORK_NAME_PATTERN.source}`);
  }
  if (!INTERFACE_NAME_PATTERN.test(bridge)) {
    throw new Error(`bridge name ${JSON.stringify(bridge)} must match ${INTERFACE_NAME_PATTERN.source}`);
  }
  const [subnetIp, prefixText, ...rest] = subnet.split('/');
  if (subnetIp === undefined || prefixText === undefined || rest.length > 0 || !IPV4_PATTERN.test(subnetIp) ||
    !/^[0-9]{1,2}$/.test(prefixText) || parseIpv4Cidr(subnet)?.base !== ipv4ToInt(subnetIp)) {
    throw new Error(`pod subnet ${JSON.stringify(subnet)} must be an IPv4 CIDR whose address is the network address`);
  }
  const prefix = Number(prefixText);
  if (prefix < 8 || prefix > 30) {
    throw new Error(`pod subnet ${subnet} must have a prefix length from /8 to /30`);
  }
  const gw = IPV4_PATTERN.test(gateway) ? ipv4ToInt(gateway) : null;
  if (gw === null) {
    throw new Error(`gateway ${JSON.stringify(gateway)} must be an IPv4 address`);
  }
  const range = parseIpv4Cidr(subnet) as { base: number; prefix: number };
  if (gw <= range.base || gw >= rangeLast(range)) {
    throw new Error(`gateway ${gateway} must be a host address inside ${subnet}`);
  }
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
    throw new Error(`MTU ${mtu} must be an integer from 68 to 65535`);
  }
  if (!isSafeDirectory(dataDir)) {
    throw new Error(`data dir ${JSON.stringify(dataDir)} must be an absolute path of letters, digits and _ . + - (no . or .. parts)`);
  }
}

/** The plugin script for one node, with its constants baked in. Throws on invalid constants. */
export function renderPlugin(constants: PluginConstants): string {
  return renderPluginHeader(constants) + PLUGIN_BODY;
}

/**
 * The node's part of the plugin: its header lines, each ending in a newline. The plugin is this
 * followed by PLUGIN_BODY, the same on every node (the planner hashes the body's bytes once).
 * Throws on invalid constants.
 */
export function renderPluginHeader(constants: PluginConstants): string {
  validatePluginConstants(constants);
  // Integer IPv4 (src/model/ipv4.ts): the planner renders this for every node of the cluster.
  const range = parseIpv4Cidr(constants.subnet) as { base: number; prefix: number };
  const network = range.base;
  const broadcast = rangeLast(range);
  const dataDir = (constants.dataDir ?? DEFAULT_CNI_DATA_DIR).replace(/(.)\/$/, '$1');
  const header = [
    '#!/bin/sh',
    '# podnet CNI plugin, rendered by podnet for one node: edits are overwritten by `podnet apply`.',
    `# Speaks CNI ${SUPPORTED_CNI_VERSIONS.join(', ')}; needs sh, iproute2, flock, rm, mkdir, awk (GC: also tr, xargs; at times nsenter).`,
    `NETWORK_NAME='${constants.networkName}'`,
    `BRIDGE='${constants.bridge}'`,
    `SUBNET='${constants.subnet}'`,
    `PREFIX_LEN=${range.prefix}`,
    `GATEWAY='${constants.gateway}'`,
    `GATEWAY_INT=${ipv4ToInt(constants.gateway) as number}`,
    '# First and last addresses handed out: network + 1 and broadcast - 1.',
    `FIRST_INT=${network + 1}`,
    `LAST_INT=${broadcast - 1}`,
    `MTU=${constants.mtu}`,
    `DATA_DIR='${dataDir}'`,
    `SUPPORTED_VERSIONS='${SUPPORTED_CNI_VERSIONS.map((v) => `"${v}"`).join(',')}'`,
    `LATEST_VERSION='${SUPPORTED_CNI_VERSIONS[SUPPORTED_CNI_VERSIONS.length - 1]}'`,
  ];
  return header.join('\n') + '\n';
}

/** Lines of plugin.sh that the node's header replaces: up to and including `LATEST_VERSION=…`. */
export const PLUGIN_HEADER_LINES = 16;
const AWK_PLACEHOLDER = '@@json-flatten.awk@@';

/** plugin.sh after its example header, with json-flatten.awk spliced in (computed once): every node's plugin after its header. */
export const PLUGIN_BODY = composeBody(PLUGIN_SH, JSON_FLATTEN_AWK);

/** plugin.sh minus its first PLUGIN_HEADER_LINES lines, the placeholder replaced by the awk
 * program (its leading comment lines and final newline dropped). Throws if either file breaks the
 * contract (header length, one placeholder, no single quote in the awk). */
export function composeBody(pluginSh: string, awk: string): string {
  const lines = pluginSh.split('\n');
  if (!lines[PLUGIN_HEADER_LINES - 1]?.startsWith('LATEST_VERSION=')) {
    throw new Error(`plugin.sh: line ${PLUGIN_HEADER_LINES} must be the header's last line, LATEST_VERSION=…`);
  }
  const body = lines.slice(PLUGIN_HEADER_LINES).join('\n');
  const program = awk.replace(/^(#[^\n]*\n)+/, '').replace(/\n$/, '');
  if (program.includes("'")) throw new Error('json-flatten.awk must not contain a single quote (plugin.sh quotes it so)');
  const parts = body.split(AWK_PLACEHOLDER);
  if (parts.length !== 2) throw new Error(`plugin.sh must contain ${AWK_PLACEHOLDER} exactly once`);
  return parts.join(program);
}
