// cbox/sqlite's user functions and aggregates (function(), aggregate()), made with cbox callbacks:
// each case runs the same definitions and queries on better-sqlite3 and on cbox/sqlite and
// expects the same rows, the same thrown errors and the same refusals.
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import Database from 'cbox/sqlite';

type AnyDatabase = BetterSqlite3.Database | Database;

/** Runs `scenario` on a fresh in-memory database of each kind; the answers must be equal. */
function bothAgree(scenario: (db: AnyDatabase) => unknown): unknown {
  const answers = [new BetterSqlite3(':memory:'), new Database(':memory:')].map((db) => {
    try {
      return scenario(db);
    } finally {
      db.close();
    }
  });
  expect(answers[1]).toEqual(answers[0]);
  return answers[1];
}

/** What `fn` throws, as a comparable shape. */
function failure(fn: () => unknown): { name: string; message: string } | 'no error' {
  try {
    fn();
    return 'no error';
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
}

describe('db.function()', () => {
  it('scalar functions: every argument type in, every result type out, in all(), get() and run()', () => {
    const answer = bothAgree((db) => {
      db.function('describe', (value: unknown) => `${typeof value}:${value instanceof Uint8Array ? [...value].join(',') : String(value)}`);
      db.function('twice', (value: number) => value * 2);
      db.function('big', { safeIntegers: true }, (value: bigint) => value * 2n);
      db.function('blob_of', (text: string) => Buffer.from(text));
      db.function('void_value', () => undefined);
      db.exec('CREATE TABLE t (v); INSERT INTO t VALUES (1), (2.5), (\'héllo\'), (x\'0102\'), (NULL), (9007199254740993)');
      db.prepare('INSERT INTO t VALUES (twice(21))').run();
      return {
        described: db.prepare('SELECT describe(v) AS d FROM t').pluck().all(),
        twice: db.prepare('SELECT twice(?) AS x').get(4.25),
        big: db.prepare('SELECT big(v) FROM t WHERE typeof(v) = \'integer\'').pluck().safeIntegers().all(),
        blob: db.prepare('SELECT blob_of(\'ab\')').pluck().get(),
        nothing: db.prepare('SELECT void_value() IS NULL').pluck().get(),
        types: db.prepare('SELECT typeof(twice(1)), typeof(big(1)), typeof(blob_of(\'x\'))').raw().get(),
      };
    });
    expect((answer as { twice: unknown }).twice).toEqual({ x: 8.5 });
  });

  it('varargs, fn.length as the argument count, deterministic and directOnly', () => {
    bothAgree((db) => {
      db.function('join_all', { varargs: true }, (...parts: unknown[]) => parts.join('-'));
      db.function('plus', { deterministic: true, directOnly: true }, (a: number, b: number) => a + b);
      return {
        joined: db.prepare('SELECT join_all(), join_all(1), join_all(1, \'b\', 3)').raw().get(),
        added: db.prepare('SELECT plus(2, 3)').pluck().get(),
        wrongCount: failure(() => db.prepare('SELECT plus(1)').get()),
        index: failure(() => db.exec('CREATE TABLE i (x); CREATE INDEX ix ON i (plus(x, 1))')),
      };
    });
  });

  it('an exception thrown by the function fails the statement with that very exception; the database goes on', () => {
    const boom = new RangeError('boom');
    for (const db of [new BetterSqlite3(':memory:'), new Database(':memory:')]) {
      db.function('explode', () => { throw boom; });
      db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1), (2)');
      expect(failure(() => db.prepare('SELECT explode() FROM t').all())).toEqual({ name: 'RangeError', message: 'boom' });
      let thrown: unknown;
      try { db.prepare('SELECT explode()').get(); } catch (error) { thrown = error; }
      expect(thrown).toBe(boom);
      expect(failure(() => db.prepare('INSERT INTO t VALUES (explode())').run())).toEqual({ name: 'RangeError', message: 'boom' });
      expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(2);
      db.close();
    }
  });

  it('a result it cannot store, bad arguments to function(), and use of the database from inside a function are refused as better-sqlite3 refuses them', () => {
    bothAgree((db) => {
      db.function('object', () => ({}));
      db.function('huge', () => 2n ** 70n);
      db.function('reentrant', () => db.prepare('SELECT 1').get());
      return [
        failure(() => db.prepare('SELECT object()').get()),
        failure(() => db.prepare('SELECT huge()').get()),
        failure(() => db.prepare('SELECT reentrant()').get()),
        failure(() => (db.function as (...args: unknown[]) => unknown)('', () => 1)),
        failure(() => (db.function as (...args: unknown[]) => unknown)(1, () => 1)),
        failure(() => (db.function as (...args: unknown[]) => unknown)('f', 'not a function')),
        failure(() => (db.function as (...args: unknown[]) => unknown)('f', { varargs: 1 }, () => 1)),
        db.prepare('SELECT 40 + 2').pluck().get(),
      ];
    });
  });
});

describe('db.aggregate()', () => {
  it('aggregates with start values and functions, result, GROUP BY and empty groups', () => {
    bothAgree((db) => {
      db.exec('CREATE TABLE sales (region, amount); INSERT INTO sales VALUES (\'n\', 10), (\'s\', 5), (\'n\', 7), (\'s\', 1), (\'e\', NULL)');
      db.aggregate('total', { start: 0, step: (sum: number, value: number | null) => sum + (value ?? 0) });
      db.aggregate('collect', { start: () => [] as unknown[], step: (list: unknown[], value: unknown) => { list.push(value); }, result: (list: unknown[]) => JSON.stringify(list) });
      db.aggregate('maybe', { step: (_: unknown, value: unknown) => value });
      return {
        grouped: db.prepare('SELECT region, total(amount) AS sum, collect(amount) AS list FROM sales GROUP BY region ORDER BY region').all(),
        empty: db.prepare('SELECT total(amount), collect(amount), maybe(amount) FROM sales WHERE 0').raw().get(),
      };
    });
  });

  it('window functions through inverse, and errors thrown in step or result', () => {
    bothAgree((db) => {
      db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3), (4), (5)');
      db.aggregate('moving', { start: 0, step: (sum: number, x: number) => sum + x, inverse: (sum: number, x: number) => sum - x });
      db.aggregate('bad_step', { step: () => { throw new TypeError('in step'); } });
      db.aggregate('bad_result', { start: 0, step: (n: number) => n + 1, result: () => { throw new Error('in result'); } });
      return {
        window: db.prepare('SELECT x, moving(x) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS m FROM t').all(),
        noInverse: failure(() => db.prepare('SELECT total(x) OVER (ORDER BY x ROWS 1 PRECEDING) FROM t').all()),
        badStep: failure(() => db.prepare('SELECT bad_step(x) FROM t').get()),
        badResult: failure(() => db.prepare('SELECT bad_result(x) FROM t').get()),
        missingStep: failure(() => (db.aggregate as (...args: unknown[]) => unknown)('x', {})),
        badInverse: failure(() => (db.aggregate as (...args: unknown[]) => unknown)('x', { step: () => 0, inverse: 3 })),
      };
    });
  });
});
