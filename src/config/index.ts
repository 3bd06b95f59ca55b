// cluster.yaml: loading, validation, inventories.
export { loadCluster, type LoadIo, type LoadResult } from './load-cluster.js';
export { formatDiagnostic } from './yaml-positions.js';
export { parseInventory, parseIniInventory, parseYamlInventory, resolveHostVars, hostsOfGroup, type Inventory } from './inventory.js';
