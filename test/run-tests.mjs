// Runs the compiled tests (dist/test/**/*.test.js) with node's test runner, in two phases.
//
//   node test/run-tests.mjs [--unit] [SUBSTRING …]   (SUBSTRINGs keep the files whose path has one)
//
// 1. The unit run: EVERY file, in parallel (one file per CPU), with PODNET_TEST_SCOPE=unit and
//    without privileges (as root, under `unshare --user`: euid nobody, no capability, the same
//    files). Under that scope test/support/needs.ts skips every test that declared a machine need
//    (root, netns, iptables, sshd), hooks included, so it builds no lab; what is left is pure or
//    runs against fakes and plain binaries (sh, shellcheck, ssh-keygen, an in-process sshd).
//    --unit stops here: `npm run test:unit`.
// 2. The machine run (`npm test`): the files that declared a machine need, run again in full.
//    As root they run; otherwise every gated test is skipped saying `needs root …`.
//
// Selection is by declared needs, not by words in the source: needs() appends {file, needs} to
// PODNET_TEST_NEEDS_LOG as each file loads in phase 1, and phase 2 is the files that declared a
// machine need. Nothing can hide from it: phase 1 runs every file, unprivileged, so a test that
// needs root but lacks the gate fails there (EPERM), and a file that spends more than
// UNIT_FILE_TIMEOUT_MS there fails (--test-timeout is per file in node 20): the unit run stays fast.
//
// Phase 2 runs two files at a time (one on a 1-CPU machine; PODNET_TEST_ROOT_CONCURRENCY overrides
// it): every lab and namespace a test makes carries a random name, the lab lock is per lab, no test
// touches the root namespace's addresses or routes, and the one test that counts namespaces by
// prefix (capture-fixtures, pnfix-…) shares that prefix with nobody. The e2e files mostly wait
// (sshd start-up, ping timeouts): on 2 CPUs, one paired run each, phase 2 took 161 s two at a
// time against 193 s one at a time.
//
// A compiled test whose test/**/*.test.ts is gone (a stale dist/ after a move) is not run: an
// incremental tsc (npm run test:unit) leaves such files behind.
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const UNIT_FILE_TIMEOUT_MS = 60_000;
const ROOT_CONCURRENCY = Number(process.env.PODNET_TEST_ROOT_CONCURRENCY ?? Math.min(2, availableParallelism()));

function findTests(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(findTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filter = args.filter((a) => a !== '--unit');
const compiled = findTests('dist/test').filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)));
const stale = compiled.filter((f) => !existsSync(f.replace(/^dist\//, '').replace(/\.js$/, '.ts')));
if (stale.length > 0) console.log(`# run-tests: not run, their source is gone: ${stale.join(', ')}`);
const all = compiled.filter((f) => !stale.includes(f)).map((f) => resolve(f));
if (all.length === 0) {
  console.error('no test files found under dist/test (did the build run?)');
  process.exit(1);
}
const { isMachineNeed } = await import(pathToFileURL(resolve('dist/test/support/needs.js')).href);

/** `unshare --user` when we are root and it works: phase 1 then has no privilege at all. */
function unprivilegedPrefix() {
  if (process.geteuid?.() !== 0) return [];
  const probe = spawnSync('unshare', ['--user', 'true'], { stdio: 'ignore' });
  if (probe.status === 0) return ['unshare', '--user', '--'];
  console.error('# run-tests: unshare --user is unavailable: the unit run runs as root (an ungated root test would not fail)');
  return [];
}

function nodeTest(prefix, files, concurrency, extraArgs, env) {
  const started = performance.now();
  const [program, ...rest] = [...prefix, process.execPath, '--test', `--test-concurrency=${concurrency}`, ...extraArgs, ...files];
  const r = spawnSync(program, rest, { stdio: 'inherit', env: { ...process.env, ...env } });
  return { ok: r.status === 0, seconds: (performance.now() - started) / 1000 };
}

const dir = mkdtempSync(join(tmpdir(), 'podnet-tests-'));
const needsLog = join(dir, 'needs.jsonl');
appendFileSync(needsLog, '');
let exitCode = 0;
try {
  const cpus = availableParallelism();
  const unit = nodeTest(unprivilegedPrefix(), all, cpus, [`--test-timeout=${UNIT_FILE_TIMEOUT_MS}`], {
    PODNET_TEST_SCOPE: 'unit',
    PODNET_TEST_NEEDS_LOG: needsLog,
  });
  const declared = readFileSync(needsLog, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
  const unknown = declared.filter((d) => !all.includes(resolve(d.file)));
  if (unknown.length > 0) {
    // needs() names its file by process.argv[1]: a runner that stops giving each file its own process breaks that.
    console.error(`# run-tests: needs() was called outside a known test file: ${[...new Set(unknown.map((d) => d.file))].join(', ')}`);
    exitCode = 1;
  }
  const machine = all.filter((f) => declared.some((d) => resolve(d.file) === f && d.needs.some(isMachineNeed)));
  console.log(`# unit run: ${all.length} files, ${unit.ok ? 'passed' : 'FAILED'} in ${unit.seconds.toFixed(1)} s (concurrency ${cpus})`);
  if (!unit.ok) exitCode = 1;
  if (!unitOnly && machine.length > 0) {
    const root = process.geteuid?.() === 0;
    const run = nodeTest([], machine, ROOT_CONCURRENCY, [], {});
    console.log(
      `# machine run: ${machine.length} files that declared a machine need, ${run.ok ? 'passed' : 'FAILED'} in ${run.seconds.toFixed(1)} s` +
        ` (concurrency ${ROOT_CONCURRENCY})${root ? '' : ', skipped: not root (run npm test as root)'}`,
    );
    if (!run.ok) exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(exitCode);
