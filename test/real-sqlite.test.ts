// SQLite built by cbox from better-sqlite3's amalgamation, checked against better-sqlite3 itself,
// and fed hostile input: a corrupt file, a query that blows the memory limit.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CboxCallError, CboxTrap, StaleHandleError } from 'cbox';
import { openDatabase, SqliteError, type Database } from '../examples/real-libraries/sqlite.js';

const SCHEMA = `
  CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER, score REAL, photo BLOB, big INTEGER);
  CREATE TABLE visits (person INTEGER REFERENCES people(id), city TEXT, days INTEGER);`;
const PEOPLE: [number, string, number | null, number | null, Uint8Array | null, bigint][] = [
  [1, 'Ada', 36, 9.5, Uint8Array.of(1, 2, 3), 9007199254740993n],
  [2, 'Grace Hopper', 85, null, null, -(2n ** 63n)],
  [3, 'Zoë ✓ 東京', null, 7.25, new Uint8Array(), 2n ** 63n - 1n],
  [4, "O'Brien", 41, -0.5, Uint8Array.of(0, 255), 42n],
];
const QUERIES = [
  'SELECT * FROM people ORDER BY id',
  'SELECT name, age * 2 AS double_age, score IS NULL AS no_score FROM people WHERE age > 30 ORDER BY name',
  'SELECT count(*) AS n, sum(days) AS total, avg(days) AS mean, group_concat(city, \'|\') AS cities FROM visits',
  'SELECT p.name, v.city, v.days FROM people p JOIN visits v ON v.person = p.id ORDER BY v.days DESC, p.name',
  'SELECT city, count(*) AS n, max(days) AS longest FROM visits GROUP BY city HAVING n > 1 ORDER BY city',
  "SELECT json_object('n', 1, 'list', json_array(1, 2, 'x')) AS doc, upper('straße') AS up, length(x'00ff') AS len",
  'SELECT big, typeof(big) AS t FROM people ORDER BY big',
  'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) SELECT sum(i) AS s, sqrt(16) AS root FROM n',
];

function fill(run: (sql: string, params: unknown[]) => void): void {
  for (const person of PEOPLE) run('INSERT INTO people VALUES (?, ?, ?, ?, ?, ?)', person);
  for (let i = 0; i < 40; i++) run('INSERT INTO visits VALUES (?, ?, ?)', [1 + (i % 4), ['Paris', 'Lima', 'Oslo', 'Kyoto', 'Paris'][i % 5], (i * 7) % 13]);
}

function scratchDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'cbox-sqlite-'));
}

/** better-sqlite3's rows with its Buffers as plain Uint8Arrays and safe integers as numbers, like cbox's. */
function peerRows(db: BetterSqlite3.Database, sql: string): unknown[] {
  return db.prepare(sql).safeIntegers(true).all().map((row) => Object.fromEntries(Object.entries(row as object).map(([key, value]) => [key,
    value instanceof Buffer ? new Uint8Array(value) : typeof value === 'bigint' && value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value])));
}

describe('cbox SQLite against better-sqlite3', () => {
  it('gives the same rows for the same SQL', async () => {
    const db = await openDatabase(':memory:');
    const peer = new BetterSqlite3(':memory:');
    db.exec(SCHEMA);
    peer.exec(SCHEMA);
    const insertCache = new Map<string, ReturnType<Database['prepare']>>();
    fill((sql, params) => {
      if (!insertCache.has(sql)) insertCache.set(sql, db.prepare(sql));
      insertCache.get(sql)!.run(...(params as never[]));
    });
    fill((sql, params) => peer.prepare(sql).run(...(params as unknown[]).map((v) => (v instanceof Uint8Array ? Buffer.from(v) : v))));
    for (const sql of QUERIES) expect(db.prepare(sql).all(), sql).toEqual(peerRows(peer, sql));
    expect(db.prepare('SELECT name FROM people WHERE id = ?').get(3)).toEqual({ name: 'Zoë ✓ 東京' });
    expect(db.prepare('SELECT name FROM people WHERE id = ?').get(99)).toBeUndefined();
    expect(db.prepare('INSERT INTO visits VALUES (?, ?, ?)').run(2, 'Rome', 3)).toEqual({ changes: 1, lastInsertRowid: 41 });
    db.close();
    peer.close();
  });

  it('large results come in batches and match; get() and a stopped iteration leave no statement open', async () => {
    const db = await openDatabase(':memory:');
    db.exec("CREATE TABLE n (i INTEGER, s TEXT); WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1500) INSERT INTO n SELECT i, printf('%05d', i) FROM c");
    const rows = db.prepare('SELECT i, s FROM n ORDER BY i DESC').all();
    expect(rows).toHaveLength(1500);
    expect(rows[0]).toEqual({ i: 1500, s: '01500' });
    expect(rows[1499]).toEqual({ i: 1, s: '00001' });
    expect(db.prepare('SELECT i FROM n WHERE i > ?').get(700)).toEqual({ i: 701 });
    db.exec('DROP TABLE n'); // fails with "table is locked" if a statement were still running
    db.close();
  });

  it('a file database written by cbox is read by better-sqlite3, and the other way round', async () => {
    const dir = scratchDir();
    const ours = await openDatabase('ours.sqlite', { directory: dir });
    ours.exec('CREATE TABLE log (n INTEGER, city TEXT, days INTEGER)');
    const insert = ours.prepare('INSERT INTO log VALUES (?, ?, ?)');
    ours.exec('BEGIN');
    let days = 0;
    for (let i = 0; i < 1000; i++) {
      insert.run(i, `city ${i}`, i % 31);
      days += i % 31;
    }
    ours.exec('COMMIT');
    ours.close();
    const peer = new BetterSqlite3(path.join(dir, 'ours.sqlite'));
    expect(peer.prepare('SELECT count(*) AS n, sum(days) AS s, max(city) AS last FROM log').get()).toEqual({ n: 1000, s: days, last: 'city 999' });
    expect(peer.pragma('integrity_check', { simple: true })).toBe('ok');
    peer.close();

    const theirsFile = path.join(dir, 'theirs.sqlite');
    const theirs = new BetterSqlite3(theirsFile);
    theirs.exec(SCHEMA);
    theirs.prepare('INSERT INTO people (id, name, photo) VALUES (?, ?, ?)').run(7, 'Linus', Buffer.from([9, 8, 7]));
    theirs.close();
    const read = await openDatabase('theirs.sqlite', { directory: dir, readOnly: true });
    expect(read.prepare('SELECT id, name, photo FROM people').all()).toEqual([{ id: 7, name: 'Linus', photo: Uint8Array.of(9, 8, 7) }]);
    expect(() => read.exec("INSERT INTO people (id, name) VALUES (8, 'x')")).toThrow(SqliteError);
    read.close();
    expect(readFileSync(theirsFile).subarray(0, 15).toString()).toBe('SQLite format 3');
  });

  it('the sandbox sees only the granted directory', async () => {
    const db = await openDatabase(':memory:');
    // ATTACH opens a file by path: with no directory granted, there is no file system at all.
    expect(() => db.exec("ATTACH '/etc/passwd' AS secrets")).toThrow(SqliteError);
    db.close();
    await expect(openDatabase('x.sqlite')).rejects.toThrow(/needs options.directory/);
  });

  it('SQL errors are clean errors with SQLite codes, and the database goes on', async () => {
    const db = await openDatabase(':memory:');
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY)');
    db.prepare('INSERT INTO t VALUES (?)').run('a');
    expect(() => db.prepare('INSERT INTO t VALUES (?)').run('a')).toThrow(/UNIQUE constraint failed/);
    expect(() => db.prepare('SELEKT 1')).toThrow(expect.objectContaining({ name: 'SqliteError', code: 1 }));
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 });
    db.close();
  });
});

describe('cbox SQLite under hostile input', () => {
  it('a corrupt database file gives an error, not a dead process; a good file opens after', async () => {
    const dir = scratchDir();
    const peer = new BetterSqlite3(path.join(dir, 'victim.sqlite'));
    peer.exec('CREATE TABLE t (x TEXT); CREATE INDEX tx ON t(x);');
    const insert = peer.prepare('INSERT INTO t VALUES (?)');
    for (let i = 0; i < 2000; i++) insert.run(`row ${i} ${'x'.repeat(50)}`);
    peer.close();
    const file = path.join(dir, 'victim.sqlite');
    const bytes = readFileSync(file);
    for (let page = 2; page * 4096 < bytes.length; page += 3) bytes.fill(0xa5, page * 4096 + 100, page * 4096 + 3000); // trash pages, keep the header
    writeFileSync(file, bytes);

    let failure: unknown;
    try {
      const db = await openDatabase('victim.sqlite', { directory: dir });
      try {
        db.prepare('SELECT count(*), max(x) FROM t WHERE x > ?').all('row 5');
        db.exec('PRAGMA integrity_check');
      } finally {
        db.close();
      }
    } catch (error) {
      failure = error;
    }
    expect(failure instanceof SqliteError || failure instanceof CboxCallError || failure instanceof CboxTrap).toBe(true);
    expect(String(failure)).toMatch(/malformed|corrupt|trapped/i);
    const good = await openDatabase(':memory:');
    expect(good.prepare('SELECT 1 + 1 AS two').get()).toEqual({ two: 2 });
    good.close();
  });

  it('a query that blows the memory limit fails cleanly; the library recovers; old handles are refused', async () => {
    const db = await openDatabase(':memory:', { memoryLimit: '16MiB' });
    const cheap = db.prepare('SELECT 40 + 2 AS answer');
    let failure: unknown;
    try {
      db.prepare("WITH RECURSIVE r(i, s) AS (SELECT 1, '' UNION ALL SELECT i + 1, s || hex(randomblob(4096)) FROM r WHERE i < 100000) SELECT max(length(s)) FROM r").all();
    } catch (error) {
      failure = error;
    }
    // SQLite answers SQLITE_NOMEM when malloc returns NULL at the limit; a trap would recycle.
    expect(failure instanceof CboxCallError || failure instanceof CboxTrap).toBe(true);
    expect(String(failure)).toMatch(/out of memory|too big|out-of-memory/i);
    if (failure instanceof CboxTrap) {
      expect(() => cheap.get()).toThrow(StaleHandleError);
    } else {
      expect(cheap.get()).toEqual({ answer: 42 });
    }
    db.library.recycle('test: start over'); // what a server would do after a failure like this
    expect(() => cheap.get()).toThrow(StaleHandleError);
    expect(() => cheap.get()).toThrow(/sandbox was recycled/);
    const fresh = await openDatabase(':memory:', { memoryLimit: '16MiB' });
    expect(fresh.prepare('SELECT 40 + 2 AS answer').get()).toEqual({ answer: 42 });
    fresh.close();
  });
});
