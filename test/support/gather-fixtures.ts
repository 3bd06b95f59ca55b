// The captured gather output of lab nodes with pods (test/fixtures/gather/<case>.out, see its
// README): as the node printed it, or with the managed files' sections replaced by files given here
// (the plugin's checksum is that of the day of the capture; a test that needs the node's files in
// sync with today's plugin passes desiredFilesOn(cluster, node)).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCluster } from '../../src/config/load-cluster.js';
import type { Cluster, ObservedState } from '../../src/model/types.js';
import { parseGatherOutput } from '../../src/scripts/gather-script.js';
import { SECTION_PREFIX } from '../../src/scripts/sections.js';
import { managedFilePaths } from '../../src/state/node-files.js';
import type { FakeFile } from './gather-output.js';

export const GATHER_FIXTURE_ROOT = join(process.cwd(), 'test', 'fixtures', 'gather');

/** test/fixtures/gather/cluster.yaml (the lab of the capture) or cluster-moved.yaml (node2 on 10.244.20.0/24). */
export function gatherFixtureCluster(which: 'cluster' | 'cluster-moved'): Cluster {
  const file = join('test', 'fixtures', 'gather', `${which}.yaml`);
  const loaded = loadCluster(readFileSync(file, 'utf8'), file, { readFile: (p) => readFileSync(p, 'utf8'), homeDir: '/home/fixture' });
  if (!loaded.ok) throw new Error(`${file} does not load: ${JSON.stringify(loaded.diagnostics)}`);
  return loaded.cluster;
}

const FILE_SECTIONS: Record<string, (files: readonly FakeFile[]) => string> = {
  files: (files) => files.map((f) => f.path).join('\n'),
  files_sha256: (files) => files.map((f) => `${f.sha256}  ${f.path}`).join('\n'),
  files_stat: (files) => files.map((f, i) => `${f.mode} ${1000 + i} 100 1796300000.000000001 ${f.path}`).join('\n'),
  files_podnet: (files) => files.map((f) => f.path).join('\n'),
};

/** The captured stdout of case `name`; with `files`, its four file sections say exactly these files. */
export function gatherFixture(name: string, files?: readonly FakeFile[]): string {
  const text = readFileSync(join(GATHER_FIXTURE_ROOT, `${name}.out`), 'utf8');
  if (files === undefined) return text;
  const out: string[] = [];
  let skipping = false;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${SECTION_PREFIX} `)) {
      const section = line.slice(SECTION_PREFIX.length + 1).split(' ')[0] ?? '';
      const render = FILE_SECTIONS[section];
      skipping = render !== undefined;
      out.push(line);
      if (render !== undefined && files.length > 0) out.push(render(files));
      continue;
    }
    if (!skipping) out.push(line);
  }
  return out.join('\n');
}

/** The observed state of node2 as the planner gets it from case `name` (node2, 192.168.1.12). */
export function observedFromGather(name: string, cluster: Cluster, files?: readonly FakeFile[]): ObservedState {
  return parseGatherOutput(gatherFixture(name, files), 'node2', '192.168.1.12', managedFilePaths(cluster));
}
