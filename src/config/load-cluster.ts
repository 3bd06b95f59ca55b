// cluster.yaml → Cluster, or every problem at once, each at file:line:col. Pure: files are read
// through io, paths are plain strings.
import { LineCounter, parseDocument } from 'yaml';
import { intToIpv4, parseIpv4Cidr, rangeHolds, rangeInside, rangeText, type Ipv4Range } from '../model/ipv4.js';
import { DEFAULT_CNI, type BridgeSpec, type CniSpec, type Cluster, type Diagnostic, type NodeSpec, type RoutingMode } from '../model/types.js';
import { allocateSubnets, cidrSpan, spansOverlap, type CidrSpan } from '../state/subnets.js';
import { didYouMean } from './did-you-mean.js';
import { parseInventory, resolveHostVars, hostsOfGroup, type Inventory, type InventoryVar, type SourcePos } from './inventory.js';
import { checkIpv4Address, checkIpv4Cidr, prefixLength } from './ipv4.js';
import { dirnamePosix, resolveConfigPath } from './paths.js';
import { isDict, type Blame, type Dict, type Located } from './located.js';
import { loadRouter } from './router.js';
import { checkSchema, definitionValidator } from './schema-check.js';
import { ignoredInventoryVars, INVENTORY_KEYS, looksLikeIpv6, resolveSshTarget } from './ssh-target.js';
import { YamlLocator, type JsonPath } from './yaml-positions.js';
import type { FileFacts } from '../model/causes.js';
import { ABSOLUTE_PATH_PATTERN, CNI_NETWORK_NAME_PATTERN, isSystemDirectory, storeDirectoryProblem } from '../model/names.js';

export interface LoadIo {
  /** Read a file (inventories); throw when it cannot be read. */
  readFile(path: string): string;
  /** Expands `~`. */
  homeDir: string;
  /** When given, relative paths (identity, known_hosts files) come out absolute. */
  cwd?: string;
  /** When given, an identityFile it finds a problem with (missing, unreadable, a directory) is an error at its place. */
  fileProblem?: (path: string) => FileFacts | undefined;
}

export type LoadResult = { ok: true; cluster: Cluster; warnings: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

export const DEFAULT_BRIDGE_NAME = 'v-net-0';
export const DEFAULT_SUBNET_PREFIX = 24;
/** A subnet needs a gateway and at least one pod: /30 at most. */
export const SMALLEST_SUBNET_PREFIX = 30;
/** The CNI plugin takes pod subnets from /8 (validatePluginConstants): /8 at the largest. */
export const LARGEST_SUBNET_PREFIX = 8;
/** RFC 1918 and the shared address space (RFC 6598): pod CIDRs outside them are routed on the Internet. */
const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'];

interface NodeEntry {
  /** JSON path of the node in cluster.yaml (the group selection for fromInventoryGroup). */
  path: JsonPath;
  name: string;
  blameName: Blame;
  raw: Dict;
}

const isValidNodeName = definitionValidator('nodeName');

interface ExplicitSubnet {
  node: string;
  span: CidrSpan;
  blame: Blame;
  /** Position in the file, so that the later of two overlapping subnets is the one blamed. */
  order: number;
  usable: boolean;
}

/**
 * Every overlapping pair as [later, earlier] in file order, in O(n log n): sorted by first
 * address, a span overlaps a predecessor exactly when it starts before the furthest end so far.
 */
function findOverlaps(subnets: readonly ExplicitSubnet[]): [ExplicitSubnet, ExplicitSubnet][] {
  // Stable: subnets that start at the same address stay in file order.
  const sorted = [...subnets].sort((a, b) => a.span.first - b.span.first);
  const pairs: [ExplicitSubnet, ExplicitSubnet][] = [];
  let reach: ExplicitSubnet | undefined;
  for (const current of sorted) {
    if (reach && spansOverlap(reach.span, current.span)) {
      // Stryker disable next-line EqualityOperator: orders are distinct (positions in the file), so > and >= agree
      pairs.push(current.order > reach.order ? [current, reach] : [reach, current]);
    }
    if (!reach || current.span.last > reach.span.last) reach = current;
  }
  return pairs;
}

function sortDiagnostics(diagnostics: Diagnostic[], mainFile: string): Diagnostic[] {
  // One problem found through several nodes (the cluster's ssh.identityFile missing) is reported once.
  const seen = new Set<string>();
  const unique = diagnostics.filter((d) => {
    const key = `${d.file}:${d.line}:${d.col}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort(
    (a, b) => Number(a.file !== mainFile) - Number(b.file !== mainFile) || a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col,
  );
}

export function loadCluster(text: string, file: string, io: LoadIo): LoadResult {
  const lineCounter = new LineCounter();
  // `<<` merge keys let nodes share settings through anchors.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const locate = new YamlLocator(file, doc, lineCounter);
  if (doc.errors.length > 0) {
    return { ok: false, diagnostics: doc.errors.map((error) => locate.atOffset(error.pos[0], `YAML syntax: ${error.message}`)) };
  }
  const warnings = doc.warnings.map((warning) => locate.atOffset(warning.pos[0], `warning: ${warning.message}`));
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (err) {
    // toJS throws for an alias without an anchor before it, or one expanded too often.
    return { ok: false, diagnostics: [locate.atFirstBadAlias(`YAML: ${err instanceof Error ? err.message : String(err)}`)] };
  }
  if (data === null || data === undefined) {
    return { ok: false, diagnostics: [locate.at([], 'the file is empty: a cluster needs at least `podCidr` and `nodes`')] };
  }
  const diagnostics = checkSchema(data, locate);
  const report = (d: Diagnostic): void => {
    diagnostics.push(d);
  };
  const at =
    (path: JsonPath): Blame =>
    (message) =>
      locate.at(path, message);
  const atPos =
    (pos: SourcePos): Blame =>
    (message) => ({ ...pos, message });

  const root: Dict = isDict(data) ? data : {};
  const baseDir = dirnamePosix(file);

  // ── pod CIDR, subnet size, routing, bridge
  let pod: Ipv4Range | undefined;
  if (typeof root.podCidr === 'string') {
    const checked = checkIpv4Cidr(root.podCidr);
    if (checked.ok) pod = checked.value;
    else report(locate.at(['podCidr'], `podCidr ${checked.message}`));
  }
  if (pod && !PRIVATE_RANGES.some((range) => rangeInside(pod as Ipv4Range, parseIpv4Cidr(range) as Ipv4Range))) {
    warnings.push(locate.at(['podCidr'], `warning: pod CIDR ${rangeText(pod)} is not private address space (${PRIVATE_RANGES.join(', ')}): pods would use addresses that belong to someone on the Internet`));
  }
  // A pod CIDR smaller than the smallest subnet holds none; the subnetPrefix checks below would not help.
  const podTooSmall = pod !== undefined && prefixLength(pod) > SMALLEST_SUBNET_PREFIX;
  if (pod && podTooSmall) {
    report(locate.at(['podCidr'], `pod CIDR ${rangeText(pod)} is too small: a pod subnet needs a gateway and a pod (/${SMALLEST_SUBNET_PREFIX} at least), and the pod CIDR's first subnet is reserved`));
  }
  const smallestUsefulPrefix = (range: Ipv4Range): number => Math.max(prefixLength(range), LARGEST_SUBNET_PREFIX);
  let subnetPrefix = DEFAULT_SUBNET_PREFIX;
  if (typeof root.subnetPrefix === 'number' && Number.isInteger(root.subnetPrefix)) {
    subnetPrefix = root.subnetPrefix;
    // Below LARGEST_SUBNET_PREFIX and above SMALLEST_SUBNET_PREFIX the schema has reported it.
    if (pod && !podTooSmall && subnetPrefix >= LARGEST_SUBNET_PREFIX && subnetPrefix < prefixLength(pod)) {
      report(locate.at(['subnetPrefix'], `subnetPrefix /${subnetPrefix} is larger than the pod CIDR ${rangeText(pod)}; use /${smallestUsefulPrefix(pod)} to /${SMALLEST_SUBNET_PREFIX}`));
    }
  } else if (root.subnetPrefix === undefined && pod && !podTooSmall && prefixLength(pod) > DEFAULT_SUBNET_PREFIX) {
    report(locate.at(['podCidr'], `pod CIDR ${rangeText(pod)} is smaller than the default subnetPrefix /${DEFAULT_SUBNET_PREFIX}; set \`subnetPrefix\` (/${prefixLength(pod)} to /${SMALLEST_SUBNET_PREFIX})`));
  }
  const routing: RoutingMode = root.routing === 'gateway' ? 'gateway' : 'host-gw';
  const bridgeRaw = isDict(root.bridge) ? root.bridge : {};
  const bridge: BridgeSpec = { name: typeof bridgeRaw.name === 'string' ? bridgeRaw.name : DEFAULT_BRIDGE_NAME };
  if (typeof bridgeRaw.mtu === 'number') bridge.mtu = bridgeRaw.mtu;
  const cniRaw = isDict(root.cni) ? root.cni : {};
  const cniString = (key: keyof CniSpec): string => (typeof cniRaw[key] === 'string' ? (cniRaw[key] as string) : DEFAULT_CNI[key]);
  const cni: CniSpec = {
    binDir: cniString('binDir'),
    confDir: cniString('confDir'),
    dataDir: cniString('dataDir'),
    networkName: cniString('networkName'),
    cniVersion: cniString('cniVersion'),
  };
  // podnet writes into its CNI directories and destroy removes from them: never the system's own.
  let cniDirsOk = true;
  for (const key of ['binDir', 'confDir', 'dataDir'] as const) {
    if (!ABSOLUTE_PATH_PATTERN.test(cni[key])) {
      cniDirsOk = false;
    } else if (isSystemDirectory(cni[key])) {
      cniDirsOk = false;
      report(locate.at(['cni', key], `cni.${key} ${cni[key]} is a system directory: podnet writes into it and destroy removes from it; use a directory of its own (default ${DEFAULT_CNI[key]})`));
    }
  }
  if (cniDirsOk && CNI_NETWORK_NAME_PATTERN.test(cni.networkName)) {
    const problem = storeDirectoryProblem(cni);
    if (problem !== undefined) {
      report(locate.at(['cni', typeof cniRaw.networkName === 'string' ? 'networkName' : 'dataDir'], `${problem}: destroy removes the store; choose another cni.dataDir or cni.networkName`));
    }
  }

  // ── inventory
  let inventory: Inventory | undefined;
  if (typeof root.inventory === 'string' && root.inventory !== '') {
    const inventoryPath = resolveConfigPath(root.inventory, baseDir, io.homeDir);
    let inventoryText: string | undefined;
    try {
      inventoryText = io.readFile(inventoryPath);
    } catch (err) {
      const reason = (err as { code?: unknown }).code ?? (err instanceof Error ? err.message : String(err));
      report(locate.at(['inventory'], `cannot read inventory ${inventoryPath}: ${String(reason)}`));
    }
    if (inventoryText !== undefined) {
      const parsed = parseInventory(inventoryText, inventoryPath);
      if (parsed.ok) inventory = parsed.inventory;
      else diagnostics.push(...parsed.diagnostics);
    }
  }

  // ── which nodes
  const entries: NodeEntry[] = [];
  if (Array.isArray(root.nodes)) {
    root.nodes.forEach((item, index) => {
      if (!isDict(item) || typeof item.name !== 'string') return;
      entries.push({ path: ['nodes', index], name: item.name, blameName: at(['nodes', index, 'name']), raw: item });
    });
  } else if (isDict(root.nodes) && typeof root.nodes.fromInventoryGroup === 'string') {
    const group = root.nodes.fromInventoryGroup;
    const groupPath = ['nodes', 'fromInventoryGroup'];
    if (root.inventory === undefined) report(locate.at(groupPath, '`fromInventoryGroup` needs an `inventory:` to take the group from'));
    else if (inventory) {
      if (!inventory.groups.has(group)) {
        report(locate.at(groupPath, `inventory ${inventory.file} has no group \`${group}\`${didYouMean(group, [...inventory.groups.keys()])}`));
      } else {
        const hosts = hostsOfGroup(inventory, group);
        if (hosts.length === 0) report(locate.at(groupPath, `inventory group \`${group}\` has no hosts`));
        for (const host of hosts) {
          const hostPos = inventory.hosts.get(host)?.pos;
          const blameName = hostPos ? atPos(hostPos) : at(groupPath);
          const nameProblem = isValidNodeName(host);
          if (nameProblem) report(blameName(`inventory host \`${host}\` ${nameProblem}`));
          entries.push({ path: groupPath, name: host, blameName, raw: {} });
        }
      }
    }
  }

  // ── each node
  const sshDefaults: Dict = isDict(root.ssh) ? root.ssh : {};
  const nodes: NodeSpec[] = [];
  const firstByName = new Map<string, NodeEntry>();
  const firstByAddress = new Map<string, Located<string>>();
  const subnetsSeen: ExplicitSubnet[] = [];
  const nodeBlame = new Map<string, Blame>();

  for (const entry of entries) {
    const { raw, path, name } = entry;
    const earlier = firstByName.get(name);
    if (earlier) {
      const line = locate.positionOf(locate.valueNode([...earlier.path, 'name'])).line;
      report(entry.blameName(`duplicate node name \`${name}\` (first at line ${line})`));
      continue;
    }
    firstByName.set(name, entry);
    nodeBlame.set(name, entry.blameName);
    const hostVars = inventory?.hosts.has(name) ? resolveHostVars(inventory, name) : undefined;
    if (hostVars) warnings.push(...ignoredInventoryVars(hostVars));
    const inventoryVar = (keys: readonly string[]): InventoryVar | undefined => {
      for (const key of keys) {
        const found = hostVars?.get(key);
        if (found !== undefined && found.value !== null) return found;
      }
      return undefined;
    };

    // address: cluster.yaml, else the inventory's ansible_host
    let address: Located<string> | undefined;
    if (typeof raw.address === 'string') address = { value: raw.address, blame: at([...path, 'address']) };
    else if (raw.address === undefined) {
      const fromInventory = inventoryVar(INVENTORY_KEYS.host);
      if (fromInventory) address = { value: String(fromInventory.value), blame: atPos(fromInventory.pos) };
      else if (!inventory) {
        if (root.inventory === undefined) report(at(path)(`node \`${name}\` has no \`address\` (give one, or an \`inventory:\` whose host ${name} has ansible_host)`));
      } else if (!inventory.hosts.has(name)) {
        report(entry.blameName(`node \`${name}\` has no \`address\`, and inventory ${inventory.file} has no host \`${name}\`${didYouMean(name, [...inventory.hosts.keys()])}`));
      } else {
        report(entry.blameName(`node \`${name}\` has no \`address\`, and its inventory host has no ansible_host`));
      }
    }
    let ipv4: number | undefined;
    if (address) {
      const checked = checkIpv4Address(address.value);
      const fromInventory = raw.address === undefined;
      if (!checked.ok && fromInventory && !looksLikeIpv6(address.value)) {
        report(address.blame(`ansible_host ${address.value} of node ${name} is not an IPv4 address; give the node an \`address:\` in cluster.yaml (the next hop for its pods)`));
      } else if (!checked.ok) report(address.blame(`node address ${checked.message}`));
      else {
        ipv4 = checked.value;
        if (pod !== undefined && rangeHolds(pod, ipv4)) report(address.blame(`node address ${address.value} is inside the pod CIDR ${rangeText(pod)}`));
        const same = firstByAddress.get(address.value);
        if (same) {
          const there = same.blame('');
          const where = there.file === file ? `line ${there.line}` : `${there.file}:${there.line}`;
          report(address.blame(`duplicate node address ${address.value} (also node ${same.value}, ${where})`));
        }
        else firstByAddress.set(address.value, { value: name, blame: address.blame });
      }
    }

    // subnet
    if (typeof raw.subnet === 'string') {
      const blame = at([...path, 'subnet']);
      const checked = checkIpv4Cidr(raw.subnet);
      if (!checked.ok) report(blame(`subnet ${checked.message}`));
      else {
        const range = checked.value;
        const prefix = prefixLength(range);
        let usable = true;
        if (pod && !rangeInside(range, pod)) {
          report(blame(`subnet ${raw.subnet} is outside the pod CIDR ${rangeText(pod)}`));
          usable = false;
        }
        if (prefix < LARGEST_SUBNET_PREFIX) {
          report(blame(`subnet ${raw.subnet} is too large: the CNI plugin takes pod subnets from /${LARGEST_SUBNET_PREFIX} to /${SMALLEST_SUBNET_PREFIX}`));
          usable = false;
        }
        if (prefix > SMALLEST_SUBNET_PREFIX) {
          report(blame(`subnet ${raw.subnet} is too small: a /${prefix} has no room for a gateway and a pod (need /${SMALLEST_SUBNET_PREFIX} or larger)`));
          usable = false;
        }
        // Overlaps are found after the loop, all at once.
        subnetsSeen.push({ node: name, span: cidrSpan(range), blame, order: subnetsSeen.length, usable });
      }
    }

    const ssh = resolveSshTarget({
      nodeSsh: isDict(raw.ssh) ? raw.ssh : {},
      nodeSshPath: [...path, 'ssh'],
      defaults: sshDefaults,
      inventoryVar,
      addressFromInventory: raw.address === undefined,
      fallbackHost: address?.value ?? name,
      baseDir,
      inventoryDir: inventory ? dirnamePosix(inventory.file) : baseDir,
      io,
      locate,
      report,
    });

    nodes.push({ name, address: ipv4 !== undefined ? intToIpv4(ipv4) : (address?.value ?? ''), ssh });
  }

  // ── overlapping explicit subnets; the usable ones go into the nodes
  for (const [later, earlier] of findOverlaps(subnetsSeen)) {
    later.usable = false;
    const line = earlier.blame('').line;
    report(later.blame(`subnet ${rangeText(later.span.range)} of node ${later.node} overlaps ${rangeText(earlier.span.range)} of node ${earlier.node} (line ${line})`));
  }
  const usableSubnets = new Map(subnetsSeen.filter((seen) => seen.usable).map((seen) => [seen.node, rangeText(seen.span.range)]));
  for (const spec of nodes) {
    const subnet = usableSubnets.get(spec.name);
    if (subnet !== undefined) spec.subnet = subnet;
  }

  // ── the router (gateway mode), checked against the nodes
  const router = loadRouter({
    raw: root.router,
    routing,
    pod,
    nodeNames: nodeBlame,
    nodeAddresses: firstByAddress,
    sshDefaults,
    inventory,
    baseDir,
    io,
    locate,
    report,
    warn: (warning) => warnings.push(warning),
  });

  const cluster: Cluster = { sourcePath: file, podCidr: pod !== undefined ? rangeText(pod) : '', subnetPrefix, routing, bridge, cni, nodes };
  // Egress NAT is off unless asked for (the schema has checked the type).
  cluster.egress = { masquerade: isDict(root.egress) && root.egress.masquerade === true };
  const verifyTarget = isDict(root.egress) && typeof root.egress.verifyTarget === 'string' ? root.egress.verifyTarget : undefined;
  if (verifyTarget !== undefined) {
    const blame = (message: string): Diagnostic => locate.at(['egress', 'verifyTarget'], message);
    const checked = checkIpv4Address(verifyTarget);
    if (!checked.ok) report(blame(`egress.verifyTarget ${checked.message}`));
    else if (pod !== undefined && rangeHolds(pod, checked.value)) report(blame(`egress.verifyTarget ${verifyTarget} is inside the pod CIDR ${rangeText(pod)}: egress is traffic leaving it`));
    else cluster.egress.verifyTarget = intToIpv4(checked.value);
  }
  // The schema has checked textfileDir (a safe absolute path, at its line when not).
  if (isDict(root.metrics) && typeof root.metrics.textfileDir === 'string' && ABSOLUTE_PATH_PATTERN.test(root.metrics.textfileDir)) {
    cluster.metrics = { textfileDir: root.metrics.textfileDir };
  }
  if (router !== undefined) cluster.router = router;
  // How `apply --prune-removed` reaches a node that left the file: the `ssh:` defaults alone.
  cluster.defaultSsh = resolveSshTarget({
    nodeSsh: {},
    nodeSshPath: ['ssh'],
    defaults: sshDefaults,
    inventoryVar: () => undefined,
    addressFromInventory: false,
    fallbackHost: '',
    baseDir,
    inventoryDir: baseDir,
    io,
    locate,
    report,
  });

  // ── more nodes than subnets left: ask the allocator itself
  const subnetPrefixOk = subnetPrefix >= LARGEST_SUBNET_PREFIX && subnetPrefix <= SMALLEST_SUBNET_PREFIX && (!pod || subnetPrefix >= prefixLength(pod));
  if (pod && subnetPrefixOk && nodes.length > 0) {
    const { subnets } = allocateSubnets(cluster);
    const written = new Set(subnetsSeen.map((seen) => seen.node));
    const free = nodes.filter((node) => !subnets.has(node.name) && !written.has(node.name));
    for (const node of free) {
      const blame = nodeBlame.get(node.name) ?? at(['nodes']);
      report(blame(`no free /${subnetPrefix} subnet left in pod CIDR ${rangeText(pod)} for node \`${node.name}\` (${nodes.length} nodes; the first /${subnetPrefix} is reserved)`));
    }
  }

  if (diagnostics.length > 0) return { ok: false, diagnostics: sortDiagnostics(diagnostics, file) };
  return { ok: true, cluster, warnings };
}
