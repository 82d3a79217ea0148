// Start-up code is hostile too: a pool starts every worker under a start deadline, never runs a
// module's start-up code on the main thread (createPool, reload), and when replacement workers
// cannot start it keeps retrying with backoff instead of closing, failing calls with the typed
// start error meanwhile. Built from c-src/hostile: its C constructor hangs or aborts on a
// condition the test sets (an environment variable, a file in the granted directory).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CboxArgumentError, CboxLoadError, CboxTrap, createPool, type Pool, type PoolOptions, type RespawnEvent, type RespawnFailedEvent } from 'cbox';
import type { HostileExports } from '../wasm-modules/hostile.js';
import { bindingOf, modulePath } from './helpers.js';

/** Generous: a worker start on a busy machine must fit in it, and each start that hangs lasts this long. */
const START_TIMEOUT_MS = 3000;

const pools: Pool<HostileExports>[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close({ force: true })));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function grantedDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'cbox-pool-startup-'));
  dirs.push(dir);
  return dir;
}

async function hostilePool(options: PoolOptions): Promise<Pool<HostileExports>> {
  const pool = await createPool(await bindingOf<HostileExports>('hostile'), { logger: null, ...options });
  pools.push(pool);
  return pool;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => { throw new Error('expected a rejection'); }, (error: unknown) => error);
}

/**
 * Ends calls with `kill` until the pool refuses one because no worker can start. Every other end
 * must be a trap of `kind`, or the start error itself from a worker whose sandbox could not
 * replace its trapped instance (that worker is then replaced).
 */
async function untilNoWorkerStarts(kill: () => Promise<unknown>, kind: string): Promise<CboxLoadError> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const error = await rejection(kill());
    if (error instanceof CboxLoadError && error.message.startsWith('hostile pool:')) return error;
    if (error instanceof CboxLoadError) continue;
    expect(error).toBeInstanceOf(CboxTrap);
    expect(error).toMatchObject({ kind });
  }
  throw new Error('the pool kept serving although no new worker could start');
}

function recordEvents(pool: Pool<HostileExports>): { failed: RespawnFailedEvent[]; respawns: RespawnEvent[] } {
  const failed: RespawnFailedEvent[] = [];
  const respawns: RespawnEvent[] = [];
  pool.on('respawn-failed', (event) => failed.push(event));
  pool.on('respawn', (event) => respawns.push(event));
  return { failed, respawns };
}

describe('start deadline', () => {
  it('createPool settles with init-timeout when C start-up code never returns', async () => {
    const failed = await rejection(createPool(await bindingOf<HostileExports>('hostile'), {
      threads: 2, startTimeoutMs: 2000, logger: null, wasi: { env: { HOSTILE_HANG: '1' } },
    }));
    expect(failed).toBeInstanceOf(CboxLoadError);
    expect(failed).toMatchObject({ code: 'init-timeout', message: expect.stringMatching(/startTimeoutMs \(2000 ms\)/) });
  });

  it('reload runs the new start-up code in workers: a hang rejects with init-timeout, keeps the old module and never blocks this thread', async () => {
    const dir = grantedDir();
    const pool = await hostilePool({ threads: 2, startTimeoutMs: START_TIMEOUT_MS, wasi: { preopens: { '/data': { path: dir } } } });
    const outcomes: string[] = [];
    pool.on('reload', ({ outcome, error }) => outcomes.push(`${outcome}:${(error as CboxLoadError | undefined)?.code}`));
    await vi.waitFor(() => expect(pool.stats().spareReady).toBe(true), { timeout: 10_000 });
    writeFileSync(path.join(dir, 'hang'), '');
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    let probed = false;
    const withProbe = await rejection(pool.reload(modulePath('hostile'), { probe: () => { probed = true; } }));
    const withoutProbe = await rejection(pool.reload(modulePath('hostile')));
    clearInterval(ticker);
    for (const error of [withProbe, withoutProbe]) {
      expect(error).toBeInstanceOf(CboxLoadError);
      expect(error).toMatchObject({ code: 'init-timeout' });
    }
    expect(probed).toBe(false);
    expect(ticks).toBeGreaterThan(0); // timers ran while the start-up code looped
    expect(outcomes).toEqual(['rolled-back:init-timeout', 'rolled-back:init-timeout']);
    // The old workers serve on; their start-up ran before the file existed.
    expect(await pool.add(2, 3)).toBe(5);
  });

  it('a probe call that never returns ends at its deadline in the probe worker', async () => {
    const pool = await hostilePool({ threads: 1, timeoutMs: 200 });
    const failed = await rejection(pool.reload(modulePath('hostile'), { probe: async (candidate) => { await candidate.flood(); } }));
    expect(failed).toMatchObject({ code: 'reload-probe-failed', message: expect.stringMatching(/trap-timeout/) });
    expect(await pool.add(1, 1)).toBe(2);
  });

  it('refuses a start deadline or call deadline a timer cannot wait, naming the option', async () => {
    const binding = await bindingOf<HostileExports>('hostile');
    for (const startTimeoutMs of [0, -1, Number.NaN, 2 ** 31]) {
      const failed = await rejection(createPool(binding, { startTimeoutMs, logger: null }));
      expect(failed).toBeInstanceOf(CboxLoadError);
      expect(failed).toMatchObject({ code: 'bad-option', message: expect.stringMatching(/^createPool: startTimeoutMs must be/) });
    }
    const tooLong = await rejection(createPool(binding, { timeoutMs: 2 ** 31, logger: null }));
    expect(tooLong).toMatchObject({ code: 'bad-option', message: expect.stringMatching(/^createPool: timeoutMs must be a number of milliseconds from 1 to 2147483647/) });
    const pool = await hostilePool({ threads: 1 });
    const perCall = await rejection(pool.call('add', [1, 2], { timeoutMs: 2 ** 31 }));
    expect(perCall).toBeInstanceOf(CboxArgumentError);
    expect(perCall).toMatchObject({ message: expect.stringMatching(/^add: timeoutMs must be a number of milliseconds from 1 to 2147483647/) });
    expect(await pool.call('add', [1, 2], { timeoutMs: 2 ** 31 - 1 })).toBe(3);
    expect(await pool.call('add', [1, 2], { timeoutMs: Infinity })).toBe(3);
  });
});

describe('replacement workers that cannot start', () => {
  it('C that breaks its own start-up: the trapping call gets its CboxTrap, later ones init-failed, and the pool serves again once the cause is gone', async () => {
    const dir = grantedDir();
    const pool = await hostilePool({ threads: 1, wasi: { preopens: { '/data': { path: dir } } } });
    const { failed, respawns } = recordEvents(pool);
    const refused = await untilNoWorkerStarts(() => pool.poison(), 'abort');
    expect(refused).toMatchObject({ code: 'init-failed', message: expect.stringMatching(/^hostile pool: poison refused: no worker can start its sandbox/) });
    const later = await rejection(pool.add(1, 2));
    expect(later).toBeInstanceOf(CboxLoadError);
    expect(later).toMatchObject({ code: 'init-failed', message: expect.stringMatching(/^hostile pool: add refused: no worker can start its sandbox/) });
    expect(pool.stats().closed).toBe(false);
    await vi.waitFor(() => expect(failed.length).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    failed.forEach(({ attempt, delayMs, error }, index) => {
      expect(attempt).toBe(index + 1);
      expect(delayMs).toBe(Math.min(5000, 50 * 2 ** index));
      expect(error).toMatchObject({ code: 'init-failed' });
    });
    const respawnsBefore = respawns.length;
    rmSync(path.join(dir, 'fail'));
    await vi.waitFor(async () => expect(await pool.add(1, 2)).toBe(3), { timeout: 15_000, interval: 50 });
    // 'respawn' says the worker is up; its first answer may come just before the event.
    await vi.waitFor(() => expect(respawns.length).toBeGreaterThan(respawnsBefore), { timeout: 10_000 });
    await pool.close();
  });

  it('a granted directory removed after createPool: calls fail with bad-wasi-options while it is gone, close() still finishes', async () => {
    const dir = grantedDir();
    const pool = await hostilePool({ threads: 2, wasi: { preopens: { '/data': { path: dir } } } });
    rmSync(dir, { recursive: true });
    const refused = await untilNoWorkerStarts(() => pool.call('flood', [], { timeoutMs: 100 }), 'timeout');
    expect(refused).toMatchObject({ code: 'bad-wasi-options' });
    expect(await rejection(pool.add(1, 2))).toMatchObject({ code: 'bad-wasi-options' });
    mkdirSync(dir);
    await vi.waitFor(async () => expect(await pool.add(1, 2)).toBe(3), { timeout: 15_000, interval: 50 });
    rmSync(dir, { recursive: true });
    await untilNoWorkerStarts(() => pool.call('flood', [], { timeoutMs: 100 }), 'timeout');
    await pool.close(); // while retries are scheduled
    expect(pool.stats()).toMatchObject({ closed: true, liveWorkers: 0 });
  });

  it('replacement start-up that hangs ends in init-timeout for later calls, then the pool recovers', async () => {
    const dir = grantedDir();
    const pool = await hostilePool({ threads: 1, startTimeoutMs: START_TIMEOUT_MS, wasi: { preopens: { '/data': { path: dir } } } });
    const { failed } = recordEvents(pool);
    await vi.waitFor(() => expect(pool.stats().spareReady).toBe(true), { timeout: 10_000 });
    writeFileSync(path.join(dir, 'hang'), '');
    const refused = await untilNoWorkerStarts(() => pool.call('flood', [], { timeoutMs: 100 }), 'timeout');
    expect(refused).toMatchObject({ code: 'init-timeout' });
    expect(failed[0]?.error).toMatchObject({ code: 'init-timeout' });
    rmSync(path.join(dir, 'hang'));
    await vi.waitFor(async () => expect(await pool.add(4, 5)).toBe(9), { timeout: 15_000, interval: 50 });
  });

  it('queued calls do not wait for a worker that cannot start', async () => {
    const dir = grantedDir();
    const pool = await hostilePool({ threads: 1, wasi: { preopens: { '/data': { path: dir } } } });
    const { failed } = recordEvents(pool);
    await vi.waitFor(() => expect(pool.stats().spareReady).toBe(true), { timeout: 10_000 });
    writeFileSync(path.join(dir, 'fail'), '');
    // A deadline ends the worker: the warm spare (started before the file existed) takes over, and no new spare can start.
    expect(await rejection(pool.call('flood', [], { timeoutMs: 100 }))).toMatchObject({ kind: 'timeout' });
    await vi.waitFor(() => expect(failed.length).toBeGreaterThan(0), { timeout: 10_000 });
    // The last started worker runs into a deadline with calls queued behind it.
    const calls = [pool.call('flood', [], { timeoutMs: 100 }), ...Array.from({ length: 5 }, () => pool.add(1, 1))];
    const outcomes = await Promise.all(calls.map(rejection));
    expect(outcomes[0]).toMatchObject({ kind: 'timeout' });
    for (const outcome of outcomes.slice(1)) expect(outcome).toMatchObject({ name: 'CboxLoadError', code: 'init-failed' });
  });
});

describe('timeouts and crash reports', () => {
  it('a timeout counts as a trap in stats and writes a crash report when crashReports is set', async () => {
    const dir = grantedDir();
    const pool = await hostilePool({ threads: 1, crashReports: { dir } });
    const trap = await rejection(pool.call('flood', [], { timeoutMs: 100 })) as CboxTrap;
    expect(trap).toBeInstanceOf(CboxTrap);
    const file = trap.report.files?.report;
    expect(file).toBeDefined();
    const written = JSON.parse(readFileSync(file!, 'utf8')) as { kind: string; export: string; module: { name: string } };
    expect(written).toMatchObject({ kind: 'timeout', export: 'flood', module: { name: 'hostile' } });
    expect(pool.stats()).toMatchObject({ timeouts: 1, traps: { timeout: 1 } });
  });
});
