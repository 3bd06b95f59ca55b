// `--help` and the README explain what ok / changed count, and exit code 130 after Ctrl-C.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runPodnet } from '../support/cli.js';

test('apply and destroy --help explain ok, changed, not started, unknown and exit 130; diff --help the counts', () => {
  for (const command of ['apply', 'destroy']) {
    const help = runPodnet(command, '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /ok=N +desired objects that were already right and were left alone/, command);
    assert.match(help.stdout, /changed=N +objects this run added, changed or destroyed/, command);
    assert.match(help.stdout, /not started \(nothing changed\) or unknown \(in flight\)/, command);
    assert.match(help.stdout, /130 interrupted\s+by\s+Ctrl-C/, command);
    assert.deepEqual(help.stdout.split('\n').filter((line) => line.length > 80), [], `${command} --help fits 80 columns`);
  }
  assert.match(runPodnet('diff', '--help').stdout, /Plan incomplete: N of M nodes not reached/);
});

test('the README documents the counts and exit code 130 of apply and destroy', () => {
  const readme = readFileSync('README.md', 'utf8');
  assert.match(readme, /\| `podnet apply FILE` \|.*130 when interrupted by Ctrl-C/);
  assert.match(readme, /\| `podnet destroy FILE` \|.*130 when interrupted by Ctrl-C/);
  assert.match(readme, /`ok=N` desired objects that were already right and were left\s+alone/);
  assert.match(readme, /`changed=N` objects this run added, changed or destroyed/);
  assert.match(readme, /Plan incomplete: 3 of 3 nodes not\s+reached\. Nothing could be planned\./);
});
