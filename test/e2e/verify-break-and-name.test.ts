// Issue 13 item 6, CI's small version of the break-and-name test: on a 4-node lab, one peer route
// deleted (node1 → node2's pods) and one node's forwarding switched off (node4). verify with the
// default plan (every pair pinged, source address and MTU on the ring sample) must name exactly
// those two causes, on exactly the cells whose path they break, and nothing else may fail or be
// left not run. Needs root.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { VerifyReport } from '../../src/model/verify.js';
import { labNodeExec, startTestLab, stopTestLab, type LabInfo } from '../support/lab.js';
import { runPodnet } from '../support/cli.js';
import { needs } from '../support/needs.js';

const requirement = needs('root', 'netns', 'sshd', 'iptables');

const ROUTE_CAUSE = /^node1 has no route to node2's pods \((requests|replies)\): 10\.244\.2\.0\/24 via 192\.168\.1\.12 is missing$/;
const FORWARD_CAUSE = 'ip_forward is off on node4 (net.ipv4.ip_forward = 0): it does not forward pod traffic';

describe('verify names exactly the two faults of a broken 4-node lab (default plan)', { skip: requirement, timeout: 120_000 }, () => {
  let lab: LabInfo | undefined;

  before(async () => {
    lab = await startTestLab(4);
  });

  after(() => stopTestLab(lab));

  test('a route deleted on node1 and forwarding off on node4: those two causes, on exactly the cells they break', async () => {
    assert.ok(lab);
    const apply = runPodnet('apply', lab.clusterFile);
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    for (const [node, argv] of [
      ['node1', ['ip', 'route', 'del', '10.244.2.0/24']],
      ['node4', ['sysctl', '-qw', 'net.ipv4.ip_forward=0']],
    ] as const) {
      const r = await labNodeExec(lab.name, node, [...argv]);
      assert.equal(r.code, 0, `${node}: ${argv.join(' ')}: ${r.stderr}`);
    }

    const started = Date.now();
    const r = runPodnet('verify', lab.clusterFile, '--output', 'json');
    const seconds = (Date.now() - started) / 1000;
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as VerifyReport;
    assert.equal(report.plan, 'sample');

    const broken = (from: string, to: string): 'route' | 'forward' | undefined =>
      from === 'node4' || to === 'node4' ? 'forward' : (from === 'node1' && to === 'node2') || (from === 'node2' && to === 'node1') ? 'route' : undefined;
    const crossNode = new Set(['pod-to-pod-cross-node', 'source-address', 'mtu']);
    for (const check of report.checks) {
      for (const cell of check.cells) {
        const where = `${check.id} ${cell.from}→${cell.to}: ${JSON.stringify(cell)}`;
        assert.notEqual(cell.status, 'not-run', `nothing is left not run: ${where}`);
        const fault = crossNode.has(check.id) ? broken(cell.from, cell.to) : undefined;
        if (fault === undefined) {
          assert.equal(cell.status, 'pass', `nothing else fails: ${where}`);
          continue;
        }
        assert.equal(cell.status, 'fail', where);
        if (fault === 'forward') assert.deepEqual(cell.causes, [FORWARD_CAUSE], where);
        else {
          assert.equal(cell.causes?.length, 1, where);
          assert.match(cell.causes?.[0] ?? '', ROUTE_CAUSE, where);
        }
      }
    }
    const cross = report.checks.find((c) => c.id === 'pod-to-pod-cross-node');
    assert.equal(cross?.cells.filter((c) => c.status === 'fail').length, 8, 'node1↔node2, and the 6 pairs with node4');
    // The sample (offsets 1 and 2 of 4 nodes) has each node as client and server twice.
    for (const id of ['source-address', 'mtu']) {
      const check = report.checks.find((c) => c.id === id);
      assert.deepEqual(check?.coverage, { probed: 8, pairs: 12 }, id);
      assert.ok(check?.cells.some((c) => c.status === 'fail' && broken(c.from, c.to) === 'forward'), `${id}: node4's fault shows in the sample`);
    }
    process.stderr.write(`verify of the broken 4-node lab: ${seconds.toFixed(1)} s\n`);
  });
});
