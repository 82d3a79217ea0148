// cbox/sqlite's per-statement timeoutMs: a runaway query is interrupted inside the sandbox
// (SQLite's progress handler against a deadline) with a SqliteTimeoutError, and the same
// connection goes on with its data. No timing is asserted: a timeout that did not fire would
// hang the test until vitest's own limit.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import Database, { SqliteError, SqliteTimeoutError } from 'cbox/sqlite';

/** Counts for ever: only an interrupt ends it. */
const RUNAWAY = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c';
const ENDLESS_ROWS = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c';

function timeoutOf(call: () => unknown): SqliteTimeoutError {
  try {
    call();
  } catch (error) {
    if (error instanceof SqliteTimeoutError) return error;
    throw error;
  }
  throw new Error('the call returned instead of timing out');
}

function withRows(options: ConstructorParameters<typeof Database>[1] = {}): Database {
  const db = new Database(':memory:', options);
  db.exec('CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3)');
  return db;
}

describe('timeoutMs', () => {
  it('stops a runaway query with a SqliteTimeoutError; the in-memory database keeps its rows and answers the next query', () => {
    const db = withRows({ timeoutMs: 50 });
    const error = timeoutOf(() => db.prepare(RUNAWAY).get());
    expect(error).toBeInstanceOf(SqliteError);
    expect([error.name, error.code, error.timeoutMs, error.message]).toEqual(['SqliteTimeoutError', 'SQLITE_INTERRUPT', 50, 'interrupted: the statement ran longer than its timeoutMs (50 ms)']);
    expect(error.toJSON()).toMatchObject({ code: 'SQLITE_INTERRUPT', timeoutMs: 50 });
    expect(db.open).toBe(true);
    expect(db.prepare('SELECT sum(x) FROM t').pluck().get()).toBe(6);
    db.close();
  });

  it('applies to run, get, all, each batch of iterate, and exec; prepare(sql, { timeoutMs }) overrides the database default', () => {
    const db = withRows();
    // No default: a statement with its own timeoutMs.
    expect(timeoutOf(() => db.prepare(RUNAWAY, { timeoutMs: 20 }).all()).timeoutMs).toBe(20);
    expect(timeoutOf(() => db.prepare(ENDLESS_ROWS, { timeoutMs: 20 }).all()).timeoutMs).toBe(20);
    expect(timeoutOf(() => db.prepare(`INSERT INTO t ${ENDLESS_ROWS}`, { timeoutMs: 20 }).run()).timeoutMs).toBe(20);
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(3);
    // get() on a row of several texts: from the second call on it binds, steps and resets in one crossing.
    const wide = db.prepare("SELECT 'a' AS a, 'b' AS b, (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT count(*) FROM c) AS n", { timeoutMs: 20 });
    expect(wide.get(10)).toEqual({ a: 'a', b: 'b', n: 10 });
    expect(timeoutOf(() => wide.get(1e15)).timeoutMs).toBe(20);
    expect(wide.get(5)).toEqual({ a: 'a', b: 'b', n: 5 });
    // iterate: each batch of rows has the whole timeoutMs, so a loop that stops itself ends well.
    let seen = 0;
    for (const row of db.prepare(ENDLESS_ROWS, { timeoutMs: 1000 }).pluck().iterate()) {
      seen = row as number;
      if (seen === 5000) break;
    }
    expect(seen).toBe(5000);
    db.close();

    const timed = withRows({ timeoutMs: 20 });
    expect(timeoutOf(() => timed.exec(RUNAWAY)).timeoutMs).toBe(20);
    expect(timeoutOf(() => timed.prepare(RUNAWAY, { timeoutMs: 30 }).get()).timeoutMs).toBe(30);
    // null: this statement has none (a bounded query, so it ends).
    expect(timed.prepare('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) SELECT count(*) FROM c', { timeoutMs: null }).pluck().get()).toBe(1000);
    timed.close();
  });

  it('stops a runaway query that calls a user function on every row; the function works afterwards', () => {
    const db = withRows({ timeoutMs: 20 });
    let calls = 0;
    db.function('counted', (x: unknown) => {
      calls++;
      return x;
    });
    timeoutOf(() => db.prepare(RUNAWAY.replace('count(*)', 'count(counted(x))')).get());
    expect(calls).toBeGreaterThan(0);
    expect(db.prepare('SELECT counted(sum(x)) FROM t').pluck().get()).toBe(6);
    db.close();
  });

  it('a read that times out inside a transaction leaves the transaction open; a write that times out rolls it back, as SQLite does on an interrupt', () => {
    const db = withRows({ timeoutMs: 20 });
    db.exec('BEGIN');
    db.prepare('INSERT INTO t VALUES (4)').run();
    timeoutOf(() => db.prepare(RUNAWAY).get());
    expect(db.inTransaction).toBe(true);
    db.exec('COMMIT');
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(4);

    db.exec('BEGIN');
    db.prepare('INSERT INTO t VALUES (5)').run();
    timeoutOf(() => db.prepare(`INSERT INTO t ${ENDLESS_ROWS}`).run());
    expect(db.inTransaction).toBe(false);
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(4);

    // db.transaction(): the timeout propagates, nothing of the function's work is kept.
    const transfer = db.transaction(() => {
      db.prepare('INSERT INTO t VALUES (6)').run();
      db.prepare(RUNAWAY).get();
    });
    expect(() => transfer()).toThrow(SqliteTimeoutError);
    expect([db.inTransaction, db.prepare('SELECT count(*) FROM t').pluck().get()]).toEqual([false, 4]);
    db.close();
  });

  it('a file database: the interrupted write leaves the file as it was and releases its lock for other connections', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cbox-sqlite-timeout-')), 'app.db');
    const db = new Database(file, { timeoutMs: 20 });
    db.exec('CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)');
    timeoutOf(() => db.prepare(`INSERT INTO t ${ENDLESS_ROWS}`).run());
    const other = new BetterSqlite3(file);
    expect(other.prepare('SELECT count(*) FROM t').pluck().get()).toBe(1);
    db.close();
    other.prepare('INSERT INTO t VALUES (2)').run();
    other.close();
    const again = new Database(file);
    expect(again.prepare('SELECT sum(x) FROM t').pluck().get()).toBe(3);
    again.close();
  });

  it('refuses timeoutMs values that are not positive integers (TypeError) or too large (RangeError)', () => {
    for (const bad of [0, -1, 1.5, '10', Number.NaN, true]) {
      expect(() => new Database(':memory:', { timeoutMs: bad as number })).toThrow(new TypeError('Expected the "timeoutMs" option to be a positive integer or null'));
    }
    expect(() => new Database(':memory:', { timeoutMs: 2 ** 31 })).toThrow(new RangeError('Option "timeoutMs" cannot be greater than 2147483647'));
    const db = new Database(':memory:');
    expect(() => db.prepare('SELECT 1', { timeoutMs: 0 })).toThrow(TypeError);
    expect(() => db.prepare('SELECT 1', null as unknown as object)).toThrow(new TypeError('Expected second argument to be an options object'));
    db.close();
  });
});
