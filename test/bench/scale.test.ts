// npm run bench:scale --smoke (needs root): 3 nodes end to end — lab up, apply, verify, pods, the
// break verify must name exactly, destroy, lab down — every step passes, and the lab leaves nothing
// behind (the bench checks it and exits 1 otherwise).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { labDown } from '../../src/lab/lab.js';
import { testLabName } from '../support/lab.js';
import { needs } from '../support/needs.js';

test('npm run bench:scale --smoke: 3 nodes, every step passes, nothing left behind', { skip: needs('root', 'netns', 'sshd', 'iptables'), timeout: 240_000 }, async () => {
  const name = testLabName();
  try {
    const r = spawnSync(process.execPath, ['dist/bench/scale.js', '--smoke', '--lab', name], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const rows = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('| ') && !l.startsWith('| step'))
      .map((l) => l.split('|').map((c) => c.trim()));
    assert.deepEqual(
      rows.map((cells) => cells[1]?.replace(/\(.*\)/, '(…)')),
      [
        'lab up --tune-kernel',
        'apply --no-confirm',
        'verify (…)',
        'verify --full-mesh',
        'pod add on every node (…)',
        'verify, broken (…)',
        'destroy',
        'lab down',
        'left behind after lab down',
      ],
    );
    assert.match(rows.find((c) => c[1] === 'verify (default plan)')?.[5] ?? '', /^exit 0: \d+ cells, 0 failed/);
    assert.match(rows.find((c) => c[1]?.startsWith('verify, broken') === true)?.[5] ?? '', /^exit 1: \d+ failed cells, exactly the 2 causes/);
    assert.equal(rows.at(-1)?.[5], 'nothing');
  } finally {
    await labDown(name);
  }
});
