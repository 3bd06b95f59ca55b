// `router:` in cluster.yaml: the central router of routing mode `gateway`, validated like a node
// (name, IPv4 address outside the pod CIDR and unlike every node's, SSH merged like a node's).
import { rangeHolds, rangeText, type Ipv4Range } from '../model/ipv4.js';
import type { Diagnostic, RouterSpec, RoutingMode } from '../model/types.js';
import { resolveHostVars, type Inventory, type InventoryVar } from './inventory.js';
import { checkIpv4Address } from './ipv4.js';
import { isDict, type Blame, type Dict, type Located } from './located.js';
import { dirnamePosix } from './paths.js';
import { ignoredInventoryVars, resolveSshTarget } from './ssh-target.js';
import type { YamlLocator } from './yaml-positions.js';

export interface RouterSources {
  /** The `router:` value as parsed (the schema checked its shape). */
  raw: unknown;
  routing: RoutingMode;
  pod: Ipv4Range | undefined;
  /** Each node's name → where it is named (for "also a node" messages). */
  nodeNames: ReadonlyMap<string, Blame>;
  /** Each node address → the node's name and where the address is written. */
  nodeAddresses: ReadonlyMap<string, Located<string>>;
  sshDefaults: Dict;
  /** Its host vars apply when the inventory has a host named like the router. */
  inventory: Inventory | undefined;
  baseDir: string;
  io: { homeDir: string; cwd?: string };
  locate: YamlLocator;
  report(diagnostic: Diagnostic): void;
  /** Warnings (ignored inventory variables). */
  warn(diagnostic: Diagnostic): void;
}

/** The router, or undefined when there is none (an error in gateway mode) or it is invalid. */
export function loadRouter(sources: RouterSources): RouterSpec | undefined {
  const { raw, locate, report } = sources;
  if (!isDict(raw)) {
    if (sources.routing === 'gateway') {
      report(locate.at(['routing'], 'routing mode `gateway` needs a `router:` with the `name` and `address` of the host that routes every node\'s pod subnet'));
    }
    return undefined;
  }
  if (typeof raw.name !== 'string' || typeof raw.address !== 'string') return undefined; // the schema reported it
  const name = raw.name;
  let valid = true;
  const sameName = sources.nodeNames.get(name);
  if (sameName !== undefined) {
    report(locate.at(['router', 'name'], `router name \`${name}\` is also a node's name (line ${sameName('').line}); the router needs a name of its own`));
    valid = false;
  }

  const blameAddress: Blame = (message) => locate.at(['router', 'address'], message);
  const checked = checkIpv4Address(raw.address);
  if (!checked.ok) {
    report(blameAddress(`router address ${checked.message}`));
    valid = false;
  } else {
    if (sources.pod !== undefined && rangeHolds(sources.pod, checked.value)) {
      report(blameAddress(`router address ${raw.address} is inside the pod CIDR ${rangeText(sources.pod)}`));
      valid = false;
    }
    const node = sources.nodeAddresses.get(raw.address);
    if (node !== undefined) {
      const there = node.blame('');
      const where = there.file === locate.file ? `line ${there.line}` : `${there.file}:${there.line}`;
      report(blameAddress(`router address ${raw.address} is also the address of node ${node.value} (${where}); the router must be a host of its own`));
      valid = false;
    }
  }

  const inventory = sources.inventory;
  const hostVars = inventory?.hosts.has(name) ? resolveHostVars(inventory, name) : undefined;
  if (hostVars) for (const warning of ignoredInventoryVars(hostVars)) sources.warn(warning);
  const inventoryVar = (keys: readonly string[]): InventoryVar | undefined => {
    for (const key of keys) {
      const found = hostVars?.get(key);
      if (found !== undefined && found.value !== null) return found;
    }
    return undefined;
  };
  const ssh = resolveSshTarget({
    nodeSsh: isDict(raw.ssh) ? raw.ssh : {},
    nodeSshPath: ['router', 'ssh'],
    defaults: sources.sshDefaults,
    inventoryVar,
    addressFromInventory: false,
    fallbackHost: raw.address,
    baseDir: sources.baseDir,
    inventoryDir: inventory ? dirnamePosix(inventory.file) : sources.baseDir,
    io: sources.io,
    locate,
    report,
  });
  return valid ? { name, address: raw.address, ssh } : undefined;
}
