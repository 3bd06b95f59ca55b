// `podnet lab ssh NODE` without --name: the only running lab, else the running ones listed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pickLab, runningLabs } from '../../src/lab/lab-choice.js';
import type { LabStatus } from '../../src/lab/lab-types.js';
import { UserError } from '../../src/model/errors.js';

function lab(name: string, up: boolean[], hasState = true): LabStatus {
  return {
    name,
    stateDir: `/run/podnet/lab/${name}`,
    hasState,
    switchNetnsExists: true,
    nodes: up.map((u, i) => ({ name: `node${i + 1}`, address: `192.168.1.${11 + i}`, netns: `pnlab-${name}-node${i + 1}`, pid: u ? 100 + i : 0, up: u, netnsExists: true })),
  };
}

const EXAMPLE = 'podnet lab ssh node1 --name NAME';

test('--name wins; without it the only running lab is picked, whatever its name', () => {
  assert.equal(pickLab('b', [lab('a', [true])], EXAMPLE), 'b');
  assert.equal(pickLab(undefined, [lab('mylab', [true, true]), lab('old', [false, false]), lab('crash', [true], false)], EXAMPLE), 'mylab');
});

test('no lab running: the default lab (the caller says how to bring it up)', () => {
  assert.equal(pickLab(undefined, [], EXAMPLE), 'default');
  assert.equal(pickLab(undefined, [lab('x', [false])], EXAMPLE), 'default');
  assert.deepEqual(runningLabs([lab('x', [false]), lab('y', [false, true])]).map((l) => l.name), ['y']);
});

test('several running: a UserError that lists them and asks for --name', () => {
  assert.throws(
    () => pickLab(undefined, [lab('default', [true, true, true]), lab('t1', [true, false])], EXAMPLE),
    (err: unknown) =>
      err instanceof UserError &&
      err.message === '2 labs are running; say which with --name:\n  default (3 nodes up)\n  t1 (1 node up)\nfor example: podnet lab ssh node1 --name default',
  );
});
