// The host's own network manager can undo podnet's work: systemd-networkd deletes routes it did not
// make (`ManageForeignRoutes=yes`, its default) and NetworkManager takes over bridges and veths.
// When the gather finds one running, podnet's desired state gains a drop-in file of its own that
// keeps that manager away from podnet's objects, with the reload the manager needs to read it.
// The drop-ins are podnet's files like the plugin: gathered by digest, rewritten when they differ,
// removed by destroy. Pure.
import type { Cluster, DesiredFile, NetworkManagerName } from '../model/types.js';
import { sha256Hex } from './sha256.js';

export const NETWORKD_DROPIN = '/etc/systemd/networkd.conf.d/50-podnet.conf';
export const NETWORKMANAGER_DROPIN = '/etc/NetworkManager/conf.d/50-podnet.conf';

/** The managers podnet knows, in the order the gather asks systemd about them. */
export const NETWORK_MANAGERS: readonly NetworkManagerName[] = ['systemd-networkd', 'NetworkManager'];

/** Every drop-in path (gather reads their digests whether or not a manager runs, so destroy finds them). */
export const NETWORK_MANAGER_DROPINS: readonly string[] = [NETWORKD_DROPIN, NETWORKMANAGER_DROPIN];

/** The node interfaces podnet's plugin names (`pn` + 8 hex digits, see src/cni/plugin.sh host_link). */
const POD_VETH_GLOB = 'pn*';

/** The command that makes a manager read its drop-in again. */
export function reloadCommand(manager: NetworkManagerName): string[] {
  // networkd reads networkd.conf only at start; a restart keeps the links it configured.
  if (manager === 'systemd-networkd') return ['systemctl', 'try-restart', 'systemd-networkd.service'];
  return ['nmcli', 'general', 'reload', 'conf'];
}

export function dropinPath(manager: NetworkManagerName): string {
  return manager === 'systemd-networkd' ? NETWORKD_DROPIN : NETWORKMANAGER_DROPIN;
}

export function managerOfDropin(path: string): NetworkManagerName | undefined {
  return NETWORK_MANAGERS.find((manager) => dropinPath(manager) === path);
}

function dropinContent(cluster: Pick<Cluster, 'bridge'>, manager: NetworkManagerName): string {
  if (manager === 'systemd-networkd') {
    return [
      '# Written by podnet: keep systemd-networkd away from the routes and rules podnet makes.',
      '[Network]',
      'ManageForeignRoutes=no',
      'ManageForeignRoutingPolicyRules=no',
      '',
    ].join('\n');
  }
  return [
    "# Written by podnet: NetworkManager leaves podnet's bridge and the pods' veths alone.",
    '[keyfile]',
    `unmanaged-devices=interface-name:${cluster.bridge.name};interface-name:${POD_VETH_GLOB}`,
    '',
  ].join('\n');
}

/** The drop-ins a host should have for the managers found running on it. */
export function networkManagerFiles(cluster: Pick<Cluster, 'bridge'>, active: readonly NetworkManagerName[] | undefined): DesiredFile[] {
  return (active ?? []).map((manager) => {
    const content = dropinContent(cluster, manager);
    return {
      path: dropinPath(manager),
      mode: '644',
      content,
      sha256: sha256Hex(content),
      role: manager === 'systemd-networkd' ? 'networkd-config' : 'networkmanager-config',
      reload: reloadCommand(manager),
    };
  });
}
