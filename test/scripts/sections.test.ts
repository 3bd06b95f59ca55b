// The one section-marker format of the node scripts: what the shell prints, and how it is split.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseMarker, sectionMarker, sectionMarkerPrintf, splitSections } from '../../src/scripts/sections.js';

const sh = (script: string): string => {
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
};

test('markers print `@@podnet NAME ARGS` lines, fixed words or values from the node', () => {
  assert.equal(sectionMarker('ip'), "echo '@@podnet ip'");
  assert.equal(sh(`${sectionMarker('add', 'a')}; echo 0`), '@@podnet add a\n0\n');
  assert.equal(sh(`ip=10.244.1.2 id=web1; ${sectionMarkerPrintf('allocation', '"$ip"', '"$id"')}`), '@@podnet allocation 10.244.1.2 web1\n');
  assert.throws(() => sectionMarker('a b'), /section marker word/);
  assert.throws(() => sectionMarker('x', "it's"), /section marker word/);
  assert.throws(() => sectionMarkerPrintf('$(reboot)'), /section marker word/);
});

test('splitSections: name, args and the untrimmed body of each, in order; text before the first marker is dropped', () => {
  const out = sh(`echo noise; ${sectionMarker('tools')}; echo ping; echo; ${sectionMarker('add', 'a')}; ${sectionMarker('end')}`);
  assert.deepEqual(splitSections(out), [
    { name: 'tools', args: [], body: 'ping\n' },
    { name: 'add', args: ['a'], body: '' },
    { name: 'end', args: [], body: '' },
  ]);
  assert.deepEqual(parseMarker('@@podnet probe 12'), { name: 'probe', args: ['12'] });
  assert.equal(parseMarker('@@podnetx probe'), undefined);
  assert.equal(parseMarker('@@podnet '), undefined);
  assert.equal(parseMarker(' @@podnet ip'), undefined);
});
