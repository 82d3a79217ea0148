// The last step of load(): the library as the engine made it, plus what supervision adds to its
// surface: supervised exports (when options ask for them), per-function stats, reload(), and a
// stamp that follows reloads. Native calls have no sandbox to supervise or reload.
import type { ModuleSource } from '../compiled-module.js';
import { CboxLoadError } from '../errors.js';
import { createLibrary } from '../library.js';
import type { Library, LibraryStats } from '../library-api.js';
import { recordRoutes, routesOf } from '../native/routes.js';
import type { Sandbox } from '../sandbox.js';
import type { SupervisionOptions } from './options.js';
import { Reloader } from './reload.js';
import type { ReloadOptions } from '../library-api.js';
import { supervise, wantsSupervision } from './supervisor.js';



function refuseReload(why: string): Promise<never> {
  return Promise.reject(new CboxLoadError('reload-unsupported', why));
}

/** `sandbox` is null for engine 'native'. Closes `library` when the options are refused. */
export function superviseLibrary<T>(library: Library<T>, sandbox: Sandbox | null, options: SupervisionOptions<T>): Library<T> {
  try {
    const routes = routesOf(library as Library<unknown>);
    const nativeRoutes = Object.keys(routes).filter((fn) => routes[fn]!.route === 'native');
    let supervised: ReturnType<typeof supervise> = null;
    if (sandbox === null) {
      if (wantsSupervision(options)) throw new CboxLoadError('bad-option', "breaker, fallback, recycle, stats and telemetry supervise sandboxed calls (engine 'wasm' or 'auto'); engine 'native' has no sandbox");
    } else {
      const exports = Object.fromEntries(Object.keys(routes).map((fn) => [fn, (library as Record<string, unknown>)[fn] as (...args: unknown[]) => unknown]));
      supervised = supervise(sandbox, exports, options, (fn) => routes[fn]!.route);
    }
    const reloader = sandbox ? new Reloader(sandbox, (candidate) => createLibrary(candidate)) : null;
    const control = {
      get stamp() { return sandbox ? sandbox.compiled.stamp : library.stamp; },
      stats: (): LibraryStats => (supervised ? { ...library.stats(), functions: supervised.stats() } : library.stats()),
      reload: (source: ModuleSource, reloadOptions?: ReloadOptions): Promise<number> => {
        if (reloader === null) return refuseReload(`${library.name}: engine 'native' cannot reload (Node cannot unload an addon); load the new version instead`);
        if (nativeRoutes.length > 0) return refuseReload(`${library.name}: engine 'auto' runs ${nativeRoutes.join(', ')} in the native addon, which cannot be reloaded in-process; load the new version instead`);
        return reloader.reload(source, reloadOptions);
      },
      close: (): void => {
        supervised?.close();
        library.close();
      },
    };
    const result = Object.defineProperties({}, {
      ...Object.getOwnPropertyDescriptors(library),
      ...Object.getOwnPropertyDescriptors(supervised?.exports ?? {}),
      ...Object.getOwnPropertyDescriptors(control),
    });
    if (library.engine === 'auto') recordRoutes(result, routes);
    return Object.freeze(result) as Library<T>;
  } catch (error) {
    library.close();
    throw error;
  }
}
