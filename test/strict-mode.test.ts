// Strict mode (-fsanitize=null,pointer-overflow) on real C built here: NULL + offset arithmetic
// (what LZ4 does on inputs over 64 KiB) is reported as what it is, with the library's function
// first in the C stack, and the two documented ways to opt code out of the check work.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { load } from 'cbox';
import { buildLibrary } from '../build/build-library.js';
import { trapOf } from './helpers.js';

const SOURCE = `#include <stddef.h>
#include <stdint.h>
static const char *volatile nothing = NULL;

__attribute__((noinline)) static const char *skip_ahead(const char *base, int32_t n) { return base + n; }
int32_t offset_from_null(int32_t n) { return skip_ahead(nothing, n) != NULL; }

__attribute__((noinline, no_sanitize("pointer-overflow"))) static const char *skip_unchecked(const char *base, int32_t n) { return base + n; }
int32_t offset_from_null_unchecked(int32_t n) { return skip_unchecked(nothing, n) != NULL; }
`;
const EXPORTS = { offset_from_null: { params: ['n:i32'], result: 'i32' }, offset_from_null_unchecked: { params: ['n:i32'], result: 'i32' } };

interface Offsets { offset_from_null(n: number): number; offset_from_null_unchecked(n: number): number }

async function built(manifest: object): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cbox-strict-'));
  writeFileSync(path.join(dir, 'offsets.c'), SOURCE);
  writeFileSync(path.join(dir, 'cbox.json'), JSON.stringify({ name: 'offsets', sources: ['offsets.c'], exports: EXPORTS, ...manifest }));
  return (await buildLibrary(path.join(dir, 'cbox.json'), { outDir: path.join(dir, 'out'), strict: true })).wasmFile;
}


describe('strict mode: NULL + offset', () => {
  it('is reported as pointer arithmetic on NULL, not a NULL dereference, with the library function first', async () => {
    const lib = await load<Offsets>(await built({}), { logger: null });
    const trap = trapOf(() => lib.offset_from_null(65536));
    expect(trap.kind).toBe('out-of-bounds');
    expect(trap.message).toMatch(/pointer arithmetic on NULL: a non-zero offset added to a NULL pointer/);
    expect(trap.cStack[0]).toBe('skip_ahead');
    expect(trap.cStack.filter((frame) => /^(cbox_|__ubsan_)/.test(frame))).toEqual([]);
    // A function marked no_sanitize("pointer-overflow") opts out in the same strict build.
    expect(lib.offset_from_null_unchecked(65536)).toBe(1);
    lib.close();
  });

  it('a library opts out of the check with "cflags": ["-fno-sanitize=pointer-overflow"]', async () => {
    const lib = await load<Offsets>(await built({ cflags: ['-fno-sanitize=pointer-overflow'] }), { logger: null });
    expect(lib.offset_from_null(65536)).toBe(1);
    lib.close();
  });
});
