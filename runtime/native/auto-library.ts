// engine 'auto': the sandboxed library, with the exports a calibration found faster natively
// (trusted ones only) swapped for direct N-API calls. Control (generation, recycle, events) is the
// sandbox's; stats().calls counts the native calls too.
import { isBinding, type Binding } from '../binding.js';
import type { AbiStamp } from '../abi.js';
import type { ModuleSource } from '../compiled-module.js';
import { CboxLoadError } from '../errors.js';
import { HandleOwner } from '../handles.js';
import type { Library, LibraryControl } from '../library-api.js';
import type { LoadOptions } from '../load-options.js';
import { loadAddon } from './addon.js';
import { runCalibration, stayReason, type Calibration, type RouteDecision } from './calibration.js';
import type { NativeCallState } from './native-invoker.js';
import { createNativeFunctions } from './native-library.js';
import { recordRoutes } from './routes.js';

type Loader = (binding: Binding<unknown>, options: LoadOptions) => Promise<Library<unknown>>;

function isCalibration(value: LoadOptions['calibration']): value is Calibration {
  return typeof value === 'object' && value !== null && 'decisions' in value;
}

function checkedCalibration(calibration: Calibration, stamp: AbiStamp): Calibration {
  if (calibration.library !== stamp.name || calibration.abiHash !== stamp.hash) {
    throw new CboxLoadError('bad-option', `calibration: made for ${calibration.library} ABI ${String(calibration.abiHash).slice(0, 12)}, but this is ${stamp.name} ABI ${stamp.hash.slice(0, 12)}: run calibrate() on this binding`);
  }
  return calibration;
}

async function calibrationFor(binding: Binding<unknown>, options: LoadOptions, load: Loader): Promise<Calibration> {
  const given = options.calibration ?? 'run';
  if (isCalibration(given)) return checkedCalibration(given, binding.stamp);
  const loadWasm = (target: Binding<unknown>): Promise<Library<unknown>> =>
    load(target, { memoryLimit: options.memoryLimit, wasi: options.wasi, spare: false, logger: null });
  return runCalibration(binding, loadWasm, given === 'run' ? {} : given);
}

/** The wasm library `load` made, re-routed per function; it is closed if routing fails. */
export async function routeLibrary(source: ModuleSource, wasm: Library<unknown>, options: LoadOptions, load: Loader): Promise<Library<unknown>> {
  try {
    if (!isBinding(source)) throw new CboxLoadError('no-native', "engine 'auto' needs a generated binding (its .js): only the binding says where the native addon is");
    const { stamp } = source;
    const calibration = await calibrationFor(source, options, load);
    // A calibration can be handed in: it may choose among the trusted exports, never more.
    const routes: Record<string, RouteDecision> = Object.fromEntries(Object.entries(stamp.exports).map(([fn, signature]) => {
      const given = calibration.decisions[fn];
      const refused = stayReason(stamp, fn, signature);
      if (given?.route === 'native' && refused === null) return [fn, given];
      if (given?.route === 'native') return [fn, { route: 'wasm', reason: `the calibration chose native, refused: ${refused}` }];
      return [fn, given ?? { route: 'wasm', reason: 'the calibration has no decision for it' }];
    }));
    const nativeExports = Object.keys(routes).filter((fn) => routes[fn]!.route === 'native');
    const state: NativeCallState = { name: stamp.name, owner: new HandleOwner(stamp.name), calls: 0, closed: false };
    const nativeFunctions = nativeExports.length > 0 ? createNativeFunctions(stamp, loadAddon(source), state, nativeExports) : {};
    const control: Pick<LibraryControl, 'engine' | 'stats' | 'close'> = {
      engine: 'auto',
      stats: () => {
        const stats = wasm.stats();
        return { ...stats, calls: stats.calls + state.calls };
      },
      close: () => {
        state.closed = true;
        wasm.close();
      },
    };
    const library = Object.defineProperties({}, {
      ...Object.getOwnPropertyDescriptors(wasm), ...Object.getOwnPropertyDescriptors(nativeFunctions), ...Object.getOwnPropertyDescriptors(control),
    });
    recordRoutes(library, routes);
    return Object.freeze(library) as Library<unknown>;
  } catch (error) {
    wasm.close();
    throw error;
  }
}
