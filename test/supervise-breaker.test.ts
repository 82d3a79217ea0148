// Circuit breakers on the real zoo and kernels modules: every rule that opens a circuit, the
// fallbacks calls go to while it is open, failing fast without one, and half-open recovery.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CboxError, CboxLoadError, CboxTrap, CircuitOpenError, load, type BreakerEvent, type Library, type LoadOptions,
} from 'cbox';
import type { KernelsExports } from '../wasm-modules/kernels.js';
import type { ZooExports } from '../wasm-modules/zoo.js';
import { bindingOf, thrownBy } from './helpers.js';
import type { BoundaryExports } from '../wasm-modules/boundary.js';

const opened: Library<any>[] = [];
afterEach(() => {
  for (const library of opened.splice(0)) library.close();
});

async function zooWith(options: LoadOptions<ZooExports>): Promise<{ zoo: Library<ZooExports>; changes: BreakerEvent[] }> {
  const zoo = await load(await bindingOf<ZooExports>('zoo'), { logger: null, ...options });
  opened.push(zoo);
  const changes: BreakerEvent[] = [];
  zoo.on('breaker', (event) => changes.push(event));
  return { zoo, changes };
}


describe('opening the circuit', () => {
  it('opens after N consecutive traps; a success in between starts the count again', async () => {
    const { zoo, changes } = await zooWith({ breaker: { consecutiveTraps: 3, coolDownMs: 60_000 } });
    expect(() => zoo.crash_div_zero(1, 0)).toThrow(CboxTrap);
    expect(() => zoo.crash_div_zero(1, 0)).toThrow(CboxTrap);
    expect(zoo.crash_div_zero(6, 3)).toBe(2);
    expect(() => zoo.crash_div_zero(1, 0)).toThrow(CboxTrap);
    expect(() => zoo.crash_div_zero(1, 0)).toThrow(CboxTrap);
    expect(changes).toEqual([]);
    expect(() => zoo.crash_div_zero(1, 0)).toThrow(CboxTrap);
    expect(changes).toEqual([{ library: 'zoo', function: 'crash_div_zero', from: 'closed', to: 'open', reason: '3 failures in a row (last: trap divide-by-zero)' }]);
  });

  it('fails fast with CircuitOpenError while open, without touching the sandbox; other functions go on', async () => {
    const { zoo } = await zooWith({ breaker: { consecutiveTraps: 2, coolDownMs: 60_000 } });
    expect(() => zoo.crash_abort()).toThrow(CboxTrap);
    expect(() => zoo.crash_abort()).toThrow(CboxTrap);
    const before = zoo.stats();
    const error = thrownBy(() => zoo.crash_abort());
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toBeInstanceOf(CboxError);
    expect(error).toMatchObject({ code: 'circuit-open', library: 'zoo', function: 'crash_abort' });
    expect((error as CircuitOpenError).retryInMs).toBeGreaterThan(50_000);
    expect((error as Error).message).toMatch(/^zoo\.crash_abort: circuit open \(2 failures in a row \(last: trap abort\)\); no fallback; next probe in \d+ms$/);
    expect(zoo.stats()).toMatchObject({ calls: before.calls, traps: { abort: 2 }, recycles: before.recycles });
    expect(zoo.add(2, 3)).toBe(5);
    expect(zoo.stats().functions?.crash_abort).toMatchObject({ calls: 3, failures: 2, refused: 1, fallbacks: 0, breaker: { state: 'open', opened: 1 } });
    expect(zoo.stats().functions?.add).toMatchObject({ calls: 1, failures: 0, breaker: { state: 'closed' } });
  });

  it('opens on an error rate over a count window once it holds minCalls', async () => {
    const { zoo, changes } = await zooWith({ breaker: { errorRate: { threshold: 0.5, window: { calls: 10 }, minCalls: 10 }, coolDownMs: 60_000 } });
    for (let i = 0; i < 6; i++) zoo.crash_div_zero(9, 3);
    for (let i = 0; i < 4; i++) expect(() => zoo.crash_div_zero(1, 0)).toThrow(CboxTrap);
    expect(changes).toEqual([]); // 4 of 10 failed
    expect(() => zoo.crash_div_zero(1, 0)).toThrow(CboxTrap); // the oldest success leaves: 5 of 10
    expect(changes).toEqual([expect.objectContaining({ from: 'closed', to: 'open', reason: 'error rate 50% >= 50% over 10 calls (last: trap divide-by-zero)' })]);
  });

  it('opens on an error rate over a time window', async () => {
    const { zoo, changes } = await zooWith({ breaker: { errorRate: { threshold: 0.3, window: '30s', minCalls: 20 }, coolDownMs: 60_000 } });
    for (let i = 0; i < 14; i++) zoo.crash_div_zero(9, 3);
    for (let i = 0; i < 5; i++) expect(() => zoo.crash_div_zero(1, 0)).toThrow(CboxTrap);
    expect(changes).toEqual([]); // 19 calls: under minCalls
    expect(() => zoo.crash_div_zero(1, 0)).toThrow(CboxTrap);
    expect(changes).toEqual([expect.objectContaining({ to: 'open', reason: 'error rate 30% >= 30% over 20 calls (last: trap divide-by-zero)' })]);
  });

  it('opens when p99 latency over a time window passes the bound (a C call that sleeps)', async () => {
    // nap(ms) sleeps in C (usleep), so its duration does not depend on the machine's speed: naps
    // of 0 ms stay far under the 100 ms bound, naps of 300 ms are always over it.
    const naps = await load(await bindingOf<BoundaryExports>('boundary'), {
      logger: null, wasi: { clock: true }, breaker: { latency: { percentile: 99, maxMs: 100, window: '60s' }, coolDownMs: 60_000 },
    });
    opened.push(naps);
    const changes: BreakerEvent[] = [];
    naps.on('breaker', (event) => changes.push(event));
    for (let i = 0; i < 100; i++) naps.nap(0);
    naps.nap(300);
    expect(changes).toEqual([]); // 1 slow call in 101: p99 is still a fast one
    naps.nap(300);
    expect(changes).toEqual([expect.objectContaining({ function: 'nap', to: 'open', reason: 'p99 latency over 100ms: 2 of 102 calls slower' })]);
    expect(() => naps.nap(0)).toThrow(CircuitOpenError);
  });

  it('takes per-function rules over the shared ones, and false for none', async () => {
    const { zoo, changes } = await zooWith({
      breaker: { consecutiveTraps: 1, coolDownMs: 60_000, functions: { crash_div_zero: { consecutiveTraps: 3 }, crash_trap: false } },
    });
    expect(() => zoo.crash_div_zero(1, 0)).toThrow(CboxTrap);
    expect(() => zoo.crash_div_zero(1, 0)).toThrow(CboxTrap);
    for (let i = 0; i < 5; i++) expect(() => zoo.crash_trap()).toThrow(CboxTrap);
    expect(changes).toEqual([]);
    expect(() => zoo.crash_abort()).toThrow(CboxTrap);
    expect(changes.map((event) => event.function)).toEqual(['crash_abort']);
    expect(zoo.stats().functions?.crash_trap?.breaker).toBeUndefined();
  });

  it('counts only what isFailure says: C error answers are not failures by default', async () => {
    const { zoo, changes } = await zooWith({ breaker: { consecutiveTraps: 2, coolDownMs: 60_000 } });
    for (let i = 0; i < 3; i++) expect(() => zoo.fail_with('no')).toThrow(/fail_with: no/);
    expect(() => (zoo.add as (...args: unknown[]) => number)('1', 2)).toThrow(/must be an integer/);
    expect(changes).toEqual([]);
    const strict = await zooWith({ breaker: { consecutiveTraps: 2, coolDownMs: 60_000, isFailure: (error) => error instanceof CboxError && error.code === 'call-failed' } });
    for (let i = 0; i < 2; i++) expect(() => strict.zoo.fail_with('no')).toThrow(/fail_with: no/);
    expect(strict.changes).toEqual([expect.objectContaining({ function: 'fail_with', to: 'open' })]);
  });
});

describe('half-open', () => {
  it('closes after the probe calls succeed', async () => {
    const { zoo, changes } = await zooWith({ breaker: { consecutiveTraps: 1, coolDownMs: 40, halfOpenProbes: 2 } });
    expect(() => zoo.crash_div_zero(1, 0)).toThrow(CboxTrap);
    expect(() => zoo.crash_div_zero(8, 2)).toThrow(CircuitOpenError);
    await sleep(60);
    expect(zoo.crash_div_zero(8, 2)).toBe(4);
    expect(zoo.stats().functions?.crash_div_zero?.breaker?.state).toBe('half-open');
    expect(zoo.crash_div_zero(9, 3)).toBe(3);
    expect(changes.map(({ from, to, reason }) => [from, to, reason])).toEqual([
      ['closed', 'open', '1 failure in a row (last: trap divide-by-zero)'],
      ['open', 'half-open', 'cool-down of 40ms over'],
      ['half-open', 'closed', '2 probe calls succeeded'],
    ]);
    expect(() => zoo.crash_div_zero(1, 0)).toThrow(CboxTrap); // closed again: the rules run from a clean slate
    expect(changes.at(-1)).toMatchObject({ from: 'closed', to: 'open' });
  });

  it('opens again when a probe fails, for another cool-down', async () => {
    const { zoo, changes } = await zooWith({ breaker: { consecutiveTraps: 1, coolDownMs: 40 } });
    expect(() => zoo.crash_div_zero(1, 0)).toThrow(CboxTrap);
    await sleep(60);
    expect(() => zoo.crash_div_zero(1, 0)).toThrow(CboxTrap);
    expect(changes.map(({ from, to, reason }) => [from, to, reason])).toEqual([
      ['closed', 'open', '1 failure in a row (last: trap divide-by-zero)'],
      ['open', 'half-open', 'cool-down of 40ms over'],
      ['half-open', 'open', 'probe failed: trap divide-by-zero'],
    ]);
    expect(() => zoo.crash_div_zero(8, 2)).toThrow(CircuitOpenError);
    expect(zoo.stats().functions?.crash_div_zero?.breaker).toMatchObject({ state: 'open', opened: 2 });
  });
});

describe('fallbacks', () => {
  it('a JS function answers failed calls and, while open, every call, without touching C', async () => {
    const { zoo } = await zooWith({
      breaker: { consecutiveTraps: 2, coolDownMs: 60_000 },
      fallback: { crash_div_zero: (a, b) => (b === 0 ? 0 : Math.trunc(a / b)) },
    });
    expect(zoo.crash_div_zero(7, 2)).toBe(3); // C answers
    expect(zoo.crash_div_zero(1, 0)).toBe(0); // C trapped, the fallback answered
    expect(zoo.crash_div_zero(1, 0)).toBe(0); // ... and the circuit opened
    const calls = zoo.stats().calls;
    expect(zoo.crash_div_zero(10, 5)).toBe(2);
    expect(zoo.stats().calls).toBe(calls);
    expect(zoo.stats().traps['divide-by-zero']).toBe(2);
    expect(zoo.stats().functions?.crash_div_zero).toMatchObject({ calls: 4, failures: 2, fallbacks: 3, refused: 0 });
  });

  it('routes to the native path: a native-engine load of the same binding', async () => {
    const binding = await bindingOf<ZooExports>('zoo');
    const native = await load(binding, { engine: 'native' });
    opened.push(native);
    // The sandbox's memory limit is too small for a 4MiB echo; the native path has no limit.
    const tooBig = (error: unknown): boolean => error instanceof CboxTrap || (error instanceof CboxError && error.code === 'arena-full');
    const { zoo, changes } = await zooWith({
      memoryLimit: '2MiB', breaker: { consecutiveTraps: 1, coolDownMs: 60_000, isFailure: tooBig }, fallback: { '*': native },
    });
    const data = new Uint8Array(4 * 1024 * 1024).fill(7);
    expect(Buffer.from(zoo.echo(data)).equals(data)).toBe(true);
    expect(changes).toEqual([expect.objectContaining({ function: 'echo', to: 'open' })]);
    const nativeCalls = native.stats().calls;
    expect(zoo.echo(new Uint8Array([1, 2, 3]))).toEqual(new Uint8Array([1, 2, 3]));
    expect(native.stats().calls).toBe(nativeCalls + 1);
    expect(zoo.greet('wasm')).toBe('hello, wasm'); // closed circuits stay in the sandbox
  });

  it('routes to another library', async () => {
    const other = await load(await bindingOf<ZooExports>('zoo'), { logger: null });
    opened.push(other);
    const { zoo } = await zooWith({ breaker: { consecutiveTraps: 1, coolDownMs: 60_000 }, fallback: { '*': other } });
    // zoo traps, the fallback is asked and traps too: its own trap reaches the caller.
    expect(() => zoo.crash_div_zero(1, 0)).toThrow(CboxTrap);
    expect([zoo.stats().traps['divide-by-zero'], other.stats().traps['divide-by-zero']]).toEqual([1, 1]);
    const [zooCalls, otherCalls] = [zoo.stats().calls, other.stats().calls];
    expect(zoo.crash_div_zero(6, 3)).toBe(2);
    expect([zoo.stats().calls, other.stats().calls]).toEqual([zooCalls, otherCalls + 1]);
  });

  it('refuses fallbacks and rules that cannot work, at load', async () => {
    const binding = await bindingOf<ZooExports>('zoo');
    const kernels = await load(await bindingOf<KernelsExports>('kernels'), { logger: null });
    opened.push(kernels);
    await expect(load(binding, { logger: null, fallback: { nope: () => 1 } as never })).rejects.toThrow(/fallback names nope, which the library does not export/);
    await expect(load(binding, { logger: null, fallback: { greet: kernels as never } })).rejects.toThrow(/fallback for greet: kernels has no export greet/);
    await expect(load(binding, { logger: null, breaker: {} })).rejects.toThrow(/give at least one rule/);
    await expect(load(binding, { logger: null, breaker: { errorRate: { threshold: 2, window: '10s' } } })).rejects.toThrow(/threshold must be a fraction/);
    await expect(load(binding, { logger: null, breaker: { errorRate: { threshold: 0.5, window: 'soon' } } })).rejects.toThrow(/cannot read duration "soon"/);
    await expect(load(binding, { logger: null, breaker: { latency: { percentile: 100, maxMs: 1, window: '1s' } } })).rejects.toThrow(/percentile must be between 0 and 100/);
    await expect(load(binding, { engine: 'native', breaker: { consecutiveTraps: 1 } })).rejects.toThrow(CboxLoadError);
  });
});
