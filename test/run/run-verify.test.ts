// runVerify over a scripted transport (no node, no root): what the nodes print flows into the
// cells as issue 13 asks. An on-time failure is a failure and names the neighbour table the node
// showed full; a probe the node ran late, and a probe exec past its deadline, are "not run" for
// local overload, never failures; the exit status is still 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCluster } from '../../src/cli/read-cluster.js';
import { runVerify } from '../../src/run/run-verify.js';
import { verifyExitCode } from '../../src/render/verify-render.js';
import { SshError } from '../../src/run/ssh/errors.js';
import { FakeTransport, ok, type FakeReply } from '../support/fake-transport.js';
import { convergedNodeStdout } from '../support/gather-output.js';

const FILE = 'examples/seed-3-nodes/cluster.yaml';
const SETUP = readFileSync(join('test', 'fixtures', 'verify', 'setup-node1.out'), 'utf8');
const ARP_HEADER = 'entries  allocs   destroys hash_grows lookups  hits     res_failed rcv_probes_mcast rcv_probes_ucast periodic_gc_runs forced_gc_runs unresolved_discards table_fulls';
const arpCache = (fulls: number): string => `${ARP_HEADER}\n00000400 00004061 00004148 00000003 0001681a 0000594b 00000081 00000000 00000000 00000000 00000000 00000000 ${fulls.toString(16).padStart(8, '0')}`;
const snapshot = (fulls: number): string => ['@@podnet arp-cache', arpCache(fulls), '@@podnet gc-thresh3', '1024', '@@podnet overflow-logs', '0'].join('\n');
const workDir = (n: number): string => `/tmp/podnet-verify-abcd12-node${String(n)}.Ab12Cd34Ef`;

function setupStdout(n: number): string {
  const body = SETUP.replaceAll('10.244.1.12/', `10.244.${String(n)}.12/`).replaceAll('10.244.1.13/', `10.244.${String(n)}.13/`).replaceAll('10.244.1.1"', `10.244.${String(n)}.1"`);
  return `@@podnet workdir\n${workDir(n)}\n${body.replace('@@podnet end', `${snapshot(0)}\n@@podnet end`)}`;
}

/** The probe exec's answer: every probe passes at once, unless `attempts` says otherwise for its command line. */
function probeStdout(script: string, fulls: number, attempts: (line: string) => string[] | undefined): string {
  const out = ['@@podnet neigh', '[]', snapshot(fulls)];
  for (const m of script.matchAll(/^p(\d+)\(\) \{ (.*); \}$/gm)) {
    const rounds = attempts(m[2] ?? '') ?? ['0 100 100 101\n1 packets transmitted, 1 received'];
    rounds.forEach((body, i) => out.push(`@@podnet probe ${m[1] ?? ''} ${String(i + 1)}`, body));
  }
  return [...out, '@@podnet end', ''].join('\n');
}

const cleanupStdout = (n: number): string =>
  [
    '@@podnet listen-log',
    ...[1, 2, 3].filter((m) => m !== n).map((m) => `Connection received on 10.244.${String(m)}.12 40000`),
    '@@podnet del a',
    '0',
    '@@podnet del-stderr a',
    '@@podnet left a',
    '@@podnet del b',
    '0',
    '@@podnet del-stderr b',
    '@@podnet left b',
    '@@podnet end',
    '',
  ].join('\n');

test('runVerify: an on-time failure names the full neighbour table; a late probe and a probe exec past its deadline are not run for overload', async () => {
  const cluster = readCluster(FILE);
  const host = (n: number, probe: (script: string) => FakeReply) => ({
    replies: (command: string): FakeReply => {
      if (command.includes('@@podnet tools')) return ok(setupStdout(n));
      if (command.includes('mkfifo')) return probe(command);
      if (command.includes('@@podnet listen-log')) return ok(cleanupStdout(n));
      return ok(convergedNodeStdout(cluster, n));
    },
  });
  const fake = new FakeTransport({
    // node1 → node2 is lost every time, on time; node1 → node3 fails only in attempts the node started late.
    node1: host(1, (script) =>
      ok(
        probeStdout(script, 0, (line) =>
          /-w 3 -i 0\.2 10\.244\.2\.12$/.test(line)
            ? ['1 100 100 400\n1 packets transmitted, 0 received', '1 600 600 900\n1 packets transmitted, 0 received', '1 1100 1100 1400\n1 packets transmitted, 0 received']
            : /-w 3 -i 0\.2 10\.244\.3\.12$/.test(line)
              ? ['1 100 600 900\n1 packets transmitted, 0 received', '1 1000 1000 1950\n1 packets transmitted, 0 received', '1 2000 2300 2600\n1 packets transmitted, 0 received']
              : undefined,
        ),
      ),
    ),
    // node2's kernel refused neighbour entries during the run (table_fulls 0 → 42).
    node2: host(2, (script) => ok(probeStdout(script, 42, () => undefined))),
    node3: host(3, () => ({ throws: new SshError('timeout', 'node3', 'node3 (192.168.1.13:22): unreachable: no result after 120 s, the exec deadline (ssh.execTimeout, --exec-timeout 120 s); last heard from at 18:00:00') })),
  });
  const report = await runVerify(cluster, cluster.nodes, fake, { forks: 10, probeId: 'abcd12', hooks: {}, cpus: 2 });
  const cell = (check: string, from: string, to: string) => report.checks.find((c) => c.id === check)?.cells.find((c) => c.from === from && c.to === to);

  const lost = cell('pod-to-pod-cross-node', 'node1', 'node2');
  assert.equal(lost?.status, 'fail');
  assert.equal(lost?.attempts, 3);
  assert.match(lost?.causes?.[0] ?? '', /^the neighbour \(ARP\) table of node2's kernel was full during the run: arp_cache table_fulls rose by 42 \(1024 entries, gc_thresh3 1024\)/);

  const late = cell('pod-to-pod-cross-node', 'node1', 'node3');
  assert.equal(late?.status, 'not-run');
  assert.equal(late?.reason, 'the prober on node1 was overloaded (each of 3 attempt(s) started 5.0 s late, ran 9.5 s for a 3 s deadline, started 3.0 s late): local load, not a network fault; run verify again, with a lower --forks');

  for (const check of report.checks) {
    for (const c of check.cells.filter((x) => x.from === 'node3')) {
      assert.equal(c.status, 'not-run', `${check.id} ${c.from}→${c.to}`);
      assert.match(c.reason ?? '', /^the probes on node3 did not run: they did not finish before the exec deadline, the prober was overloaded \(local load, not a network fault;/);
    }
  }
  assert.equal(cell('pod-to-pod-cross-node', 'node2', 'node1')?.status, 'pass');
  assert.equal(report.plan, 'sample');
  assert.equal(verifyExitCode(report), 1, 'not run is not a pass');
  assert.deepEqual(report.cleanup, []);
});
