// The manifest's richer types on real C built by `cbox build` (c-src/types: plain C functions, no
// cbox.h glue): each one crosses with the JS shape the README gives it, on the wasm engine with
// and without code generation and on the native engine, and a value that does not fit is refused
// before C runs (arguments) or instead of being rounded (results).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CboxArgumentError, CboxCallError, createPool, load, type Library } from 'cbox';
import { ComponentMappingError, generateWit } from '../build/component/wit.js';
import { parseManifest, readManifest } from '../build/manifest.js';
import type { TypesExports } from '../wasm-modules/types.js';
import { bindingOf, root } from './helpers.js';

const opened: Library<unknown>[] = [];
afterAll(() => { for (const lib of opened) lib.close(); });

async function open(engine: 'wasm' | 'native'): Promise<Library<TypesExports>> {
  const lib = await load(await bindingOf<TypesExports>('types'), { logger: null, engine });
  opened.push(lib as Library<unknown>);
  return lib;
}

const MAX = Number.MAX_SAFE_INTEGER;

describe.each(['wasm', 'native'] as const)('i53 and u53 (int64_t/uint64_t as JS numbers) on the %s engine', (engine) => {
  it('pass and return every safe integer exactly, up to 2**53-1 each way', async () => {
    const lib = await open(engine);
    expect(lib.i53_add(2 ** 52, 2 ** 52 - 1)).toBe(MAX);
    expect(lib.i53_add(-(2 ** 52), -(2 ** 52 - 1))).toBe(-MAX);
    expect(lib.i53_add(-5, 3)).toBe(-2);
    expect(lib.u53_add(MAX - 1, 1)).toBe(MAX);
    expect(lib.u53_pow2(52)).toBe(2 ** 52);
    expect(lib.i53_neg_pow2(52)).toBe(-(2 ** 52));
    expect(typeof lib.u53_add(0, 0)).toBe('number');
  });

  it('refuse a result outside the safe range with CboxCallError bad-result, never rounded', async () => {
    const lib = await open(engine);
    for (const call of [() => lib.u53_pow2(53), () => lib.u53_pow2(63), () => lib.i53_neg_pow2(53), () => lib.i53_add(MAX, 1)]) {
      expect(call).toThrow(CboxCallError);
      expect(call).toThrow(expect.objectContaining({ code: 'bad-result' }));
    }
    expect(lib.i53_add(1, 2)).toBe(3);
  });

  it('refuse unsafe, fractional, negative (u53), bigint and non-number arguments with CboxArgumentError', async () => {
    const lib = await open(engine);
    const add = lib.i53_add as (...args: unknown[]) => number;
    const uadd = lib.u53_add as (...args: unknown[]) => number;
    for (const [call, message] of [
      [() => add(2 ** 53, 0), /argument 1 \(a: i53\) must be a safe integer \(Number\.isSafeInteger\), got 9007199254740992/],
      [() => add(0, -(2 ** 53)), /argument 2 \(b: i53\) must be a safe integer/],
      [() => add(1.5, 0), /got 1\.5/],
      [() => add(Number.NaN, 0), /got NaN/],
      [() => add(1n, 0), /got 1n/],
      [() => add('1', 0), /must be a safe integer/],
      [() => uadd(-1, 0), /argument 1 \(a: u53\) must be a safe integer from 0 to Number\.MAX_SAFE_INTEGER, got -1/],
    ] as const) {
      expect(call).toThrow(CboxArgumentError);
      expect(call).toThrow(message);
    }
  });
});

describe.each(['wasm', 'native'] as const)('typed arrays (const T *, size_t count) on the %s engine', (engine) => {
  it('pass every element kind with its element count', async () => {
    const lib = await open(engine);
    expect(lib.sum_i8(new Int8Array([-128, 127, -1]))).toBe(-2);
    expect(lib.sum_u8(new Uint8Array([255, 1]))).toBe(256);
    expect(lib.sum_i16(new Int16Array([-32768, 32767, 5]))).toBe(4);
    expect(lib.sum_u16(new Uint16Array([65535, 1]))).toBe(65536);
    expect(lib.sum_i32(new Int32Array([2 ** 31 - 1, -(2 ** 31), 7]))).toBe(6);
    expect(lib.sum_u32(new Uint32Array([2 ** 32 - 1, 2]))).toBe(1);
    expect(lib.sum_f32(new Float32Array([0.5, 0.25]))).toBe(0.75);
    expect(lib.sum_f64(new Float64Array([0.1, 0.2]))).toBe(0.1 + 0.2);
    expect(lib.sum_i32(new Int32Array(0))).toBe(0);
    // Two arrays: C gets each one's own count (a_count * 1000 + b_count * 1000000 is added).
    expect(lib.dot_f64_f32(new Float64Array([1, 2, 3]), new Float32Array([4, 5]))).toBe(14 + 3000 + 2_000_000);
  });

  it('a view into a bigger buffer passes its own elements (offset and length), a big one too', async () => {
    const lib = await open(engine);
    const buffer = new Int32Array([1, 2, 3, 4, 5, 6]);
    expect(lib.last_i32(buffer.subarray(1, 4))).toBe(4);
    expect(lib.last_i32(new Int32Array(buffer.buffer, 20, 1))).toBe(6);
    // 4 MiB: more than the arena holds, so it goes through a spilled heap block.
    const big = new Int32Array(1 << 20).fill(1);
    big[big.length - 1] = 99;
    expect(lib.sum_i32(big)).toBe((1 << 20) - 1 + 99);
    expect(lib.last_i32(big)).toBe(99);
  });

  it('refuse the wrong kind, plain arrays, numbers and detached arrays with CboxArgumentError', async () => {
    const lib = await open(engine);
    const sum = lib.sum_i32 as (values: unknown) => number;
    const detached = new Int32Array(4);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    for (const value of [new Uint32Array([1]), new Float32Array([1]), new Uint8Array(4), Buffer.from([1, 2, 3, 4]), [1, 2], 1, null, new DataView(new ArrayBuffer(4))]) {
      expect(() => sum(value)).toThrow(CboxArgumentError);
      expect(() => sum(value)).toThrow(/argument 1 \(values: i32\[\]\) must be an Int32Array that is not detached/);
    }
    if (engine === 'wasm') expect(() => sum(detached)).toThrow(CboxArgumentError);
  });
});

describe('typed arrays that lie about themselves (wasm engine)', () => {
  it('a subclass whose length getter lies, a Proxy, a typed array of another kind dressed up: refused, C not entered', async () => {
    const lib = await open('wasm');
    class Liar extends Int32Array {
      override get length(): number { return 1 << 20; }
    }
    const before = lib.types_entered();
    const sum = lib.sum_i32 as (values: unknown) => number;
    expect(() => sum(new Liar(2))).toThrow(CboxArgumentError);
    expect(() => sum(new Proxy(new Int32Array(2), {}))).toThrow(CboxArgumentError);
    const dressed = new Float32Array(2);
    Object.defineProperty(dressed, Symbol.toStringTag, { value: 'Int32Array' });
    expect(() => sum(dressed)).toThrow(CboxArgumentError);
    const detached = new Int32Array(4);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    expect(() => sum(detached)).toThrow(CboxArgumentError);
    // A getter that detaches the buffer while it is asked: the engine's answer comes after it.
    class Detacher extends Int32Array {
      override get length(): number { structuredClone(this.buffer, { transfer: [this.buffer] }); return 2; }
    }
    expect(() => sum(new Detacher(2))).toThrow(CboxArgumentError);
    expect(lib.types_entered()).toBe(before);
    // A well-behaved subclass is an Int32Array.
    class Plain extends Int32Array {}
    expect(sum(new Plain([1, 2]))).toBe(3);
  });
});

describe('out-parameters (T * written by C) on the wasm engine', () => {
  it('come back with the result as { result, <name> }, or as { <names> } when the result is void', async () => {
    const lib = await open('wasm');
    expect({ ...lib.divmod_i32(17, 5) }).toEqual({ result: 3, remainder: 2 });
    expect({ ...lib.minmax_f64(new Float64Array([3, -1, 7])) }).toEqual({ min: -1, max: 7 });
    expect({ ...lib.echo_count(new Uint8Array([4, 5, 6])) }).toEqual({ result: new Uint8Array([4, 5, 6]), count: 3 });
    // Out-parameters take no argument: the JS function has only the others.
    expect(lib.divmod_i32.length).toBe(2);
  });

  it('every out type: i64/u64 as bigint, i53/u53/u32 as numbers, f32; an unwritten slot reads 0', async () => {
    const lib = await open('wasm');
    expect({ ...lib.outs_wide() }).toEqual({ i64: -(2n ** 63n), u64: 2n ** 64n - 1n, i53: -MAX, u53: MAX, u32: 2 ** 32 - 1, f32: 0.5 });
    expect({ ...lib.divmod_i32(1, 0) }).toEqual({ result: 0, remainder: 0 });
  });

  it('an out-parameter outside its range is CboxCallError bad-result; the arena is empty after it', async () => {
    const lib = await open('wasm');
    expect({ ...lib.u53_out_pow2(52) }).toEqual({ result: 52, value: 2 ** 52 });
    expect(() => lib.u53_out_pow2(53)).toThrow(expect.objectContaining({ name: 'CboxCallError', code: 'bad-result' }));
    expect({ ...lib.echo_count(new Uint8Array(3)) }).toEqual({ result: new Uint8Array(3), count: 3 });
  });

  it('an out-parameter named __proto__ or constructor is an own property of a plain object, never its prototype', async () => {
    const lib = await open('wasm');
    const answer = lib.two_outs();
    expect(Object.getPrototypeOf(answer)).toBe(Object.prototype);
    expect(Object.keys(answer)).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(answer, '__proto__')?.value).toBe(1);
    expect(answer.constructor).toBe(2);
  });
});

describe('out-parameters in the manifest', () => {
  const manifest = (exports: Record<string, unknown>, extra: Record<string, unknown> = {}) => parseManifest({ name: 'x', sources: [], exports, ...extra }, root);

  it('are written name:out:type and refused as results, as "result" beside a result, and in "native"', () => {
    expect(() => manifest({ f: { params: ['e:out:i32'], result: 'out:i32' } })).toThrow('"exports.f".result: out:i32 is a parameter type only');
    expect(() => manifest({ f: { params: ['result:out:i32'], result: 'i32' } })).toThrow('an out-parameter may not be named "result"');
    expect(() => manifest({ f: { params: ['e:out:i32'], result: 'i32' } }, { native: ['f'] }))
      .toThrow('"native": f has an out-parameter (out:i32), which the native glue does not support yet');
    expect(() => manifest({ f: { params: ['e:out:i8'] } })).toThrow('unknown type "out:i8"');
  });
});

describe('cstring results (const char * borrowed, char * owned and released)', () => {
  it('copy a borrowed string, NULL as null, and combine with out-parameters', async () => {
    const lib = await open('wasm');
    expect(lib.version_text()).toBe('types 1.0 \u2713');
    expect(lib.maybe_name(1)).toBe('named');
    expect(lib.maybe_name(0)).toBe(null);
    expect({ ...lib.text_and_length() }).toEqual({ result: 'hello', length: 5 });
  });

  it('release an owned string with free() or the manifest\'s function, once per call: memory stays flat', async () => {
    const lib = await open('wasm');
    const released = lib.types_released();
    expect(lib.owned_upper('abc')).toBe('ABC');
    expect(lib.types_released()).toBe(released + 1);
    expect(lib.repeat_owned('ab', 3)).toBe('ababab');
    const size = lib.stats().memory.size;
    // 20 MB in all through a 16 MiB sandbox: only possible if each answer is freed.
    for (let i = 0; i < 20_000; i++) lib.repeat_owned('x'.repeat(100), 10);
    expect(lib.stats().memory.size).toBe(size);
  });

  it('refuse what C answers that is no string: invalid UTF-8, outside the memory, never NUL-terminated; an owned one is still released', async () => {
    const lib = await open('wasm');
    for (const call of [() => lib.bad_utf8_text(), () => lib.outside_text(), () => lib.unterminated_text()]) {
      expect(call).toThrow(CboxCallError);
      expect(call).toThrow(expect.objectContaining({ code: 'bad-result' }));
    }
    expect(() => lib.outside_text()).toThrow('does not end inside the sandbox memory');
    const released = lib.types_released();
    expect(() => lib.owned_bad_utf8()).toThrow(expect.objectContaining({ code: 'bad-result' }));
    expect(lib.types_released()).toBe(released + 1);
    expect(lib.version_text()).toBe('types 1.0 \u2713');
  });

  it('the manifest: cstring is no parameter type, "free" only with a cstring result, and never in "native"', () => {
    const manifest = (exports: Record<string, unknown>, extra: Record<string, unknown> = {}) => parseManifest({ name: 'x', sources: [], exports, ...extra }, root);
    expect(() => manifest({ f: { params: ['s:cstring'] } })).toThrow('cstring is a result type (a const char * parameter is "string")');
    expect(() => manifest({ f: { params: [], result: 'string', free: 'free' } })).toThrow('"exports.f".free: only a cstring result can be released');
    expect(() => manifest({ f: { params: [], result: 'cstring', free: 'cbox_alloc' } })).toThrow('"exports.f".free must name the C function');
    expect(() => manifest({ f: { params: [], result: 'cstring' } }, { native: ['f'] })).toThrow('"native": f has a cstring result');
    expect(parseManifest({ name: 'x', sources: ['types.c'], exports: { f: { params: [], result: 'cstring', free: 'x_free' } } }, path.join(root, 'c-src/types')).exports.f).toEqual({ params: [], paramNames: [], result: 'cstring', free: 'x_free' });
  });
});

describe('the richer types in the worker pool', () => {
  it('i53, typed arrays and out-parameters answer as on the main thread; refusals keep their class', async () => {
    const pool = await createPool(await bindingOf<TypesExports>('types'), { threads: 1, logger: null });
    try {
      const [sum, total, divided, extremes] = await Promise.all([
        pool.i53_add(2 ** 52, 2 ** 52 - 1), pool.sum_i32(new Int32Array([1, 2, 3])), pool.divmod_i32(17, 5), pool.minmax_f64(new Float64Array([2, -3])),
      ]);
      expect(sum).toBe(MAX);
      expect(total).toBe(6);
      expect({ ...divided }).toEqual({ result: 3, remainder: 2 });
      expect({ ...extremes }).toEqual({ min: -3, max: 2 });
      expect(Object.getPrototypeOf(divided)).toBe(Object.prototype);
      await expect(pool.u53_out_pow2(60)).rejects.toMatchObject({ name: 'CboxCallError', code: 'bad-result' });
      await expect(pool.sum_i32(new Uint32Array(1) as unknown as Int32Array)).rejects.toBeInstanceOf(CboxArgumentError);
      expect(await pool.i53_add(1, 2)).toBe(3);
    } finally {
      await pool.close();
    }
  });
});

describe('i53 arguments refused before C runs', () => {
  it('a refused argument leaves C unentered', async () => {
    const lib = await open('wasm');
    expect(lib.i53_counted(7)).toBe(7);
    const before = lib.types_entered();
    expect(() => lib.i53_counted(2 ** 53)).toThrow(CboxArgumentError);
    expect(() => (lib.i53_counted as (a: unknown) => number)(7n)).toThrow(CboxArgumentError);
    expect(lib.types_entered()).toBe(before);
  });
});

describe('the richer types elsewhere', () => {
  it('generated declarations: i53/u53 as number, typed arrays as their class', () => {
    const dts = readFileSync(path.join(root, 'wasm-modules/types.d.ts'), 'utf8');
    expect(dts).toContain('i53_add(a: number, b: number): number;');
    expect(dts).toContain('u53_pow2(bits: number): number;');
    expect(dts).toContain('sum_i8(values: Int8Array): number;');
    expect(dts).toContain('dot_f64_f32(a: Float64Array, b: Float32Array): number;');
    expect(dts).toContain('divmod_i32(a: number, b: number): { result: number; remainder: number };');
    expect(dts).toContain('minmax_f64(values: Float64Array): { min: number; max: number };');
    expect(dts).toContain('outs_wide(): { i64: bigint; u64: bigint; i53: number; u53: number; u32: number; f32: number };');
    expect(dts).toContain('repeat_owned(text: string, times: number): string | null;');
    expect(dts).toContain('text_and_length(): { result: string | null; length: number };');
  });

  it('the manifest refuses a typed array as a result', () => {
    expect(() => parseManifest({ name: 'x', sources: [], exports: { f: { params: [], result: 'i32[]' } } }, root))
      .toThrow('"exports.f".result: i32[] is a parameter type only');
  });

  it('cbox build --component refuses i53/u53 by name (no WIT mapping: s64 would be a bigint there)', () => {
    const manifest = readManifest(path.join(root, 'c-src/types/cbox.json'));
    expect(() => generateWit(manifest)).toThrow(ComponentMappingError);
    expect(() => generateWit(manifest)).toThrow('"exports.i53_add.params[0]": the type "i53" has no WIT mapping yet');
    expect(() => generateWit(manifest)).toThrow('"exports.u53_pow2.result": the type "u53" has no WIT mapping yet');
    expect(() => generateWit(manifest)).toThrow('"exports.sum_f64.params[0]": the type "f64[]" has no WIT mapping yet');
  });

  it('i53/u53, typed arrays, out-parameters and cstring results work under node --disallow-code-generation-from-strings (the closure invoker)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cbox-types-nocodegen-'));
    const script = path.join(dir, 'run.mjs');
    writeFileSync(script, `
      import { load } from ${JSON.stringify(path.join(root, 'dist', 'index.js'))};
      import { binding } from ${JSON.stringify(path.join(root, 'wasm-modules', 'types.js'))};
      const lib = await load(binding, { logger: null });
      const codes = [];
      for (const call of [() => lib.u53_pow2(53), () => lib.i53_add(2 ** 53, 0), () => lib.u53_add(-1, 0), () => lib.i53_add(1n, 0), () => lib.sum_i32(new Uint32Array(1))]) {
        try { call(); codes.push('none'); } catch (error) { codes.push(error.code); }
      }
      const arrays = [lib.sum_i16(new Int16Array([-3, 1])), lib.dot_f64_f32(new Float64Array([2]), new Float32Array([3])), lib.last_i32(new Int32Array([1, 2, 3]).subarray(0, 2)), lib.sum_i32(new Int32Array(1 << 18).fill(1))];
      const outs = [lib.divmod_i32(17, 5), lib.minmax_f64(new Float64Array([3, -1])), lib.echo_count(new Uint8Array([9])), lib.u53_out_pow2(3)];
      try { lib.u53_out_pow2(60); codes.push('none'); } catch (error) { codes.push(error.code); }
      const wide = lib.outs_wide();
      const proto = lib.two_outs();
      const texts = [lib.version_text(), lib.maybe_name(0), lib.owned_upper('ok'), lib.repeat_owned('ab', 2)];
      try { lib.owned_bad_utf8(); codes.push('none'); } catch (error) { codes.push(error.code); }
      console.log(JSON.stringify([lib.i53_add(2 ** 52, 2 ** 52 - 1), lib.u53_add(1, 2), lib.i53_neg_pow2(52), ...codes, ...arrays, ...outs.map((o) => ({ ...o, result: o.result instanceof Uint8Array ? [...o.result] : o.result })), String(wide.u64), wide.f32, Object.getPrototypeOf(proto) === Object.prototype && Object.getOwnPropertyDescriptor(proto, '__proto__').value === 1, ...texts]));
    `);
    const run = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual([MAX, 3, -(2 ** 52), 'bad-result', 'bad-argument', 'bad-argument', 'bad-argument', 'bad-argument', 'bad-result', 'bad-result', -2, 1006 + 1_000_000, 2, 1 << 18,
      { result: 3, remainder: 2 }, { min: -1, max: 3 }, { result: [9], count: 1 }, { result: 3, value: 8 }, String(2n ** 64n - 1n), 0.5, true, 'types 1.0 \u2713', null, 'OK', 'abab']);
  });
});
