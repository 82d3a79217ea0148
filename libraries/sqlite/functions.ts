// User-defined SQL functions and aggregates (Database.function / aggregate), as better-sqlite3
// defines them. SQLite calls them from inside a statement through one cbox callback per
// connection (db_function in sqlite_glue.c): the callback reads its arguments and sets its result
// by calling back into the sandbox. A JS function that throws makes SQLite fail the statement;
// the statement then throws that very exception (takeError), as better-sqlite3 does.
import type { Handle } from 'cbox';
import type { SqliteLibrary } from './connection.js';
import { BLOB, FLOAT, INT64_MAX, INT64_MIN, INTEGER, TEXT } from './values.js';

export interface RegistrationOptions {
  varargs?: boolean;
  deterministic?: boolean;
  safeIntegers?: boolean;
  directOnly?: boolean;
}

export interface AggregateOptions<T = unknown> extends RegistrationOptions {
  start?: T | (() => T);
  step: (total: T, ...values: any[]) => T | void;
  inverse?: ((total: T, ...dropped: any[]) => T | void) | null;
  result?: ((total: T) => unknown) | null;
}

type AnyFunction = (...args: any[]) => unknown;

interface ScalarEntry { readonly kind: 'scalar'; readonly name: string; readonly fn: AnyFunction; readonly safeIntegers: boolean | null }
interface AggregateEntry {
  readonly kind: 'aggregate'; readonly name: string; readonly safeIntegers: boolean | null;
  readonly start: unknown; readonly step: AnyFunction; readonly inverse: AnyFunction | null; readonly result: AnyFunction | null;
}
type Entry = ScalarEntry | AggregateEntry;

// What SQLite asks the callback (sqlite_glue.c); 0 is a scalar call, 3 a window's current value.
const STEP = 1;
const FINAL = 2;
const INVERSE = 4;

const SQLITE_UTF8_DETERMINISTIC = 0x800;
const SQLITE_DIRECTONLY = 0x80000;
const MAX_ARGUMENTS = 100;
/** SQLITE_MAX_FUNCTION_ARG of the build: more arguments than SQLite allows is not SQLite calling. */
const MAX_SQLITE_ARGUMENTS = 1000;

function booleanOption(options: object, key: keyof RegistrationOptions): boolean {
  const value = (options as Record<string, unknown>)[key];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new TypeError(`Expected the "${key}" option to be a boolean`);
  return value;
}

function functionOption(options: object, key: 'step' | 'inverse' | 'result', required: boolean): AnyFunction | null {
  const value = key in options ? (options as Record<string, unknown>)[key] : null;
  if (typeof value === 'function') return value as AnyFunction;
  if (value != null) throw new TypeError(`Expected the "${key}" option to be a function`);
  if (required) throw new TypeError(`Missing required option "${key}"`);
  return null;
}

function lengthOf(fn: AnyFunction): number {
  if (Number.isInteger(fn.length) && fn.length >= 0) return fn.length;
  throw new TypeError('Expected function.length to be a positive integer');
}

export class UserFunctions {
  private readonly entries: Entry[] = [];
  /** Each aggregate invocation's accumulator, by SQLite's aggregate context. */
  private readonly accumulators = new Map<number, { value: unknown }>();
  /** The first exception a user function threw during the statement now failing. */
  private thrown: { readonly error: unknown } | null = null;
  /** User functions running: the connection is busy (better-sqlite3 refuses its use meanwhile). */
  running = 0;

  constructor(private readonly library: SqliteLibrary, private readonly db: Handle, private readonly defaultSafeIntegers: () => boolean) {}

  /** better-sqlite3's db.function(name, [options], fn). */
  defineFunction(name: unknown, optionsOrFn: unknown, maybeFn?: unknown): void {
    const [options, fn] = typeof optionsOrFn === 'function' ? [{}, optionsOrFn] : [optionsOrFn ?? {}, maybeFn];
    if (typeof name !== 'string') throw new TypeError('Expected first argument to be a string');
    if (typeof fn !== 'function') throw new TypeError('Expected last argument to be a function');
    if (typeof options !== 'object') throw new TypeError('Expected second argument to be an options object');
    if (!name) throw new TypeError('User-defined function name cannot be an empty string');
    const safeIntegers = 'safeIntegers' in options ? booleanOption(options, 'safeIntegers') : null;
    const nargs = booleanOption(options, 'varargs') ? -1 : lengthOf(fn as AnyFunction);
    if (nargs > MAX_ARGUMENTS) throw new RangeError('User-defined functions cannot have more than 100 arguments');
    this.register(name, nargs, options, { kind: 'scalar', name, fn: fn as AnyFunction, safeIntegers }, 0);
  }

  /** better-sqlite3's db.aggregate(name, options). */
  defineAggregate(name: unknown, options: unknown): void {
    if (typeof name !== 'string') throw new TypeError('Expected first argument to be a string');
    if (typeof options !== 'object' || options === null) throw new TypeError('Expected second argument to be an options object');
    if (!name) throw new TypeError('User-defined function name cannot be an empty string');
    const start = 'start' in options ? (options as { start: unknown }).start : null;
    const step = functionOption(options, 'step', true)!;
    const inverse = functionOption(options, 'inverse', false);
    const result = functionOption(options, 'result', false);
    const safeIntegers = 'safeIntegers' in options ? booleanOption(options, 'safeIntegers') : null;
    let nargs = -1;
    if (!booleanOption(options, 'varargs')) {
      nargs = Math.max(lengthOf(step), inverse ? lengthOf(inverse) : 0);
      if (nargs > 0) nargs -= 1;
      if (nargs > MAX_ARGUMENTS) throw new RangeError('User-defined functions cannot have more than 100 arguments');
    }
    this.register(name, nargs, options, { kind: 'aggregate', name, safeIntegers, start, step, inverse, result }, inverse ? 2 : 1);
  }

  /** The exception a user function threw while the failing statement ran, once. */
  takeError(): { readonly error: unknown } | null {
    const thrown = this.thrown;
    this.thrown = null;
    return thrown;
  }

  private register(name: string, nargs: number, options: object, entry: Entry, kind: number): void {
    const flags = (booleanOption(options, 'deterministic') ? SQLITE_UTF8_DETERMINISTIC : 0) | (booleanOption(options, 'directOnly') ? SQLITE_DIRECTONLY : 0);
    this.entries.push(entry);
    const rc = this.library.db_function(this.db, name, nargs, flags, this.entries.length, kind, this.dispatch);
    if (rc !== 0) throw new TypeError(`cbox/sqlite could not define ${name}(): ${this.library.db_errmsg(this.db)}`);
  }

  /** SQLite's call of a user function, from inside a statement (see sqlite_glue.c). */
  // ctx and argv are SQLite's pointers as plain numbers, not Handles: they are only handed back to
  // the glue within this call (a Handle's checks protect pointers kept across calls), and a Handle
  // per argument was a tenth of a call's time.
  // A number answer is returned (the glue sets it); any other is set by a call back into the glue.
  private readonly dispatch = (id: number, call: number, ctx: number, state: number, argc: number, argv: number, kinds: number, a0: number, a1: number): number => {
    const entry = this.entries[id - 1];
    if (!entry) return 0;
    this.running++;
    try {
      const safe = entry.safeIntegers ?? this.defaultSafeIntegers();
      // argc comes out of the sandbox: a count SQLite never passes fails the call, never allocates for it.
      if (argc < 0 || argc > MAX_SQLITE_ARGUMENTS) throw new RangeError(`cbox/sqlite: ${entry.name}() was called with ${argc} arguments`);
      const args = argc > 0 ? this.argumentsOf(argv, argc, kinds, safe, a0, a1) : [];
      if (entry.kind === 'scalar') return this.answer(ctx, entry, entry.fn(...args));
      let accumulator = this.accumulators.get(state);
      if (accumulator === undefined) {
        accumulator = { value: typeof entry.start === 'function' ? (entry.start as AnyFunction)() : entry.start };
        this.accumulators.set(state, accumulator);
      }
      if (call === STEP || call === INVERSE) {
        const next = (call === STEP ? entry.step : entry.inverse!)(accumulator.value, ...args);
        if (next !== undefined) accumulator.value = next;
        return 0;
      }
      if (call === FINAL) this.accumulators.delete(state);
      return this.answer(ctx, entry, entry.result ? entry.result(accumulator.value) : accumulator.value);
    } catch (error) {
      if (call === FINAL) this.accumulators.delete(state);
      this.thrown ??= { error };
      this.library.fn_result_error(ctx, error instanceof Error ? error.message : String(error));
      return 0;
    } finally {
      this.running--;
    }
  };

  /** `kinds`: the first ten arguments' types, three bits each; a0, a1: the first two as numbers (see sqlite_glue.c). */
  private argumentsOf(argv: number, argc: number, kinds: number, safeIntegers: boolean, a0: number, a1: number): unknown[] {
    const library = this.library;
    const args: unknown[] = new Array(argc);
    for (let i = 0; i < argc; i++) {
      switch (i < 10 ? (kinds >>> (3 * i)) & 7 : library.fn_arg_type(argv, i)) {
        case INTEGER: args[i] = safeIntegers ? library.fn_arg_int64(argv, i) : i === 0 ? a0 : i === 1 ? a1 : library.fn_arg_double(argv, i); break;
        case FLOAT: args[i] = i === 0 ? a0 : i === 1 ? a1 : library.fn_arg_double(argv, i); break;
        case TEXT: args[i] = library.fn_arg_text(argv, i); break;
        case BLOB: args[i] = Buffer.from(library.fn_arg_blob(argv, i)); break;
        default: args[i] = null;
      }
    }
    return args;
  }

  /** The function's answer as SQLite's result, converted as better-sqlite3 converts it: a number is returned to the glue. */
  private answer(ctx: number, entry: Entry, value: unknown): number {
    const library = this.library;
    if (typeof value === 'number') return value;
    if (typeof value === 'bigint') {
      if (value < INT64_MIN || value > INT64_MAX) throw new RangeError(`User-defined function ${entry.name}() returned a bigint that was too big`);
      library.fn_result_int64(ctx, value);
    } else if (typeof value === 'string') library.fn_result_text(ctx, value);
    else if (value instanceof Uint8Array) library.fn_result_blob(ctx, value);
    else if (value === null || value === undefined) library.fn_result_null(ctx);
    else throw new TypeError(`User-defined function ${entry.name}() returned an invalid value`);
    return 0;
  }
}
