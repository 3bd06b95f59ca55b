// The loader on good input: defaults, paths, SSH settings merged from inventories, the examples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync, readFileSync } from 'node:fs';
import { normalizePosixPath } from '../../src/config/paths.js';
import { loadCluster, formatDiagnostic, type LoadResult } from '../../src/config/index.js';
import type { Cluster, NodeSpec } from '../../src/model/types.js';
import { diskIo, HOME, loadFile, loadText } from './helpers.js';

function ok(result: LoadResult): Cluster {
  if (!result.ok) assert.fail(`expected a valid cluster, got:\n${result.diagnostics.map(formatDiagnostic).join('\n')}`);
  return result.cluster;
}

function node(cluster: Cluster, name: string): NodeSpec {
  const found = cluster.nodes.find((n) => n.name === name);
  assert.ok(found, `node ${name}`);
  return found;
}

test('every example validates', () => {
  const examples = readdirSync('examples').filter((dir) => existsSync(`examples/${dir}/cluster.yaml`));
  assert.ok(examples.includes('seed-3-nodes') && examples.includes('lab') && examples.includes('inventory'));
  for (const dir of examples) ok(loadFile(`examples/${dir}/cluster.yaml`));
});

test('every example names the schema for editors, and the path resolves', () => {
  for (const dir of readdirSync('examples').filter((d) => existsSync(`examples/${d}/cluster.yaml`))) {
    const firstLine = readFileSync(`examples/${dir}/cluster.yaml`, 'utf8').split('\n')[0] ?? '';
    const match = /^# yaml-language-server: \$schema=(\S+)$/.exec(firstLine);
    assert.ok(match?.[1], `examples/${dir}/cluster.yaml: first line ${firstLine}`);
    assert.equal(normalizePosixPath(`examples/${dir}/${match[1]}`), 'schemas/cluster.schema.json');
  }
});

test('seed-3-nodes is the classic topology', () => {
  const cluster = ok(loadFile('examples/seed-3-nodes/cluster.yaml'));
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
});

test('the lab example reaches nodes through the switch namespace', () => {
  const cluster = ok(loadFile('examples/lab/cluster.yaml'));
  for (const n of cluster.nodes) {
    assert.deepEqual(n.ssh, {
      host: n.address,
      port: 22,
      user: 'root',
      identityFile: '/run/podnet/lab/default/id_ed25519',
      knownHostsFile: '/run/podnet/lab/default/known_hosts',
      become: false,
      proxyCommand: 'ip netns exec pnlab-default-sw nc %h %p',
      connectTimeoutMs: 10000,
      keepaliveIntervalMs: 15_000,
      keepaliveCountMax: 3,
      execTimeoutMs: 120_000,
    });
  }
  assert.deepEqual(
    cluster.nodes.map((n) => n.subnet),
    ['10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24'],
  );
});

test('defaults: subnet /24, host-gw, bridge v-net-0, root@address:22, ~/.ssh/known_hosts, agent', () => {
  const cluster = ok(loadText('podCidr: 10.244.0.0/16\nnodes:\n  - { name: a, address: 192.168.1.11 }\n'));
  assert.equal(cluster.sourcePath, 'cfg/cluster.yaml');
  assert.equal(cluster.subnetPrefix, 24);
  assert.equal(cluster.routing, 'host-gw');
  assert.deepEqual(cluster.bridge, { name: 'v-net-0' });
  assert.deepEqual(node(cluster, 'a'), {
    name: 'a',
    address: '192.168.1.11',
    ssh: { host: '192.168.1.11', port: 22, user: 'root', knownHostsFile: `${HOME}/.ssh/known_hosts`, become: false, connectTimeoutMs: 10000, keepaliveIntervalMs: 15_000, keepaliveCountMax: 3, execTimeoutMs: 120_000 },
  });
});

test('paths: ~ expands to the home directory, relative paths resolve against the cluster file, cwd makes them absolute', () => {
  const text = [
    'podCidr: 10.244.0.0/16',
    'ssh: { identityFile: ../keys/id, knownHostsFile: ~/kh }',
    'nodes:',
    '  - { name: a, address: 192.168.1.11 }',
    '  - { name: b, address: 192.168.1.12, ssh: { identityFile: /etc/podnet/id_b, knownHostsFile: ./kh_b } }',
    '',
  ].join('\n');
  const relative = ok(loadText(text, {}, 'site/prod/cluster.yaml'));
  assert.equal(node(relative, 'a').ssh.identityFile, 'site/keys/id');
  assert.equal(node(relative, 'a').ssh.knownHostsFile, `${HOME}/kh`);
  assert.equal(node(relative, 'b').ssh.identityFile, '/etc/podnet/id_b');
  assert.equal(node(relative, 'b').ssh.knownHostsFile, 'site/prod/kh_b');
  const absolute = ok(loadCluster(text, 'site/prod/cluster.yaml', { ...diskIo, cwd: '/srv' }));
  assert.equal(node(absolute, 'a').ssh.identityFile, '/srv/site/keys/id');
});

test('SSH settings: node override > cluster defaults > built-in; connectTimeout in seconds', () => {
  const cluster = ok(
    loadText(
      [
        'podCidr: 10.244.0.0/16',
        'bridge: { name: cni0, mtu: 1450 }',
        'subnetPrefix: 26',
        'ssh: { user: ops, port: 2222, become: true, proxyJump: "jump@bastion.example:22", connectTimeout: 2.5, keepaliveInterval: 5, keepaliveCountMax: 4, execTimeout: 300 }',
        'nodes:',
        '  - { name: a, address: 192.168.1.11 }',
        '  - { name: b, address: 192.168.1.12, ssh: { host: b.example, user: admin, port: 22, become: false, proxyCommand: "nc %h %p", execTimeout: 0.5 } }',
        '',
      ].join('\n'),
    ),
  );
  assert.deepEqual(cluster.bridge, { name: 'cni0', mtu: 1450 });
  assert.equal(cluster.subnetPrefix, 26);
  const a = node(cluster, 'a').ssh;
  assert.deepEqual([a.host, a.user, a.port, a.become, a.proxyJump, a.proxyCommand, a.connectTimeoutMs], ['192.168.1.11', 'ops', 2222, true, 'jump@bastion.example:22', undefined, 2500]);
  const b = node(cluster, 'b').ssh;
  assert.deepEqual([b.host, b.user, b.port, b.become, b.proxyJump, b.proxyCommand], ['b.example', 'admin', 22, false, 'jump@bastion.example:22', 'nc %h %p']);
  // Keepalives and the exec deadline: seconds in the file, the node's own over the cluster's.
  assert.deepEqual([a.keepaliveIntervalMs, a.keepaliveCountMax, a.execTimeoutMs], [5000, 4, 300_000]);
  assert.deepEqual([b.keepaliveIntervalMs, b.keepaliveCountMax, b.execTimeoutMs], [5000, 4, 500]);
  const bad = loadText('podCidr: 10.244.0.0/16\nssh: { keepaliveCountMax: 0, execTimeout: 0 }\nnodes: [{ name: a, address: 192.168.1.11 }]\n');
  assert.equal(bad.ok, false);
  assert.deepEqual(bad.ok ? [] : bad.diagnostics.map((d) => `${d.line}:${d.col}`), ['2:27', '2:43']);
});

// The fixture inventories: all:vars < k8s:vars < workers:vars < host vars.
const INVENTORY_DIR = 'test/fixtures/config/inventory';
for (const inventory of ['hosts.ini', 'hosts.yaml']) {
  test(`inventory ${inventory}: precedence node override > host vars > group vars (child over parent over all) > cluster defaults`, () => {
    const text = [
      'podCidr: 10.244.0.0/16',
      `inventory: ${inventory}`,
      'ssh: { user: fromdefaults, port: 2999, knownHostsFile: /etc/kh, connectTimeout: 3 }',
      'nodes:',
      '  - name: node0',
      '  - name: node1',
      '    ssh: { user: bob }',
      '  - name: node2',
      '    address: 192.168.2.12',
      '    subnet: 10.244.9.0/24',
      '  - name: node3',
      '  - name: extra',
      '    address: 192.168.1.99',
      '',
    ].join('\n');
    const cluster = ok(loadCluster(text, `${INVENTORY_DIR}/cluster.yaml`, diskIo));
    const summary = (name: string) => {
      const n = node(cluster, name);
      return { address: n.address, host: n.ssh.host, user: n.ssh.user, port: n.ssh.port, become: n.ssh.become, identityFile: n.ssh.identityFile };
    };
    // node0 is only in `all`: all:vars beat the cluster's ssh defaults.
    assert.deepEqual(summary('node0'), { address: '192.168.1.10', host: '192.168.1.10', user: 'everyone', port: 22, become: false, identityFile: undefined });
    // node1: the cluster.yaml override beats its host var (alice); k8s:vars beat all:vars.
    assert.deepEqual(summary('node1'), { address: '192.168.1.11', host: '192.168.1.11', user: 'bob', port: 2022, become: true, identityFile: undefined });
    // node2: workers:vars (a child group) beat k8s:vars; its own address beats ansible_host, which stays the SSH host.
    assert.deepEqual(summary('node2'), {
      address: '192.168.2.12',
      host: '192.168.1.12',
      user: 'worker',
      port: 2022,
      become: true,
      identityFile: `${INVENTORY_DIR}/keys/worker_ed25519`,
    });
    assert.equal(node(cluster, 'node2').subnet, '10.244.9.0/24');
    // node3: the host's own port (node3:2200 / ansible_port) beats group vars.
    assert.equal(summary('node3').port, 2200);
    assert.equal(summary('node3').user, 'worker');
    // extra is not in the inventory: cluster defaults apply.
    assert.deepEqual(summary('extra'), { address: '192.168.1.99', host: '192.168.1.99', user: 'fromdefaults', port: 2999, become: false, identityFile: undefined });
    for (const n of cluster.nodes) {
      assert.equal(n.ssh.knownHostsFile, '/etc/kh');
      assert.equal(n.ssh.connectTimeoutMs, 3000);
    }
  });

  test(`inventory ${inventory}: nodes from a group, children included, in inventory order`, () => {
    const text = `podCidr: 10.244.0.0/16\ninventory: ${inventory}\nnodes: { fromInventoryGroup: k8s }\n`;
    const cluster = ok(loadCluster(text, `${INVENTORY_DIR}/cluster.yaml`, diskIo));
    assert.deepEqual(
      cluster.nodes.map((n) => [n.name, n.address]),
      [
        ['node1', '192.168.1.11'],
        ['node2', '192.168.1.12'],
        ['node3', '192.168.1.13'],
      ],
    );
    const all = ok(loadCluster(text.replace('k8s', 'all'), `${INVENTORY_DIR}/cluster.yaml`, diskIo));
    assert.deepEqual(
      all.nodes.map((n) => n.name),
      ['node0', 'node1', 'node2', 'node3'],
    );
  });
}

test('fromInventoryGroup without an inventory is an error at the group name', () => {
  const result = loadText('podCidr: 10.244.0.0/16\nnodes:\n  fromInventoryGroup: k8s\n');
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.deepEqual(result.diagnostics.map(formatDiagnostic), ['cfg/cluster.yaml:3:23: `fromInventoryGroup` needs an `inventory:` to take the group from']);
});

test('nodes of the wrong shape say what is expected', () => {
  const result = loadText('podCidr: 10.244.0.0/16\nnodes: node1\n');
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.deepEqual(result.diagnostics.map(formatDiagnostic), ['cfg/cluster.yaml:2:8: `nodes` must be a list of nodes, or {fromInventoryGroup: GROUP}']);
});

test('an empty file says so at 1:1', () => {
  for (const text of ['', '# only a comment\n']) {
    const result = loadText(text);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(result.diagnostics.map(formatDiagnostic), ['cfg/cluster.yaml:1:1: the file is empty: a cluster needs at least `podCidr` and `nodes`']);
  }
});

test('a document that is not a mapping is a type error at its node', () => {
  const result = loadText('# comment\n- podCidr\n');
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.deepEqual(result.diagnostics.map(formatDiagnostic), ['cfg/cluster.yaml:2:1: the document must be a mapping, got a list']);
});

test('inventory parse errors point into the inventory file', () => {
  const result = loadText('podCidr: 10.244.0.0/16\ninventory: inv.ini\nnodes:\n  - name: a\n', { 'cfg/inv.ini': '[k8s\na ansible_host=192.168.1.11\n' });
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.deepEqual(result.diagnostics.map(formatDiagnostic), ['cfg/inv.ini:1:1: invalid section header [k8s']);
});

test('an inventory host name as ansible_host cannot be a node address: say to add one', () => {
  const files = { 'cfg/inv.ini': '[k8s]\nnode1 ansible_host=node1.example.com\n' };
  const result = loadText('podCidr: 10.244.0.0/16\ninventory: inv.ini\nnodes: { fromInventoryGroup: k8s }\n', files);
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
    'cfg/inv.ini:2:20: ansible_host node1.example.com of node node1 is not an IPv4 address; give the node an `address:` in cluster.yaml (the next hop for its pods)',
  ]);
  // With an address in cluster.yaml the host name is fine as the SSH host.
  const fixed = ok(loadText('podCidr: 10.244.0.0/16\ninventory: inv.ini\nnodes:\n  - { name: node1, address: 192.168.1.11 }\n', files));
  assert.equal(node(fixed, 'node1').ssh.host, 'node1.example.com');
});

test('passwords in the inventory are ignored with a warning at their position; vars lose trailing comments', () => {
  const files = { 'cfg/inv.ini': '[k8s]\nnode1 ansible_host=192.168.1.11 ansible_password=secret\n[k8s:vars]\nansible_user=admin # the admin\n' };
  const result = loadText('podCidr: 10.244.0.0/16\ninventory: inv.ini\nnodes: { fromInventoryGroup: k8s }\n', files);
  assert.ok(result.ok);
  assert.equal(node(result.cluster, 'node1').ssh.user, 'admin');
  assert.deepEqual(result.warnings.map(formatDiagnostic), [
    'cfg/inv.ini:2:50: warning: podnet ignores ansible_password: it logs in with a key or the SSH agent, and `become` needs passwordless sudo',
  ]);
});

test('anchors and merge keys share settings between nodes', () => {
  const cluster = ok(
    loadText(
      [
        'podCidr: 10.244.0.0/16',
        'nodes:',
        '  - &base { name: a, address: 192.168.1.11, ssh: { user: ops, port: 2200 } }',
        '  - <<: *base',
        '    name: b',
        '    address: 192.168.1.12',
        '',
      ].join('\n'),
    ),
  );
  assert.deepEqual(
    cluster.nodes.map((n) => [n.name, n.address, n.ssh.user, n.ssh.port]),
    [
      ['a', '192.168.1.11', 'ops', 2200],
      ['b', '192.168.1.12', 'ops', 2200],
    ],
  );
});

test('a node written as a bare name says how to write it', () => {
  const result = loadText('podCidr: 10.244.0.0/16\nnodes:\n  - node1\n');
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.deepEqual(result.diagnostics.map(formatDiagnostic), ['cfg/cluster.yaml:3:5: `nodes` item 1 must be a mapping like {name: node1}, got string "node1"']);
});

test('every overlapping pair of explicit subnets is reported, whatever their order in the file; the later one is blamed', () => {
  const result = loadText(
    [
      'podCidr: 10.244.0.0/16',
      'nodes:',
      '  - { name: a, address: 192.168.1.11, subnet: 10.244.1.0/24 }',
      '  - { name: b, address: 192.168.1.12, subnet: 10.244.3.0/24 }',
      '  - { name: c, address: 192.168.1.13, subnet: 10.244.0.0/22 }',
      '  - { name: d, address: 192.168.1.14, subnet: 10.244.8.0/24 }',
      '  - { name: e, address: 192.168.1.15, subnet: 10.244.8.0/24 }',
      '  - { name: f, address: 192.168.1.16, subnet: 10.244.7.0/24 }',
    ].join('\n') + '\n',
  );
  assert.equal(result.ok, false);
  const messages = result.ok ? [] : result.diagnostics.map((d) => d.message);
  assert.deepEqual(messages, [
    'subnet 10.244.0.0/22 of node c overlaps 10.244.1.0/24 of node a (line 3)',
    'subnet 10.244.0.0/22 of node c overlaps 10.244.3.0/24 of node b (line 4)',
    'subnet 10.244.8.0/24 of node e overlaps 10.244.8.0/24 of node d (line 6)',
  ]);
});

