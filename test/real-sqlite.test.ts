// SQLite built by cbox from better-sqlite3's amalgamation, checked against better-sqlite3 itself,
// and fed hostile input: a corrupt file, a query that blows the memory limit, a recycle.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CboxArgumentError, CboxCallError, CboxClosedError, StaleHandleError } from 'cbox';
import { openDatabase, SqliteError, type Statement } from '../examples/real-libraries/sqlite.js';

const SCHEMA = `
  CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER, score REAL, photo BLOB, big INTEGER);
  CREATE TABLE visits (person INTEGER REFERENCES people(id), city TEXT, days INTEGER);`;
const PEOPLE: [number, string, number | null, number | null, Uint8Array | null, bigint][] = [
  [1, 'Ada', 36, 9.5, Uint8Array.of(1, 2, 3), 9007199254740993n],
  [2, 'Grace Hopper', 85, null, null, -(2n ** 63n)],
  [3, 'Zoë ✓ 東京 🚀', null, 7.25, new Uint8Array(), 2n ** 63n - 1n],
  [4, "O'Brien", 41, -0.5, Uint8Array.of(0, 255), 42n],
];
const QUERIES = [
  'SELECT * FROM people ORDER BY id',
  'SELECT name, age * 2 AS double_age, score IS NULL AS no_score FROM people WHERE age > 30 ORDER BY name',
  "SELECT count(*) AS n, sum(days) AS total, avg(days) AS mean, group_concat(city, '|') AS cities FROM visits",
  'SELECT p.name, v.city, v.days FROM people p JOIN visits v ON v.person = p.id ORDER BY v.days DESC, p.name, v.city',
  'SELECT city, count(*) AS n, max(days) AS longest, min(days) AS shortest FROM visits GROUP BY city HAVING n > 1 ORDER BY city',
  "SELECT json_object('n', 1, 'list', json_array(1, 2, 'x')) AS doc, upper('straße') AS up, length(x'00ff') AS len, NULL AS nada",
  'SELECT big, typeof(big) AS t, big / 3 AS third FROM people ORDER BY big',
  'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) SELECT sum(i) AS s, sqrt(16) AS root, 1e308 * 10 AS inf FROM n',
  'SELECT photo, hex(photo) AS h, length(photo) AS l FROM people ORDER BY id',
];

function fill(run: (sql: string, params: unknown[]) => void): void {
  for (const person of PEOPLE) run('INSERT INTO people VALUES (?, ?, ?, ?, ?, ?)', person);
  for (let i = 0; i < 40; i++) run('INSERT INTO visits VALUES (?, ?, ?)', [1 + (i % 4), ['Paris', 'Lima', 'Oslo', 'Kyoto', 'Paris'][i % 5], (i * 7) % 13]);
}

function scratchDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'cbox-sqlite-'));
}

/** better-sqlite3's values as cbox gives them: Buffers as plain Uint8Arrays, integers as numbers
 * when safe (bigint beyond, or always with `bigints`). */
function likeCbox(value: unknown, bigints = false): unknown {
  if (value instanceof Buffer) return new Uint8Array(value);
  if (typeof value === 'bigint' && !bigints && value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  return value;
}

function peerRows(db: BetterSqlite3.Database, sql: string, bigints = false): unknown[] {
  return db.prepare(sql).safeIntegers(true).all().map((row) => Object.fromEntries(Object.entries(row as object).map(([key, value]) => [key, likeCbox(value, bigints)])));
}

async function twins(): Promise<[Awaited<ReturnType<typeof openDatabase>>, BetterSqlite3.Database]> {
  const db = await openDatabase(':memory:');
  const peer = new BetterSqlite3(':memory:');
  db.exec(SCHEMA);
  peer.exec(SCHEMA);
  const statements = new Map<string, Statement>();
  fill((sql, params) => {
    if (!statements.has(sql)) statements.set(sql, db.prepare(sql));
    statements.get(sql)!.run(...(params as never[]));
  });
  fill((sql, params) => peer.prepare(sql).safeIntegers(true).run(...params.map((v) => (v instanceof Uint8Array ? Buffer.from(v) : v))));
  return [db, peer];
}

describe('cbox SQLite against better-sqlite3', () => {
  it('gives the same rows for the same SQL: objects, arrays, bigints, iteration', async () => {
    const [db, peer] = await twins();
    for (const sql of QUERIES) {
      expect(db.prepare(sql).all(), sql).toEqual(peerRows(peer, sql));
      expect(db.prepare(sql).raw(), sql).toEqual(peer.prepare(sql).raw().safeIntegers(true).all().map((row) => (row as unknown[]).map((v) => likeCbox(v))));
      expect([...db.prepare(sql).iterate()], sql).toEqual(peerRows(peer, sql));
    }
    const bigints = await openDatabase(':memory:', { safeIntegers: true });
    expect(bigints.prepare('SELECT 1 AS one, 2.5 AS half, 9007199254740993 AS big').get()).toEqual({ one: 1n, half: 2.5, big: 9007199254740993n });
    expect(bigints.prepare('SELECT 1').get()).toEqual(peerRows(peer, 'SELECT 1', true)[0]);
    bigints.close();
    db.close();
    peer.close();
  });

  it('binds positional and named parameters like better-sqlite3', async () => {
    const [db, peer] = await twins();
    const byName = 'SELECT name FROM people WHERE age > :min AND name <> @skip ORDER BY $order_by_id_dummy + id';
    const named = { min: 30, skip: 'Ada', order_by_id_dummy: 0 };
    expect(db.prepare(byName).all(named)).toEqual(peer.prepare(byName).all(named));
    expect(db.prepare('SELECT name FROM people WHERE id = ?').get(3)).toEqual({ name: 'Zoë ✓ 東京 🚀' });
    expect(db.prepare('SELECT name FROM people WHERE id = ?').get(99)).toBeUndefined();
    expect(db.prepare('SELECT ?2 AS b, ?1 AS a').get('first', 'second')).toEqual({ b: 'second', a: 'first' });
    const echo = db.prepare('SELECT ? AS v, typeof(?) AS t');
    for (const [value, type] of [[7, 'integer'], [2.5, 'real'], [2 ** 60, 'real'], [-(2n ** 63n), 'integer'], ['✓', 'text'], [Uint8Array.of(0), 'blob'], [null, 'null']] as const) {
      expect(echo.get(value, value), String(value)).toEqual({ v: value, t: type });
    }
    expect(db.prepare('INSERT INTO visits VALUES (?, ?, ?)').run(2, 'Rome', 3)).toEqual({ changes: 1, lastInsertRowid: 41 });
    peer.prepare('INSERT INTO visits VALUES (?, ?, ?)').run(2, 'Rome', 3);
    expect(db.prepare('UPDATE visits SET days = days + 1 WHERE city = ?').run('Paris')).toEqual(peer.prepare('UPDATE visits SET days = days + 1 WHERE city = ?').run('Paris'));
    db.close();
    peer.close();
  });

  it('large results come in batches; get(), all() and a stopped iteration leave no statement running', async () => {
    const db = await openDatabase(':memory:');
    db.exec("CREATE TABLE n (i INTEGER, s TEXT); WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1500) INSERT INTO n SELECT i, printf('%05d', i) FROM c");
    const rows = db.prepare('SELECT i, s FROM n ORDER BY i DESC').all();
    expect(rows).toHaveLength(1500);
    expect(rows[0]).toEqual({ i: 1500, s: '01500' });
    expect(rows[1499]).toEqual({ i: 1, s: '00001' });
    expect(db.prepare('SELECT i FROM n WHERE i > ?').get(700)).toEqual({ i: 701 });
    const scan = db.prepare('SELECT i FROM n ORDER BY i');
    let seen = 0;
    for (const row of scan.iterate()) {
      expect(() => scan.get()).toThrow(/busy: an iterate\(\)/);
      if (++seen === 1000) break; // past the first batch: the statement is mid-query here
      expect(row.i).toBe(seen);
    }
    expect(scan.get()).toEqual({ i: 1 });
    db.exec('DROP TABLE n'); // "table is locked" if any statement were still running
    db.close();
  });

  it('a file database written by cbox is read by better-sqlite3, and the other way round', async () => {
    const dir = scratchDir();
    const ours = await openDatabase('ours.sqlite', { directory: dir });
    ours.exec('CREATE TABLE log (n INTEGER, city TEXT, days INTEGER)');
    const insert = ours.prepare('INSERT INTO log VALUES (?, ?, ?)');
    ours.exec('BEGIN');
    expect(ours.inTransaction).toBe(true);
    let days = 0;
    for (let i = 0; i < 1000; i++) {
      insert.run(i, `city ${i}`, i % 31);
      days += i % 31;
    }
    ours.exec('COMMIT');
    ours.close();
    expect(readdirSync(dir)).toEqual(['ours.sqlite']); // no lock directory or journal left behind
    const peer = new BetterSqlite3(path.join(dir, 'ours.sqlite'));
    expect(peer.prepare('SELECT count(*) AS n, sum(days) AS s, max(city) AS last FROM log').get()).toEqual({ n: 1000, s: days, last: 'city 999' });
    expect(peer.pragma('integrity_check', { simple: true })).toBe('ok');
    peer.close();

    const theirsFile = path.join(dir, 'theirs.sqlite');
    const theirs = new BetterSqlite3(theirsFile);
    theirs.exec(SCHEMA);
    theirs.prepare('INSERT INTO people (id, name, photo) VALUES (?, ?, ?)').run(7, 'Linus', Buffer.from([9, 8, 7]));
    theirs.close();
    const before = readFileSync(theirsFile);
    const read = await openDatabase('theirs.sqlite', { directory: dir, readOnly: true });
    expect(read.prepare('SELECT id, name, photo FROM people').all()).toEqual([{ id: 7, name: 'Linus', photo: Uint8Array.of(9, 8, 7) }]);
    expect(() => read.exec("INSERT INTO people (id, name) VALUES (8, 'x')")).toThrow(expect.objectContaining({ name: 'SqliteError', code: 'SQLITE_READONLY' }));
    read.close();
    expect(readFileSync(theirsFile).equals(before)).toBe(true);
  });

  it('WAL files: better-sqlite3 WAL opened by cbox (exclusive, and read-only), cbox WAL read by better-sqlite3', async () => {
    const dir = scratchDir();
    const theirs = new BetterSqlite3(path.join(dir, 'wal.sqlite'));
    theirs.pragma('journal_mode = WAL');
    theirs.exec("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('from better-sqlite3')");
    theirs.close();
    // The WASI build has no shared memory for the WAL index: a WAL file needs exclusive mode.
    const shared = await openDatabase('wal.sqlite', { directory: dir });
    expect(() => shared.prepare('SELECT x FROM t')).toThrow(expect.objectContaining({ code: 'SQLITE_CANTOPEN' }));
    shared.close();
    const readOnly = await openDatabase('wal.sqlite', { directory: dir, readOnly: true });
    expect(readOnly.prepare('SELECT x FROM t').all()).toEqual([{ x: 'from better-sqlite3' }]);
    readOnly.close();
    const ours = await openDatabase('wal.sqlite', { directory: dir, exclusive: true });
    expect(ours.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    ours.exec("INSERT INTO t VALUES ('from cbox')");
    ours.close();
    expect(readdirSync(dir)).toEqual(['wal.sqlite']); // checkpointed, WAL file and lock removed

    const made = await openDatabase('made.sqlite', { directory: dir, exclusive: true });
    expect(made.prepare('PRAGMA journal_mode = WAL').get()).toEqual({ journal_mode: 'wal' });
    made.exec("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('cbox in WAL mode')");
    made.close();
    const peer = new BetterSqlite3(path.join(dir, 'made.sqlite'));
    expect(peer.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(peer.prepare('SELECT x FROM t').all()).toEqual([{ x: 'cbox in WAL mode' }]);
    const back = new BetterSqlite3(path.join(dir, 'wal.sqlite'));
    expect(back.prepare('SELECT x FROM t ORDER BY rowid').pluck().all()).toEqual(['from better-sqlite3', 'from cbox']);
    back.close();
    peer.close();
  });

  it('the sandbox sees only the granted directory', async () => {
    const db = await openDatabase(':memory:');
    // ATTACH opens a file by path: with no directory granted, there is no file system at all.
    expect(() => db.exec("ATTACH '/etc/passwd' AS secrets")).toThrow(expect.objectContaining({ code: 'SQLITE_CANTOPEN' }));
    db.close();
    const dir = scratchDir();
    const boxed = await openDatabase('a.sqlite', { directory: dir });
    writeFileSync(path.join(dir, 'inside.sqlite'), readFileSync(path.join(dir, 'a.sqlite')));
    boxed.exec("ATTACH '/db/inside.sqlite' AS inside"); // inside the grant: fine
    expect(() => boxed.exec("ATTACH '/db/../../etc/passwd' AS secrets")).toThrow(expect.objectContaining({ code: 'SQLITE_CANTOPEN' }));
    boxed.close();
    await expect(openDatabase('x.sqlite')).rejects.toThrow(/needs options.directory/);
    await expect(openDatabase('../x.sqlite', { directory: dir })).rejects.toThrow(CboxArgumentError);
  });
});

describe('cbox SQLite errors and lifecycle', () => {
  it('SQL errors are SqliteErrors (CboxCallErrors) with SQLite codes, and the database goes on', async () => {
    const db = await openDatabase(':memory:');
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER CHECK (n > 0))');
    const insert = db.prepare('INSERT INTO t VALUES (?, ?)');
    insert.run('a', 1);
    const duplicate = (() => { try { insert.run('a', 1); } catch (error) { return error; } })();
    expect(duplicate).toBeInstanceOf(SqliteError);
    expect(duplicate).toBeInstanceOf(CboxCallError);
    expect(duplicate).toMatchObject({ code: 'SQLITE_CONSTRAINT', errcode: 1555, message: expect.stringMatching(/UNIQUE constraint failed: t.k/) });
    expect(() => insert.run('b', -1)).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT', errcode: 275 })); // _CHECK
    expect(() => db.prepare('SELEKT 1')).toThrow(expect.objectContaining({ code: 'SQLITE_ERROR', message: expect.stringMatching(/syntax error/) }));
    expect(() => db.exec('SELECT * FROM nowhere')).toThrow(/no such table: nowhere/);
    // Refused before SQLite sees it: silent NULLs, truncation and dropped statements.
    expect(() => db.prepare('SELECT 1; DROP TABLE t')).toThrow(/more than one SQL statement/);
    expect(() => db.prepare('-- nothing')).toThrow(/no SQL statement/);
    expect(() => insert.run('c')).toThrow(/takes 2 parameters, got 1/);
    expect(() => insert.run('c', 2n ** 64n)).toThrow(/does not fit/);
    expect(() => insert.run('c', undefined as never)).toThrow(/cannot bind undefined/);
    expect(() => db.prepare('SELECT :a').get({ b: 1 })).toThrow(/missing named parameter :a/);
    expect(db.prepare('SELECT count(*) AS n FROM t; -- trailing comments are fine').get()).toEqual({ n: 1 });
    db.close();
  });

  it('finalized statements and closed databases refuse calls clearly', async () => {
    const db = await openDatabase(':memory:');
    const one = db.prepare('SELECT 1 AS one');
    one.finalize();
    one.finalize();
    expect(() => one.get()).toThrow(CboxClosedError);
    const two = db.prepare('SELECT 2 AS two');
    db.close();
    db.close();
    expect(db.open).toBe(false);
    expect(() => two.get()).toThrow(CboxClosedError);
    expect(() => db.exec('SELECT 1')).toThrow(/is closed/);
  });
});

describe('cbox SQLite under hostile input', () => {
  it('a corrupt database file is SQLITE_CORRUPT, not a dead process; the connection and a good file work after', async () => {
    const dir = scratchDir();
    const file = path.join(dir, 'victim.sqlite');
    const peer = new BetterSqlite3(file);
    peer.exec('CREATE TABLE t (x TEXT); CREATE INDEX tx ON t(x);');
    const insert = peer.prepare('INSERT INTO t VALUES (?)');
    peer.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run(`row ${i} ${'x'.repeat(50)}`);
    })();
    peer.close();
    const bytes = readFileSync(file);
    for (let page = 2; page * 4096 < bytes.length; page += 3) bytes.fill(0xa5, page * 4096 + 100, page * 4096 + 3000); // trash pages, keep the header
    writeFileSync(file, bytes);

    const db = await openDatabase('victim.sqlite', { directory: dir });
    expect(() => db.prepare('SELECT count(*), max(x) FROM t WHERE x > ?').all('row 5')).toThrow(expect.objectContaining({ name: 'SqliteError', code: 'SQLITE_CORRUPT', message: expect.stringMatching(/malformed/) }));
    expect(String(db.prepare('PRAGMA quick_check').get()?.quick_check)).not.toBe('ok');
    expect(db.prepare('SELECT 40 + 2 AS answer').get()).toEqual({ answer: 42 });
    expect(db.library.stats().recycles).toBe(0); // a clean error: the sandbox was never in danger
    db.close();
    const good = await openDatabase('good.sqlite', { directory: dir });
    good.exec('CREATE TABLE ok (v); INSERT INTO ok VALUES (1)');
    expect(good.prepare('SELECT v FROM ok').get()).toEqual({ v: 1 });
    good.close();
  });

  it('a query past the memory limit is SQLITE_NOMEM; the same connection works after; a recycle makes old handles stale', async () => {
    const db = await openDatabase(':memory:', { memoryLimit: '16MiB' });
    db.exec('CREATE TABLE kept (v); INSERT INTO kept VALUES (7)');
    const cheap = db.prepare('SELECT v FROM kept');
    const hog = "WITH RECURSIVE r(i, s) AS (SELECT 1, '' UNION ALL SELECT i + 1, s || hex(randomblob(4096)) FROM r WHERE i < 100000) SELECT max(length(s)) FROM r";
    expect(() => db.prepare(hog).all()).toThrow(expect.objectContaining({ name: 'SqliteError', code: 'SQLITE_NOMEM', message: expect.stringMatching(/out of memory/) }));
    expect(() => db.exec('CREATE TABLE big AS WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 1000000) SELECT i, randomblob(100) AS b FROM r'))
      .toThrow(expect.objectContaining({ code: 'SQLITE_NOMEM' }));
    expect(cheap.get()).toEqual({ v: 7 }); // SQLite rolled back and goes on in the same sandbox
    expect(db.library.stats().memory.size).toBeLessThanOrEqual(16 * 2 ** 20);
    expect(db.library.stats().recycles).toBe(0);

    db.library.recycle('test: start over'); // what a supervisor does after a trap
    expect(() => cheap.get()).toThrow(StaleHandleError);
    expect(() => cheap.get()).toThrow(/statement "SELECT v FROM kept" belongs to SQLite sandbox generation 1, which was recycled \(now generation 2\)/);
    expect(() => db.exec('SELECT 1')).toThrow(StaleHandleError);
    expect(() => db.prepare('SELECT 1')).toThrow(/open the database again/);
    db.close(); // nothing left in C to close: no error
    const fresh = await openDatabase(':memory:', { memoryLimit: '16MiB' });
    expect(fresh.prepare('SELECT 40 + 2 AS answer').get()).toEqual({ answer: 42 });
    fresh.close();
  });
});
