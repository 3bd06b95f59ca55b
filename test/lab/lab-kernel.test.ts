// lab up's kernel step on real labs (needs root): refused without --tune-kernel (nothing made),
// raised with it and recorded in kernel.json, put back by lab down — left alone when someone else
// changed it meanwhile, handed over to a lab still up that needs it. The sysctls are files of a
// directory of the test's own (labUp's procSys), set low, so the machine's kernel is never lowered
// under the other labs running on it. And a lab leaves nothing behind (bench/leftovers.ts), checked
// on the real machine.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { labDown, labUp, type KernelStepResult } from '../../src/lab/lab.js';
import { CHECKED_SYSCTLS, NEIGH_GC_THRESH2, NEIGH_GC_THRESH3 } from '../../src/lab/kernel-limits.js';
import { kernelRecordFile } from '../../src/lab/kernel-tuning.js';
import { labPaths } from '../../src/lab/lab-layout.js';
import { UserError } from '../../src/model/errors.js';
import { labFootprint, leftovers, machineSnapshot, uptimeTicks } from '../../bench/leftovers.js';
import { testLabName } from '../support/lab.js';
import { needs } from '../support/needs.js';

const requirement = needs('root', 'netns', 'sshd');

/**
 * Lab names that sort before every other lab on the machine ('0' + random): when a lab hands its
 * entries over, it gives them to the first lab still up, and that must be this test's.
 */
function firstLabName(): string {
  return `0${randomBytes(4).toString('hex')}`;
}

function sysctlFile(dir: string, key: string): string {
  return join(dir, ...key.split('.'));
}

describe('lab up checks the kernel limits', { skip: requirement, timeout: 180_000 }, () => {
  let procSys = '';
  const labs: string[] = [];
  const read = (key: string): number => Number(readFileSync(sysctlFile(procSys, key), 'utf8').trim());
  const write = (key: string, value: number): void => writeFileSync(sysctlFile(procSys, key), `${value}\n`);

  before(() => {
    procSys = mkdtempSync(join(tmpdir(), 'podnet-procsys-'));
    // The machine's values, but a neighbour table too small even for 3 nodes (they need 158).
    for (const key of CHECKED_SYSCTLS) {
      const real = `/proc/sys/${key.replaceAll('.', '/')}`;
      if (!existsSync(real)) continue;
      mkdirSync(dirname(sysctlFile(procSys, key)), { recursive: true });
      writeFileSync(sysctlFile(procSys, key), readFileSync(real, 'utf8'));
    }
  });
  after(async () => {
    for (const name of labs) await labDown(name, { procSys });
    rmSync(procSys, { recursive: true, force: true });
  });

  /** A 3-node lab on the test's sysctls, with what its kernel step reported. */
  const up = async (name: string, tuneKernel: boolean) => {
    labs.push(name);
    let kernel: KernelStepResult | undefined;
    const lab = await labUp({ name, nodes: 3, tuneKernel, procSys, onKernel: (r) => (kernel = r) });
    return { ...lab, kernel };
  };

  test('too small a neighbour table: refused with every limit named, nothing made; --tune-kernel raises it and lab down puts it back', async () => {
    write(NEIGH_GC_THRESH3, 100);
    write(NEIGH_GC_THRESH2, 50);
    const name = firstLabName();
    await assert.rejects(up(name, false), (err: Error) => {
      assert.ok(err instanceof UserError, 'a UserError: printed without a stack trace');
      assert.match(err.message, new RegExp(`^lab "${name}" \\(3 nodes\\) would hit kernel limits; nothing was made:\n`));
      assert.match(err.message, /\n {2}net\.ipv4\.neigh\.default\.gc_thresh3 is 100, needs at least 158 \(--tune-kernel sets 2048\)/);
      assert.match(err.message, /run again with --tune-kernel/);
      return true;
    });
    assert.equal(existsSync(labPaths(name).stateDir), false, 'no state directory');
    assert.equal(read(NEIGH_GC_THRESH3), 100);

    const lab = await up(name, true);
    assert.equal(lab.nodes.length, 3);
    // 2048 for this lab alone; more when other labs run on the machine (they are counted in).
    const set3 = read(NEIGH_GC_THRESH3);
    const set2 = read(NEIGH_GC_THRESH2);
    assert.ok(set3 >= 2048 && set2 >= 1024, `raised to ${set3} and ${set2}`);
    assert.ok(lab.kernel?.changes.includes(`raised net.ipv4.neigh.default.gc_thresh3 from 100 to ${set3} (lab down puts it back)`), lab.kernel?.changes.join('\n'));
    const record = JSON.parse(readFileSync(kernelRecordFile(name), 'utf8')) as { entries: unknown[] };
    assert.deepEqual(
      record.entries.filter((e) => (e as { kind: string }).kind === 'sysctl'),
      [
        { kind: 'sysctl', key: NEIGH_GC_THRESH3, original: 100, set: set3 },
        { kind: 'sysctl', key: NEIGH_GC_THRESH2, original: 50, set: set2 },
      ],
    );

    const { restored } = await labDown(name, { procSys });
    assert.deepEqual(
      restored.filter((l) => l.includes('gc_thresh')),
      [`put net.ipv4.neigh.default.gc_thresh3 back from ${set3} to 100`, `put net.ipv4.neigh.default.gc_thresh2 back from ${set2} to 50`],
    );
    assert.equal(read(NEIGH_GC_THRESH3), 100);
    assert.equal(read(NEIGH_GC_THRESH2), 50);
    assert.equal(existsSync(labPaths(name).stateDir), false);
  });

  test('a value someone else changed while the lab was up is left as it is', async () => {
    write(NEIGH_GC_THRESH3, 100);
    write(NEIGH_GC_THRESH2, 50);
    const name = firstLabName();
    await up(name, true);
    const set3 = read(NEIGH_GC_THRESH3);
    write(NEIGH_GC_THRESH3, 7777);
    const { restored } = await labDown(name, { procSys });
    assert.ok(
      restored.includes(
        `left net.ipv4.neigh.default.gc_thresh3 (was 100, the lab set ${set3}): net.ipv4.neigh.default.gc_thresh3 is 7777 now, not the ${set3} this lab set: someone else changed it, so it stays`,
      ),
      restored.join('\n'),
    );
    assert.equal(read(NEIGH_GC_THRESH3), 7777);
    assert.equal(read(NEIGH_GC_THRESH2), 50);
  });

  test('two labs: the first one down hands the raised value over to the one still up, which puts it back', async () => {
    write(NEIGH_GC_THRESH3, 100);
    write(NEIGH_GC_THRESH2, 50);
    const a = `0a${randomBytes(3).toString('hex')}`;
    const b = `0b${randomBytes(3).toString('hex')}`;
    await up(a, true);
    // b fits in what a raised: it raises nothing of the neighbour table.
    const labB = await up(b, true);
    assert.equal(labB.kernel?.changes.some((c) => c.includes('gc_thresh3')), false, labB.kernel?.changes.join('\n'));
    const set3 = read(NEIGH_GC_THRESH3);
    const downA = await labDown(a, { procSys });
    assert.ok(downA.restored.some((l) => l.startsWith(`left net.ipv4.neigh.default.gc_thresh3 (was 100, the lab set ${set3}): lab ${b} is still up and needs`)), downA.restored.join('\n'));
    assert.equal(read(NEIGH_GC_THRESH3), set3, 'still raised while b runs');
    const downB = await labDown(b, { procSys });
    assert.ok(downB.restored.includes(`put net.ipv4.neigh.default.gc_thresh3 back from ${set3} to 100`), downB.restored.join('\n'));
    assert.equal(read(NEIGH_GC_THRESH3), 100);
  });
});

describe('a lab leaves nothing behind', { skip: requirement, timeout: 120_000 }, () => {
  test('after lab down: no namespace, process, mount, file or sysctl change of the lab (and while it is up, the check sees them all)', async () => {
    const name = testLabName();
    const before = machineSnapshot();
    try {
      await labUp({ name, nodes: 3 });
      const footprint = labFootprint(name);
      assert.equal(footprint.processes.length >= 3, true, 'the nodes\' processes were seen');
      const whileUp = leftovers(before, footprint);
      for (const what of ['namespace ', 'process ', 'mount ', 'file ']) {
        assert.ok(whileUp.some((l) => l.startsWith(what)), `while up, the check finds a ${what.trim()}: ${whileUp.join('\n')}`);
      }
      const downStarted = uptimeTicks();
      await labDown(name);
      assert.deepEqual(leftovers(before, footprint, downStarted), []);
    } finally {
      await labDown(name);
    }
  });
});
