// podnet graph --live on a real 3-node lab: after apply every route is drawn in place; a route
// deleted by hand on node1 is drawn drifted or missing (drift once the node's state file tells),
// the other routes still in place; with --verify the picture also takes a real verify report.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { labNodeExec, type LabInfo } from '../../src/lab/lab.js';
import { runPodnet } from '../support/cli.js';
import { startTestLab, stopTestLab } from '../support/lab.js';
import { needs } from '../support/needs.js';

const GREEN = '#2ca02c';
const DRIFT_OR_MISSING = /^#(ff7f0e|d62728)$/;

/** Each edge of the DOT output → its colour (none: not coloured). */
function edgeColours(dot: string): Map<string, string> {
  const edges = new Map<string, string>();
  for (const m of dot.matchAll(/^ {2}"([^"]+)" -> "([^"]+)" \[([^\n]*)\];$/gm)) edges.set(`${m[1]}→${m[2]}`, /color="([^"]+)"/.exec(m[3] ?? '')?.[1] ?? '');
  return edges;
}

describe('podnet graph --live on the lab', { skip: needs('root', 'netns', 'sshd'), timeout: 120_000 }, () => {
  let lab: LabInfo | undefined;
  before(async () => {
    lab = await startTestLab(3);
  });
  after(() => stopTestLab(lab));

  test('routes in place, then one deleted by hand, coloured; --verify takes a real report', async () => {
    const file = lab!.clusterFile;
    const apply = runPodnet('apply', file, '--no-confirm');
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);

    const inPlace = runPodnet('graph', file, '--live', '--format', 'dot');
    assert.equal(inPlace.code, 0, inPlace.stderr);
    const before = edgeColours(inPlace.stdout);
    assert.equal(before.size, 6);
    for (const [edge, colour] of before) assert.equal(colour, GREEN, edge);

    const del = await labNodeExec(lab!.name, 'node1', ['ip', 'route', 'del', '10.244.2.0/24']);
    assert.equal(del.code, 0, del.stderr);
    const drifted = runPodnet('graph', file, '--live', '--format', 'dot');
    assert.equal(drifted.code, 0, drifted.stderr);
    const after = edgeColours(drifted.stdout);
    assert.match(after.get('node1→node2') ?? '', DRIFT_OR_MISSING);
    for (const [edge, colour] of after) if (edge !== 'node1→node2') assert.equal(colour, GREEN, edge);
    assert.match(runPodnet('graph', file, '--live').stdout, /linkStyle 0 stroke:#(ff7f0e|d62728)/, 'mermaid too');

    // A real verify report (node1 → node2 has no route: its cells fail) colours the same edge red.
    const verify = runPodnet('verify', file, '-o', 'json');
    assert.equal(verify.code, 1, verify.stderr);
    const reportFile = `${lab!.stateDir}/verify.json`;
    writeFileSync(reportFile, verify.stdout);
    const checked = runPodnet('graph', file, '--verify', reportFile, '--format', 'dot');
    assert.equal(checked.code, 0, checked.stderr);
    const verified = edgeColours(checked.stdout);
    assert.equal(verified.get('node1→node2'), '#d62728');
    assert.equal(verified.get('node2→node3'), GREEN);
  });
});
