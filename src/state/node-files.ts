// The files podnet keeps on every node: the CNI plugin rendered with the node's constants, and the
// conflist that points container runtimes at it (both part of the desired state), and the drop-ins
// that keep a host network manager away (see network-managers.ts).
import { renderConflist } from '../cni/conflist.js';
import { PLUGIN_BODY, renderPluginHeader } from '../cni/render-plugin.js';
import { pluginNetConfig } from '../cni/conflist.js';
import type { FileRole } from '../model/plan.js';
import type { Cluster, DesiredFile } from '../model/types.js';
import { sha256Hex, sha256HexOf } from './sha256.js';
import { NETWORK_MANAGER_DROPINS } from './network-managers.js';

/** The plugin's file name in the CNI bin dir (the conflist's plugin `type`). */
export const PLUGIN_FILE_NAME = 'podnet';
const DEFAULT_MTU = 1500;

export function pluginPath(cluster: Pick<Cluster, 'cni'>): string {
  return `${cluster.cni.binDir}/${PLUGIN_FILE_NAME}`;
}

export function conflistPath(cluster: Pick<Cluster, 'cni'>): string {
  return `${cluster.cni.confDir}/10-${cluster.cni.networkName}.conflist`;
}

/** Every path podnet manages on a node (what gather reads the digests of). */
export function managedFilePaths(cluster: Pick<Cluster, 'cni'>): string[] {
  return [pluginPath(cluster), conflistPath(cluster), ...NETWORK_MANAGER_DROPINS];
}

function file(path: string, mode: string, content: string, role: FileRole): DesiredFile {
  return { path, mode, content, sha256: sha256Hex(content), role };
}

export function desiredFiles(cluster: Cluster, subnet: string, gateway: string): DesiredFile[] {
  const header = renderPluginHeader({
    networkName: cluster.cni.networkName,
    bridge: cluster.bridge.name,
    subnet,
    gateway,
    mtu: cluster.bridge.mtu ?? DEFAULT_MTU,
    dataDir: cluster.cni.dataDir,
  });
  // The plugin (renderPlugin's text: header + body) differs per node only in its header: the
  // 25 KB body's UTF-8 bytes are made once and hashed after the header, never copied per node.
  const plugin: DesiredFile = { path: pluginPath(cluster), mode: '755', content: header + PLUGIN_BODY, sha256: sha256HexOf(header, pluginBodyBytes()), role: 'cni-plugin' };
  return [plugin, conflistFile(cluster)];
}

let bodyBytes: Uint8Array | undefined;

function pluginBodyBytes(): Uint8Array {
  return (bodyBytes ??= new TextEncoder().encode(PLUGIN_BODY));
}

// The conflist is the same on every node: rendered and hashed once per cluster.yaml's cni settings
// (a plan of 1,000 nodes asks for it 1,000 times). The file value is shared, never changed.
const conflists = new WeakMap<Cluster['cni'], DesiredFile>();

function conflistFile(cluster: Cluster): DesiredFile {
  let found = conflists.get(cluster.cni);
  if (found === undefined || found.path !== conflistPath(cluster)) {
    found = file(conflistPath(cluster), '644', desiredConflist(cluster), 'cni-config');
    conflists.set(cluster.cni, found);
  }
  return found;
}

/** The conflist every node should have; the pod commands and destroy hand its network config to the plugin. */
export function desiredConflist(cluster: Pick<Cluster, 'cni'>): string {
  return renderConflist({ networkName: cluster.cni.networkName, cniVersion: cluster.cni.cniVersion, pluginType: PLUGIN_FILE_NAME });
}

/** The network config on the plugin's stdin (what a runtime hands it, read from the deployed conflist). */
export function pluginStdinConfig(cluster: Pick<Cluster, 'cni'>): string {
  return pluginNetConfig(desiredConflist(cluster));
}
