// cbox/sqlite's Database: better-sqlite3's API (12.x) on SQLite running in a cbox sandbox with a
// memory cap. The constructor is synchronous like better-sqlite3's; each database has a sandbox
// of its own, granted only the directory of its file.
import { writeFile } from 'node:fs/promises';
import { CboxCallError, type Handle } from 'cbox';
import { isWalFile, openConnection, openSandbox, placeOf, type SqliteLibrary } from './connection.js';
import { SqliteError, SqliteTimeoutError } from './errors.js';
import { UserFunctions, type AggregateOptions, type RegistrationOptions } from './functions.js';
import { Statement } from './statement.js';
import { makeTransaction, type Transaction, type VariableArgFunction } from './transaction.js';

export interface Options {
  /** Open the file read-only (the sandbox's grant is read-only too). */
  readonly?: boolean;
  /** Fail with SQLITE_CANTOPEN instead of creating a missing file. */
  fileMustExist?: boolean;
  /** How long (ms) a statement waits for a lock held by another connection (default 5000). */
  timeout?: number;
  /** Called with the SQL of every statement run (bound values filled in) and every exec script. */
  verbose?: ((message?: unknown, ...more: unknown[]) => void) | null;
  /** cbox's own: the sandbox's memory limit ("64MiB", bytes; default 256 MiB). SQLite answers
   * SQLITE_NOMEM past it, and the database goes on. */
  memoryLimit?: number | string;
  /** cbox's own: how long (ms) SQLite may work on one call of a statement (run, get, all, each
   * batch of iterate) or one exec() before it is interrupted with a SqliteTimeoutError; statements
   * take it unless prepare() gives them their own. Default: none. */
  timeoutMs?: number | null;
}

export interface StatementOptions {
  /** cbox's own: this statement's timeoutMs (null: none) instead of the database's. */
  timeoutMs?: number | null;
}

export interface PragmaOptions { simple?: boolean }
export interface SerializeOptions { attached?: string }
export interface BackupMetadata { totalPages: number; remainingPages: number }
export interface BackupOptions { attached?: string }

const SQLITE_OK = 0;
const SQLITE_INTERRUPT = 9;
const DEFAULT_TIMEOUT_MS = 5000;
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** SQL (a pragma, or a script with one) asking for WAL mode: the WASI build has no shared memory
 * for the WAL index, so WAL works only in exclusive locking mode, which is set first. */
const WANTS_WAL = /journal_mode\s*=\s*['"`]?wal\b/i;

function optionBoolean(options: Options, key: 'readonly' | 'fileMustExist'): boolean {
  const value = options[key];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new TypeError(`Expected the "${key}" option to be a boolean`);
  return value;
}

/** A timeoutMs option: a positive integer of ms, or null (none); 0 when none is given. */
function timeoutOption(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (value === null) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw new TypeError('Expected the "timeoutMs" option to be a positive integer or null');
  if (value > MAX_TIMEOUT_MS) throw new RangeError(`Option "timeoutMs" cannot be greater than ${MAX_TIMEOUT_MS}`);
  return value;
}

export class Database {
  /** better-sqlite3 exposes its error class here too. */
  static readonly SqliteError = SqliteError;

  readonly name: string;
  readonly memory: boolean;
  readonly readonly: boolean;
  /** @internal The sandbox (stats(), on('trap')); closed with the database. */
  readonly library: SqliteLibrary;
  /** @internal New statements read INTEGERs as bigint (defaultSafeIntegers). */
  defaultSafeIntegersOn = false;
  /** @internal Iterations in progress: writes wait for them (better-sqlite3's "busy"). */
  iterators = 0;
  /** @internal The timeoutMs statements take by default (0: none). */
  readonly defaultTimeoutMs: number;
  /** The timeoutMs of the deadline set last: the one a SQLITE_INTERRUPT came from. */
  private deadlineMs = 0;
  private readonly handle: Handle;
  private readonly functions: UserFunctions;
  private readonly generation: number;
  private readonly verbose: ((message?: unknown) => void) | null;
  private closed = false;
  private unsafe = false;
  /** C statements not finalized yet: close() finalizes them so the connection truly closes. */
  private readonly statements = new Set<Handle>();
  /** Statements dropped without close() are finalized in the sandbox once collected. */
  private readonly unreachable = new FinalizationRegistry<Handle>((handle) => this.finalizeCollected(handle));

  constructor(filename: string | Uint8Array = '', options: Options = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('Expected second argument to be an options object');
    const serialized = filename instanceof Uint8Array ? filename : null;
    if (serialized === null && typeof filename !== 'string') throw new TypeError('Expected first argument to be a string');
    if ('readOnly' in options) throw new TypeError('Misspelled option "readOnly" should be "readonly"');
    const readonly = optionBoolean(options, 'readonly');
    const fileMustExist = optionBoolean(options, 'fileMustExist');
    const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isInteger(timeout) || timeout < 0) throw new TypeError('Expected the "timeout" option to be a positive integer');
    if (timeout > MAX_TIMEOUT_MS) throw new RangeError(`Option "timeout" cannot be greater than ${MAX_TIMEOUT_MS}`);
    if (options.verbose != null && typeof options.verbose !== 'function') throw new TypeError('Expected the "verbose" option to be a function');
    this.defaultTimeoutMs = timeoutOption(options.timeoutMs, 0);

    const place = placeOf(serialized === null ? (filename as string) : ':memory:', readonly && serialized === null);
    // A read-only file with changes in a -wal beside it is read in exclusive mode, without locks.
    const walBeside = readonly && !place.memory && isWalFile(place.file);
    this.library = openSandbox(place, readonly, options.memoryLimit);
    try {
      this.handle = openConnection(this.library, place, readonly, fileMustExist, walBeside);
    } catch (error) {
      this.library.close();
      throw error;
    }
    this.generation = this.library.generation;
    this.functions = new UserFunctions(this.library, this.handle, () => this.defaultSafeIntegersOn);
    this.name = serialized === null ? (filename as string) : ':memory:';
    this.memory = place.memory;
    this.readonly = readonly;
    this.verbose = options.verbose ?? null;
    try {
      this.library.db_busy_timeout(this.handle, timeout);
      // A file in WAL mode (better-sqlite3's favourite) needs the WAL index in the sandbox's own
      // memory: exclusive locking mode, so no other process opens the file meanwhile.
      if (walBeside || (!readonly && !place.memory && isWalFile(place.file))) this.exec('PRAGMA locking_mode = EXCLUSIVE');
      if (serialized !== null) this.deserialize(serialized);
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** False once closed, or once its sandbox crashed (a CboxTrap): open the database again. */
  get open(): boolean {
    return !this.closed && this.library.generation === this.generation;
  }

  get inTransaction(): boolean {
    return this.open && !this.library.db_autocommit(this.handle);
  }

  prepare(source: string, options: StatementOptions = {}): Statement {
    if (typeof source !== 'string') throw new TypeError('Expected first argument to be a string');
    if (options === null || typeof options !== 'object') throw new TypeError('Expected second argument to be an options object');
    const timeoutMs = timeoutOption(options.timeoutMs, this.defaultTimeoutMs);
    const library = this.live();
    const handle = library.stmt_prepare(this.handle, source);
    if (!handle) {
      const reason = library.stmt_prepare_error();
      const errcode = library.db_errcode(this.handle);
      if (reason === 'no SQL statement') throw new RangeError('The supplied SQL string contains no statements');
      if (reason.startsWith('more than one SQL statement')) throw new RangeError('The supplied SQL string contains more than one statement');
      throw new SqliteError('stmt_prepare', reason, errcode === SQLITE_OK ? 1 : errcode);
    }
    this.statements.add(handle);
    const statement = new Statement(this, handle, source, timeoutMs);
    this.unreachable.register(statement, handle, statement);
    return statement;
  }

  /** Runs a script of any number of statements; no parameters, no rows. */
  exec(source: string): this {
    if (typeof source !== 'string') throw new TypeError('Expected first argument to be a string');
    const library = this.live();
    this.assertNotBusy();
    this.verbose?.(source);
    this.beforeWal(source);
    const rc = this.defaultTimeoutMs === 0 ? library.db_exec(this.handle, source) : this.timed(this.defaultTimeoutMs, () => library.db_exec(this.handle, source));
    if (rc !== SQLITE_OK) throw this.sqliteError('db_exec', library.db_errcode(this.handle));
    return this;
  }

  /**
   * PRAGMA `source`: its rows, or with { simple: true } the first value. `journal_mode = WAL`
   * (here or in exec) switches to exclusive locking mode first: the sandbox has no shared memory
   * for the WAL index, so WAL works for this connection alone (other processes cannot open the
   * file until it closes).
   */
  pragma(source: string, options: PragmaOptions = {}): unknown {
    if (typeof source !== 'string') throw new TypeError('Expected first argument to be a string');
    if (options === null || typeof options !== 'object') throw new TypeError('Expected second argument to be an options object');
    const simple = options.simple ?? false;
    if (typeof simple !== 'boolean') throw new TypeError('Expected the "simple" option to be a boolean');
    this.beforeWal(source);
    const statement = this.prepare(`PRAGMA ${source}`);
    if (!statement.reader) {
      // A pragma that only sets something answers no rows: [] (undefined when simple), as better-sqlite3.
      statement.run();
      return simple ? undefined : [];
    }
    return simple ? statement.pluck().get() : statement.all();
  }

  transaction<F extends VariableArgFunction>(fn: F): Transaction<F> {
    return makeTransaction(this, fn);
  }

  /** The database (main, or an attached one) as the bytes of its file. */
  serialize(options: SerializeOptions = {}): Buffer {
    const attached = options.attached ?? 'main';
    if (typeof attached !== 'string') throw new TypeError('Expected the "attached" option to be a string');
    const library = this.live();
    this.assertNotBusy();
    try {
      const bytes = library.db_serialize(this.handle, attached);
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (error) {
      throw this.translate(error);
    }
  }

  /**
   * Writes a consistent copy of the database to `destination` (a host path). Made from
   * serialize(), so the whole database passes through the sandbox's memory once; progress
   * callbacks are not called (the copy is one step).
   */
  async backup(destination: string, options: BackupOptions = {}): Promise<BackupMetadata> {
    if (typeof destination !== 'string' || destination === '') throw new TypeError('Expected first argument to be a string');
    const bytes = this.serialize({ attached: options.attached ?? 'main' });
    await writeFile(destination, bytes);
    const pageSize = bytes.length >= 18 ? (bytes.readUInt16BE(16) === 1 ? 65536 : bytes.readUInt16BE(16)) : 0;
    return { totalPages: pageSize === 0 ? 0 : bytes.length / pageSize, remainingPages: 0 };
  }

  /** Every INTEGER of statements prepared later as bigint (statements can still choose). */
  defaultSafeIntegers(toggle = true): this {
    if (typeof toggle !== 'boolean') throw new TypeError('Expected first argument to be a boolean');
    this.defaultSafeIntegersOn = toggle;
    return this;
  }

  /** Allows writes while an iterate() is in progress (better-sqlite3's unsafe mode). */
  unsafeMode(toggle = true): this {
    if (typeof toggle !== 'boolean') throw new TypeError('Expected first argument to be a boolean');
    this.unsafe = toggle;
    return this;
  }

  /**
   * A SQL function that calls `fn` (better-sqlite3's function()): SQLite calls it from inside the
   * sandbox through a cbox callback. Options: varargs, deterministic, directOnly, safeIntegers.
   */
  function(name: string, fn: (...args: any[]) => unknown): this;
  function(name: string, options: RegistrationOptions, fn: (...args: any[]) => unknown): this;
  function(name: string, optionsOrFn: unknown, fn?: unknown): this {
    this.live();
    this.functions.defineFunction(name, optionsOrFn, fn);
    return this;
  }

  /** A SQL aggregate (with `inverse`, also a window function), as better-sqlite3's aggregate(). */
  aggregate<T>(name: string, options: AggregateOptions<T>): this {
    this.live();
    this.functions.defineAggregate(name, options);
    return this;
  }

  /** Not yet: virtual tables are generators SQLite would drive from C. */
  table(): never {
    throw new TypeError('cbox/sqlite does not support table() yet: virtual tables are not implemented');
  }

  loadExtension(): never {
    throw new TypeError('cbox/sqlite does not load extensions: the sandbox runs only the SQLite it was built with');
  }

  close(): this {
    if (this.closed) return this;
    const live = this.open;
    this.closed = true;
    try {
      // After a crash the connection died with its sandbox: nothing left to close in C.
      if (live) {
        for (const statement of this.statements) this.library.stmt_finalize(statement);
        this.library.db_close(this.handle);
      }
    } finally {
      this.statements.clear();
      this.library.close();
    }
    return this;
  }

  /** @internal The library, once the database is known to be open. */
  live(): SqliteLibrary {
    // better-sqlite3 refuses the connection's use from inside its own user functions.
    if (this.functions?.running > 0) throw new TypeError('This database connection is busy executing a query');
    if (!this.closed && this.library.generation === this.generation) return this.library;
    if (this.closed) throw new TypeError('The database connection is not open');
    throw new TypeError('The database connection is not open: its sandbox crashed (a CboxTrap was thrown) and was replaced; open the database again');
  }

  /** @internal */
  assertOpen(): void {
    this.live();
  }

  /** @internal Writes wait while an iterate() is in progress, as in better-sqlite3. */
  assertNotBusy(): void {
    if (this.iterators > 0 && !this.unsafe) throw new TypeError('This database connection is busy executing a query');
  }

  /** @internal Runs `call` (a call into SQLite) with a deadline `timeoutMs` from now, past which
   * SQLite interrupts what it is running (the glue's db_deadline). */
  timed<T>(timeoutMs: number, call: () => T): T {
    const library = this.library;
    library.db_deadline(this.handle, timeoutMs);
    this.deadlineMs = timeoutMs;
    try {
      return call();
    } finally {
      // After a trap the connection is gone with its sandbox: no deadline left to take away.
      if (this.open) library.db_deadline(this.handle, 0);
    }
  }

  /** @internal The SqliteError for what SQLite just answered with `errcode`. */
  sqliteError(fn: string, errcode: number, message?: string): unknown {
    // A user function threw: the statement failed because of it, and throws it (as better-sqlite3).
    const thrown = this.functions.takeError();
    if (thrown !== null) return thrown.error;
    if ((errcode & 0xff) === SQLITE_INTERRUPT && this.library.db_timed_out(this.handle)) return new SqliteTimeoutError(fn, errcode, this.deadlineMs);
    return new SqliteError(fn, message ?? this.library.db_errmsg(this.handle), errcode);
  }

  /** @internal A failed glue call that SQLite explains becomes a SqliteError; traps pass as they are. */
  translate(error: unknown): unknown {
    const thrown = this.functions.takeError();
    if (thrown !== null) return thrown.error;
    if (!(error instanceof CboxCallError) || error instanceof SqliteError || error.code !== 'call-failed' || !this.open) return error;
    const errcode = this.library.db_errcode(this.handle);
    return errcode === SQLITE_OK ? error : this.sqliteError(error.function, errcode, error.detail);
  }

  /** @internal run()'s lastInsertRowid: a number, or a bigint with safeIntegers. */
  lastInsertRowid(safeIntegers: boolean, changes: number): number | bigint {
    if (safeIntegers) return this.library.db_last_insert_rowid(this.handle);
    const rowid = this.library.db_last_insert_rowid_number(this.handle);
    if (!Number.isNaN(rowid)) return rowid;
    const big = this.library.db_last_insert_rowid(this.handle);
    throw new RangeError(`The statement ran (${changes} row${changes === 1 ? '' : 's'} changed), but its lastInsertRowid ${big} is beyond Number.MAX_SAFE_INTEGER: use safeIntegers() to read it as a bigint`);
  }

  /** @internal A verbose function was given. */
  get tracing(): boolean {
    return this.verbose !== null;
  }

  /** @internal Tells `verbose` what a statement is about to run. */
  trace(handle: Handle): void {
    if (this.verbose !== null) this.verbose(this.library.stmt_expanded_sql(handle));
  }

  /** WAL asked for on a file: exclusive locking mode first (see WANTS_WAL). */
  private beforeWal(source: string): void {
    if (!this.memory && WANTS_WAL.test(source) && this.library.db_exec(this.handle, 'PRAGMA locking_mode = EXCLUSIVE') !== SQLITE_OK) {
      throw this.sqliteError('db_exec', this.library.db_errcode(this.handle));
    }
  }

  private deserialize(bytes: Uint8Array): void {
    const rc = this.library.db_deserialize(this.handle, 'main', bytes);
    if (rc !== SQLITE_OK) throw new SqliteError('db_deserialize', this.library.db_errmsg(this.handle), rc);
  }

  private finalizeCollected(handle: Handle): void {
    if (!this.statements.delete(handle) || !this.open) return;
    try {
      this.library.stmt_finalize(handle);
    } catch {
      // Nobody is left to tell (the statement was unreachable); a trap still shows in the
      // library's 'trap' event and stats.
    }
  }
}
