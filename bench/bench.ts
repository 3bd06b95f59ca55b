// npm run bench (root; not in CI): labs of 3, 30 and 100 nodes. For each size, RUNS interleaved
// rounds (podnet, floor, podnet, floor …) time, as fresh processes:
//   - `podnet apply --no-confirm` from scratch (before each one, `podnet destroy` and ip_forward put
//     back to 0 on every node; the apply's plan summary must equal the fresh lab's, or the bench fails),
//   - `podnet apply --confirm 60s` from scratch (what the confirm window adds),
//   - `podnet apply` of the converged lab,
//   - `podnet diff` of the converged lab,
// each followed by the floor: bench/fan-out.ts, a bare ssh2 fan-out that loads nothing of podnet
// (connect to every node at once with the same key and ProxyCommand, exec `true`).
// It prints medians with the spread (min–max), the ratio of the medians, and the pair-by-pair ratios.
//
//   node dist/bench/bench.js [SIZES…] [--runs N] [--cli PATH] [--baseline PATH] [--lab PREFIX] [--smoke]
//
// --smoke: 3 nodes, 1 round (the test run's check that the bench still works). --cli: the podnet
// CLI to time (default: this build's). --baseline: another build's dist/src/cli/main.js, timed in the
// same rounds (its own floor runs beside it): before and after side by side, interleaved.
// --lab: the lab name prefix (default `bench`; the lab of N nodes is PREFIX + N).
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { labDown, labNodeExec, labUp, type LabInfo } from '../src/lab/lab.js';

interface Options {
  sizes: number[];
  runs: number;
  cli: string;
  baseline?: string;
  lab: string;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { sizes: [], runs: 5, cli: 'dist/src/cli/main.js', lab: 'bench' };
  let smoke = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--smoke') smoke = true;
    else if (a === '--runs') opts.runs = Number(value());
    else if (a === '--cli') opts.cli = value();
    else if (a === '--baseline') opts.baseline = value();
    else if (a === '--lab') opts.lab = value();
    else if (/^\d+$/.test(a)) opts.sizes.push(Number(a));
    else throw new Error(`unknown argument ${a} (want SIZES…, --runs N, --cli PATH, --baseline PATH, --lab PREFIX, --smoke)`);
  }
  if (smoke) {
    opts.sizes = [3];
    opts.runs = 1;
  }
  if (opts.sizes.length === 0) opts.sizes = [3, 30, 100];
  if (!Number.isInteger(opts.runs) || opts.runs < 1) throw new Error('--runs wants a positive integer');
  return opts;
}

interface Run {
  ms: number;
  stdout: string;
}

const OUT = join(mkdtempSync(join(tmpdir(), 'podnet-bench-')), 'stdout');

/**
 * One fresh Node process; its exit code must be one of `ok`. Its stdout goes to a file, as a user's
 * `> plan.json` would (through a pipe, a JSON plan of 30 nodes came back cut short: the CLI exits
 * before a pipe has taken all of it).
 */
function timed(script: string, args: string[], ok: number[] = [0]): Run {
  const fd = openSync(OUT, 'w');
  const start = performance.now();
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', stdio: ['ignore', fd, 'pipe'], maxBuffer: 1 << 30 });
  const ms = performance.now() - start;
  closeSync(fd);
  const stdout = readFileSync(OUT, 'utf8');
  if (r.status === null || !ok.includes(r.status)) throw new Error(`${script} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${stdout}${r.stderr}`);
  return { ms, stdout };
}

/** The floor's one argument: every node, the key, user, port, known_hosts and ProxyCommand. */
function floorTargets(lab: LabInfo): string {
  return JSON.stringify({
    hosts: lab.nodes.map((n) => n.address),
    port: 22,
    user: 'root',
    identityFile: lab.identityFile,
    knownHostsFile: lab.knownHostsFile,
    proxyCommand: lab.proxyCommand,
  });
}

const summaryOf = (stdout: string): string => JSON.stringify((JSON.parse(stdout) as { plan: { summary: unknown } }).plan.summary);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const sec = (ms: number): string => (ms / 1000).toFixed(3);
const spread = (xs: number[], f: (x: number) => string): string => `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
/** Ratios are printed with three decimals, never rounded down: 1.2001 reads 1.201. */
const ratio = (x: number): string => `${(Math.ceil(x * 1000) / 1000).toFixed(3)}×`;

const MEASURES = [
  { key: 'scratch', label: 'apply from scratch, --no-confirm' },
  { key: 'confirm', label: 'apply from scratch, --confirm 60s' },
  { key: 'applyConverged', label: 'apply, converged' },
  { key: 'diff', label: 'diff, converged' },
] as const;
type Key = (typeof MEASURES)[number]['key'];

interface Pairs {
  podnet: number[];
  floor: number[];
}

async function benchOne(nodes: number, opts: Options): Promise<string[]> {
  const name = `${opts.lab}${nodes}`;
  await labDown(name);
  const lab = await labUp({ name, nodes, tuneKernel: true });
  try {
    const builds = [{ label: 'podnet', cli: opts.cli }, ...(opts.baseline !== undefined ? [{ label: 'baseline', cli: opts.baseline }] : [])];
    const run = (cli: string, args: string[], ok?: number[]): Run => timed(cli, [...args, lab.clusterFile, '--forks', String(nodes), '--output', 'json'], ok);
    const floor = (): number => timed('dist/bench/fan-out.js', [floorTargets(lab)]).ms;
    // What a fresh lab's apply plans: every from-scratch run must plan the same (else it did not start from scratch).
    const fresh = summaryOf(run(opts.cli, ['apply', '--check'], [2]).stdout);
    const reset = async (cli: string): Promise<void> => {
      run(cli, ['destroy']);
      // destroy leaves ip_forward as it is (other software may rely on it); a fresh node has it at 0.
      await Promise.all(lab.nodes.map((n) => labNodeExec(name, n.name, ['sh', '-c', 'echo 0 > /proc/sys/net/ipv4/ip_forward'])));
    };
    const scratch = async (cli: string, extra: string[]): Promise<number> => {
      await reset(cli);
      const r = run(cli, ['apply', ...extra]);
      const planned = summaryOf(r.stdout);
      if (planned !== fresh) throw new Error(`${nodes} nodes: a from-scratch apply planned ${planned}, a fresh lab ${fresh}: the reset left something behind`);
      return r.ms;
    };
    const pairs = builds.map(() => Object.fromEntries(MEASURES.map((m) => [m.key, { podnet: [], floor: [] }])) as unknown as Record<Key, Pairs>);
    const add = (b: number, key: Key, podnetMs: number): void => {
      pairs[b]![key].podnet.push(podnetMs);
      pairs[b]![key].floor.push(floor());
    };
    // A round that fails (a node timing out on an overloaded machine) ends the rounds of this size:
    // the rounds before it are reported (a measure missing from the last round drops its pair).
    let rounds = 0;
    try {
      for (let i = 0; i < opts.runs; i++) {
        // With a baseline, the builds take turns going first.
        const order = builds.map((_, b) => b);
        if (i % 2 === 1) order.reverse();
        for (const b of order) {
          const { cli } = builds[b]!;
          add(b, 'scratch', await scratch(cli, ['--no-confirm']));
          add(b, 'confirm', await scratch(cli, ['--confirm', '60s']));
          add(b, 'applyConverged', run(cli, ['apply']).ms);
          add(b, 'diff', run(cli, ['diff']).ms);
        }
        rounds = i + 1;
        process.stderr.write(`# ${nodes} nodes: round ${i + 1}/${opts.runs} done\n`);
      }
    } catch (err) {
      if (rounds === 0) throw err;
      const first = ((err as Error).message.split('\n')[0] ?? '').slice(0, 300);
      process.stderr.write(`# ${nodes} nodes: round ${rounds + 1} failed (${first}); reporting the ${rounds} round(s) before it\n`);
      for (const p of pairs) for (const m of MEASURES) for (const xs of [p[m.key].podnet, p[m.key].floor]) xs.length = Math.min(xs.length, rounds);
    }
    // No pod-to-pod traffic here: the neighbour tables stay far below the root namespace's limit
    // (gc_thresh3, shared by every namespace), which a full-mesh verify of 100 nodes would need raised.
    const neighbours = await Promise.all(lab.nodes.map((n) => labNodeExec(name, n.name, ['ip', 'neigh', 'show'])));
    const entries = neighbours.reduce((sum, r) => sum + r.stdout.split('\n').filter(Boolean).length, 0);
    const limit = readFileSync('/proc/sys/net/ipv4/neigh/default/gc_thresh3', 'utf8').trim();
    process.stderr.write(`# ${nodes} nodes: ${entries} neighbour entries in the nodes' namespaces (gc_thresh3: ${limit})\n`);
    return MEASURES.flatMap(({ key, label }) =>
      builds.map((build, b) => {
        const { podnet, floor: fl } = pairs[b]![key];
        const pairRatios = podnet.map((p, i) => p / fl[i]!);
        return `| ${nodes} | ${label} | ${build.label} | ${spread(podnet, sec)} | ${spread(fl, sec)} | ${ratio(median(podnet) / median(fl))} | ${spread(pairRatios, ratio)} |`;
      }),
    );
  } finally {
    await labDown(name);
  }
}

const opts = parseArgs(process.argv.slice(2));
const rows = [
  `| nodes | podnet command | build | podnet, s: median (min–max) | floor, s: median (min–max) | ratio of medians | ratio pair by pair: median (min–max) |`,
  '|---|---|---|---|---|---|---|',
];
console.log(`# podnet: ${opts.cli}${opts.baseline !== undefined ? `, baseline: ${opts.baseline}` : ''}; ${opts.runs} interleaved round${opts.runs === 1 ? '' : 's'} per size; floor: dist/bench/fan-out.js (ssh2 only)`);
for (const n of opts.sizes) {
  const lines = await benchOne(n, opts);
  rows.push(...lines);
  for (const line of lines) console.log(line);
}
console.log('\n' + rows.join('\n'));
