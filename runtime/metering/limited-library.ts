// lib.with({ timeoutMs, fuel }): the library's exports with other limits on every call, the
// same shape as pool.with(...). A view, not a copy: it shares the sandbox, its stats and events.
import { CboxLoadError } from '../errors.js';
import type { MeterControl } from '../library-api.js';
import type { CallLimits, MeterPolicy } from './meter.js';
import { checkCallLimits } from './limits.js';


/** `library` frozen again with `with`; `exports` are the names of its C functions. */
export function addMeterControl<L extends object>(library: L, name: string, exports: readonly string[], policy: MeterPolicy | null, engine: string): L {
  const control: MeterControl<unknown> = {
    with(limits: CallLimits) {
      if (engine !== 'wasm' && (limits.timeoutMs !== undefined || limits.fuel !== undefined)) {
        throw new CboxLoadError('bad-option', `${name}: timeoutMs and fuel apply to sandboxed calls (engine 'wasm'), not engine '${engine}'`);
      }
      const checked = { ...policy?.defaults, ...checkCallLimits(limits, name, policy !== null) };
      const view: Record<string, unknown> = {};
      for (const fn of exports) {
        const call = (library as Record<string, (...args: unknown[]) => unknown>)[fn]!;
        Object.defineProperty(view, fn, { value: policy ? (...args: unknown[]) => policy.within(checked, () => call(...args)) : call, enumerable: true });
      }
      return Object.freeze(view);
    },
  };
  return Object.freeze(Object.defineProperties({}, {
    ...Object.getOwnPropertyDescriptors(library),
    ...Object.getOwnPropertyDescriptors(control),
  })) as L;
}
