// The Library `load(binding, { engine: 'native' })` returns: the exports the manifest lists in
// "native", called straight into the N-API addon, with the same control surface as a sandboxed
// library. There is no sandbox behind it: no memory limit, no WASI confinement, no recovery.
// A crash in the C code ends the Node process.
import type { AbiStamp } from '../abi.js';
import { isBinding } from '../binding.js';
import type { ModuleSource } from '../compiled-module.js';
import { CboxLoadError, emptyTrapCounts } from '../errors.js';
import { LibraryEmitter, type LibraryEvents } from '../events.js';
import { HandleOwner } from '../handles.js';
import type { Library, LibraryControl } from '../library-api.js';
import type { SandboxStats } from '../sandbox.js';
import { loadAddon, type NativeAddon } from './addon.js';
import { createNativeInvoker, NATIVE_GENERATION, type NativeCallState } from './native-invoker.js';

export function loadNativeLibrary(source: ModuleSource): Library<unknown> {
  if (!isBinding(source)) throw new CboxLoadError('no-native', "engine 'native' needs a generated binding (its .js): only the binding says where the native addon is");
  return createNativeLibrary(source.stamp, loadAddon(source));
}

/** The exports themselves, for a library that routes only some functions natively. */
export function createNativeFunctions(stamp: AbiStamp, addon: NativeAddon, state: NativeCallState, only: readonly string[] = stamp.native): Record<string, (...args: unknown[]) => unknown> {
  return Object.fromEntries(only.map((fn) => [fn, createNativeInvoker(state, fn, stamp.exports[fn]!, addon.functions[fn]!)]));
}

export function createNativeLibrary<T>(stamp: AbiStamp, addon: NativeAddon): Library<T> {
  const state: NativeCallState = { name: stamp.name, owner: new HandleOwner(stamp.name), calls: 0, closed: false };
  const events = new LibraryEmitter<LibraryEvents>();
  const control: LibraryControl = {
    name: stamp.name,
    stamp,
    engine: 'native',
    generation: NATIVE_GENERATION,
    /** Calls made; no traps or recycles are ever counted and there is no sandbox memory to report. */
    stats: (): SandboxStats => ({
      calls: state.calls, traps: emptyTrapCounts(), recycles: 0, generation: NATIVE_GENERATION, memory: { size: 0, limit: 0, highWater: 0 },
    }),
    /** A no-op: native C state lives in the process and cannot be replaced. Returns generation 0. */
    recycle: () => NATIVE_GENERATION,
    /** No event ever fires: a native crash has no one left to tell. */
    on(event, listener) { events.on(event, listener); return this as Library; },
    off(event, listener) { events.off(event, listener); return this as Library; },
    /** Later calls throw CboxClosedError; the addon itself stays loaded (Node never unloads addons). */
    close: () => { state.closed = true; },
  };
  const library = createNativeFunctions(stamp, addon, state);
  Object.defineProperties(library, Object.getOwnPropertyDescriptors(control));
  return Object.freeze(library) as Library<T>;
}
