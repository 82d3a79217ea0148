// The binary form c-src/sqlite/sqlite_glue.c uses for rows and parameter lists: per value a
// one-byte SQLite type tag, then its payload, little-endian, no padding.
//   1 integer: int64 · 2 float: f64 · 3 text: u32 length + UTF-8 · 4 blob: u32 length + bytes · 5 null
import { CboxArgumentError } from '../../runtime/index.js';

/** A value SQLite stores: INTEGER (number, or bigint beyond 2^53), REAL, TEXT, BLOB, NULL. */
export type SqlValue = number | bigint | string | Uint8Array | null;

const INTEGER = 1;
const FLOAT = 2;
const TEXT = 3;
const BLOB = 4;
const NULL = 5;
const TWO_32 = 2 ** 32;
/** A high word in this range and any low word make a safe integer (|n| < 2^53). */
const SAFE_HIGH = 2 ** 21;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Texts up to this many bytes are tried as ASCII by hand. */
const SHORT_TEXT = 32;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const float64 = new Float64Array(1);
const float64Bytes = new Uint8Array(float64.buffer);

/** Encodes parameter lists into one buffer that is reused from call to call: the bytes are only
 * good until the next encode, which is all a call into the sandbox needs (it copies them). */
export class ValueEncoder {
  private bytes = new Uint8Array(1024);
  private view = new DataView(this.bytes.buffer);
  private at = 0;

  encode(values: readonly SqlValue[]): Uint8Array {
    this.at = 0;
    values.forEach((value, index) => this.write(value, index));
    return this.bytes.subarray(0, this.at);
  }

  private room(size: number): void {
    if (this.at + size <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.at + size));
    grown.set(this.bytes.subarray(0, this.at));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  private write(value: SqlValue, index: number): void {
    if (typeof value === 'number') {
      this.room(9);
      if (Number.isSafeInteger(value)) {
        const high = Math.floor(value / TWO_32);
        this.bytes[this.at] = INTEGER;
        this.view.setUint32(this.at + 1, value - high * TWO_32, true);
        this.view.setInt32(this.at + 5, high, true);
      } else {
        // Fractions, and integral numbers too big to be exact, are REAL (as better-sqlite3 binds them).
        this.bytes[this.at] = FLOAT;
        this.view.setFloat64(this.at + 1, value, true);
      }
      this.at += 9;
    } else if (typeof value === 'string') {
      // UTF-8 takes at most 3 bytes per UTF-16 unit.
      this.room(5 + value.length * 3);
      const { written } = encoder.encodeInto(value, this.bytes.subarray(this.at + 5));
      this.bytes[this.at] = TEXT;
      this.view.setUint32(this.at + 1, written, true);
      this.at += 5 + written;
    } else if (value === null) {
      this.room(1);
      this.bytes[this.at++] = NULL;
    } else if (typeof value === 'bigint') {
      if (value < INT64_MIN || value > INT64_MAX) throw new CboxArgumentError(`parameter ${index + 1}: ${value}n does not fit SQLite's 64-bit INTEGER`);
      this.room(9);
      this.bytes[this.at] = INTEGER;
      this.view.setBigInt64(this.at + 1, value, true);
      this.at += 9;
    } else if (value instanceof Uint8Array) {
      this.room(5 + value.length);
      this.bytes[this.at] = BLOB;
      this.view.setUint32(this.at + 1, value.length, true);
      this.bytes.set(value, this.at + 5);
      this.at += 5 + value.length;
    } else {
      throw new CboxArgumentError(`parameter ${index + 1}: cannot bind ${describe(value)} (use a number, bigint, string, Uint8Array or null)`);
    }
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  return typeof value === 'object' ? `a ${(value as object).constructor?.name ?? 'object'}` : `a ${typeof value}`;
}

/** Reads values one after another from a batch of rows the glue answered. It reads bytes, not
 * a DataView: answers are small typed arrays, and asking one for its .buffer makes V8 move it
 * off its heap, which cost more than the rest of a point query's decoding. */
export class ValueReader {
  /** `safeIntegers`: every INTEGER as bigint; otherwise number, and bigint only beyond 2^53. */
  constructor(private readonly bytes: Uint8Array, private at: number, private readonly safeIntegers: boolean) {}

  value(): SqlValue {
    const tag = this.bytes[this.at++];
    const at = this.at;
    switch (tag) {
      case INTEGER:
        this.at += 8;
        return this.integer(at);
      case FLOAT:
        this.at += 8;
        for (let index = 0; index < 8; index++) float64Bytes[index] = this.bytes[at + index]!;
        return float64[0]!;
      case TEXT:
      case BLOB: {
        const length = this.uint32(at);
        const start = at + 4;
        this.at = start + length;
        return tag === TEXT ? this.text(start, length) : this.bytes.slice(start, start + length);
      }
      case NULL:
        return null;
      default:
        throw new Error(`sqlite row: unknown value tag ${tag} at byte ${at - 1}`);
    }
  }

  /** The int64 at `at`, as number or bigint by the rule above (also for row ids and counts). */
  integer(at: number): number | bigint {
    const low = this.uint32(at);
    const high = this.uint32(at + 4) | 0;
    if (!this.safeIntegers && high >= -SAFE_HIGH && high < SAFE_HIGH) {
      const value = high * TWO_32 + low;
      if (Number.isSafeInteger(value)) return value;
    }
    return (BigInt(high) << 32n) + BigInt(low);
  }

  private uint32(at: number): number {
    const b = this.bytes;
    return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
  }

  private text(start: number, length: number): string {
    // Short ASCII (names, codes, keys) by hand: TextDecoder's call costs more than such a string.
    if (length <= SHORT_TEXT) {
      let ascii = '';
      let index = 0;
      for (; index < length; index++) {
        const byte = this.bytes[start + index]!;
        if (byte >= 0x80) break;
        ascii += String.fromCharCode(byte);
      }
      if (index === length) return ascii;
    }
    // Invalid UTF-8 (CAST(x'ff' AS TEXT)) decodes with U+FFFD, as better-sqlite3 does.
    return decoder.decode(this.bytes.subarray(start, start + length));
  }
}
