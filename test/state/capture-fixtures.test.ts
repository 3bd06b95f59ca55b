// Re-captures every fixture case into a temporary directory with test/capture-fixtures.sh (needs
// root: it builds network namespaces) and checks that the committed fixtures still plan exactly as
// freshly captured ones do — so the fixtures are real, current and reproducible.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConverged } from '../../src/plan/converged.js';
import { desiredState } from '../../src/state/desired.js';
import { planNode } from '../../src/plan/plan-node.js';
import { classicCluster, classicSubnets } from '../support/classic-cluster.js';
import { fixtureCases, loadObserved } from '../support/ip-fixtures.js';
import { nodeStateOf } from '../support/plan-helpers.js';
import { needs } from '../support/needs.js';

const requirement = needs('root', 'netns');

function fixtureNamespaces(): string[] {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return list.stdout.split('\n').filter((line) => line.startsWith('pnfix-'));
}

test('the capture script reproduces every committed fixture (as the planner sees it) and cleans up', { skip: requirement }, () => {
  const out = mkdtempSync(join(tmpdir(), 'podnet-fixtures-'));
  const before = fixtureNamespaces();
  try {
    const run = spawnSync('bash', [join(process.cwd(), 'test', 'capture-fixtures.sh')], {
      encoding: 'utf8',
      env: { ...process.env, PODNET_FIXTURE_OUT: out },
    });
    assert.equal(run.status, 0, `capture-fixtures.sh failed:\n${run.stderr}`);
    assert.deepEqual(fixtureNamespaces(), before, 'the script left namespaces behind');

    const committed = fixtureCases();
    assert.deepEqual(readdirSync(out).sort(), committed);
    const cluster = classicCluster({ bridge: { name: 'v-net-0', mtu: 1500 } });
    for (const name of committed) {
      const node = /-node([23])$/.exec(name)?.[1] ?? '1';
      const desired = desiredState(cluster, classicSubnets(cluster), `node${node}`);
      const ctx = { podCidr: cluster.podCidr, nodeAddress: `192.168.1.1${node}` };
      const fresh = loadObserved(join(out, name), `node${node}`);
      const saved = loadObserved(name, `node${node}`);
      assert.deepEqual(planNode(desired, fresh, ctx), planNode(desired, saved, ctx), `${name}: plan`);
      const state = nodeStateOf(cluster, `node${node}`, loadObserved('empty', `node${node}`));
      assert.deepEqual(checkConverged(cluster, state, fresh), checkConverged(cluster, state, saved), `${name}: convergence`);
      assert.deepEqual(fresh.routes, saved.routes, `${name}: routes`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
