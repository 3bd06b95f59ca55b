// What diff and apply print for hosts that were not gathered or did not converge: unreachable,
// failed and internal error each under its own name, in text, JSON, the recap and the progress.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planExitCode, problemResults, problemsJson, renderProblems } from '../../src/cli/plan-command.js';
import { createProgress } from '../../src/cli/progress.js';
import { renderRecap } from '../../src/render/recap.js';
import type { GatherResult } from '../../src/run/gather.js';
import { buildClusterState } from '../../src/plan/node-state.js';
import { parseGatherOutput } from '../../src/scripts/gather-script.js';
import { managedFilePaths } from '../../src/state/node-files.js';
import { classicCluster } from '../support/classic-cluster.js';
import { convergedNodeStdout } from '../support/gather-output.js';

const cluster = classicCluster();

const gathered: GatherResult = {
  observed: new Map([['node1', parseGatherOutput(convergedNodeStdout(cluster, 1), 'node1', '192.168.1.11', managedFilePaths(cluster))]]),
  problems: new Map([
    ['node2', { status: 'unreachable', message: 'node2 (root@192.168.1.12:22): connection refused' }],
    ['node3', { status: 'failed', message: 'gathering state failed (exit 127): sh: ip: not found' }],
    ['router', { status: 'error', message: 'refusing unsafe word in an ip step: "x;y"' }],
  ]),
};

test('diff text names each host that was not gathered by what happened to it', () => {
  assert.equal(
    renderProblems(gathered),
    [
      'node2: UNREACHABLE: node2 (root@192.168.1.12:22): connection refused',
      'node3: FAILED: gathering state failed (exit 127): sh: ip: not found',
      'router: INTERNAL ERROR: refusing unsafe word in an ip step: "x;y"',
      '',
    ].join('\n'),
  );
});

test('diff JSON keeps unreachable, failed and errors apart', () => {
  assert.deepEqual(problemsJson(gathered), {
    unreachable: { node2: 'node2 (root@192.168.1.12:22): connection refused' },
    failed: { node3: 'gathering state failed (exit 127): sh: ip: not found' },
    errors: { router: 'refusing unsafe word in an ip step: "x;y"' },
  });
});

test('diff exits 1 when any host was not gathered, whatever the reason', () => {
  const { plan } = buildClusterState(cluster, gathered.observed);
  assert.equal(planExitCode(plan, 0), 0);
  assert.equal(planExitCode(plan, 1), 1);
});

test('the recap shows an internal error as status error with its message, never as unreachable', () => {
  const recap = renderRecap(problemResults(gathered), { color: false });
  assert.match(recap, /^node2 {2}: ok=0 {2}changed=0 {2}failed=0 {2}unreachable=1 {2}unreachable$/m);
  assert.match(recap, /^node3 {2}: ok=0 {2}changed=0 {2}failed=1 {2}unreachable=0 {2}failed$/m);
  assert.match(recap, /^router : ok=0 {2}changed=0 {2}failed=0 {2}unreachable=0 {2}error$/m);
  assert.match(recap, /^ {9}internal error: refusing unsafe word in an ip step: "x;y"$/m);
});

test('the recap of a node that did not converge says so, then lists what is unmet', () => {
  const recap = renderRecap(
    [
      {
        node: 'node1',
        status: 'failed',
        changed: 3,
        ok: 1,
        unmet: [{ kind: 'link', key: 'v-net-0', action: 'create', after: { name: 'v-net-0', kind: 'bridge', alias: 'podnet', up: true }, reason: { code: 'missing' }, steps: [] }],
        error: 'applied, but the node has not converged: 1 thing(s) left after 3 re-gather(s)',
      },
    ],
    { color: false },
  );
  assert.match(recap, /^ {8}applied, but the node has not converged: 1 thing\(s\) left/m);
  assert.match(recap, /^ {8}not converged: \+ link v-net-0 \(bridge, alias podnet, up\) \(missing\)$/m);
});

test('progress lines for the convergence check and an internal error', () => {
  const written: string[] = [];
  const stream = { isTTY: false, write: (chunk: string) => written.push(chunk) } as unknown as NodeJS.WriteStream;
  const progress = createProgress(stream, ['node1'], true);
  progress.update('node1', { kind: 'checking', attempt: 2 });
  progress.update('node1', { kind: 'error', message: 'boom' });
  assert.deepEqual(written, ['node1: checking convergence (attempt 2)\n', 'node1: internal error: boom\n']);
});
