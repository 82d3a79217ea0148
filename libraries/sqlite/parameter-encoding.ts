// A statement's parameter values as bytes, for stmt_run (c-src/sqlite/sqlite_glue.c): the values
// of parameters 1..n travel with the one call that binds them and runs the statement, instead of
// a crossing per value. The encoding is the one stmt_step_rows answers rows in (values.ts): per
// value a one-byte tag, then its payload, little-endian, no padding.
//   1 integer: int64 (a bigint) · 2 float: f64 (a number) · 3 text: u32 length + UTF-8
//   4 blob: u32 length + bytes · 5 null (null, undefined)
import { BLOB, FLOAT, INT64_MAX, INT64_MIN, INTEGER, NULL, TEXT } from './values.js';
/** Texts up to this many UTF-16 units are written by hand when they are ASCII: cheaper than encodeInto. */
const SHORT_TEXT = 32;
/** Encodings up to this many bytes are answered from `prefixes`; the scratch starts this size. */
const CACHED_PREFIXES = 1024;
/** Scratch grown past this (a big blob or text) shrinks back before the next encoding. */
const MAX_SCRATCH = 64 * 1024;

const utf8 = new TextEncoder();

export const tooBig = (): RangeError => new RangeError('The bound string, buffer, or bigint is too big');
export const notBindable = (): TypeError => new TypeError('SQLite3 can only bind numbers, strings, bigints, buffers, and null');

/** The shared scratch bytes, reused by every statement: the call copies them into the sandbox
 * before anything else runs. */
let scratch = new Uint8Array(CACHED_PREFIXES);
let view = new DataView(scratch.buffer);
/** Views of the first n scratch bytes by n, made on first use: a subarray per call costs more
 * than all the encoding (~50 ns). */
let prefixes: (Uint8Array<ArrayBuffer> | undefined)[] = [];

function replaceScratch(bytes: Uint8Array<ArrayBuffer>): void {
  scratch = bytes;
  view = new DataView(bytes.buffer);
  prefixes = [];
}

/** `scratch` with room for `size` bytes after `at`. */
function reserve(at: number, size: number): Uint8Array<ArrayBuffer> {
  const needed = at + size;
  if (needed > scratch.length) {
    const grown = new Uint8Array(Math.max(needed, scratch.length * 2));
    grown.set(scratch.subarray(0, at));
    replaceScratch(grown);
  }
  return scratch;
}

function putUint32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value;
  bytes[at + 1] = value >>> 8;
  bytes[at + 2] = value >>> 16;
  bytes[at + 3] = value >>> 24;
}

function putText(at: number, value: string): number {
  // UTF-8 needs at most 3 bytes per UTF-16 unit (a surrogate pair: 4 bytes for 2 units).
  const bytes = reserve(at, 5 + value.length * 3);
  bytes[at] = TEXT;
  const start = at + 5;
  let length = -1;
  if (value.length <= SHORT_TEXT) {
    let index = 0;
    for (; index < value.length; index++) {
      const unit = value.charCodeAt(index);
      if (unit >= 0x80) break;
      bytes[start + index] = unit;
    }
    if (index === value.length) length = index;
  }
  if (length < 0) length = value.isWellFormed() ? utf8.encodeInto(value, bytes.subarray(start)).written : putLooseUtf8(bytes, start, value);
  putUint32(bytes, at + 1, length);
  return start + length;
}

/**
 * A string with lone surrogates as better-sqlite3 (V8) writes it: each lone surrogate as its own
 * three bytes (which read back as three U+FFFD), so both store the same bytes. Answers the length.
 */
export function putLooseUtf8(bytes: Uint8Array, start: number, value: string): number {
  let at = start;
  for (let index = 0; index < value.length; index++) {
    let code = value.charCodeAt(index);
    if (code >= 0xd800 && code <= 0xdbff && index + 1 < value.length) {
      const low = value.charCodeAt(index + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        index++;
      }
    }
    if (code < 0x80) {
      bytes[at++] = code;
    } else if (code < 0x800) {
      bytes[at++] = 0xc0 | (code >> 6);
      bytes[at++] = 0x80 | (code & 0x3f);
    } else if (code < 0x10000) {
      bytes[at++] = 0xe0 | (code >> 12);
      bytes[at++] = 0x80 | ((code >> 6) & 0x3f);
      bytes[at++] = 0x80 | (code & 0x3f);
    } else {
      bytes[at++] = 0xf0 | (code >> 18);
      bytes[at++] = 0x80 | ((code >> 12) & 0x3f);
      bytes[at++] = 0x80 | ((code >> 6) & 0x3f);
      bytes[at++] = 0x80 | (code & 0x3f);
    }
  }
  return at - start;
}

/** `values` (already checked for count) encoded; TypeError or RangeError for a value SQLite cannot take. */
export function encodeParameters(values: readonly unknown[]): Uint8Array {
  // Scratch grown past MAX_SCRATCH (a big blob or text) shrinks back first.
  if (scratch.length > MAX_SCRATCH) replaceScratch(new Uint8Array(CACHED_PREFIXES));
  let at = 0;
  for (let position = 0; position < values.length; position++) {
    const value = values[position];
    switch (typeof value) {
      case 'number': {
        const bytes = reserve(at, 9);
        bytes[at] = FLOAT;
        view.setFloat64(at + 1, value, true);
        at += 9;
        break;
      }
      case 'string':
        at = putText(at, value);
        break;
      case 'bigint': {
        if (value < INT64_MIN || value > INT64_MAX) throw tooBig();
        const bytes = reserve(at, 9);
        bytes[at] = INTEGER;
        view.setBigInt64(at + 1, value, true);
        at += 9;
        break;
      }
      case 'undefined':
        reserve(at, 1)[at++] = NULL;
        break;
      case 'object': {
        if (value === null) {
          reserve(at, 1)[at++] = NULL;
          break;
        }
        if (!ArrayBuffer.isView(value)) throw notBindable();
        const blob = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
        const bytes = reserve(at, 5 + blob.length);
        bytes[at] = BLOB;
        putUint32(bytes, at + 1, blob.length);
        bytes.set(blob, at + 5);
        at += 5 + blob.length;
        break;
      }
      default:
        throw notBindable();
    }
  }
  if (at >= CACHED_PREFIXES) return scratch.subarray(0, at);
  return prefixes[at] ??= new Uint8Array(scratch.buffer, 0, at);
}
