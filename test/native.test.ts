// The native fast path gives what the wasm sandbox gives: every native export of zoo and kernels,
// called on both engines with the same real inputs (edge cases included), answers the same value
// or fails with the same typed error.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CboxArgumentError, CboxClosedError, Handle, StaleHandleError, load, type Library } from 'cbox';
import type { KernelsExports } from '../wasm-modules/kernels.js';
import type { ZooExports } from '../wasm-modules/zoo.js';
import { bindingOf } from './helpers.js';

type Outcome =
  | { value: unknown }
  | { bytes: string; length: number; type: string }
  | { error: string; name: string; code: unknown };

/** A call's answer in a form toEqual compares quickly (big byte results by digest). */
function outcome(call: () => unknown): Outcome {
  try {
    const value = call();
    if (value instanceof Uint8Array) return { bytes: createHash('sha256').update(value).digest('hex'), length: value.byteLength, type: value.constructor.name };
    return { value };
  } catch (error) {
    const { message, name, code } = error as Error & { code?: unknown };
    return { error: message, name, code };
  }
}

type AnyLibrary = Library<Record<string, (...args: any[]) => unknown>>;

function expectSameOnBoth(wasm: AnyLibrary, native: AnyLibrary, fn: string, cases: readonly (readonly unknown[])[]): void {
  for (const args of cases) {
    const expected = outcome(() => wasm[fn]!(...args));
    expect(outcome(() => native[fn]!(...args)), `${fn}(${args.map((a) => (a instanceof Uint8Array ? `<${a.byteLength} bytes>` : typeof a === 'string' && a.length > 40 ? `<${a.length} chars>` : String(a))).join(', ')})`).toEqual(expected);
  }
}

const MiB = 1024 * 1024;
const big = randomBytes(5 * MiB);
const text = 'héllo wörld ✓ 😀 日本語 ';
const bytesCases: readonly (readonly unknown[])[] = [
  [new Uint8Array()],
  [Buffer.from('hello')],
  [new TextEncoder().encode(text.repeat(100))],
  [Uint8Array.of(0xc0, 0x80)], // overlong NUL
  [Uint8Array.of(0xed, 0xa0, 0x80)], // a surrogate
  [Uint8Array.of(0x61, 0xe2, 0x82)], // truncated
  [big],
  [big.subarray(3, 3 + 100_003)], // a view at an odd offset: the native path reads it in place
  [new Uint8Array(MiB).fill(0x61)],
  [new Uint8Array(MiB).fill(0xff)],
];

function rgba(width: number, height: number): Uint8Array {
  return new Uint8Array(randomBytes(width * height * 4));
}

function floats(n: number, offset = 0): Uint8Array {
  const values = Float32Array.from({ length: n * n }, (_, i) => Math.fround(Math.sin(i) * 100));
  const bytes = new Uint8Array(values.byteLength + offset);
  bytes.set(new Uint8Array(values.buffer), offset);
  return bytes.subarray(offset);
}

describe('kernels: native and wasm agree', () => {
  let wasm: AnyLibrary;
  let native: AnyLibrary;
  beforeAll(async () => {
    const binding = await bindingOf<KernelsExports>('kernels');
    wasm = await load(binding, { logger: null }) as unknown as AnyLibrary;
    native = await load(binding, { engine: 'native' }) as unknown as AnyLibrary;
  });
  afterAll(() => {
    wasm.close();
    native.close();
  });

  it('offers exactly the native exports, as engine native', () => {
    expect(native.engine).toBe('native');
    expect(Object.keys(native).filter((key) => key in native.stamp.exports).sort()).toEqual([...native.stamp.native].sort());
  });

  it('checksums, UTF-8 validation, sums and echo on empty, text, invalid and multi-MiB inputs', () => {
    for (const fn of ['crc32', 'adler32', 'fnv1a64', 'utf8_valid', 'sum_u8', 'echo', 'base64_encode']) expectSameOnBoth(wasm, native, fn, bytesCases);
    expect(native.crc32!(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(native.fnv1a64!(new Uint8Array())).toBe(0xcbf29ce484222325n);
  });

  it('base64 decode, including what it refuses', () => {
    const encoded = bytesCases.map(([data]) => [wasm.base64_encode!(data)] as const);
    expectSameOnBoth(wasm, native, 'base64_decode', [...encoded, [''], ['abc'], ['ab=c'], ['@@@@'], ['aGk='], ['aGl='], ['ÿÿÿÿ'], ['日本語!'], [42], ['a\0bc']]);
  });

  it('images: blur and resize, sizes that fit and sizes that do not', () => {
    const image = rgba(256, 256);
    expectSameOnBoth(wasm, native, 'blur_rgba', [
      [image, 256, 256, 0], [image, 256, 256, 1], [image, 256, 256, 4], [rgba(1, 1), 1, 1, 3], [rgba(3, 5), 3, 5, 10],
      [new Uint8Array(), 0, 0, 1], [image, 255, 256, 1], [image, 256, 256, 70_000], [image, -1, 256, 1],
    ]);
    expectSameOnBoth(wasm, native, 'resize_rgba', [
      [image, 256, 256, 100, 37], [image, 256, 256, 512, 300], [rgba(1, 1), 1, 1, 3, 3], [image, 256, 256, 0, 10], [new Uint8Array(), 0, 0, 1, 1],
    ]);
  });

  it('matmul_f32, aligned and not, including n = 0 and a size mismatch', () => {
    expectSameOnBoth(wasm, native, 'matmul_f32', [
      [floats(0), floats(0), 0], [floats(1), floats(1), 1], [floats(17), floats(17, 1), 17], [floats(128, 3), floats(128), 128], [floats(4), floats(5), 4],
    ]);
  });

  it('numbers at the limits, and arguments both refuse with the same message', () => {
    expectSameOnBoth(wasm, native, 'add_i32', [
      [2147483647, 1], [-2147483648, -1], [-2147483648, 2147483647], [0, -0], [2 ** 31, 0], [1.5, 2], [Number.NaN, 1], ['1', 2], [1],
    ]);
    expect(() => native.add_i32!(1n, 2)).toThrow(/argument 1 \(a: i32\) must be an integer from -2147483648 to 2147483647, got 1n/);
    expectSameOnBoth(wasm, native, 'noop', [[]]);
    expectSameOnBoth(wasm, native, 'crc32', [[[1, 2, 3]], [new Uint8ClampedArray(4)], [new Uint16Array(2)], [null]]);
  });
});

describe('zoo: native and wasm agree', () => {
  let wasm: AnyLibrary;
  let native: AnyLibrary;
  beforeAll(async () => {
    const binding = await bindingOf<ZooExports>('zoo');
    wasm = await load(binding, { logger: null }) as unknown as AnyLibrary;
    native = await load(binding, { engine: 'native' }) as unknown as AnyLibrary;
  });
  afterAll(() => {
    wasm.close();
    native.close();
  });

  it('every scalar type at its limits', () => {
    expectSameOnBoth(wasm, native, 'add', [[2147483647, 1], [-2147483648, -1], [7, -9], [4294967295, 0]]);
    expectSameOnBoth(wasm, native, 'sum_u64', [
      [2n ** 64n - 1n, 1n], [0n, 0n], [2n ** 63n, 2n ** 63n - 1n], [-1n, 0n], [2n ** 64n, 0n], [1, 2n],
    ]);
    expectSameOnBoth(wasm, native, 'mul_f64', [[1.5, -4], [Number.NaN, 1], [Infinity, -0], [1e308, 10], [-0, 5], [Number.MIN_VALUE, 0.5], [1n, 2]]);
    expectSameOnBoth(wasm, native, 'is_even', [[-2147483648], [2147483647], [0], [7], [true]]);
  });

  it('bytes and strings, empty, non-ASCII and large; clean C errors', () => {
    expectSameOnBoth(wasm, native, 'echo', bytesCases.slice(0, 8));
    expectSameOnBoth(wasm, native, 'greet', [[''], [text], ['😀'], ['real \ufffd replacement'], ['\ud800\udc00 pair'], ['\udc00\ud800 reversed'], [text.repeat(20_000)], ['a\0b'], ['\ud800'], ['x\udc00'], [5]]);
    expect(native.greet!('wörld ✓')).toBe('hello, wörld ✓');
    expectSameOnBoth(wasm, native, 'fail_with', [['boom ✓'], [''], ['x'.repeat(10_000)]]);
  });

  it('i64 through a handle, on each engine; handles do not cross engines', () => {
    const counter = (lib: AnyLibrary): unknown[] => {
      const c = lib.counter_new!(9223372036854775807n);
      const values = [lib.counter_add!(c, 1n), lib.counter_add!(c, -1n), lib.counter_add!(c, -9223372036854775808n)];
      lib.counter_free!(c);
      return values;
    };
    expect(counter(native)).toEqual(counter(wasm));
    const nativeHandle = native.counter_new!(1n) as Handle;
    const wasmHandle = wasm.counter_new!(1n) as Handle;
    expect(nativeHandle).toBeInstanceOf(Handle);
    expect(nativeHandle.generation).toBe(0);
    expect(() => wasm.counter_add!(nativeHandle, 1n)).toThrow(StaleHandleError);
    expect(() => native.counter_add!(wasmHandle, 1n)).toThrow(StaleHandleError);
    expect(() => native.counter_add!(null, 1n)).toThrow(CboxArgumentError);
    expect(() => native.counter_add!({ address: 8 }, 1n)).toThrow(CboxArgumentError);
    native.counter_free!(nativeHandle);
    wasm.counter_free!(wasmHandle);
  });

  it('control surface: calls counted, recycle is a no-op, close refuses later calls', async () => {
    const lib = await load(await bindingOf<ZooExports>('zoo'), { engine: 'native' });
    expect(lib.add(1, 2)).toBe(3);
    expect(() => (lib.add as (...a: unknown[]) => unknown)('x', 2)).toThrow(/argument 1 \(a: i32\)/);
    expect(lib.stats().calls).toBe(2);
    expect(lib.stats().recycles).toBe(0);
    expect(lib.recycle()).toBe(0);
    expect(lib.generation).toBe(0);
    expect((lib as unknown as Record<string, unknown>).spin).toBeUndefined();
    lib.close();
    expect(() => lib.add(1, 2)).toThrow(CboxClosedError);
  });
});
