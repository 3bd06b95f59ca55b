// npm run bench:cni (root): podnet's CNI plugin side by side with the reference, Debian's
// containernetworking-plugins (/usr/lib/cni/bridge + host-local), on the same bridge setup.
//
// Everything happens in namespaces of its own, named pnbench-<random>-…: one node namespace
// holding the bridge v-net-0 with the gateway 10.244.1.1/24, and one namespace per pod. The
// plugins are started the way a runtime starts them (environment + config on stdin) by a driver,
// a node process running inside the node namespace (`ip netns exec NODE node cni.js --driver`),
// which times each call from spawn to exit: no `ip netns exec` or nsenter is in the figures.
// Both plugins share one host-local style store (they are meant to: see
// test/cni/reference-side-by-side.test.ts).
//
// A run: PODS pods ADDed one after the other, then DELeted one after the other; for each pod the
// plugins take turns, and who goes first alternates from pod to pod (interleaved). RUNS runs.
// Container ids are 64 hex digits, as runtimes make them; DEL's configuration carries the ADD's
// result as prevResult, as libcni sends it.
// A third row, the floor, does the kernel work of podnet's ADD with bare ip processes (the same
// two ip -batch, node side and pod side, no shell, store or lock) and DEL's one ip link del: what
// no plugin built on ip can go below while it waits for ip to return. podnet's DEL does not wait
// for that: it answers once the veth has left the node (unregistered, its names free) and lets ip
// return on its own while the kernel frees the device (docs/cni.md), so its DEL can be below the
// floor's.
// Printed per plugin: ADD and DEL medians over every call, their spread (p10–p90 of the calls
// and the range of the per-run medians), the ratio podnet / reference of the medians and pair by
// pair (each pod's call against the reference's call of the same pod, taken right before or after
// it: median and p10–p90 of those ratios, which a shared machine's load swings blur less), the distance
// to the floor, and the
// processes each plugin starts per ADD and DEL (strace -f -z: execve that succeed and fork/clone
// without CLONE_THREAD, the plugin's own process excluded).
//
// Usage: node dist/bench/cni.js [--pods N] [--runs N] [--smoke] [--before RENDER_PLUGIN_JS]
//   --smoke      3 pods, 1 run (what the test suite runs)
//   --before F   also time the plugin rendered by another build's dist/src/cni/render-plugin.js
//                (e.g. main's, built elsewhere): the before/after figures in one run
// Exit status: 0 done, 1 a plugin call failed or a check did not hold, 2 bad usage / not root.
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { renderPlugin, type PluginConstants } from '../src/cni/render-plugin.js';

const REFERENCE_BRIDGE = '/usr/lib/cni/bridge';
const NET = 'podnet';
const BRIDGE = 'v-net-0';
const SUBNET = '10.244.1.0/24';
const GATEWAY = '10.244.1.1';
const MTU = 1500;
const PLUGIN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Processes to run one after the other (stopping at the first failure), timed together. */
interface Request {
  steps: Array<{ argv: string[]; stdin: string }>;
  env: Record<string, string>;
}
interface Reply {
  status: number;
  stdout: string;
  stderr: string;
  ms: number;
}

// ───────────── the driver: runs inside the node namespace, times each plugin call ─────────────
function driver(): void {
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const req = JSON.parse(line) as Request;
    const started = process.hrtime.bigint();
    let stdout = '';
    let stderr = '';
    const reply = (status: number): void => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      process.stdout.write(JSON.stringify({ status, stdout, stderr, ms } satisfies Reply) + '\n');
    };
    const step = (k: number): void => {
      const { argv, stdin } = req.steps[k]!;
      const child = spawn(argv[0]!, argv.slice(1), { env: req.env, stdio: ['pipe', 'pipe', 'pipe'] });
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('close', (status) => (status === 0 && k + 1 < req.steps.length ? step(k + 1) : reply(status ?? -1)));
      child.on('error', (e) => {
        stderr += String(e);
        reply(-1);
      });
      child.stdin.on('error', () => undefined); // a plugin that exits before reading its config
      child.stdin.end(stdin);
    };
    step(0);
  });
}

// ───────────── the bench ─────────────
interface Options {
  pods: number;
  runs: number;
  before: string | undefined;
}

function usage(message: string): never {
  console.error(`bench:cni: ${message}\nusage: node dist/bench/cni.js [--pods N] [--runs N] [--smoke] [--before RENDER_PLUGIN_JS]`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { pods: 30, runs: 5, before: undefined };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const value = (): string => argv[++k] ?? usage(`${a} needs a value`);
    if (a === '--smoke') {
      opts.pods = 3;
      opts.runs = 1;
    } else if (a === '--pods') opts.pods = Number(value());
    else if (a === '--runs') opts.runs = Number(value());
    else if (a === '--before') opts.before = resolve(value());
    else usage(`unknown argument ${a}`);
  }
  if (!Number.isInteger(opts.pods) || opts.pods < 1 || opts.pods > 100) usage('--pods must be 1–100');
  if (!Number.isInteger(opts.runs) || opts.runs < 1) usage('--runs must be a positive integer');
  return opts;
}

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

class Bench {
  readonly prefix = `pnbench-${randomBytes(3).toString('hex')}`;
  readonly tmp = mkdtempSync(join(tmpdir(), 'pnbench-'));
  readonly dataDir = join(this.tmp, 'networks');
  readonly node = `${this.prefix}-node`;
  private readonly namespaces = new Set<string>();
  private child: ChildProcess | undefined;
  private pending: Array<(r: Reply) => void> = [];

  addNamespace(name: string): void {
    ip('netns', 'add', name);
    this.namespaces.add(name);
  }

  deleteNamespace(name: string): void {
    try {
      ip('netns', 'del', name);
    } catch {
      // already gone
    }
    this.namespaces.delete(name);
  }

  setUp(): void {
    this.addNamespace(this.node);
    ip('-n', this.node, 'link', 'add', BRIDGE, 'type', 'bridge');
    ip('-n', this.node, 'address', 'add', `${GATEWAY}/24`, 'dev', BRIDGE);
    ip('-n', this.node, 'link', 'set', BRIDGE, 'up');
    ip('-n', this.node, 'link', 'set', 'lo', 'up');
    // The store exists, as on a node that has run pods: the counts and times are the steady state's.
    mkdirSync(join(this.dataDir, NET), { recursive: true });
    const self = fileURLToPath(import.meta.url);
    this.child = spawn('ip', ['netns', 'exec', this.node, process.execPath, self, '--driver'], { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.pending.shift()?.(JSON.parse(line) as Reply));
  }

  call(req: Request): Promise<Reply> {
    return new Promise((done) => {
      this.pending.push(done);
      this.child!.stdin!.write(JSON.stringify(req) + '\n');
    });
  }

  /** Removes every namespace, the driver (by its PID) and the temp dir; never throws. */
  cleanUp(): void {
    if (this.child?.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const name of [...this.namespaces]) this.deleteNamespace(name);
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

interface Plugin {
  label: string;
  argv: string[];
  config: string;
  /** The floor: the kernel work of an ADD or DEL done by bare ip processes, no plugin around them. */
  floor?: (phase: 'ADD' | 'DEL', k: number, ns: string) => Request['steps'];
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))]!;
};
const median = (xs: number[]): number => quantile(xs, 0.5);
const fmt = (ms: number): string => ms.toFixed(1);
const signed = (ms: number): string => (ms < 0 ? '−' : '+') + fmt(Math.abs(ms));

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  if (process.geteuid?.() !== 0) usage('needs root (network namespaces)');
  if (!existsSync(REFERENCE_BRIDGE)) usage(`${REFERENCE_BRIDGE} is missing: apt-get install -y --no-install-recommends containernetworking-plugins`);

  const bench = new Bench();
  const onSignal = (): void => {
    bench.cleanUp();
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    bench.setUp();
    const constants: PluginConstants = { networkName: NET, bridge: BRIDGE, subnet: SUBNET, gateway: GATEWAY, mtu: MTU, dataDir: bench.dataDir };
    const podnetConfig = JSON.stringify({ cniVersion: '1.0.0', name: NET, type: 'podnet' });
    const plugins: Plugin[] = [];
    const write = (file: string, text: string): string => {
      const path = join(bench.tmp, file);
      writeFileSync(path, text, { mode: 0o755 });
      return path;
    };
    plugins.push({ label: 'podnet', argv: [write('podnet', renderPlugin(constants))], config: podnetConfig });
    plugins.push({
      label: 'reference',
      argv: [REFERENCE_BRIDGE],
      config: JSON.stringify({
        cniVersion: '1.0.0', name: NET, type: 'bridge', bridge: BRIDGE, isDefaultGateway: true, mtu: MTU,
        ipam: { type: 'host-local', subnet: SUBNET, gateway: GATEWAY, dataDir: bench.dataDir },
      }),
    });
    // The floor: what podnet's ADD asks of the kernel, through the same two ip -batch (node side,
    // pod side), and DEL's one ip link del; no shell, no store, no lock. Addresses from .200 up
    // (each pod has its own namespace: they meet nowhere).
    plugins.push({
      label: 'floor',
      argv: [],
      config: '',
      floor: (phase, k, ns) =>
        phase === 'DEL'
          ? [{ argv: ['ip', 'link', 'del', 'dev', `pnf${k}`], stdin: '' }]
          : [
              { argv: ['ip', '-br', '-batch', '-'], stdin: `link add pnf${k} mtu ${MTU} type veth peer name eth0 mtu ${MTU} netns /run/netns/${ns}\nlink show dev pnf${k}\nlink set dev pnf${k} master ${BRIDGE} up\n` },
              { argv: ['ip', '-n', ns, '-br', '-batch', '-'], stdin: `address add 10.244.1.${200 + (k % 50)}/24 dev eth0\nlink set dev eth0 up\nlink set dev lo up\nroute add default via ${GATEWAY} dev eth0\nlink show dev eth0\n` },
            ],
    });
    if (opts.before !== undefined) {
      const old = (await import(pathToFileURL(opts.before).href)) as { renderPlugin: typeof renderPlugin };
      plugins.push({ label: 'before', argv: [write('podnet-before', old.renderPlugin(constants))], config: podnetConfig });
    }

    const env = (command: string, id: string, netns: string): Record<string, string> => ({
      PATH: PLUGIN_PATH, CNI_COMMAND: command, CNI_CONTAINERID: id, CNI_NETNS: `/run/netns/${netns}`, CNI_IFNAME: 'eth0', CNI_PATH: '/usr/lib/cni',
    });
    const times = new Map(plugins.map((p) => [p.label, { add: [] as number[], del: [] as number[], addRuns: [] as number[], delRuns: [] as number[] }]));

    // Processes per ADD and DEL, counted with strace -f (one pod each, outside the timed runs).
    const forks = new Map<string, { add: string; del: string }>();
    const strace = spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
    if (strace) {
      for (const p of plugins.filter((q) => !q.floor)) {
        const ns = `${bench.prefix}-count-${p.label}`;
        bench.addNamespace(ns);
        const counted: Record<string, string> = {};
        for (const command of ['ADD', 'DEL']) {
          const log = join(bench.tmp, `strace-${p.label}-${command}`);
          const argv = ['strace', '-f', '-qq', '-z', '-e', 'trace=execve,clone,clone3,fork,vfork', '-o', log, ...p.argv];
          const r = await bench.call({ steps: [{ argv, stdin: p.config }], env: env(command, `count${p.label}`, ns) });
          if (r.status !== 0) throw new Error(`${p.label} ${command} under strace failed (${r.status}): ${r.stdout}${r.stderr}`);
          counted[command] = countProcesses(readFileSync(log, 'utf8'));
        }
        forks.set(p.label, { add: counted.ADD!, del: counted.DEL! });
        bench.deleteNamespace(ns);
      }
    }

    for (let run = 0; run < opts.runs; run++) {
      // Container ids as runtimes make them (64 hex digits); DEL gets the ADD's result as prevResult, as libcni sends it.
      const pods = plugins.map((p) =>
        Array.from({ length: opts.pods }, (_, k) => ({ id: randomBytes(32).toString('hex'), ns: `${bench.prefix}-${p.label.slice(0, 3)}${k}`, result: '' })),
      );
      for (const list of pods) for (const pod of list) bench.addNamespace(pod.ns);
      const runTimes = plugins.map(() => ({ add: [] as number[], del: [] as number[] }));
      for (const phase of ['ADD', 'DEL'] as const) {
        for (let k = 0; k < opts.pods; k++) {
          // Take turns; who goes first rotates from pod to pod.
          for (let t = 0; t < plugins.length; t++) {
            const which = (k + run + t) % plugins.length;
            const p = plugins[which]!;
            const pod = pods[which]![k]!;
            const steps = p.floor
              ? p.floor(phase, k, pod.ns)
              : [{ argv: p.argv, stdin: phase === 'ADD' ? p.config : withPrevResult(p.config, pod.result) }];
            const r = await bench.call({ steps, env: env(phase, pod.id, pod.ns) });
            if (r.status !== 0) throw new Error(`${p.label} ${phase} of pod ${k} failed (${r.status}): ${r.stdout}${r.stderr}`);
            if (phase === 'ADD' && !p.floor && !addressOf(r.stdout)?.startsWith('10.244.1.')) {
              throw new Error(`${p.label} ADD of pod ${k} answered without an address: ${r.stdout}`);
            }
            if (phase === 'ADD' && !p.floor) pod.result = r.stdout;
            (phase === 'ADD' ? runTimes[which]!.add : runTimes[which]!.del).push(r.ms);
          }
        }
      }
      plugins.forEach((p, i) => {
        const t = times.get(p.label)!;
        t.add.push(...runTimes[i]!.add);
        t.del.push(...runTimes[i]!.del);
        t.addRuns.push(median(runTimes[i]!.add));
        t.delRuns.push(median(runTimes[i]!.del));
      });
      for (const list of pods) for (const pod of list) bench.deleteNamespace(pod.ns);
      const left = readdirSync(join(bench.dataDir, NET)).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
      if (left.length > 0) throw new Error(`the DELs left allocations in the store: ${left.join(' ')}`);
      const veths = ip('-n', bench.node, '-o', 'link', 'show').split('\n').filter((l) => / (pn|veth)[0-9a-f]+@/.test(l));
      if (veths.length > 0) throw new Error(`the DELs left node interfaces: ${veths.join('; ')}`);
    }

    console.log(`CNI plugin ADD/DEL, ${opts.pods} sequential pods per run, ${opts.runs} run(s), interleaved; ms from spawn to exit, inside namespace ${bench.node}`);
    console.log('(medians over every call; spread = p10–p90 of the calls and the range of the per-run medians; the machine is shared: figures are noisy)');
    const ref = times.get('reference')!;
    const floor = times.get('floor')!;
    for (const p of plugins) {
      const t = times.get(p.label)!;
      const ratio = (a: number[], b: number[]): string => (median(a) / median(b)).toFixed(2);
      // The same pod's calls, the two plugins one right after the other: median (p10–p90) of the ratios.
      const pairs = (a: number[], b: number[]): string => {
        const r = a.map((x, j) => x / b[j]!);
        return `${median(r).toFixed(2)}× (${quantile(r, 0.1).toFixed(2)}–${quantile(r, 0.9).toFixed(2)})`;
      };
      const runRange = (xs: number[]): string => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
      console.log(
        `${p.label.padEnd(9)} ADD ${fmt(median(t.add)).padStart(5)} ms (p10–p90 ${fmt(quantile(t.add, 0.1))}–${fmt(quantile(t.add, 0.9))}, runs ${runRange(t.addRuns)})` +
          `  DEL ${fmt(median(t.del)).padStart(5)} ms (p10–p90 ${fmt(quantile(t.del, 0.1))}–${fmt(quantile(t.del, 0.9))}, runs ${runRange(t.delRuns)})` +
          (p.label === 'reference' || p.floor ? '' : `  ratio to reference: ADD ${ratio(t.add, ref.add)}×, DEL ${ratio(t.del, ref.del)}×; pair by pair ADD ${pairs(t.add, ref.add)}, DEL ${pairs(t.del, ref.del)}`) +
          (p.floor ? '' : `  above the floor: ADD ${signed(median(t.add) - median(floor.add))} ms, DEL ${signed(median(t.del) - median(floor.del))} ms`),
      );
    }
    if (strace) {
      console.log('processes started per call (strace -f: successful execve, and fork/clone without CLONE_THREAD; the plugin itself not counted):');
      for (const p of plugins.filter((q) => !q.floor)) console.log(`${p.label.padEnd(9)} ADD ${forks.get(p.label)!.add}; DEL ${forks.get(p.label)!.del}`);
    } else {
      console.log('processes per call: not counted (strace is not installed)');
    }
    return 0;
  } catch (e) {
    console.error(`bench:cni: ${(e as Error).message}`);
    return 1;
  } finally {
    bench.cleanUp();
  }
}

/** The network configuration with prevResult set to a result (compact JSON, as libcni sends it). */
function withPrevResult(config: string, result: string): string {
  return JSON.stringify({ ...(JSON.parse(config) as object), prevResult: JSON.parse(result) as unknown });
}

/** The address of a CNI result's ips[0], or undefined when the text is not such a result. */
function addressOf(stdout: string): string | undefined {
  try {
    const result = JSON.parse(stdout) as { ips?: Array<{ address?: unknown }> };
    const address = result.ips?.[0]?.address;
    return typeof address === 'string' ? address : undefined;
  } catch {
    return undefined;
  }
}

/** "N execs (prog×k, …), M forks" from an strace -f -z log; the first execve (the plugin) is not counted. */
function countProcesses(log: string): string {
  const lines = log.split('\n');
  const execs = lines.filter((l) => /\bexecve\("/.test(l) && !/= -1 /.test(l)).map((l) => /execve\("([^"]*)"/.exec(l)![1]!.replace(/.*\//, ''));
  execs.shift();
  const forks = lines.filter((l) => /\b(clone3?|v?fork)\(/.test(l) && !/CLONE_THREAD/.test(l) && !/= -1 /.test(l)).length;
  const byProgram = new Map<string, number>();
  for (const e of execs) byProgram.set(e, (byProgram.get(e) ?? 0) + 1);
  const listed = [...byProgram].map(([name, n]) => (n > 1 ? `${name}×${n}` : name)).join(', ');
  return `${execs.length} exec${execs.length === 1 ? '' : 's'}${listed ? ` (${listed})` : ''}, ${forks} fork${forks === 1 ? '' : 's'}`;
}

if (process.argv[2] === '--driver') driver();
else process.exitCode = await main();
