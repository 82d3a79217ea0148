// `cbox build --component` on the real zoo and kernels libraries: the components validate, jco
// transpiles them, every export answers from Node as it does through load(), a trap is an error
// the host survives, and a manifest entry without a WIT mapping is refused by name.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { componentWit } from '@bytecodealliance/jco';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CboxCallError, CboxTrap, load, type Library } from 'cbox';
import type { KernelsExports } from '../wasm-modules/kernels.js';
import type { ZooExports } from '../wasm-modules/zoo.js';
import { ComponentExitError, transpileComponentFile, type TranspiledComponent } from '../build/component/jco-host.js';
import { ComponentMappingError, generateWit } from '../build/component/wit.js';
import { readManifest } from '../build/manifest.js';
import { bindingOf, root } from './helpers.js';

const cli = path.join(root, 'dist/cli.js');
const outDir = mkdtempSync(path.join(os.tmpdir(), 'cbox-component-'));
type Exports = Record<string, (...args: any[]) => any>;

let zoo: Library<ZooExports>;
let kernels: Library<KernelsExports>;
const transpiled: Record<string, TranspiledComponent> = {};

beforeAll(async () => {
  // Built once for the file, by the CLI as a user runs it.
  const run = spawnSync(process.execPath, [cli, 'build', 'c-src/zoo/cbox.json', 'c-src/kernels/cbox.json', '--component', '--no-native', '--quiet', '--out', outDir],
    { cwd: root, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  for (const name of ['zoo', 'kernels']) transpiled[name] = await transpileComponentFile(path.join(outDir, `${name}.component.wasm`), path.join(outDir, `${name}-js`));
  zoo = await load(await bindingOf<ZooExports>('zoo'), { memoryLimit: '32MiB', logger: null });
  kernels = await load(await bindingOf<KernelsExports>('kernels'), { logger: null });
});
afterAll(() => {
  zoo.close();
  kernels.close();
});

/** The component's functions under their C names (jco spells sum-u64 as sumU64). */
function byCName(instance: Record<string, Exports>, library: string): Exports {
  const functions = instance[library]!;
  const exports: Exports = {};
  for (const [name, fn] of Object.entries(functions)) exports[name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)] = fn;
  return exports;
}

/** What a call gave: its value, or the message it failed with (cbox's CboxCallError, the component's err). */
function outcome(call: () => unknown): unknown {
  try {
    return { value: call() };
  } catch (error) {
    if (error instanceof CboxCallError) return { error: error.message.slice(error.message.indexOf(': ') + 2) };
    if (error instanceof Error && 'payload' in error) return { error: (error as { payload: unknown }).payload };
    throw error;
  }
}

describe('cbox build --component', () => {
  it('writes the WIT world generated from the manifest and a component that embeds it', async () => {
    const wit = readFileSync(path.join(outDir, 'zoo.wit'), 'utf8');
    expect(wit).toBe(generateWit(readManifest(path.join(root, 'c-src/zoo/cbox.json'))).text);
    expect(wit).toContain('greet: func(name: string) -> result<string, string>;');
    expect(wit).toContain('counter-add: func(counter: borrow<handle>, delta: s64) -> s64;');
    expect(wit).toContain('counter-new: func(start: s64) -> option<handle>;');
    expect(wit).toContain('resource handle;');
    // jco decodes (and so validates) both components; each exports its library interface.
    for (const name of ['zoo', 'kernels']) {
      const decoded = await componentWit(new Uint8Array(readFileSync(path.join(outDir, `${name}.component.wasm`))));
      expect(decoded).toContain(`export cbox:${name}/${name};`);
    }
  });

  it('refuses a manifest entry that has no WIT mapping, naming it, before compiling (CLI exit code 1)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cbox-component-refused-'));
    writeFileSync(path.join(dir, 'lib.c'), 'int getValue(void) { return 1; }\n');
    writeFileSync(path.join(dir, 'cbox.json'), JSON.stringify({ name: 'refused', sources: ['lib.c'], exports: { getValue: { params: [], result: 'i32' } } }));
    const run = spawnSync(process.execPath, [cli, 'build', path.join(dir, 'cbox.json'), '--component', '--out', path.join(dir, 'out'), '--quiet'], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('"exports.getValue": the name has no WIT name');
  });

  it('refuses a value type with no WIT mapping, naming the export and the type', () => {
    // Every type the manifest knows today has a mapping; a new one (issue 13) is refused until it gets one.
    const manifest = { name: 'future', exports: { take: { params: ['point' as never], paramNames: ['p'], result: 'void' as const } } };
    expect(() => generateWit(manifest)).toThrow(ComponentMappingError);
    expect(() => generateWit(manifest)).toThrow('"exports.take.params[0]": the type "point" has no WIT mapping yet');
  });
});

// The crash fixtures: each traps through load() and throws in the transpiled host, which lives on.
const CRASHES: [fn: keyof ZooExports & string, args: unknown[]][] = [
  ['crash_oob_write', []], ['crash_stack_overflow', [-1]], ['crash_abort', []], ['crash_exit', [3]], ['crash_trap', []],
  ['crash_div_zero', [1, 0]], ['crash_int_overflow', [-2147483648, -1]], ['crash_bad_indirect_call', []], ['crash_oom', []],
  ['crash_double_free', []],
];
describe('zoo as a component, called from Node through jco, answers as load() does', () => {
  let component: Exports;
  beforeAll(async () => { component = byCName(await transpiled.zoo!.instantiate(), 'zoo'); });

  const CALLS: [fn: keyof ZooExports & string, args: unknown[]][] = [
    ['add', [2, 3]], ['add', [-2147483648, -1]], ['sum_u64', [2n ** 64n - 1n, 2n]], ['mul_f64', [1.5, -4]],
    ['is_even', [10]], ['is_even', [7]], ['echo', [new Uint8Array([0, 1, 255])]], ['echo', [new Uint8Array(0)]],
    ['greet', ['wörld ✓']], ['greet', ['']], ['fail_with', ['no such thing']], ['say', ['from the component']],
    ['alloc_until_null', [1024 * 1024]], ['crash_null_write', []],
  ];
  it.each(CALLS)('%s (call %#)', (fn, args) => {
    expect(outcome(() => component[fn]!(...args))).toEqual(outcome(() => (zoo[fn] as (...a: unknown[]) => unknown)(...args)));
  });

  it('handles: counter_new gives a resource, counter_add/counter_free take it borrowed', () => {
    const ours = zoo.counter_new(40n)!;
    const theirs = component.counter_new!(40n);
    expect(zoo.counter_add(ours, 2n)).toBe(42n);
    expect(component.counter_add!(theirs, 2n)).toBe(zoo.counter_add(ours, 0n));
    zoo.counter_free(ours);
    component.counter_free!(theirs);
    theirs[Symbol.dispose]?.();
  });

  it('spin is the one export not called: it loops until a deadline, and a plain component host has none', () => {
    const called = new Set([...CALLS.map(([fn]) => fn), ...CRASHES.map(([fn]) => fn), 'counter_new', 'counter_add', 'counter_free']);
    expect(Object.keys(zoo).filter((fn) => typeof (zoo as unknown as Exports)[fn] === 'function' && fn in component && !called.has(fn))).toEqual(['spin']);
  });
});

describe('a trap inside the component', () => {
  it.each(CRASHES)('%s: an error in the host, a trapped instance poisoned, a new instance works', async (fn, args) => {
    expect(() => (zoo[fn] as (...a: unknown[]) => unknown)(...args)).toThrow(CboxTrap);
    const component = byCName(await transpiled.zoo!.instantiate(), 'zoo');
    let thrown: unknown;
    try {
      component[fn]!(...args);
    } catch (error) {
      thrown = error;
    }
    if (fn === 'crash_exit') {
      // exit() reaches the host's wasi:cli/exit, which throws here instead of ending Node. jco
      // does not poison the instance for an import's exception, though C was cut off mid-call.
      expect(thrown).toBeInstanceOf(ComponentExitError);
    } else {
      expect(thrown).toBeInstanceOf(WebAssembly.RuntimeError);
      expect(() => component.add!(1, 2)).toThrow('cannot enter component instance');
    }
    const fresh = byCName(await transpiled.zoo!.instantiate(), 'zoo');
    expect(fresh.add!(1, 2)).toBe(3);
  });
});

describe('kernels as a component answers as load() does', () => {
  let component: Exports;
  beforeAll(async () => { component = byCName(await transpiled.kernels!.instantiate(), 'kernels'); });
  const text = new TextEncoder().encode('The quick brown fox jumps over the lazy dog ✓');
  const pixels = Uint8Array.from({ length: 8 * 6 * 4 }, (_, i) => (i * 37) & 255);
  const matrix = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]).buffer);
  const CALLS: [fn: keyof KernelsExports & string, args: unknown[]][] = [
    ['crc32', [text]], ['adler32', [text]], ['fnv1a64', [text]], ['utf8_valid', [text]], ['utf8_valid', [new Uint8Array([0xc3, 0x28])]],
    ['base64_encode', [text]], ['base64_decode', ['VGhlIHF1aWNr']], ['base64_decode', ['not base64!']],
    ['blur_rgba', [pixels, 8, 6, 2]], ['resize_rgba', [pixels, 8, 6, 3, 5]], ['matmul_f32', [matrix, matrix, 3]],
    ['sum_u8', [text]], ['echo', [text]], ['noop', []], ['add_i32', [2147483647, 1]],
  ];
  it.each(CALLS)('%s (call %#)', (fn, args) => {
    expect(outcome(() => component[fn]!(...args))).toEqual(outcome(() => (kernels[fn] as (...a: unknown[]) => unknown)(...args)));
  });

  it('every kernels export is called', () => {
    expect(new Set(CALLS.map(([fn]) => fn))).toEqual(new Set(Object.keys(component)));
  });
});

// What load() refuses from C (cbox's CboxCallError) the component answers as an error value, where a
// plain adapter would hand the host a string that is not UTF-8 or memory that is not there (a trap).
describe('answers load() refuses are errors from the component too', () => {
  const C = `#include "cbox.h"
void bad_text(cbox_out *out) { cbox_return_string(out, "ok \\xff"); }
void bad_error(cbox_out *out) { cbox_return_error(out, "cut \\xe2\\x82"); }
void no_answer(cbox_out *out) { (void)out; }
void outside(cbox_out *out) { cbox_return_bytes(out, (const void *)0xfffffff0u, 64); }
`;
  let ours: Library<Exports>;
  let component: Exports;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cbox-component-answers-'));
    writeFileSync(path.join(dir, 'answers.c'), C);
    const exports = Object.fromEntries(['bad_text', 'bad_error', 'no_answer', 'outside'].map((fn) => [fn, { params: [], result: fn === 'outside' ? 'bytes' : 'string' }]));
    writeFileSync(path.join(dir, 'cbox.json'), JSON.stringify({ name: 'answers', sources: ['answers.c'], exports }));
    const run = spawnSync(process.execPath, [cli, 'build', path.join(dir, 'cbox.json'), '--component', '--quiet', '--out', dir], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    ours = await load<Exports>(path.join(dir, 'answers.wasm'), { logger: null });
    component = byCName(await (await transpileComponentFile(path.join(dir, 'answers.component.wasm'), path.join(dir, 'js'))).instantiate(), 'answers');
  });
  afterAll(() => ours.close());

  it.each(['bad_text', 'no_answer'])('%s: the same error message', (fn) => {
    const expected = outcome(() => ours[fn]!());
    expect(expected).toHaveProperty('error');
    expect(outcome(() => component[fn]!())).toEqual(expected);
  });

  it('an answer outside memory is an error', () => {
    expect(outcome(() => ours.outside!())).toHaveProperty('error', expect.stringContaining('outside the sandbox memory'));
    expect(outcome(() => component.outside!())).toEqual({ error: 'the result lies outside the sandbox memory' });
  });

  it('an error message that is not UTF-8 ends before its bad bytes (load() shows them as U+FFFD)', () => {
    expect(outcome(() => ours.bad_error!())).toEqual({ error: 'cut \uFFFD' });
    expect(outcome(() => component.bad_error!())).toEqual({ error: 'cut ' });
  });
});
