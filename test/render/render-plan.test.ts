import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredState } from '../../src/state/desired.js';
import { UserError } from '../../src/model/errors.js';
import type { Plan } from '../../src/model/plan.js';
import { buildClusterState, planCluster } from '../../src/plan/node-state.js';
import { renderRecap } from '../../src/render/recap.js';
import { planNode } from '../../src/plan/plan-node.js';
import { summarisePlan } from '../../src/plan/summary.js';
import { parsePlanJson, renderPlanJson, renderPlanText } from '../../src/render/render-plan.js';
import { classicCluster, classicSubnets } from '../support/classic-cluster.js';
import { loadObserved } from '../support/ip-fixtures.js';

const CTX = { podCidr: '10.244.0.0/16', nodeAddress: '192.168.1.11' };

function planOf(fixture: string, mtu?: number): Plan {
  const cluster = classicCluster(mtu !== undefined ? { bridge: { name: 'v-net-0', mtu } } : {});
  const node = planNode(desiredState(cluster, classicSubnets(cluster), 'node1'), loadObserved(fixture), CTX);
  return { formatVersion: 2, cluster: 'cluster.yaml', nodes: [node], summary: summarisePlan([node]) };
}

test('text: header, one line per object with its reason, summary', () => {
  assert.equal(
    renderPlanText(planOf('empty', 1500), { color: false }),
    [
      'node1 (192.168.1.11, pods 10.244.1.0/24)',
      '  ~ sysctl net.ipv4.ip_forward = 1                      (forwarding is off (0), want 1)',
      '  + link v-net-0 (bridge, alias podnet, mtu 1500, up)   (missing)',
      '  + address 10.244.1.1/24 on v-net-0                    (missing)',
      '  + route 10.244.2.0/24 via 192.168.1.12                (missing)',
      '  + route 10.244.3.0/24 via 192.168.1.13                (missing)',
      '',
      'Plan: 4 to add, 1 to change, 0 to destroy.',
      '',
    ].join('\n'),
  );
});

test('text: a node in sync', () => {
  assert.equal(
    renderPlanText(planOf('converged'), { color: false }),
    'node1 (192.168.1.11, pods 10.244.1.0/24)\n  No changes. node1 is in sync.\n\nPlan: 0 to add, 0 to change, 0 to destroy.\n',
  );
});

test('text: conflicts are marked and counted', () => {
  const text = renderPlanText(planOf('foreign-route'), { color: false });
  assert.match(text, /^ {2}! conflict: route 10\.244\.2\.0\/24 via 192\.168\.1\.99 proto static\n {6}a foreign route to node2's pod subnet/m);
  assert.match(text, /No changes planned, but 1 conflict needs attention\./);
  assert.match(text, /Plan: 0 to add, 0 to change, 0 to destroy\. 1 conflict\.\n$/);
});

test('text: refusals are marked at the top of the node and counted', () => {
  const plan = planOf('drifted');
  const node = plan.nodes[0];
  assert.ok(node);
  node.refused = {
    nodeAddress: '192.168.1.11',
    management: { localAddress: '192.168.1.11', peerAddress: '192.168.1.1', dev: 'eth0' },
    offences: [{ kind: 'route', key: '192.168.1.0/24', action: 'delete', takes: { address: '192.168.1.1', what: 'ssh-client' } }],
  };
  plan.summary = summarisePlan(plan.nodes);
  const text = renderPlanText(plan, { color: false });
  assert.match(
    text,
    /^node1 .*\n {2}refused: refusing to touch node1's management path \(SSH from 192\.168\.1\.1 to 192\.168\.1\.11 on eth0\): route 192\.168\.1\.0\/24 \(delete\) would take the path to the SSH client 192\.168\.1\.1\n {2}refused: nothing will be applied to node1\n/,
  );
  assert.match(text, /1 node refused\.\n$/);
});

test('text: deletions and multi-reason updates read naturally', () => {
  const text = renderPlanText(planOf('drifted', 1500), { color: false });
  assert.match(text, /\n {2}- route 10\.244\.9\.0\/24 via 192\.168\.1\.19 +\(stale: no node has subnet 10\.244\.9\.0\/24\)\n/);
  assert.match(text, /\n {2}~ link v-net-0 \(mtu 1500, up\) +\(mtu is 1400, want 1500; link is down\)\n/);
  assert.match(text, /\n {2}~ route 10\.244\.2\.0\/24 via 192\.168\.1\.12 +\(gateway is 192\.168\.1\.99, want 192\.168\.1\.12\)\n/);
  assert.match(text, /Plan: 2 to add, 3 to change, 2 to destroy\.\n$/);
});

test('text: colour only when asked — green +, yellow ~, red -', () => {
  const plain = renderPlanText(planOf('drifted'), { color: false });
  assert.ok(!plain.includes('\u001b['));
  const coloured = renderPlanText(planOf('drifted'), { color: true });
  assert.ok(coloured.includes('\u001b[32m+ address 10.244.1.1/24'));
  assert.ok(coloured.includes('\u001b[33m~ route 10.244.2.0/24'));
  assert.ok(coloured.includes('\u001b[31m- route 10.244.9.0/24'));
  // eslint-disable-next-line no-control-regex
  assert.equal(coloured.replace(/\u001b\[[0-9;]*m/g, ''), plain);
});

test('text: warnings come first', () => {
  const plan = planOf('converged');
  plan.warnings = [{ code: 'subnet', message: 'node node4: observed subnet 10.244.1.0/24 overlaps 10.244.1.0/24 of another node; allocating a new one' }];
  assert.match(renderPlanText(plan, { color: false }), /^warning: node node4: observed subnet/);
});

test('JSON: stable, pretty, versioned; reads back to the same plan', () => {
  const plan = planOf('drifted', 1500);
  const json = renderPlanJson(plan);
  assert.match(json, /^\{\n {2}"formatVersion": 2,\n {2}"cluster": "cluster\.yaml",\n/);
  assert.ok(json.includes('"args": ["route", "del", "10.244.9.0/24", "via", "192.168.1.19", "proto", "201"]'));
  assert.ok(json.includes('"reason": {\n            "code": "stale-route-no-node"\n          }'), 'a reason is a code, not a sentence');
  assert.ok(json.endsWith('}\n'));
  const back = parsePlanJson(json);
  assert.deepEqual(back, JSON.parse(JSON.stringify(plan)) as Plan);
  assert.equal(renderPlanJson(back), json);
  assert.equal(renderPlanText(back, { color: false }), renderPlanText(plan, { color: false }));
});

test('JSON: key order of before/after does not change the output', () => {
  const plan = planOf('drifted');
  const json = renderPlanJson(plan);
  const change = plan.nodes[0]?.changes.find((c) => c.before !== undefined && typeof c.before === 'object');
  assert.ok(change);
  change.before = Object.fromEntries(Object.entries(change.before as object).reverse()) as never;
  assert.equal(renderPlanJson(plan), json);
});

test('JSON: another format version, or a damaged plan, is refused clearly', () => {
  const json = renderPlanJson(planOf('drifted'));
  const future = json.replace('"formatVersion": 2', '"formatVersion": 3');
  assert.throws(() => parsePlanJson(future), (err: unknown) => err instanceof UserError && /plan: formatVersion 3 is not supported \(this podnet reads 2\)/.test(err.message));
  assert.throws(() => parsePlanJson('{"cluster":"x"}'), /plan\.formatVersion: missing/);
  assert.throws(() => parsePlanJson('nope'), /plan: not JSON/);
  assert.throws(() => parsePlanJson('{"formatVersion":2,"cluster":"c","nodes":[]}'), /plan\.summary: missing/);
  const parsed = JSON.parse(json) as { nodes: { changes: Record<string, unknown>[] }[] };
  const first = parsed.nodes[0]?.changes[0];
  assert.ok(first);
  first.action = 'explode';
  assert.throws(() => parsePlanJson(JSON.stringify(parsed)), /plan\.nodes\[0\]\.changes\[0\]\.action: expected one of create, update, delete/);
  first.action = 'update';
  first.kind = 'bridge';
  assert.throws(() => parsePlanJson(JSON.stringify(parsed)), /plan\.nodes\[0\]\.changes\[0\]\.kind: expected one of sysctl, link, address, route, file, chain, rule, pod/);
  first.kind = 'sysctl';
  first.reason = 'missing';
  assert.throws(() => parsePlanJson(JSON.stringify(parsed)), /plan\.nodes\[0\]\.changes\[0\]\.reason: expected an object/);
  first.reason = {};
  assert.throws(() => parsePlanJson(JSON.stringify(parsed)), /plan\.nodes\[0\]\.changes\[0\]\.reason\.code: missing/);
  first.reason = { code: 'differs' };
  assert.doesNotThrow(() => parsePlanJson(JSON.stringify(parsed)));
});

test('JSON: a formatVersion 1 plan (written by an older podnet) is refused: make it again with podnet diff --out', () => {
  const old = JSON.stringify({
    formatVersion: 1,
    cluster: 'cluster.yaml',
    summary: { add: 1, change: 0, destroy: 0, conflicts: 0, refused: 0 },
    nodes: [
      {
        node: 'node1',
        address: '192.168.1.11',
        subnet: '10.244.1.0/24',
        changes: [{ action: 'create', kind: 'route', object: 'route 10.244.2.0/24', reason: 'missing', argv: ['ip', 'route', 'replace', '10.244.2.0/24', 'via', '192.168.1.12', 'proto', '201'] }],
        conflicts: [],
      },
    ],
  });
  assert.throws(
    () => parsePlanJson(old),
    (err: unknown) => err instanceof UserError && /formatVersion 1/.test(err.message) && /older podnet/.test(err.message) && /podnet diff --out/.test(err.message),
  );
});

test('JSON: a malformed step is refused, naming its path (steps are what apply runs)', () => {
  const json = renderPlanJson(planOf('drifted'));
  const damaged = (damage: (steps: Record<string, unknown>[]) => void): string => {
    const parsed = JSON.parse(json) as { nodes: { changes: { kind: string; steps: Record<string, unknown>[] }[] }[] };
    const changes = parsed.nodes[0]!.changes;
    const route = changes.findIndex((c) => c.kind === 'route');
    assert.ok(route > 0);
    damage(changes[route]!.steps);
    return JSON.stringify(parsed);
  };
  const routeIndex = (JSON.parse(json) as { nodes: { changes: { kind: string }[] }[] }).nodes[0]!.changes.findIndex((c) => c.kind === 'route');
  const at = `plan\\.nodes\\[0\\]\\.changes\\[${routeIndex}\\]\\.steps\\[0\\]`;
  const cases: [string, (steps: Record<string, unknown>[]) => void, RegExp][] = [
    ['unknown run', (steps) => (steps[0]!.run = 'bash'), new RegExp(`${at}\\.run: expected one of ip, command, install-file, script`)],
    ['missing run', (steps) => delete steps[0]!.run, new RegExp(`${at}\\.run: missing`)],
    ['args not strings', (steps) => (steps[0]!.args = ['route', 'del', 7]), new RegExp(`${at}\\.args: expected a non-empty array of strings`)],
    ['args empty', (steps) => (steps[0]!.args = []), new RegExp(`${at}\\.args: expected a non-empty array of strings`)],
    ['args not an array', (steps) => (steps[0]!.args = 'route del 10.244.9.0/24'), new RegExp(`${at}\\.args: expected a non-empty array of strings`)],
    ['ip step with argv instead of args', (steps) => {
      steps[0]!.argv = steps[0]!.args;
      delete steps[0]!.args;
    }, new RegExp(`${at}\\.args: missing`)],
    ['command step without argv', (steps) => (steps[0]!.run = 'command'), new RegExp(`${at}\\.argv: missing`)],
    ['install-file without content', (steps) => {
      steps[0] = { run: 'install-file', path: '/opt/cni/bin/podnet', mode: '755' };
    }, new RegExp(`${at}\\.content: missing`)],
    ['script not a string', (steps) => {
      steps[0] = { run: 'script', script: ['rm', '-rf', '/'] };
    }, new RegExp(`${at}\\.script: expected a string`)],
    ['a step that is not an object', (steps) => {
      steps.length = 0;
      steps.push('ip route del 10.244.9.0/24' as unknown as Record<string, unknown>);
    }, new RegExp(`${at}: expected an object`)],
  ];
  for (const [what, damage, expected] of cases) {
    assert.throws(() => parsePlanJson(damaged(damage)), (err: unknown) => err instanceof UserError && expected.test(err.message), what);
  }
});

test('planCluster: plans only observed nodes, in cluster order, with summary counts; routes via the node not reached wait', () => {
  const cluster = classicCluster();
  const observed = new Map([
    ['node3', loadObserved('converged-node3', 'node3')],
    ['node1', loadObserved('drifted', 'node1')],
  ]);
  const plan = planCluster(cluster, observed);
  assert.equal(plan.formatVersion, 2);
  assert.equal(plan.cluster, 'cluster.yaml');
  assert.deepEqual(
    plan.nodes.map((n) => [n.node, n.address, n.subnet, n.changes.length]),
    [
      ['node1', '192.168.1.11', '10.244.1.0/24', 5],
      ['node3', '192.168.1.13', '10.244.3.0/24', 0],
    ],
  );
  // node2 was not gathered: node1's route to it (via .99 now) is left alone, not changed, and the
  // stale route via .19 (no host of the file) is a removed node's trace, left until --prune-removed.
  assert.deepEqual(plan.summary, { add: 2, change: 2, destroy: 1, conflicts: 0, refused: 0, waiting: 1 });
  assert.deepEqual(plan.nodes[0]?.waiting?.map((w) => [w.key, w.peer, w.why, w.want?.gateway, w.found?.gateway]), [['10.244.2.0/24', 'node2', 'not-reached', '192.168.1.12', '192.168.1.99']]);
  assert.deepEqual(plan.warnings?.map((w) => w.code), ['node-removed']);
});

test('planCluster: a node that cannot get a subnet stops the plan with a UserError', () => {
  const base = classicCluster();
  const cluster = classicCluster({
    podCidr: '10.244.0.0/23',
    nodes: base.nodes.map((n) => ({ ...n, subnet: undefined })),
  });
  assert.throws(
    () => planCluster(cluster, new Map([['node1', loadObserved('empty')]])),
    (err: unknown) => err instanceof UserError && /cluster\.yaml: cannot plan:\n {2}node node2: no free \/24/.test(err.message),
  );
});

test('waiting routes: a line of their own with the host waited for, the summary counts them, JSON reads back', () => {
  const cluster = classicCluster({ nodes: classicCluster().nodes.map((n) => (n.name === 'node2' ? { ...n, address: '192.168.1.99' } : n)) });
  const observed = new Map([['node1', loadObserved('converged', 'node1')]]);
  const plan = planCluster(cluster, observed);
  const text = renderPlanText(plan, { color: false });
  assert.match(text, /^ {2}… route 10\.244\.2\.0\/24 via 192\.168\.1\.99 {3}\(waiting for node2: not reached in this run; the route via 192\.168\.1\.12 stays\)$/m);
  assert.match(text, /^ {2}No changes planned; 1 route waits for hosts not reached\.$/m);
  assert.doesNotMatch(text, /in sync/);
  assert.match(text, /^Plan: 0 to add, 0 to change, 0 to destroy\. 1 route waiting for hosts not reached\.$/m);
  const json = renderPlanJson(plan);
  assert.match(json, /"waiting": 1/);
  assert.deepEqual(parsePlanJson(json).nodes[0]?.waiting, plan.nodes[0]?.waiting);
  assert.equal(renderPlanJson(parsePlanJson(json)), json);
  const damaged = JSON.parse(json) as { nodes: { waiting: { why: string }[] }[] };
  damaged.nodes[0]!.waiting[0]!.why = 'bored';
  assert.throws(() => parsePlanJson(JSON.stringify(damaged)), /plan\.nodes\[0\]\.waiting\[0\]\.why: expected one of not-reached, address-not-held/);
});

test('a removed node: its own section, and the warning names the command that cleans it', () => {
  const base = classicCluster();
  const cluster = { ...base, nodes: base.nodes.filter((n) => n.name !== 'node3') };
  const observed = new Map([['node1', loadObserved('converged', 'node1')]]);
  const warned = renderPlanText(planCluster(cluster, observed), { color: false });
  assert.match(warned, /^warning: a node at 192\.168\.1\.13 \(pods 10\.244\.3\.0\/24\) left cluster\.yaml, but node1 still routes to it .*`podnet apply --prune-removed cluster\.yaml` removes both/m);
  const node3 = { ...loadObserved('converged-node3', '192.168.1.13') };
  const observed2 = new Map([['node1', loadObserved('converged', 'node1')], ['node2', loadObserved('converged-node2', 'node2')]]);
  const pruned = buildClusterState(cluster, observed2, 'present', { pruneRemoved: { hosts: new Map([['192.168.1.13', { observed: node3 }]]) } }).plan;
  const text = renderPlanText(pruned, { color: false });
  assert.match(text, /^removed node 192\.168\.1\.13 \(left cluster\.yaml, pods 10\.244\.3\.0\/24\)$/m);
  assert.match(text, /^ {2}- route 10\.244\.3\.0\/24 via 192\.168\.1\.13 +\(stale: 192\.168\.1\.13 left cluster\.yaml \(--prune-removed\)\)$/m);
  assert.equal(parsePlanJson(renderPlanJson(pruned)).nodes.find((n) => n.node === '192.168.1.13')?.role, 'removed');
});

test('recap: a converged node with waiting routes lists them', () => {
  const recap = renderRecap(
    [{ node: 'node1', status: 'converged', changed: 1, ok: 6, waiting: [{ kind: 'route', key: '10.244.2.0/24', peer: 'node2', why: 'not-reached', want: { dst: '10.244.2.0/24', gateway: '192.168.1.99', protocol: '201' } }] }],
    { color: false },
  );
  assert.match(recap, /^ {8}waiting: route 10\.244\.2\.0\/24 via 192\.168\.1\.99 \(waiting for node2: not reached in this run; not set yet\)$/m);
});
