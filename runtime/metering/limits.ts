// The limits a caller may put on calls (load options, lib.with(...)): checked once, where they
// are given, and refused on a module that was not built to honour them.
import type { AbiStamp } from '../abi.js';
import { CboxLoadError } from '../errors.js';
import { DEFAULT_START_TIMEOUT_MS } from '../limits.js';
import { MeterPolicy, type CallLimits } from './meter.js';


export interface MeterOptions extends CallLimits {
  /** Deadline (ms) for the module's C start-up code (see LoadOptions.startTimeoutMs); a metered
   * module is held to it on the caller's thread at every start, including after a recycle. */
  readonly startTimeoutMs?: number;
}

function needsMetering(name: string, option: string): CboxLoadError {
  return new CboxLoadError('bad-option', `${option} needs a metered module, and ${name} is not one: rebuild it with \`cbox build --metered\` (or "metered": true in its cbox.json), or run it in a pool (createPool), whose timeoutMs terminates the worker`);
}

export function checkCallLimits(limits: CallLimits, name: string, metered: boolean): CallLimits {
  const given = (['timeoutMs', 'fuel'] as const).filter((key) => limits[key] !== undefined);
  if (given.length > 0 && !metered) throw needsMetering(name, given.join(' and '));
  const { timeoutMs, fuel } = limits;
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs > 0)) {
    throw new CboxLoadError('bad-option', `timeoutMs must be a number of milliseconds above 0 (got ${String(timeoutMs)})`);
  }
  if (fuel !== undefined && !(Number.isSafeInteger(fuel) && fuel >= 0)) {
    throw new CboxLoadError('bad-option', `fuel must be a whole number of work units, 0 or more (got ${String(fuel)})`);
  }
  return { ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(fuel !== undefined ? { fuel } : {}) };
}

/** The sandbox's policy for a metered module; null for an unmetered one (which refuses limits). */
export function meterPolicyFor(stamp: AbiStamp, options: MeterOptions): MeterPolicy | null {
  const metered = stamp.metered === true;
  const defaults = checkCallLimits(options, stamp.name, metered);
  // startTimeoutMs itself was checked with the other load options (it applies to every module).
  return metered ? new MeterPolicy(defaults, options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS) : null;
}
