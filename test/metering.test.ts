// Metered modules (`cbox build --metered`, c-src/metered): deadlines that stop C on the main
// thread, a start-up deadline, deterministic fuel, the refusal of limits on modules that were not
// built for them, a real library metered, and the fuel on a timeout's span.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { CboxLoadError, CboxTrap, load, type LoadOptions } from 'cbox';
import { buildLibrary } from '../build/build-library.js';
import { readManifest } from '../build/manifest.js';
import { inspectModule } from '../runtime/wasm-inspect.js';
import type { MeteredExports } from '../wasm-modules/metered.js';
import type { ZooExports } from '../wasm-modules/zoo.js';
import { bindingOf, modulePath, root, thrownBy } from './helpers.js';

async function metered(options: LoadOptions<MeteredExports> = {}) {
  return load(await bindingOf<MeteredExports>('metered'), { logger: null, ...options });
}


/** Generous sanity bound only: precision is measured in bench/, not asserted here. */
const SANITY_MS = 10_000;

describe('the manifest', () => {
  it('SIMD is on unless "simd": false; metering is off unless "metered": true', () => {
    const kernels = readManifest(path.join(root, 'c-src', 'kernels', 'cbox.json'));
    expect([kernels.simd, kernels.metered]).toEqual([true, false]);
    expect(readManifest(path.join(root, 'c-src', 'metered', 'cbox.json')).metered).toBe(true);
  });
});

describe('the metered build', () => {
  it('is stamped metered, imports only WASI, its memory and cbox.meter, and keeps C names', async () => {
    const lib = await metered();
    expect(lib.stamp.metered).toBe(true);
    const { imports } = inspectModule(new Uint8Array(readFileSync(modulePath('metered'))));
    expect(imports.filter((entry) => entry.module !== 'wasi_snapshot_preview1').map((entry) => `${entry.module}.${entry.name}`).sort())
      .toEqual(['cbox.meter', 'env.memory']);
    const trap = thrownBy(() => lib.with({ timeoutMs: 20 }).spin()) as CboxTrap;
    expect(trap.cStack[0]).toBe('spin');
    lib.close();
  });

  it('an unmetered build is stamped metered: false', async () => {
    const zoo = await load(await bindingOf<ZooExports>('zoo'), { logger: null });
    expect(zoo.stamp.metered).toBe(false);
    zoo.close();
  });
});

describe('deadlines on the main thread', () => {
  it('an endless C loop ends in CboxTrap timeout at its deadline, and the next call answers', async () => {
    const lib = await metered({ timeoutMs: 50 });
    const generation = lib.generation;
    const started = Date.now();
    const trap = thrownBy(() => lib.spin());
    expect(Date.now() - started).toBeLessThan(SANITY_MS);
    expect(trap).toBeInstanceOf(CboxTrap);
    expect((trap as CboxTrap).kind).toBe('timeout');
    expect((trap as CboxTrap).report.fuel).toBeGreaterThan(0);
    expect(lib.add(2, 3)).toBe(5);
    expect(lib.generation).toBe(generation + 1); // the interrupted instance was replaced
    expect(lib.stats().traps.timeout).toBe(1);
    lib.close();
  });

  it('a per-call deadline (lib.with) stops loop-free recursion too (charged at function entry)', async () => {
    const lib = await metered();
    const trap = thrownBy(() => lib.with({ timeoutMs: 20 }).fib(60)) as CboxTrap;
    expect(trap.kind).toBe('timeout');
    expect(trap.cStack).toContain('fib_inner');
    expect(lib.fib(20)).toBe(6765); // no deadline outside with()
    lib.close();
  });

  it('C start-up code that never returns ends load() in CboxLoadError init-timeout', async () => {
    const error = await load(modulePath('metered-start'), { logger: null, startTimeoutMs: 50 }).then(() => null, (reason: unknown) => reason);
    expect(error).toBeInstanceOf(CboxLoadError);
    expect((error as CboxLoadError).code).toBe('init-timeout');
    expect((error as Error).message).toMatch(/startTimeoutMs/);
  });
});

describe('fuel', () => {
  it('the same input uses the same fuel on every one of 100 runs', async () => {
    const lib = await metered();
    const used = new Set<number>();
    for (let run = 0; run < 100; run++) {
      expect(lib.collatz_steps(300)).toBe(lib.collatz_steps(300));
      used.add(lib.stats().fuel!.lastCall);
    }
    expect(used.size).toBe(1);
    expect([...used][0]).toBeGreaterThan(0);
    lib.close();
  });

  it('a budget one unit below the need fails with fuel-exhausted, the exact need succeeds, every time', async () => {
    const lib = await metered();
    const calls: ((fns: MeteredExports) => number)[] = [(fns) => fns.collatz_steps(500), (fns) => fns.fib(18)];
    for (const call of calls) {
      const answer = call(lib);
      const need = lib.stats().fuel!.lastCall;
      for (let run = 0; run < 20; run++) {
        const trap = thrownBy(() => call(lib.with({ fuel: need - 1 }))) as CboxTrap;
        expect(trap.kind).toBe('fuel-exhausted');
        expect(trap.report.fuel).toBeGreaterThan(need - 1);
        expect(call(lib.with({ fuel: need }))).toBe(answer);
        expect(lib.stats().fuel!.lastCall).toBe(need);
      }
    }
    lib.close();
  });

  it('a fuel budget given at load applies to every call', async () => {
    const lib = await metered({ fuel: 1000 });
    expect((thrownBy(() => lib.collatz_steps(10_000)) as CboxTrap).kind).toBe('fuel-exhausted');
    expect(lib.add(1, 1)).toBe(2);
    lib.close();
  });
});

describe('limits on an unmetered module', () => {
  it('load refuses timeoutMs with a bad-option that says to build with --metered', async () => {
    const error = await load(await bindingOf<ZooExports>('zoo'), { logger: null, timeoutMs: 5 }).then(() => null, (reason: unknown) => reason);
    expect(error).toBeInstanceOf(CboxLoadError);
    expect((error as CboxLoadError).code).toBe('bad-option');
    expect((error as Error).message).toMatch(/cbox build --metered/);
  });

  it('lib.with refuses fuel the same way', async () => {
    const zoo = await load(await bindingOf<ZooExports>('zoo'), { logger: null });
    const error = thrownBy(() => zoo.with({ fuel: 100 }));
    expect((error as CboxLoadError).code).toBe('bad-option');
    expect((error as Error).message).toMatch(/--metered/);
    zoo.close();
  });
});

describe('metering a real library', () => {
  it('metered zlib (cbox build --metered) gives the same bytes as the plain build, under a deadline', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'cbox-metered-zlib-'));
    try {
      const { wasmFile, stamp } = await buildLibrary(path.join(root, 'c-src', 'zlib', 'cbox.json'), { outDir: out, metered: true, native: false });
      expect(stamp.metered).toBe(true);
      const meteredZlib = await load<ZlibLike>(wasmFile, { logger: null, timeoutMs: 5_000 });
      const plainZlib = await load<ZlibLike>(modulePath('zlib'), { logger: null });
      const text = new TextEncoder().encode('metering must not change what C computes. '.repeat(2000));
      const { GZIP, GUNZIP, Z_FINISH, Z_DEFAULT_STRATEGY } = zlibConstants;
      const none = new Uint8Array(0);
      const gzip = (lib: ZlibLike, data: Uint8Array): Uint8Array => lib.process(GZIP, 9, 15, 8, Z_DEFAULT_STRATEGY, none, data, Z_FINISH, 0xffff_ffff);
      const packed = gzip(meteredZlib, text);
      expect(packed).toEqual(gzip(plainZlib, text));
      expect(gunzipSync(packed)).toEqual(Buffer.from(text));
      expect(meteredZlib.process(GUNZIP, 0, 15, 8, Z_DEFAULT_STRATEGY, none, packed, Z_FINISH, 0xffff_ffff)).toEqual(text);
      expect(meteredZlib.stats().fuel!.lastCall).toBeGreaterThan(0);
      meteredZlib.close();
      plainZlib.close();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

/** c-src/zlib's one-shot export (libraries/zlib wraps it as node:zlib's API). */
interface ZlibLike {
  process(mode: number, level: number, windowBits: number, memLevel: number, strategy: number, dictionary: Uint8Array, data: Uint8Array, flush: number, maxOutput: number): Uint8Array;
}

describe('telemetry', () => {
  it("a timeout's span carries the trap kind and the fuel the call used", async () => {
    const spans = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
    const lib = await metered({ telemetry: true });
    const trap = thrownBy(() => lib.with({ timeoutMs: 20 }).spin()) as CboxTrap;
    const [span] = spans.getFinishedSpans();
    expect(span!.attributes['cbox.trap.kind']).toBe('timeout');
    expect(span!.attributes['cbox.fuel']).toBe(trap.report.fuel);
    lib.close();
  });
});
