// A function-pointer parameter as a manifest callback type, or the reason it cannot be one. C
// calls the callback: its arguments come from C (narrow integers arrive extended, as C's ABI
// makes the caller do), and its answer goes back to C (only types JS can give exactly).
import { formatCallbackType, type CallbackArgType, type CallbackResultType, type CallbackType } from '../../runtime/callback-type.js';
import type { CFunctionType, CType } from './c-type.js';

export interface CallbackScalars {
  /** The manifest scalar of an integer, float or bool C type, or why not; null when not a scalar. */
  (type: CType, position: 'param' | 'result'): string | { reason: string } | null;
}

/** Whether the parameter after a pointer is its length (see map-function.ts's lengthKind). */
export type IsLength = (type: CType | undefined) => boolean;

export function mapCallback(fn: CFunctionType, scalar: CallbackScalars, isLength: IsLength): CallbackType | { reason: string } {
  if (!fn.prototyped) return { reason: 'a callback declared without a prototype' };
  if (fn.variadic) return { reason: 'a variadic callback (...)' };
  const args: CallbackArgType[] = [];
  const argNames: string[] = [];
  for (let i = 0; i < fn.params.length; i++) {
    const type = fn.params[i]!;
    const name = `arg${i}`;
    const value = scalar(type, 'result');
    let mapped: CallbackArgType;
    if (typeof value === 'string') mapped = value as CallbackArgType;
    else if (value !== null) return { reason: `callback argument ${i} (${type.spelling}): ${value.reason}` };
    else if (type.kind === 'pointer') {
      const pointee = type.pointee;
      const byte = pointee.kind === 'void' || (pointee.kind === 'int' && pointee.bits === 8);
      if (byte && isLength(fn.params[i + 1])) {
        mapped = pointee.kind === 'int' && pointee.char ? 'text' : 'bytes';
        i++;
      } else if (pointee.kind === 'int' && pointee.char) mapped = 'string';
      else if (pointee.kind === 'void') mapped = 'userdata';
      else if (pointee.kind === 'record') mapped = 'handle';
      else return { reason: `callback argument ${i} (${type.spelling}): a pointer to ${pointee.spelling} is not supported in callbacks` };
    } else return { reason: `callback argument ${i} (${type.spelling}): not supported in callbacks` };
    args.push(mapped);
    argNames.push(mapped === 'userdata' && !argNames.includes('userdata') ? 'userdata' : name);
  }
  let result: CallbackResultType = 'void';
  if (fn.result.kind !== 'void') {
    const value = scalar(fn.result, 'param');
    if (typeof value !== 'string') return { reason: `callback result (${fn.result.spelling}): ${value === null ? 'not a number or bool' : value.reason}` };
    result = value as CallbackResultType;
  }
  return formatCallbackType({ args, argNames, result });
}
