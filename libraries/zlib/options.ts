// node:zlib's options, checked as Node checks them (lib/zlib.js: checkRangesOrGetDefault, the
// Zlib and ZlibBase constructors), in the same order, with the same errors.
import { Buffer, constants as bufferConstants } from 'node:buffer';
import { constants } from 'node:zlib';
import { types } from 'node:util';
import { InvalidArgTypeError, OutOfRangeError } from './errors.js';

export interface ZlibOptions {
  /** Flush used for every write (default Z_NO_FLUSH). */
  flush?: number;
  /** Flush used at the end (default Z_FINISH; Z_SYNC_FLUSH reads truncated input without an error). */
  finishFlush?: number;
  /** Output piece size, >= 64 (default 16 KiB). */
  chunkSize?: number;
  windowBits?: number;
  /** Compression level, -1 (default: 6) to 9. */
  level?: number;
  memLevel?: number;
  strategy?: number;
  dictionary?: NodeJS.ArrayBufferView | ArrayBuffer;
  /** Sync and callback functions answer { buffer, engine }. */
  info?: boolean;
  /** Output past this many bytes fails with ERR_BUFFER_TOO_LARGE (sync and callback functions). */
  maxOutputLength?: number;
  /**
   * cbox: the memory cap of the sandbox zlib runs in ("64MiB" or bytes; default 256 MiB). Work that
   * needs more (a decompression bomb; a one-shot result past about half the cap, as it is built
   * inside the sandbox) fails with ZlibMemoryLimitError (code Z_MEM_ERROR) instead of growing the
   * process. Streams hand their output out in chunkSize pieces, so it does not count against the cap.
   */
  memoryLimit?: number | string;
}

/** Everything the engine needs, resolved from the options. */
export interface EngineSettings {
  readonly mode: number;
  readonly level: number;
  readonly windowBits: number;
  readonly memLevel: number;
  readonly strategy: number;
  readonly dictionary: Uint8Array;
  readonly chunkSize: number;
  readonly flush: number;
  readonly finishFlush: number;
  readonly fullFlush: number;
  readonly maxOutputLength: number;
  readonly info: boolean;
  readonly memoryLimit: number | string | undefined;
}

const EMPTY = new Uint8Array(0);
const INFLATING = new Set<number>([constants.INFLATE, constants.GUNZIP, constants.UNZIP]);

function isFiniteNumber(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (Number.isFinite(value)) return true;
  if (Number.isNaN(value)) return false;
  if (typeof value !== 'number') throw new InvalidArgTypeError(name, 'of type number', value);
  throw new OutOfRangeError(name, 'a finite number', value);
}

export function rangeOrDefault(value: unknown, name: string, lower: number, upper: number, fallback: number): number {
  if (!isFiniteNumber(value, name)) return fallback;
  const number = value as number;
  if (number < lower || number > upper) throw new OutOfRangeError(name, `>= ${lower} and <= ${upper}`, number);
  return number;
}

function dictionaryOf(value: unknown): Uint8Array {
  if (value === undefined) return EMPTY;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (types.isAnyArrayBuffer(value)) return new Uint8Array(value);
  throw new InvalidArgTypeError('options.dictionary', 'an instance of Buffer, TypedArray, DataView, or ArrayBuffer', value);
}

const defaults = new Map<number, EngineSettings>();

/** The settings for `mode` (node's DEFLATE..UNZIP constants) from a user's options. */
export function resolveOptions(options: ZlibOptions | null | undefined, mode: number): EngineSettings {
  if (!options) {
    let settings = defaults.get(mode);
    if (!settings) defaults.set(mode, settings = resolve({}, mode));
    return settings;
  }
  return resolve(options, mode);
}

function resolve(options: ZlibOptions, mode: number): EngineSettings {
  // The Zlib constructor's checks, then ZlibBase's.
  let windowBits: number;
  if ((options.windowBits == null || options.windowBits === 0) && INFLATING.has(mode)) {
    windowBits = 0;
  } else {
    const lower = constants.Z_MIN_WINDOWBITS + (mode === constants.GZIP ? 1 : 0);
    windowBits = rangeOrDefault(options.windowBits, 'options.windowBits', lower, constants.Z_MAX_WINDOWBITS, constants.Z_DEFAULT_WINDOWBITS);
  }
  const level = rangeOrDefault(options.level, 'options.level', constants.Z_MIN_LEVEL, constants.Z_MAX_LEVEL, constants.Z_DEFAULT_COMPRESSION);
  const memLevel = rangeOrDefault(options.memLevel, 'options.memLevel', constants.Z_MIN_MEMLEVEL, constants.Z_MAX_MEMLEVEL, constants.Z_DEFAULT_MEMLEVEL);
  const strategy = rangeOrDefault(options.strategy, 'options.strategy', constants.Z_DEFAULT_STRATEGY, constants.Z_FIXED, constants.Z_DEFAULT_STRATEGY);
  const dictionary = dictionaryOf(options.dictionary);

  let chunkSize: number = constants.Z_DEFAULT_CHUNK;
  if (isFiniteNumber(options.chunkSize, 'options.chunkSize')) {
    chunkSize = options.chunkSize!;
    if (chunkSize < constants.Z_MIN_CHUNK) throw new OutOfRangeError('options.chunkSize', `>= ${constants.Z_MIN_CHUNK}`, chunkSize);
  }
  const flush = rangeOrDefault(options.flush, 'options.flush', constants.Z_NO_FLUSH, constants.Z_BLOCK, constants.Z_NO_FLUSH);
  const finishFlush = rangeOrDefault(options.finishFlush, 'options.finishFlush', constants.Z_NO_FLUSH, constants.Z_BLOCK, constants.Z_FINISH);
  const maxOutputLength = rangeOrDefault(options.maxOutputLength, 'options.maxOutputLength', 1, bufferConstants.MAX_LENGTH, bufferConstants.MAX_LENGTH);
  return {
    mode, level, windowBits, memLevel, strategy, dictionary,
    // Node sizes its output pieces with whatever number chunkSize is; the engine wants whole bytes.
    chunkSize: Math.min(Math.floor(chunkSize), 0xffff_ffff),
    flush, finishFlush, fullFlush: constants.Z_FULL_FLUSH, maxOutputLength,
    info: Boolean(options.info),
    memoryLimit: options.memoryLimit,
  };
}

/** node:zlib's inputs: string (UTF-8), any ArrayBufferView, ArrayBuffer or SharedArrayBuffer. */
export function inputBytes(buffer: unknown): Uint8Array {
  if (buffer instanceof Uint8Array) return buffer;
  if (typeof buffer === 'string') return Buffer.from(buffer);
  if (ArrayBuffer.isView(buffer)) return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (types.isAnyArrayBuffer(buffer)) return new Uint8Array(buffer);
  throw new InvalidArgTypeError('buffer', 'of type string or an instance of Buffer, TypedArray, DataView, or ArrayBuffer', buffer);
}
