// npm run bench:scale (root; not in CI, except `--smoke` from test/bench/scale.test.ts): podnet end
// to end on one lab of N nodes (default 100), every step a fresh CLI process, as a user runs it:
//   lab up --tune-kernel, apply, verify (default plan), verify --full-mesh, a pod on every node,
//   a break (one route deleted on node1, forwarding off on the last node) that verify must name
//   exactly, destroy, lab down;
// each step timed (wall) with the machine's load (1-minute load average at its end) and what it
// used at its peak (neighbour entries of the whole kernel, descriptors of the podnet process,
// processes on the machine). After lab down it checks that the lab left nothing behind: no
// namespace, process, mount, file or sysctl change (bench/leftovers.ts). Exit 0 only when every step
// did what it must.
//
//   node dist/bench/scale.js [N] [--smoke] [--lab NAME] [--cli PATH]
//
// --smoke: 3 nodes. --lab: the lab's name (default `scale`). --cli: the podnet CLI (default this build's).
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import pLimit from 'p-limit';
import { labFootprint, leftovers, machineSnapshot, uptimeTicks, type LabFootprint } from './leftovers.js';
import { labNodeExec, labDown, labInfo } from '../src/lab/lab.js';
import { cellCounts, judgeBreak, type VerifyJson } from './scale-judge.js';

interface Options {
  nodes: number;
  lab: string;
  cli: string;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { nodes: 100, lab: 'scale', cli: 'dist/src/cli/main.js' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--smoke') opts.nodes = 3;
    else if (a === '--lab') opts.lab = value();
    else if (a === '--cli') opts.cli = value();
    else if (/^[0-9]+$/.test(a)) opts.nodes = Number(a);
    else throw new Error(`unknown argument ${a} (want N, --smoke, --lab NAME, --cli PATH)`);
  }
  return opts;
}

interface Peak {
  neigh: number;
  fds: number;
  procs: number;
}

interface StepResult {
  step: string;
  ms: number;
  load: string;
  peak?: Peak;
  result: string;
  ok: boolean;
}

function neighEntries(): number {
  const line = readFileSync('/proc/net/stat/arp_cache', 'utf8').split('\n')[1] ?? '';
  return parseInt(line.trim().split(/\s+/)[0] ?? '0', 16);
}

function countFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

function fdTargets(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return '';
      }
    });
  } catch {
    return [];
  }
}

function countProcs(): number {
  return readdirSync('/proc').filter((e) => /^[0-9]+$/.test(e)).length;
}

const load1 = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ')[0] ?? '?';

/** Runs the CLI with `args`, sampling the peak of what it uses every 100 ms. */
function runCli(cli: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number; peak: Peak }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const peak: Peak = { neigh: neighEntries(), fds: 0, procs: countProcs() };
    const sample = (): void => {
      peak.neigh = Math.max(peak.neigh, neighEntries());
      if (child.pid !== undefined) peak.fds = Math.max(peak.fds, countFds(child.pid));
      peak.procs = Math.max(peak.procs, countProcs());
    };
    const timer = setInterval(sample, 100);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(timer);
      resolve({
        code: code ?? (signal === null ? 1 : 128),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: performance.now() - started,
        peak,
      });
    });
  });
}

/** What to show of a failed step: verify's failed and not-run cells (the first 10), or the end of its output. */
function failureDetail(stdout: string): string {
  try {
    const report = JSON.parse(stdout) as VerifyJson;
    const cells = report.checks.flatMap((c) =>
      c.cells.filter((x) => x.status !== 'pass').map((x) => `  ${c.id} ${x.from} → ${x.to}: ${x.status}${x.causes?.[0] !== undefined ? `: ${x.causes[0]}` : ''}`),
    );
    return `${cells.slice(0, 10).join('\n')}${cells.length > 10 ? `\n  … ${cells.length - 10} more` : ''}\n`;
  } catch {
    return `${stdout.slice(-2000)}\n`;
  }
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const { nodes, lab, cli } = opts;
  const results: StepResult[] = [];
  const before = machineSnapshot();
  let footprint: LabFootprint | undefined;
  let downStarted: number | undefined;
  let file = '';
  const forks = ['--forks', String(nodes)];

  const step = async (name: string, args: string[], judge: (r: { code: number; stdout: string; stderr: string }) => string): Promise<{ code: number; stdout: string; stderr: string }> => {
    const r = await runCli(cli, args);
    let result: string;
    let ok = true;
    try {
      result = judge(r);
    } catch (err) {
      result = (err as Error).message;
      ok = false;
    }
    if (result.startsWith('FAIL')) ok = false;
    results.push({ step: name, ms: r.ms, load: load1(), peak: r.peak, result, ok });
    if (!ok) process.stderr.write(`${name}: ${result}\n${failureDetail(r.stdout)}${r.stderr.slice(-2000)}\n`);
    return r;
  };
  const verifyJudge = (r: { code: number; stdout: string; stderr: string }): string => {
    const report = JSON.parse(r.stdout) as VerifyJson;
    const c = cellCounts(report);
    const text = `exit ${r.code}: ${c.cells} cells, ${c.failed} failed, ${c.notRun} not run`;
    return r.code === 0 && c.failed === 0 ? text : `FAIL ${text}`;
  };
  const exitJudge = (r: { code: number; stderr: string }): string => (r.code === 0 ? 'exit 0' : `FAIL exit ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);

  try {
    await labDown(lab);
    const up = await step('lab up --tune-kernel', ['lab', 'up', '--nodes', String(nodes), '--name', lab, '--tune-kernel'], (r) => {
      const raised = r.stdout.split('\n').filter((l) => l.startsWith('raised ')).map((l) => l.replace(/^raised (\S+) from (\S+) to (\S+).*/, '$1 $2→$3'));
      return r.code === 0 ? `exit 0${raised.length > 0 ? `; raised ${raised.join(', ')}` : ''}` : `FAIL exit ${r.code}: ${r.stderr.trim()}`;
    });
    if (up.code !== 0) return 1;
    const info = await labInfo(lab);
    if (info === null) throw new Error('no lab.json after lab up');
    file = info.clusterFile;
    footprint = labFootprint(lab);
    // What the lab's own processes hold at rest (docs/lab.md "Kernel limits": inotify is not checked because this is 0).
    const held = footprint.processes.map((p) => fdTargets(p.pid));
    const upRow = results.at(-1);
    if (upRow !== undefined) {
      upRow.result += `; ${footprint.processes.length} lab processes, ${held.reduce((s, t) => s + t.length, 0)} open files, ${held.reduce((s, t) => s + t.filter((x) => x === 'anon_inode:inotify').length, 0)} inotify instances`;
    }

    await step('apply --no-confirm', ['apply', file, '--no-confirm', ...forks], exitJudge);
    await step('verify (default plan)', ['verify', file, '-o', 'json', ...forks], verifyJudge);
    const help = await runCli(cli, ['verify', '--help']);
    if (help.stdout.includes('--full-mesh')) {
      await step('verify --full-mesh', ['verify', file, '--full-mesh', '-o', 'json', ...forks], verifyJudge);
    } else {
      results.push({ step: 'verify --full-mesh', ms: 0, load: load1(), result: 'n/a: this build has no --full-mesh (its default is the full mesh)', ok: true });
    }

    // A pod on every node, as a user makes them: one `podnet pod add` each, a few at a time.
    const podStarted = performance.now();
    const limit = pLimit(8);
    const pods = await Promise.all(info.nodes.map((n) => limit(() => runCli(cli, ['pod', 'add', file, n.name, 'scalepod']))));
    const podFailures = pods.filter((p) => p.code !== 0);
    results.push({
      step: `pod add on every node (${nodes} processes, 8 at a time)`,
      ms: performance.now() - podStarted,
      load: load1(),
      peak: { neigh: Math.max(...pods.map((p) => p.peak.neigh)), fds: Math.max(...pods.map((p) => p.peak.fds)), procs: Math.max(...pods.map((p) => p.peak.procs)) },
      result: podFailures.length === 0 ? `${nodes} pods` : `FAIL ${podFailures.length} failed: ${podFailures[0]?.stderr.trim() ?? ''}`,
      ok: podFailures.length === 0,
    });

    // The break: node1 loses its route to node2's pods, the last node stops forwarding.
    const last = info.nodes.at(-1)?.name ?? 'node3';
    const brokenRoute = { node: 'node1', peer: 'node2', subnet: '10.244.2.0/24' };
    const del = await labNodeExec(lab, 'node1', ['ip', 'route', 'del', brokenRoute.subnet]);
    const fwd = await labNodeExec(lab, last, ['sysctl', '-qw', 'net.ipv4.ip_forward=0']);
    if (del.code !== 0 || fwd.code !== 0) throw new Error(`could not break the lab: ${del.stderr}${fwd.stderr}`);
    await step(`verify, broken (route on node1, forwarding on ${last})`, ['verify', file, '-o', 'json', ...forks], (r) => {
      const report = JSON.parse(r.stdout) as VerifyJson;
      const problems = judgeBreak(report, r.code, brokenRoute, last);
      const c = cellCounts(report);
      return problems.length === 0
        ? `exit ${r.code}: ${c.failed} failed cells, exactly the 2 causes; ${c.notRun} not run`
        : `FAIL ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5})` : ''}`;
    });

    await step('destroy', ['destroy', file, '--allow-pod-disruption', ...forks], exitJudge);
    downStarted = uptimeTicks();
    await step('lab down', ['lab', 'down', '--name', lab], (r) => {
      const restored = r.stdout.split('\n').filter((l) => l.includes(' put ') || l.includes(' left ')).length;
      return r.code === 0 ? `exit 0; ${restored} kernel change(s) put back` : `FAIL exit ${r.code}: ${r.stderr.trim()}`;
    });
  } finally {
    // Whatever failed above, the lab goes.
    await labDown(lab).catch((err: unknown) => process.stderr.write(`lab down: ${(err as Error).message}\n`));
  }

  const left = footprint === undefined ? ['the lab never came up'] : leftovers(before, footprint, downStarted ?? uptimeTicks());
  results.push({ step: 'left behind after lab down', ms: 0, load: load1(), result: left.length === 0 ? 'nothing' : `FAIL ${left.length}: ${left.slice(0, 5).join('; ')}`, ok: left.length === 0 });

  const rows = results.map((r) => [
    r.step,
    r.ms === 0 ? '' : (r.ms / 1000).toFixed(1),
    r.load,
    r.peak === undefined ? '' : `${r.peak.neigh} / ${r.peak.fds} / ${r.peak.procs}`,
    r.result,
  ]);
  process.stdout.write(
    [
      `podnet end to end on a lab of ${nodes} nodes (${new Date().toISOString()}, ${String(readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)?.length ?? '?')} CPUs)`,
      '',
      '| step | wall s | load (1 min) | peak: neighbour entries / podnet fds / processes | result |',
      '|---|---|---|---|---|',
      ...rows.map((cells) => `| ${cells.join(' | ')} |`),
      '',
    ].join('\n'),
  );
  return results.every((r) => r.ok) ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench:scale: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
