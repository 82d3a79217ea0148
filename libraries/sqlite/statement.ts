// A prepared statement with better-sqlite3's API: run, get, all, iterate; pluck, expand, raw,
// safeIntegers, bind, columns; reader, readonly, busy, source, database.
// get() and run() cross into the sandbox once per value (see parameters.ts and the glue's
// per-value path); all() and iterate() take rows in batches (stmt_step_rows).
import { CboxCallError, type Handle } from 'cbox';
import type { SqliteLibrary } from './connection.js';
import type { Database } from './database.js';
import { bindError, Parameters, type BindArguments } from './parameters.js';
import { asBuffer, BatchReader, BIG_INTEGER, BLOB, FLOAT, INTEGER, NULL, TEXT, unsafeIntegerError, type SqlValue } from './values.js';

export interface RunResult { changes: number; lastInsertRowid: number | bigint }
export interface ColumnDefinition { name: string; column: string | null; table: string | null; database: string | null; type: string | null }

/** row[name] = value, as an own property even for "__proto__" (a column may be named anything). */
function setField<T>(row: Record<string, T>, name: string, value: T): void {
  if (name === '__proto__') Object.defineProperty(row, name, { value, enumerable: true, writable: true, configurable: true });
  else row[name] = value;
}

type Mode = 'flat' | 'pluck' | 'expand' | 'raw';

const lenientUtf8 = new TextDecoder();
/** stmt_run's answers at or below this tell a value it could not bind (see the glue). */
const BIND_FAILED = -(2 ** 24);
/** Rows per stmt_step_rows call. */
const ROWS_PER_CALL = 512;
/** stmt_step_kinds packs this many column kinds, 3 bits each. */
const PACKED_KINDS = 10;
/** Texts and blobs in a row from which get() takes rows encoded in one crossing. */
const WIDE_ROW = 2;
/** stmt_get's parameters when they are bound already. */
const NO_VALUES = new Uint8Array(0);
/** Column of an expanded row that no table owns (better-sqlite3's name for it). */
const NO_TABLE = '$';

export class Statement {
  /** Whether the statement returns rows (get/all/iterate) rather than only running (run). */
  readonly reader: boolean;
  /** Whether the statement leaves the database as it is. */
  readonly readonly: boolean;
  private readonly names: readonly string[];
  /** No column is named "__proto__": rows can be filled by plain assignment. */
  private readonly plainNames: boolean;
  private readonly parameters: Parameters;
  private mode: Mode = 'flat';
  private safeInts: boolean;
  private bound = false;
  private iterating = false;
  private tables: readonly string[] | null = null;
  /** get() takes rows encoded in one crossing (see currentRow). */
  private rowsAsBytes = false;

  /** @internal Made by Database.prepare; `timeoutMs` 0: none. */
  constructor(readonly database: Database, private readonly handle: Handle, readonly source: string, private readonly timeoutMs: number) {
    const library = database.library;
    const columns = library.stmt_column_count(handle);
    this.names = Array.from({ length: columns }, (_, index) => library.stmt_column_name(handle, index));
    this.plainNames = !this.names.includes('__proto__');
    this.reader = columns > 0;
    this.readonly = library.stmt_readonly(handle);
    this.parameters = new Parameters(library, handle);
    this.safeInts = database.defaultSafeIntegersOn;
  }

  /** An iterate() over this statement has not finished. */
  get busy(): boolean {
    return this.iterating;
  }

  run(...args: BindArguments): RunResult {
    // Text and blobs travel with the call that runs the statement (one crossing: see forRun),
    // unless bind() fixed the values or `verbose` must see them bound first.
    let library: SqliteLibrary;
    let values: Uint8Array | null = null;
    if (this.bound || this.database.tracing) {
      library = this.prepareCall(args);
    } else {
      library = this.checkCall();
      values = this.parameters.forRun(args);
    }
    const changes = this.timeoutMs === 0 ? this.execute(library, values) : this.database.timed(this.timeoutMs, this.execute.bind(this, library, values));
    if (changes < 0) throw changes <= BIND_FAILED ? this.bindFailure(-changes + BIND_FAILED) : this.database.sqliteError('stmt_execute', -changes);
    return { changes, lastInsertRowid: this.database.lastInsertRowid(this.safeInts, changes) };
  }

  get(...args: BindArguments): unknown {
    if (this.rowsAsBytes) {
      // One crossing: the values go with the call that steps, encodes the row and resets, unless
      // bind() fixed them or `verbose` must see them bound first.
      let library: SqliteLibrary;
      let values: Uint8Array = NO_VALUES;
      if (this.bound || this.database.tracing) {
        library = this.prepareQuery(args);
      } else {
        library = this.checkQuery();
        values = this.parameters.encode(args);
      }
      return this.timeoutMs === 0 ? this.rowAsBytes(library, values) : this.database.timed(this.timeoutMs, this.rowAsBytes.bind(this, library, values));
    }
    const library = this.prepareQuery(args);
    const kinds = this.timeoutMs === 0 ? library.stmt_step_kinds(this.handle) : this.database.timed(this.timeoutMs, library.stmt_step_kinds.bind(null, this.handle));
    if (kinds < 0) throw this.database.sqliteError('stmt_step', -kinds);
    if (kinds === 0) return undefined; // done: the glue has reset the statement
    try {
      return this.currentRow(kinds);
    } finally {
      library.stmt_reset(this.handle);
    }
  }

  all(...args: BindArguments): unknown[] {
    this.prepareQuery(args);
    // One deadline for the whole call (every batch).
    return this.timeoutMs === 0 ? this.allRows() : this.database.timed(this.timeoutMs, this.allRows.bind(this));
  }

  iterate(...args: BindArguments): IterableIterator<unknown> {
    this.prepareQuery(args);
    return this.iteration();
  }

  /** Only the first column of each row (pluck(false) turns it off again). */
  pluck(toggle = true): this {
    return this.setMode('pluck', toggle, 'pluck');
  }

  /** Rows as { table: { column: value } } ('$' for expressions). */
  expand(toggle = true): this {
    return this.setMode('expand', toggle, 'expand');
  }

  /** Rows as arrays in column order. */
  raw(toggle = true): this {
    return this.setMode('raw', toggle, 'raw');
  }

  /** Every INTEGER as bigint (toggle false: numbers, and a RangeError for those beyond 2^53). */
  safeIntegers(toggle = true): this {
    this.notBusy();
    if (typeof toggle !== 'boolean') throw new TypeError('Expected first argument to be a boolean');
    this.safeInts = toggle;
    return this;
  }

  /** Binds the parameters for good: later calls take no arguments. */
  bind(...args: BindArguments): this {
    if (this.bound) throw new TypeError('The bind() method can only be invoked once per statement object');
    this.database.assertOpen();
    this.notBusy();
    this.parameters.bind(args);
    this.bound = true;
    return this;
  }

  /** Where each result column comes from, as better-sqlite3's columns(). */
  columns(): ColumnDefinition[] {
    if (!this.reader) throw new TypeError('The columns() method is only for statements that return data');
    const library = this.database.live();
    const origin = (index: number, which: number): string | null => library.stmt_column_origin(this.handle, index, which) || null;
    return this.names.map((name, index) => ({ name, column: origin(index, 0), table: origin(index, 1), database: origin(index, 2), type: origin(index, 3) }));
  }

  /** @internal The C statement, for Database.close. */
  get cHandle(): Handle {
    return this.handle;
  }

  /** Checks, binds (unless bind() did), tells `verbose`; answers the library to call. */
  private prepareCall(args: BindArguments): SqliteLibrary {
    const database = this.database;
    const library = this.checkCall();
    if (this.bound) {
      if (args.length > 0) throw new TypeError('This statement already has bound parameters');
    } else {
      this.parameters.bind(args);
    }
    if (database.tracing) database.trace(this.handle);
    return library;
  }

  /** The library to call, once the statement may run now. */
  private checkCall(): SqliteLibrary {
    const database = this.database;
    const library = database.live();
    if (this.iterating) throw new TypeError('This statement is busy executing a query');
    if (!this.readonly && database.iterators > 0) database.assertNotBusy();
    return library;
  }

  /** stmt_run could not bind a value: `code` is SQLite's result code * 65536 + the parameter's index. */
  private bindFailure(code: number): Error {
    return bindError(Math.floor(code / 65536), code % 65536);
  }

  private prepareQuery(args: BindArguments): SqliteLibrary {
    this.checkQuery();
    return this.prepareCall(args);
  }

  private checkQuery(): SqliteLibrary {
    if (!this.reader) throw new TypeError('This statement does not return data. Use run() instead');
    return this.checkCall();
  }

  private *iteration(): Generator<unknown, void, undefined> {
    this.iterating = true;
    this.database.iterators++;
    try {
      yield* this.batchedRows(this.timeoutMs);
    } finally {
      this.iterating = false;
      this.database.iterators--;
    }
  }

  private allRows(): unknown[] {
    return [...this.batchedRows()];
  }

  /** Binds (`values`, see Parameters.forRun) and runs the statement: its change count, or minus an error code. */
  private execute(library: SqliteLibrary, values: Uint8Array | null): number {
    return values === null ? library.stmt_execute(this.handle) : library.stmt_run(this.handle, values);
  }

  /** The rows, a batch per crossing; with `batchTimeoutMs`, each batch has that long. */
  private *batchedRows(batchTimeoutMs = 0): Generator<unknown, void, undefined> {
    let done = false;
    try {
      while (!done) {
        const reader = batchTimeoutMs === 0 ? this.batch() : this.database.timed(batchTimeoutMs, this.batch.bind(this));
        const header = reader.header();
        done = header.done;
        for (let row = 0; row < header.count; row++) yield this.batchRow(reader);
      }
    } finally {
      // Left early (break, return, a throw): reset so the statement gives up its read lock.
      if (!done && this.database.open) this.database.library.stmt_reset(this.handle);
    }
  }

  /** The next batch of rows; the glue resets the statement when it is done or failed. */
  private batch(): BatchReader {
    const library = this.database.live();
    let bytes: Uint8Array;
    try {
      bytes = library.stmt_step_rows(this.handle, ROWS_PER_CALL);
    } catch (error) {
      throw this.database.translate(error);
    }
    return new BatchReader(bytes, 0, this.safeInts);
  }

  private batchRow(reader: BatchReader): unknown {
    const names = this.names;
    switch (this.mode) {
      case 'pluck': {
        const first = reader.value(names[0]!);
        for (let column = 1; column < names.length; column++) reader.value(names[column]!);
        return first;
      }
      case 'raw':
        return names.map((name) => reader.value(name));
      case 'expand':
        return this.expandRow(names.map((name) => reader.value(name)));
      default: {
        const row: Record<string, SqlValue> = {};
        if (this.plainNames) for (const name of names) row[name] = reader.value(name);
        else for (const name of names) setField(row, name, reader.value(name));
        return row;
      }
    }
  }

  /** get() for rows with texts or blobs: bound (`values`, or as bound already), stepped, the row
   * encoded and the statement reset, in one crossing (stmt_get). */
  private rowAsBytes(library: SqliteLibrary, values: Uint8Array): unknown {
    let bytes: Uint8Array;
    try {
      bytes = library.stmt_get(this.handle, values);
    } catch (error) {
      throw this.database.translate(error);
    }
    const reader = new BatchReader(bytes, 0, this.safeInts);
    return reader.header().count === 0 ? undefined : this.batchRow(reader);
  }

  /** The current row of a stepped statement, value by value. */
  private currentRow(kinds: number): unknown {
    const names = this.names;
    // Each text or blob costs a crossing with memory of its own: with two or more, one encoded row
    // (stmt_get: binding, step, row and reset in one crossing) is cheaper, so later get()s take that
    // path. With one, the crossings one at a time are cheaper than decoding a row.
    let wide = 0;
    for (let column = 0; column < Math.min(names.length, PACKED_KINDS); column++) {
      const kind = (kinds >>> (3 * column)) & 7;
      if (kind === TEXT || kind === BLOB) wide++;
    }
    if (wide >= WIDE_ROW || names.length > PACKED_KINDS) this.rowsAsBytes = true;
    const mode = this.mode;
    if (mode === 'pluck') return this.columnValue(0, kinds & 7);
    if (mode === 'flat' && this.plainNames) {
      const row: Record<string, SqlValue> = {};
      for (let column = 0; column < names.length; column++) row[names[column]!] = this.columnValue(column, this.kindOf(kinds, column));
      return row;
    }
    const values: SqlValue[] = [];
    for (let column = 0; column < names.length; column++) values.push(this.columnValue(column, this.kindOf(kinds, column)));
    if (mode === 'raw') return values;
    if (mode === 'expand') return this.expandRow(values);
    const row: Record<string, SqlValue> = {};
    for (let column = 0; column < names.length; column++) setField(row, names[column]!, values[column]!);
    return row;
  }

  private kindOf(kinds: number, column: number): number {
    return column < PACKED_KINDS ? (kinds >>> (3 * column)) & 7 : this.database.library.stmt_column_kind(this.handle, column);
  }

  private columnValue(column: number, kind: number): SqlValue {
    const library = this.database.library;
    switch (kind) {
      case INTEGER:
        return this.safeInts ? library.stmt_column_int64(this.handle, column) : library.stmt_column_double(this.handle, column);
      case BIG_INTEGER: {
        const value = library.stmt_column_int64(this.handle, column);
        if (this.safeInts) return value;
        throw unsafeIntegerError(value, this.names[column]!);
      }
      case FLOAT:
        return library.stmt_column_double(this.handle, column);
      case TEXT:
        try {
          return library.stmt_column_text(this.handle, column);
        } catch (error) {
          // Not UTF-8 (CAST(x'ff' AS TEXT)): decoded with U+FFFD, as better-sqlite3 does.
          if (error instanceof CboxCallError && error.code === 'bad-result') return lenientUtf8.decode(library.stmt_column_blob(this.handle, column));
          throw error;
        }
      case BLOB:
        return asBuffer(library.stmt_column_blob(this.handle, column));
      case NULL:
        return null;
      default:
        throw new Error(`cbox/sqlite: unknown column kind ${kind}`);
    }
  }

  private expandRow(values: readonly SqlValue[]): Record<string, Record<string, SqlValue>> {
    if (this.tables === null) {
      const library = this.database.live();
      this.tables = this.names.map((_, index) => library.stmt_column_origin(this.handle, index, 1) || NO_TABLE);
    }
    const row: Record<string, Record<string, SqlValue>> = {};
    this.tables.forEach((table, index) => {
      if (!Object.hasOwn(row, table)) setField(row, table, {});
      setField(row[table]!, this.names[index]!, values[index]!);
    });
    return row;
  }

  private setMode(mode: Mode, toggle: boolean, method: string): this {
    if (!this.reader) throw new TypeError(`The ${method}() method is only for statements that return data`);
    this.notBusy();
    if (typeof toggle !== 'boolean') throw new TypeError('Expected first argument to be a boolean');
    if (toggle) this.mode = mode;
    else if (this.mode === mode) this.mode = 'flat';
    return this;
  }

  private notBusy(): void {
    if (this.iterating) throw new TypeError('This statement is busy executing a query');
  }
}
