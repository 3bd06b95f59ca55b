// Node text never drives the operator's terminal (issue 10, 1.7): every text renderer escapes the
// control characters of what came from a node; JSON stays JSON with DEL and C1 escaped too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodePlan, Plan } from '../../src/model/plan.js';
import { PLAN_FORMAT_VERSION } from '../../src/model/plan.js';
import { summarisePlan } from '../../src/plan/summary.js';
import { parsePlanJson, renderPlanJson, renderPlanText } from '../../src/render/render-plan.js';
import { renderRecap } from '../../src/render/recap.js';
import { escapeControl, escapeJsonControl } from '../../src/render/terminal-safe.js';
import { renderVerifyJson, renderVerifyText, summarizeChecks } from '../../src/render/verify-render.js';
import type { VerifyCheck } from '../../src/model/verify.js';
import { createProgress } from '../../src/cli/progress.js';
import { renderPodList } from '../../src/cli/pod-command.js';
import { renderProblems } from '../../src/cli/plan-command.js';

const ESC = String.fromCharCode(0x1b);
const BEL = String.fromCharCode(0x07);
const CSI8 = String.fromCharCode(0x9b);
const DEL = String.fromCharCode(0x7f);
/** Retitles the terminal, then clears the screen, a carriage return and 8-bit CSI. */
const EVIL = `${ESC}]2;owned${BEL}${ESC}[2J\rx${CSI8}31m${DEL}`;

/** Every raw control character in `text` other than a line feed (and, when `sgr`, podnet's own colour codes). */
function rawControls(text: string, sgr = false): string[] {
  const withoutColour = sgr ? text.replace(new RegExp(`${ESC}\\[[0-9;]*m`, 'g'), '') : text;
  return [...withoutColour].filter((ch) => {
    const code = ch.charCodeAt(0);
    return (code < 0x20 && ch !== '\n') || (code >= 0x7f && code <= 0x9f);
  });
}

function evilPlan(): Plan {
  const node: NodePlan = {
    node: 'node1',
    address: '192.168.1.11',
    subnet: '10.244.1.0/24',
    changes: [
      {
        kind: 'link',
        key: `old${EVIL}`,
        action: 'delete',
        before: { name: `old${EVIL}`, kind: 'bridge', alias: EVIL },
        reason: { code: 'stale-bridge', want: 'v-net-0' },
        steps: [{ run: 'ip', args: ['link', 'del', 'dev', `old${EVIL}`] }],
      },
    ],
    conflicts: [{ node: 'node1', code: 'bridge-not-podnet', kind: 'link', key: 'v-net-0', found: { name: 'v-net-0', kind: 'bridge', alias: EVIL }, alias: 'podnet' }],
    warnings: [{ code: 'foreign-file-left', path: `/etc/cni/net.d/${EVIL}` }],
  };
  return { formatVersion: PLAN_FORMAT_VERSION, cluster: 'c', nodes: [node], summary: summarisePlan([node]) };
}

test('escapeControl writes every C0, DEL and C1 control as an escape', () => {
  assert.equal(escapeControl(EVIL), '\\e]2;owned\\x07\\e[2J\\rx\\x9b31m\\x7f');
  assert.equal(escapeControl('plain 10.244.1.1/24 on v-net-0'), 'plain 10.244.1.1/24 on v-net-0');
  assert.deepEqual(rawControls(escapeControl(EVIL)), []);
});

test('the plan text (plain and coloured) carries no raw control byte from a node', () => {
  for (const color of [false, true]) {
    const text = renderPlanText(evilPlan(), { color });
    assert.deepEqual(rawControls(text, color), [], `color=${String(color)}`);
    assert.match(text, /\\e\]2;owned\\x07/, 'the alias is shown, escaped');
  }
});

test('the plan JSON escapes DEL and C1 too, and reads back to the same plan', () => {
  const json = renderPlanJson(evilPlan());
  assert.deepEqual(rawControls(json), []);
  assert.deepEqual(parsePlanJson(json), evilPlan());
  assert.equal(JSON.parse(escapeJsonControl(JSON.stringify({ a: EVIL }))).a, EVIL);
});

test('the recap, the progress lines, diff problems and pod list escape node errors', () => {
  const recap = renderRecap(
    [
      { node: 'node1', status: 'failed', changed: 0, ok: 0, failedStep: { index: 0, kind: 'link', key: `k${EVIL}`, command: 'ip link del', message: `RTNETLINK: ${EVIL}` } },
      { node: 'node2', status: 'unreachable', changed: 0, ok: 0, error: EVIL },
    ],
    { color: true },
  );
  assert.deepEqual(rawControls(recap, true), []);
  assert.match(recap, /RTNETLINK: \\e\]2;owned/);

  for (const isTTY of [false, true]) {
    const written: string[] = [];
    const stream = { isTTY, columns: 200, write: (chunk: string) => written.push(chunk) } as unknown as NodeJS.WriteStream;
    createProgress(stream, ['node1'], true).update('node1', { kind: 'failed', message: EVIL });
    const out = written.join('');
    // The live block moves the cursor itself (ESC [nA, ESC [2K): only those and colours are allowed.
    const own = out.replace(new RegExp(`${ESC}\\[(\\d+A|2K)`, 'g'), '');
    assert.deepEqual(rawControls(own, true), [], `isTTY=${String(isTTY)}`);
  }

  const problems = renderProblems({ problems: new Map([['node1', { status: 'failed', message: EVIL }]]) } as never);
  assert.deepEqual(rawControls(problems), []);

  const list = renderPodList([
    { node: 'node1', pods: [{ name: `web${EVIL}`, netns: true, addresses: [EVIL], allocated: ['10.244.1.2'], podnet: true }] },
    { node: 'node2', error: EVIL },
  ]);
  assert.deepEqual(rawControls(list), []);
});

test('the verify report (matrix and lines) escapes what the probes brought back; its JSON escapes DEL and C1', () => {
  const checks: VerifyCheck[] = [
    {
      id: 'pod-to-pod-cross-node',
      title: 'pod → pod across nodes',
      status: 'failed',
      cells: [{ from: 'node1', to: 'node2', status: 'fail', probe: 'ping', detail: `no reply ${EVIL}`, causes: [EVIL] }],
    },
  ];
  const report = {
    formatVersion: 1,
    cluster: 'cluster.yaml',
    probeId: 'abcd12',
    nodes: ['node1', 'node2'],
    mtu: 1500,
    plan: 'sample' as const,
    checks,
    summary: summarizeChecks(checks),
    unreachable: { node3: EVIL },
    cleanup: [EVIL],
  } as Parameters<typeof renderVerifyText>[0];
  for (const matrix of [false, true]) assert.deepEqual(rawControls(renderVerifyText(report, { matrix })), [], `matrix=${String(matrix)}`);
  assert.deepEqual(rawControls(renderVerifyJson(report)), []);
});
