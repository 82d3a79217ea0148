// The values cbox/sqlite gives and takes, as better-sqlite3 does: INTEGER and REAL as number (or
// every INTEGER as bigint with safeIntegers), TEXT as string, BLOB as Buffer, NULL as null. One
// rule cbox adds: an INTEGER a number cannot hold exactly is a RangeError unless safeIntegers is
// on (better-sqlite3 would round it), so numbers and bigints are never mixed silently.
//
// BatchReader reads the rows stmt_step_rows answers (c-src/sqlite/sqlite_glue.c): per value a
// one-byte SQLite type tag, then its payload, little-endian, no padding.
//   1 integer: int64 · 2 float: f64 · 3 text: u32 length + UTF-8 · 4 blob: u32 length + bytes · 5 null

/** A value SQLite gives back. */
export type SqlValue = number | bigint | string | Buffer | null;

export const INTEGER = 1;
export const FLOAT = 2;
export const TEXT = 3;
export const BLOB = 4;
export const NULL = 5;
/** stmt_step_kinds / stmt_column_kind: an INTEGER beyond Number.MAX_SAFE_INTEGER. */
export const BIG_INTEGER = 6;
/** What SQLite's INTEGER holds: a signed 64-bit integer. */
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

const TWO_32 = 2 ** 32;
/** A high word in this range and any low word make a safe integer (|n| < 2^53). */
const SAFE_HIGH = 2 ** 21;
/** Texts up to this many bytes are tried as ASCII by hand: cheaper than a TextDecoder call. */
const SHORT_TEXT = 32;

const decoder = new TextDecoder();
const float64 = new Float64Array(1);
const float64Bytes = new Uint8Array(float64.buffer);

/** The RangeError for an INTEGER that does not fit a number when safeIntegers is off. */
export function unsafeIntegerError(value: bigint, column: string): RangeError {
  return new RangeError(`The integer ${value} in column "${column}" is beyond Number.MAX_SAFE_INTEGER: use safeIntegers() to read it as a bigint`);
}

/** A Buffer over bytes the sandbox answered (they are a copy of its own: no second copy). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Reads values one after another from a batch of rows. Bytes, not a DataView: asking a small
 * typed array for its .buffer makes V8 move it off its heap, which costs more than the decoding. */
export class BatchReader {
  constructor(private readonly bytes: Uint8Array, private at: number, private readonly safeIntegers: boolean) {}

  /** The row count and done flag in front of the rows; call first. */
  header(): { readonly count: number; readonly done: boolean } {
    const count = this.uint32(this.at);
    const done = this.bytes[this.at + 4] !== 0;
    this.at += 5;
    return { count, done };
  }

  /** The next value; `column` names it in a RangeError. */
  value(column: string): SqlValue {
    const tag = this.bytes[this.at++];
    const at = this.at;
    switch (tag) {
      case INTEGER:
        this.at += 8;
        return this.integer(at, column);
      case FLOAT:
        this.at += 8;
        for (let index = 0; index < 8; index++) float64Bytes[index] = this.bytes[at + index]!;
        return float64[0]!;
      case TEXT:
      case BLOB: {
        const length = this.uint32(at);
        const start = at + 4;
        this.at = start + length;
        return tag === TEXT ? this.text(start, length) : Buffer.from(this.bytes.subarray(start, start + length));
      }
      case NULL:
        return null;
      default:
        throw new Error(`cbox/sqlite: unknown value tag ${tag} at byte ${at - 1} of a row batch`);
    }
  }

  private integer(at: number, column: string): number | bigint {
    const low = this.uint32(at);
    const high = this.uint32(at + 4) | 0;
    if (high >= -SAFE_HIGH && high < SAFE_HIGH && !this.safeIntegers) {
      const value = high * TWO_32 + low;
      if (Number.isSafeInteger(value)) return value;
    }
    const big = (BigInt(high) << 32n) + BigInt(low);
    if (this.safeIntegers) return big;
    throw unsafeIntegerError(big, column);
  }

  private uint32(at: number): number {
    const b = this.bytes;
    return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
  }

  private text(start: number, length: number): string {
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
