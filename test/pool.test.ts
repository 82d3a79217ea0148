// The worker pool on real worker threads and the real zoo module: typed calls, traps inside a
// worker, deadlines that stop runaway C code, respawn without leaking threads, bytes, output.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CboxArgumentError, CboxCallError, CboxError, CboxLoadError, CboxTrap, createPool, type Binding, type Pool, type RespawnEvent } from 'cbox';
import type { KernelsExports } from '../wasm-modules/kernels.js';
import type { ZooExports } from '../wasm-modules/zoo.js';
import { bindingOf } from './helpers.js';
import { buildLibrary } from '../build/build-library.js';

const THREADS = 2;

/** OS threads of this process (Linux), to see that respawning workers leaks none. */
function processThreads(): number {
  return Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => { throw new Error('expected a rejection'); }, (error: unknown) => error);
}

let pool: Pool<ZooExports>;
beforeAll(async () => {
  pool = await createPool(await bindingOf<ZooExports>('zoo'), { threads: THREADS, timeoutMs: 50, memoryLimit: '32MiB', logger: null });
});
afterAll(() => pool.close());

describe('calls', () => {
  it('runs the typed exports on workers and answers like the sync binding', async () => {
    expect(pool.name).toBe('zoo');
    expect(pool.threads).toBe(THREADS);
    const [sum, big, product, even, greeting] = await Promise.all([
      pool.add(2, 3), pool.sum_u64(2n ** 63n, 1n), pool.mul_f64(1.5, -4), pool.is_even(10), pool.greet('wörld'),
    ]);
    expect(sum).toBe(5);
    expect(big).toBe(2n ** 63n + 1n);
    expect(product).toBe(-6);
    expect(even).toBe(true);
    expect(greeting).toBe('hello, wörld');
    expect(await pool.call('add', [40, 2])).toBe(42);
  });

  it('spreads many concurrent calls over the workers and counts them', async () => {
    const before = pool.stats();
    const sums = await Promise.all(Array.from({ length: 2000 }, (_, i) => pool.add(i, 1)));
    expect(sums.every((sum, i) => sum === i + 1)).toBe(true);
    const after = pool.stats();
    expect(after.calls - before.calls).toBe(2000);
    expect(after.workers).toHaveLength(THREADS);
    for (const worker of after.workers) expect(worker.calls).toBeGreaterThan(before.workers[worker.slot]!.calls);
    expect(after.run.count).toBe(after.calls);
    expect(after.wait.p99).toBeGreaterThanOrEqual(after.wait.p50);
    expect(after.queued).toBe(0);
    expect(after.inFlight).toBe(0);
  });

  it('brings argument and C errors back with their class', async () => {
    expect(await rejection(pool.add(1.5, 2))).toBeInstanceOf(CboxArgumentError);
    expect(await rejection(pool.add(1.5, 2))).toMatchObject({ message: expect.stringMatching(/argument 1 \(a: i32\)/) });
    const failed = await rejection(pool.fail_with('disk on fire'));
    expect(failed).toBeInstanceOf(CboxCallError);
    expect((failed as CboxCallError).detail).toBe('disk on fire');
    const unsendable = await rejection(pool.call('add', [() => 1, 2] as never));
    expect(unsendable).toBeInstanceOf(CboxArgumentError);
    expect((unsendable as Error).message).toMatch(/cannot be sent to a worker thread/);
    expect(await pool.add(1, 1)).toBe(2);
  });

  it('refuses handle exports (a handle lives in one worker) in the types and at run time', async () => {
    // @ts-expect-error counter_new returns a Handle: not part of Pool<ZooExports>
    expect(pool.counter_new).toBeTypeOf('function');
    const refused = await rejection(pool.call('counter_new' as never, [1n] as never));
    expect(refused).toMatchObject({ code: 'handle-export', message: expect.stringMatching(/use load\(\) for handle-based APIs/) });
    expect(await rejection(pool.call('nope' as never, [] as never))).toBeInstanceOf(CboxArgumentError);
  });
});

describe('traps in a worker', () => {
  it('reject just the crashing call with a real CboxTrap while good calls go on', async () => {
    const before = pool.stats();
    const outcomes = await Promise.allSettled([
      pool.crash_abort(), ...Array.from({ length: 20 }, (_, i) => pool.add(i, i)), pool.crash_div_zero(1, 0), pool.greet('still here'),
    ]);
    const abort = (outcomes[0] as PromiseRejectedResult).reason as CboxTrap;
    const divide = (outcomes[21] as PromiseRejectedResult).reason as CboxTrap;
    expect(abort).toBeInstanceOf(CboxTrap);
    expect(abort.kind).toBe('abort');
    expect(abort.cStack).toContain('crash_abort');
    expect(abort.report.module.name).toBe('zoo');
    expect(divide).toBeInstanceOf(CboxTrap);
    expect(divide.kind).toBe('divide-by-zero');
    expect(divide.report.cStack[0]!.function).toBe(divide.cStack[0]);
    expect(outcomes.slice(1, 21).map((o) => (o as PromiseFulfilledResult<number>).value)).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i));
    expect((outcomes[22] as PromiseFulfilledResult<string>).value).toBe('hello, still here');
    const after = pool.stats();
    expect(after.traps.abort - before.traps.abort).toBe(1);
    expect(after.traps['divide-by-zero'] - before.traps['divide-by-zero']).toBe(1);
    expect(after.respawns).toBe(before.respawns); // the sandbox recycles inside the worker; the thread lives on
  });
});

describe('deadlines', () => {
  it('stops an infinite loop in C at its deadline and answers the next call', async () => {
    const started = performance.now();
    const trap = await rejection(pool.spin());
    expect(performance.now() - started).toBeLessThan(1000);
    expect(trap).toBeInstanceOf(CboxTrap);
    expect(trap).toMatchObject({ kind: 'timeout', function: 'spin', message: expect.stringMatching(/ran past its 50 ms deadline/) });
    expect((trap as CboxTrap).report).toMatchObject({ kind: 'timeout', export: 'spin', module: { name: 'zoo' }, memory: { limit: 32 * 1024 * 1024 } });
    expect(await pool.add(2, 3)).toBe(5);
  });

  it('emits timeout, trap and respawn events', async () => {
    const seen: string[] = [];
    const respawns: RespawnEvent[] = [];
    const threadsBefore = pool.stats().workers.map((worker) => worker.threadId);
    const onTimeout = ({ error }: { error: CboxTrap }) => seen.push(`timeout:${error.function}`);
    const onTrap = ({ error }: { error: CboxTrap }) => seen.push(`trap:${error.kind}`);
    const onRespawn = (event: RespawnEvent) => { seen.push('respawn'); respawns.push(event); };
    pool.on('timeout', onTimeout).on('trap', onTrap).on('respawn', onRespawn);
    await rejection(pool.spin());
    await rejection(pool.crash_abort());
    await until(() => respawns.length > 0, 'the respawn event');
    pool.off('timeout', onTimeout).off('trap', onTrap).off('respawn', onRespawn);
    expect(seen).toEqual(expect.arrayContaining(['timeout:spin', 'trap:timeout', 'trap:abort', 'respawn']));
    expect(seen.indexOf('timeout:spin')).toBeLessThan(seen.indexOf('trap:abort'));
    // The event names the slot whose thread the deadline terminated, and that thread; a new one serves the slot.
    const [respawn] = respawns as [RespawnEvent];
    expect(respawn).toMatchObject({ library: 'zoo', threadId: threadsBefore[respawn.slot] });
    expect(pool.stats().workers[respawn.slot]!.threadId).not.toBe(respawn.threadId);
  });

  it('20 runaway calls in a row neither shrink the pool nor leak threads', async () => {
    const settled = () => { const s = pool.stats(); return s.spareReady && s.liveWorkers === THREADS + 1; };
    await until(settled, 'the pool to settle');
    const threadsBefore = processThreads();
    const { respawns, timeouts } = pool.stats();
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      expect(await rejection(pool.spin())).toMatchObject({ kind: 'timeout' });
      expect(performance.now() - started).toBeLessThan(1000);
      expect(await pool.add(i, 1)).toBe(i + 1);
    }
    const stats = pool.stats();
    expect(stats.timeouts - timeouts).toBe(20);
    expect(stats.traps.timeout).toBe(stats.timeouts);
    expect(stats.respawns - respawns).toBe(20);
    expect(stats.workers).toHaveLength(THREADS);
    await until(settled, 'the replaced workers to exit and a new spare to start');
    await until(() => processThreads() === threadsBefore, `the thread count to return to ${threadsBefore} (now ${processThreads()})`);
  });

  it('takes a per-call deadline in place of the pool default', async () => {
    const viaWith = await rejection(pool.with({ timeoutMs: 20 }).spin());
    expect(viaWith).toMatchObject({ kind: 'timeout', message: expect.stringMatching(/20 ms deadline/) });
    const viaCall = await rejection(pool.call('spin', [], { timeoutMs: 30 }));
    expect(viaCall).toMatchObject({ kind: 'timeout', message: expect.stringMatching(/30 ms deadline/) });
    expect(await rejection(pool.call('add', [1, 2], { timeoutMs: -1 }))).toBeInstanceOf(CboxArgumentError);
  });

  it('lets a per-call deadline outlast a short pool default', async () => {
    const kernels = await createPool(await bindingOf<KernelsExports>('kernels'), { threads: 1, timeoutMs: 2, logger: null });
    // The default applies where no per-call deadline is given, and a per-call one replaces it
    // (the trap names the deadline that stopped the call: no race against the machine's speed).
    const zoo = await createPool(await bindingOf<ZooExports>('zoo'), { threads: 1, timeoutMs: 2, logger: null });
    expect(await rejection(zoo.spin())).toMatchObject({ kind: 'timeout', message: expect.stringMatching(/ran past its 2 ms deadline/) });
    expect(await rejection(zoo.with({ timeoutMs: 300 }).spin())).toMatchObject({ kind: 'timeout', message: expect.stringMatching(/ran past its 300 ms deadline/) });
    await zoo.close();
    const n = 384;
    const matrix = new Uint8Array(new Float32Array(n * n).fill(1).buffer);
    const product = new Float32Array((await kernels.with({ timeoutMs: 60_000 }).matmul_f32(matrix, matrix, n)).buffer);
    expect(product[0]).toBe(n);
    await kernels.close();
  });

  it('charges a call for its run time only, not for waiting behind others', async () => {
    // Calls that sleep in C (usleep: WASI poll_oneoff, so the clock is granted) take the same wall time on any machine and
    // need no CPU, so a busy machine cannot stretch them: 20 naps of 100 ms sent at once on one
    // thread, each with a 1 s deadline; the last one waits ~1.9 s in the queue and is not charged.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cbox-nap-'));
    writeFileSync(path.join(dir, 'nap.c'), '#include <unistd.h>\nint nap(int ms) { return usleep((useconds_t)ms * 1000); }\n');
    writeFileSync(path.join(dir, 'cbox.json'), JSON.stringify({ name: 'nap', sources: ['nap.c'], exports: { nap: { params: ['ms:i32'], result: 'i32' } } }));
    const { bindingFile } = await buildLibrary(path.join(dir, 'cbox.json'), { outDir: path.join(dir, 'out') });
    const { binding } = await import(pathToFileURL(bindingFile).href) as { binding: Binding<{ nap(ms: number): number }> };
    const timeoutMs = 1000;
    const naps = await createPool(binding, { threads: 1, pipeline: 20, timeoutMs, logger: null, wasi: { clock: true } });
    expect(await Promise.all(Array.from({ length: 20 }, () => naps.nap(100)))).toEqual(new Array(20).fill(0));
    const stats = naps.stats();
    expect(stats.timeouts).toBe(0);
    expect(stats.run.max / 1000).toBeLessThan(timeoutMs);
    expect(stats.wait.max / 1000).toBeGreaterThan(timeoutMs);
    await naps.close();
  }, 60_000);
});

describe('bytes', () => {
  it('copies caller buffers by default and moves them with transfer: true', async () => {
    const data = new Uint8Array(1024 * 1024).map((_, i) => i & 0xff);
    // The pool's 50 ms default is for the runaway-call tests; 1 MiB each way gets a deadline no busy machine misses.
    const timeoutMs = 60_000;
    const copied = await pool.with({ timeoutMs }).echo(data);
    expect(data.byteLength).toBe(1024 * 1024);
    expect(Buffer.from(copied).equals(Buffer.from(data))).toBe(true);
    const moved = new Uint8Array(data);
    const echoed = await pool.with({ transfer: true, timeoutMs }).echo(moved);
    expect(moved.byteLength).toBe(0); // detached: it went to the worker without a copy
    expect(Buffer.from(echoed).equals(Buffer.from(data))).toBe(true);
    // A view over part of a buffer is copied even with transfer, so the rest stays usable.
    const part = new Uint8Array(data.buffer, 16, 32);
    expect(await pool.call('echo', [part], { transfer: true, timeoutMs })).toEqual(data.slice(16, 48));
    expect(part.byteLength).toBe(32);
  });
});

describe('options', () => {
  it('delivers C output lines from the workers to the logger on the main thread', async () => {
    const lines: string[] = [];
    const talker = await createPool(await bindingOf<ZooExports>('zoo'), {
      threads: 1, logger: { stdout: (line) => lines.push(`out:${line}`), stderr: (line) => lines.push(`err:${line}`) },
    });
    await talker.say('hi from C');
    await until(() => lines.length >= 2, 'the output lines');
    expect(lines).toEqual(expect.arrayContaining(['out:hi from C', 'err:said 9 bytes']));
    await talker.close();
  });

  it('applies the memory limit in every worker', async () => {
    const small = await createPool(await bindingOf<ZooExports>('zoo'), { threads: 1, memoryLimit: '4MiB', logger: null });
    const blocks = await small.alloc_until_null(64 * 1024);
    expect(blocks).toBeGreaterThan(10);
    expect(blocks).toBeLessThan(64);
    await small.close();
  });

  it('a sandbox that cannot start in a worker fails createPool with the typed error, leaving no thread', async () => {
    const threadsBefore = processThreads();
    const failed = await rejection(createPool(await bindingOf<ZooExports>('zoo'), { threads: 2, wasi: { preopens: { '/data': { path: '/no/such/dir' } } } }));
    expect(failed).toBeInstanceOf(CboxError); // thrown in the worker, carried back by comlink as the same class
    expect(failed).toMatchObject({ code: 'bad-wasi-options', message: expect.stringMatching(/host directory \/no\/such\/dir cannot be opened/) });
    await until(() => processThreads() === threadsBefore, `the thread count to return to ${threadsBefore}`);
  });

  it('refuses bad options at createPool', async () => {
    const binding = await bindingOf<ZooExports>('zoo');
    await expect(createPool(binding, { memoryLimit: '64KiB' })).rejects.toThrow(/memoryLimit 64KiB is below what zoo needs/);
    await expect(createPool(binding, { threads: 0 })).rejects.toThrow(CboxLoadError);
    await expect(createPool(binding, { timeoutMs: 0 })).rejects.toThrow(/timeoutMs must be a number of milliseconds from 1 to 2147483647/);
    await expect(createPool(binding, { maxQueue: -1 })).rejects.toThrow(/maxQueue must be a whole number from 0 to/);
  });
});
