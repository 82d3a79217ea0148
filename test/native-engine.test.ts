// The native engine as a user meets it: what load refuses, what a native crash costs (the whole
// process) against the same crash in the sandbox, and engine 'auto', which may take only trusted
// exports out of the sandbox.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CboxLoadError, CboxTrap, calibrate, load, routesOf, type Binding, type Calibration } from 'cbox';
import type { KernelsExports } from '../wasm-modules/kernels.js';
import type { ZooExports } from '../wasm-modules/zoo.js';
import { bindingOf, modulePath, modulesDir, root } from './helpers.js';

async function loadError(promise: Promise<unknown>): Promise<CboxLoadError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(CboxLoadError);
  return error as CboxLoadError;
}

describe('load with engine native refuses what it cannot use', () => {
  it('a binding without an addon, a missing addon, another library\'s addon, a bare module path, an unknown engine', async () => {
    const zoo = await bindingOf<ZooExports>('zoo');
    const noAddon = await loadError(load({ ...zoo, native: null }, { engine: 'native' }));
    expect(noAddon.code).toBe('no-native');
    expect(noAddon.message).toMatch(/zoo: the binding has no native addon.*"native"/);
    const missing = await loadError(load({ ...zoo, native: pathToFileURL(path.join(modulesDir, 'no-such.node')) }, { engine: 'native' }));
    expect(missing.code).toBe('not-found');
    expect(missing.message).toMatch(/no-such\.node is missing: rebuild with `cbox build` \(without --no-native\)/);
    const foreign = await loadError(load({ ...zoo, native: pathToFileURL(path.join(modulesDir, 'kernels.node')) }, { engine: 'native' }));
    expect(foreign.code).toBe('abi-mismatch');
    expect(foreign.message).toMatch(/built for kernels ABI .* the binding is zoo ABI/);
    expect((await loadError(load(modulePath('zoo'), { engine: 'native' }))).code).toBe('no-native');
    expect((await loadError(load(zoo, { engine: 'fast' as 'wasm' }))).code).toBe('bad-option');
  });
});

describe('what a crash costs', () => {
  function runChild(engine: string, crash: string): ReturnType<typeof spawnSync> {
    const script = `
      import { load } from ${JSON.stringify(path.join(root, 'dist/index.js'))};
      import { binding } from ${JSON.stringify(path.join(modulesDir, 'zoo.js'))};
      const zoo = await load(binding, { engine: ${JSON.stringify(engine)}, logger: null });
      console.log('loaded');
      try { zoo.${crash}(); } catch (error) { console.log(error.name, error.kind); }
      console.log('still here', zoo.add(2, 3));`;
    return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  }

  it.each([['crash_oob_write', 'SIGSEGV', 'out-of-bounds'], ['crash_abort', 'SIGABRT', 'abort']])('%s: the native child dies by %s, the wasm child traps and goes on', (crash, signal, kind) => {
    const native = runChild('native', crash);
    expect(native.signal).toBe(signal);
    expect(native.stdout).toBe('loaded\n');
    const wasm = runChild('wasm', crash);
    expect(wasm.stderr).toBe('');
    expect(wasm.stdout).toBe(`loaded\nCboxTrap ${kind}\nstill here 5\n`);
    expect(wasm.status).toBe(0);
    expect(wasm.signal).toBeNull();
  });
});

describe("engine 'auto'", () => {
  it('routes only trusted exports, even when a calibration says every export is faster natively', async () => {
    const binding = await bindingOf<ZooExports>('zoo');
    const everythingNative: Calibration = {
      library: binding.stamp.name, abiHash: binding.stamp.hash,
      decisions: Object.fromEntries(Object.keys(binding.stamp.exports).map((fn) => [fn, { route: 'native', reason: 'claimed' }])),
    };
    const zoo = await load(binding, { engine: 'auto', calibration: everythingNative, logger: null });
    const routes = routesOf(zoo);
    const native = Object.keys(routes).filter((fn) => routes[fn]!.route === 'native');
    expect(native).toEqual(binding.stamp.trusted);
    expect(native).toEqual(['add']);
    expect(routes.add).toEqual({ route: 'native', reason: 'claimed' });
    expect(routes.crash_abort).toEqual({ route: 'wasm', reason: 'the calibration chose native, refused: not trusted (not in "trusted"): stays in the sandbox' });
    expect(zoo.engine).toBe('auto');
    // crash_abort is native-built but untrusted: it stays in the sandbox, so this process survives it.
    expect(() => zoo.crash_abort()).toThrow(CboxTrap);
    expect(zoo.add(2, 3)).toBe(5);
    expect(zoo.greet('auto')).toBe('hello, auto');
    expect(zoo.stats().calls).toBe(3);
    expect(zoo.stats().traps.abort).toBe(1);
    zoo.close();
  });

  it('calibrates at load: measured decisions for trusted exports, reasons for the rest', async () => {
    const binding = await bindingOf<KernelsExports>('kernels');
    const kernels = await load(binding, { engine: 'auto', logger: null, calibration: { budgetMs: 5 } });
    const routes = routesOf(kernels);
    for (const fn of Object.keys(binding.stamp.exports)) {
      const decision = routes[fn]!;
      if (!binding.stamp.trusted.includes(fn)) expect(decision.route, fn).toBe('wasm');
      // Every trusted export was measured (its arguments derived from the signature), and says so.
      if (binding.stamp.trusted.includes(fn)) {
        expect(decision.wasmNs, fn).toBeGreaterThan(0);
        expect(decision.nativeNs, fn).toBeGreaterThan(0);
        expect(decision.speedup, fn).toBeCloseTo(decision.wasmNs! / decision.nativeNs!, -1);
        expect(decision.reason, fn).toMatch(/^native \d+\.\d\dx .*measured with derived arguments/);
      }
    }
    // Exports that take sized bytes are measured with derived arguments that fit them.
    for (const fn of ['matmul_f32', 'blur_rgba', 'resize_rgba']) expect(routes[fn]!.reason, fn).toMatch(/measured with derived arguments \(every integer 64, bytes 64\*64\*4\)/);
    expect(routes.base64_decode).toEqual({ route: 'wasm', reason: 'not trusted (not in "trusted"): stays in the sandbox' });
    const pixels = new Uint8Array(64 * 64 * 4).fill(7);
    const data = new TextEncoder().encode('the same answer on either engine');
    const wasm = await load(binding, { logger: null });
    for (const fn of ['crc32', 'adler32', 'fnv1a64', 'sum_u8', 'utf8_valid', 'base64_encode'] as const) expect(kernels[fn](data)).toEqual(wasm[fn](data));
    expect(kernels.blur_rgba(pixels, 64, 64, 2)).toEqual(wasm.blur_rgba(pixels, 64, 64, 2));
    expect(kernels.stats().calls).toBe(7);
    kernels.close();
    wasm.close();
  });

  it('two calibrations in a row agree on every export whose speedup is far from the bar', async () => {
    const binding = await bindingOf<KernelsExports>('kernels');
    const first = await calibrate(binding);
    const second = await calibrate(binding);
    // Far: more than 2x past the bar either way in the first run (matmul, which the host compiler
    // vectorises, is one); near ones may differ in their numbers, never in a clear decision.
    const far = Object.keys(first.decisions).filter((fn) => {
      const speedup = first.decisions[fn]!.speedup;
      return speedup !== undefined && (speedup > 2 * 1.1 * 1.15 || speedup < 1.1 / 1.15 / 2);
    });
    expect(far.length).toBeGreaterThan(0);
    for (const fn of far) expect(second.decisions[fn]!.route, `${fn}: ${first.decisions[fn]!.reason} / ${second.decisions[fn]!.reason}`).toBe(first.decisions[fn]!.route);
    // Decisions near the bar stay in the sandbox rather than flip: the margin says so.
    for (const decision of [...Object.values(first.decisions), ...Object.values(second.decisions)]) {
      if (decision.route === 'native') expect(decision.speedup).toBeGreaterThanOrEqual(1.1 * 1.15);
    }
  });

  it('calibrate(binding) explains every decision; a calibration for another library is refused', async () => {
    const zooBinding = await bindingOf<ZooExports>('zoo');
    const calibration = await calibrate(zooBinding, { budgetMs: 5 });
    expect(Object.keys(calibration.decisions).sort()).toEqual(Object.keys(zooBinding.stamp.exports).sort());
    expect(calibration.decisions.add!.wasmNs).toBeGreaterThan(0);
    expect(calibration.decisions.add!.nativeNs).toBeGreaterThan(0);
    expect(calibration.decisions.greet).toEqual({ route: 'wasm', reason: 'not trusted (not in "trusted"): stays in the sandbox' });
    expect(calibration.decisions.counter_add!.route).toBe('wasm');
    expect(calibration.decisions.spin!.reason).toMatch(/not built natively/);
    const kernels: Binding<KernelsExports> = await bindingOf<KernelsExports>('kernels');
    const refused = await loadError(load(kernels, { engine: 'auto', calibration }));
    expect(refused.code).toBe('bad-option');
    expect(refused.message).toMatch(/made for zoo ABI .* but this is kernels ABI/);
  });

  it('routesOf a wasm or native library names its one engine', async () => {
    const binding = await bindingOf<ZooExports>('zoo');
    const wasm = await load(binding, { logger: null });
    const native = await load(binding, { engine: 'native' });
    expect(new Set(Object.values(routesOf(wasm)).map((decision) => decision.route))).toEqual(new Set(['wasm']));
    expect(Object.keys(routesOf(wasm)).sort()).toEqual(Object.keys(binding.stamp.exports).sort());
    expect(routesOf(native)).toEqual(Object.fromEntries(binding.stamp.native.map((fn) => [fn, { route: 'native', reason: "engine 'native': every export runs in the process, without isolation" }])));
    wasm.close();
    native.close();
  });
});
