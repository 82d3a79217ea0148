// Callbacks on real C built by `cbox build` (c-src/callbacks: plain C APIs taking function
// pointers, no glue): JS functions called while C runs, with every argument kind; callbacks C
// stores; calls back into the library; exceptions, wrong answers and hostile pointers ending the
// call cleanly; the pool's refusal; start-up code refused; hostile stamps and imports refused.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CboxArgumentError, CboxCallError, CboxError, CboxLoadError, CboxTrap, createPool, load, loadSync, type Library } from 'cbox';
import type { CallbacksExports } from '../wasm-modules/callbacks.js';
import { bindingOf, root, thrownBy } from './helpers.js';
import { ADD, ADD_WAT, fakeModule, refusal, stampOf } from './hand-made-module.js';
import { parseManifest } from '../build/manifest.js';

const opened: Library<unknown>[] = [];
afterAll(() => { for (const lib of opened) lib.close(); });

async function open(): Promise<Library<CallbacksExports>> {
  const lib = await load(await bindingOf<CallbacksExports>('callbacks'), { logger: null });
  opened.push(lib as Library<unknown>);
  return lib;
}

describe('callbacks: C calls a JS function while it runs', () => {
  it('calls the function once per item with its declared arguments (userdata is not passed) and uses its answers', async () => {
    const lib = await open();
    const seen: unknown[][] = [];
    const sum = lib.each_item(new Int32Array([1, -2, 30]), (...args) => { seen.push(args); return (args[0] as number) * 10; });
    expect(sum).toBe(290);
    expect(seen).toEqual([[1], [-2], [30]]);
  });

  it('passes text (pointer and length) as a string, UTF-8 decoded', async () => {
    const lib = await open();
    const words: string[] = [];
    expect(lib.split_words('  héllo wörld ✓  ', (word) => { words.push(word); })).toBe(3);
    expect(words).toEqual(['héllo', 'wörld', '✓']);
  });

  it('passes bytes as a Uint8Array copy and takes a boolean answer', async () => {
    const lib = await open();
    const copies: Uint8Array[] = [];
    expect(lib.count_kept('a bb ccc dddd', (data) => { copies.push(data); return data.length % 2 === 0; })).toBe(2);
    expect(copies.map((data) => new TextDecoder().decode(data))).toEqual(['a', 'bb', 'ccc', 'dddd']);
    expect(copies.every((data) => data instanceof Uint8Array && data.buffer.byteLength === data.length)).toBe(true);
  });

  it('passes every scalar kind exactly (u32, i53, u64 as bigint, f32, f64, bool) and takes an f64 answer', async () => {
    const lib = await open();
    let args: unknown[] = [];
    expect(lib.mix((...values) => { args = values; return 42.5; })).toBe(42.5);
    expect(args).toEqual([4_000_000_000, -Number.MAX_SAFE_INTEGER, 2n ** 64n - 1n, 1.5, 2.25, true]);
  });

  it('keeps a callback C stores working across calls until it is replaced, and C sees NULL for null', async () => {
    const lib = await open();
    const lines: string[] = [];
    lib.set_logger((level, message) => { lines.push(`${level}:${message}`); });
    expect(lib.log_twice('one')).toBe(2);
    expect(lib.log_twice('two')).toBe(2);
    lib.set_logger((level) => { lines.push(`new ${level}`); });
    expect(lib.log_twice('three')).toBe(2);
    lib.set_logger(null);
    expect(lib.log_twice('four')).toBe(0);
    expect(lines).toEqual(['1:one', '2:one', '1:two', '2:two', 'new 1', 'new 2']);
  });

  it('lets a callback call the library again: a handle C passes works, and the interrupted call\'s arguments stay intact', async () => {
    const lib = await open();
    expect(lib.with_counter(5, (counter) => { lib.counter_add(counter!, 7); lib.counter_add(counter!, 30); })).toBe(42);
    const text = 'the interrupted call holds this text in the arena '.repeat(40);
    const quiet = lib.checksum_after(text, () => {});
    // Nested calls marshal strings of their own (and call callbacks of their own) while C still reads `text`.
    const busy = lib.checksum_after(text, () => {
      for (let i = 0; i < 5; i++) expect(lib.split_words('nested words '.repeat(200), () => {})).toBe(400);
    });
    expect(busy).toBe(quiet);
    expect(lib.stats().recycles).toBe(0);
  });
});

describe('callbacks in a struct (function-pointer fields, as parser APIs take them)', () => {
  it('calls the functions of a struct passed in; null fields are NULL to C; arguments and answers cross as for parameters', async () => {
    const lib = await open();
    const seen: unknown[] = [];
    const sum = lib.visit('12 apples and 30 pears', {
      limit: 10, on_number: (value) => value * 2, on_word: (word) => { seen.push(word); }, on_token: (kind) => { seen.push(kind); },
    });
    expect(sum).toBe(84);
    expect(seen).toEqual([1, 2, 'apples', 2, 'and', 1, 2, 'pears']);
    expect(lib.visit('1 2 3', { limit: 2, on_number: (value) => value, on_word: null, on_token: null })).toBe(3);
  });

  it('keeps working when C keeps a copy of the struct, until another struct replaces the functions', async () => {
    const lib = await open();
    lib.keep_visitor({ limit: 5, on_number: (value) => value + 100, on_word: null, on_token: null });
    expect(lib.visit_kept('1 2')).toBe(203);
    expect(lib.visit_kept('5')).toBe(105);
    lib.visit('7', { limit: 1, on_number: (value) => -value, on_word: null, on_token: null });
    // The slot belongs to the field: C's kept copy now reaches the function passed last.
    expect(lib.visit_kept('5')).toBe(-5);
  });

  it('refuses a field that is not a function (naming it) before C runs, and a struct missing a callback field', async () => {
    const lib = await open();
    const badField = thrownBy(() => lib.visit('1', { limit: 1, on_number: 5 as unknown as null, on_word: null, on_token: null }));
    expect(badField).toBeInstanceOf(CboxArgumentError);
    expect((badField as Error).message).toBe('visit: argument 2 (visitor: struct:visitor) field on_number must be a function, or null, got 5');
    const missing = thrownBy(() => lib.visit('1', { limit: 1, on_number: null, on_word: null } as never));
    expect((missing as Error).message).toMatch(/field on_token is missing/);
  });

  it('a pool refuses an export taking a struct of callbacks; the manifest refuses such a struct as an out-parameter', async () => {
    const pool = await createPool(await bindingOf<CallbacksExports>('callbacks'), { threads: 1, logger: null });
    try {
      const error = await (pool as unknown as { visit(...args: unknown[]): Promise<number> }).visit('1', { limit: 1, on_number: null, on_word: null, on_token: null }).catch((e: unknown) => e);
      expect((error as CboxError).code).toBe('callback-export');
    } finally {
      await pool.close();
    }
    const manifest = JSON.parse(readFileSync(path.join(root, 'c-src', 'callbacks', 'cbox.json'), 'utf8')) as Record<string, unknown>;
    const problems = (() => {
      try {
        parseManifest({ ...manifest, exports: { visit: { params: ['text:string', 'visitor:out:struct:visitor'], result: 'i32' } } }, path.join(root, 'c-src', 'callbacks'));
        return [];
      } catch (error) {
        return (error as { problems: string[] }).problems;
      }
    })();
    expect(problems).toEqual(['"exports.visit": out:struct:visitor: struct visitor holds callbacks, so it can only be passed in (struct:visitor)']);
  });
});

describe('callbacks that fail end the C call cleanly', () => {
  it('gives the caller the exception the callback threw, recycles the sandbox (C was unwound) and goes on', async () => {
    const lib = await open();
    const recycles: string[] = [];
    lib.on('recycle', ({ reason }) => recycles.push(reason));
    lib.set_logger(() => {});
    const boom = new Error('boom');
    expect(thrownBy(() => lib.each_item(new Int32Array([1, 2]), () => { throw boom; }))).toBe(boom);
    expect(recycles).toEqual(['a callback threw through C in each_item']);
    // A fresh instance: C's static state is new, so the stored logger is gone with it.
    expect(lib.log_twice('after')).toBe(0);
    expect(lib.each_item(new Int32Array([4]), (value) => value)).toBe(4);
  });

  it('refuses an answer of the wrong type with CboxArgumentError and recycles', async () => {
    const lib = await open();
    const error = thrownBy(() => lib.each_item(new Int32Array([1]), () => 'seven' as unknown as number));
    expect(error).toBeInstanceOf(CboxArgumentError);
    expect((error as Error).message).toBe('each_item\'s callback fn must return an integer from -2147483648 to 2147483647, got "seven"');
    expect(thrownBy(() => lib.count_kept('a', () => 1 as unknown as boolean))).toBeInstanceOf(CboxArgumentError);
    expect(lib.stats().recycles).toBe(2);
    expect(lib.each_item(new Int32Array([2, 3]), (value) => value)).toBe(5);
  });

  it('refuses text C passes from outside the memory (CboxCallError bad-result), never reading it', async () => {
    const lib = await open();
    let called = false;
    const error = thrownBy(() => lib.bad_text(() => { called = true; }));
    expect(error).toBeInstanceOf(CboxCallError);
    expect((error as CboxCallError).code).toBe('bad-result');
    expect(called).toBe(false);
    expect(lib.split_words('ok', () => {})).toBe(1);
  });

  it('a trap after a callback is a CboxTrap; a trap inside a call the callback made reaches the caller too', async () => {
    const lib = await open();
    expect(thrownBy(() => lib.trap_after(() => 1))).toBeInstanceOf(CboxTrap);
    const nested = thrownBy(() => lib.each_item(new Int32Array([1]), () => { lib.trap_after(() => 1); return 0; }));
    expect(nested).toBeInstanceOf(CboxTrap);
    expect((nested as CboxTrap).function).toBe('trap_after');
    // Caught inside the callback: C below it must not go on in the dead instance.
    const caught = thrownBy(() => lib.each_item(new Int32Array([1]), () => { try { lib.trap_after(() => 1); } catch { /* swallowed */ } return 0; }));
    expect(caught).toBeInstanceOf(CboxCallError);
    expect((caught as CboxCallError).code).toBe('recycled-in-callback');
    expect(lib.each_item(new Int32Array([6]), (value) => value)).toBe(6);
  });

  it('a NULL function pointer called by C is a trap, not a host crash', async () => {
    const lib = await open();
    const trap = thrownBy(() => lib.each_item(new Int32Array([1]), null));
    expect(trap).toBeInstanceOf(CboxTrap);
    expect(lib.each_item(new Int32Array([1]), (value) => value + 1)).toBe(2);
  });

  it('refuses a callback argument that is not a function before C runs', async () => {
    const lib = await open();
    const before = lib.words_seen();
    for (const bad of [5, 'fn', {}, undefined]) {
      const error = thrownBy(() => lib.split_words('a b', bad as unknown as () => void));
      expect(error).toBeInstanceOf(CboxArgumentError);
      expect((error as Error).message).toMatch(/^split_words: argument 2 \(fn: callback\(word:text,userdata:userdata\)\) must be a function, or null, got /);
    }
    expect(lib.words_seen()).toBe(before);
  });
});

describe('where callbacks are refused', () => {
  it('a pool refuses exports with callbacks (CboxError callback-export) and serves the rest', async () => {
    const pool = await createPool(await bindingOf<CallbacksExports>('callbacks'), { threads: 1, logger: null });
    try {
      const error = await (pool as unknown as { each_item(...args: unknown[]): Promise<number> }).each_item(new Int32Array([1]), () => 1).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CboxError);
      expect((error as CboxError).code).toBe('callback-export');
      expect(await pool.words_seen()).toBe(0);
    } finally {
      await pool.close();
    }
  });

  it('start-up code calling a callback import fails the load (no call is in progress), with load and loadSync', async () => {
    const binding = await bindingOf('callback-start');
    const trial = await refusal(load(binding));
    expect(trial.code).toBe('init-failed');
    expect(trial.message).toContain('outside a call');
    const sync = thrownBy(() => loadSync(binding));
    expect(sync).toBeInstanceOf(CboxLoadError);
    expect((sync as CboxLoadError).message).toContain('outside a call');
  });

  const CALLBACK = { params: ['callback(value:i32)->i32'], paramNames: ['fn'], result: 'i32' } as const;
  const POINTER_WAT = '(func (export "cbox_callback_pointer") (param i32) (result i32) (i32.const 0))';
  const APPLY_WAT = '(func (export "apply") (param i32) (result i32) (i32.const 0))';

  it('refuses a stamp whose callback type is not in canonical form (abi-stamp-corrupt)', async () => {
    const stamp = stampOf({ apply: { ...CALLBACK, params: ['callback( value:i32 )->i32'] } });
    expect((await refusal(load(await fakeModule(`${APPLY_WAT} ${POINTER_WAT}`, stamp)))).code).toBe('abi-stamp-corrupt');
  });

  it('refuses a callback import whose wasm type differs from the stamp\'s, or a slot the stamp does not have (unknown-import)', async () => {
    const stamp = stampOf({ apply: CALLBACK });
    const wrongType = `(import "cbox_callback" "0" (func (param i64) (result i32))) ${APPLY_WAT} ${POINTER_WAT}`;
    expect((await refusal(load(await fakeModule(wrongType, stamp)))).code).toBe('unknown-import');
    const extraSlot = `(import "cbox_callback" "1" (func (param i32) (result i32))) ${APPLY_WAT} ${POINTER_WAT}`;
    expect((await refusal(load(await fakeModule(extraSlot, stamp)))).code).toBe('unknown-import');
    const noCallbacks = `(import "cbox_callback" "0" (func (param i32) (result i32))) ${ADD_WAT}`;
    expect((await refusal(load(await fakeModule(noCallbacks, stampOf({ add: ADD }))))).code).toBe('unknown-import');
  });

  it('refuses a stamp whose struct has a callback field not in canonical form (abi-stamp-corrupt)', async () => {
    const VISIT = { params: ['struct:v'], paramNames: ['v'], result: 'i32' } as const;
    const structs = { v: { size: 4, align: 4, fields: [{ name: 'f', type: 'callback( a:i32 )', offset: 0 }] } };
    const stamp = stampOf({ visit: VISIT }, { structs } as never);
    expect((await refusal(load(await fakeModule(`${APPLY_WAT.replace('"apply"', '"visit"')} ${POINTER_WAT}`, stamp)))).code).toBe('abi-stamp-corrupt');
  });

  it('refuses a module with callbacks but no cbox_callback_pointer export (missing-export)', async () => {
    const stamp = stampOf({ apply: CALLBACK });
    expect((await refusal(load(await fakeModule(APPLY_WAT, stamp)))).code).toBe('missing-export');
  });
});

describe('callbacks without code generation', () => {
  it('work the same under node --disallow-code-generation-from-strings (closure trampolines)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cbox-callbacks-nocodegen-'));
    const script = path.join(dir, 'run.mjs');
    writeFileSync(script, `
      import { load } from ${JSON.stringify(path.join(root, 'dist', 'index.js'))};
      import { binding } from ${JSON.stringify(path.join(root, 'wasm-modules', 'callbacks.js'))};
      const lib = await load(binding, { logger: null });
      const words = [];
      const answers = [lib.each_item(new Int32Array([1, 2]), (v) => v * 3), lib.split_words('héllo x', (w) => { words.push(w); })];
      let mixed = [];
      answers.push(lib.mix((...a) => { mixed = a.map(String); return 1.5; }));
      answers.push(lib.with_counter(1, (c) => lib.counter_add(c, 2)));
      answers.push(lib.count_kept('aa b', (d) => d.length === 2));
      const tokens = [];
      answers.push(lib.visit('4 x', { limit: 5, on_number: (v) => v * 10, on_word: (w) => { tokens.push(w); }, on_token: (k) => { tokens.push(k); } }));
      answers.push(tokens);
      const codes = [];
      for (const call of [() => lib.each_item(new Int32Array([1]), () => 'x'), () => lib.bad_text(() => {}), () => lib.each_item(new Int32Array([1]), () => { throw new Error('boom'); })]) {
        try { call(); codes.push('none'); } catch (error) { codes.push(error.code ?? error.message); }
      }
      console.log(JSON.stringify([...answers, words, mixed, codes, lib.stats().recycles]));
    `);
    const run = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual([9, 2, 1.5, 3, 1, 40, [1, 2, 'x'], ['héllo', 'x'], ['4000000000', String(-Number.MAX_SAFE_INTEGER), String(2n ** 64n - 1n), '1.5', '2.25', 'true'], ['bad-argument', 'bad-result', 'boom'], 3]);
  });
});
