// Which engine each export of a loaded library runs on, and why: for libraries made with engine
// 'auto' the calibration's decisions (recorded when they are made), for all others their engine.
import type { Library } from '../library-api.js';
import type { RouteDecision } from './calibration.js';

const recorded = new WeakMap<object, Readonly<Record<string, RouteDecision>>>();

export function recordRoutes(library: object, routes: Readonly<Record<string, RouteDecision>>): void {
  recorded.set(library, Object.freeze({ ...routes }));
}

/**
 * Where each export of `library` runs, with the reason (and, when measured, the timings).
 * 'native' means NO isolation: a crash there ends the process.
 */
export function routesOf(library: Library<unknown>): Readonly<Record<string, RouteDecision>> {
  const known = recorded.get(library);
  if (known) return known;
  const decision: RouteDecision = library.engine === 'native'
    ? { route: 'native', reason: "engine 'native': every export runs in the process, without isolation" }
    : { route: 'wasm', reason: "engine 'wasm': every export runs in the sandbox" };
  const offered = Object.keys(library.stamp.exports).filter((fn) => typeof (library as unknown as Record<string, unknown>)[fn] === 'function');
  return Object.freeze(Object.fromEntries(offered.map((fn) => [fn, decision])));
}
