// verify's report: matrix on a terminal, plain lines otherwise, JSON, and the exit code.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderVerifyJson, renderVerifyText, summarizeChecks, verifyExitCode } from '../../src/render/verify-render.js';
import type { VerifyCheck, VerifyReport } from '../../src/model/verify.js';

const CROSS: VerifyCheck = {
  id: 'pod-to-pod-cross-node',
  title: 'pod → pod across nodes',
  status: 'failed',
  cells: [
    { from: 'node1', to: 'node2', status: 'pass', probe: 'ping' },
    { from: 'node2', to: 'node1', status: 'fail', probe: 'ping', detail: 'no reply from 10.244.1.2', causes: ['ip_forward is off on node1'] },
  ],
};
const SOURCE: VerifyCheck = {
  id: 'source-address',
  title: 'source address preserved (no NAT)',
  status: 'not-run',
  cells: [
    { from: 'node1', to: 'node2', status: 'pass' },
    { from: 'node2', to: 'node1', status: 'not-run', reason: 'node1: no listener (install netcat-openbsd or socat)' },
  ],
};

function report(checks: VerifyCheck[], cleanup: string[] = []): VerifyReport {
  return {
    formatVersion: 1,
    cluster: 'cluster.yaml',
    probeId: 'abcd12',
    nodes: ['node1', 'node2'],
    mtu: 1500,
    plan: 'sample',
    checks,
    summary: summarizeChecks(checks),
    unreachable: {},
    cleanup,
  };
}

describe('verify report', () => {
  test('on a terminal: a ✓/✗/· matrix per check (rows from, columns to), then failures with their causes', () => {
    const text = renderVerifyText(report([CROSS, SOURCE]), { matrix: true });
    assert.equal(
      text,
      [
        'pod → pod across nodes: FAILED (1 failed of 2)',
        '  from \\ to  node1  node2',
        '  node1               ✓',
        '  node2        ✗',
        '  ✗ node2 → node1: no reply from 10.244.1.2',
        '      likely cause: ip_forward is off on node1',
        '',
        'source address preserved (no NAT): not run (1 not run of 2)',
        '  from \\ to  node1  node2',
        '  node1               ✓',
        '  node2        ·',
        '  · node2 → node1: not run: node1: no listener (install netcat-openbsd or socat)',
        '',
        'Verify: 0 passed, 1 failed, 1 not run — network NOT verified.',
        '',
      ].join('\n'),
    );
  });

  test('otherwise plain lines: passes counted, a FAILED or not run line per other cell', () => {
    const text = renderVerifyText(report([CROSS, SOURCE]), { matrix: false });
    assert.match(text, /^pod → pod across nodes: FAILED \(1 failed of 2\)\n {2}ok: 1 of 2 cells\n/m);
    assert.match(text, /^ {2}FAILED node2 → node1: no reply from 10\.244\.1\.2$/m);
    assert.match(text, /^ {2}not run node2 → node1: node1: no listener \(install netcat-openbsd or socat\)$/m);
    assert.doesNotMatch(text, /[✓✗·]/);
    assert.ok(!text.includes('\u001b['), 'no colour codes');
  });

  test('exit 0 only when every check passed and every probe pod is gone', () => {
    const passed: VerifyCheck = { ...CROSS, status: 'passed', cells: [CROSS.cells[0]!] };
    assert.equal(verifyExitCode(report([passed])), 0);
    assert.equal(verifyExitCode(report([passed, SOURCE])), 1, 'a check that did not run is not a pass');
    assert.equal(verifyExitCode(report([passed, CROSS])), 1);
    assert.equal(verifyExitCode(report([passed], ['node1: podnet-probe-abcd12-a: its network namespace is still there'])), 1);
    assert.equal(verifyExitCode(report([])), 1, 'nothing verified is not a pass');
  });

  test('a sampled check: the pairs left out are marked "-" (not probed, neither pass nor fail) with a legend; plain lines count them; facts checked are listed', () => {
    const sampled: VerifyCheck = {
      id: 'mtu',
      title: 'MTU-sized packet with DF set',
      status: 'failed',
      coverage: { probed: 3, pairs: 6 },
      cells: [
        { from: 'node1', to: 'node2', status: 'pass' },
        { from: 'node2', to: 'node3', status: 'fail', detail: 'no reply from 10.244.3.2', attempts: 3, causes: ['no cause found'], checked: ['ip_forward on node2: 1 (on)'] },
        { from: 'node3', to: 'node1', status: 'pass' },
      ],
    };
    const three = { ...report([sampled]), nodes: ['node1', 'node2', 'node3'] };
    assert.equal(
      renderVerifyText(three, { matrix: true }),
      [
        'MTU-sized packet with DF set: FAILED (1 failed of 3) [sample: 3 of 6 pairs]',
        '  from \\ to  node1  node2  node3',
        '  node1               ✓      -',
        '  node2        -             ✗',
        '  node3        ✓      -',
        '  - not probed: the default plan runs this check on a sample of the pairs (--full-mesh runs every pair)',
        '  ✗ node2 → node3: no reply from 10.244.3.2 (each of 3 attempts failed)',
        '      likely cause: no cause found',
        '      checked: ip_forward on node2: 1 (on)',
        '',
        'Verify: 0 passed, 1 failed, 0 not run — network NOT verified.',
        '',
      ].join('\n'),
    );
    const plain = renderVerifyText(three, { matrix: false });
    assert.match(plain, /^ {2}ok: 2 of 3 cells \(the other 3 pairs not probed: --full-mesh probes every pair\)$/m);
    const json = JSON.parse(renderVerifyJson(three)) as VerifyReport;
    assert.deepEqual(json.checks[0]?.coverage, { probed: 3, pairs: 6 });
    assert.equal(json.checks[0]?.cells.length, 3, 'pairs not probed are no cells: not counted as passes');
    assert.equal(json.plan, 'sample');
  });

  test('JSON: every check and every cell with its reason and causes', () => {
    const json = JSON.parse(renderVerifyJson(report([CROSS, SOURCE]))) as VerifyReport;
    assert.equal(json.formatVersion, 1);
    assert.deepEqual(json.summary, { passed: 0, failed: 1, notRun: 1 });
    assert.deepEqual(json.checks[0]?.cells[1]?.causes, ['ip_forward is off on node1']);
    assert.equal(json.checks[1]?.cells[1]?.reason, 'node1: no listener (install netcat-openbsd or socat)');
  });
});
