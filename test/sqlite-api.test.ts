// cbox/sqlite's API as better-sqlite3's docs/api.md describes it, checked on cbox alone: the
// constructor and its options, the database's properties and methods, statements, iteration,
// and cbox's additions (memoryLimit; the function()/aggregate() refusal).
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import Database, { Database as NamedDatabase, DEFAULT_MEMORY_LIMIT, SqliteError } from 'cbox/sqlite';

function scratchDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'cbox-sqlite-api-'));
}

describe('new Database(filename, options)', () => {
  it('opens :memory:, "" and files synchronously, with the properties better-sqlite3 has', () => {
    expect(NamedDatabase).toBe(Database);
    const memory = new Database(':memory:');
    expect([memory.name, memory.memory, memory.readonly, memory.open, memory.inTransaction]).toEqual([':memory:', true, false, true, false]);
    memory.close();
    expect(memory.open).toBe(false);
    const temporary = new Database();
    expect([temporary.name, temporary.memory]).toEqual(['', true]);
    temporary.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    expect(temporary.prepare('SELECT x FROM t').pluck().get()).toBe(1);
    temporary.close();
    const dir = scratchDir();
    const file = path.join(dir, 'app.db');
    const onDisk = new Database(file);
    expect([onDisk.name, onDisk.memory, onDisk.readonly]).toEqual([file, false, false]);
    expect(existsSync(file)).toBe(true);
    expect(onDisk.close()).toBe(onDisk);
  });

  it('fileMustExist, readonly, a missing directory and bad options fail as in better-sqlite3', () => {
    const dir = scratchDir();
    const missing = path.join(dir, 'missing.db');
    expect(() => new Database(missing, { fileMustExist: true })).toThrow(expect.objectContaining({ name: 'SqliteError', code: 'SQLITE_CANTOPEN', message: 'unable to open database file' }));
    expect(existsSync(missing)).toBe(false);
    expect(() => new Database(path.join(dir, 'nowhere', 'x.db'))).toThrow(new TypeError('Cannot open database because the directory does not exist'));
    expect(() => new Database(':memory:', { readonly: true })).toThrow(new TypeError('In-memory/temporary databases cannot be readonly'));
    expect(() => new Database(':memory:', { timeout: -1 })).toThrow(TypeError);
    expect(() => new Database(':memory:', { timeout: 2 ** 31 })).toThrow(RangeError);
    expect(() => new Database(':memory:', { readonly: 'yes' as never })).toThrow(TypeError);
    expect(() => new Database(':memory:', { readOnly: true } as never)).toThrow(new TypeError('Misspelled option "readOnly" should be "readonly"'));
    expect(() => new Database(42 as never)).toThrow(TypeError);
    expect(() => new Database('file:x.db?mode=memory')).toThrow(/file: URIs/);
    const made = new Database(path.join(dir, 'made.db'));
    made.exec('CREATE TABLE t (x)');
    made.close();
    const reader = new Database(path.join(dir, 'made.db'), { readonly: true });
    expect(reader.readonly).toBe(true);
    expect(() => reader.exec('INSERT INTO t VALUES (1)')).toThrow(expect.objectContaining({ code: 'SQLITE_READONLY' }));
    reader.close();
  });

  it('timeout: a writer waits for the lock another connection holds, then SQLITE_BUSY', () => {
    const dir = scratchDir();
    const file = path.join(dir, 'busy.db');
    const db = new Database(file, { timeout: 50 });
    db.exec('CREATE TABLE t (x)');
    // Another cbox connection: cbox's WASI build locks with a <file>.lock directory, which
    // better-sqlite3's POSIX locks do not see (see the README).
    const other = new Database(file, { timeout: 50 });
    other.exec('BEGIN IMMEDIATE; INSERT INTO t VALUES (1)');
    const started = Date.now();
    expect(() => db.exec('INSERT INTO t VALUES (2)')).toThrow(expect.objectContaining({ name: 'SqliteError', code: expect.stringMatching(/^SQLITE_BUSY/) }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(40); // it waited for the lock first
    other.exec('COMMIT');
    db.exec('INSERT INTO t VALUES (2)');
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(2);
    other.close();
    db.close();
  });

  it('verbose is told every statement run, with its values', () => {
    const seen: unknown[] = [];
    const db = new Database(':memory:', { verbose: (sql) => seen.push(sql) });
    db.exec('CREATE TABLE t (x, y)');
    db.prepare('INSERT INTO t VALUES (?, ?)').run(1, 'two');
    db.prepare('SELECT * FROM t WHERE x = ?').get(1);
    expect(seen).toEqual(['CREATE TABLE t (x, y)', "INSERT INTO t VALUES (1.0, 'two')", 'SELECT * FROM t WHERE x = 1.0']);
    db.close();
  });

  it('memoryLimit caps the sandbox (default 256 MiB)', () => {
    expect(DEFAULT_MEMORY_LIMIT).toBe('256MiB');
    const db = new Database(':memory:', { memoryLimit: '8MiB' });
    expect(() => db.prepare('SELECT length(zeroblob(20000000) || zeroblob(20000000))').get()).toThrow(expect.objectContaining({ code: expect.stringMatching(/^SQLITE_(NOMEM|TOOBIG)/) }));
    expect(db.library.stats().memory.size).toBeLessThanOrEqual(8 * 2 ** 20);
    expect(db.prepare('SELECT 1 AS one').get()).toEqual({ one: 1 });
    db.close();
  });
});

describe('Database methods', () => {
  it('prepare, exec (chainable), pragma with and without simple, serialize and a database from its bytes', () => {
    const db = new Database();
    expect(db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')).toBe(db);
    expect(db.pragma('user_version = 3')).toEqual([]);
    expect(db.pragma('user_version')).toEqual([{ user_version: 3 }]);
    expect(db.pragma('user_version', { simple: true })).toBe(3);
    db.prepare('INSERT INTO t (v) VALUES (?)').run('kept');
    const copy = new Database(db.serialize());
    expect(copy.prepare('SELECT v FROM t').pluck().all()).toEqual(['kept']);
    expect(copy.pragma('user_version', { simple: true })).toBe(3);
    expect(() => db.serialize({ attached: 'nope' })).toThrow();
    copy.close();
    db.close();
  });

  it('table() (virtual tables) and loadExtension() are refused clearly', () => {
    const db = new Database();
    expect(() => db.table()).toThrow(new TypeError('cbox/sqlite does not support table() yet: virtual tables are not implemented'));
    expect(() => db.loadExtension()).toThrow(TypeError);
    db.close();
  });

  it('defaultSafeIntegers and safeIntegers: numbers or bigints, never mixed; a number that would lose digits is a RangeError', () => {
    const db = new Database();
    db.exec('CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (9007199254740993)');
    const both = db.prepare('SELECT n FROM t ORDER BY n');
    expect(() => both.all()).toThrow(new RangeError('The integer 9007199254740993 in column "n" is beyond Number.MAX_SAFE_INTEGER: use safeIntegers() to read it as a bigint'));
    expect(() => both.raw().get()).not.toThrow(); // the first row fits
    expect(both.safeIntegers().all()).toEqual([[1n], [9007199254740993n]]);
    db.defaultSafeIntegers();
    expect(db.prepare('SELECT 2 AS two, 2.5 AS half').get()).toEqual({ two: 2n, half: 2.5 });
    expect(db.prepare('INSERT INTO t VALUES (3)').run()).toEqual({ changes: 1, lastInsertRowid: 3n });
    db.defaultSafeIntegers(false);
    expect(db.prepare('SELECT 2 AS two').get()).toEqual({ two: 2 });
    db.exec('INSERT INTO t (rowid, n) VALUES (9007199254740993, 0)');
    expect(() => db.prepare('INSERT INTO t VALUES (4)').run()).toThrow(RangeError); // its rowid is past 2^53
    db.close();
  });

  it('close() finalizes statements; everything after says the connection is not open', () => {
    const db = new Database();
    const statement = db.prepare('SELECT 1');
    db.close();
    db.close();
    for (const call of [() => statement.get(), () => db.exec('SELECT 1'), () => db.prepare('SELECT 1'), () => db.pragma('user_version')]) {
      expect(call).toThrow(new TypeError('The database connection is not open'));
    }
  });
});

describe('Statement', () => {
  it('has source, reader, readonly, busy and database; run answers changes and lastInsertRowid', () => {
    const db = new Database();
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const select = db.prepare('SELECT * FROM t');
    expect([insert.source, insert.reader, insert.readonly, insert.busy, insert.database]).toEqual(['INSERT INTO t (v) VALUES (?)', false, false, false, db]);
    expect([select.reader, select.readonly]).toEqual([true, true]);
    expect(insert.run('a')).toEqual({ changes: 1, lastInsertRowid: 1 });
    expect(insert.run(Buffer.from('b'))).toEqual({ changes: 1, lastInsertRowid: 2 });
    expect(db.prepare('DELETE FROM t').run()).toEqual({ changes: 2, lastInsertRowid: 2 });
    db.close();
  });

  it('iterate(): rows one at a time in batches; the statement is busy meanwhile, writes wait, reads go on; break resets it', () => {
    const db = new Database();
    db.exec("CREATE TABLE n (i INTEGER, s TEXT); WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1500) INSERT INTO n SELECT i, printf('%05d', i) FROM c");
    const scan = db.prepare('SELECT i, s FROM n ORDER BY i');
    const lookup = db.prepare('SELECT s FROM n WHERE i = ?').pluck();
    let seen = 0;
    for (const row of scan.iterate()) {
      expect(row).toEqual({ i: seen + 1, s: String(seen + 1).padStart(5, '0') });
      if (seen === 0) {
        expect(scan.busy).toBe(true);
        expect(() => scan.get()).toThrow(new TypeError('This statement is busy executing a query'));
        expect(() => db.exec('DELETE FROM n')).toThrow(new TypeError('This database connection is busy executing a query'));
        expect(() => db.prepare('DELETE FROM n').run()).toThrow(new TypeError('This database connection is busy executing a query'));
        expect(lookup.get(7)).toBe('00007');
      }
      if (++seen === 1000) break; // past the first batch: the statement is mid-query here
    }
    expect(scan.busy).toBe(false);
    expect(scan.raw().get()).toEqual([1, '00001']);
    db.exec('DROP TABLE n'); // "table is locked" if any statement were still running
    db.close();
  });

  it('bind() binds for good; columns() describes the result; pluck/expand/raw toggle', () => {
    const db = new Database();
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, \'one\'), (2, \'two\')');
    const bound = db.prepare('SELECT id, v, id * 2 AS twice FROM t WHERE id = :id').bind({ id: 2 });
    expect(bound.get()).toEqual({ id: 2, v: 'two', twice: 4 });
    expect(bound.columns()).toEqual([
      { name: 'id', column: 'id', table: 't', database: 'main', type: 'INTEGER' },
      { name: 'v', column: 'v', table: 't', database: 'main', type: 'TEXT' },
      { name: 'twice', column: null, table: null, database: null, type: null },
    ]);
    expect(bound.expand().get()).toEqual({ t: { id: 2, v: 'two' }, $: { twice: 4 } });
    expect(bound.raw().get()).toEqual([2, 'two', 4]);
    expect(bound.pluck().get()).toBe(2);
    expect(bound.pluck(false).get()).toEqual({ id: 2, v: 'two', twice: 4 });
    expect(db.prepare('SELECT 1 AS __proto__').get()).toEqual(Object.defineProperty({}, '__proto__', { value: 1, enumerable: true }));
    expect(Object.getPrototypeOf(db.prepare('SELECT 1 AS __proto__').get())).toBe(Object.prototype);
    db.close();
  });

  it('get() on rows with several texts and blobs (which it then takes encoded in one crossing) answers the same rows, misses and errors', () => {
    const db = new Database();
    db.exec("CREATE TABLE u (id INTEGER PRIMARY KEY, a TEXT, b BLOB, c TEXT, big INTEGER); INSERT INTO u VALUES (1, 'one', x'01', 'uno', 1), (2, 'two ✓', x'', NULL, 9007199254740993)");
    const byId = db.prepare('SELECT a, b, c, big FROM u WHERE id = ?');
    const first = { a: 'one', b: Buffer.from([1]), c: 'uno', big: 1 };
    expect(byId.get(1)).toEqual(first);
    expect(byId.get(1)).toEqual(first); // the second call takes the encoded path
    expect(byId.get(3)).toBeUndefined();
    expect(() => byId.get(2)).toThrow(RangeError);
    expect(byId.safeIntegers().get(2)).toEqual({ a: 'two ✓', b: Buffer.alloc(0), c: null, big: 9007199254740993n });
    expect(byId.safeIntegers(false).raw().get(1)).toEqual(['one', Buffer.from([1]), 'uno', 1]);
    const all = db.prepare('SELECT a, c FROM u ORDER BY id');
    expect(all.get()).toEqual({ a: 'one', c: 'uno' });
    expect(all.get()).toEqual({ a: 'one', c: 'uno' }); // not left mid-query: the statement was reset
    db.exec('DROP TABLE u'); // "table is locked" if a statement were still running
    db.close();
  });

  it('SqliteError codes are extended result codes', () => {
    const db = new Database();
    db.exec('CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p REFERENCES p(id), n NOT NULL)');
    expect(() => db.exec('INSERT INTO c VALUES (1, 1)')).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }));
    expect(() => db.exec('INSERT INTO c VALUES (NULL, NULL)')).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_NOTNULL' }));
    expect(() => db.exec('INSERT INTO p VALUES (1); INSERT INTO p VALUES (1)')).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY', errcode: 1555 }));
    expect(new SqliteError('x', 'message', 5)).toMatchObject({ code: 'SQLITE_BUSY', message: 'message' });
    db.close();
  });

  it('WAL asked for by exec() too: exclusive locking first, so the mode really changes', () => {
    const dir = scratchDir();
    const db = new Database(path.join(dir, 'wal.db'));
    db.exec("PRAGMA journal_mode = 'wal'; CREATE TABLE t (x); INSERT INTO t VALUES (1)");
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('locking_mode', { simple: true })).toBe('exclusive');
    expect(readdirSync(dir)).toContain('wal.db-wal');
    db.close();
    expect(readdirSync(dir)).toEqual(['wal.db']); // checkpointed on close
    const memory = new Database();
    expect(memory.pragma('journal_mode = WAL', { simple: true })).toBe('memory'); // SQLite's answer for :memory:
    memory.close();
  });

  it('files: the grant is the database directory, and nothing but the database is left in it', () => {
    const dir = scratchDir();
    const db = new Database(path.join(dir, 'one.db'));
    db.exec('CREATE TABLE t (x); BEGIN; INSERT INTO t VALUES (1)');
    expect(readdirSync(dir).sort()).toEqual(['one.db', 'one.db-journal', 'one.db.lock']);
    db.exec('COMMIT');
    db.close();
    expect(readdirSync(dir)).toEqual(['one.db']);
  });
});
