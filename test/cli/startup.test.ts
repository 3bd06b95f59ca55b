// Start-up (issue 12): each command loads only what it uses. `--version` loads nothing of the
// program; --help only the command declarations and commander; validate neither ajv (the schema
// is compiled at build time) nor SSH; diff reads cluster.yaml before loading the planner and SSH.
// Which modules a run loads is logged by a module hook (test/support/module-log.ts); the module
// graph is checked on the modules tsc wrote (test/support/run-unbundled.ts), and the real
// executable on the bundle it loads (scripts/bundle-cli.mjs: one file and V8's code cache).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadedModules } from '../support/cli.js';
import { loadBundle } from '../../src/cli/load-bundle.js';

const MAIN = 'dist/src/cli/main.js';
const UNBUNDLED = 'dist/test/support/run-unbundled.js';
const FILE = 'examples/seed-3-nodes/cluster.yaml';

/** The packages among the modules (node_modules/NAME/…). */
function packages(modules: readonly string[]): string[] {
  return [...new Set(modules.flatMap((m) => /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(m)?.[1] ?? []))].sort();
}

/** podnet's own modules among them, by folder under dist/src (cli, config, run, …). */
function folders(modules: readonly string[]): string[] {
  return [...new Set(modules.flatMap((m) => /^dist\/src\/([^/]+)\//.exec(m)?.[1] ?? []))].sort();
}

test('podnet --version and -V print the version and load main.js and version.js only', () => {
  for (const flag of ['--version', '-V']) {
    const run = loadedModules(MAIN, flag);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '0.1.0\n');
    assert.deepEqual(run.modules, ['dist/src/cli/main.js', 'dist/src/cli/version.js'], flag);
  }
});

test('--help and a command\'s --help load commander and the command declarations, nothing of the work', () => {
  for (const args of [['--help'], ['diff', '--help'], ['validate', '--help'], ['lab', 'up', '--help']]) {
    const run = loadedModules(UNBUNDLED, ...args);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Usage: podnet/);
    assert.deepEqual(packages(run.modules), ['commander'], args.join(' '));
    const work = run.modules.filter((m) => m.startsWith('dist/src/') && !/^dist\/src\/(cli\/(commands\/[a-z]+|options|program|version)|render\/(wrap|terminal-safe)|model\/errors|lab\/lab-layout)\.js$/.test(m));
    assert.deepEqual(work, [], args.join(' '));
  }
});

test('validate loads neither ajv (compiled at build time) nor ssh2, nor anything of planning, running or rendering plans', () => {
  const run = loadedModules(UNBUNDLED, 'validate', FILE);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /: ok \(3 nodes, pod CIDR 10\.244\.0\.0\/16\)/);
  const loaded = packages(run.modules);
  for (const heavy of ['ajv', 'ssh2', 'p-limit', 'picocolors']) assert.ok(!loaded.includes(heavy), `validate loaded ${heavy}: ${loaded.join(', ')}`);
  assert.ok(run.modules.includes('dist/src/config/cluster-schema.generated.js'), 'the compiled validator');
  for (const folder of ['run', 'plan', 'scripts', 'cni', 'probe']) assert.ok(!folders(run.modules).includes(folder), `validate loaded dist/src/${folder}/`);
  assert.deepEqual(run.modules.filter((m) => m.startsWith('dist/src/lab/')), ['dist/src/lab/lab-layout.js'], 'of the lab, only the names `lab up --help` shows');
});

test('diff of a missing or invalid file fails before the planner and SSH are loaded', () => {
  for (const file of ['/nonexistent/cluster.yaml', 'test/fixtures/config/bad/unknown-key.yaml']) {
    const run = loadedModules(UNBUNDLED, 'diff', file);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /^podnet: /);
    assert.ok(!packages(run.modules).includes('ssh2'), file);
    for (const folder of ['run', 'plan']) assert.ok(!folders(run.modules).includes(folder), `${file}: loaded dist/src/${folder}/`);
  }
});

test('the executable runs the bundle: validate loads main.js, version.js and load-bundle.js, not the modules', () => {
  const run = loadedModules(MAIN, 'validate', FILE);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.modules.filter((m) => !m.startsWith('node:')), ['dist/src/cli/load-bundle.js', 'dist/src/cli/main.js', 'dist/src/cli/version.js']);
  assert.deepEqual(loadedModules(UNBUNDLED, 'validate', FILE).stdout, run.stdout, 'the same output as the modules');
});

test('the build\'s code cache fits this node: V8 takes it', () => {
  const loaded = loadBundle();
  assert.ok(loaded !== undefined, 'dist/src/cli/bundle/program.cjs (npm run build makes it)');
  assert.equal(typeof loaded.program.main, 'function');
  assert.equal(loaded.script.cachedDataRejected, false, 'the cache is missing, or V8 refused it (made by another node, or for another text)');
});
