// Real C libraries built by cbox against the peers Node users run today, in one run: SQLite (cbox
// build of better-sqlite3's amalgamation) vs better-sqlite3, and cbox/zlib (zlib 1.3.1 in a
// sandbox, the built package's dist/zlib.js) vs node:zlib (native) and the JavaScript ports pako
// and fflate, on small and large inputs, both directions. Also what cbox/sqlite's timeoutMs costs.
// Writes bench/results/real-libraries.{json,md}.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import zlib from 'node:zlib';
import BetterSqlite3 from 'better-sqlite3';
import Database from 'cbox/sqlite';
import * as cboxZlib from 'cbox/zlib';
import * as fflate from 'fflate';
import * as pako from 'pako';
import initSqlJs from 'sql.js';
import { Bench } from 'tinybench';
import { describeMachine } from './machine.js';
import { resultsDir, root } from './paths.js';
import { proseCorpus } from './text-corpus.js';

// Every wasm module (cbox's, sql.js's) compiled by TurboFan up front: the steady state, not when a
// background thread of a loaded machine got round to optimising SQLite's biggest functions.
setFlagsFromString('--no-liftoff');

interface Workload { readonly name: string; readonly cbox: () => unknown; readonly native: () => unknown; readonly sqljs: () => unknown }
interface Result { readonly workload: string; readonly cboxMs: number; readonly nativeMs: number; readonly sqljsMs: number; readonly ratio: number; readonly sqljsVsCbox: number }

const ROWS = 100_000;
const CALLS = 20_000;
const CITIES = ['Paris', 'Lima', 'Oslo', 'Kyoto', 'Accra', 'Quito', 'Hanoi', 'Perth'];

const ours = new Database(':memory:', { memoryLimit: '256MiB' });
const peer = new BetterSqlite3(':memory:');
const schema = `CREATE TABLE visits (id INTEGER PRIMARY KEY, city TEXT, days INTEGER, score REAL);
  CREATE TABLE cities (name TEXT PRIMARY KEY, region TEXT, rate REAL);
  CREATE TABLE scratch (id INTEGER, name TEXT, score REAL);`;
const SQL = await initSqlJs();
const wasmPeer = new SQL.Database();
ours.exec(schema);
peer.exec(schema);
wasmPeer.exec(schema);
for (const db of [ours, peer]) {
  db.exec('BEGIN');
  const city = db.prepare('INSERT INTO cities VALUES (?, ?, ?)');
  CITIES.forEach((name, index) => city.run(name, ['Europe', 'Americas', 'Asia', 'Africa'][index % 4]!, 50 + index * 12.5));
  const insert = db.prepare('INSERT INTO visits VALUES (?, ?, ?, ?)');
  for (let i = 1; i <= ROWS; i++) insert.run(i, CITIES[i % CITIES.length]!, (i * 7) % 30, (i % 1000) / 10);
  db.exec('COMMIT');
}
{
  // sql.js: the same rows through its own prepared statements.
  wasmPeer.exec('BEGIN');
  const city = wasmPeer.prepare('INSERT INTO cities VALUES (?, ?, ?)');
  CITIES.forEach((name, index) => city.run([name, ['Europe', 'Americas', 'Asia', 'Africa'][index % 4]!, 50 + index * 12.5]));
  const insert = wasmPeer.prepare('INSERT INTO visits VALUES (?, ?, ?, ?)');
  for (let i = 1; i <= ROWS; i++) insert.run([i, CITIES[i % CITIES.length]!, (i * 7) % 30, (i % 1000) / 10]);
  wasmPeer.exec('COMMIT');
  city.free();
  insert.free();
}
/** sql.js's way to all(): step and getAsObject until done. */
function sqljsAll(statement: ReturnType<typeof wasmPeer.prepare>): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  while (statement.step()) rows.push(statement.getAsObject());
  statement.reset();
  return rows;
}
const oursInsert = ours.prepare('INSERT INTO scratch VALUES (?, ?, ?)');
// The same statements with a deadline (timeoutMs): SQLite's progress handler watches the clock.
const TIMEOUT_MS = 60_000;
const oursTimedInsert = ours.prepare('INSERT INTO scratch VALUES (?, ?, ?)', { timeoutMs: TIMEOUT_MS });
const peerInsert = peer.prepare('INSERT INTO scratch VALUES (?, ?, ?)');
const oursGet = ours.prepare('SELECT city, days FROM visits WHERE id = ?');
const peerGet = peer.prepare('SELECT city, days FROM visits WHERE id = ?');
const sqljsInsert = wasmPeer.prepare('INSERT INTO scratch VALUES (?, ?, ?)');
const sqljsGet = wasmPeer.prepare('SELECT city, days FROM visits WHERE id = ?');
const sqljsGetRow = (id: number): Record<string, unknown> => {
  const row = sqljsGet.getAsObject([id]);
  sqljsGet.reset();
  return row;
};
const REPORT = `SELECT city, count(*) AS n, avg(score) AS mean, max(days) AS longest FROM visits
  WHERE days > 3 GROUP BY city ORDER BY mean DESC`;
const TOP = 'SELECT id, city, score FROM visits ORDER BY score DESC, id LIMIT 100';
const JOIN = `SELECT c.region, count(*) AS n, sum(v.days * c.rate) AS cost FROM visits v JOIN cities c ON c.name = v.city
  WHERE v.score > 20 GROUP BY c.region ORDER BY cost DESC`;
const oursReport = ours.prepare(REPORT);
const oursTimedReport = ours.prepare(REPORT, { timeoutMs: TIMEOUT_MS });
const peerReport = peer.prepare(REPORT);
const oursTop = ours.prepare(TOP);
const peerTop = peer.prepare(TOP);
const oursJoin = ours.prepare(JOIN);
const peerJoin = peer.prepare(JOIN);
// A JS user function called once per row (cbox: through a callback out of the sandbox).
const weight = (days: number, score: number): number => days * 2 + score;
ours.function('weight', weight);
peer.function('weight', weight);
wasmPeer.create_function('weight', weight);
const PER_ROW = 'SELECT sum(weight(days, score)) AS total FROM visits';
const oursPerRow = ours.prepare(PER_ROW);
const peerPerRow = peer.prepare(PER_ROW);
const sqljsPerRow = wasmPeer.prepare(PER_ROW);
const sqljsReport = wasmPeer.prepare(REPORT);
const sqljsTop = wasmPeer.prepare(TOP);
const sqljsJoin = wasmPeer.prepare(JOIN);
// Timing answers that differ would mean nothing.
for (const [mine, theirs, wasm] of [
  [oursGet.get(4242), peerGet.get(4242), sqljsGetRow(4242)],
  [oursReport.all(), peerReport.all(), sqljsAll(sqljsReport)],
  [oursTop.all(), peerTop.all(), sqljsAll(sqljsTop)],
  [oursJoin.all(), peerJoin.all(), sqljsAll(sqljsJoin)],
  [oursPerRow.all(), peerPerRow.all(), sqljsAll(sqljsPerRow)],
]) {
  if (JSON.stringify(mine) !== JSON.stringify(theirs) || JSON.stringify(mine) !== JSON.stringify(wasm)) {
    throw new Error(`cbox, better-sqlite3 and sql.js disagree: ${JSON.stringify(mine)} vs ${JSON.stringify(theirs)} vs ${JSON.stringify(wasm)}`);
  }
}

// zlib: the same calls on four implementations (zlib format, level 6). A small input is timed as a
// batch of calls, so one timing is not a few microseconds.
interface ZlibPeer { readonly deflate: (data: Uint8Array) => Uint8Array; readonly inflate: (data: Uint8Array) => Uint8Array }
const ZLIB_PEERS: Record<'cbox' | 'node' | 'pako' | 'fflate', ZlibPeer> = {
  cbox: { deflate: (data) => cboxZlib.deflateSync(data, { level: 6 }), inflate: (data) => cboxZlib.inflateSync(data) },
  node: { deflate: (data) => zlib.deflateSync(data, { level: 6 }), inflate: (data) => zlib.inflateSync(data) },
  pako: { deflate: (data) => pako.deflate(data, { level: 6 }), inflate: (data) => pako.inflate(data) },
  fflate: { deflate: (data) => fflate.zlibSync(data, { level: 6 }), inflate: (data) => fflate.unzlibSync(data) },
};
type ZlibPeerName = keyof typeof ZLIB_PEERS;
const PEER_NAMES = Object.keys(ZLIB_PEERS) as ZlibPeerName[];
const SMALL_CALLS = 200;
const corpus = proseCorpus(4 * 1024 * 1024);
const small = corpus.subarray(0, 1024);
const compressed = zlib.deflateSync(corpus);
const smallCompressed = zlib.deflateSync(small);
const zlibWorkloads: { readonly name: string; readonly run: (peer: ZlibPeer) => unknown }[] = [
  { name: `deflate 1 KiB of prose, ${SMALL_CALLS} calls`, run: (peer) => { for (let i = 0; i < SMALL_CALLS; i++) peer.deflate(small); } },
  { name: `inflate 1 KiB of prose, ${SMALL_CALLS} calls`, run: (peer) => { for (let i = 0; i < SMALL_CALLS; i++) peer.inflate(smallCompressed); } },
  { name: 'deflate 4 MiB of prose', run: (peer) => peer.deflate(corpus) },
  { name: 'inflate 4 MiB of prose', run: (peer) => peer.inflate(compressed) },
];
// Timing answers that differ would mean nothing: every peer reads every peer's output.
for (const [name, peer] of Object.entries(ZLIB_PEERS)) {
  for (const [otherName, other] of Object.entries(ZLIB_PEERS)) {
    for (const data of [small, corpus]) {
      if (!Buffer.from(other.inflate(peer.deflate(data))).equals(data)) throw new Error(`zlib: ${otherName} does not read ${name}'s output back`);
    }
  }
}

const workloads: Workload[] = [
  {
    name: `SQLite: ${CALLS} prepared inserts in a transaction`,
    cbox: () => { ours.exec('BEGIN'); for (let i = 0; i < CALLS; i++) oursInsert.run(i, 'name', i * 1.5); ours.exec('COMMIT'); ours.exec('DELETE FROM scratch'); },
    native: () => { peer.exec('BEGIN'); for (let i = 0; i < CALLS; i++) peerInsert.run(i, 'name', i * 1.5); peer.exec('COMMIT'); peer.exec('DELETE FROM scratch'); },
    sqljs: () => { wasmPeer.exec('BEGIN'); for (let i = 0; i < CALLS; i++) sqljsInsert.run([i, 'name', i * 1.5]); wasmPeer.exec('COMMIT'); wasmPeer.exec('DELETE FROM scratch'); },
  },
  {
    name: `SQLite: ${CALLS} point selects by key`,
    cbox: () => { for (let i = 1; i <= CALLS; i++) oursGet.get((i * 17) % ROWS + 1); },
    native: () => { for (let i = 1; i <= CALLS; i++) peerGet.get((i * 17) % ROWS + 1); },
    sqljs: () => { for (let i = 1; i <= CALLS; i++) sqljsGetRow((i * 17) % ROWS + 1); },
  },
  { name: `SQLite: group-by report over ${ROWS / 1000}k rows`, cbox: () => oursReport.all(), native: () => peerReport.all(), sqljs: () => sqljsAll(sqljsReport) },
  { name: `SQLite: sort ${ROWS / 1000}k rows, top 100`, cbox: () => oursTop.all(), native: () => peerTop.all(), sqljs: () => sqljsAll(sqljsTop) },
  { name: `SQLite: join ${ROWS / 1000}k rows to a lookup table, group by`, cbox: () => oursJoin.all(), native: () => peerJoin.all(), sqljs: () => sqljsAll(sqljsJoin) },
  { name: `SQLite: a JS function per row over ${ROWS / 1000}k rows`, cbox: () => oursPerRow.all(), native: () => peerPerRow.all(), sqljs: () => sqljsAll(sqljsPerRow) },
];

const timedWorkloads: { readonly name: string; readonly plain: () => unknown; readonly timed: () => unknown }[] = [
  {
    name: `${CALLS} prepared inserts in a transaction`,
    plain: workloads[0]!.cbox,
    timed: () => { ours.exec('BEGIN'); for (let i = 0; i < CALLS; i++) oursTimedInsert.run(i, 'name', i * 1.5); ours.exec('COMMIT'); ours.exec('DELETE FROM scratch'); },
  },
  { name: `group-by report over ${ROWS / 1000}k rows`, plain: () => oursReport.all(), timed: () => oursTimedReport.all() },
];

/**
 * The SQLite workloads run in rounds: each round runs every workload once on every peer, in an
 * order that turns round by round, so a change of load on a shared machine (seconds long) falls on
 * all peers alike rather than on whichever tinybench task ran then. Medians of SQL_ROUNDS rounds.
 */
const SQL_ROUNDS = 15;
const SQL_WARMUP_ROUNDS = 2;
function interleaved(tasks: ReadonlyMap<string, () => unknown>): Map<string, number> {
  const names = [...tasks.keys()];
  const times = new Map(names.map((name) => [name, [] as number[]]));
  for (let round = -SQL_WARMUP_ROUNDS; round < SQL_ROUNDS; round++) {
    const shift = ((round % names.length) + names.length) % names.length;
    for (const name of [...names.slice(shift), ...names.slice(0, shift)]) {
      const started = performance.now();
      tasks.get(name)!();
      if (round >= 0) times.get(name)!.push(performance.now() - started);
    }
  }
  return new Map([...times].map(([name, values]) => [name, [...values].sort((a, b) => a - b)[values.length >> 1]!]));
}
const sqlTimes = interleaved(new Map<string, () => unknown>([
  ...workloads.flatMap(({ name, cbox, native, sqljs }) => [[`${name} | cbox`, cbox], [`${name} | native`, native], [`${name} | sql.js`, sqljs]] as const),
  ...timedWorkloads.flatMap(({ name, plain, timed }) => [[`timeoutMs: ${name} | none`, plain], [`timeoutMs: ${name} | timed`, timed]] as const),
]));
const sqlMedian = (name: string): number => sqlTimes.get(name)!;

const bench = new Bench({ time: 400, iterations: 5, warmupIterations: 2, throws: true });
for (const workload of zlibWorkloads) {
  for (const name of PEER_NAMES) bench.add(`zlib: ${workload.name} | ${name}`, () => workload.run(ZLIB_PEERS[name]));
}
await bench.run();
const median = (name: string): number => {
  const task = bench.getTask(name);
  const result = task?.result as { latency?: { p50?: number } } | undefined;
  const value = result?.latency?.p50;
  if (value === undefined) throw new Error(`no result for ${name}`);
  return value;
};
const results: Result[] = workloads.map(({ name }) => {
  const cboxMs = sqlMedian(`${name} | cbox`);
  const nativeMs = sqlMedian(`${name} | native`);
  const sqljsMs = sqlMedian(`${name} | sql.js`);
  return { workload: name, cboxMs, nativeMs, sqljsMs, ratio: cboxMs / nativeMs, sqljsVsCbox: sqljsMs / cboxMs };
});

interface ZlibResult { readonly workload: string; readonly ms: Record<ZlibPeerName, number>; readonly cboxVsNode: number; readonly pakoVsCbox: number; readonly fflateVsCbox: number }
const zlibResults: ZlibResult[] = zlibWorkloads.map(({ name }) => {
  const ms = Object.fromEntries(PEER_NAMES.map((peer) => [peer, median(`zlib: ${name} | ${peer}`)])) as Record<ZlibPeerName, number>;
  return { workload: name, ms, cboxVsNode: ms.cbox / ms.node, pakoVsCbox: ms.pako / ms.cbox, fflateVsCbox: ms.fflate / ms.cbox };
});

const timedResults = timedWorkloads.map(({ name }) => {
  const plainMs = sqlMedian(`timeoutMs: ${name} | none`);
  const timedMs = sqlMedian(`timeoutMs: ${name} | timed`);
  return { workload: name, plainMs, timedMs, ratio: timedMs / plainMs };
});

const deflatedSizes = Object.fromEntries(PEER_NAMES.map((name) => [name, ZLIB_PEERS[name].deflate(corpus).length])) as Record<ZlibPeerName, number>;

const machine = describeMachine();
const versionOf = (name: string): string => (JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
const lines = [
  '# Real libraries: cbox builds vs the native peers',
  '',
  `${machine.cpu}, ${machine.cores} cores (load average ${os.loadavg().map((load) => load.toFixed(1)).join(' ')} at the end); Node ${machine.node}; ${machine.clang}; ${machine.date}; every wasm module compiled by TurboFan up front (--no-liftoff). cbox/sqlite (SQLite ${ours.prepare('SELECT sqlite_version()').pluck().get() as string}, better-sqlite3 ${versionOf('better-sqlite3')}'s amalgamation, in a wasm sandbox) vs better-sqlite3 ${versionOf('better-sqlite3')} (native) and sql.js ${versionOf('sql.js')} (wasm, Emscripten). Medians of ${SQL_ROUNDS} rounds, each running every workload on every peer in turn. Above 1x in the last column, cbox is faster.`,
  '',
  '| workload | cbox/sqlite | better-sqlite3 | sql.js | cbox / better-sqlite3 | sql.js / cbox |',
  '|---|---:|---:|---:|---:|---:|',
  ...results.map((r) => `| ${r.workload} | ${r.cboxMs.toFixed(2)} ms | ${r.nativeMs.toFixed(2)} ms | ${r.sqljsMs.toFixed(2)} ms | ${r.ratio.toFixed(2)}x | ${r.sqljsVsCbox.toFixed(2)}x |`),
  '',
  `cbox/sqlite with a per-statement deadline (\`prepare(sql, { timeoutMs: ${TIMEOUT_MS} })\`) against the same statements without one.`,
  '',
  '| workload | no timeoutMs | timeoutMs | timed / none |',
  '|---|---:|---:|---:|',
  ...timedResults.map((r) => `| ${r.workload} | ${r.plainMs.toFixed(2)} ms | ${r.timedMs.toFixed(2)} ms | ${r.ratio.toFixed(2)}x |`),
  '',
  `cbox/zlib (zlib 1.3.1, and libdeflate 1.14 for one-shot compression, in a wasm sandbox) vs node:zlib (native, zlib ${process.versions.zlib}), pako ${versionOf('pako')} and fflate ${versionOf('fflate')} (JavaScript), zlib format at level 6 on generated prose (bench/text-corpus.ts; ${(corpus.length / compressed.length).toFixed(1)}:1). Above 1x in the last two columns, cbox is faster.`,
  '',
  '| workload | cbox/zlib | node:zlib | pako | fflate | cbox / node | pako / cbox | fflate / cbox |',
  '|---|---:|---:|---:|---:|---:|---:|---:|',
  ...zlibResults.map((r) => `| ${r.workload} | ${r.ms.cbox.toFixed(2)} ms | ${r.ms.node.toFixed(2)} ms | ${r.ms.pako.toFixed(2)} ms | ${r.ms.fflate.toFixed(2)} ms | ${r.cboxVsNode.toFixed(2)}x | ${r.pakoVsCbox.toFixed(2)}x | ${r.fflateVsCbox.toFixed(2)}x |`),
  '',
  `4 MiB deflated at level 6: ${PEER_NAMES.map((name) => `${name} ${deflatedSizes[name]} bytes`).join(', ')}.`,
  '',
];
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, 'real-libraries.json'), `${JSON.stringify({ machine, results, timeoutMs: timedResults, zlib: zlibResults, zlibDeflatedSizes: deflatedSizes }, null, 2)}\n`);
writeFileSync(path.join(resultsDir, 'real-libraries.md'), lines.join('\n'));
console.log(lines.join('\n'));
ours.close();
peer.close();
wasmPeer.close();
