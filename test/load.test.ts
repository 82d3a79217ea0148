// Load-time checks: every mismatch between module, host and binding is refused before any call,
// with a message that names it.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CboxLoadError, CboxTrap, load, type Binding } from 'cbox';
import { abiHash, type ExportSignature } from '../runtime/abi.js';
import type { ZooExports } from '../wasm-modules/zoo.js';
import { ADD, ADD_WAT, fakeModule, refusal, stampOf } from './hand-made-module.js';
import { bindingOf, modulePath } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cbox-load-'));

describe('load', () => {
  it('loads a hand-made module that satisfies every check (the fixtures below differ in one thing each)', async () => {
    const lib = await load<{ add(a: number, b: number): number }>(await fakeModule(ADD_WAT, stampOf({ add: ADD })), { logger: null });
    expect(lib.add(40, 2)).toBe(42);
    lib.close();
  });

  it('loads by path, by URL, from bytes and from the binding alike', async () => {
    const binding = await bindingOf<ZooExports>('zoo');
    for (const source of [modulePath('zoo'), new URL(`file://${modulePath('zoo')}`), readFileSync(modulePath('zoo')), binding]) {
      const lib = await load<ZooExports>(source as unknown as Binding<ZooExports>, { logger: null });
      expect(lib.add(1, 2)).toBe(3);
      lib.close();
    }
  });

  it('refuses a file that is not wasm, a truncated one and corrupt bytes', async () => {
    const text = path.join(dir, 'notes.wasm');
    writeFileSync(text, 'just some text, not a module');
    expect((await refusal(load(text))).message).toMatch(/not a WebAssembly module \(no \\0asm header\)/);
    const bytes = readFileSync(modulePath('zoo'));
    const truncated = await refusal(load(bytes.subarray(0, bytes.length >> 1)));
    expect(truncated.code).toBe('truncated');
    expect(truncated.message).toMatch(/truncated: section \d+ claims \d+ bytes but the file ends \d+ bytes early/);
    const corrupt = new Uint8Array(await fakeModule(ADD_WAT, stampOf({ add: ADD })));
    corrupt[corrupt.indexOf(0x6a)] = 0xff; // i32.add -> an opcode that does not exist
    expect((await refusal(load(corrupt))).code).toBe('invalid-wasm');
    expect((await refusal(load(path.join(dir, 'absent.wasm')))).code).toBe('not-found');
    expect((await refusal(load(dir))).code).toBe('not-found'); // a folder
    expect((await refusal(load(new URL('https://example.com/x.wasm')))).code).toBe('not-found');
    expect((await refusal(load(42 as unknown as string))).code).toBe('bad-option');
  });

  it('refuses memory64 (the 32-bit DLL in a 64-bit process, the other way round)', async () => {
    const error = await refusal(load(await fakeModule('', stampOf({}), '(import "env" "memory" (memory i64 1))')));
    expect(error.code).toBe('memory64');
    expect(error.message).toMatch(/uses 64-bit memory \(memory64\); cbox runs wasm32 modules only/);
  });

  it('refuses a module that brings its own memory (the host could not set the limit)', async () => {
    const error = await refusal(load(await fakeModule('', stampOf({}), '(memory (export "memory") 2)')));
    expect(error.code).toBe('memory-not-imported');
  });

  it('refuses imports the host does not provide, naming them', async () => {
    const error = await refusal(load(await fakeModule('(import "env" "launch_missiles" (func)) (import "wasi_snapshot_preview1" "sock_teleport" (func))', stampOf({}))));
    expect(error.code).toBe('unknown-import');
    expect(error.message).toMatch(/env\.launch_missiles \(function\), wasi_snapshot_preview1\.sock_teleport \(function\)/);
  });

  it('refuses a stamp that puts the richer types where they cannot stand: abi-stamp-corrupt', async () => {
    const body = '(func (export "f") (param i32) (result i32) (local.get 0))';
    const stamps = [
      { params: ['i32[]'], paramNames: ['a'], result: 'i32[]' }, // an array result
      { params: ['cstring'], paramNames: ['a'], result: 'i32' }, // cstring as a parameter
      { params: ['out:i32'], paramNames: ['a'], result: 'out:i32' }, // an out result
      { params: ['out:i32'], paramNames: ['result'], result: 'i32' }, // an out-parameter named result beside a result
      { params: ['i32'], paramNames: ['a'], result: 'i32', free: 'free' }, // free without a cstring result
      { params: ['i32'], paramNames: ['a'], result: 'cstring', free: 'cbox_alloc' }, // free naming cbox's own function
    ];
    for (const signature of stamps) {
      const error = await refusal(load(await fakeModule(body, stampOf({ f: signature as unknown as ExportSignature }))));
      expect(error.code, JSON.stringify(signature)).toBe('abi-stamp-corrupt');
    }
  });

  it('refuses an owned cstring result whose release function the module lacks or mistypes', async () => {
    const TEXT: ExportSignature = { params: [], paramNames: [], result: 'cstring', free: 'text_free' };
    const body = '(func (export "text") (result i32) (i32.const 0))';
    const missing = await refusal(load(await fakeModule(body, stampOf({ text: TEXT }))));
    expect(missing.code).toBe('missing-export');
    expect(missing.message).toContain('text() -> cstring (released by text_free) needs an export text_free of wasm type (i32) -> ()');
    const mistyped = await refusal(load(await fakeModule(`${body} (func (export "text_free") (param i64))`, stampOf({ text: TEXT }))));
    expect(mistyped.code).toBe('missing-export');
    const lib = await load<{ text(): string | null }>(await fakeModule(`${body} (func (export "text_free") (param i32))`, stampOf({ text: TEXT })), { logger: null });
    expect(lib.text()).toBe(null);
    lib.close();
  });

  it('refuses a module without a cbox stamp, or with an edited one', async () => {
    expect((await refusal(load(await fakeModule(ADD_WAT, null)))).code).toBe('no-abi-stamp');
    const edited = { ...stampOf({ add: ADD }), exports: { add: { ...ADD, result: 'i64' as const } } };
    expect((await refusal(load(await fakeModule(ADD_WAT, edited)))).code).toBe('abi-stamp-corrupt');
    expect((await refusal(load(await fakeModule(ADD_WAT, stampOf({ add: ADD }, { abi: 99 }))))).message).toMatch(/built for cbox ABI 99/);
  });

  it('refuses an export the stamp promises but the module lacks', async () => {
    const error = await refusal(load(await fakeModule(ADD_WAT, stampOf({ add: ADD, sub: ADD }))));
    expect(error.code).toBe('missing-export');
    expect(error.message).toMatch(/expects an export sub\(i32, i32\) -> i32 that the module does not have/);
  });

  it('refuses an export whose wasm signature differs', async () => {
    const error = await refusal(load(await fakeModule('(func (export "add") (param i64) (result i64) (local.get 0))', stampOf({ add: ADD }))));
    expect(error.code).toBe('signature-mismatch');
    expect(error.message).toMatch(/add has wasm type \(i64\) -> \(i64\) but add\(i32, i32\) -> i32 needs \(i32, i32\) -> \(i32\)/);
  });

  it('refuses a binding whose ABI differs from the module, listing each difference', async () => {
    const zoo = await bindingOf<ZooExports>('zoo');
    const exports: Record<string, ExportSignature> = { ...zoo.stamp.exports, add: { params: ['i64', 'i64'], paramNames: ['a', 'b'], result: 'i64' } as ExportSignature, extra: ADD };
    const { greet: _dropped, ...withoutGreet } = exports;
    const staleStamp = { ...zoo.stamp, exports: withoutGreet };
    const stale: Binding<ZooExports> = { ...zoo, stamp: { ...staleStamp, hash: abiHash(staleStamp) } };
    const error = await refusal(load(stale));
    expect(error.code).toBe('abi-mismatch');
    expect(error.message).toContain('add: binding add(i64, i64) -> i64, module add(i32, i32) -> i32');
    expect(error.message).toContain('extra: in the binding, not in the module');
    expect(error.message).toContain('greet: in the module, not in the binding');
    // The hash covers the build settings (defect 12): the strict build is not the plain one's module.
    const strictMismatch = await refusal(load({ ...zoo, wasm: (await bindingOf<ZooExports>('zoo-strict')).wasm }));
    expect(strictMismatch.code).toBe('abi-mismatch');
    expect(strictMismatch.message).toContain('strict: binding says false, module says true');
    const kernels = await bindingOf('kernels');
    expect((await refusal(load({ ...kernels, wasm: zoo.wasm }))).message).toMatch(/library name: binding says kernels, module says zoo/);
  });
});

describe('the ABI hash covers the build settings (defect 12)', () => {
  it('a plain and a strict build of the same exports have different hashes, and reload will not swap one for the other', async () => {
    const plain = await bindingOf<ZooExports>('zoo');
    const strict = await bindingOf<ZooExports>('zoo-strict');
    expect(plain.stamp.exports).toEqual(strict.stamp.exports);
    expect(plain.stamp.hash).not.toBe(strict.stamp.hash);
    const lib = await load(plain, { logger: null });
    const error = await refusal(lib.reload(strict.wasm));
    expect(error.code).toBe('abi-mismatch');
    expect(error.message).toContain('strict: binding says false, module says true');
    expect(lib.stamp.strict).toBe(false);
    lib.close();
  });
});

describe('loadSync', () => {
  it('loads and calls without waiting, and shares the compiled module with load()', async () => {
    const { loadSync } = await import('cbox');
    const binding = await bindingOf<ZooExports>('zoo');
    const lib = loadSync(binding);
    expect(lib.add(2, 3)).toBe(5);
    const asyncLib = await load(binding);
    expect(asyncLib.stamp).toBe(lib.stamp);
    lib.close();
    asyncLib.close();
  });

  it('refuses the same bad modules with the same typed errors', async () => {
    const { loadSync } = await import('cbox');
    expect(() => loadSync(new Uint8Array([1, 2, 3, 4]))).toThrow(CboxLoadError);
    expect(() => loadSync(modulePath('zoo'), { engine: 'auto' })).toThrow(/engine 'auto'/);
  });
});

describe('a WebAssembly exception out of an export', () => {
  it('is a CboxTrap (kind wasm-exception), the sandbox recycles and the next call works', async () => {
    const exports = { boom: { params: [], paramNames: [], result: 'void' }, add: ADD } satisfies Record<string, ExportSignature>;
    const wasm = await fakeModule(`(tag $oops) (func (export "boom") (throw $oops)) ${ADD_WAT}`, stampOf(exports));
    const lib = await load<{ boom(): void; add(a: number, b: number): number }>(wasm, { logger: null });
    const error = await Promise.resolve().then(() => lib.boom()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CboxTrap);
    expect((error as CboxTrap).kind).toBe('wasm-exception');
    expect(lib.add(2, 3)).toBe(5);
    expect(lib.stats().traps['wasm-exception']).toBe(1);
    lib.close();
  });
});

describe('a module whose memory import declares a maximum', () => {
  it('runs under that maximum when it is below the limit, and stats() says so', async () => {
    const lib = await load<{ add(a: number, b: number): number }>(await fakeModule(ADD_WAT, stampOf({ add: ADD }), '(import "env" "memory" (memory 2 3))'), { logger: null, memoryLimit: '16MiB' });
    expect(lib.add(1, 2)).toBe(3);
    expect(lib.stats().memory.limit).toBe(3 * 65536);
    lib.close();
  });
});
