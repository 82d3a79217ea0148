// Exports a pool cannot call: a handle points into one worker's sandbox, and a callback is a JS
// function of the caller's thread (a worker cannot call it while C runs). load() serves both.
// (Writable arrays work: the worker sends back what C wrote, see protocol.ts writableArguments.)
import { isCallbackType } from '../callback-type.js';
import { structParamName, type AbiStamp } from '../abi.js';
import { structsWithCallbacks } from '../struct-fields.js';
import { CboxError } from '../errors.js';

/** Per export index the pool refuses: the typed error a call gets. */
export type Refusals = ReadonlyMap<number, () => CboxError>;

export function mainThreadOnly(stamp: AbiStamp): Refusals {
  const refusals = new Map<number, () => CboxError>();
  const withCallbacks = structsWithCallbacks(stamp.structs ?? {});
  Object.entries(stamp.exports).forEach(([fn, { params, result }], index) => {
    if (params.some((type) => isCallbackType(type) || withCallbacks.has(structParamName(type) ?? ''))) {
      refusals.set(index, () => new CboxError('callback-export', `${fn} takes a callback, a JS function C calls while it runs: callbacks work on the main thread only (use load()), not in a pool`));
    } else if (params.includes('handle') || params.includes('out:handle') || result === 'handle') {
      refusals.set(index, () => new CboxError('handle-export', `${fn} takes or returns a handle, which points into one worker's sandbox: a pool cannot call it (use load() for handle-based APIs)`));
    }
  });
  return refusals;
}
