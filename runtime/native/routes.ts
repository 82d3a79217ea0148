// Which engine each export of a loaded library runs on, for libraries made with engine 'auto'
// (recorded when they are made) and, by their engine, for all others.
import type { Library } from '../library.js';
import type { Route } from './calibration.js';

const recorded = new WeakMap<object, Readonly<Record<string, Route>>>();

export function recordRoutes(library: object, routes: Readonly<Record<string, Route>>): void {
  recorded.set(library, Object.freeze({ ...routes }));
}

/** Where each export of `library` runs. 'native' means NO isolation: a crash there ends the process. */
export function routesOf(library: Library<unknown>): Readonly<Record<string, Route>> {
  const known = recorded.get(library);
  if (known) return known;
  const route: Route = library.engine === 'native' ? 'native' : 'wasm';
  const offered = Object.keys(library.stamp.exports).filter((fn) => typeof (library as unknown as Record<string, unknown>)[fn] === 'function');
  return Object.freeze(Object.fromEntries(offered.map((fn) => [fn, route])));
}
