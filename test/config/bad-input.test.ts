// One bad file per validation rule: the exact file:line:col and the message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostic } from '../../src/config/index.js';
import { loadFile } from './helpers.js';

const BAD = 'test/fixtures/config/bad';
const INVENTORY = 'test/fixtures/config/inventory';

/** rule (fixture name) → every expected diagnostic as [file, line, col, message substring]. */
const CASES: Record<string, [string, number, number, string][]> = {
  'yaml-syntax': [['', 4, 14, 'YAML syntax: Nested mappings are not allowed']],
  'yaml-unresolved-alias': [['', 4, 14, 'YAML: Unresolved alias (the anchor must be set before the alias): addr']],
  'duplicate-key': [['', 5, 5, 'YAML syntax: Map keys must be unique']],
  'unknown-key': [['', 5, 5, 'unknown key `subnt`; did you mean `subnet`?']],
  'unknown-key-far': [['', 2, 1, 'unknown key `colour` (known keys: podCidr, subnetPrefix']],
  'wrong-type': [['', 4, 8, '`mtu` must be an integer, got string "large"']],
  'boolean-yes': [['', 3, 11, '`become` must be true or false, got string "yes" (YAML 1.2: write true or false)']],
  'missing-key': [['', 3, 5, 'missing required key `name` in `nodes` item 1']],
  'missing-pod-cidr': [['', 1, 1, 'missing required key `podCidr`']],
  'bad-enum': [['', 2, 10, '`routing` must be one of host-gw, gateway; got string "hostgw"; did you mean `host-gw`?']],
  'routing-gateway': [['', 2, 10, 'routing mode `gateway` needs a `router:` with the `name` and `address`']],
  'invalid-address': [['', 4, 14, 'node address 192.168.1.256: not a valid IPv4 address']],
  'invalid-cidr': [['', 1, 10, 'podCidr 10.244.0.0: not a valid IPv4 CIDR']],
  'host-bits': [['', 5, 13, 'subnet 10.244.1.5/24: host bits set; did you mean 10.244.1.0/24?']],
  'subnet-outside-pod-cidr': [['', 5, 13, 'subnet 10.245.1.0/24 is outside the pod CIDR 10.244.0.0/16']],
  'overlapping-subnets': [['', 8, 13, 'subnet 10.244.1.0/24 of node node2 overlaps 10.244.0.0/23 of node node1 (line 5)']],
  'duplicate-node-name': [['', 5, 11, 'duplicate node name `node1` (first at line 3)']],
  'duplicate-node-address': [['', 6, 14, 'duplicate node address 192.168.1.11 (also node node1, line 4)']],
  'address-inside-pod-cidr': [['', 4, 14, 'node address 10.244.7.7 is inside the pod CIDR 10.244.0.0/16']],
  'subnet-too-small': [['', 5, 13, 'subnet 10.244.1.0/31 is too small: a /31 has no room for a gateway and a pod (need /30 or larger)']],
  'subnet-prefix-below-8': [['', 2, 15, '`subnetPrefix` must be >= 8, got 7']],
  'subnet-too-large': [['', 5, 13, 'subnet 0.0.0.0/7 is too large: the CNI plugin takes pod subnets from /8 to /30']],
  'pod-cidr-too-small': [['', 1, 10, 'pod CIDR 10.244.0.0/31 is too small']],
  'subnets-exhausted': [['', 5, 11, 'no free /24 subnet left in pod CIDR 10.244.0.0/23 for node `node2`']],
  'subnet-prefix-larger-than-pod': [['', 2, 15, 'subnetPrefix /12 is larger than the pod CIDR 10.244.0.0/16']],
  'bridge-name-too-long': [['', 3, 9, '`name` "podnet-bridge-0001" must be a safe Linux interface name']],
  'bridge-name-unsafe': [['', 3, 9, '`name` "v-net/0" must be a safe Linux interface name']],
  'bridge-name-dotdot': [['', 2, 17, '`name` ".." must be a safe Linux interface name']],
  'bad-node-name': [['', 3, 11, '`name` "Node_1" must be a node name']],
  'ipv6-address': [['', 4, 14, 'node address fd00::11: IPv6 is not supported yet']],
  'ipv6-cidr': [['', 1, 10, 'podCidr fd00:10:244::/56: IPv6 is not supported yet']],
  'ssh-host-invalid': [['', 6, 13, '`host` "-oProxyCommand=evil" must be a host name or an IPv4 address']],
  'ssh-user-invalid': [['', 3, 9, '`user` "root; rm -rf /" must be a user name']],
  'ssh-port-range': [['', 5, 18, '`port` must be >= 1, got 0']],
  'missing-address': [['', 3, 5, 'node `node1` has no `address`']],
  'inventory-unreadable': [['', 2, 12, 'cannot read inventory test/fixtures/config/no-such-inventory.ini: ENOENT']],
  'inventory-missing-host': [['', 4, 11, `node \`node9\` has no \`address\`, and inventory ${INVENTORY}/hosts.ini has no host \`node9\``]],
  'inventory-missing-group': [['', 4, 23, `inventory ${INVENTORY}/hosts.ini has no group \`workerz\`; did you mean \`workers\`?`]],
  'inventory-bad-values': [
    [`${INVENTORY}/bad-values.ini`, 2, 46, 'ansible_port "ssh" must be a port number 1-65535'],
    [`${INVENTORY}/bad-values.ini`, 3, 20, 'node address fd00::12: IPv6 is not supported yet'],
    [`${INVENTORY}/bad-values.ini`, 4, 48, 'ansible_become "perhaps" must be a boolean'],
    [`${INVENTORY}/bad-values.ini`, 5, 1, 'inventory host `Node_4` must be a node name'],
  ],
  'cni-unsafe': [
    ['', 3, 11, '`binDir` "/opt/cni/../bin" must be an absolute path of letters, digits'],
    ['', 4, 15, '`cniVersion` must be one of 0.4.0, 1.0.0, 1.1.0; got string "0.3.1"'],
  ],
  'several-problems': [
    ['', 2, 1, 'unknown key `subnetPrefx`; did you mean `subnetPrefix`?'],
    ['', 4, 9, '`name` "my bridge" must be a safe Linux interface name'],
    ['', 8, 13, 'subnet 10.244.1.5/24: host bits set; did you mean 10.244.1.0/24?'],
    ['', 9, 11, 'duplicate node name `node1` (first at line 6)'],
    ['', 12, 14, 'node address 10.244.3.3 is inside the pod CIDR 10.244.0.0/16'],
  ],
};

for (const [rule, expected] of Object.entries(CASES)) {
  test(`bad input: ${rule}`, () => {
    const file = `${BAD}/${rule}.yaml`;
    const result = loadFile(file);
    assert.equal(result.ok, false, `${file} should be rejected`);
    if (result.ok) return;
    const got = result.diagnostics.map(formatDiagnostic);
    assert.equal(got.length, expected.length, `diagnostics:\n${got.join('\n')}`);
    expected.forEach(([where, line, col, message], index) => {
      const d = result.diagnostics[index];
      assert.ok(d, `missing diagnostic ${index}`);
      assert.equal(d.file, where === '' ? file : where);
      assert.deepEqual([d.line, d.col], [line, col], `position of: ${formatDiagnostic(d)}`);
      assert.ok(d.message.includes(message), `message ${JSON.stringify(d.message)} should include ${JSON.stringify(message)}`);
    });
  });
}

test('every fixture in the bad directory has a case', async () => {
  const { readdirSync } = await import('node:fs');
  const fixtures = readdirSync(BAD).map((name) => name.replace(/\.yaml$/, '')).sort();
  assert.deepEqual(fixtures, Object.keys(CASES).sort());
});

test('formatDiagnostic is path:LINE:COL: message', () => {
  assert.equal(formatDiagnostic({ file: 'a/cluster.yaml', line: 3, col: 7, message: 'boom' }), 'a/cluster.yaml:3:7: boom');
});

test('a pod CIDR outside private address space is a warning at its line', async () => {
  const { loadText } = await import('./helpers.js');
  const result = loadText('podCidr: 8.8.0.0/16\nnodes:\n  - { name: a, address: 192.168.1.11 }\n');
  assert.ok(result.ok);
  assert.deepEqual(result.warnings.map((w) => `${w.line}:${w.col}`), ['1:10']);
  assert.match(result.warnings[0]?.message ?? '', /^warning: pod CIDR 8\.8\.0\.0\/16 is not private address space/);
  const inside = loadText('podCidr: 100.64.0.0/16\nnodes:\n  - { name: a, address: 192.168.1.11 }\n');
  assert.ok(inside.ok && inside.warnings.length === 0);
});
