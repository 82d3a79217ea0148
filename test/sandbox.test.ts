// The sandbox runtime on the real zoo library: calls, marshalling, traps, recycle, handles.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CboxArgumentError, CboxCallError, CboxClosedError, Handle, StaleHandleError, load, type Library, type TrapKind } from 'cbox';
import type { ZooExports } from '../wasm-modules/zoo.js';
import { bindingOf, root, trapOf } from './helpers.js';

let zoo: Library<ZooExports>;
beforeAll(async () => {
  zoo = await load(await bindingOf<ZooExports>('zoo'), { memoryLimit: '32MiB', logger: null });
});
afterAll(() => zoo.close());


describe('calls', () => {
  it('passes and returns every scalar type', () => {
    expect(zoo.add(2, 3)).toBe(5);
    expect(zoo.add(-2147483648, -1)).toBe(2147483647); // wraps like C int32 arithmetic in wasm
    expect(zoo.sum_u64(2n ** 63n, 2n ** 62n)).toBe(2n ** 63n + 2n ** 62n);
    expect(zoo.sum_u64(2n ** 64n - 1n, 1n)).toBe(0n);
    expect(zoo.mul_f64(1.5, -4)).toBe(-6);
    expect(zoo.is_even(10)).toBe(true);
    expect(zoo.is_even(7)).toBe(false);
    expect(zoo.spin).toBeTypeOf('function');
  });

  it('marshals bytes and strings in and out, empty and large', () => {
    expect(zoo.greet('wörld ✓')).toBe('hello, wörld ✓');
    expect(zoo.greet('')).toBe('hello, ');
    expect(zoo.echo(new Uint8Array())).toEqual(new Uint8Array());
    const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7) & 0xff); // larger than the arena: spills to the heap
    expect(Buffer.from(zoo.echo(big)).equals(Buffer.from(big))).toBe(true);
    expect(zoo.echo(Buffer.from('buffers work too'))).toEqual(new Uint8Array(Buffer.from('buffers work too')));
  });

  it('refuses arguments that do not fit, without calling C', () => {
    const calls = zoo.stats().calls;
    expect(() => zoo.add(1.5, 2)).toThrow(CboxArgumentError);
    expect(() => zoo.add(2 ** 31, 0)).toThrow(/argument 1 \(a: i32\) must be an integer from -2147483648 to 2147483647, got 2147483648/);
    expect(() => (zoo.add as (...a: unknown[]) => number)('1', 2)).toThrow(/got "1"/);
    expect(() => (zoo.add as (...a: unknown[]) => number)(1n, 2)).toThrow(/argument 1 \(a: i32\) must be an integer .*, got 1n/);
    expect(() => (zoo.alloc_until_null as (...a: unknown[]) => number)(1n)).toThrow(CboxArgumentError);
    expect(() => zoo.sum_u64(-1n, 0n)).toThrow(/must be a bigint from 0n to 2n\*\*64n-1n, got -1n/);
    expect(() => (zoo.sum_u64 as (...a: unknown[]) => bigint)(1, 2n)).toThrow(/must be a bigint/);
    expect(() => zoo.greet('a\0b')).toThrow(/C strings end at NUL/);
    expect(() => zoo.greet('\ud800')).toThrow(/lone surrogates/);
    expect(() => (zoo.echo as (...a: unknown[]) => unknown)([1, 2])).toThrow(/must be a Uint8Array/);
    expect(() => (zoo.is_even as (...a: unknown[]) => unknown)(1)).not.toThrow();
    expect(() => (zoo.mul_f64 as (...a: unknown[]) => unknown)(1n, 2)).toThrow(/must be a number/);
    expect(zoo.stats().calls).toBe(calls + 1); // only the is_even call reached C
  });

  it('turns a C error answer into CboxCallError and keeps the sandbox', () => {
    const generation = zoo.generation;
    expect(() => zoo.fail_with('disk on fire')).toThrow(CboxCallError);
    expect(() => zoo.fail_with('disk on fire')).toThrow('fail_with: disk on fire');
    expect(zoo.generation).toBe(generation);
    expect(zoo.add(1, 1)).toBe(2);
  });
});

describe('arena', () => {
  it('1M calls with bytes in and out leave linear memory where one call left it', () => {
    const data = new Uint8Array(256).fill(7);
    for (let i = 0; i < 1000; i++) zoo.echo(data);
    const before = zoo.stats().memory.size;
    for (let i = 0; i < 1_000_000; i++) {
      if (zoo.echo(data).length !== 256) throw new Error('bad echo');
    }
    expect(zoo.stats().memory.size).toBe(before);
  });

  it('results survive memory growth during the call', () => {
    const huge = new Uint8Array(8 * 1024 * 1024).fill(3); // forces malloc to grow memory inside the call
    const echoed = zoo.echo(huge);
    expect(echoed.length).toBe(huge.length);
    expect(echoed[huge.length - 1]).toBe(3);
  });
});

const FIXTURES: { call: (z: Library<ZooExports>) => unknown; kind: TrapKind; frame: string }[] = [
  { call: (z) => z.crash_oob_write(), kind: 'out-of-bounds', frame: 'crash_oob_write' },
  { call: (z) => z.crash_stack_overflow(-1), kind: 'stack-overflow', frame: 'recurse_with_big_frame' },
  { call: (z) => z.crash_abort(), kind: 'abort', frame: 'abort' },
  { call: (z) => z.crash_exit(3), kind: 'exit', frame: 'crash_exit' },
  { call: (z) => z.crash_trap(), kind: 'unreachable', frame: 'crash_trap' },
  { call: (z) => z.crash_div_zero(1, 0), kind: 'divide-by-zero', frame: 'crash_div_zero' },
  { call: (z) => z.crash_int_overflow(-2147483648, -1), kind: 'integer-overflow', frame: 'crash_int_overflow' },
  { call: (z) => z.crash_bad_indirect_call(), kind: 'indirect-call', frame: 'crash_bad_indirect_call' },
  { call: (z) => z.crash_oom(), kind: 'out-of-memory', frame: 'crash_oom' },
];

describe('traps', () => {
  it.each(FIXTURES)('$frame traps as $kind, names the C function, and the next call works', ({ call, kind, frame }) => {
    const generation = zoo.generation;
    const trap = trapOf(() => call(zoo));
    expect(trap.kind).toBe(kind);
    expect(trap.cStack).toContain(frame);
    expect(trap.generation).toBe(generation);
    expect(trap.report.kind).toBe(kind);
    expect(trap.report.cStack[0]!.function).toBe(trap.cStack[0]);
    expect(zoo.generation).toBe(generation + 1);
    expect(zoo.add(2, 3)).toBe(5);
    expect(zoo.greet('again')).toBe('hello, again');
  });

  it('exit(n) carries the exit code and never ends the process', () => {
    const trap = trapOf(() => zoo.crash_exit(42));
    expect(trap.kind).toBe('exit');
    expect(trap.exitCode).toBe(42);
    expect(trap.report.exitCode).toBe(42);
  });

  it('heap corruption is caught as a trap, not a hang or a dead process', () => {
    const trap = trapOf(() => zoo.crash_double_free());
    // As documented: the overwritten block header sends dlfree out of bounds.
    expect(trap.kind).toBe('out-of-bounds');
    expect(trap.cStack[0]).toBe('dlfree');
    expect(trap.message).toMatch(/the heap is corrupt/);
    expect(zoo.add(1, 2)).toBe(3);
  });

  it('the crash report is JSON with the facts and no argument contents', () => {
    const trap = trapOf(() => zoo.crash_div_zero(7, 0));
    const report = JSON.parse(JSON.stringify(trap.report));
    expect(report).toMatchObject({
      kind: 'divide-by-zero', export: 'crash_div_zero', args: [{ type: 'number' }, { type: 'number' }],
      module: { name: 'zoo' }, stackSize: 64 * 1024,
    });
    expect(report.memory.limit).toBe(32 * 1024 * 1024);
    expect(report.memory.size).toBeGreaterThan(0);
    expect(report.callsSinceStart).toBeGreaterThanOrEqual(1);
    expect(typeof report.stackPointer).toBe('number');
    expect(Date.parse(report.time)).not.toBeNaN();
    expect(JSON.parse(JSON.stringify(trap)).report.kind).toBe('divide-by-zero');
  });

  it('writes crash reports and memory dumps to a folder when asked', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cbox-reports-'));
    const lib = await load(await bindingOf<ZooExports>('zoo'), { crashReports: { dir, memoryDump: true }, logger: null });
    const trap = trapOf(() => lib.crash_abort());
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    expect(trap.report.files?.report).toBe(path.join(dir, files.find((f) => f.endsWith('.json'))!));
    expect(JSON.parse(readFileSync(trap.report.files!.report, 'utf8')).kind).toBe('abort');
    expect(readFileSync(trap.report.files!.memoryDump!).length).toBe(trap.report.memory.size);
    lib.close();
  });

  it('a NULL write passes silently in plain wasm but traps as null-dereference in strict mode', async () => {
    expect(() => zoo.crash_null_write()).not.toThrow();
    const strict = await load(await bindingOf<ZooExports>('zoo-strict'), { logger: null });
    const trap = trapOf(() => strict.crash_null_write());
    expect(trap.kind).toBe('null-dereference');
    expect(trap.cStack.slice(0, 2)).toEqual(['write_through_null', 'crash_null_write']); // cbox's handler frames dropped
    expect(strict.add(2, 2)).toBe(4);
    strict.close();
  });

  it('all crash fixtures in a child process: it exits 0', () => {
    const script = `
      import { load } from ${JSON.stringify(path.join(root, 'dist/index.js'))};
      import { binding } from ${JSON.stringify(path.join(root, 'wasm-modules/zoo.js'))};
      const zoo = await load(binding, { logger: null });
      const calls = [() => zoo.crash_oob_write(), () => zoo.crash_stack_overflow(-1), () => zoo.crash_abort(), () => zoo.crash_exit(9),
        () => zoo.crash_trap(), () => zoo.crash_div_zero(1, 0), () => zoo.crash_int_overflow(-2147483648, -1),
        () => zoo.crash_bad_indirect_call(), () => zoo.crash_oom(), () => zoo.crash_double_free(), () => zoo.crash_null_write()];
      let traps = 0;
      for (const call of calls) { try { call(); } catch (e) { if (e.name === 'CboxTrap') traps++; else throw e; } if (zoo.add(2, 3) !== 5) throw new Error('bad'); }
      console.log('traps', traps);`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('traps 10');
    expect(run.status).toBe(0);
  });
});

describe('memory limit', () => {
  it('malloc returns NULL at the limit, and the sandbox keeps working', async () => {
    const small = await load(await bindingOf<ZooExports>('zoo'), { memoryLimit: '4MiB', logger: null });
    const large = await load(await bindingOf<ZooExports>('zoo'), { memoryLimit: '16MiB', logger: null });
    const smallBlocks = small.alloc_until_null(64 * 1024);
    const largeBlocks = large.alloc_until_null(64 * 1024);
    expect(smallBlocks).toBeGreaterThan(10);
    expect(smallBlocks).toBeLessThan(64);
    expect(largeBlocks).toBeGreaterThan(smallBlocks + 100);
    expect(small.stats().memory.size).toBe(4 * 1024 * 1024);
    expect(small.alloc_until_null(64 * 1024)).toBe(smallBlocks); // it freed them all: same again
    expect(small.add(1, 1)).toBe(2);
    small.close();
    large.close();
  });

  it('host RSS stays bounded while sandboxes hit their limits over and over', async () => {
    const lib = await load(await bindingOf<ZooExports>('zoo'), { memoryLimit: '16MiB', logger: null });
    trapOf(() => lib.crash_oom());
    const rssBefore = process.memoryUsage().rss;
    for (let i = 0; i < 30; i++) expect(trapOf(() => lib.crash_oom()).kind).toBe('out-of-memory');
    const grown = process.memoryUsage().rss - rssBefore;
    expect(grown).toBeLessThan(30 * 16 * 1024 * 1024 / 2); // dead instances' memories are released, not kept
    lib.close();
  });

  it('refuses a limit below what the module needs, or above wasm32', async () => {
    const binding = await bindingOf<ZooExports>('zoo');
    await expect(load(binding, { memoryLimit: '64KiB' })).rejects.toThrow(/memoryLimit 64KiB is below what zoo needs to start/);
    await expect(load(binding, { memoryLimit: '8GiB' })).rejects.toThrow(/more than wasm32 can address/);
    await expect(load(binding, { memoryLimit: 'lots' })).rejects.toThrow(/cannot read size "lots"/);
  });
});

describe('recycle and handles', () => {
  it('handles work within a generation and are refused after a recycle', () => {
    const counter = zoo.counter_new(10n);
    expect(counter).toBeInstanceOf(Handle);
    expect(zoo.counter_add(counter!, 5n)).toBe(15n);
    trapOf(() => zoo.crash_trap());
    expect(() => zoo.counter_add(counter!, 1n)).toThrow(StaleHandleError);
    expect(() => zoo.counter_add(counter!, 1n)).toThrow(/sandbox was recycled/);
    const fresh = zoo.counter_new(1n)!;
    expect(zoo.counter_add(fresh, 1n)).toBe(2n);
    zoo.counter_free(fresh);
  });

  it('refuses a handle from another sandbox, and things that are not handles', async () => {
    const other = await load(await bindingOf<ZooExports>('zoo'), { logger: null });
    const foreign = other.counter_new(1n)!;
    expect(() => zoo.counter_add(foreign, 1n)).toThrow(/belongs to another library, engine or sandbox/);
    expect(() => zoo.counter_add(1234 as unknown as Handle, 1n)).toThrow(CboxArgumentError);
    expect(() => zoo.counter_add(1234 as unknown as Handle, 1n)).toThrow(/must be a Handle returned by zoo \(got 1234\)/);
    other.close();
  });

  it('recycle() on demand gives a fresh instance and counts it', () => {
    const { recycles, generation } = zoo.stats();
    zoo.recycle();
    expect(zoo.stats().recycles).toBe(recycles + 1);
    expect(zoo.generation).toBe(generation + 1);
  });

  it('keeps several sandboxes of one module independent', async () => {
    const a = await load(await bindingOf<ZooExports>('zoo'), { logger: null });
    const b = await load(await bindingOf<ZooExports>('zoo'), { logger: null });
    trapOf(() => a.crash_abort());
    expect(a.generation).toBe(2);
    expect(b.generation).toBe(1);
    expect(b.stats().traps.abort).toBe(0);
    expect(a.stats().traps.abort).toBe(1);
    a.close();
    b.close();
  });

  it('emits trap and recycle events', async () => {
    const lib = await load(await bindingOf<ZooExports>('zoo'), { logger: null });
    const seen: string[] = [];
    lib.on('trap', ({ error }) => seen.push(`trap:${error.kind}`));
    lib.on('recycle', ({ reason, usedSpare }) => seen.push(`recycle:${reason}:${usedSpare}`));
    trapOf(() => lib.crash_trap());
    expect(seen).toEqual(['recycle:trap unreachable in crash_trap:true', 'trap:unreachable']);
    lib.close();
  });

  it('a closed library refuses calls clearly', async () => {
    const lib = await load(await bindingOf<ZooExports>('zoo'), { logger: null });
    lib.close();
    expect(() => lib.add(1, 2)).toThrow(CboxClosedError);
    expect(() => lib.greet('x')).toThrow(/the library is closed/);
  });
});

describe('C output', () => {
  it('stdout and stderr lines reach the logger; a partial last line arrives when the sandbox closes', async () => {
    const lines: string[] = [];
    const lib = await load(await bindingOf<ZooExports>('zoo'), { logger: { stdout: (l) => lines.push(`out:${l}`), stderr: (l) => lines.push(`err:${l}`) } });
    lib.say('héllo');
    expect(lines).toEqual(['out:héllo', 'err:said 6 bytes']);
    lib.close();
    expect(lines).toEqual(['out:héllo', 'err:said 6 bytes', 'out:héllo']);
  });

  it('logger: null drops the output', async () => {
    const written: string[] = [];
    const spies = [vi.spyOn(process.stdout, 'write'), vi.spyOn(process.stderr, 'write')].map((spy) => spy.mockImplementation((chunk) => { written.push(String(chunk)); return true; }));
    try {
      // The default logger writes the C output to process.stderr, prefixed...
      const loud = await load(await bindingOf<ZooExports>('zoo'));
      loud.say('loud');
      loud.close();
      expect(written.join('')).toContain('[cbox:zoo] loud');
      written.length = 0;
      // ...and logger: null drops it: nothing reaches either stream.
      const lib = await load(await bindingOf<ZooExports>('zoo'), { logger: null });
      lib.say('quiet');
      lib.close();
      expect(written).toEqual([]);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});
