// The object `load` returns: one typed function per C export plus a small control surface
// (stats, recycle, events, close). Export names the control surface uses are refused by
// `cbox build`, so the two never collide.
import type { AbiStamp } from './abi.js';
import type { GenericExports } from './binding.js';
import type { LibraryEvents } from './events.js';
import { createInvoker } from './invoker.js';
import type { MeterControl } from './metering/limited-library.js';
import type { Sandbox } from './sandbox.js';
import type { LibraryStats, SupervisionControl } from './supervise/supervised-library.js';

/** Where a library's calls run: see LoadOptions.engine. 'auto' mixes the two per function (routesOf). */
export type Engine = 'wasm' | 'native' | 'auto';

export interface LibraryControl {
  readonly name: string;
  readonly stamp: AbiStamp;
  /** 'wasm': every call runs in the sandbox. 'native': NO isolation, a crash kills the process. 'auto': per function (routesOf). */
  readonly engine: Engine;
  /** Generation of the live sandbox instance; it grows by one with every recycle. */
  readonly generation: number;
  stats(): LibraryStats;
  /** Replace the sandbox instance now (C state and handles are dropped); returns the new generation. */
  recycle(reason?: string): number;
  on<E extends keyof LibraryEvents & string>(event: E, listener: (...args: LibraryEvents[E]) => void): Library;
  off<E extends keyof LibraryEvents & string>(event: E, listener: (...args: LibraryEvents[E]) => void): Library;
  /** Release the sandbox; later calls throw CboxClosedError. */
  close(): void;
}

/** load() adds reload() (SupervisionControl) to what the engine made. */
export type Library<T = GenericExports> = T & LibraryControl & SupervisionControl & MeterControl<T>;

export function createLibrary<T>(sandbox: Sandbox): Library<T> {
  const library = {} as Record<string, unknown>;
  // Defined, not assigned: an own data property even for a name Object.prototype has a setter for.
  // (The loader refuses such names already; the library object must not depend on that.)
  Object.entries(sandbox.compiled.stamp.exports).forEach(([fn, signature], index) => {
    Object.defineProperty(library, fn, { value: createInvoker(sandbox, fn, index, signature), enumerable: true });
  });
  const control: LibraryControl = {
    name: sandbox.name,
    stamp: sandbox.compiled.stamp,
    engine: 'wasm',
    get generation() { return sandbox.generation; },
    stats: () => sandbox.stats(),
    recycle: (reason = 'requested') => {
      const generation = sandbox.recycle(reason);
      if (sandbox.callable === null) sandbox.unavailable(); // no instance could start: say why
      return generation;
    },
    on(event, listener) { sandbox.events.on(event, listener); return this as Library; },
    off(event, listener) { sandbox.events.off(event, listener); return this as Library; },
    close: () => sandbox.close(),
  };
  Object.defineProperties(library, Object.getOwnPropertyDescriptors(control));
  return Object.freeze(library) as Library<T>;
}
