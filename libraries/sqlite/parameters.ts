// Binding a statement's parameters the way better-sqlite3 does: anonymous `?` parameters take the
// arguments in order (arrays are spread), named ones (`:x`, `@x`, `$x`, and `?NNN` as key "NNN")
// come from one plain object; the counts must match exactly. Each value crosses into the sandbox
// on its own (stmt_bind_double/int64/text/blob/null): for a few values that is cheaper than
// encoding a list in JavaScript and decoding it in C.
import { CboxArgumentError, type Handle, type Library } from 'cbox';
import type { SqliteExports } from '../../wasm-modules/sqlite.js';
import { SqliteError } from './errors.js';
import { INT64_MAX, INT64_MIN } from './values.js';

/** What a statement call may take: values, arrays of values, and one object of named values. */
export type BindArguments = readonly unknown[];

/** A named parameter: its key in the object (the name without its prefix) and its index. */
interface NamedParameter { readonly key: string; readonly index: number }

const SQLITE_OK = 0;
const SQLITE_NOMEM = 7;
const SQLITE_TOOBIG = 18;
const SQLITE_RANGE = 25;

const utf8 = new TextEncoder();

const tooMany = (): RangeError => new RangeError('Too many parameter values were provided');

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
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

  /** Binds every parameter from `args`, or throws better-sqlite3's TypeError or RangeError. */
  bind(args: BindArguments): void {
    // The common case first: only anonymous parameters (1..count), one plain value each. An array
    // or object stops it, and the general path binds everything again from the start.
    if (this.named.length === 0 && args.length === this.count) {
      let position = 0;
      for (; position < args.length; position++) {
        const value = args[position];
        if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value)) break;
        this.value(value, position + 1);
      }
      if (position === args.length) return;
    }
    this.bindGeneral(args);
  }

  private bindGeneral(args: BindArguments): void {
    let nextAnonymous = 0;
    let count = 0;
    let boundObject = false;
    const anonymousValue = (value: unknown): void => {
      const index = this.anonymous[nextAnonymous++];
      if (index === undefined) throw tooMany();
      this.value(value, index);
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
            this.value((arg as Record<string, unknown>)[key], index);
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
          rc = library.stmt_bind_text_bytes(this.handle, index, utf8.encode(value));
        }
        break;
      case 'bigint':
        if (value < INT64_MIN || value > INT64_MAX) throw new RangeError('The bound string, buffer, or bigint is too big');
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
          throw new TypeError('SQLite3 can only bind numbers, strings, bigints, buffers, and null');
        }
        break;
      default:
        throw new TypeError('SQLite3 can only bind numbers, strings, bigints, buffers, and null');
    }
    if (rc === SQLITE_OK) return;
    if (rc === SQLITE_TOOBIG) throw new RangeError('The bound string, buffer, or bigint is too big');
    if (rc === SQLITE_RANGE) throw tooMany();
    throw new SqliteError('stmt_bind', rc === SQLITE_NOMEM ? 'out of memory' : `binding parameter ${index} failed`, rc);
  }
}
