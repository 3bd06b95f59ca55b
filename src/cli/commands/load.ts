// What the command declarations share when an action runs. Start-up (issue 12): the declarations
// import nothing heavy; an action imports what it uses when it runs.
import type { Cluster } from '../../model/types.js';

/**
 * cluster.yaml read and validated before the planner and SSH are loaded: a missing or invalid file
 * fails without paying for them (the same errors as before: readCluster's).
 */
export async function readClusterFirst(file: string): Promise<Cluster> {
  const { readCluster } = await import('../read-cluster.js');
  return readCluster(file);
}
