// C output from pool workers is bounded like on the main thread: what a call prints is held in
// the worker's sandbox (bounded) until the call returns, and a worker sends lines to the main
// thread only while less than MAX_QUEUED_OUTPUT_BYTES of its output waits there, drops the rest
// and says how many it dropped. Real C (c-src/hostile) printing in a loop.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CboxTrap, createPool, type Pool, type PoolOptions } from 'cbox';
import { MAX_QUEUED_OUTPUT_BYTES } from '../runtime/pool/output-channel.js';
import type { HostileExports } from '../wasm-modules/hostile.js';
import { bindingOf } from './helpers.js';

const DROPPED = /^\[cbox\] (\d+) lines? of C output dropped: the main thread had/;

const pools: Pool<HostileExports>[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close({ force: true })));
});

async function hostilePool(options: PoolOptions): Promise<Pool<HostileExports>> {
  const pool = await createPool(await bindingOf<HostileExports>('hostile'), { threads: 1, ...options });
  pools.push(pool);
  return pool;
}

/** Blocks this thread (as a slow logger would) without burning a core. */
function block(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe('C output from pool workers', () => {
  it('arrives whole and in order, stdout lines on the main thread', async () => {
    const lines: string[] = [];
    const pool = await hostilePool({ logger: { stdout: (line) => lines.push(line), stderr: (line) => lines.push(`stderr: ${line}`) } });
    await pool.count_lines(5000);
    await vi.waitFor(() => expect(lines.length).toBe(5000), { timeout: 10_000 });
    expect(lines).toEqual(Array.from({ length: 5000 }, (_, i) => `line ${i}`));
  });

  it('a call printing until its deadline keeps host memory bounded', async () => {
    const pool = await hostilePool({ logger: { stdout: () => {}, stderr: () => {} } });
    expect(await pool.add(1, 1)).toBe(2); // the worker is up and warm before measuring
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 10);
    const trap = await pool.call('flood', [], { timeoutMs: 3000 }).catch((error: unknown) => error);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(trap).toBeInstanceOf(CboxTrap);
    expect(trap).toMatchObject({ kind: 'timeout' });
    // What the worker holds and what may wait for the main thread are about 2 MiB and
    // MAX_QUEUED_OUTPUT_BYTES; allow generously for the garbage collector and the replacement
    // worker's start (measured: ~22 MiB in all). Unbounded, this flood grew RSS by 187 MiB.
    expect(peak - before).toBeLessThan(64 * MAX_QUEUED_OUTPUT_BYTES);
  });

  it('drops lines while the main thread is behind and says how many', async () => {
    const LINES = 30_000; // about 2.5 MB charged at 84 bytes a line: more than the worker may have waiting
    const stdout: string[] = [];
    const stderr: string[] = [];
    const pool = await hostilePool({
      logger: {
        stdout: (line) => {
          // A logger that stalls on the first line, while the worker hands over the rest of the call's lines.
          if (stdout.push(line) === 1) block(1500);
        },
        stderr: (line) => stderr.push(line),
      },
    });
    await pool.count_lines(LINES);
    await vi.waitFor(() => expect(stderr.some((line) => DROPPED.test(line))).toBe(true), { timeout: 10_000 });
    const dropped = stderr.map((line) => Number(DROPPED.exec(line)?.[1] ?? 0)).reduce((a, b) => a + b, 0);
    expect(dropped).toBeGreaterThan(0);
    // Every line is accounted for, delivered (in order) or counted as dropped.
    await vi.waitFor(() => expect(stdout.length + dropped).toBe(LINES), { timeout: 10_000 });
    const numbers = stdout.map((line) => Number(/^line (\d+)$/.exec(line)![1]));
    expect(numbers[0]).toBe(0);
    expect(numbers.every((n, i) => i === 0 || n > numbers[i - 1]!)).toBe(true);
  });
});
