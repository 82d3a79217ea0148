// The binary form c-src/sqlite/sqlite_glue.c uses for rows and parameter lists: per value a
// one-byte SQLite type tag, then its payload, little-endian, no padding.
//   1 integer: int64 · 2 float: f64 · 3 text: u32 length + UTF-8 · 4 blob: u32 length + bytes · 5 null
export type SqlValue = number | bigint | string | Uint8Array | null;

const INTEGER = 1;
const FLOAT = 2;
const TEXT = 3;
const BLOB = 4;
const NULL = 5;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeValues(values: readonly SqlValue[]): Uint8Array {
  // One pass to size, one to write: a statement call is cheap enough that allocations show.
  const texts: (Uint8Array | undefined)[] = [];
  let size = 0;
  for (const value of values) {
    if (value === null) size += 1;
    else if (typeof value === 'number' || typeof value === 'bigint') size += 9;
    else if (typeof value === 'string' || value instanceof Uint8Array) {
      const bytes = typeof value === 'string' ? encoder.encode(value) : value;
      texts.push(bytes);
      size += 5 + bytes.length;
    } else throw new TypeError(`cannot bind ${typeof value} (use number, bigint, string, Uint8Array or null)`);
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  let text = 0;
  for (const value of values) {
    if (value === null) {
      out[at++] = NULL;
    } else if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))) {
      out[at] = INTEGER;
      view.setBigInt64(at + 1, BigInt(value), true);
      at += 9;
    } else if (typeof value === 'number') {
      out[at] = FLOAT;
      view.setFloat64(at + 1, value, true);
      at += 9;
    } else {
      const bytes = texts[text++]!;
      out[at] = typeof value === 'string' ? TEXT : BLOB;
      view.setUint32(at + 1, bytes.length, true);
      out.set(bytes, at + 5);
      at += 5 + bytes.length;
    }
  }
  return out;
}

/** Reads `rows` rows of `columns` values from `bytes` at `offset`; integers beyond 2^53 stay bigint. */
export function decodeRows(bytes: Uint8Array, offset: number, rows: number, columns: number): SqlValue[][] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const result: SqlValue[][] = [];
  let at = offset;
  for (let row = 0; row < rows; row++) {
    const values: SqlValue[] = [];
    for (let column = 0; column < columns; column++) {
      const tag = bytes[at++];
      if (tag === INTEGER) {
        const value = view.getBigInt64(at, true);
        values.push(value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value);
        at += 8;
      } else if (tag === FLOAT) {
        values.push(view.getFloat64(at, true));
        at += 8;
      } else if (tag === TEXT || tag === BLOB) {
        const length = view.getUint32(at, true);
        const data = bytes.subarray(at + 4, at + 4 + length);
        values.push(tag === TEXT ? decoder.decode(data) : data.slice());
        at += 4 + length;
      } else if (tag === NULL) {
        values.push(null);
      } else {
        throw new Error(`sqlite row: unknown value tag ${tag} at byte ${at - 1}`);
      }
    }
    result.push(values);
  }
  return result;
}
