// Stryker incremental reports (reports/stryker-*.json): moving one file's results from one report into
// another. README: "Mutation testing".
//
// A report's test ids ("0", "1", …) mean something only within that report: Stryker numbers the
// tests of each run in the order it met them, so a test file added or removed renumbers the rest.
// A mutant's coveredBy/killedBy hold those ids. Moving a file's mutants into another report must
// therefore translate each id through the test's name (the tap runner's test is a whole test file,
// named by its path) into the other report's id for that name, adding the test where it has none.

/** The test name an id stands for in report, per id. */
function namesById(report) {
  const names = new Map();
  for (const { tests } of Object.values(report.testFiles ?? {})) for (const t of tests) names.set(t.id, t.name);
  return names;
}

/**
 * Copy the results of `files` from `from` into `into` (changed in place; also returned). Each
 * mutant's test ids are translated by name; `rename` maps a test name (and test file key) of `from`
 * to the one `into` uses (identity by default). A test that `into` lacks is added under a new id
 * with its test file's source: `into` keeps its own source where it has the test file already,
 * unless `replaceSources` (the test files as the copied results saw them replace the older ones).
 * `sourceOf(key)` gives a test file's source when `from` has none for it.
 */
export function copyFileResults(into, from, files, { rename = (n) => n, sourceOf, replaceSources = false } = {}) {
  const fromNames = namesById(from);
  into.testFiles ??= {};
  const intoIds = new Map();
  let next = 0;
  for (const { tests } of Object.values(into.testFiles)) {
    for (const t of tests) {
      intoIds.set(t.name, t.id);
      if (/^\d+$/.test(t.id)) next = Math.max(next, Number(t.id) + 1);
    }
  }
  const fromKeyByName = new Map();
  for (const [key, { tests }] of Object.entries(from.testFiles ?? {})) for (const t of tests) fromKeyByName.set(t.name, key);

  const translate = (id) => {
    const fromName = fromNames.get(id);
    if (fromName === undefined) throw new Error(`test id ${id} is not in the report's testFiles`);
    const name = rename(fromName);
    if (!intoIds.has(name)) {
      const fromKey = fromKeyByName.get(fromName);
      const key = rename(fromKey);
      const source = from.testFiles[fromKey].source ?? sourceOf?.(key);
      if (source === undefined) throw new Error(`no source for test file ${key}`);
      const id = String(next++);
      (into.testFiles[key] ??= { tests: [], source }).tests.push({ id, name });
      intoIds.set(name, id);
    }
    return intoIds.get(name);
  };

  for (const file of files) {
    const result = from.files[file];
    if (!result) throw new Error(`${file}: no results in the report`);
    into.files[file] = {
      ...result,
      mutants: result.mutants.map((m) => ({
        ...m,
        ...(m.coveredBy ? { coveredBy: m.coveredBy.map(translate) } : {}),
        ...(m.killedBy ? { killedBy: m.killedBy.map(translate) } : {}),
      })),
    };
  }
  if (replaceSources) {
    for (const [fromKey, { source }] of Object.entries(from.testFiles ?? {})) {
      const key = rename(fromKey);
      const s = source ?? sourceOf?.(key);
      if (into.testFiles[key] && s !== undefined) into.testFiles[key].source = s;
    }
  }
  return into;
}

/** A compiled-mode test name or key (dist/test/x.test.js) → the tsx-mode one (test/x.test.ts). */
export const compiledToTsx = (name) => name.replace(/^dist\//, '').replace(/\.js$/, '.ts');
