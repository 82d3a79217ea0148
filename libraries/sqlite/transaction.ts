// db.transaction(fn) as better-sqlite3 makes it: a function that runs fn inside BEGIN/COMMIT (or,
// when a transaction is open already, inside a savepoint), rolls back when fn throws, and has
// .deferred, .immediate and .exclusive variants.
import type { Database } from './database.js';
import type { Statement } from './statement.js';

interface Controller { readonly begin: Statement; readonly commit: Statement; readonly rollback: Statement; readonly savepoint: Statement; readonly release: Statement; readonly rollbackTo: Statement }
/** Any function, as better-sqlite3's types take it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the transaction passes any arguments through
export type VariableArgFunction = (...args: any[]) => unknown;
type Behaviour = 'default' | 'deferred' | 'immediate' | 'exclusive';

export type Transaction<F extends VariableArgFunction> = F & {
  readonly default: Transaction<F>;
  readonly deferred: Transaction<F>;
  readonly immediate: Transaction<F>;
  readonly exclusive: Transaction<F>;
  readonly database: Database;
};

const BEGIN: Record<Behaviour, string> = { default: 'BEGIN', deferred: 'BEGIN DEFERRED', immediate: 'BEGIN IMMEDIATE', exclusive: 'BEGIN EXCLUSIVE' };
const SAVEPOINT = '`\t_cbox.\t`';
const controllers = new WeakMap<Database, Record<Behaviour, Controller>>();

function controllerOf(db: Database): Record<Behaviour, Controller> {
  let controller = controllers.get(db);
  if (!controller) {
    // No timeoutMs for these: the function's own statements have theirs.
    const prepare = (source: string): Statement => db.prepare(source, { timeoutMs: null });
    const shared = {
      commit: prepare('COMMIT'),
      rollback: prepare('ROLLBACK'),
      savepoint: prepare(`SAVEPOINT ${SAVEPOINT}`),
      release: prepare(`RELEASE ${SAVEPOINT}`),
      rollbackTo: prepare(`ROLLBACK TO ${SAVEPOINT}`),
    };
    const make = (behaviour: Behaviour): Controller => ({ begin: prepare(BEGIN[behaviour]), ...shared });
    controller = { default: make('default'), deferred: make('deferred'), immediate: make('immediate'), exclusive: make('exclusive') };
    controllers.set(db, controller);
  }
  return controller;
}

function wrap<F extends VariableArgFunction>(db: Database, fn: F, { begin, commit, rollback, savepoint, release, rollbackTo }: Controller): F {
  return function sqliteTransaction(this: unknown, ...args: Parameters<F>): ReturnType<F> {
    const nested = db.inTransaction;
    (nested ? savepoint : begin).run();
    try {
      const result = fn.apply(this, args) as ReturnType<F>;
      if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
        throw new TypeError('Transaction function cannot return a promise');
      }
      (nested ? release : commit).run();
      return result;
    } catch (error) {
      // SQLite may have rolled back already (some errors end the transaction on their own).
      if (db.open && db.inTransaction) {
        (nested ? rollbackTo : rollback).run();
        if (nested) release.run();
      }
      throw error;
    }
  } as F;
}

export function makeTransaction<F extends VariableArgFunction>(db: Database, fn: F): Transaction<F> {
  if (typeof fn !== 'function') throw new TypeError('Expected first argument to be a function');
  const controller = controllerOf(db);
  const variants = {
    default: wrap(db, fn, controller.default),
    deferred: wrap(db, fn, controller.deferred),
    immediate: wrap(db, fn, controller.immediate),
    exclusive: wrap(db, fn, controller.exclusive),
  };
  const properties: PropertyDescriptorMap = {
    default: { value: variants.default },
    deferred: { value: variants.deferred },
    immediate: { value: variants.immediate },
    exclusive: { value: variants.exclusive },
    database: { value: db, enumerable: true },
  };
  for (const variant of Object.values(variants)) Object.defineProperties(variant, properties);
  return variants.default as Transaction<F>;
}
