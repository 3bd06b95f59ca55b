// A LabInfo value of the default lab as labUp would describe it, for tests that render lab files
// without building a lab.
import { labNodeAddress, labNodeNetns, labPaths, labProxyCommand, labSwitchNetns } from '../../src/lab/lab-layout.js';
import { labGatewayClusterFile, labRouterMember } from '../../src/lab/lab-router.js';
import type { LabInfo } from '../../src/lab/lab-types.js';

export function sampleLab(options: { nodes?: number; router?: boolean } = {}): LabInfo {
  const paths = labPaths('default');
  return {
    name: 'default',
    stateDir: paths.stateDir,
    switchNetns: labSwitchNetns('default'),
    clusterFile: paths.clusterFile,
    identityFile: paths.identityFile,
    knownHostsFile: paths.knownHostsFile,
    proxyCommand: labProxyCommand('default'),
    nodes: Array.from({ length: options.nodes ?? 3 }, (_, i) => ({
      name: `node${i + 1}`,
      address: labNodeAddress(i + 1),
      netns: labNodeNetns('default', `node${i + 1}`),
      pid: 0,
    })),
    ...(options.router === true ? { router: labRouterMember('default'), gatewayClusterFile: labGatewayClusterFile('default') } : {}),
  };
}
