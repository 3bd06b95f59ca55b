// npm run bench (root; not in CI): labs of 3, 30 and 100 nodes; wall time of a converged `podnet diff`,
// of `podnet apply` from scratch, and of the floor: a bare ssh2 fan-out (connect + one trivial exec on every node).
// Both run as fresh processes (podnet as its CLI, the floor as bench/fan-out.ts), so both pay Node's start-up.
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { labDown, labUp } from '../src/lab/lab.js';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const RUNS = 3;

function timed(script: string, args: string[]): number {
  const start = performance.now();
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${script} ${args.join(' ')} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  return ms;
}

const cli = (args: string[]): number => timed('dist/src/cli/main.js', args);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

async function benchOne(nodes: number): Promise<string> {
  const name = `bench${nodes}`;
  await labDown(name);
  const upStart = performance.now();
  const lab = await labUp({ name, nodes });
  const up = performance.now() - upStart;
  try {
    const forks = String(nodes);
    const apply = cli(['apply', lab.clusterFile, '--forks', forks, '--output', 'json']);
    const diffs: number[] = [];
    const floors: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      diffs.push(cli(['diff', lab.clusterFile, '--forks', forks, '--output', 'json']));
      floors.push(timed('dist/bench/fan-out.js', [lab.clusterFile]));
    }
    const d = median(diffs);
    const f = median(floors);
    return `| ${nodes} | ${fmt(up)} | ${fmt(apply)} | ${fmt(d)} | ${fmt(f)} | ${(d / f).toFixed(2)}× |`;
  } finally {
    await labDown(name);
  }
}

const rows = ['| nodes | lab up | apply from scratch | converged diff (median of 3) | floor: ssh2 fan-out (median of 3) | diff / floor |', '|---|---|---|---|---|---|'];
for (const n of sizes.length > 0 ? sizes : [3, 30, 100]) {
  rows.push(await benchOne(n));
  console.log(rows[rows.length - 1]);
}
console.log('\n' + rows.join('\n'));
