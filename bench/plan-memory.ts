// Peak memory of `podnet diff` over N simulated nodes (issue 12, item 6), in this process:
//   node dist/bench/plan-memory.js [--nodes 1000] [--state converged|scratch] [--output text|json]
// The real CLI pipeline from cluster.yaml on: runPlanCommand reads and validates the file, gathers
// every node through a fake transport (test/support/fake-transport.ts: no SSH), parses each node's
// gather output, plans, renders and prints to stdout (send it to /dev/null). Each node's gather
// output is made when podnet "receives" it, as an SSH stream would hand it over, so the bench holds
// no output podnet would not. What it leaves out: ssh2 and its connections (a real run adds their
// buffers; about one connection per --forks at a time). Prints, on stderr, one line:
// `nodes=N state=S output=O maxRSS=… MB exit=C`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlanCommand } from '../src/cli/plan-command.js';
import { FakeTransport, ok } from '../test/support/fake-transport.js';
import { clusterYaml, gatherText, load, synth } from './synth.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const nodes = Number(option('--nodes', '1000'));
const state = option('--state', 'converged');
const output = option('--output', 'text') as 'text' | 'json';
if (state !== 'converged' && state !== 'scratch') throw new Error(`--state converged|scratch, not ${state}`);
if (output !== 'text' && output !== 'json') throw new Error(`--output text|json, not ${output}`);

const dir = mkdtempSync(join(tmpdir(), 'podnet-plan-memory-'));
try {
  const file = join(dir, 'cluster.yaml');
  const text = clusterYaml(nodes);
  writeFileSync(file, text);
  const s = synth(load(text, file));
  const transport = new FakeTransport();
  s.cluster.nodes.forEach((node, i) => {
    transport.on(node.name, { replies: () => ok(gatherText(s, i, state === 'converged')) });
  });
  const code = await runPlanCommand(file, { forks: 10, output, verbose: false, acceptNewHosts: false }, 'diff', transport);
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stderr.write(`nodes=${nodes} state=${state} output=${output} maxRSS=${maxRssMb.toFixed(0)} MB exit=${code}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
