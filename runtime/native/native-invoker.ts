// The JS function that stands for one native export: the addon's glue checks and converts the
// arguments in C, so this wrapper only counts the call, swaps Handles for addresses and turns
// the glue's coded errors into the same typed errors the wasm path throws.
import type { ExportSignature } from '../abi.js';
import { CboxCallError, CboxClosedError, CboxError } from '../errors.js';
import { Handle, HandleOwner } from '../handles.js';
import { argumentError } from '../arguments.js';
import type { NativeFunction } from './addon.js';

/** Native handles never outlive a sandbox instance: they all carry this generation. */
export const NATIVE_GENERATION = 0;

/** Shared by every export of one native library. */
export interface NativeCallState {
  readonly name: string;
  readonly owner: HandleOwner;
  calls: number;
  closed: boolean;
}

/** Error codes set by c-src/runtime/cbox_native_rt.c. */
function nativeError(error: unknown, fn: string, signature: ExportSignature, args: readonly unknown[]): unknown {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: string };
  switch (code) {
    case 'CBOX_BAD_ARGUMENT': {
      const index = Number(message);
      return argumentError(fn, signature, index, args[index]);
    }
    case 'CBOX_CALL_FAILED': return new CboxCallError(fn, String(message));
    case 'CBOX_NO_RESULT': return new CboxCallError(fn, String(message), 'no-result');
    case 'CBOX_BAD_RESULT': return new CboxCallError(fn, String(message), 'bad-result');
    case 'CBOX_OUT_OF_MEMORY': return new CboxError('out-of-memory', `${fn}: ${message}`);
    default: return error;
  }
}

function wrapHandle(state: NativeCallState, address: number | null): Handle | null {
  return address === null ? null : new Handle(state.owner, NATIVE_GENERATION, address);
}

function closedError(state: NativeCallState): CboxClosedError {
  return new CboxClosedError(`${state.name}: the library is closed`);
}

/** A closure per export: no source text is generated from names (see runtime/invoker.ts). */
export function createNativeInvoker(state: NativeCallState, fn: string, signature: ExportSignature, native: NativeFunction): (...args: unknown[]) => unknown {
  const { params, paramNames } = signature;
  const arity = params.length;
  const handles = params.some((type) => type === 'handle');
  const wrapsResult = signature.result === 'handle';
  const invoke = function invoke(...values: unknown[]): unknown {
    if (state.closed) throw closedError(state);
    // The addon's glue reads exactly `arity` arguments; missing ones are undefined (and refused).
    const args = values.length === arity ? values : Array.from({ length: arity }, (_, i) => values[i]);
    const lowered = handles ? args.map((value, i) => (params[i] === 'handle' ? Handle.addressFor(value, state.owner, NATIVE_GENERATION, fn, paramNames[i]!) : value)) : args;
    state.calls++;
    try {
      const result = native(...lowered);
      return wrapsResult ? wrapHandle(state, result as number | null) : result;
    } catch (e) {
      throw nativeError(e, fn, signature, args);
    }
  };
  return Object.defineProperty(invoke, 'name', { value: fn });
}
