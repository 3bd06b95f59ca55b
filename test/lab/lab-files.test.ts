// The lab's names, addresses and generated files (pure; no root needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/model/errors.js';
import { renderKnownHostsLine, renderLabClusterYaml, renderNodeInit, renderSshdConfig } from '../../src/lab/lab-files.js';
import {
  assertLabName,
  assertLabNodeCount,
  labNodeAddress,
  labNodeIndex,
  labNodeNetns,
  labPaths,
  labProxyCommand,
  labSwitchNetns,
  parseLabNetns,
  LAB_SWITCH_ADDRESS,
} from '../../src/lab/lab-layout.js';
import { labSshArgv } from '../../src/lab/lab-ssh.js';
import { loadClusterFile } from '../../src/cli/read-cluster.js';
import { sampleLab } from '../support/sample-lab.js';

test('namespace names, addresses and proxy command follow the contract', () => {
  assert.equal(labSwitchNetns('default'), 'pnlab-default-sw');
  assert.equal(labNodeNetns('t1a2b3c', 'node2'), 'pnlab-t1a2b3c-node2');
  assert.equal(labNodeAddress(1), '192.168.1.11');
  assert.equal(labNodeAddress(200), '192.168.1.210');
  assert.equal(labProxyCommand('default'), 'ip netns exec pnlab-default-sw nc %h %p');
  assert.equal(labPaths('x1').stateDir, '/run/podnet/lab/x1');
  assert.equal(labNodeIndex('node12'), 12);
  assert.equal(labNodeIndex('node0'), null);
  assert.equal(labNodeIndex('sw'), null);
});

test('parseLabNetns recognises only lab namespaces, and tells labs with common prefixes apart', () => {
  assert.deepEqual(parseLabNetns('pnlab-default-sw'), { lab: 'default', member: 'sw' });
  assert.deepEqual(parseLabNetns('pnlab-t1-node3'), { lab: 't1', member: 'node3' });
  assert.equal(parseLabNetns('pnlab-t1-node3')?.lab === 't12', false);
  assert.equal(parseLabNetns('pnssh-abc'), null);
  assert.equal(parseLabNetns('pnlab-UPPER-sw'), null);
  assert.equal(parseLabNetns('pnlab-a-b-sw'), null);
});

test('lab names and node counts are checked', () => {
  assert.doesNotThrow(() => assertLabName('default'));
  assert.doesNotThrow(() => assertLabName('t0z9ab'));
  for (const bad of ['', 'Default', 'a-b', 'abcdefghijk', '../x']) {
    assert.throws(() => assertLabName(bad), UserError, bad);
  }
  assert.doesNotThrow(() => assertLabNodeCount(1));
  assert.doesNotThrow(() => assertLabNodeCount(200));
  for (const bad of [0, 201, 2.5, Number.NaN]) assert.throws(() => assertLabNodeCount(bad), UserError);
});

test('sshd_config has what the lab relies on', () => {
  const config = renderSshdConfig({
    address: '192.168.1.12',
    hostKeyFile: '/run/podnet/lab/default/nodes/node2/ssh_host_ed25519_key',
    authorizedKeysFile: '/run/podnet/lab/default/authorized_keys',
  });
  for (const line of [
    'ListenAddress 192.168.1.12:22',
    'HostKey /run/podnet/lab/default/nodes/node2/ssh_host_ed25519_key',
    'PermitRootLogin prohibit-password',
    'AuthorizedKeysFile /run/podnet/lab/default/authorized_keys',
    'StrictModes no',
    'PasswordAuthentication no',
    'UsePAM no',
    'AllowTcpForwarding yes',
    'PidFile none',
  ]) {
    assert.match(config, new RegExp(`^${line}$`, 'm'), line);
  }
});

test('the node init mounts a private /run/netns and the bind pairs, sets the hostname, execs sshd', () => {
  const init = renderNodeInit();
  assert.match(init, /^#!\/bin\/sh\n/);
  assert.match(init, /mount -t tmpfs .* \/run\/netns/);
  assert.match(init, /mount --bind "\$1" "\$2"/);
  assert.match(init, /\/proc\/sys\/kernel\/hostname/);
  assert.match(init, /mkdir -p \/run\/netns \/run\/sshd "\$@"/);
  assert.match(init, /^exec \/usr\/sbin\/sshd -D -f "\$sshd_config" -E "\$sshd_log"$/m);
});

test('known_hosts lines are OpenSSH format keyed by address', () => {
  assert.equal(
    renderKnownHostsLine('192.168.1.11', 'ssh-ed25519 AAAAC3Nza podnet-lab-default-node1\n'),
    '192.168.1.11 ssh-ed25519 AAAAC3Nza\n',
  );
  assert.throws(() => renderKnownHostsLine('192.168.1.11', ''));
});

test('the generated cluster.yaml is valid for podnet and is the classic topology', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-lab-files-'));
  try {
    const file = join(dir, 'cluster.yaml');
    writeFileSync(file, renderLabClusterYaml(sampleLab({ nodes: 3 })));
    const result = loadClusterFile(file, { localFiles: false });
    assert.ok(result.ok, JSON.stringify(result));
    const { cluster } = result;
    assert.equal(cluster.podCidr, '10.244.0.0/16');
    assert.equal(cluster.bridge.name, 'v-net-0');
    assert.deepEqual(
      cluster.nodes.map((n) => [n.name, n.address, n.subnet]),
      [
        ['node1', '192.168.1.11', '10.244.1.0/24'],
        ['node2', '192.168.1.12', '10.244.2.0/24'],
        ['node3', '192.168.1.13', '10.244.3.0/24'],
      ],
    );
    for (const node of cluster.nodes) {
      assert.equal(node.ssh.user, 'root');
      assert.equal(node.ssh.port, 22);
      assert.equal(node.ssh.identityFile, '/run/podnet/lab/default/id_ed25519');
      assert.equal(node.ssh.knownHostsFile, '/run/podnet/lab/default/known_hosts');
      assert.equal(node.ssh.proxyCommand, 'ip netns exec pnlab-default-sw nc %h %p');
    }
    // verify's egress target: the lab switch's own address, inside the lab's namespaces, outside the pod CIDR.
    assert.deepEqual(cluster.egress, { masquerade: false, verifyTarget: LAB_SWITCH_ADDRESS });
    assert.equal(LAB_SWITCH_ADDRESS, '192.168.1.1');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a 200-node cluster.yaml is valid too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-lab-files-'));
  try {
    const file = join(dir, 'cluster.yaml');
    writeFileSync(file, renderLabClusterYaml(sampleLab({ nodes: 200 })));
    const result = loadClusterFile(file, { localFiles: false });
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.cluster.nodes.at(-1)?.address, '192.168.1.210');
    assert.equal(result.cluster.nodes.at(-1)?.subnet, '10.244.200.0/24');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lab ssh uses the real client with the lab key, strict known_hosts and the proxy command', () => {
  const argv = labSshArgv(sampleLab({ nodes: 3 }), 'node2', ['hostname']);
  assert.equal(argv[0], 'ssh');
  const joined = argv.join(' ');
  assert.match(joined, /-i \/run\/podnet\/lab\/default\/id_ed25519/);
  assert.match(joined, /-o UserKnownHostsFile=\/run\/podnet\/lab\/default\/known_hosts/);
  assert.match(joined, /-o StrictHostKeyChecking=yes/);
  assert.ok(argv.includes('ProxyCommand=ip netns exec pnlab-default-sw nc %h %p'));
  assert.deepEqual(argv.slice(-3), ['root@192.168.1.12', '--', 'hostname']);
  assert.equal(labSshArgv(sampleLab({ nodes: 3 }), 'node1').at(-1), 'root@192.168.1.11');
  assert.throws(() => labSshArgv(sampleLab({ nodes: 3 }), 'node4'), UserError);
});
