// The pool with a metered module (c-src/metered): a deadline ends the call inside the worker,
// which stays alive and serves the next call; no respawn.
import { describe, expect, it } from 'vitest';
import { CboxTrap, createPool, type TrapEvent } from 'cbox';
import type { MeteredExports } from '../wasm-modules/metered.js';
import { bindingOf } from './helpers.js';

describe('pool deadlines on a metered module', () => {
  it('a call past its deadline ends in CboxTrap timeout and the same worker thread answers next', async () => {
    const pool = await createPool(await bindingOf<MeteredExports>('metered'), { threads: 1, logger: null, timeoutMs: 50 });
    try {
      expect(await pool.add(1, 2)).toBe(3);
      const threadId = pool.stats().workers[0]!.threadId;
      const timeouts: TrapEvent[] = [];
      pool.on('timeout', (event) => timeouts.push(event));
      const error = await pool.spin().then(() => null, (reason: unknown) => reason);
      expect(error).toBeInstanceOf(CboxTrap);
      expect((error as CboxTrap).kind).toBe('timeout');
      expect((error as CboxTrap).cStack[0]).toBe('spin'); // stopped inside the worker: its C stack is known
      expect(await pool.add(2, 3)).toBe(5);
      const stats = pool.stats();
      expect(stats.workers[0]!.threadId).toBe(threadId);
      expect(stats.respawns).toBe(0);
      expect(stats.timeouts).toBe(1);
      expect(timeouts).toHaveLength(1);
    } finally {
      await pool.close();
    }
  });

  it('a per-call deadline (pool.with) is enforced the same way', async () => {
    const pool = await createPool(await bindingOf<MeteredExports>('metered'), { threads: 1, logger: null });
    try {
      const threadId = pool.stats().workers[0]?.threadId;
      const error = await pool.with({ timeoutMs: 30 }).fib(60).then(() => null, (reason: unknown) => reason);
      expect((error as CboxTrap).kind).toBe('timeout');
      expect(await pool.fib(10)).toBe(55);
      if (threadId !== undefined) expect(pool.stats().workers[0]!.threadId).toBe(threadId);
      expect(pool.stats().respawns).toBe(0);
    } finally {
      await pool.close();
    }
  });
});
