// The pool's queue and life cycle on real workers: aborting queued and running calls, the
// bounded queue, close() draining or forcing, calls after close, and an idle pool that lets
// the process exit.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CboxClosedError, CboxQueueFullError, CboxTrap, createPool, type PoolOptions } from 'cbox';
import type { ZooExports } from '../wasm-modules/zoo.js';
import { bindingOf, root } from './helpers.js';

async function zooPool(options: PoolOptions) {
  return createPool(await bindingOf<ZooExports>('zoo'), { logger: null, ...options });
}

/** Settles to the rejection reason, or throws if the promise resolved. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => { throw new Error('expected a rejection'); }, (error: unknown) => error);
}

/** Records the order in which promises settle. */
function settleOrder(promises: Record<string, Promise<unknown>>): Promise<string[]> {
  const order: string[] = [];
  return Promise.allSettled(Object.entries(promises).map(([name, promise]) => promise.finally(() => order.push(name)))).then(() => order);
}

describe('abort', () => {
  it('an already aborted signal rejects with its reason and sends nothing', async () => {
    const pool = await zooPool({ threads: 1 });
    const reason = new Error('changed my mind');
    expect(await rejection(pool.call('add', [1, 2], { signal: AbortSignal.abort(reason) }))).toBe(reason);
    expect(pool.stats().calls).toBe(0);
    await pool.close();
  });

  it('a queued call is dropped at once, without waiting for the worker', async () => {
    const pool = await zooPool({ threads: 1, pipeline: 1, timeoutMs: 300 });
    const controller = new AbortController();
    const spin = pool.spin();
    const queued = pool.call('add', [1, 2], { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    expect(await settleOrder({ spin, queued })).toEqual(['queued', 'spin']);
    const reason = await rejection(queued);
    expect(reason).toBeInstanceOf(DOMException);
    expect((reason as DOMException).name).toBe('AbortError');
    expect(await rejection(spin)).toBeInstanceOf(CboxTrap);
    const stats = pool.stats();
    expect(stats.aborts).toBe(1);
    expect(stats.calls).toBe(0); // the aborted call never ran; the spin was stopped, not answered
    expect(await pool.add(2, 2)).toBe(4);
    await pool.close();
  });

  it('a running call is stopped by terminating its worker; a fresh one answers next', async () => {
    const pool = await zooPool({ threads: 1 }); // no pool deadline: only the signal can stop spin()
    const started = performance.now();
    const reason = await rejection(pool.call('spin', [], { signal: AbortSignal.timeout(20) }));
    expect(performance.now() - started).toBeLessThan(1000);
    expect((reason as DOMException).name).toBe('TimeoutError');
    expect(await pool.add(3, 4)).toBe(7);
    const stats = pool.stats();
    expect(stats.aborts).toBe(1);
    expect(stats.respawns).toBe(1);
    expect(stats.workers[0]!.aborts).toBe(1);
    await pool.close();
  });

  it('calls sent behind a call that timed out are not lost: they run on the replacement', async () => {
    const pool = await zooPool({ threads: 1, pipeline: 8, timeoutMs: 50 });
    const spin = pool.spin();
    const behind = Array.from({ length: 5 }, (_, i) => pool.add(i, 10));
    expect(await rejection(spin)).toMatchObject({ kind: 'timeout' });
    expect(await Promise.all(behind)).toEqual([10, 11, 12, 13, 14]);
    await pool.close();
  });
});

describe('queue', () => {
  it('refuses a call past maxQueue with CboxQueueFullError and serves the queued ones in order', async () => {
    const pool = await zooPool({ threads: 1, pipeline: 1, maxQueue: 2, timeoutMs: 100 });
    const spin = pool.spin();
    const first = pool.add(1, 1);
    const second = pool.add(2, 2);
    expect(pool.stats().queued).toBe(2);
    const refused = await rejection(pool.add(3, 3));
    expect(refused).toBeInstanceOf(CboxQueueFullError);
    expect((refused as Error).message).toMatch(/queue is full \(2 calls waiting/);
    expect(await settleOrder({ spin, first, second })).toEqual(['spin', 'first', 'second']);
    expect([await first, await second]).toEqual([2, 4]);
    await pool.close();
  });

  it('maxQueue 0 takes calls only while a worker has room', async () => {
    const pool = await zooPool({ threads: 1, pipeline: 1, maxQueue: 0, timeoutMs: 100 });
    expect(await pool.add(1, 2)).toBe(3);
    const spin = pool.spin();
    expect(await rejection(pool.add(1, 2))).toBeInstanceOf(CboxQueueFullError);
    await rejection(spin);
    await pool.close();
  });
});

describe('close', () => {
  it('drains running and queued calls by default, then ends every worker', async () => {
    const pool = await zooPool({ threads: 1, pipeline: 1, timeoutMs: 100 });
    const spin = rejection(pool.spin());
    const queued = Promise.all([pool.add(1, 1), pool.greet('before close')]);
    const closing = pool.close();
    const late = await rejection(pool.add(1, 1));
    expect(late).toBeInstanceOf(CboxClosedError);
    expect((late as Error).message).toMatch(/zoo pool: closed; no more calls/);
    await closing;
    expect(await spin).toMatchObject({ kind: 'timeout' });
    expect(await queued).toEqual([2, 'hello, before close']);
    expect(pool.stats()).toMatchObject({ closed: true, liveWorkers: 0, queued: 0, inFlight: 0 });
  });

  it('with force rejects running and queued calls and stops even a call with no deadline', async () => {
    const pool = await zooPool({ threads: 1, pipeline: 1 });
    const spin = rejection(pool.spin()); // would run forever: no deadline, no signal
    const queued = rejection(pool.add(1, 1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await pool.close({ force: true });
    for (const call of [spin, queued]) {
      const error = await call;
      expect(error).toBeInstanceOf(CboxClosedError);
      expect((error as Error).message).toMatch(/closed with force before the call finished/);
    }
    expect(pool.stats().liveWorkers).toBe(0);
  });

  it('a forced close cuts short a draining one', async () => {
    const pool = await zooPool({ threads: 1 });
    const spin = rejection(pool.spin());
    const draining = pool.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await pool.close({ force: true });
    await draining;
    expect(await spin).toBeInstanceOf(CboxClosedError);
  });

  it('calls after close fail with CboxClosedError; close again is harmless', async () => {
    const pool = await zooPool({ threads: 1 });
    await pool.close();
    await pool.close();
    expect(await rejection(pool.add(1, 2))).toBeInstanceOf(CboxClosedError);
    expect(await rejection(pool.with({ timeoutMs: 10 }).greet('x'))).toBeInstanceOf(CboxClosedError);
  });

  it('closing right after a timeout, while the replacement worker is still starting, finishes', async () => {
    for (let round = 0; round < 10; round++) {
      const pool = await zooPool({ threads: 1, timeoutMs: 20 });
      expect(await rejection(pool.spin())).toMatchObject({ kind: 'timeout' });
      await pool.close(); // a hang here fails the test by its timeout
      expect(await rejection(pool.add(1, 2))).toBeInstanceOf(CboxClosedError);
    }
  });

  it('an idle pool does not keep the process alive', () => {
    const script = `
      import { createPool } from ${JSON.stringify(path.join(root, 'dist/index.js'))};
      import { binding } from ${JSON.stringify(path.join(root, 'wasm-modules/zoo.js'))};
      const pool = await createPool(binding, { threads: 2, logger: null });
      console.log(await pool.add(20, 22));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('42');
    expect(run.status).toBe(0);
  });
});
