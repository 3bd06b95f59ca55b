// The lab router's names and the cluster files of a lab with a router (pure; no root needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderLabClusterYaml } from '../../src/lab/lab-files.js';
import { parseLabNetns } from '../../src/lab/lab-layout.js';
import {
  labGatewayClusterFile,
  labMembers,
  labRouterMember,
  renderLabGatewayClusterYaml,
  renderLabHostGwClusterYaml,
  routerSwitchLines,
} from '../../src/lab/lab-router.js';
import { labSshArgv } from '../../src/lab/lab-ssh.js';
import { loadClusterFile } from '../../src/cli/read-cluster.js';
import { sampleLab } from '../support/sample-lab.js';

function loadRendered(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-lab-router-'));
  try {
    const file = join(dir, 'cluster.yaml');
    writeFileSync(file, text);
    const result = loadClusterFile(file, { localFiles: false });
    if (!result.ok) assert.fail(result.diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`).join('\n'));
    return result.cluster;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the router: pnlab-<lab>-router at 192.168.1.254, after the nodes among the members', () => {
  const lab = sampleLab({ router: true });
  assert.deepEqual(lab.router, { name: 'router', address: '192.168.1.254', netns: 'pnlab-default-router', pid: 0 });
  assert.deepEqual(parseLabNetns('pnlab-default-router'), { lab: 'default', member: 'router' });
  assert.deepEqual(labMembers(lab).map((m) => m.name), ['node1', 'node2', 'node3', 'router']);
  assert.deepEqual(labMembers(sampleLab()).map((m) => m.name), ['node1', 'node2', 'node3']);
  assert.equal(labGatewayClusterFile('default'), '/run/podnet/lab/default/cluster-gateway.yaml');
  assert.deepEqual(routerSwitchLines(labRouterMember('x'), 'sw0'), [
    'link add vnr type veth peer name eth0 netns pnlab-x-router',
    'link set vnr master sw0',
    'link set vnr up',
  ]);
  assert.deepEqual(labSshArgv(lab, 'router').slice(-1), ['root@192.168.1.254']);
});

test('cluster-gateway.yaml: the same nodes in routing mode gateway, with the router; it loads', () => {
  const cluster = loadRendered(renderLabGatewayClusterYaml(sampleLab({ router: true })));
  assert.equal(cluster.routing, 'gateway');
  assert.deepEqual(cluster.nodes.map((n) => [n.name, n.address, n.subnet]), [
    ['node1', '192.168.1.11', '10.244.1.0/24'],
    ['node2', '192.168.1.12', '10.244.2.0/24'],
    ['node3', '192.168.1.13', '10.244.3.0/24'],
  ]);
  assert.equal(cluster.router?.address, '192.168.1.254');
  assert.equal(cluster.router?.ssh.proxyCommand, 'ip netns exec pnlab-default-sw nc %h %p');
  assert.throws(() => renderLabGatewayClusterYaml(sampleLab()), /has no router/);
});

test('the lab’s cluster.yaml stays host-gw; with a router it lists it (so switching back prunes its routes)', () => {
  assert.equal(renderLabHostGwClusterYaml(sampleLab()), renderLabClusterYaml(sampleLab()));
  const cluster = loadRendered(renderLabHostGwClusterYaml(sampleLab({ router: true })));
  assert.equal(cluster.routing, 'host-gw');
  assert.equal(cluster.router?.name, 'router');
});

test('examples/lab/cluster-gateway.yaml loads as what `lab up --router` writes for the default lab', () => {
  const example = loadRendered(readFileSync('examples/lab/cluster-gateway.yaml', 'utf8'));
  const generated = loadRendered(renderLabGatewayClusterYaml(sampleLab({ router: true })));
  const comparable = (c: typeof example) => ({ ...c, sourcePath: '' });
  assert.deepEqual(comparable(example), comparable(generated));
});
