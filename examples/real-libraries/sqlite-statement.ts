// A prepared statement: run / get / all / raw / iterate, each a whole query in as few calls into
// the sandbox as the answer allows (stmt_run, stmt_query; stmt_step_rows for further batches).
import { CboxClosedError, CboxError, type Handle } from '../../runtime/index.js';
import type { Database } from './sqlite.js';
import { orderParameters, type BindParameters } from './sqlite-parameters.js';
import { ValueEncoder, ValueReader, type SqlValue } from './sqlite-values.js';

export type Row = Record<string, SqlValue>;
export interface RunResult { readonly changes: number; readonly lastInsertRowid: number | bigint }

const ROWS_PER_CALL = 512;
const encoder = new ValueEncoder();

/** A batch from stmt_query / stmt_step_rows: u32 row count, u8 done flag, then the rows. */
interface Batch { readonly reader: ValueReader; readonly count: number; readonly done: boolean }

export class Statement {
  /** Result column names ([] for a statement that returns no rows). */
  readonly columns: readonly string[];
  private readonly parameterCount: number;
  private parameterNames: readonly string[] | null = null;
  private finalized = false;
  private iterating = false;
  private readonly subject = (): string => `statement ${this.describe()}`;

  /** @internal Made by Database.prepare. */
  constructor(private readonly database: Database, private readonly handle: Handle, readonly sql: string) {
    const lib = database.library;
    this.columns = Array.from({ length: lib.stmt_column_count(handle) }, (_, index) => lib.stmt_column_name(handle, index));
    this.parameterCount = lib.stmt_bind_parameter_count(handle);
  }

  /** Runs to completion (for INSERT, UPDATE, DELETE, DDL); rows it yields are skipped. */
  run(...params: BindParameters): RunResult {
    const handle = this.ready();
    const values = this.encode(params);
    const answer = this.database.call(() => this.database.library.stmt_run(handle, values));
    const reader = new ValueReader(answer, 0, this.database.safeIntegers);
    return { changes: Number(reader.integer(0)), lastInsertRowid: reader.integer(8) };
  }

  /** The first row, or undefined; the statement is reset at once (no lock is kept). */
  get(...params: BindParameters): Row | undefined {
    const batch = this.query(params, 1, false);
    return batch.count === 0 ? undefined : this.row(batch.reader);
  }

  all(...params: BindParameters): Row[] {
    const rows: Row[] = [];
    this.each(params, (reader) => rows.push(this.row(reader)));
    return rows;
  }

  /** Rows as arrays in column order (cheaper than objects; keeps columns that share a name). */
  raw(...params: BindParameters): SqlValue[][] {
    const rows: SqlValue[][] = [];
    this.each(params, (reader) => rows.push(this.columns.map(() => reader.value())));
    return rows;
  }

  /**
   * Rows one at a time, fetched in batches. The statement is busy until the iteration ends (or is
   * left with break/return); other statements can run meanwhile.
   */
  iterate(...params: BindParameters): Generator<Row, void, undefined> {
    const handle = this.ready();
    const values = this.encode(params).slice(); // the shared encoder's bytes would not survive until the first next()
    return this.iteration(handle, values);
  }

  /** Frees the statement in the sandbox; later calls throw CboxClosedError. */
  finalize(): void {
    if (this.finalized) return;
    this.finalized = true;
    this.database.release(this, this.handle);
  }

  private *iteration(handle: Handle, values: Uint8Array): Generator<Row, void, undefined> {
    this.ready();
    this.iterating = true;
    let done = false;
    try {
      let batch = this.batch(this.database.call(() => this.database.library.stmt_query(handle, values, ROWS_PER_CALL, true)));
      for (;;) {
        for (let index = 0; index < batch.count; index++) yield this.row(batch.reader);
        done = batch.done;
        if (done) return;
        const live = this.live();
        batch = this.batch(this.database.call(() => this.database.library.stmt_step_rows(live, ROWS_PER_CALL)));
      }
    } finally {
      this.iterating = false;
      // Stopped early: reset so the statement gives up its read lock.
      if (!done && !this.finalized && this.database.owns(handle)) this.database.library.stmt_reset(handle);
    }
  }

  /** All rows, batch by batch: one call when the answer fits a batch. */
  private each(params: BindParameters, take: (reader: ValueReader) => void): void {
    let batch = this.query(params, ROWS_PER_CALL, true);
    for (;;) {
      for (let index = 0; index < batch.count; index++) take(batch.reader);
      if (batch.done) return;
      const handle = this.live();
      batch = this.batch(this.database.call(() => this.database.library.stmt_step_rows(handle, ROWS_PER_CALL)));
    }
  }

  /** Reset, bind and up to `max` rows in one call; the glue resets the statement when it is done,
   * and after this batch too unless `keepOpen`. */
  private query(params: BindParameters, max: number, keepOpen: boolean): Batch {
    const handle = this.ready();
    const values = this.encode(params);
    return this.batch(this.database.call(() => this.database.library.stmt_query(handle, values, max, keepOpen)));
  }

  private batch(bytes: Uint8Array): Batch {
    const count = bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24);
    return { reader: new ValueReader(bytes, 5, this.database.safeIntegers), count: count >>> 0, done: bytes[4] !== 0 };
  }

  private row(reader: ValueReader): Row {
    const row: Row = {};
    for (const name of this.columns) row[name] = reader.value();
    return row;
  }

  private encode(params: BindParameters): Uint8Array {
    return encoder.encode(orderParameters(params, this.parameterCount, () => this.names()));
  }

  private names(): readonly string[] {
    const lib = this.database.library;
    this.parameterNames ??= Array.from({ length: this.parameterCount }, (_, index) => lib.stmt_bind_parameter_name(this.handle, index + 1));
    return this.parameterNames;
  }

  /** The handle, or a clear error: finalized, database closed, or sandbox recycled since prepare. */
  private live(): Handle {
    if (this.finalized) throw new CboxClosedError(`${this.subject()} was finalized`);
    this.database.check(this.handle, this.subject);
    return this.handle;
  }

  /** live(), and not in the middle of an iteration (which a new query would reset under it). */
  private ready(): Handle {
    if (this.iterating) throw new CboxError('statement-busy', `${this.subject()} is busy: an iterate() over it has not finished`);
    return this.live();
  }

  private describe(): string {
    return JSON.stringify(this.sql.length > 60 ? `${this.sql.slice(0, 60)}...` : this.sql);
  }
}
