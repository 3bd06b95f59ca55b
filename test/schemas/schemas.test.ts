// The published JSON Schemas (schemas/*.schema.json) against REAL output: the golden plans, the
// JSON the commands write through their real code (a fake transport for SSH), and the renderers'
// documents. And against the TypeScript types: each closed object of a schema lists exactly the keys
// of its type (the Record<keyof T, true> tables below stop compiling when a type gains or loses a
// key), and each set of codes is exactly its union.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runPlanCommand, type PlanCommandOptions } from '../../src/cli/plan-command.js';
import { runDestroy } from '../../src/cli/destroy-command.js';
import { readCluster } from '../../src/cli/read-cluster.js';
import { renderLabStatusJson } from '../../src/cli/lab-command.js';
import { validateAction, type ValidateFileReport, type ValidateProblem } from '../../src/cli/validate-command.js';
import { SshError } from '../../src/run/ssh/errors.js';
import { renderVerifyJson } from '../../src/render/verify-render.js';
import { canonicalPlan } from '../../src/render/render-plan.js';
import type {
  AddressValue,
  ChainValue,
  Change,
  ChangeKind,
  ConflictCode,
  FileValue,
  LinkValue,
  NodePlan,
  Offence,
  Plan,
  PlanSummary,
  PodDisruption,
  PodValue,
  ReasonCode,
  Refusal,
  RouteValue,
  RuleValue,
  SysctlValue,
  Waiting,
  Warning,
  WaitingWhy,
  FileRole,
  RulePurpose,
} from '../../src/model/plan.js';
import type { CheckCoverage, CheckId, VerifyCell, VerifyCheck, VerifyReport, VerifySummary } from '../../src/model/verify.js';
import type { ConfirmResult, FailedStep, NodeResult, NodeStatus } from '../../src/render/recap.js';
import type { LabNodeStatus, LabStatus } from '../../src/lab/lab-types.js';
import type { PodEntry } from '../../src/scripts/pod-script.js';
import type { PodDeleted } from '../../src/run/pods.js';
import type { RolloutReport } from '../../src/plan/rollout.js';
import type { HostRole, ManagementPath, NetworkManagerName } from '../../src/model/types.js';
import { FakeTransport, ok } from '../support/fake-transport.js';
import { convergedNodeStdout, emptyNodeStdout } from '../support/gather-output.js';
import { captureBoth } from '../support/capture.js';
import { PLAN_CASES, VERIFY_CASES } from '../support/report-fixtures.js';
import { assertValid, isValid, OUTPUT_SCHEMAS, readSchema, type Schema } from '../support/schemas.js';

const FILE = 'examples/seed-3-nodes/cluster.yaml';
const json: PlanCommandOptions = { forks: 10, output: 'json', verbose: false, acceptNewHosts: false, confirm: false };
const refused = (n: number): SshError => new SshError('refused', `node${n}`, `node${n}: connection refused`);

describe('the schemas', () => {
  test('every output schema is draft 2020-12 with an $id under podnet.dev, a title and its format version', () => {
    assert.ok(OUTPUT_SCHEMAS.length >= 9, OUTPUT_SCHEMAS.join(', '));
    for (const file of OUTPUT_SCHEMAS) {
      const schema = readSchema(file);
      assert.equal(schema['$schema'], 'https://json-schema.org/draft/2020-12/schema', file);
      assert.equal(schema.$id, `https://podnet.dev/schemas/${file}`);
      assert.match(String(schema['title']), /^podnet /, file);
      const properties = schema['properties'] as Record<string, { const?: unknown }>;
      // pod add prints the plugin's CNI result: its version is the CNI specification's cniVersion.
      const version = file === 'pod-add.schema.json' ? 'cniVersion' : 'formatVersion';
      assert.ok(properties[version] !== undefined, `${file} has ${version}`);
      if (version === 'formatVersion') {
        assert.equal(typeof properties[version]?.const, 'number', `${file}: formatVersion is a const`);
        assert.ok((schema['required'] as string[]).includes('formatVersion'), file);
      }
    }
    assert.equal((readSchema('plan.schema.json')['properties'] as Record<string, { const: number }>)['formatVersion']?.const, 2);
  });
});

describe('real output matches its schema', () => {
  test('every golden plan (test/golden/*/plan.json, as diff --out writes it)', () => {
    const root = join(process.cwd(), 'test', 'golden');
    const cases = readdirSync(root).filter((d) => existsSync(join(root, d, 'plan.json')));
    assert.ok(cases.length >= 10);
    for (const name of cases) assertValid('plan.schema.json', JSON.parse(readFileSync(join(root, name, 'plan.json'), 'utf8')), `test/golden/${name}/plan.json`);
  });

  test('plans carrying the drift fields (origin, summary.drift, lastApply)', () => {
    for (const [name, input] of Object.entries(PLAN_CASES)) {
      const plan = JSON.parse(JSON.stringify(input().plan)) as Plan;
      assertValid('plan.schema.json', plan, name);
    }
    const drift = JSON.parse(JSON.stringify(PLAN_CASES['diff-drift.md']!().plan)) as Plan;
    assert.ok(drift.nodes[0]!.changes.some((c) => c.origin === 'drift') && drift.summary.drift === 2 && drift.nodes[0]!.lastApply !== undefined);
  });

  test('diff, apply --check and destroy --check -o json (plan-report), apply -o json (run-report): as the commands write them', async () => {
    const oneDown = (): FakeTransport => new FakeTransport({ node1: { replies: [ok(emptyNodeStdout(1))] }, node2: { connectError: refused(2) }, node3: { replies: [ok(emptyNodeStdout(3))] } });
    const diff = await captureBoth(() => runPlanCommand(FILE, json, 'diff', oneDown()));
    assertValid('plan-report.schema.json', JSON.parse(diff.stdout), 'diff -o json');
    const check = await captureBoth(() => runPlanCommand(FILE, { ...json, check: true }, 'apply', oneDown()));
    assertValid('plan-report.schema.json', JSON.parse(check.stdout), 'apply --check -o json');
    const destroy = await captureBoth(() => runDestroy(FILE, { ...json, check: true }, oneDown()));
    assertValid('plan-report.schema.json', JSON.parse(destroy.stdout), 'destroy --check -o json');

    const cluster = readCluster(FILE);
    const fake = new FakeTransport();
    for (const n of [1, 2]) fake.on(`node${n}`, { replies: [ok(emptyNodeStdout(n)), ok(convergedNodeStdout(cluster, n))] });
    fake.on('node3', { replies: [ok(emptyNodeStdout(3)), { throws: new RangeError('Invalid array length') }] });
    const applied = await captureBoth(() => runPlanCommand(FILE, json, 'apply', fake));
    const report = JSON.parse(applied.stdout) as { results: NodeResult[] };
    assert.deepEqual(report.results.map((r) => r.status), ['converged', 'converged', 'error']);
    assertValid('run-report.schema.json', report, 'apply -o json');
    const down = new FakeTransport({ node1: { connectError: refused(1) }, node2: { connectError: refused(2) }, node3: { connectError: refused(3) } });
    assertValid('run-report.schema.json', JSON.parse((await captureBoth(() => runPlanCommand(FILE, json, 'apply', down))).stdout), 'apply -o json, every node unreachable');
  });

  test('apply -o json with a failed step, unmet changes and a confirm outcome (the run report of the Markdown goldens)', () => {
    for (const name of ['apply-failed.md', 'apply-success.md']) {
      const input = PLAN_CASES[name]!();
      assertValid('run-report.schema.json', JSON.parse(JSON.stringify({ formatVersion: 1, plan: canonicalPlan(input.plan!), results: input.results, execs: { node1: 2 } })), name);
    }
    const confirmed: NodeResult = { node: 'node1', status: 'converged', changed: 1, ok: 2, confirm: { applyId: 'a1b2', outcome: 'rolls-back', why: 'no answer', at: '2026-12-03T21:00:00Z' } };
    assertValid('run-report.schema.json', { formatVersion: 1, results: [confirmed], interrupted: true, execs: {} });
  });

  test('verify -o json', () => {
    for (const [name, report] of Object.entries(VERIFY_CASES)) assertValid('verify-report.schema.json', JSON.parse(renderVerifyJson({ ...report(), ...{ execs: { node1: 4 } } } as VerifyReport)), name);
  });

  test('validate -o json: valid files and a file full of errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podnet-schema-'));
    try {
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, 'podCidr: 10.244.0.0/16\nnodes:\n  - name: node1\n    address: nope\n    extra: 1\n');
      const files = ['examples/seed-3-nodes/cluster.yaml', ...readdirSync('examples/lab').filter((f) => f.endsWith('.yaml')).map((f) => `examples/lab/${f}`), bad, join(dir, 'missing.yaml')];
      const out = await captureBoth(() => {
        validateAction(files, { output: 'json', localFiles: false });
        return Promise.resolve(0);
      });
      process.exitCode = 0;
      const doc = JSON.parse(out.stdout) as { valid: boolean; files: ValidateFileReport[] };
      assert.equal(doc.valid, false);
      assert.ok(doc.files.some((f) => f.valid) && doc.files.filter((f) => !f.valid).length === 2);
      assertValid('validate-report.schema.json', doc, 'validate -o json');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('lab status -o json', () => {
    const node = (n: number, up: boolean): LabNodeStatus => ({ name: `node${n}`, address: `192.168.1.${10 + n}`, netns: `podnet-x-node${n}`, pid: up ? 4000 + n : 0, up, netnsExists: up });
    const labs: LabStatus[] = [
      { name: 'x', stateDir: '/run/podnet-lab/x', hasState: true, created: '2026-12-03T21:00:00.000Z', switchNetnsExists: true, nodes: [node(1, true), node(2, false)], router: { ...node(254, true), name: 'router' } },
      { name: 'y', stateDir: '/run/podnet-lab/y', hasState: false, switchNetnsExists: false, nodes: [] },
    ];
    assertValid('lab-status.schema.json', JSON.parse(renderLabStatusJson(labs)));
    assertValid('lab-status.schema.json', JSON.parse(renderLabStatusJson([])));
  });

  test('what does not match is refused: an unknown key, a wrong version, a missing field, an unknown code', () => {
    const plan = JSON.parse(readFileSync('test/golden/drifted/plan.json', 'utf8')) as Record<string, unknown> & { nodes: Record<string, unknown>[] };
    assert.ok(isValid('plan.schema.json', plan));
    assert.ok(!isValid('plan.schema.json', { ...plan, formatVersion: 1 }));
    assert.ok(!isValid('plan.schema.json', { ...plan, nodes: [{ ...plan.nodes[0], colour: 'red' }] }));
    const { address: _dropped, ...noAddress } = plan.nodes[0]!;
    assert.ok(!isValid('plan.schema.json', { ...plan, nodes: [noAddress] }));
    const changes = plan.nodes[0]!['changes'] as Record<string, unknown>[];
    assert.ok(!isValid('plan.schema.json', { ...plan, nodes: [{ ...plan.nodes[0], changes: [{ ...changes[0], reason: { code: 'because' } }] }] }));
    assert.ok(!isValid('plan.schema.json', { ...plan, nodes: [{ ...plan.nodes[0], changes: [{ ...changes[0], origin: 'someone' }] }] }));
    // A route change whose after is not a route.
    const route = changes.find((c) => c['kind'] === 'route')!;
    assert.ok(!isValid('plan.schema.json', { ...plan, nodes: [{ ...plan.nodes[0], changes: [{ ...route, after: { path: '/etc/x' } }] }] }));
    assert.ok(!isValid('verify-report.schema.json', { ...JSON.parse(renderVerifyJson(VERIFY_CASES['verify-pass']!())), surprise: true }));
  });
});

// ───────────────────────────── schema ↔ type ─────────────────────────────

type Keys<T> = Record<keyof T, true>;

function at(schema: Schema, path: readonly string[]): Record<string, unknown> {
  let node: unknown = schema;
  for (const p of path) node = (node as Record<string, unknown>)[p];
  assert.ok(node !== undefined && node !== null, `${schema.$id} ${path.join('/')}`);
  return node as Record<string, unknown>;
}

/** The object at `path` is closed and lists exactly `keys`; its required keys are the type's required ones. */
function sameKeys(file: string, path: readonly string[], keys: Record<string, true>, optional: readonly string[] = []): void {
  const object = at(readSchema(file), path);
  const where = `${file} ${path.join('/') || '(top)'}`;
  assert.equal(object['additionalProperties'], false, `${where} is closed`);
  assert.deepEqual(Object.keys(object['properties'] as object).sort(), Object.keys(keys).sort(), `${where}: the keys of the type`);
  assert.deepEqual(
    [...(object['required'] as string[])].sort(),
    Object.keys(keys)
      .filter((k) => !optional.includes(k))
      .sort(),
    `${where}: required are the keys the type does not mark optional`,
  );
}

/** The `code` consts of a oneOf of coded objects, or an enum. */
function codesAt(file: string, path: readonly string[]): string[] {
  const node = at(readSchema(file), path);
  if (Array.isArray(node['enum'])) return (node['enum'] as string[]).slice().sort();
  return (node['oneOf'] as { properties: { code?: { const: string }; run?: { const: string } } }[]).map((v) => v.properties.code?.const ?? v.properties.run?.const ?? '?').sort();
}

describe('the schemas follow the TypeScript types', () => {
  test('plan.schema.json', () => {
    const P = 'plan.schema.json';
    sameKeys(P, [], { formatVersion: true, cluster: true, nodes: true, summary: true, warnings: true } satisfies Keys<Plan>, ['warnings']);
    sameKeys(P, ['$defs', 'summary'], { add: true, change: true, destroy: true, conflicts: true, refused: true, incomplete: true, disruptedPods: true, waiting: true, drift: true } satisfies Keys<PlanSummary>, ['incomplete', 'disruptedPods', 'waiting', 'drift']);
    sameKeys(
      P,
      ['$defs', 'nodePlan'],
      { node: true, role: true, address: true, subnet: true, changes: true, conflicts: true, refused: true, warnings: true, disruptedPods: true, waiting: true, lastApply: true } satisfies Keys<NodePlan>,
      ['role', 'refused', 'warnings', 'disruptedPods', 'waiting', 'lastApply'],
    );
    sameKeys(P, ['$defs', 'lastApply'], { state: true, clusterDigest: true, time: true, controller: true } satisfies Keys<NonNullable<NodePlan['lastApply']>>, ['clusterDigest', 'time', 'controller']);
    sameKeys(P, ['$defs', 'change'], { kind: true, key: true, action: true, before: true, after: true, reason: true, steps: true, origin: true } satisfies Keys<Change>, ['before', 'after', 'origin']);
    sameKeys(P, ['$defs', 'sysctlValue'], { key: true, value: true } satisfies Keys<SysctlValue>);
    sameKeys(P, ['$defs', 'linkValue'], { name: true, kind: true, alias: true, mtu: true, up: true, addresses: true, ports: true } satisfies Keys<LinkValue>, ['kind', 'alias', 'mtu', 'up', 'addresses', 'ports']);
    sameKeys(P, ['$defs', 'addressValue'], { address: true, dev: true } satisfies Keys<AddressValue>);
    sameKeys(P, ['$defs', 'routeValue'], { dst: true, type: true, gateway: true, dev: true, nexthops: true, metric: true, protocol: true } satisfies Keys<RouteValue>, ['type', 'gateway', 'dev', 'nexthops', 'metric']);
    sameKeys(P, ['$defs', 'fileValue'], { path: true, role: true, mode: true, sha256: true } satisfies Keys<FileValue>, ['role', 'mode', 'sha256']);
    sameKeys(P, ['$defs', 'chainValue'], { table: true, chain: true } satisfies Keys<ChainValue>);
    sameKeys(P, ['$defs', 'ruleValue'], { table: true, chain: true, rule: true, position: true, purpose: true } satisfies Keys<RuleValue>, ['position', 'purpose']);
    sameKeys(P, ['$defs', 'podValue'], { pod: true, addresses: true } satisfies Keys<PodValue>);
    sameKeys(P, ['$defs', 'refusal'], { nodeAddress: true, management: true, offences: true } satisfies Keys<Refusal>, ['management']);
    sameKeys(P, ['$defs', 'offence'], { kind: true, key: true, action: true, takes: true, connectedRoute: true } satisfies Keys<Offence>, ['takes', 'connectedRoute']);
    sameKeys(P, ['$defs', 'managementPath'], { localAddress: true, peerAddress: true, dev: true, unknown: true } satisfies Keys<ManagementPath>, ['dev', 'unknown']);
    sameKeys(P, ['$defs', 'podDisruption'], { pod: true, netns: true, addresses: true, cause: true } satisfies Keys<PodDisruption>, ['netns']);
    sameKeys(P, ['$defs', 'waiting'], { kind: true, key: true, peer: true, why: true, want: true, found: true } satisfies Keys<Waiting>, ['want', 'found']);

    const kinds = { sysctl: true, link: true, address: true, route: true, file: true, chain: true, rule: true, pod: true } satisfies Record<ChangeKind, true>;
    assert.deepEqual(codesAt(P, ['$defs', 'change', 'properties', 'kind']), Object.keys(kinds).sort());
    const reasons = {
      missing: true, differs: true, 'stale-address': true, 'stale-bridge': true, 'stale-route-metric': true, 'stale-route-router-host-gw': true,
      'stale-route-own-subnet': true, 'stale-route-outside-pod-cidr': true, 'stale-route-pod-cidr': true, 'stale-route-via-router': true,
      'stale-route-no-node': true, 'stale-route-removed-node': true, 'destroy-peer-route': true, 'stale-chain': true, 'stale-rule': true,
      'rule-in-stale-chain': true, 'rule-duplicate': true, 'rule-out-of-order': true, 'rule-not-first': true, destroy: true,
      'destroy-pod-through-plugin': true, 'destroy-pod-by-hand': true, rollback: true,
    } satisfies Record<ReasonCode, true>;
    assert.deepEqual(codesAt(P, ['$defs', 'reason']), Object.keys(reasons).sort());
    const conflicts = {
      'link-not-bridge': true, 'bridge-not-podnet': true, 'foreign-address-on-bridge': true, 'pod-address-on-foreign-link': true,
      'old-bridge-has-ports': true, 'old-bridge-foreign-addresses': true, 'bridge-foreign-addresses': true, 'foreign-route-to-peer': true,
      'foreign-route-inside-peer': true, 'foreign-file': true, 'foreign-jump-to-old-chain': true, 'iptables-missing-for-nat': true,
    } satisfies Record<ConflictCode, true>;
    assert.deepEqual(codesAt(P, ['$defs', 'conflict']), Object.keys(conflicts).sort());
    const warnings = {
      'rp-filter-strict': true, 'iptables-missing': true, 'foreign-file-left': true, 'store-holds-foreign': true, 'store-holds-foreign-entries': true,
      subnet: true, 'network-manager-unconfigured': true, 'pod-stranded': true, 'address-not-held': true, 'node-removed': true,
      'node-removed-unreached': true, 'node-removed-is-listed': true, 'prune-removed-incomplete': true, 'peer-routes-left': true,
      'state-file-damaged': true, 'state-file-missing': true,
    } satisfies Record<Warning['code'], true>;
    assert.deepEqual(codesAt(P, ['$defs', 'warning']), Object.keys(warnings).sort());
    const roles = { 'cni-plugin': true, 'cni-config': true, 'address-store': true, 'networkd-config': true, 'networkmanager-config': true, 'state-file': true } satisfies Record<FileRole, true>;
    assert.deepEqual(codesAt(P, ['$defs', 'fileValue', 'properties', 'role']), Object.keys(roles).sort());
    const purposes = { 'forward-jump': true, 'forward-from-pods': true, 'forward-to-pods': true, 'nat-jump': true, 'nat-keep-pod-traffic': true, 'nat-masquerade': true } satisfies Record<RulePurpose, true>;
    assert.deepEqual(codesAt(P, ['$defs', 'ruleValue', 'properties', 'purpose']), Object.keys(purposes).sort());
    const hostRoles = { node: true, router: true, removed: true } satisfies Record<HostRole, true>;
    assert.deepEqual(codesAt(P, ['$defs', 'nodePlan', 'properties', 'role']), Object.keys(hostRoles).sort());
    const why = { 'not-reached': true, 'address-not-held': true } satisfies Record<WaitingWhy, true>;
    assert.deepEqual(codesAt(P, ['$defs', 'waiting', 'properties', 'why']), Object.keys(why).sort());
    const managers = { 'systemd-networkd': true, NetworkManager: true } satisfies Record<NetworkManagerName, true>;
    const unconfigured = (at(readSchema(P), ['$defs', 'warning'])['oneOf'] as { properties: { code: { const: string }; manager?: { enum: string[] } } }[]).find((v) => v.properties.code.const === 'network-manager-unconfigured');
    assert.deepEqual(unconfigured?.properties.manager?.enum.slice().sort(), Object.keys(managers).sort());
    const origins = { drift: true, change: true, 'first-apply': true } satisfies Record<NonNullable<Change['origin']>, true>;
    assert.deepEqual(codesAt(P, ['$defs', 'change', 'properties', 'origin']), Object.keys(origins).sort());
  });

  test('run-report.schema.json', () => {
    const R = 'run-report.schema.json';
    sameKeys(R, ['$defs', 'nodeResult'], { node: true, status: true, changed: true, ok: true, error: true, failedStep: true, unmet: true, blocked: true, confirm: true, waiting: true, batch: true, kept: true, reach: true } satisfies Keys<NodeResult>, ['error', 'failedStep', 'unmet', 'blocked', 'confirm', 'waiting', 'batch', 'kept', 'reach']);
    sameKeys(R, ['$defs', 'rollout'], { serial: true, maxFailPercentage: true, batches: true, passes: true, stopped: true, untouched: true, incomplete: true } satisfies Keys<RolloutReport>, ['serial', 'stopped']);
    sameKeys(R, ['$defs', 'nodeResult', 'properties', 'failedStep'], { index: true, kind: true, key: true, command: true, message: true } satisfies Keys<FailedStep>);
    sameKeys(R, ['$defs', 'nodeResult', 'properties', 'confirm'], { applyId: true, outcome: true, why: true, at: true } satisfies Keys<ConfirmResult>, ['why', 'at']);
    const statuses = { converged: true, failed: true, unreachable: true, error: true, 'not-started': true, unknown: true, untouched: true, incomplete: true } satisfies Record<NodeStatus, true>;
    assert.deepEqual(codesAt(R, ['$defs', 'nodeResult', 'properties', 'status']), Object.keys(statuses).sort());
  });

  test('verify-report.schema.json', () => {
    const V = 'verify-report.schema.json';
    sameKeys(
      V,
      [],
      { formatVersion: true, cluster: true, probeId: true, nodes: true, mtu: true, plan: true, egressTarget: true, checks: true, summary: true, unreachable: true, cleanup: true, execs: true } satisfies Keys<VerifyReport & { execs: unknown }>,
      ['egressTarget', 'execs'],
    );
    sameKeys(V, ['$defs', 'check'], { id: true, title: true, status: true, cells: true, coverage: true } satisfies Keys<VerifyCheck>, ['coverage']);
    sameKeys(V, ['$defs', 'check', 'properties', 'coverage'], { probed: true, pairs: true } satisfies Keys<CheckCoverage>);
    sameKeys(V, ['$defs', 'cell'], { from: true, to: true, status: true, probe: true, detail: true, reason: true, causes: true, checked: true, attempts: true } satisfies Keys<VerifyCell>, ['probe', 'detail', 'reason', 'causes', 'checked', 'attempts']);
    sameKeys(V, ['properties', 'summary'], { passed: true, failed: true, notRun: true } satisfies Keys<VerifySummary>);
    const checks = { 'pod-to-pod-same-node': true, 'pod-to-pod-cross-node': true, 'node-to-pod': true, 'pod-to-node': true, 'source-address': true, mtu: true, egress: true } satisfies Record<CheckId, true>;
    assert.deepEqual(codesAt(V, ['$defs', 'check', 'properties', 'id']), Object.keys(checks).sort());
  });

  test('validate, lab status and pod schemas', () => {
    sameKeys('validate-report.schema.json', ['$defs', 'file'], { file: true, valid: true, errors: true, warnings: true, summary: true } satisfies Keys<ValidateFileReport>, ['summary']);
    sameKeys('validate-report.schema.json', ['$defs', 'problem'], { file: true, line: true, column: true, message: true } satisfies Keys<ValidateProblem>, ['line', 'column']);
    sameKeys('lab-status.schema.json', ['$defs', 'lab'], { name: true, stateDir: true, hasState: true, created: true, switchNetnsExists: true, nodes: true, router: true } satisfies Keys<LabStatus>, ['created', 'router']);
    sameKeys('lab-status.schema.json', ['$defs', 'node'], { name: true, address: true, netns: true, pid: true, up: true, netnsExists: true } satisfies Keys<LabNodeStatus>);
    sameKeys('pod-list.schema.json', ['$defs', 'pod'], { name: true, netns: true, addresses: true, allocated: true, podnet: true } satisfies Keys<PodEntry>);
    sameKeys('pod-del.schema.json', [], { formatVersion: true, node: true, pod: true, existed: true } satisfies Keys<PodDeleted & { formatVersion: 1 }>);
  });
});
