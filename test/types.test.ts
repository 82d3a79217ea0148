// The manifest's richer types on real C built by `cbox build` (c-src/types: plain C functions, no
// cbox.h glue): each one crosses with the JS shape the README gives it, on the wasm engine with
// and without code generation and on the native engine, and a value that does not fit is refused
// before C runs (arguments) or instead of being rounded (results).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CboxArgumentError, CboxCallError, load, type Library } from 'cbox';
import { ComponentMappingError, generateWit } from '../build/component/wit.js';
import { readManifest } from '../build/manifest.js';
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
  it('generated declarations type i53/u53 as number', async () => {
    const dts = (await import('node:fs')).readFileSync(path.join(root, 'wasm-modules/types.d.ts'), 'utf8');
    expect(dts).toContain('i53_add(a: number, b: number): number;');
    expect(dts).toContain('u53_pow2(bits: number): number;');
  });

  it('cbox build --component refuses i53/u53 by name (no WIT mapping: s64 would be a bigint there)', () => {
    const manifest = readManifest(path.join(root, 'c-src/types/cbox.json'));
    expect(() => generateWit(manifest)).toThrow(ComponentMappingError);
    expect(() => generateWit(manifest)).toThrow('"exports.i53_add.params[0]": the type "i53" has no WIT mapping yet');
    expect(() => generateWit(manifest)).toThrow('"exports.u53_pow2.result": the type "u53" has no WIT mapping yet');
  });

  it('work under node --disallow-code-generation-from-strings (the closure invoker)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cbox-types-nocodegen-'));
    const script = path.join(dir, 'run.mjs');
    writeFileSync(script, `
      import { load } from ${JSON.stringify(path.join(root, 'dist', 'index.js'))};
      import { binding } from ${JSON.stringify(path.join(root, 'wasm-modules', 'types.js'))};
      const lib = await load(binding, { logger: null });
      const codes = [];
      for (const call of [() => lib.u53_pow2(53), () => lib.i53_add(2 ** 53, 0), () => lib.u53_add(-1, 0), () => lib.i53_add(1n, 0)]) {
        try { call(); codes.push('none'); } catch (error) { codes.push(error.code); }
      }
      console.log(JSON.stringify([lib.i53_add(2 ** 52, 2 ** 52 - 1), lib.u53_add(1, 2), lib.i53_neg_pow2(52), ...codes]));
    `);
    const run = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual([MAX, 3, -(2 ** 52), 'bad-result', 'bad-argument', 'bad-argument', 'bad-argument']);
  });
});
