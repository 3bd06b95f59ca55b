// npm run bench:gc (no root): wall time of the CNI plugin's GC with 5,000 and 20,000 attachments.
// Each run renders the plugin into a temporary sandbox (test/cni/plugin-sandbox.ts: stub ip and
// nsenter), writes N allocation files into a /16 store and calls GC with those N attachments in
// cni.dev/valid-attachments plus a tenth more stale allocations it must remove, the configuration
// once compact and once pretty-printed (one line per value). Median of RUNS.
// Usage: node dist/bench/plugin-gc.js [N...]
import { writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PluginSandbox } from '../test/cni/plugin-sandbox.js';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const RUNS = 3;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function once(n: number, pretty: boolean): number {
  const sandbox = new PluginSandbox({ subnet: '10.244.0.0/16', gateway: '10.244.0.1' });
  try {
    mkdirSync(sandbox.store, { recursive: true });
    const valid: { containerID: string; ifname: string }[] = [];
    const stale = Math.floor(n / 10);
    for (let k = 0; k < n + stale; k++) {
      const ip = `10.244.${2 + Math.floor(k / 250)}.${1 + (k % 250)}`;
      const id = `c${k.toString(16).padStart(8, '0')}`;
      writeFileSync(join(sandbox.store, ip), `${id}\r\neth0`);
      if (k < n) valid.push({ containerID: id, ifname: 'eth0' });
    }
    const start = performance.now();
    const r = sandbox.gc(valid, pretty);
    const ms = performance.now() - start;
    if (r.status !== 0) throw new Error(`GC failed (${String(r.status)}): ${r.stdout}${r.stderr}`);
    const left = readdirSync(sandbox.store).filter((f) => /^[0-9.]+$/.test(f)).length;
    if (left !== n) throw new Error(`GC left ${left} allocations, expected ${n}`);
    return ms;
  } finally {
    sandbox.cleanup();
  }
}

for (const pretty of [false, true]) {
  for (const n of sizes.length > 0 ? sizes : [5000, 20000]) {
    const times = Array.from({ length: RUNS }, () => once(n, pretty));
    console.log(
      `GC, ${n} attachments (+${Math.floor(n / 10)} stale), ${pretty ? 'pretty-printed' : 'compact'} config: ` +
        `median ${(median(times) / 1000).toFixed(2)} s (runs: ${times.map((t) => (t / 1000).toFixed(2)).join(', ')} s)`,
    );
  }
}
