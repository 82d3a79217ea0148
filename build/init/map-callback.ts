// A function-pointer parameter or struct field as a manifest callback type, or the reason it
// cannot be one. C calls the callback: its arguments come from C (narrow integers arrive
// extended, as C's ABI makes the caller do), and its answer goes back to C (only types JS can
// give exactly).
import { formatCallbackType, type CallbackArgType, type CallbackResultType, type CallbackType } from '../../runtime/callback-type.js';
import type { CFunctionType } from './c-type.js';
import { lengthKind, mapScalar, type MapOptions, type TagLookup } from './map-scalar.js';

export function mapCallback(fn: CFunctionType, tags: TagLookup, options: MapOptions): CallbackType | { reason: string } {
  if (!fn.prototyped) return { reason: 'a callback declared without a prototype' };
  if (fn.variadic) return { reason: 'a variadic callback (...)' };
  const args: CallbackArgType[] = [];
  const argNames: string[] = [];
  for (let i = 0; i < fn.params.length; i++) {
    const type = fn.params[i]!;
    const name = `arg${i}`;
    const value = mapScalar(type, tags, 'result', options);
    let mapped: CallbackArgType;
    if (typeof value === 'string') mapped = value as CallbackArgType;
    else if (value !== null) return { reason: `callback argument ${i} (${type.spelling}): ${value.reason}` };
    else if (type.kind === 'pointer') {
      const pointee = type.pointee;
      const byte = pointee.kind === 'void' || (pointee.kind === 'int' && pointee.bits === 8);
      if (byte && lengthKind(fn.params[i + 1], '') === 'length') {
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
    const value = mapScalar(fn.result, tags, 'param', options);
    if (typeof value !== 'string') return { reason: `callback result (${fn.result.spelling}): ${value === null ? 'not a number or bool' : value.reason}` };
    result = value as CallbackResultType;
  }
  return formatCallbackType({ args, argNames, result });
}
