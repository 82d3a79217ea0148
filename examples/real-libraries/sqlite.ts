// SQLite 3 (the amalgamation shipped in better-sqlite3) built by `cbox build` from
// c-src/sqlite, with the API a Node user expects: open, exec, prepare, run/get/all, close.
// Every database runs in its own sandbox; file databases live in a directory the caller grants.
import { load, type Handle, type Library, type LoadOptions } from '../../runtime/index.js';
import { binding, type SqliteExports } from '../../wasm-modules/sqlite.js';
import { decodeRows, encodeValues, type SqlValue } from './sqlite-values.js';

export type { SqlValue } from './sqlite-values.js';
export type Row = Record<string, SqlValue>;

export interface OpenOptions {
  /** Host directory holding the database file (granted to the sandbox, nothing else is). */
  readonly directory?: string;
  /** Grant the directory read-only and open the database read-only, without file locks. */
  readonly readOnly?: boolean;
  readonly memoryLimit?: LoadOptions['memoryLimit'];
}

export interface RunResult { readonly changes: number; readonly lastInsertRowid: number | bigint }

/** SQLite refused: `code` is SQLite's (extended) result code. */
export class SqliteError extends Error {
  constructor(message: string, readonly code: number) {
    super(message);
    this.name = 'SqliteError';
  }
}

const GUEST_DIR = '/db';
const SQLITE_OPEN_READONLY = 0x1;
const SQLITE_OPEN_URI = 0x40;
const SQLITE_OK = 0;
const ROWS_PER_CALL = 512;

export async function openDatabase(name: string, options: OpenOptions = {}): Promise<Database> {
  if (name !== ':memory:' && !options.directory) throw new TypeError('openDatabase: a file database needs options.directory (the only place the sandbox may touch)');
  if (name.includes('/')) throw new TypeError('openDatabase: name is a file name inside options.directory, not a path');
  const lib = await load(binding, {
    memoryLimit: options.memoryLimit,
    logger: null,
    wasi: options.directory ? { preopens: { [GUEST_DIR]: { path: options.directory, readOnly: options.readOnly ?? false } } } : undefined,
  });
  // SQLite's WASI build locks with a `<file>.lock` directory, which a read-only grant cannot hold:
  // read-only opens go without locks (safe while no one writes the file meanwhile).
  const file = name === ':memory:' ? name : `${GUEST_DIR}/${name}`;
  const handle = options.readOnly && name !== ':memory:'
    ? lib.db_open(`file:${file}?mode=ro&vfs=unix-none`, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI)
    : lib.db_open(file, options.readOnly ? SQLITE_OPEN_READONLY : 0);
  if (!handle) {
    const error = new SqliteError(`cannot open ${name}: ${lib.db_open_error()}`, lib.db_open_errcode());
    lib.close();
    throw error;
  }
  return new Database(lib, handle);
}

export class Database {
  private readonly statements = new Set<Statement>();

  constructor(readonly library: Library<SqliteExports>, private readonly handle: Handle) {}

  exec(sql: string): void {
    if (this.library.db_exec(this.handle, sql) !== SQLITE_OK) throw this.error();
  }

  prepare(sql: string): Statement {
    const statement = this.library.stmt_prepare(this.handle, sql);
    if (!statement) {
      if (this.library.db_errcode(this.handle) !== SQLITE_OK) throw this.error();
      throw new SqliteError(`no statement in ${JSON.stringify(sql)}`, 0);
    }
    const prepared = new Statement(this, statement);
    this.statements.add(prepared);
    return prepared;
  }

  /** @internal */
  error(): SqliteError {
    return new SqliteError(this.library.db_errmsg(this.handle), this.library.db_errcode(this.handle));
  }

  /** @internal */
  forget(statement: Statement): void {
    this.statements.delete(statement);
  }

  close(): void {
    for (const statement of this.statements) statement.finalize();
    this.library.db_close(this.handle);
    this.library.close();
  }
}

export class Statement {
  readonly columns: readonly string[];
  private readonly lib: Library<SqliteExports>;

  constructor(private readonly database: Database, private readonly handle: Handle) {
    this.lib = database.library;
    const count = this.lib.stmt_column_count(handle);
    this.columns = Array.from({ length: count }, (_, index) => this.lib.stmt_column_name(handle, index));
  }

  /** Runs to completion (reset, bind, step, reset): for INSERT, UPDATE, DELETE, DDL. */
  run(...params: SqlValue[]): RunResult {
    const answer = this.lib.stmt_run(this.handle, encodeValues(params));
    const view = new DataView(answer.buffer, answer.byteOffset, answer.byteLength);
    const rowid = view.getBigInt64(8, true);
    return { changes: Number(view.getBigInt64(0, true)), lastInsertRowid: rowid <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(rowid) : rowid };
  }

  /** The first row, or undefined. */
  get(...params: SqlValue[]): Row | undefined {
    return this.query(params, 1)[0];
  }

  all(...params: SqlValue[]): Row[] {
    return this.query(params, Infinity);
  }

  /** Rows as arrays in column order (cheaper than objects). */
  raw(...params: SqlValue[]): SqlValue[][] {
    return this.rows(params, Infinity);
  }

  finalize(): void {
    this.database.forget(this);
    this.lib.stmt_finalize(this.handle);
  }

  private query(params: SqlValue[], limit: number): Row[] {
    return this.rows(params, limit).map((values) => Object.fromEntries(this.columns.map((name, index) => [name, values[index]!])));
  }

  /** One call into the sandbox for the first batch (often the whole answer), more only for big results. */
  private rows(params: SqlValue[], limit: number): SqlValue[][] {
    const rows: SqlValue[][] = [];
    // The C side resets the statement when it is done, or after this batch unless kept open.
    const keepOpen = limit > ROWS_PER_CALL;
    let batch = this.lib.stmt_query(this.handle, encodeValues(params), Math.min(ROWS_PER_CALL, limit), keepOpen);
    for (;;) {
      const count = new DataView(batch.buffer, batch.byteOffset, batch.byteLength).getUint32(0, true);
      rows.push(...decodeRows(batch, 5, count, this.columns.length));
      if (batch[4] !== 0 || !keepOpen) return rows;
      if (rows.length >= limit) {
        this.lib.stmt_reset(this.handle);
        return rows;
      }
      batch = this.lib.stmt_step_rows(this.handle, Math.min(ROWS_PER_CALL, limit - rows.length));
    }
  }
}
