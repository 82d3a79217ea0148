// Hot reload on the real zoo module: a v2 built from changed C switches in after its health
// probe; a failing probe, an ABI mismatch or a missing file change nothing.
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CboxLoadError, load, StaleHandleError, type Library, type ReloadEvent } from 'cbox';
import type { ZooExports } from '../wasm-modules/zoo.js';
import { bindingOf, modulePath } from './helpers.js';
import { buildZooV2 } from './supervise-zoo-v2.js';

let zooV2: string;
beforeAll(async () => {
  zooV2 = await buildZooV2();
});

const opened: Library<any>[] = [];
afterEach(() => {
  for (const library of opened.splice(0)) library.close();
});

async function loadZoo(): Promise<{ zoo: Library<ZooExports>; reloads: ReloadEvent[] }> {
  const zoo = await load(await bindingOf<ZooExports>('zoo'), { logger: null });
  opened.push(zoo);
  const reloads: ReloadEvent[] = [];
  zoo.on('reload', (event) => reloads.push(event));
  return { zoo, reloads };
}

async function rejectionOf(promise: Promise<unknown>): Promise<CboxLoadError> {
  const error = await promise.then(() => { throw new Error('expected a rejection'); }, (reason: unknown) => reason);
  expect(error).toBeInstanceOf(CboxLoadError);
  return error as CboxLoadError;
}

describe('reload', () => {
  it('switches new calls to the new module after its probe passes; old handles are stale', async () => {
    const { zoo, reloads } = await loadZoo();
    const before = { generation: zoo.generation, hash: zoo.stamp.hash };
    const counter = zoo.counter_new(1n)!;
    const probed: string[] = [];
    const generation = await zoo.reload(zooV2, {
      probe: (candidate: Library<ZooExports>) => {
        probed.push(candidate.greet('probe'));
        if (candidate.add(2, 2) !== 4) throw new Error('add is broken');
      },
    });
    expect(probed).toEqual(['hi v2, probe']);
    expect(generation).toBeGreaterThan(before.generation);
    expect(zoo.generation).toBe(generation);
    expect(zoo.greet('you')).toBe('hi v2, you');
    expect(zoo.stamp.hash).toBe(before.hash);
    expect(() => zoo.counter_add(counter, 1n)).toThrow(StaleHandleError);
    expect(reloads).toEqual([expect.objectContaining({ library: 'zoo', outcome: 'switched', fromGeneration: before.generation, toGeneration: generation, to: expect.stringMatching(/^[0-9a-f]{64}$/) })]);
    expect(reloads[0]!.to).not.toBe(reloads[0]!.from);
    // A trap after the reload recycles into the new module, not the old one.
    expect(() => zoo.crash_abort()).toThrow(/abort/);
    expect(zoo.greet('again')).toBe('hi v2, again');
  });

  it('accepts a binding and an async probe, and reloads back', async () => {
    const { zoo } = await loadZoo();
    await zoo.reload(zooV2);
    const binding = await bindingOf<ZooExports>('zoo');
    await zoo.reload(binding, { probe: async (candidate: Library<ZooExports>) => { await Promise.resolve(); candidate.add(1, 1); } });
    expect(zoo.greet('v1')).toBe('hello, v1');
  });

  it('rolls back when the probe fails: nothing changes and the error says why', async () => {
    const { zoo, reloads } = await loadZoo();
    const generation = zoo.generation;
    const counter = zoo.counter_new(5n)!;
    const error = await rejectionOf(zoo.reload(zooV2, {
      probe: (candidate: Library<ZooExports>) => {
        if (candidate.greet('x') !== 'hello, x') throw new Error(`greet answers ${JSON.stringify(candidate.greet('x'))}`);
      },
    }));
    expect(error.code).toBe('reload-probe-failed');
    expect(error.message).toMatch(/^reload of zoo refused, nothing changed: .*zoo\.wasm failed its health probe: greet answers "hi v2, x"$/);
    expect(zoo.generation).toBe(generation);
    expect(zoo.greet('x')).toBe('hello, x');
    expect(zoo.counter_add(counter, 1n)).toBe(6n);
    expect(reloads).toEqual([expect.objectContaining({ outcome: 'rolled-back', fromGeneration: generation, toGeneration: generation, to: null, error })]);
  });

  it('rolls back when the probe traps in the new module', async () => {
    const { zoo } = await loadZoo();
    const error = await rejectionOf(zoo.reload(zooV2, { probe: (candidate: Library<ZooExports>) => candidate.crash_oob_write() }));
    expect(error.code).toBe('reload-probe-failed');
    expect(error.message).toMatch(/health probe: CboxTrap trap-out-of-bounds: crash_oob_write: C code trapped/);
    expect(zoo.greet('x')).toBe('hello, x');
  });

  it('refuses a module with another ABI (kernels for zoo) and names the differences', async () => {
    const { zoo, reloads } = await loadZoo();
    const error = await rejectionOf(zoo.reload(modulePath('kernels')));
    expect(error.code).toBe('abi-mismatch');
    expect(error.message).toMatch(/^reload of zoo refused, nothing changed: .*kernels\.wasm: the module's ABI/);
    expect(error.message).toContain('library name: binding says zoo, module says kernels');
    expect(error.message).toContain('crc32: in the module, not in the binding');
    expect(zoo.add(1, 2)).toBe(3);
    expect(reloads).toEqual([expect.objectContaining({ outcome: 'rolled-back' })]);
  });

  it('refuses a file it cannot read, and reload on the native engine', async () => {
    const { zoo } = await loadZoo();
    expect((await rejectionOf(zoo.reload(path.join(os.tmpdir(), 'no-such-module.wasm')))).code).toBe('not-found');
    const native = await load(await bindingOf<ZooExports>('zoo'), { engine: 'native' });
    opened.push(native);
    const error = await rejectionOf(native.reload(zooV2));
    expect(error.code).toBe('reload-unsupported');
    expect(zoo.add(1, 2)).toBe(3);
  });

  it('queues reloads asked at the same time, in order', async () => {
    const { zoo, reloads } = await loadZoo();
    const binding = await bindingOf<ZooExports>('zoo');
    const generations = await Promise.all([zoo.reload(zooV2), zoo.reload(binding), zoo.reload(zooV2)]);
    expect(generations[0]).toBeLessThan(generations[1]!);
    expect(generations[1]).toBeLessThan(generations[2]!);
    expect(reloads.map((event) => event.outcome)).toEqual(['switched', 'switched', 'switched']);
    expect(zoo.greet('last')).toBe('hi v2, last');
  });
});
