// Re-captures the iptables fixtures into a temporary directory with test/capture-iptables-fixtures.sh
// (needs root: it builds network namespaces) and checks that the committed ones parse to exactly the
// same chains and rules — so the fixtures are real, current and reproducible.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIptablesSave } from '../../src/state/iptables-save.js';
import { iptablesFixture } from '../support/iptables-fixtures.js';
import { needs } from '../support/needs.js';

const requirement = needs('root', 'netns', 'iptables');

function fixtureNamespaces(): string[] {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return list.stdout.split('\n').filter((line) => line.startsWith('pnfwfix-'));
}

test('the iptables capture script reproduces every committed fixture and cleans up', { skip: requirement }, () => {
  const out = mkdtempSync(join(tmpdir(), 'podnet-iptables-fixtures-'));
  const before = fixtureNamespaces();
  try {
    const run = spawnSync('bash', [join(process.cwd(), 'test', 'capture-iptables-fixtures.sh')], {
      encoding: 'utf8',
      env: { ...process.env, PODNET_FIXTURE_OUT: out },
    });
    assert.equal(run.status, 0, `capture-iptables-fixtures.sh failed:\n${run.stderr}`);
    const committed = readdirSync(join(process.cwd(), 'test', 'fixtures', 'iptables')).sort();
    assert.deepEqual(readdirSync(out).sort(), committed);
    for (const file of committed) {
      const fresh = parseIptablesSave(readFileSync(join(out, file), 'utf8'));
      assert.deepEqual(fresh, parseIptablesSave(iptablesFixture(file.replace(/\.txt$/, ''))), file);
    }
    assert.deepEqual(fixtureNamespaces(), before, 'the script left namespaces behind');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
