// The Prometheus textfiles of apply and verify: valid exposition format (HELP/TYPE before every
// family, families contiguous, names and labels by the naming rules), label escaping, sorted and
// byte-stable, and the values read from the applied changes and the verify report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMetrics, escapeLabelValue, formatValue, renderTextfile, verifyMetrics, type MetricFamily } from '../../src/render/metrics.js';
import type { Change } from '../../src/model/plan.js';
import type { VerifyCheck } from '../../src/model/verify.js';

/** A strict reader of the text format: every line HELP, TYPE or a sample of the family just declared. */
function parseExposition(text: string): Map<string, { type: string; help: string; samples: Map<string, string> }> {
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  const families = new Map<string, { type: string; help: string; samples: Map<string, string> }>();
  let current: string | undefined;
  for (const line of text.slice(0, -1).split('\n')) {
    const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter)$/.exec(line);
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})? (\S+)$/.exec(line);
    if (help) {
      assert.ok(!families.has(help[1]!), `family ${help[1]} declared twice (not contiguous)`);
      families.set(help[1]!, { type: '', help: help[2]!, samples: new Map() });
      current = help[1];
    } else if (type) {
      assert.equal(type[1], current, `TYPE right after HELP: ${line}`);
      families.get(current!)!.type = type[2]!;
    } else if (sample) {
      assert.equal(sample[1], current, `sample of the family declared last: ${line}`);
      assert.ok(!Number.isNaN(Number(sample[3])) || sample[3] === 'NaN', `a number: ${line}`);
      families.get(current!)!.samples.set(sample[2] ?? '', sample[3]!);
    } else assert.fail(`not an exposition line: ${JSON.stringify(line)}`);
  }
  return families;
}

const route = (action: Change['action'], origin?: Change['origin']): Change => ({
  kind: 'route',
  key: `10.244.${action.length}.0/24`,
  action,
  reason: { code: 'missing' },
  steps: [],
  ...(origin !== undefined ? { origin } : {}),
});

test('renderTextfile: HELP and TYPE first, families by name, samples by labels, labels by name, escaped', () => {
  const families: MetricFamily[] = [
    { name: 'podnet_b', help: 'B with a \\ and\na newline.', type: 'gauge', samples: [{ labels: { z: '1', a: 'x"y' }, value: 2 }, { labels: { a: 'a\\b\nc', z: '0' }, value: 1.5 }] },
    { name: 'podnet_a_total', help: 'A.', type: 'counter', samples: [{ value: 3 }] },
  ];
  const text = renderTextfile(families);
  assert.equal(
    text,
    [
      '# HELP podnet_a_total A.',
      '# TYPE podnet_a_total counter',
      'podnet_a_total 3',
      '# HELP podnet_b B with a \\\\ and\\na newline.',
      '# TYPE podnet_b gauge',
      'podnet_b{a="a\\\\b\\nc",z="0"} 1.5',
      'podnet_b{a="x\\"y",z="1"} 2',
      '',
    ].join('\n'),
  );
  parseExposition(text);
  // Byte-stable: the same families in another order give the same bytes.
  assert.equal(renderTextfile([...families].reverse().map((f) => ({ ...f, samples: [...f.samples].reverse() }))), text);
  assert.equal(renderTextfile([]), '');
});

test('renderTextfile refuses what Prometheus would: bad names, a counter without _total, a series twice', () => {
  assert.throws(() => renderTextfile([{ name: 'podnet-x', help: '', type: 'gauge', samples: [] }]), /metric name/);
  assert.throws(() => renderTextfile([{ name: 'podnet_x', help: '', type: 'gauge', samples: [{ labels: { 'a-b': '1' }, value: 1 }] }]), /label name/);
  assert.throws(() => renderTextfile([{ name: 'podnet_x', help: '', type: 'gauge', samples: [{ labels: { __name__: '1' }, value: 1 }] }]), /label name/);
  assert.throws(() => renderTextfile([{ name: 'podnet_runs', help: '', type: 'counter', samples: [] }]), /_total/);
  assert.throws(() => renderTextfile([{ name: 'podnet_x', help: '', type: 'gauge', samples: [{ value: 1 }, { value: 2 }] }]), /twice/);
  assert.throws(() => renderTextfile([{ name: 'podnet_x', help: '', type: 'gauge', samples: [] }, { name: 'podnet_x', help: '', type: 'gauge', samples: [] }]), /twice/);
});

test('escapeLabelValue and formatValue', () => {
  assert.equal(escapeLabelValue('a\\"b\nc'), 'a\\\\\\"b\\nc');
  assert.deepEqual([NaN, Infinity, -Infinity, 0, 1764795000.123].map(formatValue), ['NaN', '+Inf', '-Inf', '0', '1764795000.123']);
});

test('applyMetrics: time in seconds, converged 0/1, changes by kind and action and by origin (zeros included), drift', () => {
  const time = new Date('2026-12-03T21:10:00.250Z');
  const applied = [route('create', 'change'), route('create', 'drift'), route('delete', 'first-apply'), { ...route('update'), kind: 'file', key: '/opt/cni/bin/podnet' } as Change];
  const text = renderTextfile(applyMetrics({ time, converged: true, applied, drift: 2 }));
  const families = parseExposition(text);
  assert.deepEqual([...families.keys()], ['podnet_apply_changes', 'podnet_apply_changes_by_origin', 'podnet_apply_converged', 'podnet_apply_last_run_timestamp_seconds', 'podnet_drift_changes']);
  for (const f of families.values()) assert.equal(f.type, 'gauge');
  assert.equal(families.get('podnet_apply_last_run_timestamp_seconds')?.samples.get(''), '1796332200.25');
  assert.equal(families.get('podnet_apply_converged')?.samples.get(''), '1');
  const changes = families.get('podnet_apply_changes')!.samples;
  assert.equal(changes.size, 8 * 3, 'every kind × action, zeros too: series do not come and go');
  assert.equal(changes.get('{action="create",kind="route"}'), '2');
  assert.equal(changes.get('{action="delete",kind="route"}'), '1');
  assert.equal(changes.get('{action="update",kind="file"}'), '1');
  assert.equal(changes.get('{action="create",kind="link"}'), '0');
  assert.deepEqual(Object.fromEntries(families.get('podnet_apply_changes_by_origin')!.samples), {
    '{origin="change"}': '1',
    '{origin="drift"}': '1',
    '{origin="first-apply"}': '1',
    '{origin="unknown"}': '1',
  });
  assert.equal(families.get('podnet_drift_changes')?.samples.get(''), '2');
  assert.equal(parseExposition(renderTextfile(applyMetrics({ time, converged: false, applied: [], drift: 0 }))).get('podnet_apply_converged')?.samples.get(''), '0');
});

test('verifyMetrics: the cells probed from this node by check and status, and the verdict', () => {
  const checks: VerifyCheck[] = [
    {
      id: 'pod-to-pod-cross-node',
      title: '',
      status: 'failed',
      cells: [
        { from: 'node1', to: 'node2', status: 'pass' },
        { from: 'node1', to: 'node3', status: 'fail' },
        { from: 'node2', to: 'node1', status: 'fail' },
      ],
    },
    { id: 'mtu', title: '', status: 'not-run', cells: [{ from: 'node1', to: 'node2', status: 'not-run' }] },
  ];
  const families = parseExposition(renderTextfile(verifyMetrics({ checks }, 'node1', new Date(5000), false)));
  assert.equal(families.get('podnet_verify_last_run_timestamp_seconds')?.samples.get(''), '5');
  assert.equal(families.get('podnet_verify_success')?.samples.get(''), '0');
  const cells = families.get('podnet_verify_cells')!.samples;
  assert.equal(cells.size, 7 * 3);
  assert.equal(cells.get('{check="pod-to-pod-cross-node",status="pass"}'), '1');
  assert.equal(cells.get('{check="pod-to-pod-cross-node",status="fail"}'), '1');
  assert.equal(cells.get('{check="mtu",status="not-run"}'), '1');
  assert.equal(cells.get('{check="egress",status="pass"}'), '0');
  assert.equal(parseExposition(renderTextfile(verifyMetrics({ checks }, 'node2', new Date(0), true))).get('podnet_verify_success')?.samples.get(''), '1');
});
