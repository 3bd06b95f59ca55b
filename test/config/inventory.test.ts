// Ansible inventories, INI and YAML: hosts, groups, children, variables and their positions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hostsOfGroup, parseIniInventory, parseInventory, parseYamlInventory, resolveHostVars, type Inventory } from '../../src/config/index.js';
import { formatDiagnostic } from '../../src/config/index.js';

function parsed(result: ReturnType<typeof parseInventory>): Inventory {
  if (!result.ok) assert.fail(result.diagnostics.map(formatDiagnostic).join('\n'));
  return result.inventory;
}

function values(inventory: Inventory, host: string): Record<string, unknown> {
  return Object.fromEntries([...resolveHostVars(inventory, host)].map(([key, v]) => [key, v.value]));
}

const DIR = 'test/fixtures/config/inventory';

test('INI: sections, children, vars, host:port, quoted values, comments', () => {
  const inventory = parsed(
    parseIniInventory(
      [
        '# comment',
        'lonely ansible_host=10.0.0.1',
        '[web]',
        'web1 ansible_host=192.168.1.11 ansible_user="deploy user" # trailing comment',
        "web2:2222 ansible_host='192.168.1.12'",
        '; another comment',
        '[db]',
        'db1',
        '[prod:children]',
        'web',
        'db',
        '[prod:vars]',
        'ansible_become = yes',
        'note = "a b"',
        '',
      ].join('\n'),
      'inv.ini',
    ),
  );
  assert.deepEqual([...inventory.hosts.keys()], ['lonely', 'web1', 'web2', 'db1']);
  assert.deepEqual(inventory.groups.get('ungrouped')?.hosts, ['lonely']);
  assert.deepEqual(inventory.groups.get('prod')?.children, ['web', 'db']);
  assert.deepEqual(values(inventory, 'web1'), { ansible_become: 'yes', note: 'a b', ansible_host: '192.168.1.11', ansible_user: 'deploy user' });
  assert.deepEqual(values(inventory, 'web2'), { ansible_become: 'yes', note: 'a b', ansible_port: '2222', ansible_host: '192.168.1.12' });
  assert.deepEqual(values(inventory, 'lonely'), { ansible_host: '10.0.0.1' });
  assert.deepEqual(hostsOfGroup(inventory, 'prod'), ['web1', 'web2', 'db1']);
  assert.deepEqual(hostsOfGroup(inventory, 'all'), ['lonely', 'web1', 'web2', 'db1']);
  // Positions point at the value.
  const user = resolveHostVars(inventory, 'web1').get('ansible_user');
  assert.deepEqual(user?.pos, { file: 'inv.ini', line: 4, col: 45 });
  const become = resolveHostVars(inventory, 'web1').get('ansible_become');
  assert.deepEqual(become?.pos, { file: 'inv.ini', line: 13, col: 18 });
});

test('INI: errors carry positions', () => {
  const result = parseIniInventory('[web\nweb[01:10] x=1\n[g:weird]\n[ok]\nh1 novalue\n[ok:vars]\njustakey\n[more]\n  ansible_host=10.0.0.1\n', 'inv.ini');
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
    'inv.ini:1:1: invalid section header [web',
    'inv.ini:2:1: host ranges like `web[01:10]` are not supported; list the hosts one per line',
    'inv.ini:3:4: unknown section kind `:weird` (expected :vars or :children)',
    'inv.ini:5:4: expected key=value after host h1, got `novalue`',
    'inv.ini:7:1: expected key=value in [ok:vars]',
    'inv.ini:9:3: a host line starts with the host name, got `ansible_host=10.0.0.1`',
  ]);
});

test('YAML: all/hosts/vars/children, nested groups, values keep their types', () => {
  const inventory = parsed(parseYamlInventory(readFileSync(`${DIR}/hosts.yaml`, 'utf8'), `${DIR}/hosts.yaml`));
  assert.deepEqual([...inventory.hosts.keys()], ['node0', 'node1', 'node2', 'node3']);
  assert.deepEqual(inventory.groups.get('k8s')?.children, ['control', 'workers']);
  assert.deepEqual(values(inventory, 'node3'), {
    ansible_user: 'worker',
    ansible_become: true,
    ansible_port: 2200,
    ansible_ssh_private_key_file: 'keys/worker_ed25519',
    ansible_host: '192.168.1.13',
  });
  assert.deepEqual(resolveHostVars(inventory, 'node3').get('ansible_port')?.pos, { file: `${DIR}/hosts.yaml`, line: 31, col: 29 });
});

test('YAML: errors carry positions', () => {
  const result = parseYamlInventory('all:\n  hostz:\n    a: {}\n  children:\n    g: [1]\n', 'inv.yaml');
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
    'inv.yaml:2:3: unknown key `hostz` in group `all` (expected hosts, vars, children)',
    'inv.yaml:5:8: group `g` must be a mapping with hosts, vars or children',
  ]);
});

test('precedence: all < parent group < child group < host; equal depth by name', () => {
  for (const file of ['hosts.ini', 'hosts.yaml']) {
    const inventory = parsed(parseInventory(readFileSync(`${DIR}/${file}`, 'utf8'), `${DIR}/${file}`));
    const user = (host: string): unknown => resolveHostVars(inventory, host).get('ansible_user')?.value;
    assert.equal(user('node0'), 'everyone', file);
    assert.equal(user('node1'), 'alice', file);
    assert.equal(user('node2'), 'worker', file);
    assert.equal(String(resolveHostVars(inventory, 'node1').get('ansible_port')?.value), '2022', file);
  }
  const tie = parsed(parseIniInventory('[b]\nh x=from-b\n[a]\nh x=from-host\n[a:vars]\ny=from-a\n[b:vars]\ny=from-b\n', 'tie.ini'));
  assert.equal(resolveHostVars(tie, 'h').get('y')?.value, 'from-b');
});

test('the shipped example inventories agree', () => {
  const ini = parsed(parseInventory(readFileSync('inventories/hosts.ini', 'utf8'), 'inventories/hosts.ini'));
  const yaml = parsed(parseInventory(readFileSync('inventories/hosts.yaml', 'utf8'), 'inventories/hosts.yaml'));
  assert.deepEqual(hostsOfGroup(ini, 'k8s'), hostsOfGroup(yaml, 'k8s'));
  for (const host of hostsOfGroup(ini, 'k8s')) {
    const normalise = (vars: Record<string, unknown>) => Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, String(v)]).sort());
    assert.deepEqual(normalise(values(ini, host)), normalise(values(yaml, host)), host);
  }
});

test('YAML: anchors, aliases and merge keys as Ansible reads them; a missing anchor is reported', () => {
  const inventory = parsed(
    parseYamlInventory(
      [
        'all:',
        '  vars: &common { ansible_user: ops, ansible_port: 2200 }',
        '  hosts:',
        '    node1:',
        '      ansible_port: 22',
        '      <<: *common',
        '      ansible_host: 192.168.1.11',
        '    node2: &same { ansible_host: 192.168.1.12 }',
        '    node3:',
        '      <<: [{ ansible_user: first }, *common]',
        '',
      ].join('\n'),
      'inv.yaml',
    ),
  );
  assert.deepEqual(values(inventory, 'node1'), { ansible_user: 'ops', ansible_port: 22, ansible_host: '192.168.1.11' });
  assert.deepEqual(values(inventory, 'node2'), { ansible_user: 'ops', ansible_port: 2200, ansible_host: '192.168.1.12' });
  assert.deepEqual(values(inventory, 'node3'), { ansible_user: 'first', ansible_port: 2200 });
  const missing = parseYamlInventory('all:\n  hosts:\n    node1:\n      ansible_host: *nowhere\n', 'inv.yaml');
  assert.equal(missing.ok, false);
  if (missing.ok) return;
  assert.deepEqual(missing.diagnostics.map(formatDiagnostic), ['inv.yaml:4:21: unresolved alias *nowhere (the anchor must be set before the alias)']);
});

/**
 * Run `loadCluster` in a worker, so that a loader that hangs (busy, the event loop never gets
 * control back) fails the test after `ms` instead of hanging it.
 */
async function loadInWorker(cluster: string, files: Record<string, string>, ms: number): Promise<{ ok: boolean; diagnostics?: { file: string; line: number; col: number; message: string }[] }> {
  const { Worker } = await import('node:worker_threads');
  // Run from src/*.ts through tsx (mutation testing), the worker loads the TypeScript through tsx too.
  const fromSource = import.meta.url.endsWith('.ts');
  const moduleUrl = new URL(`../../src/config/index.${fromSource ? 'ts' : 'js'}`, import.meta.url).href;
  const worker = new Worker(
    `const { parentPort, workerData: w } = require('node:worker_threads');
     const tsx = w.fromSource ? import('tsx/esm/api').then((api) => api.register()) : Promise.resolve();
     tsx.then(() => import(w.moduleUrl)).then(({ loadCluster }) => {
       const io = { readFile: (p) => { if (!(p in w.files)) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' }); return w.files[p]; }, homeDir: '/home/tester' };
       const r = loadCluster(w.cluster, 'cfg/cluster.yaml', io);
       parentPort.postMessage(r.ok ? { ok: true } : { ok: false, diagnostics: r.diagnostics });
     });`,
    { eval: true, workerData: { moduleUrl, cluster, files, fromSource } },
  );
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      timer = setTimeout(() => reject(new Error(`the loader was still busy after ${ms} ms`)), ms);
    });
  } finally {
    clearTimeout(timer);
    await worker.terminate();
  }
}

/** About 700 bytes: each anchor merges the previous one three times, so the last stands for 3^17 mappings. */
function mergeBomb(levels: number, indent: string): string {
  const lines = [`${indent}h0: &a0 { ansible_port: 22 }`];
  for (let i = 1; i < levels; i++) lines.push(`${indent}h${i}: &a${i} {<<: [*a${i - 1},*a${i - 1},*a${i - 1}]}`);
  return lines.join('\n') + '\n';
}

test('YAML: nested `<<` merges (billion laughs) are bounded and reported at file:line:col', { timeout: 50_000 }, async () => {
  const inventory = 'all:\n  hosts:\n' + mergeBomb(18, '    ');
  assert.ok(inventory.length < 720, `the inventory is ${inventory.length} bytes`);
  // The bound is the merge budget reported below; the worker's deadline only turns a hang (3^17
  // mappings expanded) into a failure, generously, so that a loaded machine does not fail it.
  const result = await loadInWorker('podCidr: 10.244.0.0/16\ninventory: inv.yaml\nnodes: { fromInventoryGroup: all }\n', { 'cfg/inv.yaml': inventory }, 20_000);
  assert.equal(result.ok, false);
  const messages = (result.diagnostics ?? []).map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`);
  // h6 is the first host whose merges expand past the budget: 3 + 9 + … + 3^6 > 1000.
  assert.ok(
    messages.some((m) => m.startsWith('cfg/inv.yaml:9:14: vars of host `h6`: this `<<` merges more than 1000 mappings')),
    messages.join('\n'),
  );
  assert.equal(messages.filter((m) => m.includes('merges more than')).length, 1, 'reported once');

  // A mapping merged into itself is a loop, not a stack overflow.
  const self = parseYamlInventory('all:\n  hosts:\n    h: &a { ansible_port: 22, <<: *a }\n', 'inv.yaml');
  assert.equal(self.ok, false);
  assert.deepEqual(self.ok ? [] : self.diagnostics.map(formatDiagnostic), ['inv.yaml:3:35: vars of host `h`: `<<` *a merges a mapping into itself']);

  // cluster.yaml: the yaml library's alias limit already covers it; it stays quick and located.
  const cluster = await loadInWorker(`podCidr: 10.244.0.0/16\nx-anchors:\n${mergeBomb(18, '  ')}nodes: []\n`, {}, 20_000);
  assert.equal(cluster.ok, false);
  assert.match(cluster.diagnostics?.[0]?.message ?? '', /^YAML: Excessive alias count/);
});
