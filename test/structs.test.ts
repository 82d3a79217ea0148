// Structs in and out, writable arrays and borrowed bytes views on real C built by `cbox build`
// (c-src/structs: plain C structs and functions). The same scenario runs on the generated invoker
// (in-process) and on the closure invoker (node --disallow-code-generation-from-strings) and
// must give the same record; a struct argument that does not match its struct is refused with
// CboxArgumentError naming the field, before C runs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CboxArgumentError, createPool, load, type Library } from 'cbox';
import type { StructsExports } from '../wasm-modules/structs.js';
import { scenario, shapeInput } from './fixtures/structs-scenario.mjs';
import { buildLibrary } from '../build/build-library.js';
import { CompileError } from '../build/compile.js';
import { bindingOf, root } from './helpers.js';

const opened: Library<unknown>[] = [];
afterAll(() => { for (const lib of opened) lib.close(); });

async function open(): Promise<Library<StructsExports>> {
  const lib = await load(await bindingOf<StructsExports>('structs'), { logger: null });
  opened.push(lib as Library<unknown>);
  return lib;
}

/** shape_sum's answer for shapeInput(), computed as the C code does. */
function expectedShapeSum(): number {
  const s = shapeInput();
  let sum = s.origin.x + s.origin.y + s.origin.tag + 10 * s.meta.a + 100 * s.meta.b;
  sum += Number(s.big) + Number(s.ubig) + s.size53 + s.usize53 + s.ratio + (s.flag ? 1000 : 0);
  s.key.forEach((value, i) => { sum += (i + 1) * value; });
  s.nums.forEach((value, i) => { sum += (i + 1) * 10000 * value; });
  return sum + s.s16 + s.u32;
}

describe('structs on the wasm engine', () => {
  it('a struct goes in field by field (nested structs, fixed arrays, 64-bit, bool, string) where C reads it', async () => {
    const lib = await open();
    expect(lib.point_sum({ x: 3, y: 0.25, tag: 200 })).toBe(203.25);
    expect(lib.shape_sum(shapeInput())).toBe(expectedShapeSum());
    expect(lib.shape_label_length(shapeInput())).toBe(Buffer.byteLength('héllo'));
  });

  it('a struct C fills comes back as a plain object: alone from a void function, beside the result otherwise', async () => {
    const lib = await open();
    expect(lib.point_make(-2, 1.5)).toEqual({ x: -2, y: 1.5, tag: 7 });
    expect(Object.getPrototypeOf(lib.point_make(0, 0))).toBe(Object.prototype);
    expect(lib.point_scale({ x: 3, y: 0.25, tag: 9 }, 3)).toEqual({ result: 9, scaled: { x: 9, y: 0.75, tag: 9 } });
    const shape = lib.shape_fill();
    expect(shape).toEqual({
      origin: { x: -5, y: 2.5, tag: 200 }, meta: { a: -100, b: 60000 }, big: -(2n ** 63n), ubig: 2n ** 64n - 1n,
      size53: -Number.MAX_SAFE_INTEGER, usize53: Number.MAX_SAFE_INTEGER, ratio: 0.5, flag: true,
      key: Uint8Array.from({ length: 16 }, (_, i) => i * 16), nums: new Int32Array([-1, -2, -3]), label: 'filled by C', s16: -32768, u32: 4000000000,
    });
    // The arrays are copies, not views of sandbox memory.
    expect(shape.key.buffer.byteLength).toBe(16);
  });

  it('a struct missing a field, with an extra field or a mistyped one is CboxArgumentError naming the field, and C is not called', async () => {
    const lib = await open();
    const sum = lib.point_sum as (p: unknown) => number;
    const before = lib.structs_entered();
    for (const [value, message] of [
      [{ x: 1, y: 2 }, 'point_sum: argument 1 (p: struct:point) field tag is missing (every field of struct point is required)'],
      [{ x: 1, y: 2, tag: 3, z: 4 }, 'point_sum: argument 1 (p: struct:point) field z is not a field of struct point'],
      [{ x: 1, y: '2', tag: 3 }, 'point_sum: argument 1 (p: struct:point) field y must be a number, got "2"'],
      [{ x: 1, y: 2, tag: 256 }, 'field tag must be an integer from 0 to 255, got 256'],
      [{ x: 2 ** 31, y: 2, tag: 0 }, 'field x must be an integer from -2147483648 to 2147483647, got 2147483648'],
      [{ x: 1n, y: 2, tag: 0 }, 'field x must be an integer from -2147483648 to 2147483647, got 1n'],
      [null, 'point_sum: argument 1 (p: struct:point) must be a plain object with the fields of struct point, got null'],
      [[1, 2, 3], 'must be a plain object with the fields of struct point, got a Array'],
    ] as const) {
      expect(() => sum(value)).toThrow(CboxArgumentError);
      expect(() => sum(value)).toThrow(message);
    }
    const shapeSum = lib.shape_sum as (s: unknown) => number;
    for (const [patch, message] of [
      [{ origin: { x: 1, y: 2 } }, 'field origin.tag is missing'],
      [{ origin: { x: 1, y: 2, tag: 3, w: 0 } }, 'field origin.w is not a field of origin'],
      [{ origin: 'here' }, 'field origin must be a plain object (a nested struct), got "here"'],
      [{ key: new Uint8Array(15) }, 'field key must be a Uint8Array of 16 elements that is not detached, got a Uint8Array'],
      [{ key: new Int8Array(16) }, 'field key must be a Uint8Array of 16 elements'],
      [{ big: 1 }, 'field big must be a bigint from -(2n**63n) to 2n**63n-1n, got 1'],
      [{ size53: 2 ** 53 }, 'field size53 must be a safe integer (Number.isSafeInteger), got 9007199254740992'],
      [{ label: null }, 'field label must be a well-formed string without NUL characters, got null'],
      [{ flag: 1 }, 'field flag must be a boolean, got 1'],
    ] as const) {
      expect(() => shapeSum({ ...shapeInput(), ...patch })).toThrow(message);
    }
    expect(lib.structs_entered()).toBe(before);
  });

  it('reads each field of the argument once: a getter cannot change its answer between the check and the copy', async () => {
    const lib = await open();
    let reads = 0;
    const tricky = { x: 1, tag: 0, get y() { reads++; return reads === 1 ? 2 : 'not a number'; } };
    expect((lib.point_sum as (p: unknown) => number)(tricky)).toBe(3);
    expect(reads).toBe(1);
  });

  it('a typed-array subclass that lies (buffer, byteOffset, set) gets no say in what is copied in or back', async () => {
    const lib = await open();
    class Liar extends Uint8Array {
      override get buffer(): ArrayBuffer { return new ArrayBuffer(1 << 20); }
      override get byteOffset(): number { return 12345; }
      override set(): void { throw new Error('not called'); }
    }
    const key = new Liar(16).fill(1);
    const shape = { ...shapeInput(), key };
    expect(lib.shape_sum(shape)).toBe(expectedShapeSum() - [...shapeInput().key].reduce((sum, value, i) => sum + (i + 1) * value, 0) + 136);
    const dst = new Liar(8);
    expect(lib.copy_upper('abc', dst)).toBe(3);
    expect(Buffer.from(dst.subarray(0, 3)).toString()).toBe('ABC');
  });

    it('what C writes into a struct is checked: a string pointer outside the memory or a u53 past 2**53 is CboxCallError bad-result, and the library goes on', async () => {
    const lib = await open();
    expect(() => lib.shape_bad_label()).toThrow(expect.objectContaining({ code: 'bad-result' }));
    expect(() => lib.shape_bad_u53()).toThrow(expect.objectContaining({ code: 'bad-result' }));
    expect(lib.point_make(1, 2)).toEqual({ x: 1, y: 2, tag: 7 });
  });

  it('a writable array (mut:) is copied back after the call: an output buffer and its length', async () => {
    const lib = await open();
    const squares = new Int32Array(6);
    expect(lib.fill_squares(squares)).toBe(6);
    expect([...squares]).toEqual([0, 1, 4, 9, 16, 25]);
    const dst = new Uint8Array(32);
    const written = lib.copy_upper('hello, world', dst);
    expect(Buffer.from(dst.subarray(0, written)).toString()).toBe('HELLO, WORLD');
    const values = new Float64Array([1, 2, 3]).subarray(1);
    expect(lib.scale_f64(values, 10)).toBe(50);
    expect([...new Float64Array(values.buffer)]).toEqual([1, 20, 30]);
    expect(() => (lib.fill_squares as (v: unknown) => number)(new Uint32Array(2))).toThrow('fill_squares: argument 1 (values: mut:i32[]) must be an Int32Array that is not detached, got a Uint32Array');
  });

  it('pointer idioms without glue: an opaque object through an out-pointer (out:handle), in/out scalars (mut:u32...), buffers whose length travels by pointer (u8*, mut:u8*)', async () => {
    const lib = await open();
    const opened = lib.counter_open(41);
    expect(opened.result).toBe(0);
    expect(lib.counter_next(opened.counter!)).toBe(42);
    lib.counter_close(opened.counter!);
    expect(lib.take_prefix(Uint8Array.of(1, 2, 3, 4), 4)).toEqual({ result: 10, size: 3 });
    const dst = new Uint8Array(8);
    expect(lib.fill_unsized(dst, 8)).toEqual({ capacity: 5 });
    expect(Buffer.from(dst.subarray(0, 5)).toString()).toBe('abcde');
    expect(lib.inout_scale(1.5, -(2 ** 51), 2)).toEqual({ result: 1.5, x: 3, big: -(2 ** 52) });
    // What C leaves in an i53 slot is range-checked like a result.
    expect(() => lib.inout_scale(1, 2 ** 52, 2)).toThrow(expect.objectContaining({ code: 'bad-result' }));
    expect(() => lib.inout_scale(1, 2 ** 53, 1)).toThrow('inout_scale: argument 2 (big: mut:i53) must be a safe integer');
    expect(() => (lib.take_prefix as (...args: unknown[]) => unknown)(new Int8Array(2), 2)).toThrow('take_prefix: argument 1 (data: u8*) must be a Uint8Array');
  });

  it('a view result (opt-in) is a Uint8Array over exactly the bytes C returned, without a copy, and the next call reuses that memory', async () => {
    const lib = await open();
    const view = lib.counting_bytes(1, 4);
    expect([...view]).toEqual([1, 2, 3, 4]);
    expect(view.byteLength).toBe(4);
    // Over the sandbox memory itself: no copy.
    expect(view.buffer.byteLength).toBeGreaterThan(64 * 1024);
    lib.counting_bytes(100, 4);
    expect([...view]).toEqual([100, 101, 102, 103]);
  });
});

describe('structs on both invokers', () => {
  it('the generated invoker and the closure-only one (--disallow-code-generation-from-strings) give the same record', async () => {
    const lib = await open();
    const here = JSON.parse(JSON.stringify(scenario(lib))) as Record<string, unknown>;
    expect(here.pointSum).toBe(203.25);
    expect((here.refused as string[]).every((code) => code !== 'none')).toBe(true);
    expect(here.view).toEqual(['Uint8Array', 4, [10, 11, 12, 13], true]);
    // Fields named like Object.prototype's members are own properties, in and out.
    expect(here.oddNames).toEqual([32, { constructor: 4, hasOwnProperty: 5 }, ['constructor', 'hasOwnProperty'], true]);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cbox-structs-nocodegen-'));
    const script = path.join(dir, 'run.mjs');
    writeFileSync(script, `
      import { load } from ${JSON.stringify(path.join(root, 'dist', 'index.js'))};
      import { binding } from ${JSON.stringify(path.join(root, 'wasm-modules', 'structs.js'))};
      import { scenario } from ${JSON.stringify(path.join(root, 'test', 'fixtures', 'structs-scenario.mjs'))};
      const lib = await load(binding, { logger: null });
      console.log(JSON.stringify(scenario(lib)));
    `);
    const run = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual(here);
  });
});

describe('cbox build checks the struct layouts against the headers', () => {
  const header = `#include <stdint.h>
struct point { int32_t x; double y; uint8_t tag; };
typedef struct { float f; struct point p; } holder_t;
int32_t point_x(const struct point *p);
`;
  const source = '#include "p.h"\nint32_t point_x(const struct point *p) { return p->x; }\n';

  async function buildWith(structs: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<unknown> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cbox-layout-'));
    writeFileSync(path.join(dir, 'p.h'), header);
    writeFileSync(path.join(dir, 'p.c'), source);
    writeFileSync(path.join(dir, 'cbox.json'), JSON.stringify({
      name: 'layout', sources: ['p.c'], headers: ['p.h'], structs, exports: { point_x: { params: ['p:struct:point'], result: 'i32' } }, ...extra,
    }));
    try {
      return await buildLibrary(path.join(dir, 'cbox.json'), { outDir: path.join(dir, 'out'), onProgress: () => {} });
    } catch (error) {
      return error;
    }
  }

  it('a field list that matches the header builds, and its layout is in the stamp', async () => {
    const built = await buildWith({ point: { c: 'struct point', fields: ['x:i32', 'y:f64', 'tag:u8'] }, holder: { c: 'holder_t', fields: ['f:f32', 'p:struct:point'] } }) as { stamp: { structs: unknown } };
    expect(built.stamp.structs).toEqual({
      point: { size: 24, align: 8, fields: [{ name: 'x', type: 'i32', offset: 0 }, { name: 'y', type: 'f64', offset: 8 }, { name: 'tag', type: 'u8', offset: 16 }] },
      holder: { size: 32, align: 8, fields: [{ name: 'f', type: 'f32', offset: 0 }, { name: 'p', type: 'struct:point', offset: 8 }] },
    });
  });

  it('a mismatch is refused at build, naming the struct, the field, the expected and the actual value', async () => {
    const error = await buildWith({ point: { c: 'struct point', fields: ['x:i32', 'y:f32', 'tag:u8'] } }) as Error;
    expect(error).toBeInstanceOf(CompileError);
    expect(error.message).toContain("the manifest's struct layouts differ from the C headers");
    expect(error.message).toContain('struct point (struct point): size: the manifest gives 12, the C header 24');
    expect(error.message).toContain('struct point (struct point) field y: size: the manifest gives 4, the C header 8');
    expect(error.message).toContain('struct point (struct point) field tag: offset: the manifest gives 8, the C header 16');
    const kind = await buildWith({ point: { c: 'struct point', fields: ['x:u32', 'y:i64', 'tag:i8'] } }) as Error;
    expect(kind.message).toContain('struct point field x: kind: the manifest gives an unsigned integer');
    expect(kind.message).toContain('struct point field y: kind: the manifest gives a signed integer');
    expect(kind.message).toContain('struct point field tag: kind: the manifest gives a signed integer');
    const missing = await buildWith({ point: { c: 'struct point', fields: ['x:i32', 'y:f64', 'label:u8'] } }) as Error;
    expect(missing.message).toMatch(/does not compile[\s\S]*no member named 'label' in 'struct point'/);
  });

  it('refuses in the manifest: an unknown struct, a cycle, a bad field, structs without headers, structs in "native"', async () => {
    const problems = (error: unknown): string => (error as Error).message;
    expect(problems(await buildWith({}))).toContain('"exports.point_x": struct:point names a struct that is not in "structs"');
    expect(problems(await buildWith({ point: { c: 'struct point', fields: ['a:struct:other'] }, other: { c: 'struct other', fields: ['b:struct:point'] } })))
      .toContain('"structs.point" contains itself');
    expect(problems(await buildWith({ point: { c: 'struct point; int evil', fields: ['x:i32'] } }))).toContain('"structs.point".c must name the C type');
    expect(problems(await buildWith(JSON.parse('{"__proto__": { "c": "struct point", "fields": ["x:i32"] }}') as Record<string, unknown>)))
      .toContain('"structs": "__proto__" is not a C identifier cbox can name a struct by');
    expect(problems(await buildWith({ point: { c: 'struct point', fields: ['x:i32', 'x:i32', '__proto__:i32', 'p:void*', 'b:bool[2]'] } })))
      .toMatch(/used twice[\s\S]*__proto__[\s\S]*unknown field type "void\*"[\s\S]*a fixed array of bool is not supported/);
    expect(problems(await buildWith({ point: { c: 'struct point', fields: ['x:i32', 'y:f64', 'tag:u8'] } }, { headers: [] })))
      .toContain('"headers" must list the C headers');
    expect(problems(await buildWith({ point: { c: 'struct point', fields: ['x:i32', 'y:f64', 'tag:u8'] } }, { native: ['point_x'] })))
      .toContain('"native": point_x has a struct parameter (struct:point), which the native glue does not support yet');
  });
});

describe('structs in the pool', () => {
  it('structs in and out, in/out scalars, views (arriving as a copy) and writable arrays (copied back into the caller\'s) work in worker threads; handles are refused with a typed error', async () => {
    const pool = await createPool(await bindingOf<StructsExports>('structs'), { threads: 1, logger: null });
    try {
      expect(await pool.point_sum({ x: 3, y: 0.25, tag: 200 })).toBe(203.25);
      expect({ ...await pool.point_make(-2, 1.5) }).toEqual({ x: -2, y: 1.5, tag: 7 });
      expect(await pool.shape_sum(shapeInput())).toBe(expectedShapeSum());
      expect({ ...await pool.inout_scale(1.5, 4, 2) }).toEqual({ result: 1.5, x: 3, big: 8 });
      const view = await pool.counting_bytes(5, 3);
      expect([...view]).toEqual([5, 6, 7]);
      expect(view.buffer.byteLength).toBe(3);
      await expect(pool.point_sum({ x: 1, y: 2 } as never)).rejects.toThrow('field tag is missing');
      // What C wrote into the worker's copy comes back into the caller's array, subarrays included.
      const squares = new Int32Array(6);
      expect(await pool.fill_squares(squares)).toBe(6);
      expect([...squares]).toEqual([0, 1, 4, 9, 16, 25]);
      const values = new Float64Array([1, 2, 3]).subarray(1);
      expect(await pool.scale_f64(values, 10)).toBe(50);
      expect([...new Float64Array(values.buffer)]).toEqual([1, 20, 30]);
      const dst = new Uint8Array(8);
      expect(await pool.fill_unsized(dst, 8)).toEqual({ capacity: 5 });
      expect(Buffer.from(dst.subarray(0, 5)).toString()).toBe('abcde');
      // An array the caller detaches while the call runs: that call fails with a typed error, the pool goes on.
      const moved = new Int32Array(4);
      const pending = pool.fill_squares(moved);
      structuredClone(moved.buffer, { transfer: [moved.buffer] });
      await expect(pending).rejects.toThrow(/fill_squares: what C wrote could not be copied back/);
      expect(await pool.fill_squares(new Int32Array(3))).toBe(3);
      // transfer would detach the very arrays the answer is copied into.
      await expect(pool.with({ transfer: true }).fill_squares(new Int32Array(2))).rejects.toThrow(/transfer would detach the arrays C writes/);
      await expect(pool.counter_open(1)).rejects.toMatchObject({ code: 'handle-export' });
    } finally {
      await pool.close();
    }
  });
});
