// load(): module -> checked, compiled (cached) -> start-up trial -> sandbox -> typed library.
import type { Binding, GenericExports } from './binding.js';
import { isBinding } from './binding.js';
import { compileModule, compileModuleSync, type CompiledModule, type ModuleSource } from './compiled-module.js';
import { CboxLoadError } from './errors.js';
import { createLibrary, type Engine, type Library } from './library.js';
import { DEFAULT_START_TIMEOUT_MS, resolveDeadline, resolveMemoryLimit } from './limits.js';
import { defaultLogger, type CLogger } from './logger.js';
import { routeLibrary } from './native/auto-library.js';
import type { Calibration, CalibrationOptions } from './native/calibration.js';
import { loadNativeLibrary } from './native/native-library.js';
import { recordRoutes, routesOf } from './native/routes.js';
import { addMeterControl } from './metering/limited-library.js';
import { meterPolicyFor, type MeterOptions } from './metering/limits.js';
import { Sandbox, type CrashReportOptions, type SandboxOptions } from './sandbox.js';
import type { MeterPolicy } from './metering/meter.js';
import { trialStartup } from './startup-trial.js';
import { SUPERVISION_OPTION_NAMES, type SupervisionOptions } from './supervise/options.js';
import { superviseLibrary } from './supervise/supervised-library.js';
import type { WasiOptions } from './wasi/host.js';

export type { CLogger } from './logger.js';
export { resolveMemoryLimit } from './limits.js';

/** What the C code may reach (WASI). Nothing is granted unless named here. */
export type WasiGrants = Pick<WasiOptions, 'args' | 'env' | 'preopens' | 'clock' | 'random'>;

/** Supervision (breaker, fallback, recycle, stats, telemetry): see SupervisionOptions.
 * Metering (timeoutMs, fuel per call) needs a module built with `cbox build --metered`. */
export interface LoadOptions<T = GenericExports> extends SupervisionOptions<T>, MeterOptions {
  /** Linear memory cap ("32MiB", bytes): malloc returns NULL past it. Default: the manifest's memory.maximum. */
  readonly memoryLimit?: number | string;
  /** Keep a warm spare instance so a trap costs a swap, not an instantiation (default true). */
  readonly spare?: boolean;
  /** C stdout/stderr, delivered line by line after each call returns; default: lines to process.stderr prefixed with the library name; null drops them. */
  readonly logger?: CLogger | null;
  /** WASI capabilities; everything is denied unless granted here (files, environment, clocks, randomness). */
  readonly wasi?: WasiGrants;
  /** Write a JSON crash report (optionally with a memory dump) for every trap. */
  readonly crashReports?: CrashReportOptions;
  /**
   * Deadline for the module's C start-up code (default 10000 ms; Infinity: none), past which
   * load() rejects with CboxLoadError 'init-timeout', so start-up code that never returns cannot
   * freeze the process. A metered module is held to it on this thread at every start (recycles
   * too). An unmetered one cannot be interrupted here, so load() first runs its start-up once in a
   * throwaway worker thread that is stopped at the deadline; the trial runs once per module and
   * grant set (every time when files are granted). loadSync() makes no trial.
   */
  readonly startTimeoutMs?: number;
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

const LOAD_OPTION_NAMES: ReadonlySet<string> = new Set([
  'memoryLimit', 'spare', 'logger', 'wasi', 'crashReports', 'startTimeoutMs', 'timeoutMs', 'fuel', 'engine', 'calibration', ...SUPERVISION_OPTION_NAMES,
]);
const POOL_OPTION_NAMES: ReadonlySet<string> = new Set(['threads', 'maxQueue', 'pipeline']);
const WASI_GRANT_NAMES: ReadonlySet<string> = new Set(['args', 'env', 'preopens', 'clock', 'random']);

function badOption(message: string): CboxLoadError {
  return new CboxLoadError('bad-option', message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The options' shape, checked before anything is compiled: every key known, every value of its type. */
function checkLoadOptions(options: unknown, caller: string): LoadOptions<any> {
  if (options === undefined) return {};
  if (!isRecord(options)) throw badOption(`${caller}: options must be an object`);
  for (const key of Object.keys(options)) {
    if (POOL_OPTION_NAMES.has(key)) throw badOption(`${caller}: ${key} is an option of createPool(), not of ${caller}`);
    if (!LOAD_OPTION_NAMES.has(key)) throw badOption(`${caller}: unknown option ${JSON.stringify(key)}`);
  }
  const { spare, logger, wasi, crashReports } = options;
  if (spare !== undefined && typeof spare !== 'boolean') throw badOption(`${caller}: spare must be true or false`);
  if (logger !== undefined && logger !== null) {
    if (!isRecord(logger)) throw badOption(`${caller}: logger must be an object with stdout/stderr functions, or null`);
    for (const stream of ['stdout', 'stderr']) {
      if (logger[stream] !== undefined && typeof logger[stream] !== 'function') throw badOption(`${caller}: logger.${stream} must be a function`);
    }
  }
  if (wasi !== undefined) {
    if (!isRecord(wasi)) throw badOption(`${caller}: wasi must be an object`);
    for (const key of Object.keys(wasi)) if (!WASI_GRANT_NAMES.has(key)) throw badOption(`${caller}: unknown wasi option ${JSON.stringify(key)} (grants: ${[...WASI_GRANT_NAMES].join(', ')})`);
    for (const key of ['clock', 'random']) {
      if (wasi[key] !== undefined && typeof wasi[key] !== 'boolean') throw badOption(`${caller}: wasi.${key} must be true or false`);
    }
  }
  if (crashReports !== undefined) {
    if (!isRecord(crashReports) || typeof crashReports.dir !== 'string' || crashReports.dir === '') throw badOption(`${caller}: crashReports must be { dir: string, memoryDump?: boolean }`);
    if (crashReports.memoryDump !== undefined && typeof crashReports.memoryDump !== 'boolean') throw badOption(`${caller}: crashReports.memoryDump must be true or false`);
  }
  resolveDeadline(options.startTimeoutMs, DEFAULT_START_TIMEOUT_MS, `${caller}: startTimeoutMs`);
  return options as LoadOptions<any>;
}

export async function load<T>(source: Binding<T>, options?: LoadOptions<T>): Promise<Library<T>>;
/** Without a binding the exports are untyped unless you name their type: load<MyExports>('x.wasm'). */
export async function load<T = GenericExports>(source: ModuleSource, options?: LoadOptions<T>): Promise<Library<T>>;
export async function load(source: ModuleSource, rawOptions?: LoadOptions<any>): Promise<Library<unknown>> {
  const options = checkLoadOptions(rawOptions, 'load');
  if (checkEngine(options) === 'native') return withMeterControl(superviseLibrary(loadNativeLibrary(source), null, options), null);
  const compiled = await compileModule(source, isBinding(source) ? source : undefined);
  const settings = sandboxOptions(compiled, options);
  if (settings.meter === null) {
    await trialStartup({ compiled, memoryLimit: settings.memoryLimit, wasi: settings.wasi }, resolveDeadline(options.startTimeoutMs, DEFAULT_START_TIMEOUT_MS, 'startTimeoutMs'));
  }
  const sandbox = new Sandbox(compiled, settings);
  const library = createLibrary(sandbox);
  return withMeterControl(superviseLibrary(options.engine === 'auto' ? await routeLibrary(source, library, options, load) : library, sandbox, options), sandbox);
}

/** Adds lib.with(limits) (metering) as the last layer. */
function withMeterControl<T>(library: Library<T>, sandbox: Sandbox | null): Library<T> {
  const controlled = addMeterControl(library, library.name, Object.keys(library.stamp.exports), sandbox?.options.meter ?? null, library.engine);
  if (library.engine === 'auto') recordRoutes(controlled, routesOf(library as Library<unknown>));
  return controlled;
}

/**
 * load() for code that cannot wait (a synchronous constructor): the module is compiled on this
 * thread the first time (then cached), its start-up runs here without a trial or deadline, and
 * engine 'auto' (which calibrates) is not offered.
 */
export function loadSync<T>(source: Binding<T>, options?: LoadOptions<T>): Library<T>;
export function loadSync<T = GenericExports>(source: ModuleSource, options?: LoadOptions<T>): Library<T>;
export function loadSync(source: ModuleSource, rawOptions?: LoadOptions<any>): Library<unknown> {
  const options = checkLoadOptions(rawOptions, 'loadSync');
  const engine = checkEngine(options);
  if (engine === 'native') return withMeterControl(superviseLibrary(loadNativeLibrary(source), null, options), null);
  if (engine === 'auto') throw badOption("loadSync: engine 'auto' calibrates, which takes time: use load()");
  const sandbox = openSandbox(compileModuleSync(source, isBinding(source) ? source : undefined), options);
  return withMeterControl(superviseLibrary(createLibrary(sandbox), sandbox, options), sandbox);
}

function checkEngine(options: LoadOptions<any>): Engine {
  const engine = options.engine ?? 'wasm';
  if (engine !== 'wasm' && engine !== 'native' && engine !== 'auto') throw badOption(`engine must be 'wasm', 'native' or 'auto' (got ${JSON.stringify(engine)})`);
  if (engine !== 'wasm' && (options.timeoutMs !== undefined || options.fuel !== undefined)) {
    throw badOption(`timeoutMs and fuel apply to sandboxed calls (engine 'wasm'), not engine '${engine}'`);
  }
  return engine;
}

/** The sandbox settings the options ask for. */
function sandboxOptions(compiled: CompiledModule, options: LoadOptions): SandboxOptions & { readonly meter: MeterPolicy | null } {
  const { stamp } = compiled;
  const logger = options.logger === undefined ? defaultLogger(stamp.name) : options.logger;
  const grants = options.wasi ?? {};
  return {
    meter: meterPolicyFor(stamp, options),
    memoryLimit: resolveMemoryLimit(options.memoryLimit, stamp.memoryMaximum, compiled.memory.minPages, stamp.name),
    spare: options.spare ?? true,
    crashReports: options.crashReports,
    logger: logger === null ? null : { stdout: (line) => logger.stdout?.(line), stderr: (line) => logger.stderr?.(line) },
    // Deny by default, clocks and randomness included: C that needs them is granted them by name.
    wasi: { ...grants, clock: grants.clock ?? false, random: grants.random ?? false },
  };
}

/** @internal The sandbox `load` wraps, from an already compiled module (loadSync, the pool's workers). */
export function openSandbox(compiled: CompiledModule, options: LoadOptions): Sandbox {
  return new Sandbox(compiled, sandboxOptions(compiled, options));
}
