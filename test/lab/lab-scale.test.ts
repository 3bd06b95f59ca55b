// A 30-node lab: addresses past .19 work, every node is up and reachable, and up/down wall times
// are reported (as diagnostics, not asserted: this machine's load decides them). 30 nodes need more
// of the neighbour table than a default kernel has (gc_thresh3 1024): the lab raises it
// (tuneKernel) and lab down puts it back — on the real kernel — leaving nothing behind. Needs root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labDown, labStatus, labUp } from '../../src/lab/lab.js';
import { sshToNode, stopTestLab, testLabName } from '../support/lab.js';
import { labFootprint, leftovers, machineSnapshot, uptimeTicks } from '../../bench/leftovers.js';
import { needs } from '../support/needs.js';

const requirement = needs('root', 'netns', 'sshd');

for (const nodes of [3, 30]) {
  test(`a ${nodes}-node lab comes up, every node answers, and it goes down`, { skip: requirement, timeout: 120_000 }, async (t) => {
    const name = testLabName();
    const before = machineSnapshot();
    try {
      const upStarted = performance.now();
      const lab = await labUp({ name, nodes, tuneKernel: true });
      const upMs = performance.now() - upStarted;
      assert.equal(lab.nodes.length, nodes);
      const footprint = labFootprint(name);
      assert.equal(lab.nodes.at(-1)?.address, `192.168.1.${10 + nodes}`);
      const status = (await labStatus()).find((s) => s.name === name);
      assert.equal(status?.nodes.filter((n) => n.up).length, nodes);
      const last = lab.nodes.at(-1)?.name ?? '';
      const r = await sshToNode(lab, last, ['hostname']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${last}\n`);

      const downStarted = performance.now();
      const downTicks = uptimeTicks();
      const { removed } = await labDown(name);
      const downMs = performance.now() - downStarted;
      assert.equal(removed.length, nodes + 2);
      assert.deepEqual(leftovers(before, footprint, downTicks), []);
      t.diagnostic(`lab of ${nodes} nodes: up ${(upMs / 1000).toFixed(2)} s, down ${(downMs / 1000).toFixed(2)} s`);
    } finally {
      await stopTestLab(name);
    }
  });
}
