// cbox/sqlite against better-sqlite3 itself: the same calls give the same rows, the same errors
// (class, message, code), and files written by one are read by the other, WAL files included.
// Then hostile input: a corrupt file, a query past the memory cap, a crash inside SQLite.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CboxTrap } from 'cbox';
import Database, { SqliteError } from 'cbox/sqlite';

const SCHEMA = `
  CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER, score REAL, photo BLOB, big INTEGER);
  CREATE TABLE visits (person INTEGER REFERENCES people(id), city TEXT, days INTEGER);`;
const PEOPLE: [number, string, number | null, number | null, Buffer | null, bigint][] = [
  [1, 'Ada', 36, 9.5, Buffer.from([1, 2, 3]), 9007199254740993n],
  [2, 'Grace Hopper', 85, null, null, -(2n ** 63n)],
  [3, 'Zoë ✓ 東京 🚀', null, 7.25, Buffer.alloc(0), 2n ** 63n - 1n],
  [4, "O'Brien", 41, -0.5, Buffer.from([0, 255]), 42n],
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
  "SELECT photo, hex(photo) AS h, length(photo) AS l, CAST(x'ff41' AS TEXT) AS bad_utf8 FROM people ORDER BY id",
];
/** Queries whose integers all fit a number (the default mode reads them without safeIntegers). */
const NUMBER_QUERIES = QUERIES.filter((sql) => !sql.includes('big') && !sql.startsWith('SELECT *'));

function scratchDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'cbox-sqlite-'));
}

type AnyDatabase = Database | BetterSqlite3.Database;

function fill(db: AnyDatabase): void {
  db.exec(SCHEMA);
  const person = db.prepare('INSERT INTO people VALUES (?, ?, ?, ?, ?, ?)');
  const visit = db.prepare('INSERT INTO visits VALUES (?, ?, ?)');
  db.transaction(() => {
    for (const row of PEOPLE) person.run(...row);
    for (let i = 0; i < 40; i++) visit.run(1 + (i % 4), ['Paris', 'Lima', 'Oslo', 'Kyoto', 'Paris'][i % 5], (i * 7) % 13);
  })();
}

function twins(): [Database, BetterSqlite3.Database] {
  const ours = new Database(':memory:');
  const peer = new BetterSqlite3(':memory:');
  fill(ours);
  fill(peer);
  return [ours, peer];
}

/** What a call did: its value, or its error's class, message and code. */
function outcome(call: () => unknown): unknown {
  try {
    return { value: call() };
  } catch (error) {
    const { name, message, code } = error as { name: string; message: string; code?: unknown };
    return { error: error instanceof TypeError ? 'TypeError' : error instanceof RangeError ? 'RangeError' : name, message, code };
  }
}

/** Runs the same calls on both databases and expects the same outcome. */
function expectSame(ours: AnyDatabase, peer: AnyDatabase, call: (db: AnyDatabase) => unknown, label?: string): void {
  expect(outcome(() => call(ours)), label).toEqual(outcome(() => call(peer)));
}

describe('cbox/sqlite against better-sqlite3', () => {
  it('gives the same rows for the same SQL: objects, raw, pluck, expand, iterate, bigints, columns()', () => {
    const [ours, peer] = twins();
    for (const sql of QUERIES) {
      expectSame(ours, peer, (db) => db.prepare(sql).safeIntegers().all(), sql);
      expectSame(ours, peer, (db) => db.prepare(sql).safeIntegers().raw().all(), sql);
      expectSame(ours, peer, (db) => [...db.prepare(sql).safeIntegers().iterate()], sql);
      expectSame(ours, peer, (db) => db.prepare(sql).safeIntegers().get(), sql);
      expectSame(ours, peer, (db) => db.prepare(sql).safeIntegers().pluck().all(), sql);
      expectSame(ours, peer, (db) => db.prepare(sql).safeIntegers().expand().all(), sql);
      expectSame(ours, peer, (db) => db.prepare(sql).columns(), sql);
    }
    for (const sql of NUMBER_QUERIES) {
      expectSame(ours, peer, (db) => db.prepare(sql).all(), sql);
      expectSame(ours, peer, (db) => db.prepare(sql).get(), sql);
    }
    ours.close();
    peer.close();
  });

  it('binds parameters the same way, and refuses the same arguments with the same errors', () => {
    const [ours, peer] = twins();
    const calls: [string, unknown[]][] = [
      ['SELECT name FROM people WHERE age > :min AND name <> @skip ORDER BY $o + id', [{ min: 30, skip: 'Ada', o: 0 }]],
      ['SELECT name FROM people WHERE id = ?', [3]],
      ['SELECT name FROM people WHERE id = ?', [99]],
      ['SELECT ? AS v, typeof(?) AS t', [7, 7]],
      ['SELECT ? AS v, typeof(?) AS t', [2.5, 2.5]],
      ['SELECT ? AS v, typeof(?) AS t', [-(2n ** 63n), 2n ** 62n]],
      ['SELECT ? AS v, typeof(?) AS t', ['a\u0000b', '\ud800']],
      ['SELECT ? AS v, typeof(?) AS t', [Buffer.from([0, 1]), new Uint16Array([1, 2])]],
      ['SELECT ? AS v, typeof(?) AS t', [null, undefined]],
      ['SELECT ? + ? AS v', [[1], 2]],
      ['SELECT :a AS a, ? AS b', [2, { a: 1 }]],
      ['SELECT @a AS a, $b AS b', [{ a: 1, b: 2, c: 3 }]],
      ['SELECT ?1 AS a, ?2 AS b', [{ 1: 'x', 2: 'y' }]],
      // refused
      ['SELECT ?2 AS b, ?1 AS a', ['x', 'y']],
      ['SELECT ? AS v', []],
      ['SELECT ? AS v', [1, 2]],
      ['SELECT ? AS v', [true]],
      ['SELECT ? AS v', [new Date(0)]],
      ['SELECT ? AS v', [Symbol('s')]],
      ['SELECT ? AS v', [2n ** 64n]],
      ['SELECT :a AS a', [{ b: 1 }]],
      ['SELECT :a AS a', [1]],
      ['SELECT :a AS a, :b AS b', [{ a: 1 }, { b: 2 }]],
      ['SELECT :a AS a', [new Map()]],
      ['SELECT 1', [1]],
    ];
    for (const [sql, args] of calls) {
      // Twice: cbox reads a row with several texts or blobs differently from the second call on.
      expectSame(ours, peer, (db) => {
        const statement = db.prepare(sql).safeIntegers();
        return [statement.get(...args), statement.get(...args)];
      }, `${sql} ${String(args.map(String))}`);
    }
    // The same for values fixed by bind(), and a statement that fails while stepping.
    expectSame(ours, peer, (db) => {
      const statement = db.prepare("SELECT ? AS a, 'x' || ? AS b").bind('kept', 7);
      return [statement.get(), statement.get(), statement.all()];
    });
    expectSame(ours, peer, (db) => {
      const statement = db.prepare("SELECT name, 'x' AS x, abs(?) AS boom FROM people WHERE id = ?");
      return [statement.get(-5, 1), statement.get(-5, 1), outcome(() => statement.get(-(2n ** 63n), 1)), statement.get(6, 1)];
    });
    expectSame(ours, peer, (db) => db.prepare('INSERT INTO visits VALUES (?, ?, ?)').run(2, 'Rome', 3));
    expectSame(ours, peer, (db) => db.prepare('UPDATE visits SET days = days + 1 WHERE city = ?').run('Paris'));
    expectSame(ours, peer, (db) => db.prepare('SELECT * FROM visits').run());
    expectSame(ours, peer, (db) => db.prepare('INSERT INTO people (id, name) VALUES (?, ?)').safeIntegers().run(9n, 'Big'));
    ours.close();
    peer.close();
  });

  it('run() stores what better-sqlite3 stores, on each of its paths (a few numbers, values sent with the call, bind(), verbose)', () => {
    const [ours, peer] = twins();
    const values: unknown[] = [
      0, -0, 7, 2.5, -1e308, Number.NaN, Number.POSITIVE_INFINITY, 2n ** 62n, -(2n ** 63n), 2n ** 63n - 1n, null, undefined,
      '', 'ascii', 'Zoë ✓ 東京 🚀', 'a\u0000b', '\ud800 lone', 'x'.repeat(40), 'é'.repeat(5000),
      Buffer.alloc(0), Buffer.from([0, 255, 1]), new Uint16Array([1, 2]), new Uint8Array(new ArrayBuffer(8), 2, 3), Buffer.alloc(300_000, 7),
    ];
    for (const db of [ours, peer]) db.exec('CREATE TABLE bound (a ANY, b ANY, c ANY, d ANY, e ANY, f ANY, g ANY, h ANY); CREATE TABLE pair (a ANY, b ANY)');
    const read = (db: AnyDatabase): unknown => db.prepare('SELECT a, typeof(a), b, typeof(b), c, d, e, f, g, h FROM bound UNION ALL SELECT a, typeof(a), b, typeof(b), 0, 0, 0, 0, 0, 0 FROM pair').safeIntegers().raw().all();
    for (const value of values) {
      expectSame(ours, peer, (db) => db.prepare('INSERT INTO pair VALUES (?, ?)').run(value, 1), `pair ${String(value)}`);
      expectSame(ours, peer, (db) => db.prepare('INSERT INTO bound VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(value, 'text', 1, 2, 3, 4, 5, value), `eight ${String(value)}`);
      expectSame(ours, peer, (db) => db.prepare('INSERT INTO pair VALUES (:x, @y)').run({ x: value, y: 'named' }), `named ${String(value)}`);
    }
    expectSame(ours, peer, read);
    for (const db of [ours, peer]) db.exec('DELETE FROM bound; DELETE FROM pair');
    // bind() keeps its values for every run; verbose sees them bound.
    expectSame(ours, peer, (db) => {
      const statement = db.prepare('INSERT INTO pair VALUES (?, ?)').bind('kept', Buffer.from([9]));
      return [statement.run(), statement.run()];
    });
    const traced: [unknown[], unknown[]] = [[], []];
    const [oursTraced, peerTraced] = [new Database(':memory:', { verbose: (sql) => traced[0].push(sql) }), new BetterSqlite3(':memory:', { verbose: (sql) => traced[1].push(sql) })];
    for (const db of [oursTraced, peerTraced]) db.exec('CREATE TABLE pair (a ANY, b ANY)');
    expectSame(oursTraced, peerTraced, (db) => db.prepare('INSERT INTO pair VALUES (?, ?)').run("it's", 1.5));
    expect(traced[0]).toEqual(traced[1]);
    expectSame(ours, peer, read);
    // Refused on every path, with better-sqlite3's errors; nothing is stored.
    for (const bad of [true, new Date(0), Symbol('s'), 2n ** 64n, { a: 1 }, [1, 2]]) {
      expectSame(ours, peer, (db) => db.prepare('INSERT INTO pair VALUES (?, ?)').run(bad, 1), `pair ${String(bad)}`);
      expectSame(ours, peer, (db) => db.prepare('INSERT INTO bound VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run('text', 1, 2, 3, 4, 5, 6, bad), `eight ${String(bad)}`);
    }
    expectSame(ours, peer, read);
    for (const db of [ours, peer, oursTraced, peerTraced]) db.close();
  });

  it('throws the same SqliteErrors (extended codes), RangeErrors and TypeErrors', () => {
    const [ours, peer] = twins();
    const calls: ((db: AnyDatabase) => unknown)[] = [
      (db) => db.prepare('INSERT INTO people (id, name) VALUES (1, ?)').run('again'),
      (db) => db.prepare('INSERT INTO people (id, name) VALUES (?, NULL)').run(50),
      (db) => db.exec('CREATE TABLE u (k UNIQUE, c CHECK (c > 0)); INSERT INTO u VALUES (1, 1); INSERT INTO u VALUES (1, 1)'),
      (db) => db.exec('INSERT INTO u VALUES (2, -1)'),
      (db) => db.exec('INSERT INTO visits VALUES (999, 1, 1)'),
      (db) => db.prepare('SELEKT 1'),
      (db) => db.prepare('SELECT * FROM nowhere'),
      (db) => db.prepare('SELECT 1; SELECT 2'),
      (db) => db.prepare('  -- only a comment'),
      (db) => db.prepare('DELETE FROM visits').get(),
      (db) => db.prepare('DELETE FROM visits').pluck(),
      (db) => db.prepare('SELECT 1').bind().bind(),
      (db) => db.prepare('SELECT ?').bind(1).get(2),
      (db) => db.prepare(42 as never),
      (db) => db.transaction(42 as never),
      (db) => db.pragma('user_version = 7'),
      (db) => db.pragma('user_version', { simple: true }),
      (db) => db.pragma('table_info(people)'),
      (db) => db.prepare('SELECT 1 AS x').safeIntegers('yes' as never),
    ];
    for (const call of calls) expectSame(ours, peer, call, String(call));
    ours.close();
    peer.close();
  });

  it('transactions: commit, rollback on throw, nested savepoints, the variants, the promise refusal', () => {
    const [ours, peer] = twins();
    const run = (db: AnyDatabase): unknown => {
      const insert = db.prepare('INSERT INTO visits VALUES (1, ?, 0)');
      const count = db.prepare("SELECT count(*) FROM visits WHERE city LIKE 'tx%'").pluck();
      const inner = db.transaction((city: string) => {
        insert.run(city);
        if (city.endsWith('!')) throw new Error(`refused ${city}`);
      });
      const outer = db.transaction((cities: string[]) => {
        for (const city of cities) {
          try {
            inner(city);
          } catch {
            // the savepoint rolled back just this one
          }
        }
        return db.inTransaction;
      });
      const seen = [outer(['tx1', 'tx2!', 'tx3']), count.get(), outcome(() => outer.immediate(['tx4'])), outcome(() => outer.exclusive(['tx5'])), outcome(() => outer.deferred(['tx6']))];
      seen.push(outcome(() => db.transaction(() => { insert.run('tx7'); throw new Error('all or nothing'); })()));
      seen.push(outcome(() => db.transaction(async () => 1)()));
      seen.push(count.get(), db.inTransaction, typeof (outer as unknown as { database: unknown }).database, Object.keys(outer));
      return seen;
    };
    expect(run(ours)).toEqual(run(peer));
    ours.close();
    peer.close();
  });

  it('a file written by cbox is read by better-sqlite3, and the other way round; backup and serialize make real files', async () => {
    const dir = scratchDir();
    const ours = new Database(path.join(dir, 'ours.sqlite'));
    ours.exec('CREATE TABLE log (n INTEGER, city TEXT, days INTEGER)');
    const insert = ours.prepare('INSERT INTO log VALUES (?, ?, ?)');
    let days = 0;
    ours.transaction(() => {
      for (let i = 0; i < 1000; i++) {
        insert.run(i, `city ${i}`, i % 31);
        days += i % 31;
      }
    })();
    await ours.backup(path.join(dir, 'backup.sqlite'));
    writeFileSync(path.join(dir, 'serialized.sqlite'), ours.serialize());
    ours.close();
    expect(readdirSync(dir).sort()).toEqual(['backup.sqlite', 'ours.sqlite', 'serialized.sqlite']); // no lock directory or journal left behind
    for (const file of ['ours.sqlite', 'backup.sqlite', 'serialized.sqlite']) {
      const peer = new BetterSqlite3(path.join(dir, file), { readonly: true });
      expect(peer.prepare('SELECT count(*) AS n, sum(days) AS s, max(city) AS last FROM log').get(), file).toEqual({ n: 1000, s: days, last: 'city 999' });
      expect(peer.pragma('integrity_check', { simple: true })).toBe('ok');
      peer.close();
    }

    const theirsFile = path.join(dir, 'theirs.sqlite');
    const theirs = new BetterSqlite3(theirsFile);
    fill(theirs);
    theirs.close();
    const before = readFileSync(theirsFile);
    const read = new Database(theirsFile, { readonly: true, fileMustExist: true });
    const peer = new BetterSqlite3(theirsFile, { readonly: true });
    for (const sql of QUERIES) expectSame(read, peer, (db) => db.prepare(sql).safeIntegers().all(), sql);
    expectSame(read, peer, (db) => db.exec("INSERT INTO people (id, name) VALUES (8, 'x')"));
    expect(read.readonly).toBe(true);
    read.close();
    peer.close();
    expect(readFileSync(theirsFile).equals(before)).toBe(true);
    const fromBytes = new Database(before);
    expect(fromBytes.prepare('SELECT count(*) FROM visits').pluck().get()).toBe(40);
    expect(fromBytes.memory).toBe(true);
    fromBytes.close();
  });

  it('WAL: a better-sqlite3 WAL file opens (exclusive locking), read-only too; pragma journal_mode = WAL works; better-sqlite3 reads the result', () => {
    const dir = scratchDir();
    const walFile = path.join(dir, 'wal.sqlite');
    const theirs = new BetterSqlite3(walFile);
    expect(theirs.pragma('journal_mode = WAL', { simple: true })).toBe('wal');
    theirs.exec("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('from better-sqlite3')");
    // Still open: its changes are in the -wal file, not yet in the database file.
    const readOnly = new Database(walFile, { readonly: true });
    expect(readOnly.prepare('SELECT x FROM t').all()).toEqual([{ x: 'from better-sqlite3' }]);
    readOnly.close();
    theirs.close();

    const ours = new Database(walFile);
    expect(ours.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(ours.pragma('locking_mode', { simple: true })).toBe('exclusive');
    ours.prepare('INSERT INTO t VALUES (?)').run('from cbox');
    ours.close();
    expect(readdirSync(dir)).toEqual(['wal.sqlite']); // checkpointed, WAL file and lock removed

    const made = new Database(path.join(dir, 'made.sqlite'));
    expect(made.pragma('journal_mode = WAL')).toEqual([{ journal_mode: 'wal' }]);
    made.exec("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('cbox in WAL mode')");
    made.close();
    const peer = new BetterSqlite3(path.join(dir, 'made.sqlite'));
    expect(peer.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(peer.prepare('SELECT x FROM t').pluck().all()).toEqual(['cbox in WAL mode']);
    peer.close();
    const back = new BetterSqlite3(walFile);
    expect(back.prepare('SELECT x FROM t ORDER BY rowid').pluck().all()).toEqual(['from better-sqlite3', 'from cbox']);
    back.close();
  });

  it('the sandbox sees only the directory of the database file', () => {
    const memory = new Database(':memory:');
    // ATTACH opens a file by path: an in-memory database has no file system at all.
    expect(() => memory.exec("ATTACH '/etc/hostname' AS secrets")).toThrow(expect.objectContaining({ name: 'SqliteError', code: 'SQLITE_CANTOPEN' }));
    memory.close();
    const dir = scratchDir();
    const boxed = new Database(path.join(dir, 'a.sqlite'));
    boxed.exec('CREATE TABLE t (x)');
    boxed.exec(`ATTACH '${path.join(dir, 'inside.sqlite')}' AS inside; CREATE TABLE inside.t (y)`); // inside the grant: fine
    expect(() => boxed.exec(`ATTACH '${path.join(dir, '..', 'outside.sqlite')}' AS outside`)).toThrow(expect.objectContaining({ code: 'SQLITE_CANTOPEN' }));
    expect(() => boxed.exec("ATTACH '/etc/hostname' AS secrets")).toThrow(expect.objectContaining({ code: 'SQLITE_CANTOPEN' }));
    boxed.close();
    expect(readdirSync(dir).sort()).toEqual(['a.sqlite', 'inside.sqlite']);
  });
});

describe('cbox/sqlite under hostile input', () => {
  it('a corrupt database file is a SqliteError (SQLITE_CORRUPT), and the connection goes on', () => {
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

    const db = new Database(file);
    expect(() => db.prepare('SELECT count(*), max(x) FROM t WHERE x > ?').all('row 5')).toThrow(expect.objectContaining({ name: 'SqliteError', code: 'SQLITE_CORRUPT', message: expect.stringMatching(/malformed/) }));
    expect(db.pragma('quick_check', { simple: true })).not.toBe('ok');
    expect(db.prepare('SELECT 40 + 2 AS answer').get()).toEqual({ answer: 42 });
    expect(db.library.stats().recycles).toBe(0); // a clean error: the sandbox was never in danger
    db.close();
    writeFileSync(path.join(dir, 'garbage.sqlite'), Buffer.alloc(8192, 0x5a));
    const garbage = new Database(path.join(dir, 'garbage.sqlite'));
    expect(() => garbage.prepare('SELECT * FROM sqlite_master')).toThrow(expect.objectContaining({ name: 'SqliteError', code: 'SQLITE_NOTADB' }));
    garbage.close();
  });

  it('a query past the memory cap fails with SQLITE_NOMEM, inside the cap, and the same connection goes on', () => {
    const db = new Database(':memory:', { memoryLimit: '16MiB' });
    db.exec('CREATE TABLE kept (v); INSERT INTO kept VALUES (7)');
    const cheap = db.prepare('SELECT v FROM kept');
    const hog = "WITH RECURSIVE r(i, s) AS (SELECT 1, '' UNION ALL SELECT i + 1, s || hex(randomblob(4096)) FROM r WHERE i < 100000) SELECT max(length(s)) FROM r";
    expect(() => db.prepare(hog).all()).toThrow(expect.objectContaining({ name: 'SqliteError', code: 'SQLITE_NOMEM', message: expect.stringMatching(/out of memory/) }));
    expect(() => db.prepare(hog).get()).toThrow(expect.objectContaining({ code: 'SQLITE_NOMEM' }));
    expect(() => db.exec('CREATE TABLE big AS WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 1000000) SELECT i, randomblob(100) AS b FROM r'))
      .toThrow(expect.objectContaining({ code: 'SQLITE_NOMEM' }));
    expect(cheap.get()).toEqual({ v: 7 }); // SQLite rolled back and goes on in the same sandbox
    expect(db.library.stats().memory.size).toBeLessThanOrEqual(16 * 2 ** 20);
    expect(db.library.stats().recycles).toBe(0);
    db.close();
  });

  it('a crash inside SQLite (its C stack overflows on 3000 nested views) is a CboxTrap; the database closes and opens again', () => {
    const dir = scratchDir();
    const file = path.join(dir, 'deep.sqlite');
    const db = new Database(file);
    let views = 'CREATE VIEW v0 AS SELECT 1 AS x;';
    for (let i = 1; i < 3000; i++) views += `CREATE VIEW v${i} AS SELECT x FROM v${i - 1};`;
    db.exec(`BEGIN; CREATE TABLE kept (v); INSERT INTO kept VALUES ('safe'); ${views} COMMIT`);
    const kept = db.prepare('SELECT v FROM kept');
    let caught: unknown;
    try { db.prepare('SELECT x FROM v2999'); } catch (error) { caught = error; }
    expect(caught).toBeInstanceOf(CboxTrap);
    expect(caught).toMatchObject({ kind: 'stack-overflow' });
    expect(db.open).toBe(false);
    expect(() => kept.get()).toThrow(/not open: its sandbox crashed/);
    db.close();
    const again = new Database(file);
    expect(again.prepare('SELECT v FROM kept').get()).toEqual({ v: 'safe' });
    expect(again.pragma('integrity_check', { simple: true })).toBe('ok');
    again.close();
  });
});

describe('SqliteError', () => {
  it('is better-sqlite3-shaped (name, message, string code) and a CboxCallError with the numeric code', () => {
    const db = new Database();
    db.exec('CREATE TABLE t (k PRIMARY KEY)');
    db.exec('INSERT INTO t VALUES (1)');
    let error: unknown;
    try { db.exec('INSERT INTO t VALUES (1)'); } catch (caught) { error = caught; }
    expect(error).toBeInstanceOf(SqliteError);
    expect(error).toBeInstanceOf(Database.SqliteError);
    expect(error).toMatchObject({ name: 'SqliteError', code: 'SQLITE_CONSTRAINT_PRIMARYKEY', errcode: 1555, message: 'UNIQUE constraint failed: t.k' });
    db.close();
  });
});
