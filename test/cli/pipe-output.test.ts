// Output into a pipe whose reader is slow comes out whole. Node queues what does not fit in the pipe
// (64 KiB); exiting before that queue is written cut `podnet diff -o json | jq` of a few dozen nodes.
// Here: `validate` of a 3,000-node file (about 160 KB of text, and of JSON) into `sleep 1; wc -c`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function bigCluster(dir: string, nodes: number): string {
  const lines = ['podCidr: 10.0.0.0/8', 'routing: host-gw', 'ssh:', '  user: root', 'nodes:'];
  for (let i = 0; i < nodes; i++) lines.push(`  - name: node${i}`, `    address: 192.168.${i >> 8}.${i & 255}`);
  const file = join(dir, 'cluster.yaml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** The bytes `podnet ARGS` writes to stdout: to a file, and into a pipe read a second later. */
function writtenBothWays(dir: string, args: string[]): { toFile: number; throughPipe: number } {
  const cli = ['node', 'dist/src/cli/main.js', ...args].map((w) => `'${w}'`).join(' ');
  const run = (script: string): number => {
    const r = spawnSync('sh', ['-c', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    return Number(r.stdout.trim());
  };
  const out = join(dir, 'out');
  return { toFile: run(`${cli} > '${out}' && wc -c < '${out}'`), throughPipe: run(`${cli} | { sleep 1; wc -c; }`) };
}

test('a slow reader of a pipe gets all of the output, text and JSON', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-pipe-'));
  try {
    const file = bigCluster(dir, 3000);
    for (const args of [['validate', '--no-local-files', file], ['validate', '--no-local-files', '-o', 'json', file]]) {
      const { toFile, throughPipe } = writtenBothWays(dir, args);
      assert.ok(toFile > 2 * 65536, `${args.join(' ')} printed only ${toFile} bytes`);
      assert.equal(throughPipe, toFile, `${args.join(' ')}: ${throughPipe} of ${toFile} bytes came through the pipe`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
