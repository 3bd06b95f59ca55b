// Renders the CNI network configuration list a container runtime reads from its CNI config dir
// (e.g. /etc/cni/net.d/10-podnet.conflist). Pure. The plugin carries the node's constants itself,
// so the conflist only names the network and the plugin.
import { SUPPORTED_CNI_VERSIONS } from './render-plugin.js';
import { CNI_NETWORK_NAME_PATTERN, CNI_PLUGIN_TYPE_PATTERN } from '../model/names.js';

export interface ConflistOptions {
  /** Must equal the networkName the plugin was rendered with. */
  networkName: string;
  /** Default 1.0.0 (what containerd 1.6+/CRI-O/podman speak); 1.1.0 enables GC and STATUS. */
  cniVersion?: string;
  /** The plugin's file name in the CNI bin dir; default `podnet`. */
  pluginType?: string;
}

export const DEFAULT_CONFLIST_CNI_VERSION = '1.0.0';
export const DEFAULT_PLUGIN_TYPE = 'podnet';


/** The .conflist JSON text (pretty-printed, newline-terminated). Throws on invalid options. */
export function renderConflist(opts: ConflistOptions): string {
  const cniVersion = opts.cniVersion ?? DEFAULT_CONFLIST_CNI_VERSION;
  const pluginType = opts.pluginType ?? DEFAULT_PLUGIN_TYPE;
  if (!CNI_NETWORK_NAME_PATTERN.test(opts.networkName)) {
    throw new Error(`CNI network name ${JSON.stringify(opts.networkName)} must match ${CNI_NETWORK_NAME_PATTERN.source}`);
  }
  if (!(SUPPORTED_CNI_VERSIONS as readonly string[]).includes(cniVersion)) {
    throw new Error(`cniVersion ${JSON.stringify(cniVersion)} is not one of ${SUPPORTED_CNI_VERSIONS.join(', ')}`);
  }
  if (!CNI_PLUGIN_TYPE_PATTERN.test(pluginType)) {
    throw new Error(`plugin type ${JSON.stringify(pluginType)} must be a plain file name (${CNI_PLUGIN_TYPE_PATTERN.source})`);
  }
  const conflist = { cniVersion, name: opts.networkName, plugins: [{ type: pluginType }] };
  return JSON.stringify(conflist, null, 2) + '\n';
}

/**
 * The network config a runtime hands a plugin of a conflist: the plugin's entry with the list's
 * `name` and `cniVersion` added (libcni's buildOneConfig). Throws when the text is not a conflist.
 */
export function pluginNetConfig(conflistText: string, pluginType = 'podnet'): string {
  const list = JSON.parse(conflistText) as unknown;
  if (typeof list !== 'object' || list === null || Array.isArray(list)) throw new Error('conflist is not a JSON object');
  const { name, cniVersion, plugins } = list as { name?: unknown; cniVersion?: unknown; plugins?: unknown };
  if (typeof name !== 'string' || typeof cniVersion !== 'string' || !Array.isArray(plugins)) {
    throw new Error('conflist needs a string name, a string cniVersion and a plugins array');
  }
  const entry = (plugins as unknown[]).find(
    (p): p is Record<string, unknown> => typeof p === 'object' && p !== null && (p as { type?: unknown }).type === pluginType,
  );
  if (!entry) throw new Error(`conflist has no plugin of type ${pluginType}`);
  return JSON.stringify({ cniVersion, name, ...entry });
}
