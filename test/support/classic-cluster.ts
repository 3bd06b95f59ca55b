// The classic 3-node topology as a Cluster value, for tests that do not go through the loader.
import { DEFAULT_CNI, type Cluster, type NodeSpec } from '../../src/model/types.js';

function node(n: number): NodeSpec {
  return {
    name: `node${n}`,
    address: `192.168.1.1${n}`,
    subnet: `10.244.${n}.0/24`,
    ssh: { host: `192.168.1.1${n}`, port: 22, user: 'root', knownHostsFile: '/dev/null', become: false, connectTimeoutMs: 5000 },
  };
}

export function classicCluster(overrides: Partial<Cluster> = {}): Cluster {
  return {
    sourcePath: 'cluster.yaml',
    podCidr: '10.244.0.0/16',
    subnetPrefix: 24,
    routing: 'host-gw',
    bridge: { name: 'v-net-0' },
    cni: DEFAULT_CNI,
    nodes: [node(1), node(2), node(3)],
    ...overrides,
  };
}

/** Each node's explicit subnet (what allocateSubnets returns for the classic topology). */
export function classicSubnets(cluster: Cluster = classicCluster()): Map<string, string> {
  return new Map(cluster.nodes.map((n) => [n.name, n.subnet ?? '']));
}
