// podnet verify end to end on a real 3-node lab: passes on a healthy cluster, fails naming the cause
// (ip_forward off, a peer route deleted, a bridge MTU lowered), passes again after apply, and never
// leaves a probe pod behind. Needs root.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { VerifyReport } from '../../src/model/verify.js';
import { labNodeExec, labStartNode, labStopNode, startTestLab, stopTestLab, type LabInfo } from '../support/lab.js';
import { runPodnet } from '../support/cli.js';
import { needs } from '../support/needs.js';

const requirement = needs('root', 'netns', 'sshd', 'iptables');

const podnet = runPodnet;

function verifyJson(file: string): { code: number | null; report: VerifyReport & { execs?: Record<string, number> }; stderr: string } {
  const r = podnet('verify', file, '--output', 'json');
  try {
    return { code: r.code, report: JSON.parse(r.stdout) as VerifyReport, stderr: r.stderr };
  } catch {
    throw new Error(`not JSON (exit ${String(r.code)}):\n${r.stdout}\n${r.stderr}`);
  }
}

const NODES = ['node1', 'node2', 'node3'];

function failedCells(report: VerifyReport, check: string): { from: string; to: string; causes: string[] }[] {
  const cells = report.checks.find((c) => c.id === check)?.cells ?? [];
  return cells.filter((c) => c.status === 'fail').map((c) => ({ from: c.from, to: c.to, causes: c.causes ?? [] }));
}

describe('podnet verify on the lab', { skip: requirement, timeout: 300_000 }, () => {
  let lab: LabInfo | undefined;
  let file = '';
  let tmp = '';

  async function onNode(node: string, ...argv: string[]): Promise<string> {
    assert.ok(lab);
    const r = await labNodeExec(lab.name, node, argv);
    assert.equal(r.code, 0, `${node}: ${argv.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  /** No probe pod is left: no namespace, no allocation in the store, no work directory, no listener. */
  async function assertNoProbeLeft(probeId: string): Promise<void> {
    for (const node of NODES) {
      assert.doesNotMatch(await onNode(node, 'ip', 'netns', 'list'), /podnet-probe/, `${node}: a probe namespace is left`);
      const store = await onNode(node, 'sh', '-c', `grep -rl podnet-probe-${probeId} /var/lib/cni/networks/podnet/ 2>/dev/null; true`);
      assert.equal(store.trim(), '', `${node}: a probe allocation is left in the store`);
      const dir = await onNode(node, 'sh', '-c', `ls -d /tmp/podnet-verify-${probeId}-${node} 2>/dev/null; true`);
      assert.equal(dir.trim(), '', `${node}: the work directory is left`);
      const procs = await onNode(node, 'sh', '-c', 'ps -eo args | grep -c "[n]c -d -n -v -l -k" ; true');
      assert.equal(procs.trim(), '0', `${node}: a listener is left running`);
    }
  }

  before(async () => {
    lab = await startTestLab(3);
    file = lab.clusterFile;
    tmp = mkdtempSync(join(tmpdir(), 'podnet-verify-e2e-'));
  });

  after(async () => {
    await stopTestLab(lab);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('before apply: nothing can run (the plugin is not deployed), exit 1, nothing left behind', async () => {
    const { code, report } = verifyJson(file);
    assert.equal(code, 1);
    assert.ok(report.checks.every((c) => c.status === 'not-run'));
    assert.match(report.checks[0]?.cells[0]?.reason ?? '', /not deployed.*run podnet apply first/);
    await assertNoProbeLeft(report.probeId);
  });

  test('a healthy cluster after apply: exit 0, every cell ✓, the JSON shape, one exec per node per phase', async () => {
    const apply = podnet('apply', file);
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    const { code, report, stderr } = verifyJson(file);
    assert.equal(code, 0, JSON.stringify(report.checks, null, 1) + stderr);
    assert.equal(report.formatVersion, 1);
    assert.deepEqual(report.nodes, NODES);
    assert.equal(report.mtu, 1500);
    assert.match(report.probeId, /^[a-z0-9]{6}$/);
    assert.deepEqual(
      report.checks.map((c) => [c.id, c.status, c.cells.length]),
      [
        ['pod-to-pod-same-node', 'passed', 3],
        ['pod-to-pod-cross-node', 'passed', 6],
        ['node-to-pod', 'passed', 3],
        ['pod-to-node', 'passed', 3],
        ['source-address', 'passed', 6],
        ['mtu', 'passed', 6],
      ],
    );
    for (const check of report.checks) {
      for (const cell of check.cells) {
        assert.equal(cell.status, 'pass');
        assert.equal(typeof cell.probe, 'string');
      }
    }
    assert.deepEqual(report.summary, { passed: 6, failed: 0, notRun: 0 });
    assert.deepEqual(report.cleanup, []);
    // setup, gather, probes, cleanup
    assert.deepEqual(report.execs, { node1: 4, node2: 4, node3: 4 });
    const source = report.checks.find((c) => c.id === 'source-address')?.cells.find((c) => c.from === 'node1');
    assert.match(source?.detail ?? '', /^seen as 10\.244\.1\.\d+$/);
    await assertNoProbeLeft(report.probeId);

    const text = podnet('verify', file);
    assert.equal(text.code, 0, text.stdout + text.stderr);
    assert.match(text.stdout, /Verify: 6 passed, 0 failed, 0 not run — network verified\./);
    assert.match(text.stderr, /creating probe pods on 3 node\(s\)/);
  });

  test('ip_forward switched off on node2 by hand: the cells through node2 fail naming it; apply repairs', async () => {
    await onNode('node2', 'sysctl', '-qw', 'net.ipv4.ip_forward=0');
    const { code, report } = verifyJson(file);
    assert.equal(code, 1);
    const cross = failedCells(report, 'pod-to-pod-cross-node');
    assert.deepEqual(
      cross.map((c) => `${c.from}→${c.to}`).sort(),
      ['node1→node2', 'node2→node1', 'node2→node3', 'node3→node2'],
    );
    for (const cell of cross) assert.match(cell.causes[0] ?? '', /^ip_forward is off on node2/);
    assert.equal(report.checks.find((c) => c.id === 'pod-to-pod-same-node')?.status, 'passed');
    assert.equal(report.checks.find((c) => c.id === 'node-to-pod')?.status, 'passed');
    assert.equal(failedCells(report, 'source-address').length, 4);
    await assertNoProbeLeft(report.probeId);

    const text = podnet('verify', file);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /FAILED node1 → node2: .*\n\s+likely cause: ip_forward is off on node2/);

    assert.equal(podnet('apply', file).code, 0);
    const again = verifyJson(file);
    assert.equal(again.code, 0, JSON.stringify(again.report.checks.filter((c) => c.status !== 'passed')));
  });

  test('a peer route deleted on node1: node1 → node2 fails (requests), node2 → node1 too (replies); apply repairs', async () => {
    await onNode('node1', 'ip', 'route', 'del', '10.244.2.0/24');
    const { code, report } = verifyJson(file);
    assert.equal(code, 1);
    const cross = failedCells(report, 'pod-to-pod-cross-node');
    assert.deepEqual(cross, [
      { from: 'node1', to: 'node2', causes: ["node1 has no route to node2's pods (requests): 10.244.2.0/24 via 192.168.1.12 is missing"] },
      { from: 'node2', to: 'node1', causes: ["node1 has no route to node2's pods (replies): 10.244.2.0/24 via 192.168.1.12 is missing"] },
    ]);
    await assertNoProbeLeft(report.probeId);
    assert.equal(podnet('apply', file).code, 0);
    assert.equal(verifyJson(file).code, 0);
  });

  test("a FORWARD policy of DROP on node2 without podnet's jump: cross-node cells through node2 fail naming it; apply repairs", async () => {
    await onNode('node2', 'iptables', '-P', 'FORWARD', 'DROP');
    try {
      await onNode('node2', 'iptables', '-D', 'FORWARD', '-m', 'comment', '--comment', 'podnet', '-j', 'PODNET-FORWARD');
      const { code, report } = verifyJson(file);
      assert.equal(code, 1);
      const cross = failedCells(report, 'pod-to-pod-cross-node');
      assert.deepEqual(cross.map((c) => `${c.from}→${c.to}`).sort(), ['node1→node2', 'node2→node1', 'node2→node3', 'node3→node2']);
      for (const cell of cross) {
        assert.deepEqual(cell.causes, ["node2's iptables FORWARD policy is DROP and no rule accepts the pod CIDR 10.244.0.0/16"]);
      }
      await assertNoProbeLeft(report.probeId);
      assert.equal(podnet('apply', file).code, 0, 'apply puts the jump to PODNET-FORWARD back');
      const again = verifyJson(file);
      assert.equal(again.code, 0, 'the policy is still DROP, but podnet accepts pod traffic: ' + JSON.stringify(again.report.checks.filter((c) => c.status !== 'passed')));
    } finally {
      await onNode('node2', 'iptables', '-P', 'FORWARD', 'ACCEPT');
    }
  });

  test("node2's bridge MTU lowered to 1400: the DF check into node2 fails naming the bridge MTU; apply restores it", async () => {
    const doc = parse(readFileSync(file, 'utf8')) as { bridge?: Record<string, unknown> };
    doc.bridge = { ...(doc.bridge ?? {}), mtu: 1500 };
    const withMtu = join(tmp, 'cluster-mtu.yaml');
    writeFileSync(withMtu, stringify(doc));
    assert.equal(podnet('apply', withMtu).code, 0);

    await onNode('node2', 'ip', 'link', 'set', 'dev', 'v-net-0', 'mtu', '1400');
    const { code, report } = verifyJson(withMtu);
    assert.equal(code, 1);
    const mtu = failedCells(report, 'mtu');
    assert.deepEqual(mtu.map((c) => `${c.from}→${c.to}`), ['node1→node2', 'node3→node2']);
    for (const cell of mtu) assert.equal(cell.causes[0], 'bridge v-net-0 on node2 has MTU 1400, below the configured 1500');
    const detail = report.checks.find((c) => c.id === 'mtu')?.cells.find((c) => c.status === 'fail')?.detail ?? '';
    assert.match(detail, /mtu = 1400/);
    assert.equal(report.checks.find((c) => c.id === 'pod-to-pod-cross-node')?.status, 'passed', 'small packets still cross');
    await assertNoProbeLeft(report.probeId);

    assert.equal(podnet('apply', withMtu).code, 0);
    assert.match(await onNode('node2', 'ip', '-o', 'link', 'show', 'dev', 'v-net-0'), / mtu 1500 /);
    const again = verifyJson(withMtu);
    assert.equal(again.code, 0, JSON.stringify(again.report.checks.filter((c) => c.status !== 'passed')));
  });

  test('egress.masquerade on: pods reach an address outside the pod CIDR, pod-to-pod stays untranslated; off: egress fails naming the missing rule', async () => {
    // The lab switch's own address: a lab namespace outside the pod CIDR with no route back to it,
    // so only masqueraded traffic gets a reply. The lab's cluster.yaml names it as egress.verifyTarget.
    const target = '192.168.1.1';
    const doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(doc.egress, { masquerade: false, verifyTarget: target }, 'the lab writes its egress target');
    doc.egress = { masquerade: true, verifyTarget: target };
    const withEgress = join(tmp, 'cluster-egress.yaml');
    writeFileSync(withEgress, stringify(doc));
    const apply = podnet('apply', withEgress);
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);

    // No --egress-target: the lab's verifyTarget is used.
    const r = podnet('verify', withEgress, '--output', 'json');
    const report = JSON.parse(r.stdout) as VerifyReport;
    assert.equal(r.code, 0, JSON.stringify(report.checks.filter((c) => c.status !== 'passed')));
    assert.equal(report.egressTarget, target);
    const egress = report.checks.find((c) => c.id === 'egress');
    assert.deepEqual(egress?.cells.map((c) => [c.from, c.to, c.status]), NODES.map((n) => [n, target, 'pass']));
    assert.equal(report.checks.find((c) => c.id === 'source-address')?.status, 'passed', 'pod-to-pod traffic is not translated');
    await assertNoProbeLeft(report.probeId);

    doc.egress = { masquerade: true };
    const withoutTarget = join(tmp, 'cluster-egress-no-target.yaml');
    writeFileSync(withoutTarget, stringify(doc));
    const noTarget = verifyJson(withoutTarget);
    assert.equal(noTarget.code, 1, 'a requested check that did not run is not a pass');
    const notRun = noTarget.report.checks.find((c) => c.id === 'egress');
    assert.equal(notRun?.status, 'not-run');
    assert.equal(notRun?.cells[0]?.reason, 'no egress target: give --egress-target or egress.verifyTarget');

    assert.equal(podnet('apply', file).code, 0, 'masquerade off: the NAT rule is pruned');
    const off = podnet('verify', withEgress, '--egress-target', target, '--output', 'json');
    assert.equal(off.code, 1);
    const failed = failedCells(JSON.parse(off.stdout) as VerifyReport, 'egress');
    assert.equal(failed.length, 3);
    for (const cell of failed) assert.match(cell.causes.join('\n'), /has no MASQUERADE rule/);
  });

  test('tools missing on a node: its cells are "not run" with what to install, never a pass; socat stands in for nc', async () => {
    // Each node has its own mount namespace: /dev/null bound over a program hides it from `command -v` there only.
    const socatOnHost = spawnSync('sh', ['-c', 'command -v socat']).status === 0;
    const hidden: [string, string][] = [
      ['node1', '/usr/bin/ping'],
      ['node2', '/usr/bin/nc.openbsd'],
      ['node3', '/usr/bin/nc.openbsd'],
      ...(socatOnHost ? ([['node3', '/usr/bin/socat']] as [string, string][]) : []),
    ];
    try {
      for (const [node, program] of hidden) await onNode(node, 'mount', '--bind', '/dev/null', program);
      const { code, report } = verifyJson(file);
      assert.equal(code, 1);
      const reasons = (check: string): string[] =>
        (report.checks.find((c) => c.id === check)?.cells ?? []).filter((c) => c.status === 'not-run').map((c) => `${c.from}→${c.to}: ${c.reason ?? ''}`);
      assert.deepEqual(reasons('pod-to-pod-cross-node'), [
        'node1→node2: ping is missing on node1: install iputils-ping',
        'node1→node3: ping is missing on node1: install iputils-ping',
      ]);
      assert.equal(report.checks.find((c) => c.id === 'pod-to-pod-cross-node')?.status, 'not-run');
      assert.deepEqual(reasons('source-address'), [
        'node1→node3: node3: no listener (install netcat-openbsd or socat)',
        ...(socatOnHost ? [] : ['node1→node2: node2: no listener (install netcat-openbsd or socat)']),
        ...(socatOnHost ? [] : ['node2→node1: no TCP client on node2 (install netcat-openbsd or socat)', 'node2→node3: no TCP client on node2 (install netcat-openbsd or socat)']),
        ...(socatOnHost ? ['node2→node3: node3: no listener (install netcat-openbsd or socat)'] : []),
        'node3→node1: no TCP client on node3 (install netcat-openbsd or socat)',
        'node3→node2: no TCP client on node3 (install netcat-openbsd or socat)',
      ].sort((a, b) => a.localeCompare(b)));
      assert.ok(report.checks.every((c) => c.cells.every((cell) => cell.status !== 'fail')), 'nothing failed: what could run passed');
      if (socatOnHost) {
        const viaSocat = report.checks.find((c) => c.id === 'source-address')?.cells.filter((c) => c.from === 'node2' || c.to === 'node2');
        assert.deepEqual(viaSocat?.map((c) => `${c.from}→${c.to} ${c.status}`), ['node1→node2 pass', 'node2→node1 pass', 'node2→node3 not-run', 'node3→node2 not-run']);
        assert.match(viaSocat?.find((c) => c.from === 'node2')?.probe ?? '', /socat -u - TCP:/);
      }
      await assertNoProbeLeft(report.probeId);
    } finally {
      for (const [node, program] of hidden) await labNodeExec(lab!.name, node, ['umount', program]);
    }
  });

  test('an unreachable node: its cells are not run naming it, the others are probed and cleaned up', async () => {
    await labStopNode(lab!.name, 'node3');
    try {
      const { code, report } = verifyJson(file);
      assert.equal(code, 1);
      assert.match(report.unreachable.node3 ?? '', /./);
      const cross = report.checks.find((c) => c.id === 'pod-to-pod-cross-node')?.cells ?? [];
      assert.deepEqual(cross.filter((c) => c.status === 'pass').map((c) => `${c.from}→${c.to}`), ['node1→node2', 'node2→node1']);
      for (const cell of cross.filter((c) => c.from === 'node3' || c.to === 'node3')) {
        assert.equal(cell.status, 'not-run');
        assert.match(cell.reason ?? '', /^node3 is unreachable: /);
      }
      assert.deepEqual(report.cleanup, []);
      for (const node of ['node1', 'node2']) assert.doesNotMatch(await onNode(node, 'ip', 'netns', 'list'), /podnet-probe/);
    } finally {
      await labStartNode(lab!.name, 'node3');
    }
    assert.equal(podnet('apply', file).code, 0);
    assert.equal(verifyJson(file).code, 0);
  });

  test('SIGINT while probing: verify stops, removes its probe pods and exits 130', async () => {
    await onNode('node2', 'sysctl', '-qw', 'net.ipv4.ip_forward=0'); // failing pings keep the probe phase busy for 2-3 s
    try {
      const child = spawn(process.execPath, ['dist/src/cli/main.js', 'verify', file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let interrupted = false;
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        if (!interrupted && stderr.includes('probing on')) {
          interrupted = true;
          child.kill('SIGINT');
        }
      });
      const code = await exited;
      assert.ok(interrupted, stderr);
      assert.equal(code, 130, stderr);
      const id = /podnet-probe-([a-z0-9]+)-a/.exec(stderr)?.[1];
      assert.ok(id, `the interrupt message names the probe pods: ${stderr}`);
      assert.match(stderr, /removing probe pods on 3 node\(s\)/);
      await assertNoProbeLeft(id);
    } finally {
      await onNode('node2', 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    }
  });

  test('--limit probes only the named nodes; a bad --egress-target is a user error', async () => {
    const r = podnet('verify', file, '--limit', 'node1,node3', '--output', 'json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as VerifyReport & { execs: Record<string, number> };
    assert.deepEqual(report.nodes, ['node1', 'node3']);
    assert.deepEqual(Object.keys(report.execs).sort(), ['node1', 'node3']);
    await assertNoProbeLeft(report.probeId);
    const bad = podnet('verify', file, '--egress-target', '10.0.0.1; reboot');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--egress-target .* must be an IPv4 address/);
  });
});

describe('podnet verify in routing mode gateway (lab with a router)', { skip: requirement, timeout: 180_000 }, () => {
  let lab: LabInfo | undefined;
  let file = '';

  async function onHost(host: string, ...argv: string[]): Promise<void> {
    assert.ok(lab);
    const r = await labNodeExec(lab.name, host, argv);
    assert.equal(r.code, 0, `${host}: ${argv.join(' ')}: ${r.stderr}`);
  }

  before(async () => {
    lab = await startTestLab(3, { router: true });
    assert.ok(lab.gatewayClusterFile);
    file = lab.gatewayClusterFile;
  });

  after(() => stopTestLab(lab));

  test('passes through the router; the router forwarding off or missing a route is named; apply repairs', async () => {
    const apply = podnet('apply', file);
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    const healthy = verifyJson(file);
    assert.equal(healthy.code, 0, JSON.stringify(healthy.report.checks.filter((c) => c.status !== 'passed')));
    assert.equal(healthy.report.execs?.router, 1, 'the router is gathered once, for the diagnosis');

    await onHost('router', 'sysctl', '-qw', 'net.ipv4.ip_forward=0');
    const off = verifyJson(file);
    assert.equal(off.code, 1);
    const cross = failedCells(off.report, 'pod-to-pod-cross-node');
    assert.equal(cross.length, 6);
    for (const cell of cross) assert.match(cell.causes[0] ?? '', /^ip_forward is off on router/);
    assert.equal(podnet('apply', file).code, 0);

    await onHost('router', 'ip', 'route', 'del', '10.244.3.0/24');
    const noRoute = verifyJson(file);
    assert.equal(noRoute.code, 1);
    const toNode3 = failedCells(noRoute.report, 'pod-to-pod-cross-node').find((c) => c.from === 'node1' && c.to === 'node3');
    assert.deepEqual(toNode3?.causes, ["router has no route to node3's pods (requests): 10.244.3.0/24 via 192.168.1.13 is missing"]);
    assert.equal(podnet('apply', file).code, 0);
    assert.equal(verifyJson(file).code, 0);
  });
});
