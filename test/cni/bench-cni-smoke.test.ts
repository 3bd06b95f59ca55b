// The smoke of `npm run bench:cni` (bench/cni.ts --smoke: 3 pods, 1 run): it runs podnet's plugin
// and the reference side by side in namespaces of its own, prints medians, spread, ratios and the
// processes per call, and leaves no namespace behind. No speed is asserted here (targets live in
// the bench, not in timed tests). Needs root and the reference plugins.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { needs } from '../support/needs.js';

const requirement = needs('root', 'netns');
const BENCH = join(process.cwd(), 'dist', 'bench', 'cni.js');

describe('npm run bench:cni -- --smoke', { skip: requirement }, () => {
  it('times podnet and the reference, prints the figures, and cleans up after itself', () => {
    assert.ok(existsSync('/usr/lib/cni/bridge'), 'reference plugins missing: apt-get install -y --no-install-recommends containernetworking-plugins');
    const namespaces = (): string[] => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('pnbench-'));
    const before = namespaces();
    const r = spawnSync(process.execPath, [BENCH, '--smoke'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /3 sequential pods per run, 1 run\(s\)/);
    assert.match(r.stdout, /^podnet +ADD +\d+\.\d ms \(p10–p90 [\d.]+–[\d.]+, runs [\d.]+–[\d.]+\) +DEL +\d+\.\d ms .*ratio to reference: ADD \d+\.\d\d×, DEL \d+\.\d\d×; pair by pair ADD \d+\.\d\d× \([\d.]+–[\d.]+\), DEL \d+\.\d\d× \([\d.]+–[\d.]+\) +above the floor: ADD [+−][\d.]+ ms, DEL [+−][\d.]+ ms$/m);
    assert.match(r.stdout, /^floor +ADD +\d+\.\d ms .* DEL +\d+\.\d ms/m);
    assert.match(r.stdout, /^reference +ADD +\d+\.\d ms .* DEL +\d+\.\d ms/m);
    if (spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0) {
      assert.match(r.stdout, /^podnet +ADD \d+ execs? \(.*\), \d+ forks?; DEL \d+ execs? \(.*\), \d+ forks?$/m);
      assert.match(r.stdout, /^reference +ADD 1 exec \(host-local\)/m);
    }
    // Its own namespaces are gone (others' pnbench-… namespaces, of a bench running alongside, may come and go).
    const prefix = /inside namespace (pnbench-[0-9a-f]+)-node/.exec(r.stdout)?.[1];
    assert.ok(prefix, r.stdout);
    assert.deepEqual(namespaces().filter((n) => n.startsWith(`${prefix}-`) && !before.includes(n)), []);
  });

  it('refuses bad arguments with exit status 2 and a usage line, touching nothing', () => {
    const r = spawnSync(process.execPath, [BENCH, '--pods', '0'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--pods must be 1–100\nusage: /);
  });
});
