// The pipeline examples (examples/ci/github-actions.yml, examples/ci/gitlab-ci.yml,
// examples/systemd/podnet-drift.service + .timer): their shape (unit tests), and their exact
// commands — read from the files, not copied — run against a 3-node lab: the plan on a pull request
// (exit 2 is a good plan), apply and verify on merge, the drift check passing, then failing with
// exit 3 once a route is deleted by hand on a node. Needs root for the lab part.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { labDown, labNodeExec, labUp, type LabInfo } from '../../src/lab/lab.js';
import { needs } from '../support/needs.js';
import { parseXml } from '../support/xml.js';
import { githubRuns, gitlabScript, readGithubWorkflow, readGitlabCi, readUnit, unitExecStart, type ExampleCommand, type GitlabJob } from '../support/examples.js';

const SERVICE = 'examples/systemd/podnet-drift.service';
const TIMER = 'examples/systemd/podnet-drift.timer';

describe('the pipeline examples, as files', () => {
  test('GitHub Actions: plan on pull requests (a sticky comment), apply and verify on a push to main, a scheduled drift check', () => {
    const wf = readGithubWorkflow();
    assert.deepEqual(Object.keys(wf.on).sort(), ['pull_request', 'push', 'schedule', 'workflow_dispatch']);
    assert.deepEqual((wf.on['push'] as { branches: string[] }).branches, ['main']);
    assert.deepEqual(Object.keys(wf.jobs), ['plan', 'apply', 'drift']);
    const plan = wf.jobs['plan']!;
    assert.match(plan.if ?? '', /pull_request/);
    assert.equal(plan.permissions?.['pull-requests'], 'write');
    const comment = plan.steps.find((s) => s.uses?.startsWith('marocchino/sticky-pull-request-comment@') === true);
    assert.deepEqual(comment?.with, { header: 'podnet', path: 'podnet-plan.md' }, 'one sticky comment, updated in place');
    assert.equal(comment?.if, 'always()');
    assert.match(githubRuns(wf, 'plan').map((c) => c.script).join('\n'), /podnet diff "\$PODNET_CLUSTER" -o markdown > podnet-plan\.md/);
    assert.match(githubRuns(wf, 'apply').map((c) => c.script).join('\n'), /podnet verify "\$PODNET_CLUSTER" --junit podnet-verify\.xml/);
    assert.match(githubRuns(wf, 'drift').map((c) => c.script).join('\n'), /podnet diff "\$PODNET_CLUSTER" --fail-on-drift/);
    for (const job of Object.keys(wf.jobs)) {
      for (const c of githubRuns(wf, job)) assert.doesNotMatch(c.script, /\$\{\{/, `${c.where}: no expressions in run: (the test runs them as written)`);
    }
  });

  test('GitLab CI: the same three jobs, a note per merge request, the verify JUnit as a test report', () => {
    const ci = readGitlabCi();
    const job = (name: string): GitlabJob => ci[name] as GitlabJob;
    assert.deepEqual(ci['stages'], ['plan', 'apply', 'drift']);
    assert.match(JSON.stringify(job('podnet-plan').rules), /merge_request_event/);
    assert.match(job('podnet-plan').after_script?.join('\n') ?? '', /<!-- podnet plan -->/);
    assert.match(JSON.stringify(job('podnet-apply').rules), /CI_DEFAULT_BRANCH/);
    assert.deepEqual((job('podnet-apply').artifacts?.['reports'] as Record<string, string>)['junit'], 'podnet-verify.xml');
    assert.deepEqual(job('podnet-drift').rules, [{ if: '$CI_PIPELINE_SOURCE == "schedule"' }]);
    assert.match(gitlabScript(ci, 'podnet-drift').script, /--fail-on-drift/);
    assert.equal(job('podnet-apply').resource_group, job('podnet-drift').resource_group, 'apply and the drift check never run at once');
  });

  test('systemd: a oneshot service running the drift check, started hourly by its timer', () => {
    const service = readUnit(SERVICE);
    assert.deepEqual(service['Service']?.['Type'], ['oneshot']);
    assert.deepEqual(unitExecStart(SERVICE, { PODNET_CLUSTER: '/etc/podnet/cluster.yaml' }, 'podnet'), ['podnet', 'diff', '/etc/podnet/cluster.yaml', '--fail-on-drift']);
    assert.deepEqual(service['Service']?.['Environment'], ['PODNET_CLUSTER=/etc/podnet/cluster.yaml']);
    const timer = readUnit(TIMER);
    assert.deepEqual(timer['Timer']?.['OnCalendar'], ['hourly']);
    assert.deepEqual(timer['Timer']?.['Unit'], ['podnet-drift.service']);
    assert.deepEqual(timer['Install']?.['WantedBy'], ['timers.target']);
  });
});

const requirement = needs('root', 'netns', 'sshd', 'iptables');

describe('the pipeline examples, run against a lab', { skip: requirement, timeout: 300_000 }, () => {
  const name = `md${randomBytes(3).toString('hex')}`;
  let lab: LabInfo;
  let tmp: string;
  let env: Record<string, string>;
  let podnet: string;

  before(async () => {
    lab = await labUp({ name, nodes: 3 });
    tmp = mkdtempSync(join(tmpdir(), 'podnet-examples-'));
    // `podnet` on the PATH, as the runner and the controller have it: this build.
    const bin = join(tmp, 'bin');
    mkdirSync(bin);
    podnet = join(bin, 'podnet');
    writeFileSync(podnet, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(resolve('dist/src/cli/main.js'))} "$@"\n`);
    chmodSync(podnet, 0o755);
    env = {
      ...(process.env as Record<string, string>),
      PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
      PODNET_CLUSTER: lab.clusterFile,
      GITHUB_STEP_SUMMARY: join(tmp, 'step-summary.md'),
    };
  });

  after(async () => {
    await labDown(name);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** Runs an example's commands as GitHub and GitLab run them (bash -eo pipefail), in a job directory of their own. */
  function run(command: ExampleCommand, job: string): { code: number | null; stdout: string; stderr: string } {
    const cwd = join(tmp, job);
    mkdirSync(cwd, { recursive: true });
    const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', command.script], { cwd, env, encoding: 'utf8', timeout: 120_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  function runAll(commands: ExampleCommand[], job: string, expected: number): string {
    let last = '';
    for (const command of commands) {
      const r = run(command, job);
      const want = command === commands[commands.length - 1] ? expected : 0;
      assert.equal(r.code, want, `${command.where}: exit ${r.code}, want ${want}\n${r.stdout}\n${r.stderr}`);
      last = r.stdout;
    }
    return last;
  }

  test('pull request, merge, drift check: every run:, script: and ExecStart= as written', async () => {
    const wf = readGithubWorkflow();
    const ci = readGitlabCi();
    const unitEnv = { PODNET_CLUSTER: lab.clusterFile };
    const systemd = (): { code: number | null; stdout: string } => {
      const [program, ...args] = unitExecStart(SERVICE, unitEnv, podnet);
      const r = spawnSync(program!, args, { env, encoding: 'utf8', timeout: 120_000 });
      return { code: r.status, stdout: r.stdout };
    };

    // A pull request on a fresh cluster: the plan has changes (exit 2), which the step accepts.
    runAll(githubRuns(wf, 'plan'), 'gh-plan', 0);
    const comment = readFileSync(join(tmp, 'gh-plan', 'podnet-plan.md'), 'utf8');
    assert.match(comment, /^📝 \*\*podnet diff\*\* .*Plan: \d+ to add/);
    assert.equal(readFileSync(env['GITHUB_STEP_SUMMARY']!, 'utf8'), comment, 'the comment is also the job summary');
    runAll([gitlabScript(ci, 'podnet-plan')], 'gl-plan', 0);
    assert.equal(readFileSync(join(tmp, 'gl-plan', 'podnet-plan.md'), 'utf8'), comment, 'byte-stable: the same plan, the same comment');

    // The merge: apply (its Markdown recap in the summary), verify with JUnit.
    runAll(githubRuns(wf, 'apply'), 'gh-apply', 0);
    assert.match(readFileSync(env['GITHUB_STEP_SUMMARY']!, 'utf8'), /^✅ \*\*podnet apply\*\* .*: 3 of 3 nodes converged\./m);
    const junit = parseXml(readFileSync(join(tmp, 'gh-apply', 'podnet-verify.xml'), 'utf8'));
    assert.equal(junit.attributes['failures'], '0');
    assert.ok(Number(junit.attributes['tests']) > 3);
    runAll([gitlabScript(ci, 'podnet-apply')], 'gl-apply', 0);
    assert.ok(existsSync(join(tmp, 'gl-apply', 'podnet-verify.xml')));

    // The drift checks pass on a cluster as podnet left it.
    runAll(githubRuns(wf, 'drift'), 'gh-drift', 0);
    runAll([gitlabScript(ci, 'podnet-drift')], 'gl-drift', 0);
    assert.equal(systemd().code, 0);

    // Someone deletes a route on node1: each drift check fails with exit 3 and says so.
    const del = await labNodeExec(name, 'node1', ['ip', 'route', 'del', '10.244.2.0/24', 'proto', '201']);
    assert.equal(del.code, 0, del.stderr);
    runAll(githubRuns(wf, 'drift'), 'gh-drift', 3);
    const drift = readFileSync(join(tmp, 'gh-drift', 'podnet-drift.md'), 'utf8');
    assert.match(drift, /^❌|^📝/);
    assert.match(drift, /Drift: 1 object changed outside of podnet\./);
    assert.match(drift, /### Drift: objects changed outside of podnet\n[^]*<summary>node1: 1 drifted object<\/summary>\n\n- `\+` route 10\.244\.2\.0\/24 via 192\.168\.1\.12/);
    runAll([gitlabScript(ci, 'podnet-drift')], 'gl-drift', 3);
    const unit = systemd();
    assert.equal(unit.code, 3, unit.stdout);
  });
});
