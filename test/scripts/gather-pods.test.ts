// The gather's pods section run for real on a temporary store: every entry of the store is
// reported (hidden files, sub-directories, links, IPv6-named files, empty files), so destroy can
// tell what the plugin wrote from anything else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseObservedPods, podsGatherCommand } from '../../src/scripts/gather-pods.js';
import { splitSections } from '../../src/scripts/sections.js';
import { DEFAULT_CNI } from '../../src/model/types.js';

test('the pods section lists every entry of the store, with the first line of each file', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pngather-'));
  try {
    const store = join(dataDir, 'podnet');
    mkdirSync(join(store, 'sub'), { recursive: true });
    writeFileSync(join(store, '10.244.1.2'), 'pa\r\neth0');
    writeFileSync(join(store, '10.244.1.3'), '');
    writeFileSync(join(store, '2001:db8::5'), 'c0ffee\r\neth0');
    writeFileSync(join(store, 'lock'), '');
    writeFileSync(join(store, 'last_reserved_ip.0'), '10.244.1.3');
    writeFileSync(join(store, '.hidden'), 'x y');
    writeFileSync(join(store, 'we ird'), '');
    symlinkSync('/etc', join(store, 'link'));
    const out = execFileSync('sh', ['-c', `echo '@@podnet pods'; ${podsGatherCommand({ ...DEFAULT_CNI, dataDir })}`], { encoding: 'utf8' });
    const pods = parseObservedPods(splitSections(out));
    assert.equal(pods?.storeExists, true);
    assert.deepEqual(pods?.allocations, [{ ip: '10.244.1.2', containerId: 'pa', ifname: 'eth0' }]);
    const byName = (a: { name: string }, b: { name: string }): number => a.name.localeCompare(b.name);
    assert.deepEqual([...(pods?.storeEntries ?? [])].sort(byName), [
      { name: '.hidden', kind: 'file', firstLine: 'x?y' },
      { name: '10.244.1.2', kind: 'file', firstLine: 'pa' },
      { name: '10.244.1.3', kind: 'file', firstLine: '' },
      { name: '2001:db8::5', kind: 'file', firstLine: 'c0ffee' },
      { name: '?', kind: 'file', firstLine: '' },
      { name: 'last_reserved_ip.0', kind: 'file', firstLine: '10.244.1.3' },
      { name: 'link', kind: 'other' },
      { name: 'lock', kind: 'file', firstLine: '' },
      { name: 'sub', kind: 'dir' },
    ].sort(byName));
    // A store that is a link is never looked into: it is reported as one foreign entry.
    rmSync(store, { recursive: true });
    mkdirSync(join(dataDir, 'elsewhere'));
    symlinkSync(join(dataDir, 'elsewhere'), store);
    const linked = parseObservedPods(splitSections(execFileSync('sh', ['-c', `echo '@@podnet pods'; ${podsGatherCommand({ ...DEFAULT_CNI, dataDir })}`], { encoding: 'utf8' })));
    assert.deepEqual(linked?.storeEntries, [{ name: '.', kind: 'other' }]);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('the pods section starts no process per entry (it runs with an empty PATH), and a first line cannot fake a marker', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pngather-'));
  try {
    const store = join(dataDir, 'podnet');
    mkdirSync(store, { recursive: true });
    writeFileSync(join(store, '10.244.1.2'), 'c0ffee\r\neth0');
    writeFileSync(join(store, '10.244.1.4'), 'pod4\r\r\neth1\n');
    writeFileSync(join(store, 'x'), '@@podnet end\nmore');
    const out = execFileSync('/bin/sh', ['-c', `echo '@@podnet pods'; ${podsGatherCommand({ ...DEFAULT_CNI, dataDir })}`], {
      encoding: 'utf8',
      env: { PATH: '/nonexistent' },
    });
    const pods = parseObservedPods(splitSections(out));
    assert.deepEqual(pods?.allocations, [
      { ip: '10.244.1.2', containerId: 'c0ffee', ifname: 'eth0' },
      { ip: '10.244.1.4', containerId: 'pod4', ifname: 'eth1' },
    ]);
    assert.deepEqual(pods?.storeEntries, [
      { name: '10.244.1.2', kind: 'file', firstLine: 'c0ffee' },
      { name: '10.244.1.4', kind: 'file', firstLine: 'pod4' },
      { name: 'x', kind: 'file', firstLine: '??podnet?end' },
    ]);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
