// verify's node scripts (setup, probe, cleanup): rendering and parsing of real output captured on a
// lab node. `sh -n` and shellcheck of the rendered scripts: test/scripts/shellcheck.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { iptablesGatherCommand } from '../../src/scripts/gather-iptables.js';
import { RP_FILTER_GATHER_COMMAND } from '../../src/state/rp-filter.js';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DEFAULT_CNI } from '../../src/model/types.js';
import {
  parseListenerLog,
  parseVerifyCleanupOutput,
  parseVerifyProbeOutput,
  parseVerifySetupOutput,
  PROBE_BATCH,
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

  test('the probe script runs the probes in the background, PROBE_BATCH at a time, then prints results in id order', () => {
    const script = renderVerifyProbeScript('abcd12', 'node1', PROBES, '/tmp/podnet-verify-abcd12-node1.Ab12Cd34Ef');
    assert.equal(script.match(/ &$/gm)?.length, PROBES.length);
    assert.equal(script.match(/^wait$/gm)?.length, 1);
    assert.ok(script.indexOf('\nwait\n') > script.lastIndexOf(' &'));
    const many = Array.from({ length: PROBE_BATCH * 2 + 1 }, (_, id): Probe => ({ ...PROBES[0]!, id }));
    const batched = renderVerifyProbeScript('abcd12', 'node1', many, '/tmp/podnet-verify-abcd12-node1.Ab12Cd34Ef');
    assert.equal(batched.match(/^wait$/gm)?.length, 3, 'a wait after each full batch and one at the end');
    const outcomes = parseVerifyProbeOutput(
      '@@podnet probe 0\n0\nPING 10.244.2.2 …\n1 packets transmitted, 1 received\n' +
        '@@podnet probe 1\n1\nFrom 192.168.1.12 icmp_seq=1 Frag needed and DF set (mtu = 1400)\n' +
        '@@podnet probe 2\n@@podnet end\n',
    );
    assert.equal(outcomes.get(0)?.code, 0);
    assert.equal(outcomes.get(1)?.code, 1);
    assert.match(outcomes.get(1)?.output ?? '', /Frag needed/);
    assert.equal(outcomes.get(2)?.code, null, 'a probe with no result file has no code');
    assert.equal(outcomes.has(3), false);
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
    assert.deepEqual(parseVerifyCleanupOutput('abcd12', fixture('cleanup-node1.out')), { peers: [], errors: [] });
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
  });

  test("the setup reads the firewall and rp_filter with the gather's own commands", () => {
    const script = renderVerifySetupScript(INPUT);
    assert.ok(script.includes(iptablesGatherCommand()));
    assert.ok(script.includes(RP_FILTER_GATHER_COMMAND));
  });
});
