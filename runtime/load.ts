// load(): module -> checked, compiled (cached) -> sandbox -> typed library.
import type { Binding, GenericExports } from './binding.js';
import { isBinding } from './binding.js';
import { compileModule, compileModuleSync, type CompiledModule, type ModuleSource } from './compiled-module.js';
import { CboxLoadError } from './errors.js';
import { createLibrary, type Engine, type Library } from './library.js';
import { routeLibrary } from './native/auto-library.js';
import { recordRoutes, routesOf } from './native/routes.js';
import type { Calibration, CalibrationOptions } from './native/calibration.js';
import { loadNativeLibrary } from './native/native-library.js';
import { addMeterControl } from './metering/limited-library.js';
import { meterPolicyFor, type MeterOptions } from './metering/limits.js';
import { Sandbox, type CrashReportOptions } from './sandbox.js';
import { parseSize, WASM32_MAX_BYTES, WASM_PAGE, formatSize } from './sizes.js';
import type { SupervisionOptions } from './supervise/options.js';
import { superviseLibrary } from './supervise/supervised-library.js';
import type { WasiOptions } from './wasi/host.js';

/** Where the C code's stdout and stderr lines go. */
export interface CLogger {
  stdout?(line: string): void;
  stderr?(line: string): void;
}

/** Supervision (breaker, fallback, recycle, stats, telemetry): see SupervisionOptions. */
/** Metering options (timeoutMs, fuel, startTimeoutMs) need a module built with `cbox build --metered`. */
export interface LoadOptions<T = GenericExports> extends SupervisionOptions<T>, MeterOptions {
  /** Linear memory cap ("32MiB", bytes): malloc returns NULL past it. Default: the manifest's memory.maximum. */
  readonly memoryLimit?: number | string;
  /** Keep a warm spare instance so a trap costs a swap, not an instantiation (default true). */
  readonly spare?: boolean;
  /** C stdout/stderr; default: lines to process.stderr prefixed with the library name; null drops them. */
  readonly logger?: CLogger | null;
  /** WASI capabilities; everything is denied unless granted here. */
  readonly wasi?: Pick<WasiOptions, 'args' | 'env' | 'preopens'>;
  /** Write a JSON crash report (optionally with a memory dump) for every trap. */
  readonly crashReports?: CrashReportOptions;
  /**
   * Where calls run.
   * - 'wasm' (default): every call in the library's WebAssembly sandbox; a C crash is a CboxTrap.
   * - 'native': the N-API addon `cbox build` made from the same C, offering only the exports the
   *   manifest lists in "native". NO ISOLATION: a crash in the C code (a wild pointer, abort(),
   *   exit()) kills the whole Node process, the C code has the process's full access to memory,
   *   files and network, and memoryLimit, spare, wasi, crashReports and logger do not apply.
   * - 'auto': each export the manifest lists in "trusted" runs on whichever engine a calibration
   *   measured faster (so it may run natively, without isolation); every other export always stays
   *   in the sandbox. See routesOf(library) and calibrate(binding).
   */
  readonly engine?: Engine;
  /** engine 'auto': 'run' (default) calibrates at load (optionally with CalibrationOptions, e.g.
   * arguments to measure with), or a Calibration from calibrate(binding) is used as it is. */
  readonly calibration?: 'run' | CalibrationOptions | Calibration;
}

function defaultLogger(name: string): Required<CLogger> {
  return {
    stdout: (line) => process.stderr.write(`[cbox:${name}] ${line}\n`),
    stderr: (line) => process.stderr.write(`[cbox:${name}:stderr] ${line}\n`),
  };
}

export function resolveMemoryLimit(requested: number | string | undefined, defaultBytes: number, minPages: number, name: string): number {
  let bytes: number;
  try {
    bytes = requested === undefined ? defaultBytes : parseSize(requested, 'memoryLimit');
  } catch (error) {
    throw new CboxLoadError('bad-option', (error as Error).message);
  }
  const pages = Math.floor(bytes / WASM_PAGE);
  if (bytes > WASM32_MAX_BYTES) throw new CboxLoadError('bad-option', `memoryLimit ${formatSize(bytes)} is more than wasm32 can address (4GiB)`);
  if (pages < minPages) {
    throw new CboxLoadError('bad-option', `memoryLimit ${formatSize(bytes)} is below what ${name} needs to start (${formatSize(minPages * WASM_PAGE)}: static data and stack)`);
  }
  return pages * WASM_PAGE;
}

export async function load<T>(source: Binding<T>, options?: LoadOptions<T>): Promise<Library<T>>;
/** Without a binding the exports are untyped unless you name their type: load<MyExports>('x.wasm'). */
export async function load<T = GenericExports>(source: ModuleSource, options?: LoadOptions<T>): Promise<Library<T>>;
export async function load(source: ModuleSource, options: LoadOptions<any> = {}): Promise<Library<unknown>> {
  if (checkEngine(options) === 'native') return withMeterControl(superviseLibrary(loadNativeLibrary(source), null, options), null);
  const sandbox = openSandbox(await compileModule(source, isBinding(source) ? source : undefined), options);
  const library = createLibrary(sandbox);
  return withMeterControl(superviseLibrary(options.engine === 'auto' ? await routeLibrary(source, library, options, load) : library, sandbox, options), sandbox);
}

function withMeterControl<T>(library: Library<T>, sandbox: Sandbox | null): Library<T> {
  const controlled = addMeterControl(library, library.name, Object.keys(library.stamp.exports), sandbox?.options.meter ?? null, library.engine);
  if (library.engine === 'auto') recordRoutes(controlled, routesOf(library as Library<unknown>));
  return controlled;
}

/**
 * load() for code that cannot wait (a synchronous constructor): the module is compiled on this
 * thread the first time (then cached), and engine 'auto' (which calibrates) is not offered.
 */
export function loadSync<T>(source: Binding<T>, options?: LoadOptions<T>): Library<T>;
export function loadSync<T = GenericExports>(source: ModuleSource, options?: LoadOptions<T>): Library<T>;
export function loadSync(source: ModuleSource, options: LoadOptions<any> = {}): Library<unknown> {
  const engine = checkEngine(options);
  if (engine === 'native') return withMeterControl(superviseLibrary(loadNativeLibrary(source), null, options), null);
  if (engine === 'auto') throw new CboxLoadError('bad-option', "loadSync: engine 'auto' calibrates, which takes time: use load()");
  const sandbox = openSandbox(compileModuleSync(source, isBinding(source) ? source : undefined), options);
  return withMeterControl(superviseLibrary(createLibrary(sandbox), sandbox, options), sandbox);
}

function checkEngine(options: LoadOptions<any>): Engine {
  const engine = options.engine ?? 'wasm';
  if (engine !== 'wasm' && engine !== 'native' && engine !== 'auto') throw new CboxLoadError('bad-option', `engine must be 'wasm', 'native' or 'auto' (got ${JSON.stringify(engine)})`);
  if (engine !== 'wasm' && (options.timeoutMs !== undefined || options.fuel !== undefined)) {
    throw new CboxLoadError('bad-option', `timeoutMs and fuel apply to sandboxed calls (engine 'wasm'), not engine '${engine}'`);
  }
  return engine;
}

/** @internal The sandbox `load` wraps, from an already compiled module (the pool's workers). */
export function openSandbox(compiled: CompiledModule, options: LoadOptions): Sandbox {
  const { stamp } = compiled;
  const logger = options.logger === undefined ? defaultLogger(stamp.name) : options.logger;
  const meter = meterPolicyFor(stamp, options);
  return new Sandbox(compiled, {
    meter,
    memoryLimit: resolveMemoryLimit(options.memoryLimit, stamp.memoryMaximum, compiled.memory.minPages, stamp.name),
    spare: options.spare ?? true,
    crashReports: options.crashReports,
    wasi: {
      ...options.wasi,
      stdout: (line: string) => logger?.stdout?.(line),
      stderr: (line: string) => logger?.stderr?.(line),
    },
  });
}
