// `cbox build`'s native addon on a library made for it: every manifest type through the generated
// glue, cbox.h's answers (including the wrong ones) on both engines, symbols that clash with the
// zlib inside the node binary, and --no-native.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CboxLoadError, load, type Binding, type Library } from 'cbox';
import { buildLibrary } from '../build/build-library.js';

const SOURCE = `#include <stdint.h>
#include <string.h>
#include "cbox.h"
float half(float x) { return x / 2; }
uint32_t flip(int flag, uint32_t bits) { return flag ? ~bits : bits; }
int64_t widen(int32_t a, int64_t b) { return (int64_t)a * b; }
/* Named like zlib's exports in the node binary: the addon must call these, not Node's. */
uint32_t crc32(const uint8_t *data, size_t len) { (void)data; return 7000u + (uint32_t)len; }
uint32_t adler32(const uint8_t *data, size_t len) { (void)data; return 9000u + (uint32_t)len; }
/* Scratch from cbox_alloc in a call with no buffers: released by the glue all the same. */
uint32_t scratch_sum(uint32_t n) {
    uint32_t *values = cbox_alloc((size_t)n * sizeof *values), total = 0;
    if (!values) return 0;
    for (uint32_t i = 0; i < n; i++) values[i] = i;
    for (uint32_t i = 0; i < n; i++) total += values[i];
    return total;
}
void fixed(cbox_out *out) { static const uint8_t data[] = { 1, 2, 3 }; cbox_return_bytes(out, data, sizeof data); }
void silent(cbox_out *out) { (void)out; }
void not_utf8(cbox_out *out) { static const char text[] = { 'a', (char)0xC3, 0 }; cbox_return_string(out, text); }
void nothing(void) {}
`;

const MANIFEST = {
  name: 'alltypes',
  sources: ['alltypes.c'],
  exports: {
    half: { params: ['x:f32'], result: 'f32' },
    flip: { params: ['flag:bool', 'bits:u32'], result: 'u32' },
    widen: { params: ['a:i32', 'b:i64'], result: 'i64' },
    crc32: { params: ['data:bytes'], result: 'u32' },
    adler32: { params: ['data:bytes'], result: 'u32' },
    scratch_sum: { params: ['n:u32'], result: 'u32' },
    fixed: { params: [], result: 'bytes' },
    silent: { params: [], result: 'bytes' },
    not_utf8: { params: [], result: 'string' },
    nothing: { params: [], result: 'void' },
  },
};

type AllTypes = Record<string, (...args: any[]) => unknown>;

async function buildInto(native: boolean): Promise<Binding<AllTypes>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cbox-native-build-'));
  writeFileSync(path.join(dir, 'alltypes.c'), SOURCE);
  writeFileSync(path.join(dir, 'cbox.json'), JSON.stringify({ ...MANIFEST, native: Object.keys(MANIFEST.exports) }));
  const result = await buildLibrary(path.join(dir, 'cbox.json'), { outDir: path.join(dir, 'out'), native });
  expect(existsSync(path.join(dir, 'out', 'alltypes.node'))).toBe(native);
  return (await import(pathToFileURL(result.bindingFile).href) as { binding: Binding<AllTypes> }).binding;
}

describe('the native addon of a library with every type', () => {
  let wasm: Library<AllTypes>;
  let native: Library<AllTypes>;
  beforeAll(async () => {
    const binding = await buildInto(true);
    wasm = await load(binding, { logger: null });
    native = await load(binding, { engine: 'native' });
  });
  afterAll(() => {
    wasm.close();
    native.close();
  });

  const outcome = (call: () => unknown): unknown => {
    try {
      return { value: call() };
    } catch (error) {
      return { name: (error as Error).name, message: (error as Error).message, code: (error as { code?: unknown }).code };
    }
  };

  it.each([
    ['half', [3]], ['half', [1e40]], ['half', [Number.NaN]], ['half', ['3']],
    ['flip', [true, 0]], ['flip', [false, 4294967295]], ['flip', [1, 0]], ['flip', [true, -1]],
    ['widen', [-2147483648, 4294967296n]], ['widen', [3, -(2n ** 63n)]], ['widen', [1, 2]],
    ['crc32', [new Uint8Array(5)]], ['adler32', [new Uint8Array()]],
    ['scratch_sum', [1000]], ['scratch_sum', [300_000]],
    ['fixed', []], ['silent', []], ['not_utf8', []], ['nothing', []],
  ] as const)('%s(%o) answers the same on both engines', (fn, args) => {
    expect(outcome(() => native[fn]!(...args))).toEqual(outcome(() => wasm[fn]!(...args)));
  });

  it('calls its own crc32 and adler32, not the ones the node binary exports', () => {
    expect(native.crc32!(new Uint8Array(5))).toBe(7005);
    expect(native.adler32!(new Uint8Array(3))).toBe(9003);
  });
});

describe('--no-native', () => {
  it('builds no addon, and engine native says what to do', async () => {
    const binding = await buildInto(false);
    const error = await load(binding, { engine: 'native' }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(CboxLoadError);
    expect((error as CboxLoadError).message).toMatch(/alltypes\.node is missing: rebuild with `cbox build` \(without --no-native\)/);
  });
});
