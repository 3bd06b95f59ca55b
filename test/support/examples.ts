// The commands of the pipeline examples (examples/ci, examples/systemd), read from the files as CI
// and systemd read them — parsed, never copied — so a test can run exactly what a user would.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface ExampleCommand {
  /** Where it comes from: `github-actions.yml jobs.plan "diff"`. */
  where: string;
  /** Shell text, run as the CI system runs it (bash -eo pipefail). */
  script: string;
}

interface GithubStep {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  if?: string;
}

export interface GithubWorkflow {
  on: Record<string, unknown>;
  env?: Record<string, string>;
  jobs: Record<string, { if?: string; steps: GithubStep[]; permissions?: Record<string, string> }>;
}

export function readGithubWorkflow(file = 'examples/ci/github-actions.yml'): GithubWorkflow {
  return parse(readFileSync(file, 'utf8')) as GithubWorkflow;
}

/** The run: steps of one job, in order (steps that `uses:` an action are GitHub's, not ours to run). */
export function githubRuns(workflow: GithubWorkflow, job: string): ExampleCommand[] {
  const steps = workflow.jobs[job]?.steps ?? [];
  return steps.filter((s) => s.run !== undefined).map((s) => ({ where: `github-actions.yml jobs.${job} "${s.name ?? s.run}"`, script: s.run ?? '' }));
}

export interface GitlabJob {
  stage?: string;
  script?: string[];
  after_script?: string[];
  rules?: Record<string, unknown>[];
  artifacts?: Record<string, unknown>;
  resource_group?: string;
}

export function readGitlabCi(file = 'examples/ci/gitlab-ci.yml'): Record<string, unknown> {
  return parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** A job's script: lines, run in one shell as the runner does (it stops at the first that fails). */
export function gitlabScript(ci: Record<string, unknown>, job: string): ExampleCommand {
  const script = (ci[job] as GitlabJob | undefined)?.script ?? [];
  return { where: `gitlab-ci.yml ${job}.script`, script: script.join('\n') };
}

/** A systemd unit file as sections of key → values (a key may repeat). */
export function readUnit(file: string): Record<string, Record<string, string[]>> {
  const sections: Record<string, Record<string, string[]>> = {};
  let section: Record<string, string[]> | undefined;
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const head = /^\[(.+)\]$/.exec(line);
    if (head !== null) {
      section = sections[head[1]!] = {};
      continue;
    }
    const eq = line.indexOf('=');
    if (section === undefined || eq < 1) throw new Error(`${file}: cannot read ${JSON.stringify(line)}`);
    (section[line.slice(0, eq)] ??= []).push(line.slice(eq + 1));
  }
  return sections;
}

/**
 * The service's ExecStart= as argv, its ${VAR} expanded from `env` as systemd expands them from the
 * unit's Environment= (the test passes its own values), and the podnet binary's path replaced by `podnet`.
 */
export function unitExecStart(file: string, env: Record<string, string>, podnet: string): string[] {
  const unit = readUnit(file);
  const exec = unit['Service']?.['ExecStart'];
  if (exec?.length !== 1) throw new Error(`${file}: one ExecStart= expected`);
  const [binary, ...args] = exec[0]!.split(/\s+/);
  if (binary !== '/usr/local/bin/podnet') throw new Error(`${file}: ExecStart= runs ${binary}`);
  return [
    podnet,
    ...args.map((a) =>
      a.replace(/\$\{(\w+)\}/g, (_, name: string) => {
        const value = env[name];
        if (value === undefined) throw new Error(`${file}: \${${name}} is not set`);
        return value;
      }),
    ),
  ];
}
