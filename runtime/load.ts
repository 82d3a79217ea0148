// load(): module -> checked, compiled (cached) -> start-up trial -> sandbox -> typed library.
import type { Binding, GenericExports } from './binding.js';
import { isBinding } from './binding.js';
import { compileModule, compileModuleSync, type CompiledModule, type ModuleSource } from './compiled-module.js';
import { createLibrary } from './library.js';
import type { Engine, Library } from './library-api.js';
import { DEFAULT_START_TIMEOUT_MS, resolveDeadline, resolveMemoryLimit } from './limits.js';
import { badOption, checkLoadOptions, type LoadOptions } from './load-options.js';
import { defaultLogger } from './logger.js';
import { addMeterControl } from './metering/limited-library.js';
import { meterPolicyFor } from './metering/limits.js';
import type { MeterPolicy } from './metering/meter.js';
import { routeLibrary } from './native/auto-library.js';
import { loadNativeLibrary } from './native/native-library.js';
import { recordRoutes, routesOf } from './native/routes.js';
import { Sandbox, type SandboxOptions } from './sandbox.js';
import { trialStartup } from './startup-trial.js';
import { superviseLibrary } from './supervise/supervised-library.js';

export type { CLogger } from './logger.js';
export type { LoadOptions, WasiGrants } from './load-options.js';
export { resolveMemoryLimit } from './limits.js';

export async function load<T>(source: Binding<T>, options?: LoadOptions<T>): Promise<Library<T>>;
/** Without a binding the exports are untyped unless you name their type: load<MyExports>('x.wasm'). */
export async function load<T = GenericExports>(source: ModuleSource, options?: LoadOptions<T>): Promise<Library<T>>;
export async function load(source: ModuleSource, rawOptions?: LoadOptions<any>): Promise<Library<unknown>> {
  const options = checkLoadOptions(rawOptions, 'load');
  if (checkEngine(options) === 'native') return withMeterControl(superviseLibrary(loadNativeLibrary(source), null, options), null);
  const compiled = await compileModule(source, isBinding(source) ? source : undefined, { tableLimit: options.tableLimit });
  const settings = sandboxOptions(compiled, options);
  // Metered or not: the stamp that says "metered" is the module's own word, and a module that
  // claims it without charging would run its start-up here unbounded.
  await trialStartup({ compiled, memoryLimit: settings.memoryLimit, wasi: settings.wasi }, resolveDeadline(options.startTimeoutMs, DEFAULT_START_TIMEOUT_MS, 'startTimeoutMs'));
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
  const sandbox = openSandbox(compileModuleSync(source, isBinding(source) ? source : undefined, { tableLimit: options.tableLimit }), options);
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
    memoryLimit: resolveMemoryLimit(options.memoryLimit, stamp.memoryMaximum, compiled.memory, stamp.name),
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
