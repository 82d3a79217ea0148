// cbox/sqlite's manifest built other ways, in one run: -O3, LTO (-O3), two more SQLite options,
// without SIMD, and metered (`--metered`, what a main-thread deadline on any C code would cost)
// against the shipped build (-O2), on the
// glue calls cbox/sqlite makes for real-libraries' workloads. Runs alternate build by build
// within each round, so a change of load on a shared machine stays out of the ratios.
// Writes bench/results/sqlite-builds.{json,md}.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { loadSync, type Binding, type Handle, type Library } from 'cbox';
import type { SqliteExports } from '../wasm-modules/sqlite.js';
import { describeMachine } from './machine.js';
import { resultsDir, root } from './paths.js';
import { formatDuration, formatRatio, geomean } from './report/format.js';

// Every build compiled by TurboFan up front (see bench/metering.ts): steady state, not tier-up timing.
setFlagsFromString('--no-liftoff');

interface Variant { readonly name: string; readonly manifest: Record<string, unknown>; readonly flags: readonly string[] }
const shippedDefines = (JSON.parse(readFileSync(path.join(root, 'c-src', 'sqlite', 'cbox.json'), 'utf8')) as { defines: Record<string, string> }).defines;
const VARIANTS: readonly Variant[] = [
  { name: 'shipped (-O2)', manifest: {}, flags: [] },
  { name: '-O3', manifest: { optimize: 'O3' }, flags: [] },
  { name: 'LTO -O3', manifest: { optimize: 'O3', lto: true }, flags: [] },
  // Two of SQLite's recommended compile-time options the shipped build does not set.
  { name: 'USE_ALLOCA, OMIT_AUTOINIT', manifest: { defines: { ...shippedDefines, SQLITE_USE_ALLOCA: '1', SQLITE_OMIT_AUTOINIT: '1' } }, flags: [] },
  { name: 'no SIMD', manifest: { simd: false }, flags: [] },
  { name: 'metered', manifest: {}, flags: ['--metered'] },
];
const ROWS = 100_000;
const CALLS = 20_000;
const ROUNDS = 15;
const CITIES = ['Paris', 'Lima', 'Oslo', 'Kyoto', 'Accra', 'Quito', 'Hanoi', 'Perth'];
const SETUP = `CREATE TABLE visits (id INTEGER PRIMARY KEY, city TEXT, days INTEGER, score REAL);
  CREATE TABLE cities (name TEXT PRIMARY KEY, region TEXT, rate REAL);
  CREATE TABLE scratch (id INTEGER, name TEXT, score REAL);
  INSERT INTO cities VALUES ${CITIES.map((name, index) => `('${name}', '${['Europe', 'Americas', 'Asia', 'Africa'][index % 4]}', ${50 + index * 12.5})`).join(', ')};
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS})
  INSERT INTO visits SELECT i, CASE i % 8 ${CITIES.map((name, index) => `WHEN ${index} THEN '${name}'`).join(' ')} END, (i * 7) % 30, (i % 1000) / 10.0 FROM n;`;
const SCANS = {
  'group-by report over 100k rows': 'SELECT city, count(*) AS n, avg(score) AS mean, max(days) AS longest FROM visits WHERE days > 3 GROUP BY city ORDER BY mean DESC',
  'sort 100k rows, top 100': 'SELECT id, city, score FROM visits ORDER BY score DESC, id LIMIT 100',
  'join 100k rows, group by': 'SELECT c.region, count(*) AS n, sum(v.days * c.rate) AS cost FROM visits v JOIN cities c ON c.name = v.city WHERE v.score > 20 GROUP BY c.region ORDER BY cost DESC',
};

/** c-src/sqlite/cbox.json with its paths made absolute and `extra` fields, in a folder of its own. */
function manifestFor(extra: Record<string, unknown>, dir: string): string {
  const manifestDir = path.join(root, 'c-src', 'sqlite');
  const require = createRequire(path.join(manifestDir, 'cbox.json'));
  const absolute = (entry: string): string => {
    if (!entry.startsWith('npm:')) return path.resolve(manifestDir, entry);
    const [scope, name, ...rest] = entry.slice(4).split('/');
    const packageName = scope!.startsWith('@') ? `${scope}/${name}` : scope!;
    const inside = scope!.startsWith('@') ? rest : [name!, ...rest];
    return path.join(path.dirname(require.resolve(`${packageName}/package.json`)), ...inside);
  };
  const manifest = JSON.parse(readFileSync(path.join(manifestDir, 'cbox.json'), 'utf8')) as { sources: string[]; include: string[] };
  const file = path.join(dir, 'cbox.json');
  writeFileSync(file, JSON.stringify({ ...manifest, sources: manifest.sources.map(absolute), include: manifest.include.map(absolute), ...extra }));
  return file;
}

/** One build's workloads, made of the glue calls cbox/sqlite's Statement makes. */
function workloadsOf(library: Library<SqliteExports>): Record<string, () => void> {
  const db = library.db_open(':memory:', 0)!;
  if (library.db_exec(db, SETUP) !== 0) throw new Error(library.db_errmsg(db));
  const prepare = (sql: string): Handle => library.stmt_prepare(db, sql) ?? (() => { throw new Error(library.stmt_prepare_error()); })();
  const insert = prepare('INSERT INTO scratch VALUES (?, ?, ?)');
  const get = prepare('SELECT city, days FROM visits WHERE id = ?');
  const rows = (statement: Handle): void => {
    // u32 count, u8 done flag, rows: until the flag says done.
    while (library.stmt_step_rows(statement, 512)[4] === 0);
  };
  const scans = Object.fromEntries(Object.entries(SCANS).map(([name, sql]) => {
    const statement = prepare(sql);
    return [name, () => rows(statement)];
  }));
  return {
    [`${CALLS} prepared inserts in a transaction`]: () => {
      library.db_exec(db, 'BEGIN');
      for (let i = 0; i < CALLS; i++) {
        library.stmt_bind_double(insert, 1, i);
        library.stmt_bind_text(insert, 2, 'name');
        library.stmt_bind_double(insert, 3, i * 1.5);
        library.stmt_execute(insert);
        library.db_last_insert_rowid_number(db);
      }
      library.db_exec(db, 'COMMIT');
      library.db_exec(db, 'DELETE FROM scratch');
    },
    [`${CALLS} point selects by key`]: () => {
      for (let i = 1; i <= CALLS; i++) {
        library.stmt_bind_double(get, 1, ((i * 17) % ROWS) + 1);
        library.stmt_step_kinds(get);
        library.stmt_column_text(get, 0);
        library.stmt_column_double(get, 1);
        library.stmt_reset(get);
      }
    },
    ...scans,
  };
}

const work = mkdtempSync(path.join(os.tmpdir(), 'cbox-sqlite-builds-'));
const cli = path.join(root, 'dist', 'cli.js');
const builds = VARIANTS.map((variant, index) => {
  const dir = path.join(work, String(index));
  mkdirSync(dir);
  execFileSync(process.execPath, [cli, 'build', manifestFor(variant.manifest, dir), '--out', dir, '--no-native', '--quiet', ...variant.flags], { stdio: 'inherit' });
  return { variant, dir, size: readFileSync(path.join(dir, 'sqlite.wasm')).length };
});
const subjects = await Promise.all(builds.map(async ({ variant, dir }) => {
  const { binding } = await import(pathToFileURL(path.join(dir, 'sqlite.js')).href) as { binding: Binding<SqliteExports> };
  return { variant, workloads: workloadsOf(loadSync(binding, { logger: null, spare: false, memoryLimit: '256MiB' })) };
}));

const names = Object.keys(subjects[0]!.workloads);
const times = new Map<string, number[]>();
for (let round = -2; round < ROUNDS; round++) {
  // The order of the builds turns every round; the first two rounds warm up.
  const order = round % 2 === 0 ? subjects : [...subjects].reverse();
  for (const name of names) {
    for (const { variant, workloads } of order) {
      const started = performance.now();
      workloads[name]!();
      const elapsed = performance.now() - started;
      if (round < 0) continue;
      const key = `${name}|${variant.name}`;
      times.set(key, [...(times.get(key) ?? []), elapsed]);
    }
  }
}
const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const results = names.map((name) => ({
  workload: name,
  ms: Object.fromEntries(VARIANTS.map((variant) => [variant.name, median(times.get(`${name}|${variant.name}`)!)])),
}));
const shipped = VARIANTS[0]!.name;
const ratios = VARIANTS.slice(1).map((variant) => ({ name: variant.name, geomean: geomean(results.map((result) => result.ms[variant.name]! / result.ms[shipped]!)) }));

const machine = describeMachine();
const lines = [
  `cbox/sqlite builds, one run: ${machine.cpu} (${machine.cores} cores, load average ${os.loadavg().map((load) => load.toFixed(1)).join(' ')} at the end), Node ${machine.node}, ${machine.clang}, ${machine.date}`,
  '',
  `| workload (median of ${ROUNDS} interleaved rounds) | ${VARIANTS.map((variant) => variant.name).join(' | ')} |`,
  `|---|${VARIANTS.map(() => '---:').join('|')}|`,
  ...results.map((result) => `| ${result.workload} | ${VARIANTS.map((variant) => `${formatDuration(result.ms[variant.name]! * 1e6)}${variant.name === shipped ? '' : ` (${formatRatio(result.ms[variant.name]! / result.ms[shipped]!)})`}`).join(' | ')} |`),
  `| **geomean vs shipped** | | ${ratios.map((ratio) => `**${formatRatio(ratio.geomean)}**`).join(' | ')} |`,
  `| module size | ${builds.map((build) => `${(build.size / 1024).toFixed(0)} KiB`).join(' | ')} |`,
  '',
];
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, 'sqlite-builds.json'), `${JSON.stringify({ machine, results, ratios, sizes: Object.fromEntries(builds.map((build) => [build.variant.name, build.size])) }, null, 2)}\n`);
writeFileSync(path.join(resultsDir, 'sqlite-builds.md'), lines.join('\n'));
console.log(lines.join('\n'));
