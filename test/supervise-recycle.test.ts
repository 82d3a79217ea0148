// Proactive recycling (after N calls, past a memory high-water) and per-function latency
// statistics, on the real zoo module.
import { afterEach, describe, expect, it } from 'vitest';
import { load, StaleHandleError, type Library, type LoadOptions, type RecycleEvent } from 'cbox';
import type { ZooExports } from '../wasm-modules/zoo.js';
import { bindingOf } from './helpers.js';

const opened: Library<any>[] = [];
afterEach(() => {
  for (const library of opened.splice(0)) library.close();
});

async function zooWith(options: LoadOptions<ZooExports>): Promise<{ zoo: Library<ZooExports>; recycles: RecycleEvent[] }> {
  const zoo = await load(await bindingOf<ZooExports>('zoo'), { logger: null, ...options });
  opened.push(zoo);
  const recycles: RecycleEvent[] = [];
  zoo.on('recycle', (event) => recycles.push(event));
  return { zoo, recycles };
}

describe('proactive recycling', () => {
  it('replaces the instance after N calls, whatever functions made them', async () => {
    const { zoo, recycles } = await zooWith({ recycle: { afterCalls: 5 } });
    const generation = zoo.generation;
    const counter = zoo.counter_new(10n)!;
    for (let i = 1; i <= 3; i++) expect(zoo.counter_add(counter, 1n)).toBe(10n + BigInt(i));
    expect(zoo.greet('five')).toBe('hello, five');
    expect(recycles).toEqual([expect.objectContaining({ reason: 'max-calls: 5 calls', fromGeneration: generation, toGeneration: generation + 1 })]);
    expect(() => zoo.counter_add(counter, 1n)).toThrow(StaleHandleError);
    for (let i = 0; i < 5; i++) zoo.add(i, i);
    expect(recycles.map((event) => event.reason)).toEqual(['max-calls: 5 calls', 'max-calls: 5 calls']);
    expect(zoo.stats()).toMatchObject({ calls: 10, recycles: 2, generation: generation + 2 });
  });

  it('replaces the instance once a call leaves its memory above the high-water mark', async () => {
    const { zoo, recycles } = await zooWith({ memoryLimit: '32MiB', recycle: { memoryHighWater: '4MiB' } });
    const start = zoo.stats().memory.size;
    expect(start).toBeLessThan(4 * 1024 * 1024);
    expect(zoo.alloc_until_null(64 * 1024)).toBeGreaterThan(400); // grows linear memory to the limit (and frees it all: wasm memory never shrinks)
    expect(recycles).toEqual([expect.objectContaining({ reason: 'memory-high-water: 32MiB > 4MiB' })]);
    expect(zoo.stats().memory).toMatchObject({ size: start, highWater: 32 * 1024 * 1024 });
  });

  it('bounds a slow leak: a library that never frees its objects is recycled before it hits the limit', async () => {
    const { zoo, recycles } = await zooWith({ memoryLimit: '8MiB', recycle: { memoryHighWater: '2MiB' } });
    for (let i = 0; i < 400_000; i++) zoo.counter_new(BigInt(i)); // 16+ bytes each, never freed: ~6MiB+ in all
    expect(recycles.length).toBeGreaterThan(0);
    expect(recycles.every((event) => event.reason.startsWith('memory-high-water: '))).toBe(true);
    expect(zoo.stats().traps['out-of-memory']).toBe(0);
    expect(zoo.stats().memory.highWater).toBeLessThanOrEqual(2 * 1024 * 1024 + 64 * 1024);
  });

  it('refuses a policy it cannot apply', async () => {
    const binding = await bindingOf<ZooExports>('zoo');
    await expect(load(binding, { logger: null, recycle: { afterCalls: 0 } })).rejects.toThrow(/recycle.afterCalls must be a whole number >= 1, got 0/);
    await expect(load(binding, { logger: null, recycle: { memoryHighWater: 'lots' } })).rejects.toThrow(/cannot read size "lots"/);
  });
});

describe('latency statistics', () => {
  it('keeps p50/p90/p99 per function when asked', async () => {
    const { zoo } = await zooWith({ stats: { latency: true } });
    const data = new Uint8Array(64 * 1024);
    for (let i = 0; i < 1000; i++) zoo.add(i, 1);
    for (let i = 0; i < 200; i++) zoo.echo(data);
    const { add, echo, greet } = zoo.stats().functions!;
    for (const latency of [add!.latency!, echo!.latency!]) {
      expect(latency.p50).toBeGreaterThan(0);
      expect(latency.p50).toBeLessThanOrEqual(latency.p90);
      expect(latency.p90).toBeLessThanOrEqual(latency.p99);
      expect(latency.p99).toBeLessThanOrEqual(latency.max);
    }
    expect([add!.latency!.count, echo!.latency!.count, greet!.latency!.count]).toEqual([1000, 200, 0]);
    expect(echo!.latency!.p50).toBeGreaterThan(add!.latency!.p50); // 64KiB each way against two integers
  });

  it('samples every Nth call', async () => {
    const { zoo } = await zooWith({ stats: { latency: true, sampleEvery: 10 } });
    for (let i = 0; i < 1000; i++) zoo.add(i, 1);
    expect(zoo.stats().functions!.add).toMatchObject({ calls: 1000, latency: { count: 100 } });
  });

  it('adds nothing to a library loaded without supervision options', async () => {
    const { zoo } = await zooWith({});
    zoo.add(1, 2);
    expect(zoo.stats().functions).toBeUndefined();
  });
});
