// The rollback planner: for every kind of change, running the apply's steps and then the
// rollback's on a pure model of a node gives back the state before the apply, exactly.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Change, Step } from '../../src/model/plan.js';
import { planRollback } from '../../src/plan/rollback.js';
import { planFirewall } from '../../src/plan/firewall.js';
import { planNode } from '../../src/plan/plan-node.js';
import { desiredState } from '../../src/state/desired.js';
import { classicCluster, classicSubnets } from '../support/classic-cluster.js';
import { loadObserved } from '../support/ip-fixtures.js';
import type { DesiredFirewall, IptablesRule } from '../../src/model/types.js';
import { splitIptablesWords } from '../../src/state/iptables-save.js';
import { argvOf } from '../support/plan-helpers.js';

/** A node as the steps see it: enough of ip, iptables, sysctl and the file system. */
interface Model {
  routes: Map<string, string>;
  addresses: Set<string>;
  links: Map<string, { alias?: string; mtu?: number; up: boolean }>;
  chains: Set<string>;
  rules: Map<string, string[]>;
  files: Map<string, string>;
  sysctl: Map<string, string>;
}

function clone(m: Model): Model {
  return {
    routes: new Map(m.routes),
    addresses: new Set(m.addresses),
    links: new Map([...m.links].map(([k, v]) => [k, { ...v }])),
    chains: new Set(m.chains),
    rules: new Map([...m.rules].map(([k, v]) => [k, [...v]])),
    files: new Map(m.files),
    sysctl: new Map(m.sysctl),
  };
}

/** `ruleOrder` false: a rule re-added with -A comes back at the end of its chain (its set is exact). */
function view(m: Model, ruleOrder = true): unknown {
  const sorted = <T>(xs: Iterable<T>): T[] => [...xs].sort();
  return {
    routes: sorted(m.routes.entries()),
    addresses: sorted(m.addresses),
    links: sorted([...m.links].map(([k, v]) => JSON.stringify([k, v.alias, v.mtu, v.up]))),
    chains: sorted(m.chains),
    rules: sorted([...m.rules].filter(([, v]) => v.length > 0).map(([k, v]) => [k, ruleOrder ? v : [...v].sort()])),
    files: sorted([...m.files].filter(([k]) => !k.startsWith('/run/'))),
    sysctl: sorted(m.sysctl),
  };
}

function run(m: Model, step: Step): void {
  const argv = argvOf(step);
  const fail = (why: string): never => assert.fail(`${argv.join(' ')}: ${why}`);
  if (step.run === 'install-file') {
    m.files.set(step.path, step.content);
    return;
  }
  const [cmd, ...a] = argv;
  if (cmd === 'ip') {
    const [obj, verb, ...rest] = a;
    if (obj === 'route') {
      const dst = rest[0]!;
      const metric = rest.includes('metric') ? rest[rest.indexOf('metric') + 1] : '0';
      const key = `${dst} metric ${metric}`;
      const spec = rest.filter((_, i) => !(rest[i - 1] === 'proto' || rest[i] === 'proto')).join(' ');
      if (verb === 'replace') m.routes.set(key, spec);
      else if (verb === 'del') {
        if (!m.routes.delete(key)) fail('no such route');
      } else fail('verb');
    } else if (obj === 'address') {
      const key = `${rest[0]} ${rest[2]}`;
      if (verb === 'add') {
        if (m.addresses.has(key)) fail('exists');
        m.addresses.add(key);
      } else if (!m.addresses.delete(key)) fail('no such address');
    } else if (obj === 'link') {
      if (verb === 'add') m.links.set(rest[0]!, { up: false });
      else if (verb === 'del') {
        if (!m.links.delete(rest[1]!)) fail('no such link');
        for (const x of [...m.addresses]) if (x.endsWith(` ${rest[1]}`)) m.addresses.delete(x);
      } else {
        const link = m.links.get(rest[1]!) ?? fail('no such link');
        const [what, value] = rest.slice(2);
        if (what === 'up') link.up = true;
        else if (what === 'down') link.up = false;
        else if (what === 'mtu') link.mtu = Number(value);
        else if (what === 'alias') link.alias = value!;
      }
    }
    return;
  }
  if (cmd === 'iptables') {
    const [, , table, op, chain, ...rest] = a;
    const key = `${table} ${chain}`;
    const rules = m.rules.get(key) ?? [];
    m.rules.set(key, rules);
    if (op === '-N') m.chains.add(key);
    else if (op === '-X') {
      if (rules.length > 0) fail('chain not empty');
      m.chains.delete(key);
    } else if (op === '-A') rules.push(rest.join(' '));
    else if (op === '-I') rules.splice(Number(rest[0]) - 1, 0, rest.slice(1).join(' '));
    else if (op === '-D') {
      const i = rules.indexOf(rest.join(' '));
      if (i < 0) fail('no such rule');
      rules.splice(i, 1);
    }
    return;
  }
  if (cmd === 'sysctl') {
    const [key, value] = a[1]!.split('=');
    m.sysctl.set(key!, value!);
  } else if (cmd === 'cp') {
    m.files.set(a[2]!, m.files.get(a[1]!) ?? fail('no such file'));
  } else if (cmd === 'rm') m.files.delete(a[1]!);
  else if (cmd === 'mkdir') return;
  else fail('unknown command');
}

const runAll = (m: Model, steps: readonly Step[]): void => steps.forEach((s) => run(m, s));
const stepsOf = (changes: readonly Change[]): Step[] => changes.flatMap((c) => c.steps);

function before(): Model {
  return {
    routes: new Map([
      ['10.244.2.0/24 metric 0', '10.244.2.0/24 via 192.168.1.2'],
      ['10.244.9.0/24 metric 0', '10.244.9.0/24 via 192.168.1.9'],
      ['default metric 0', 'default via 192.168.1.254'],
    ]),
    addresses: new Set(['10.244.7.1/24 v-net-0', '192.168.1.1/24 eth0']),
    links: new Map([
      ['v-net-0', { alias: 'podnet', mtu: 1500, up: false }],
      ['v-old', { alias: 'podnet', up: true }],
      ['eth0', { up: true }],
    ]),
    chains: new Set(['filter PODNET-OLD']),
    rules: new Map([
      ['filter PODNET-OLD', ['-s 10.244.0.0/16 -j ACCEPT', '-d 10.244.0.0/16 -j ACCEPT']],
      ['filter FORWARD', ['-j DROP-SOMETHING', '-m comment --comment podnet -j PODNET-FORWARD']],
    ]),
    files: new Map([['/opt/cni/bin/podnet', 'old plugin']]),
    sysctl: new Map([['net.ipv4.ip_forward', '0']]),
  };
}

const ipt = (...words: string[]): Step => ({ run: 'command', argv: ['iptables', '-w', '-t', 'filter', ...words] });
const reason = { code: 'missing' } as const;
const comment = '-m comment --comment podnet -j PODNET-FORWARD';

/** One change of each kind and action, with the steps the planner gives them. */
const applyChanges: Change[] = [
  { kind: 'sysctl', key: 'net.ipv4.ip_forward', action: 'update', before: { key: 'net.ipv4.ip_forward', value: 0 }, after: { key: 'net.ipv4.ip_forward', value: 1 }, reason, steps: [{ run: 'command', argv: ['sysctl', '-w', 'net.ipv4.ip_forward=1'] }] },
  { kind: 'rule', key: 'r', action: 'delete', before: { table: 'filter', chain: 'PODNET-OLD', rule: '-s 10.244.0.0/16 -j ACCEPT' }, reason, steps: [ipt('-D', 'PODNET-OLD', '-s', '10.244.0.0/16', '-j', 'ACCEPT')] },
  { kind: 'rule', key: 'r2', action: 'delete', before: { table: 'filter', chain: 'PODNET-OLD', rule: '-d 10.244.0.0/16 -j ACCEPT' }, reason, steps: [ipt('-D', 'PODNET-OLD', '-d', '10.244.0.0/16', '-j', 'ACCEPT')] },
  { kind: 'chain', key: 'filter PODNET-OLD', action: 'delete', before: { table: 'filter', chain: 'PODNET-OLD' }, reason, steps: [ipt('-X', 'PODNET-OLD')] },
  { kind: 'route', key: '10.244.9.0/24', action: 'delete', before: { dst: '10.244.9.0/24', gateway: '192.168.1.9', protocol: '201' }, reason, steps: [{ run: 'ip', args: ['route', 'del', '10.244.9.0/24', 'via', '192.168.1.9', 'proto', '201'] }] },
  { kind: 'address', key: 'a', action: 'delete', before: { address: '10.244.7.1/24', dev: 'v-net-0' }, reason, steps: [{ run: 'ip', args: ['address', 'del', '10.244.7.1/24', 'dev', 'v-net-0'] }] },
  { kind: 'link', key: 'v-old', action: 'delete', before: { name: 'v-old', kind: 'bridge', alias: 'podnet' }, reason, steps: [{ run: 'ip', args: ['link', 'del', 'dev', 'v-old'] }] },
  { kind: 'link', key: 'v-net-0', action: 'update', before: { name: 'v-net-0', mtu: 1500, up: false }, after: { name: 'v-net-0', mtu: 1450, up: true }, reason, steps: [{ run: 'ip', args: ['link', 'set', 'dev', 'v-net-0', 'mtu', '1450'] }, { run: 'ip', args: ['link', 'set', 'dev', 'v-net-0', 'up'] }] },
  { kind: 'link', key: 'v-new', action: 'create', after: { name: 'v-new', kind: 'bridge', alias: 'podnet', up: true }, reason, steps: [{ run: 'ip', args: ['link', 'add', 'v-new', 'type', 'bridge'] }, { run: 'ip', args: ['link', 'set', 'dev', 'v-new', 'alias', 'podnet'] }, { run: 'ip', args: ['link', 'set', 'dev', 'v-new', 'up'] }] },
  { kind: 'address', key: 'b', action: 'create', after: { address: '10.244.1.1/24', dev: 'v-new' }, reason, steps: [{ run: 'ip', args: ['address', 'add', '10.244.1.1/24', 'dev', 'v-new'] }] },
  { kind: 'route', key: '10.244.2.0/24', action: 'update', before: { dst: '10.244.2.0/24', gateway: '192.168.1.2', protocol: '201' }, after: { dst: '10.244.2.0/24', gateway: '192.168.1.3', protocol: '201' }, reason, steps: [{ run: 'ip', args: ['route', 'replace', '10.244.2.0/24', 'via', '192.168.1.3', 'proto', '201'] }] },
  { kind: 'route', key: '10.244.3.0/24', action: 'create', after: { dst: '10.244.3.0/24', gateway: '192.168.1.3', protocol: '201' }, reason, steps: [{ run: 'ip', args: ['route', 'replace', '10.244.3.0/24', 'via', '192.168.1.3', 'proto', '201'] }] },
  { kind: 'file', key: '/opt/cni/bin/podnet', action: 'update', before: { path: '/opt/cni/bin/podnet', sha256: 'x' }, after: { path: '/opt/cni/bin/podnet', sha256: 'y' }, reason, steps: [{ run: 'install-file', path: '/opt/cni/bin/podnet', mode: '0755', content: 'new plugin' }] },
  { kind: 'file', key: '/etc/cni/net.d/10-podnet.conflist', action: 'create', after: { path: '/etc/cni/net.d/10-podnet.conflist' }, reason, steps: [{ run: 'install-file', path: '/etc/cni/net.d/10-podnet.conflist', mode: '0644', content: '{}' }] },
  { kind: 'chain', key: 'filter PODNET-FORWARD', action: 'create', after: { table: 'filter', chain: 'PODNET-NEW' }, reason, steps: [ipt('-N', 'PODNET-NEW')] },
  { kind: 'rule', key: 'r3', action: 'create', after: { table: 'filter', chain: 'PODNET-NEW', rule: '-o v-new -j ACCEPT' }, reason, steps: [ipt('-A', 'PODNET-NEW', '-o', 'v-new', '-j', 'ACCEPT')] },
  { kind: 'rule', key: 'r4', action: 'update', before: { table: 'filter', chain: 'FORWARD', rule: comment, position: 2 }, after: { table: 'filter', chain: 'FORWARD', rule: comment, position: 1 }, reason, steps: [ipt('-D', 'FORWARD', ...splitIptablesWords(comment)), ipt('-I', 'FORWARD', '1', ...splitIptablesWords(comment))] },
];

const DIR = '/run/podnet/rollback/a1';

describe('planRollback', () => {
  it('apply then rollback gives back the state before, for every kind and action', () => {
    const node = before();
    const rollback = planRollback(applyChanges, DIR);
    runAll(node, rollback.save);
    runAll(node, stepsOf(applyChanges));
    assert.notDeepEqual(view(node), view(before()));
    runAll(node, stepsOf(rollback.changes));
    assert.deepEqual(view(node), view(before()));
    assert.deepEqual(rollback.notUndone, []);
  });

  it('each change alone rolls back', () => {
    for (const change of applyChanges) {
      // The prerequisites (earlier changes) are applied first; then this one is applied and undone.
      const node = before();
      const upTo = applyChanges.slice(0, applyChanges.indexOf(change));
      runAll(node, stepsOf(upTo));
      const ruleOrder = !(change.kind === 'rule' && change.action === 'delete' && change.before?.position === undefined);
      const expected = view(clone(node), ruleOrder);
      const rollback = planRollback([change], DIR);
      runAll(node, rollback.save);
      runAll(node, change.steps);
      runAll(node, stepsOf(rollback.changes));
      assert.deepEqual(view(node, ruleOrder), expected, `${change.kind} ${change.action} ${change.key}`);
    }
  });

  it('swaps before and after, inverts the action, and gives the reason rollback', () => {
    const { changes } = planRollback(applyChanges, DIR);
    const route = changes.find((c) => c.kind === 'route' && c.key === '10.244.3.0/24');
    assert.equal(route?.action, 'delete');
    assert.deepEqual(route?.before, { dst: '10.244.3.0/24', gateway: '192.168.1.3', protocol: '201' });
    assert.equal(route?.after, undefined);
    assert.deepEqual(route?.reason, { code: 'rollback' });
    assert.deepEqual(route?.steps, [{ run: 'ip', args: ['route', 'del', '10.244.3.0/24', 'via', '192.168.1.3', 'proto', '201'] }]);
  });

  it('saves the files it replaces into the rollback directory, and copies them back', () => {
    const { save, changes } = planRollback(applyChanges, DIR);
    assert.deepEqual(save.map(argvOf), [
      ['mkdir', '-p', `${DIR}/files`],
      ['cp', '-p', '/opt/cni/bin/podnet', `${DIR}/files/0`],
    ]);
    const file = changes.find((c) => c.key === '/opt/cni/bin/podnet');
    assert.deepEqual(file?.steps.map(argvOf), [['cp', '-p', `${DIR}/files/0`, '/opt/cni/bin/podnet']]);
  });

  it('an empty plan needs no rollback', () => {
    assert.deepEqual(planRollback([], DIR), { save: [], changes: [], notUndone: [] });
  });

  it('reports a pod removal as not undone', () => {
    const pod: Change = { kind: 'pod', key: 'p', action: 'delete', before: { pod: 'p', addresses: [] }, reason: { code: 'destroy' }, steps: [] };
    assert.deepEqual(planRollback([pod], DIR).notUndone, [pod]);
  });

  it("podnet's deleted rules come back where they stood: the chain's order, not only its set", () => {
    const chain = 'PODNET-FORWARD';
    const rule = (args: string): IptablesRule => ({ table: 'filter', chain, args: args.split(' ') });
    const observedRules = [rule('-s 10.9.0.0/16 -j ACCEPT'), rule('-s 10.244.0.0/16 -j ACCEPT'), rule('-d 10.9.0.0/16 -j ACCEPT'), rule('-d 10.244.0.0/16 -j ACCEPT')];
    const desired: DesiredFirewall = {
      chains: [{ table: 'filter', name: chain }],
      rules: [observedRules[1]!, observedRules[3]!].map((r) => ({ ...r, table: 'filter' as const, purpose: 'forward-from-pods' as const })),
    };
    const plan = planFirewall(desired, { chains: [{ table: 'filter', name: chain, policy: null }], rules: observedRules });
    assert.deepEqual(
      plan.deletes.map((c) => (c.kind === 'rule' ? c.before?.position : undefined)),
      [1, 2],
      'each delete records where the rule stands when its step runs',
    );
    const node: Model = { routes: new Map(), addresses: new Set(), links: new Map(), chains: new Set([`filter ${chain}`]), rules: new Map([[`filter ${chain}`, observedRules.map((r) => r.args.join(' '))]]), files: new Map(), sysctl: new Map() };
    const start = clone(node);
    for (const step of plan.deletes.flatMap((c) => c.steps)) run(node, step);
    assert.deepEqual(node.rules.get(`filter ${chain}`), ['-s 10.244.0.0/16 -j ACCEPT', '-d 10.244.0.0/16 -j ACCEPT']);
    const rollback = planRollback(plan.deletes, '/run/podnet/apply/rollback/t');
    for (const step of rollback.changes.flatMap((c) => c.steps)) run(node, step);
    assert.deepEqual(node.rules.get(`filter ${chain}`), start.rules.get(`filter ${chain}`));
  });

  it("a stale bridge the planner deletes comes back with its addresses", () => {
    const cluster = classicCluster();
    const observed = loadObserved('stale-bridge');
    const plan = planNode(desiredState(cluster, classicSubnets(cluster), 'node1'), observed, { podCidr: cluster.podCidr, nodeAddress: '192.168.1.11' });
    const stale = plan.changes.find((c) => c.kind === 'link' && c.action === 'delete');
    assert.ok(stale !== undefined && stale.kind === 'link', 'the fixture has a stale podnet bridge');
    const carried = observed.addresses.filter((a) => a.dev === stale.key && !a.local.startsWith('fe80')).map((a) => `${a.local}/${a.prefixlen}`);
    assert.ok(carried.length > 0);
    assert.deepEqual(stale.before?.addresses, carried);
    const back = planRollback([stale], '/run/podnet/apply/rollback/t').changes.flatMap((c) => c.steps.map(argvOf));
    for (const address of carried) assert.ok(back.some((argv) => argv.join(' ') === `ip address add ${address} dev ${stale.key}`), JSON.stringify(back));
  });
});
