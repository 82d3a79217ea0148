// The object `load` returns: one typed function per C export plus a small control surface
// (stats, recycle, events, close). Export names the control surface uses are refused by
// `cbox build`, so the two never collide.
import { createInvoker } from './invoker.js';
import type { Library, LibraryControl } from './library-api.js';
import type { Sandbox } from './sandbox.js';

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
