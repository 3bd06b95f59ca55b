// The floor for `npm run bench`: a bare ssh2 fan-out — read the cluster, connect to every node at once,
// run one trivial exec on each, close. A process of its own, like the podnet CLI it is compared with.
import { readCluster } from '../src/cli/read-cluster.js';
import { connectNode } from '../src/run/ssh/connect.js';

const file = process.argv[2];
if (!file) throw new Error('usage: fan-out.js CLUSTER_FILE');
const cluster = readCluster(file);
await Promise.all(
  cluster.nodes.map(async (node) => {
    const connection = await connectNode(node.ssh, { nodeName: node.name });
    try {
      const r = await connection.exec('true');
      if (r.code !== 0) throw new Error(`${node.name}: exit ${r.code}`);
    } finally {
      connection.close();
    }
  }),
);
