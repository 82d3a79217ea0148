// The host side of the sandbox boundary under hostile or careless C and callers: what C leaves in
// the arena, a failed malloc it handled, output floods and loggers that call back in, arguments
// that lie about themselves, handles that are not what they claim, start-up code that fails or
// never returns, and a host that forbids code generation.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CboxArgumentError, CboxClosedError, CboxError, CboxLoadError, CboxTrap, Handle, load, type Library, type StartFailedEvent,
} from 'cbox';
import type { BoundaryExports } from '../wasm-modules/boundary.js';
import type { HostileExports } from '../wasm-modules/hostile.js';
import type { KernelsExports } from '../wasm-modules/kernels.js';
import type { ZooExports } from '../wasm-modules/zoo.js';
import { bindingOf, root, thrownBy } from './helpers.js';

const opened: Library<unknown>[] = [];
afterAll(() => { for (const lib of opened) lib.close(); });

async function open<T>(name: string, options: Parameters<typeof load<T>>[1] = {}): Promise<Library<T>> {
  const lib = await load(await bindingOf<T>(name), { logger: null, ...options });
  opened.push(lib as Library<unknown>);
  return lib;
}


describe('the arena after calls that marshal nothing', () => {
  it('releases the scratch C takes with cbox_alloc: thousands of calls, every one served, memory flat', async () => {
    const lib = await open<BoundaryExports>('boundary', { memoryLimit: '16MiB' });
    expect(lib.scratch_sum(65536)).toBe(65536);
    const size = lib.stats().memory.size;
    // Without the release, the 256 KiB arena is gone after 4 calls and every later call spills a
    // 64 KiB heap block that is never freed: the limit is reached around call 250.
    for (let i = 0; i < 2000; i++) expect(lib.scratch_sum(65536)).toBe(65536);
    expect(lib.stats().memory.size).toBe(size);
  });

  it('forgets a malloc failure the C code handled: a later abort() is an abort, not out-of-memory', async () => {
    const lib = await open<BoundaryExports>('boundary', { memoryLimit: '16MiB' });
    expect(lib.huge_malloc_handled()).toBe(1);
    expect(lib.scratch_sum(16)).toBe(16);
    expect((thrownBy(() => lib.crash_abort()) as CboxTrap).kind).toBe('abort');
  });

  it('forgets an oversized argument it refused: a later abort() is an abort', async () => {
    const zoo = await open<ZooExports>('zoo', { memoryLimit: '4MiB' });
    const refusal = thrownBy(() => zoo.echo(new Uint8Array(8 * 1024 * 1024))) as CboxError;
    expect(refusal.code).toBe('arena-full');
    expect(zoo.add(1, 2)).toBe(3);
    expect((thrownBy(() => zoo.crash_abort()) as CboxTrap).kind).toBe('abort');
  });
});

describe('string arguments', () => {
  it('take their UTF-8 size in the sandbox, not 3 bytes per UTF-16 unit: 24 MiB of base64 fits under 64 MiB', async () => {
    const kernels = await open<KernelsExports>('kernels', { memoryLimit: '64MiB' });
    const data = new Uint8Array(18 * 1024 * 1024).map((_, i) => i * 7);
    const text = Buffer.from(data).toString('base64'); // 24 MiB of ASCII: 72 MiB if reserved at 3x
    expect(Buffer.from(kernels.base64_decode(text)).equals(Buffer.from(data))).toBe(true);
    expect(kernels.base64_decode('aGk=')).toEqual(new Uint8Array([104, 105])); // short strings keep their fast path
  });
});

describe('C output', () => {
  it('reaches the logger after the call returns, so a logger may call the same library', async () => {
    const seen: string[] = [];
    const lib: Library<BoundaryExports> = await open<BoundaryExports>('boundary', {
      logger: { stdout: (line) => { seen.push(line); seen.push(`nested ${lib.scratch_sum(4)}`); } },
    });
    expect(lib.print_lines(3)).toBe(3); // the outer call keeps its own answer
    expect(seen).toEqual(['line 0', 'nested 4', 'line 1', 'nested 4', 'line 2', 'nested 4']);
  });

  it('holds at most about 1 MiB of one call\'s output and says how much it dropped', async () => {
    const seen: string[] = [];
    const lib = await open<BoundaryExports>('boundary', { logger: { stdout: (line) => seen.push(line), stderr: (line) => seen.push(`err: ${line}`) } });
    expect(lib.print_lines(400_000)).toBe(400_000); // ~4.4 MB of text
    const kept = seen.slice(0, -1);
    expect(kept.reduce((units, line) => units + line.length, 0)).toBeLessThanOrEqual(1 << 20);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => `line ${i}`));
    expect(seen.at(-1)).toBe(`err: [cbox] ${400_000 - kept.length} lines of C output dropped: more than 1048576 characters in one call`);
    seen.length = 0;
    lib.print_lines(2);
    expect(seen).toEqual(['line 0', 'line 1']);
  });

  it('a logger that throws fails no call and loses no other line', async () => {
    const seen: string[] = [];
    const lib = await open<BoundaryExports>('boundary', {
      logger: { stdout: (line) => { if (line === 'line 1') throw new Error('logger bug'); seen.push(line); } },
    });
    expect(lib.print_lines(3)).toBe(3);
    expect(seen).toEqual(['line 0', 'line 2']);
  });
});

describe('arguments that lie', () => {
  it('refuses detached buffers, Proxies of typed arrays and subclasses that misreport their length', async () => {
    const zoo = await open<ZooExports>('zoo');
    const detached = new Uint8Array(16);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    class Liar extends Uint8Array { override get byteLength(): number { return 1 << 20; } }
    for (const value of [detached, new Proxy(new Uint8Array(8), {}), new Liar(4)]) {
      expect(() => zoo.echo(value)).toThrow(CboxArgumentError);
    }
    expect(zoo.echo(Buffer.from('ok'))).toEqual(new Uint8Array([111, 107])); // Buffer is a Uint8Array that tells the truth
  });

  it('refuses look-alike handles with CboxArgumentError and a handle after close() with CboxClosedError', async () => {
    const zoo = await load(await bindingOf<ZooExports>('zoo'), { logger: null });
    const fake = Object.create(Handle.prototype) as Handle;
    expect(() => zoo.counter_add(fake, 1n)).toThrow(CboxArgumentError);
    const counter = zoo.counter_new(1n)!;
    zoo.close();
    expect(() => zoo.counter_add(counter, 1n)).toThrow(CboxClosedError);
  });
});

describe('C start-up code', () => {
  it('a replacement that cannot start: the trapping call gets its trap, later calls a typed error, and the sandbox comes back', async () => {
    const data = mkdtempSync(path.join(os.tmpdir(), 'cbox-poison-'));
    const lib = await open<HostileExports>('hostile', { spare: false, wasi: { preopens: { '/data': { path: data } } } });
    const failures: StartFailedEvent[] = [];
    lib.on('start-failed', (event) => failures.push(event));
    expect((thrownBy(() => lib.poison()) as CboxTrap).kind).toBe('abort'); // it wrote /data/fail, then aborted
    const later = thrownBy(() => lib.add(1, 2)) as CboxLoadError;
    expect(later).toBeInstanceOf(CboxLoadError);
    expect(later.code).toBe('init-failed');
    expect(failures[0]).toMatchObject({ library: 'hostile', attempt: 1 });
    rmSync(path.join(data, 'fail'));
    // The retry timer (50 ms, doubling) brings it back without any call.
    await new Promise<void>((resolve) => lib.on('recycle', () => resolve()));
    expect(lib.add(1, 2)).toBe(3);
  });

  it('a granted directory that was removed: later calls get bad-wasi-options, the process lives', async () => {
    const data = mkdtempSync(path.join(os.tmpdir(), 'cbox-gone-'));
    const lib = await open<HostileExports>('hostile', { spare: false, wasi: { preopens: { '/data': { path: data } } } });
    rmSync(data, { recursive: true });
    expect((thrownBy(() => lib.recycle()) as CboxLoadError).code).toBe('bad-wasi-options');
    const later = thrownBy(() => lib.add(1, 2)) as CboxLoadError;
    expect(later).toBeInstanceOf(CboxLoadError);
    expect(later.code).toBe('bad-wasi-options');
  });

  it('start-up code that never returns: load() stops it in a trial worker with init-timeout', async () => {
    const binding = await bindingOf<HostileExports>('hostile');
    const error = await load(binding, { logger: null, startTimeoutMs: 500, wasi: { env: { HOSTILE_HANG: '1' } } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CboxLoadError);
    expect((error as CboxLoadError).code).toBe('init-timeout');
    const fine = await open<HostileExports>('hostile');
    expect(fine.add(2, 2)).toBe(4);
  });

  it('start-up code that fails: load() refuses with init-failed', async () => {
    const data = mkdtempSync(path.join(os.tmpdir(), 'cbox-fail-'));
    writeFileSync(path.join(data, 'fail'), '');
    const error = await load(await bindingOf<HostileExports>('hostile'), { logger: null, wasi: { preopens: { '/data': { path: data } } } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CboxLoadError);
    expect((error as CboxLoadError).code).toBe('init-failed');
  });
});

describe('a host that forbids code generation', () => {
  it('runs every kind of export under node --disallow-code-generation-from-strings', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cbox-nocodegen-'));
    mkdirSync(dir, { recursive: true });
    const script = path.join(dir, 'run.mjs');
    writeFileSync(script, `
      import { load } from ${JSON.stringify(path.join(root, 'dist', 'index.js'))};
      import { binding } from ${JSON.stringify(path.join(root, 'wasm-modules', 'zoo.js'))};
      const zoo = await load(binding, { logger: null });
      const counter = zoo.counter_new(40n);
      const answers = [zoo.add(2, 3), zoo.greet('x'), [...zoo.echo(new Uint8Array([7]))], zoo.counter_add(counter, 2n).toString(), zoo.is_even(3)];
      let trap = '';
      try { zoo.crash_abort(); } catch (error) { trap = error.kind; }
      console.log(JSON.stringify([...answers, trap, zoo.add(1, 1)]));
    `);
    const run = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual([5, 'hello, x', [7], '42', false, 'abort', 2]);
  });
});
