// From a C prototype to a manifest signature, or the precise reason there is none yet. Only
// types the manifest knows today are emitted; everything else is named with what it would need.
import { RESERVED_EXPORT_NAMES, isOutType, type ArrayType, type ParamType, type ResultType } from '../../runtime/abi.js';
import type { CFunctionType, CType } from './c-type.js';
import { parameterLabel } from '../js-reserved.js';
import type { HeaderFunction } from './header-functions.js';
import { mapCallback } from './map-callback.js';
import { intInfo, lengthKind, mapScalar, type LengthKind, type MapOptions, type TagLookup } from './map-scalar.js';

export type { MapOptions, TagLookup };

export interface MappedParam {
  readonly name: string;
  readonly type: ParamType;
}

export type FunctionMapping =
  /** `free`: an owned string result, released with this C function. */
  | { readonly ok: true; readonly params: readonly MappedParam[]; readonly result: ResultType; readonly free?: string }
  | { readonly ok: false; readonly reason: string };

type Step = { type: ParamType; consumed: 1 | 2 } | { reason: string };
type ParamOptions = MapOptions & { readonly takesCallback: boolean };

export function mapFunction(fn: HeaderFunction, type: CFunctionType | undefined, tags: TagLookup, options: MapOptions = {}): FunctionMapping {
  const refuse = (reason: string): FunctionMapping => ({ ok: false, reason });
  if (RESERVED_EXPORT_NAMES.has(fn.name) || fn.name.startsWith('cbox_') || fn.name.startsWith('_')) {
    return refuse(`the name "${fn.name}" is reserved by cbox (wrap the function under another name)`);
  }
  if (fn.isStatic) return refuse(`static${fn.isInline ? ' inline' : ''} function: it has no symbol the module can export (wrap it in a plain function)`);
  if (fn.isInline) return refuse('inline function: C gives no guarantee of a symbol to export (wrap it in a plain function)');
  if (!type) return refuse('clang gave no type for it');
  if (!type.prototyped) return refuse('declared without a prototype: write (void) for no parameters, or the parameter types');
  if (type.variadic) return refuse('variadic (...): a fixed wasm signature cannot pass a variable argument list');

  const given = fn.paramNames.length === type.params.length ? fn.paramNames : type.params.map(() => '');
  const names = paramNames(given);
  const params: MappedParam[] = [];
  // A `void *` beside a callback is the context C hands back to it: JS closures carry their own.
  // Callbacks as parameters, or in a struct passed in (md4c's MD_PARSER).
  const takesCallback = type.params.some((param) => param.kind === 'pointer' && (param.pointee.kind === 'function' || holdsCallbacks(param.pointee, options)));
  for (let i = 0; i < type.params.length;) {
    const step = mapParam(type.params, names, given, i, tags, { ...options, takesCallback });
    if ('reason' in step) return refuse(`parameter ${names[i]} (${type.params[i]!.spelling}): ${step.reason}`);
    params.push({ name: names[i]!, type: step.type });
    i += step.consumed;
  }
  const result = mapResult(type.result, tags, options);
  if (typeof result !== 'string') return refuse(`result (${type.result.spelling}): ${result.reason}`);
  // A char * result belongs to the caller: C's free() releases it unless the manifest is edited
  // to name the library's own function.
  const owned = result === 'cstring' && type.result.kind === 'pointer' && !type.result.pointee.const;
  return owned ? { ok: true, params, result, free: 'free' } : { ok: true, params, result };
}

/** Whether a type is a struct that holds callbacks (then a `void *` beside it is their context). */
function holdsCallbacks(type: CType, options: MapOptions): boolean {
  if (type.kind !== 'record' || type.name === null) return false;
  const mapped = options.structs?.(type.name);
  return mapped?.ok === true && mapped.callbacks;
}

/** Parameter names for the manifest: the prototype's, arg<N> where it has none, JS keywords suffixed. */
function paramNames(given: readonly string[]): string[] {
  const names: string[] = [];
  for (let i = 0; i < given.length; i++) {
    let name = given[i] || `arg${i}`;
    name = parameterLabel(name);
    while (names.includes(name) || (given.includes(name) && given[i] !== name)) name = `${name}_${i}`;
    names.push(name);
  }
  return names;
}

function mapParam(params: readonly CType[], names: readonly string[], given: readonly string[], i: number, tags: TagLookup, options: ParamOptions): Step {
  const type = params[i]!;
  const scalar = mapScalar(type, tags, 'param', options);
  // A parameter's scalar is never cstring (mapScalar gives that only for results).
  if (scalar !== null) return typeof scalar === 'string' ? { type: scalar as ParamType, consumed: 1 } : scalar;
  switch (type.kind) {
    case 'pointer': {
      const next = params[i + 1];
      return mapPointerParam(type.pointee, next, lengthKind(next, given[i + 1] ?? ''), names[i + 1] ?? '', tags, options);
    }
    case 'record': return { reason: type.tag === 'union' ? 'a union passed by value: unions not supported' : 'a struct passed by value: structs not supported yet' };
    case 'array': return { reason: `an array parameter (${type.spelling}): arrays not supported yet` };
    case 'unsupported': return { reason: `${type.what}: not supported` };
    default: return { reason: `a ${type.kind} parameter: not supported` };
  }
}

function mapPointerParam(pointee: CType, next: CType | undefined, length: LengthKind, nextName: string, tags: TagLookup, options: ParamOptions): Step {
  if (pointee.kind === 'function') {
    const callback = mapCallback(pointee, tags, options);
    return typeof callback === 'string' ? { type: callback, consumed: 1 } : callback;
  }
  if (pointee.kind === 'void' && options.takesCallback && length === null) return { type: 'userdata', consumed: 1 };
  if (pointee.kind === 'record') {
    // A pointer to a complete struct followed by a length is an array of structs, which no
    // manifest type is (an opaque one is a handle, whatever follows it).
    if (length === 'length' && pointee.name !== null && tags(pointee.name)?.complete === true) return { reason: `an array of ${pointee.spelling} with its length (${nextName}): arrays of structs not supported` };
    return opaqueOrStruct(pointee, tags, options, 'param');
  }
  if (pointee.kind === 'pointer') return pointerToPointer(pointee, length, nextName, tags);
  const isByte = pointee.kind === 'void' || (pointee.kind === 'int' && pointee.bits === 8);
  // const char * is a string; with a length after it, one `text` parameter (the length is its UTF-8 size).
  if (pointee.kind === 'int' && pointee.char && pointee.const) return length === 'length' ? { type: 'text', consumed: 2 } : { type: 'string', consumed: 1 };
  if (isByte) {
    if (length === 'length') {
      // A writable buffer: C's writes are copied back into the caller's Uint8Array.
      return { type: pointee.const ? 'bytes' : 'mut:u8[]', consumed: 2 };
    }
    if (length === 'unclear') return { reason: `a byte pointer followed by ${next!.spelling} ${nextName}, which is not named like a length (len, size, n, count...): cbox does not guess` };
    if (pointee.kind === 'void') return { reason: 'an untyped pointer without a length: cbox cannot tell a buffer from a handle' };
    return { reason: pointee.const ? 'a byte pointer without a length parameter after it' : 'a writable byte pointer (an output buffer?) without a length: not supported yet' };
  }
  const element = mapScalar(pointee, tags, 'result', options);
  if (element !== null && typeof element === 'string') {
    if (length === 'length') {
      const array = arrayType(pointee, tags);
      if (typeof array !== 'string') return array;
      return { type: pointee.const ? array : `mut:${array}`, consumed: 2 };
    }
    if (pointee.const) return { reason: `a pointer to ${pointee.spelling} without a length: arrays not supported yet` };
    return outParam(pointee, element, tags);
  }
  return { reason: `a pointer to ${pointee.spelling}: not supported` };
}

/**
 * `struct x **` for a struct the header only declares: C hands back a new opaque object, an
 * out-parameter answered as a Handle. Any other pointer to a pointer is refused.
 */
function pointerToPointer(pointee: Extract<CType, { kind: 'pointer' }>, length: LengthKind, nextName: string, tags: TagLookup): Step {
  const target = pointee.pointee;
  const opaque = target.kind === 'record' && target.name !== null && tags(target.name)?.complete === false;
  if (!opaque || pointee.const) return { reason: 'a pointer to a pointer (an out-parameter or an array of pointers): not supported yet' };
  if (length === 'length') return { reason: `an array of ${pointee.spelling} with its length (${nextName}): arrays of handles not supported` };
  return { type: 'out:handle', consumed: 1 };
}

/**
 * A writable pointer to one number is an out-parameter: C writes the answer, cbox returns it. Only
 * 32- and 64-bit ones: the slot is read whole, so a narrower write would lose its sign.
 */
function outParam(pointee: CType, element: Exclude<ResultType, 'void'>, tags: TagLookup): Step {
  const int = intInfo(pointee, tags);
  const wide = pointee.kind === 'float' || (int !== null && !('reason' in int) && int.bits >= 32);
  const type = `out:${element}`;
  if (!wide || !isOutType(type)) return { reason: `a pointer to ${pointee.spelling}: out-parameters of this type not supported yet` };
  return { type, consumed: 1 };
}

/** The typed array for a `const T *` with a length: by the element's size, signedness and kind. */
function arrayType(element: CType, tags: TagLookup): ArrayType | { reason: string } {
  if (element.kind === 'float') {
    if (element.bits === 32) return 'f32[]';
    if (element.bits === 64) return 'f64[]';
  }
  const int = intInfo(element, tags);
  if (int && !('reason' in int)) {
    switch (int.bits) {
      case 8: return int.signed ? 'i8[]' : 'u8[]';
      case 16: return int.signed ? 'i16[]' : 'u16[]';
      case 32: return int.signed ? 'i32[]' : 'u32[]';
    }
  }
  return { reason: `an array of ${element.spelling}: typed arrays of this element type not supported yet` };
}

/**
 * A pointer to a struct the header only declares is an opaque handle; one with visible fields is
 * data: a struct parameter (const: C reads it; writable: C fills it, an out-parameter).
 */
function opaqueOrStruct(record: Extract<CType, { kind: 'record' }>, tags: TagLookup, options: MapOptions, position: 'param' | 'result'): Step {
  const facts = record.name === null ? undefined : tags(record.name);
  if (!facts) return { reason: `a pointer to an anonymous ${record.tag} cbox cannot name: not supported` };
  if (!facts.complete) return { type: 'handle', consumed: 1 };
  const what = `a pointer to a complete ${record.tag} (${facts.size} bytes; its fields are visible, so it is not an opaque handle)`;
  if (record.tag === 'union') return { reason: `${what}: unions not supported` };
  if (position === 'result') return { reason: `${what}: struct results not supported (C would hand over a pointer into its own memory)` };
  const mapped = options.structs?.(record.name!);
  if (!mapped) return { reason: `${what}: its definition was not read` };
  if (!mapped.ok) return { reason: `${what}: ${mapped.reason}` };
  // A struct of callbacks is only ever passed in (C's function pointers are never read back).
  if (!record.const && mapped.callbacks) return { reason: `${what}: it holds callbacks, and C may write it (not const): pass it as struct:${mapped.key} by editing the manifest if C only reads it` };
  return { type: `${record.const ? 'struct' : 'out:struct'}:${mapped.key}`, consumed: 1 };
}

function mapResult(type: CType, tags: TagLookup, options: MapOptions): ResultType | { reason: string } {
  if (type.kind === 'void') return 'void';
  const scalar = mapScalar(type, tags, 'result', options);
  if (scalar !== null) return scalar;
  switch (type.kind) {
    case 'pointer': {
      const pointee = type.pointee;
      if (pointee.kind === 'record') {
        const step = opaqueOrStruct(pointee, tags, options, 'result');
        return 'reason' in step ? step : 'handle';
      }
      // const char *: borrowed and copied; char *: owned, copied then freed (see mapFunction).
      if (pointee.kind === 'int' && pointee.char) return 'cstring';
      if (pointee.kind === 'void') return { reason: 'an untyped pointer: cbox cannot tell a buffer from a handle' };
      return { reason: `a pointer to ${pointee.spelling}: pointer results not supported yet` };
    }
    case 'record': return { reason: type.tag === 'union' ? 'a union returned by value: unions not supported' : 'a struct returned by value: structs not supported yet' };
    case 'unsupported': return { reason: `${type.what}: not supported` };
    default: return { reason: `a ${type.kind} result: not supported` };
  }
}
