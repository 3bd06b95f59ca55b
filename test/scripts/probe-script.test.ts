// verify's node scripts (setup, probe, cleanup): rendering and parsing of real output captured on a
// lab node. `sh -n` and shellcheck of the rendered scripts: test/scripts/shellcheck.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { iptablesGatherCommand } from '../../src/scripts/gather-iptables.js';
import { RP_FILTER_GATHER_COMMAND } from '../../src/state/rp-filter.js';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DEFAULT_CNI } from '../../src/model/types.js';
import {
  parseListenerLog,
  parseVerifyCleanupOutput,
  parseVerifyProbeOutput,
  parseVerifySetupOutput,
  parseVerifyProbeRun,
  parseNeighbours,
  parseArpCacheStat,
  RETRY_BACKOFF_S,
  probeCommandLine,
  probePodName,
  isProbeWorkDir,
  probeWorkDirTemplate,
  renderVerifyCleanupScript,
  setupWorkDir,
  renderVerifyProbeScript,
  renderVerifySetupScript,
  VerifyOutputError,
  type Probe,
} from '../../src/scripts/probe-script.js';

const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'verify');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const INPUT = { cni: DEFAULT_CNI, probeId: 'abcd12', node: 'node1', netConfig: '{"cniVersion":"1.0.0","name":"podnet","type":"podnet"}' };

const PROBES: Probe[] = [
  { id: 0, check: 'pod-to-pod-cross-node', from: 'node1', to: 'node2', command: { kind: 'ping', netns: 'podnet-probe-abcd12-a', target: '10.244.2.2' } },
  { id: 1, check: 'mtu', from: 'node1', to: 'node2', command: { kind: 'ping', netns: 'podnet-probe-abcd12-a', target: '10.244.2.2', dontFragmentSize: 1472, retry: true } },
  { id: 2, check: 'node-to-pod', from: 'node1', to: 'node1', command: { kind: 'ping', target: '10.244.1.2' } },
  { id: 3, check: 'source-address', from: 'node1', to: 'node2', command: { kind: 'tcp', netns: 'podnet-probe-abcd12-a', target: '10.244.2.2', port: 7946, client: 'nc' } },
  { id: 4, check: 'source-address', from: 'node1', to: 'node3', command: { kind: 'tcp', netns: 'podnet-probe-abcd12-a', target: '10.244.3.2', port: 7946, client: 'socat' } },
];

describe('verify node scripts', () => {
  test('probe pod names are fixed by the probe id; the work directory only names them in its mktemp template', () => {
    assert.equal(probePodName('abcd12', 'a'), 'podnet-probe-abcd12-a');
    assert.equal(probePodName('abcd12', 'b'), 'podnet-probe-abcd12-b');
    assert.equal(probeWorkDirTemplate('abcd12', 'node1'), '/tmp/podnet-verify-abcd12-node1.XXXXXXXXXX');
    assert.throws(() => probePodName('AB;rm', 'a'), /probe id/);
    assert.throws(() => probeWorkDirTemplate('abcd12', '../x'), /node name/);
    assert.equal(isProbeWorkDir('/tmp/podnet-verify-abcd12-node1.Ab12Cd34Ef', 'abcd12', 'node1'), true);
    assert.equal(isProbeWorkDir('/tmp/podnet-verify-abcd12-node1', 'abcd12', 'node1'), false);
    assert.equal(isProbeWorkDir('/tmp/podnet-verify-abcd12-node2.Ab12Cd34Ef', 'abcd12', 'node1'), false);
    assert.equal(isProbeWorkDir('/tmp/podnet-verify-abcd12-node1.Ab12Cd34E/', 'abcd12', 'node1'), false);
  });

  test('setup makes a fresh work directory with mktemp -d every run and reports it; probe and cleanup use only that', () => {
    const setup = renderVerifySetupScript(INPUT);
    assert.ok(!setup.includes('mkdir'), 'setup never creates (or reuses) a fixed path');
    // The setup's first lines, up to the report of the directory, run for real twice.
    const lines = setup.split('\n');
    const head = lines.slice(0, lines.findIndex((l) => l.includes('"$dir"')) + 1).join('\n');
    const made: string[] = [];
    try {
      for (let run = 0; run < 2; run++) {
        const r = spawnSync('sh', ['-c', head], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        const dir = setupWorkDir('node1', 'abcd12', r.stdout);
        assert.ok(dir !== undefined, r.stdout);
        made.push(dir);
        assert.equal(statSync(dir).mode & 0o777, 0o700);
      }
      assert.notEqual(made[0], made[1]);
    } finally {
      for (const dir of made) rmSync(dir, { recursive: true, force: true });
    }
    const dir = '/tmp/podnet-verify-abcd12-node1.Ab12Cd34Ef';
    const probe = renderVerifyProbeScript('abcd12', 'node1', PROBES, dir);
    assert.match(probe, /^dir='?\/tmp\/podnet-verify-abcd12-node1\.Ab12Cd34Ef'?; \[ -d "\$dir" \] && \[ ! -L "\$dir" \] && \[ -O "\$dir" \] \|\| exit 97$/m);
    // A directory that is not there is not made: the probe script stops.
    const r = spawnSync('sh', ['-c', probe], { encoding: 'utf8' });
    assert.equal(r.status, 97);
    assert.equal(existsSync(dir), false);
    assert.throws(() => renderVerifyProbeScript('abcd12', 'node1', PROBES, '/tmp/podnet-verify-abcd12-node1'), /not one setup made/);
    assert.throws(() => renderVerifyProbeScript('abcd12', 'node1', PROBES, ''), /not one setup made/);
    assert.match(renderVerifyCleanupScript({ ...INPUT, workDir: dir }), /^dir='?\/tmp\/podnet-verify-abcd12-node1\.Ab12Cd34Ef'?; /m);
    assert.match(renderVerifyCleanupScript(INPUT), /^dir=\$\(mktemp -d '?\/tmp\/podnet-verify-abcd12-node1\.XXXXXXXXXX'?\) \|\| exit 97$/m);
  });

  test('probe command lines: ping in a pod or on the node, DF with a size, TCP with nc or socat', () => {
    assert.deepEqual(
      PROBES.map((p) => probeCommandLine(p.command)),
      [
        'nsenter --net=/run/netns/podnet-probe-abcd12-a ping -n -c 1 -W 2 10.244.2.2',
        "nsenter --net=/run/netns/podnet-probe-abcd12-a ping -n -c 1 -w 3 -i 0.2 -M 'do' -s 1472 10.244.2.2",
        'ping -n -c 1 -W 2 10.244.1.2',
        "printf 'podnet-verify\\n' | timeout 10 nsenter --net=/run/netns/podnet-probe-abcd12-a nc -v -n -N -w 5 10.244.2.2 7946",
        "printf 'podnet-verify\\n' | timeout 10 nsenter --net=/run/netns/podnet-probe-abcd12-a socat -u - TCP:10.244.3.2:7946,connect-timeout=5",
      ],
    );
    assert.throws(() => probeCommandLine({ kind: 'ping', target: '10.0.0.1; reboot' }), /not an IPv4 address/);
  });

  test('the probe script runs for real (sh, a fake ping): at most `parallel` at once, failures retried in rounds after each backoff, every attempt timed', () => {
    const bin = mkdtempSync(join(tmpdir(), 'podnet-fake-ping-'));
    const dir = spawnSync('mktemp', ['-d', '/tmp/podnet-verify-abcd12-node1.XXXXXXXXXX'], { encoding: 'utf8' }).stdout.trim();
    try {
      // Records each call and how many ran at once; 10.244.9.9 never answers, 10.244.7.7 only from its second call on.
      writeFileSync(
        join(bin, 'ping'),
        [
          '#!/bin/sh',
          'for a; do t=$a; done',
          `d=${bin}`,
          'mkdir "$d/run.$$"; echo "$t $(ls -d "$d"/run.* | wc -l)" >>"$d/calls"',
          'sleep 0.2; rmdir "$d/run.$$"',
          'case $t in',
          '  10.244.9.9) echo "1 packets transmitted, 0 received"; exit 1 ;;',
          '  10.244.7.7) [ -f "$d/seen" ] || { : >"$d/seen"; echo "ping: sendmsg: No buffer space available"; exit 1; } ;;',
          'esac',
          'echo "1 packets transmitted, 1 received"',
          '',
        ].join('\n'),
        { mode: 0o755 },
      );
      const targets = ['10.244.2.2', '10.244.9.9', '10.244.7.7', '10.244.3.3', '10.244.4.4', '10.244.5.5'];
      const probes = targets.map((target, id): Probe => ({ id, check: 'node-to-pod', from: 'node1', to: 'node1', command: { kind: 'ping', target } }));
      const script = renderVerifyProbeScript('abcd12', 'node1', probes, dir, { parallel: 2 });
      const r = spawnSync('sh', ['-s'], { input: script, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` } });
      assert.equal(r.status, 0, r.stderr);
      const calls = readFileSync(join(bin, 'calls'), 'utf8').trim().split('\n').map((l) => l.split(' '));
      const count = (t: string): number => calls.filter(([target]) => target === t).length;
      assert.equal(count('10.244.2.2'), 1, 'a pass is not retried');
      assert.equal(count('10.244.9.9'), 1 + RETRY_BACKOFF_S.length, 'a failure is retried once per backoff');
      assert.equal(count('10.244.7.7'), 2, 'a failure that passes on retry is not retried again');
      assert.ok(Math.max(...calls.map(([, n]) => Number(n))) <= 2, `at most 2 at once: ${JSON.stringify(calls)}`);
      const run = parseVerifyProbeRun(r.stdout);
      assert.deepEqual(run.outcomes.get(1)?.attempts?.map((a) => a.code), [1, 1, 1]);
      assert.deepEqual(run.outcomes.get(2)?.attempts?.map((a) => a.code), [1, 0]);
      assert.match(run.outcomes.get(2)?.attempts?.[0]?.output ?? '', /No buffer space/);
      assert.equal(run.outcomes.get(0)?.code, 0);
      const first = run.outcomes.get(0)?.attempts?.[0];
      assert.ok(first && first.duration >= 0.1 && first.duration < 5, `timed: ${JSON.stringify(first)}`);
      assert.ok(run.neighbours !== undefined || spawnSync('ip', ['-j', 'neigh', 'show']).status !== 0, 'the neighbour table comes back');
    } finally {
      rmSync(bin, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('probe output: attempts per round with their timing; neighbour entries and arp_cache counters', () => {
    const run = parseVerifyProbeRun(
      [
        '@@podnet neigh',
        '[{"dst":"192.168.1.12","dev":"eth0","lladdr":"aa:bb:cc:dd:ee:ff","state":["REACHABLE"]},{"dst":"192.168.1.13","dev":"eth0","state":["FAILED"]}]',
        '@@podnet arp-cache',
        'entries  allocs   destroys hash_grows lookups  hits     res_failed rcv_probes_mcast rcv_probes_ucast periodic_gc_runs forced_gc_runs unresolved_discards table_fulls',
        '00000400 00004061 00004148 00000003   0001681a 0000594b 00000081   00000000         00000000         00000000         00000000       00000000            0000000a',
        '00000400 00004038 00003f3c 00000003   0001608f 00005959 0000008a   00000000         00000000         0000082b         00000000       00000000            00000003',
        '@@podnet gc-thresh3',
        '1024',
        '@@podnet overflow-logs',
        '2',
        '@@podnet probe 0 1',
        '0 1000 1001 1005',
        '1 packets transmitted, 1 received',
        '@@podnet probe 1 2',
        '1 2000 2350 2700',
        'From 192.168.1.12 icmp_seq=1 Frag needed and DF set (mtu = 1400)',
        '@@podnet probe 1 1',
        '1 1000 1000 1300',
        'no reply',
        '@@podnet probe 2 1',
        '@@podnet end',
        '',
      ].join('\n'),
    );
    assert.deepEqual(run.outcomes.get(0), { code: 0, output: '1 packets transmitted, 1 received', attempts: [{ code: 0, output: '1 packets transmitted, 1 received', startDelay: 0.01, duration: 0.04 }] });
    assert.deepEqual(run.outcomes.get(1)?.attempts?.map((a) => [a.code, a.startDelay, a.duration]), [[1, 0, 3], [1, 3.5, 3.5]], 'rounds in order');
    assert.match(run.outcomes.get(1)?.output ?? '', /Frag needed/, 'the last attempt is the outcome');
    assert.equal(run.outcomes.get(2)?.code, null, 'a probe with no result has no code');
    assert.equal(run.outcomes.has(3), false);
    assert.deepEqual(run.neighbour, { entries: 1024, tableFulls: 13, gcThresh3: 1024, overflowLogs: 2 });
    assert.deepEqual(run.neighbours, [
      { dst: '192.168.1.12', dev: 'eth0', state: ['REACHABLE'] },
      { dst: '192.168.1.13', dev: 'eth0', state: ['FAILED'] },
    ]);
    assert.deepEqual(parseVerifyProbeOutput('@@podnet end\n'), new Map());
    assert.equal(parseNeighbours('not json'), undefined);
    assert.equal(parseArpCacheStat('entries table_fulls\n'), undefined);
  });

  test('setup output of a real node: tools, both pods with address and MTU, listener, chains, rp_filter', () => {
    const setup = parseVerifySetupOutput('node1', 'abcd12', fixture('setup-node1.out'));
    assert.deepEqual(setup.tools, { ping: true, pingIputils: true, ncOpenbsd: true, socat: false, timeout: true, iptables: true });
    assert.deepEqual(setup.pods.a, { pod: 'podnet-probe-abcd12-a', address: '10.244.1.12', mtu: 1500 });
    assert.deepEqual(setup.pods.b, { pod: 'podnet-probe-abcd12-b', address: '10.244.1.13', mtu: 1500 });
    assert.deepEqual(setup.listener, { program: 'nc' });
    assert.equal(setup.firewall?.available, true);
    const firewall = setup.firewall?.available ? setup.firewall : undefined;
    assert.deepEqual(firewall?.chains.find((c) => c.table === 'filter' && c.name === 'FORWARD'), { table: 'filter', name: 'FORWARD', policy: 'ACCEPT' });
    assert.deepEqual(
      firewall?.rules.filter((r) => r.chain === 'FORWARD'),
      [{ table: 'filter', chain: 'FORWARD', args: ['-m', 'comment', '--comment', 'podnet', '-j', 'PODNET-FORWARD'] }],
    );
    assert.deepEqual(firewall?.rules.filter((r) => r.table === 'nat'), []);
    assert.equal(setup.rpFilter?.all, 0);
    assert.equal(setup.rpFilter?.['v-net-0'], 0);
  });

  test('setup output: the plugin missing, no listener tools, or a cut-off output', () => {
    const output = [
      '@@podnet tools',
      'ping',
      '@@podnet add a',
      '90',
      '',
      '@@podnet add-stderr a',
      '/opt/cni/bin/podnet',
      '@@podnet pod-mtu a',
      '@@podnet add b',
      '90',
      '@@podnet add-stderr b',
      '/opt/cni/bin/podnet',
      '@@podnet listener',
      'none',
      '@@podnet iptables',
      '@@podnet rp_filter',
      '@@podnet end',
    ].join('\n');
    const setup = parseVerifySetupOutput('node1', 'abcd12', output);
    assert.match(setup.pods.a?.error ?? '', /plugin is not deployed \(\/opt\/cni\/bin\/podnet missing\): run podnet apply first/);
    assert.equal(setup.pods.a?.address, undefined);
    assert.deepEqual(setup.listener, { error: 'no probe pod to listen in' });
    assert.equal(setup.firewall?.available, false, 'no iptables output: unknown, not ACCEPT');
    assert.equal(setup.rpFilter, undefined);
    assert.equal(setup.tools.ncOpenbsd, false);
    assert.throws(() => parseVerifySetupOutput('node1', 'abcd12', '@@podnet tools\nping\n'), VerifyOutputError);
  });

  test('listener logs of OpenBSD nc and socat give the peer addresses', () => {
    assert.deepEqual(
      parseListenerLog(
        'Listening on 0.0.0.0 7946\nConnection received on 10.244.2.5 40312\nConnection received on 192.168.1.13 51234\n' +
          '2026/11/28 14:00:00 socat[12] N accepting connection from AF=2 10.244.3.9:41000 on AF=2 10.244.1.2:7946\n' +
          'Connection from 10.244.4.4 port 7946 [tcp/*] accepted\n',
      ),
      ['10.244.2.5', '192.168.1.13', '10.244.3.9', '10.244.4.4'],
    );
  });

  test('cleanup output: peers from the log, both pods gone; a failed DEL or a namespace left is a problem', () => {
    assert.deepEqual(parseVerifyCleanupOutput('abcd12', fixture('cleanup-node1.out')), { peers: [], errors: [], listenerEnded: false });
    const bad = [
      '@@podnet listen-log',
      'Connection received on 10.244.2.5 40312',
      '@@podnet del a',
      '93',
      '{"cniVersion":"1.0.0","code":100,"msg":"ip failed"}',
      '@@podnet del-stderr a',
      '@@podnet left a',
      'left',
      '@@podnet del b',
      '90',
      '@@podnet del-stderr b',
      '/opt/cni/bin/podnet',
      '@@podnet left b',
      '@@podnet end',
    ].join('\n');
    const cleanup = parseVerifyCleanupOutput('abcd12', bad);
    assert.deepEqual(cleanup.peers, ['10.244.2.5']);
    assert.deepEqual(cleanup.errors, ['podnet-probe-abcd12-a: the CNI plugin failed with code 100: ip failed']);
    assert.equal(cleanup.listenerEnded, false);
    const ended = parseVerifyCleanupOutput('abcd12', bad.replace('@@podnet del a', '@@podnet listener-alive\nended\n@@podnet del a'));
    assert.equal(ended.listenerEnded, true);
    const alive = parseVerifyCleanupOutput('abcd12', bad.replace('@@podnet del a', '@@podnet listener-alive\nalive\n@@podnet del a'));
    assert.equal(alive.listenerEnded, false);
  });

  test('cleanup asks whether the listener is still up before it ends it', () => {
    const script = renderVerifyCleanupScript(INPUT);
    const alive = script.indexOf('kill -0');
    assert.ok(alive > 0 && alive < script.indexOf('kill "$(cat'), script);
  });

  test("the setup reads the firewall and rp_filter with the gather's own commands", () => {
    const script = renderVerifySetupScript(INPUT);
    assert.ok(script.includes(iptablesGatherCommand()));
    assert.ok(script.includes(RP_FILTER_GATHER_COMMAND));
  });
});
