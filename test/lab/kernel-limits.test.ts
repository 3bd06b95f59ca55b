// The lab's kernel limits, pure: what a lab of N nodes needs, the verdict against what the kernel
// has, what --tune-kernel raises, and what lab down puts back (src/lab/kernel-limits.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONNTRACK_MAX,
  FILE_MAX,
  MEMORY,
  NEIGH_GC_THRESH2,
  NEIGH_GC_THRESH3,
  NOFILE,
  PID_MAX,
  kernelVerdict,
  labKernelNeeds,
  labNeighbourEntries,
  neededByKey,
  planRestore,
  receiveHandOver,
  renderRefusal,
  renderRestoreAction,
  shortLimits,
  tuneChanges,
  type KernelFacts,
  type RestoreEntry,
} from '../../src/lab/kernel-limits.js';

/** A Debian 12 machine's defaults, at rest. */
const DEFAULTS: KernelFacts = {
  sysctls: {
    [NEIGH_GC_THRESH2]: 512,
    [NEIGH_GC_THRESH3]: 1024,
    [PID_MAX]: 32768,
    'kernel.threads-max': 192724,
    [FILE_MAX]: 2466097,
    'fs.mount-max': 100000,
    'user.max_net_namespaces': 96362,
  },
  threads: 300,
  openFiles: 1500,
  mounts: 40,
  nofileHard: 524288,
  memAvailableKiB: 20_000_000,
};

const solo = (members: number) => ({ members, otherMembers: 0 });

describe('what a lab of N nodes needs', () => {
  test('neighbour entries: one per ordered pair of nodes, plus 8 per node', () => {
    assert.equal(labNeighbourEntries(100), 100 * 99 + 800);
    assert.equal(labNeighbourEntries(3), 6 + 24);
    assert.equal(labNeighbourEntries(0), 0);
  });

  test('100 nodes: gc_thresh3 needs 10,828 entries (with the machine\'s 128) and --tune-kernel sets 22,528', () => {
    const need = labKernelNeeds(solo(100), DEFAULTS).find((n) => n.key === NEIGH_GC_THRESH3);
    assert.deepEqual([need?.needed, need?.tuneTo, need?.severity], [10828, 22528, 'refuse']);
    const thresh2 = labKernelNeeds(solo(100), DEFAULTS).find((n) => n.key === NEIGH_GC_THRESH2);
    assert.deepEqual([thresh2?.needed, thresh2?.tuneTo, thresh2?.severity], [10828, 11264, 'warn']);
  });

  test('processes and open files are counted on top of what runs now', () => {
    const needs = neededByKey(labKernelNeeds(solo(100), DEFAULTS));
    assert.equal(needs[PID_MAX], 300 + 10000);
    assert.equal(needs[FILE_MAX], 1500 + 5000);
    assert.equal(needs['fs.mount-max'], 40 + 101);
    assert.equal(needs['user.max_net_namespaces'], 301);
    assert.equal(needs[NOFILE], 64 + 500);
    assert.equal(needs[MEMORY], 409600);
  });

  test('the conntrack limit is checked only when the module is loaded', () => {
    assert.equal(labKernelNeeds(solo(100), DEFAULTS).some((n) => n.key === CONNTRACK_MAX), false);
    const loaded = { ...DEFAULTS, sysctls: { ...DEFAULTS.sysctls, [CONNTRACK_MAX]: 65536 } };
    assert.equal(neededByKey(labKernelNeeds(solo(100), loaded))[CONNTRACK_MAX], 20000);
  });

  test('other labs: alone under the limit is fine, together over it only warns', () => {
    const needs = labKernelNeeds({ members: 20, otherMembers: 30 }, DEFAULTS).filter((n) => n.key === NEIGH_GC_THRESH3);
    assert.deepEqual(
      needs.map((n) => [n.needed, n.severity]),
      [
        [20 * 19 + 160 + 128, 'refuse'],
        [20 * 19 + 160 + 128 + 30 * 29 + 240, 'warn'],
      ],
    );
    const verdict = kernelVerdict(shortLimits(needs, DEFAULTS), false);
    assert.equal(verdict.refuse.length, 0);
    assert.equal(verdict.warn.length, 1);
    // --tune-kernel raises it for all of them: the larger target wins.
    assert.deepEqual(tuneChanges(shortLimits(needs, DEFAULTS)), [{ key: NEIGH_GC_THRESH3, from: 1024, to: 4096 }]);
  });
});

describe('the verdict', () => {
  test('3 nodes on a default kernel: nothing short', () => {
    assert.deepEqual(shortLimits(labKernelNeeds(solo(3), DEFAULTS), DEFAULTS), []);
  });

  test('26 nodes fit a default kernel, 27 do not', () => {
    const refused = (n: number) => kernelVerdict(shortLimits(labKernelNeeds(solo(n), DEFAULTS), DEFAULTS), false).refuse.map((f) => f.key);
    assert.deepEqual(refused(26), []);
    assert.deepEqual(refused(27), [NEIGH_GC_THRESH3]);
  });

  test('100 nodes without --tune-kernel: refused on gc_thresh3, warned on gc_thresh2; with it, both raised', () => {
    const findings = shortLimits(labKernelNeeds(solo(100), DEFAULTS), DEFAULTS);
    const plain = kernelVerdict(findings, false);
    assert.deepEqual(plain.refuse.map((f) => f.key), [NEIGH_GC_THRESH3]);
    assert.deepEqual(plain.warn.map((f) => f.key), [NEIGH_GC_THRESH2]);
    assert.deepEqual(plain.tune, []);
    const tuned = kernelVerdict(findings, true);
    assert.deepEqual(tuned.refuse, []);
    assert.deepEqual(tuned.warn, []);
    assert.deepEqual(tuned.tune, [
      { key: NEIGH_GC_THRESH3, from: 1024, to: 22528 },
      { key: NEIGH_GC_THRESH2, from: 512, to: 11264 },
    ]);
  });

  test('what --tune-kernel cannot raise stays a warning (open files of your shell) or a refusal', () => {
    const tight = { ...DEFAULTS, nofileHard: 256, memAvailableKiB: 1000 };
    const tuned = kernelVerdict(shortLimits(labKernelNeeds(solo(100), tight), tight), true);
    assert.deepEqual(tuned.warn.map((f) => f.key), [NOFILE, MEMORY]);
    assert.deepEqual(tuned.refuse, []);
  });

  test('a value already above the target is never lowered', () => {
    assert.deepEqual(tuneChanges([{ key: PID_MAX, needed: 10, current: 5, severity: 'refuse', tuneTo: 4, why: '' }]), []);
  });

  test('the refusal names each limit, its value, what it needs and what --tune-kernel sets', () => {
    const findings = kernelVerdict(shortLimits(labKernelNeeds(solo(100), DEFAULTS), DEFAULTS), false).refuse;
    const text = renderRefusal('big', 100, findings, true);
    assert.match(text, /^lab "big" \(100 nodes\) would hit kernel limits; nothing was made:\n/);
    assert.match(text, /\n {2}net\.ipv4\.neigh\.default\.gc_thresh3 is 1024, needs at least 10828 \(--tune-kernel sets 22528\): the neighbour table/);
    assert.match(text, /\nrun again with --tune-kernel to raise it \(lab down puts the old values back\)/);
    assert.doesNotMatch(text, /\n\s+at /, 'no stack trace');
  });
});

describe('what lab down puts back', () => {
  const raised: RestoreEntry = { kind: 'sysctl', key: NEIGH_GC_THRESH3, original: 1024, set: 22528 };

  test('a value still at what the lab set goes back to the original', () => {
    const actions = planRestore([raised], { [NEIGH_GC_THRESH3]: 22528 }, []);
    assert.deepEqual(actions, [{ kind: 'write', key: NEIGH_GC_THRESH3, from: 22528, value: 1024 }]);
    assert.equal(renderRestoreAction(actions[0]!), 'put net.ipv4.neigh.default.gc_thresh3 back from 22528 to 1024');
  });

  test('a value someone else changed meanwhile is left as it is', () => {
    const actions = planRestore([raised], { [NEIGH_GC_THRESH3]: 65536 }, []);
    assert.equal(actions[0]?.kind, 'leave');
    assert.match(renderRestoreAction(actions[0]!), /is 65536 now, not the 22528 this lab set: someone else changed it, so it stays$/);
  });

  test('a value that can no longer be read is left', () => {
    assert.equal(planRestore([raised], {}, [])[0]?.kind, 'leave');
  });

  test('a lab still up that needs more than the original gets the entry; one that does not, does not', () => {
    const needy = { name: 'other', needs: { [NEIGH_GC_THRESH3]: 5000 }, entries: [] };
    assert.deepEqual(planRestore([raised], { [NEIGH_GC_THRESH3]: 22528 }, [needy]), [
      { kind: 'hand-over', lab: 'other', entry: raised, reason: 'lab other is still up and needs 5000' },
    ]);
    const small = { name: 'small', needs: { [NEIGH_GC_THRESH3]: 200 }, entries: [] };
    assert.equal(planRestore([raised], { [NEIGH_GC_THRESH3]: 22528 }, [small])[0]?.kind, 'write');
  });

  test('a lab that raised it further takes over the original, so the last one down puts back the first value', () => {
    const further: RestoreEntry = { kind: 'sysctl', key: NEIGH_GC_THRESH3, original: 22528, set: 40960 };
    const actions = planRestore([raised], { [NEIGH_GC_THRESH3]: 40960 }, [{ name: 'b', needs: {}, entries: [further] }]);
    assert.equal(actions[0]?.kind, 'hand-over');
    assert.deepEqual(receiveHandOver([further], raised), [{ kind: 'sysctl', key: NEIGH_GC_THRESH3, original: 1024, set: 40960 }]);
  });

  test('a hand-over adds an entry the heir lacks, and keeps its own for the same key', () => {
    assert.deepEqual(receiveHandOver([], raised), [raised]);
    const own: RestoreEntry = { kind: 'sysctl', key: NEIGH_GC_THRESH3, original: 9, set: 10 };
    assert.deepEqual(receiveHandOver([own], raised), [own]);
    const dir: RestoreEntry = { kind: 'dir', path: '/etc/cni' };
    assert.deepEqual(receiveHandOver([dir], dir), [dir]);
    assert.deepEqual(receiveHandOver([], dir), [dir]);
  });

  test('a directory the lab made is removed when no other lab is up, else handed over', () => {
    const dir: RestoreEntry = { kind: 'dir', path: '/opt/cni/bin' };
    assert.deepEqual(planRestore([dir], {}, []), [{ kind: 'rmdir', path: '/opt/cni/bin' }]);
    assert.deepEqual(planRestore([dir], {}, [{ name: 'b', needs: {}, entries: [] }]), [
      { kind: 'hand-over', lab: 'b', entry: dir, reason: 'lab b is still up and its nodes mount on it' },
    ]);
  });
});
