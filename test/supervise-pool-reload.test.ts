// pool.reload() with real worker threads: calls in flight finish on the old workers, later calls
// run on new workers made from the new module, and a refused reload changes nothing.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CboxLoadError, createPool, type Pool } from 'cbox';
import type { ZooExports } from '../wasm-modules/zoo.js';
import { bindingOf, modulePath } from './helpers.js';
import { buildZooV2, V2_GREETING } from './supervise-zoo-v2.js';

let zooV2: string;
beforeAll(async () => {
  zooV2 = await buildZooV2();
});

const pools: Pool<ZooExports>[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close({ force: true })));
});

async function zooPool(): Promise<Pool<ZooExports>> {
  // A generous start deadline: the reload starts workers while 2000 calls are in flight, and a
  // busy machine must not turn that into init-timeout (start deadlines are tested in pool-startup).
  const pool = await createPool(await bindingOf<ZooExports>('zoo'), { threads: 2, logger: null, startTimeoutMs: 120_000 });
  pools.push(pool);
  return pool;
}

describe('pool.reload', () => {
  it('lets the calls in flight finish and runs later calls on workers of the new module', async () => {
    const pool = await zooPool();
    const reloads: string[] = [];
    pool.on('reload', ({ outcome, from, to }) => reloads.push(`${outcome}:${from !== to && to !== null}`));
    const data = new Uint8Array(1024).fill(9);
    const before = Array.from({ length: 2000 }, (_, i) => (i % 2 === 0 ? pool.echo(data) : pool.greet(`n${i}`)));
    const probed: string[] = [];
    // The probe runs against a worker of the new module: its exports are async there.
    const reloaded = pool.reload(zooV2, { probe: async (candidate) => { probed.push(await candidate.greet('probe')); } });
    const answers = await Promise.all(before);
    answers.forEach((answer, i) => {
      if (i % 2 === 0) expect(answer).toEqual(data);
      else expect([`hello, n${i}`, `${V2_GREETING}n${i}`]).toContain(answer);
    });
    await reloaded;
    expect(probed).toEqual([`${V2_GREETING}probe`]);
    expect(reloads).toEqual(['switched:true']);
    const after = await Promise.all(Array.from({ length: 100 }, (_, i) => pool.greet(`m${i}`)));
    expect(after).toEqual(Array.from({ length: 100 }, (_, i) => `${V2_GREETING}m${i}`));
    // A timeout after the reload: the replacement worker comes from the new module too.
    await expect(pool.call('spin', [], { timeoutMs: 20 })).rejects.toMatchObject({ kind: 'timeout' });
    expect(await pool.greet('last')).toBe(`${V2_GREETING}last`);
    // The old workers ended once drained: two slots and the warm spare are left.
    await vi.waitFor(() => expect(pool.stats().liveWorkers).toBe(3), { timeout: 5000 });
    expect(pool.stats()).toMatchObject({ respawns: 1, timeouts: 1 });
  });

  it('changes nothing when the probe fails or the ABI differs', async () => {
    const pool = await zooPool();
    const outcomes: string[] = [];
    pool.on('reload', ({ outcome, error }) => outcomes.push(`${outcome}:${(error as { code?: string } | undefined)?.code}`));
    const failed = await pool.reload(zooV2, { probe: () => { throw new Error('not today'); } }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(CboxLoadError);
    expect(failed).toMatchObject({ code: 'reload-probe-failed', message: expect.stringMatching(/failed its health probe: not today$/) });
    const mismatch = await pool.reload(modulePath('kernels')).catch((error: unknown) => error);
    expect(mismatch).toMatchObject({ code: 'abi-mismatch' });
    expect(outcomes).toEqual(['rolled-back:reload-probe-failed', 'rolled-back:abi-mismatch']);
    expect(await pool.greet('still')).toBe('hello, still');
  });
});
