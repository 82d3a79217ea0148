// The JS function that stands for one native export: the addon's glue checks and converts the
// arguments in C, so this wrapper only counts the call, swaps Handles for addresses and turns
// the glue's coded errors into the same typed errors the wasm path throws.
import type { ExportSignature } from '../abi.js';
import { CboxCallError, CboxClosedError, CboxError, StaleHandleError } from '../errors.js';
import { Handle, HandleOwner } from '../handles.js';
import { argumentError } from '../invoker.js';
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

function unwrapHandle(state: NativeCallState, handle: unknown, fn: string, param: string): number {
  if (!(handle instanceof Handle)) throw new StaleHandleError(`${fn}: ${param} must be a Handle returned by this library (got ${handle === null ? 'null' : typeof handle})`);
  if (Handle.ownerOf(handle) !== state.owner) throw new StaleHandleError(`${fn}: ${param} is ${handle}, which belongs to another library or engine`);
  return handle.address;
}

function wrapHandle(state: NativeCallState, address: number | null): Handle | null {
  return address === null ? null : new Handle(state.owner, NATIVE_GENERATION, address);
}

function closedError(state: NativeCallState): CboxClosedError {
  return new CboxClosedError(`${state.name}: the library is closed`);
}

export function createNativeInvoker(state: NativeCallState, fn: string, signature: ExportSignature, native: NativeFunction): (...args: unknown[]) => unknown {
  const values = signature.params.map((_, i) => `v${i}`);
  const lowered = signature.params.map((type, i) => (type === 'handle' ? `unwrapHandle(state, v${i}, ${JSON.stringify(fn)}, ${JSON.stringify(signature.paramNames[i])})` : `v${i}`));
  const call = `native(${lowered.join(', ')})`;
  const source = `return function ${fn}(${values.join(', ')}) {
  if (state.closed) throw closedError(state);
  state.calls++;
  try { return ${signature.result === 'handle' ? `wrapHandle(state, ${call})` : call}; } catch (e) { throw nativeError(e, ${JSON.stringify(fn)}, signature, [${values.join(', ')}]); }
};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- per-signature code generation, as runtime/invoker.ts
  return new Function('state', 'signature', 'native', 'nativeError', 'unwrapHandle', 'wrapHandle', 'closedError', source)(
    state, signature, native, nativeError, unwrapHandle, wrapHandle, closedError) as (...args: unknown[]) => unknown;
}
