// Binding a statement's parameters the way better-sqlite3 does: anonymous `?` parameters take the
// arguments in order (arrays are spread), named ones (`:x`, `@x`, `$x`, and `?NNN` as key "NNN")
// come from one plain object; the counts must match exactly. The values then either cross into
// the sandbox one at a time (stmt_bind_double/int64/text/blob/null: bind(), and before get, all
// and iterate) or travel encoded with the call that runs the statement (run(): stmt_run, see
// parameter-encoding.ts).
import { CboxArgumentError, type Handle, type Library } from 'cbox';
import type { SqliteExports } from '../../wasm-modules/sqlite.js';
import { SqliteError } from './errors.js';
import { INT64_MAX, INT64_MIN } from './values.js';
import { encodeParameters, notBindable, putLooseUtf8, tooBig } from './parameter-encoding.js';

/** What a statement call may take: values, arrays of values, and one object of named values. */
export type BindArguments = readonly unknown[];

/** A named parameter: its key in the object (the name without its prefix) and its index. */
interface NamedParameter { readonly key: string; readonly index: number }

const SQLITE_OK = 0;
const SQLITE_NOMEM = 7;
const SQLITE_TOOBIG = 18;
const SQLITE_RANGE = 25;

/** Up to this many numbers cross one at a time rather than encoded: a crossing with memory
 * (stmt_run's bytes) costs about as much as six without. */
const FEW_VALUES = 6;

const tooMany = (): RangeError => new RangeError('Too many parameter values were provided');

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** The errors better-sqlite3 throws for a value it cannot bind, at the point it binds it. */
function checkBindable(value: unknown): void {
  switch (typeof value) {
    case 'number': case 'string': case 'undefined':
      return;
    case 'bigint':
      if (value < INT64_MIN || value > INT64_MAX) throw tooBig();
      return;
    case 'object':
      if (value === null || ArrayBuffer.isView(value)) return;
      throw notBindable();
    default:
      throw notBindable();
  }
}

/** The parameters of one prepared statement, and how to bind arguments to them. */
export class Parameters {
  readonly count: number;
  /** 1-based indexes of the anonymous parameters, in order. */
  private readonly anonymous: readonly number[];
  private readonly named: readonly NamedParameter[];

  constructor(private readonly library: Library<SqliteExports>, private readonly handle: Handle) {
    this.count = library.stmt_bind_parameter_count(handle);
    const anonymous: number[] = [];
    const named: NamedParameter[] = [];
    for (let index = 1; index <= this.count; index++) {
      const name = library.stmt_bind_parameter_name(handle, index);
      if (name === '') anonymous.push(index);
      else named.push({ key: name.slice(1), index });
    }
    this.anonymous = anonymous;
    this.named = named;
  }

  /** Binds every parameter from `args` in the sandbox, or throws better-sqlite3's TypeError or RangeError. */
  bind(args: BindArguments): void {
    const values = this.values(args);
    for (let position = 0; position < values.length; position++) this.value(values[position], position + 1);
  }

  /** Every parameter's value from `args`, encoded for stmt_get or stmt_run (a view of shared
   * scratch bytes: pass it on at once). */
  encode(args: BindArguments): Uint8Array {
    return encodeParameters(this.values(args));
  }

  /**
   * Gets run()'s values ready. A few numbers (or nulls, bigints) are bound one at a time, each a
   * cheap crossing (answers null); text, blobs and longer lists come back encoded for stmt_run,
   * which binds and runs in one crossing (a view of shared scratch bytes: pass it on at once).
   */
  forRun(args: BindArguments): Uint8Array | null {
    const values = this.values(args);
    if (values.length <= FEW_VALUES) {
      let scalars = true;
      for (let position = 0; position < values.length && scalars; position++) {
        const value = values[position];
        scalars = typeof value !== 'string' && (typeof value !== 'object' || value === null);
      }
      if (scalars) {
        for (let position = 0; position < values.length; position++) this.value(values[position], position + 1);
        return null;
      }
    }
    return encodeParameters(values);
  }

  /** The value of each parameter, in index order; throws better-sqlite3's TypeError or RangeError. */
  private values(args: BindArguments): readonly unknown[] {
    // The common case first: only anonymous parameters (1..count), one plain value each.
    if (this.named.length === 0 && args.length === this.count) {
      let plain = true;
      for (let position = 0; position < args.length && plain; position++) {
        const value = args[position];
        plain = typeof value !== 'object' || value === null || ArrayBuffer.isView(value);
      }
      if (plain) return args;
    }
    return this.collect(args);
  }

  private collect(args: BindArguments): unknown[] {
    const values = new Array<unknown>(this.count);
    let nextAnonymous = 0;
    let count = 0;
    let boundObject = false;
    const put = (value: unknown, index: number): void => {
      checkBindable(value);
      values[index - 1] = value;
    };
    const anonymousValue = (value: unknown): void => {
      const index = this.anonymous[nextAnonymous++];
      if (index === undefined) throw tooMany();
      put(value, index);
      count++;
    };
    for (const arg of args) {
      if (Array.isArray(arg)) {
        for (const value of arg) anonymousValue(value);
      } else if (typeof arg === 'object' && arg !== null && !ArrayBuffer.isView(arg)) {
        if (isPlainObject(arg)) {
          if (boundObject) throw new TypeError('You cannot specify named parameters in two different objects');
          boundObject = true;
          for (const { key, index } of this.named) {
            if (!Object.hasOwn(arg, key)) throw new RangeError(`Missing named parameter "${key}"`);
            put((arg as Record<string, unknown>)[key], index);
          }
          count += this.named.length;
        } else if (this.named.length > 0) {
          throw new TypeError('Named parameters can only be passed within plain objects');
        } else {
          anonymousValue(arg);
        }
      } else {
        anonymousValue(arg);
      }
    }
    if (count < this.count) {
      if (!boundObject && this.named.length > 0) throw new TypeError('Missing named parameters');
      throw new RangeError('Too few parameter values were provided');
    }
    if (count > this.count) throw tooMany();
    return values;
  }

  /** Binds one value; numbers are REAL as better-sqlite3 binds them (SQLite's column affinity
   * stores integral ones in INTEGER columns as integers). */
  private value(value: unknown, index: number): void {
    const library = this.library;
    let rc: number;
    switch (typeof value) {
      case 'number':
        rc = library.stmt_bind_double(this.handle, index, value);
        break;
      case 'string':
        try {
          rc = library.stmt_bind_text(this.handle, index, value);
        } catch (error) {
          // A C string ends at NUL, and lone surrogates are not UTF-8: the call refuses such text
          // (before C runs), which then goes as bytes.
          if (!(error instanceof CboxArgumentError)) throw error;
          const bytes = new Uint8Array(value.length * 3);
          rc = library.stmt_bind_text_bytes(this.handle, index, bytes.subarray(0, putLooseUtf8(bytes, 0, value)));
        }
        break;
      case 'bigint':
        if (value < INT64_MIN || value > INT64_MAX) throw tooBig();
        rc = library.stmt_bind_int64(this.handle, index, value);
        break;
      case 'undefined':
        rc = library.stmt_bind_null(this.handle, index);
        break;
      case 'object':
        if (value === null) {
          rc = library.stmt_bind_null(this.handle, index);
        } else if (ArrayBuffer.isView(value)) {
          rc = library.stmt_bind_blob(this.handle, index, new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
        } else {
          throw notBindable();
        }
        break;
      default:
        throw notBindable();
    }
    if (rc !== SQLITE_OK) throw bindError(rc, index);
  }
}

/** The error for a bind SQLite refused with `rc` (as better-sqlite3 reports it). */
export function bindError(rc: number, index: number): Error {
  if (rc === SQLITE_TOOBIG) return tooBig();
  if (rc === SQLITE_RANGE) return tooMany();
  return new SqliteError('stmt_bind', rc === SQLITE_NOMEM ? 'out of memory' : `binding parameter ${index} failed`, rc);
}
