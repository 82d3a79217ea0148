// The invoker made of closures only, for a process where code generation from strings is
// disallowed (node --disallow-code-generation-from-strings). Same checks, same marshalling, same
// errors as the generated one (invoker.ts); slower, because every export shares this one
// function literal, so its call sites see every parameter type and result conversion.
import {
  ARRAY_ELEMENTS, answeredValueType, inOutValueType, isArrayType, isInOutType, isMutArrayType, isOutStructType, isOutType, isUnsizedBytesType, jsParamIndexes,
  mutArrayElement, type ExportSignature, type MutArrayType, type OutValueType, type ResultType,
} from './abi.js';
import { argumentError, arrayChanged, arrayLength, bytesLength, isString } from './arguments.js';
import { isCallbackType } from './callback-type.js';
import { structCodecs, type StructCodec } from './struct-codec.js';
import { takeCString } from './cstring-result.js';
import { Handle } from './handles.js';
import { i53Result, u53Result } from './int53.js';
import { slotKind, type Marshalling } from './marshalling.js';
import type { Sandbox } from './sandbox.js';

type AnyFunction = (...args: unknown[]) => unknown;
/** Checks one argument and gives the value wasm receives; throws CboxArgumentError. */
type Lower = (value: unknown) => unknown;

function lowerer(box: Sandbox, fn: string, signature: ExportSignature, index: number, struct: StructCodec | null): Lower {
  const bad = (value: unknown): never => { throw argumentError(fn, signature, index, value); };
  const param = signature.paramNames[index]!;
  const type = signature.params[index]!;
  if (isOutType(type) || isOutStructType(type) || type === 'userdata') throw new TypeError(`an ${type} parameter takes no argument`);
  if (isCallbackType(type)) return (v) => (typeof v === 'function' || v === null ? v : bad(v));
  if (isArrayType(type) || isMutArrayType(type)) {
    // Lowered to its element count (read once: a lying getter gets no second say); copied below.
    const { kind } = ARRAY_ELEMENTS[isMutArrayType(type) ? mutArrayElement(type) : type];
    return (v) => { const count = arrayLength(v, kind); return count >= 0 ? count : bad(v); };
  }
  // Lowered to its checked field values; written below.
  if (struct !== null) return (v) => struct.lower(v, fn, signature, index);
  // An in/out scalar is checked and lowered as its scalar; its slot is filled below.
  switch (isInOutType(type) ? inOutValueType(type) : type) {
    // typeof first: `|` and `>>>` throw a raw TypeError on a bigint.
    case 'i32': return (v) => (typeof v === 'number' && (v | 0) === v ? v : bad(v));
    case 'u32': return (v) => (typeof v === 'number' && (v >>> 0) === v ? v : bad(v));
    case 'f32': case 'f64': return (v) => (typeof v === 'number' ? v : bad(v));
    case 'i64': return (v) => (typeof v === 'bigint' && BigInt.asIntN(64, v) === v ? v : bad(v));
    case 'u64': return (v) => (typeof v === 'bigint' && BigInt.asUintN(64, v) === v ? v : bad(v));
    // V8 passes a wasm i64 only as a bigint.
    case 'i53': return (v) => (Number.isSafeInteger(v) ? BigInt(v as number) : bad(v));
    case 'u53': return (v) => (Number.isSafeInteger(v) && (v as number) >= 0 ? BigInt(v as number) : bad(v));
    case 'bool': return (v) => (v === true ? 1 : v === false ? 0 : bad(v));
    case 'handle': return (v) => Handle.addressFor(v, box.owner, box.generation, fn, param);
    case 'bytes': case 'u8*': case 'mut:u8*': return (v) => (bytesLength(v) >= 0 ? v : bad(v));
    case 'string': return (v) => (isString(v) ? v : bad(v));
    case 'text': return (v) => (typeof v === 'string' && v.isWellFormed() ? v : bad(v));
    default: throw new TypeError(`no argument check for type ${type}`);
  }
}

function lifter(box: Sandbox, fn: string, result: Exclude<ResultType, 'bytes' | 'string' | 'cstring'>): (r: any) => unknown {
  switch (result) {
    case 'i53': return (r: bigint) => i53Result(r, fn);
    case 'u53': return (r: bigint) => u53Result(r, fn);
    case 'u32': return (r: number) => r >>> 0;
    case 'u64': return (r: bigint) => BigInt.asUintN(64, r);
    case 'bool': return (r: number) => r !== 0;
    case 'handle': return (r: number) => box.wrapHandle(r);
    case 'void': return () => undefined;
    default: return (r: unknown) => r;
  }
}

/** Reads an out-parameter's slot (before the arena is emptied). */
function slotReader(type: OutValueType): (arena: Marshalling, slot: number) => number | bigint {
  switch (slotKind(type)) {
    case 'i64': return (arena, slot) => arena.slotI64(slot);
    case 'f32': return (arena, slot) => arena.slotF32(slot);
    case 'f64': return (arena, slot) => arena.slotF64(slot);
    default: return (arena, slot) => arena.slotI32(slot);
  }
}

export function createClosureInvoker(box: Sandbox, fn: string, index: number, signature: ExportSignature): AnyFunction {
  const { params, result } = signature;
  // Out-parameters take no JS argument: argument k of the call is parameter jsIndexes[k].
  const jsIndexes = jsParamIndexes(params);
  const structs = structCodecs(box.compiled.stamp.structs, signature, box.callbacks);
  const lowers = jsIndexes.map((i) => lowerer(box, fn, signature, i, structs[i]!));
  // Out- and in/out scalars: the call answers with the value C left in each one's slot.
  const outs = params.flatMap((type, i) => {
    const value = answeredValueType(type);
    if (value === null) return [];
    return [{ i, name: signature.paramNames[i]!, read: slotReader(value), lift: lifter(box, fn, value) }];
  });
  const structOuts = params.flatMap((type, i) => (isOutStructType(type) ? [i] : []));
  // Writable arrays and buffers: copied back after the call.
  const muts = params.flatMap((type, i) => {
    if (!isMutArrayType(type) && type !== 'mut:u8*') return [];
    return [{ i, k: jsIndexes.indexOf(i), element: type === 'mut:u8*' ? 'u8[]' as const : mutArrayElement(type as MutArrayType) }];
  });
  // Answered by the struct alone: a void function with one struct out-parameter.
  const structAlone = result === 'void' && outs.length === 0 && structOuts.length === 1;
  const takesOut = result === 'bytes' || result === 'string';
  const lift = takesOut || result === 'cstring' ? null : lifter(box, fn, result);
  const callbackSlots = params.map((type, i) => (isCallbackType(type) ? box.callbacks.slotOf(fn, i) : -1));
  return function invoke(...values: unknown[]) {
    // Every argument is checked before any is written into the sandbox.
    const lowered: unknown[] = [];
    lowers.forEach((lower, k) => { lowered[jsIndexes[k]!] = lower(values[k]); });
    // Bound before the call, and kept: C may store the pointer and call it later.
    callbackSlots.forEach((slot, i) => { if (slot >= 0) box.callbacks.bound[slot] = lowered[i] as AnyFunction | null; });
    const s = box.callable ?? box.unavailable();
    const arena = s.arena;
    arena.begin();
    let r;
    let out = 0;
    const slots: number[] = [];
    const counts: number[] = [];
    try {
      const wasmArgs: unknown[] = [];
      params.forEach((type, i) => {
        const value = lowered[i];
        if (type === 'bytes') {
          const length = bytesLength(value);
          wasmArgs.push(arena.putBytes(value as Uint8Array, length), length);
        } else if (type === 'text') {
          wasmArgs.push(arena.putString(value as string), arena.textLength);
        } else if (isUnsizedBytesType(type)) {
          counts[i] = bytesLength(value);
          wasmArgs.push(slots[i] = arena.putBytes(value as Uint8Array, counts[i]!));
        } else if (isInOutType(type)) {
          wasmArgs.push(slots[i] = arena.putSlotValue(value as number | bigint, slotKind(inOutValueType(type))));
        } else if (isArrayType(type) || isMutArrayType(type)) {
          const count = value as number;
          const element = isMutArrayType(type) ? mutArrayElement(type) : type;
          counts[i] = count;
          wasmArgs.push(slots[i] = arena.putArray(values[jsIndexes.indexOf(i)] as ArrayLike<number>, count, element), count);
        } else if (isOutType(type)) {
          wasmArgs.push(slots[i] = arena.putSlot());
        } else if (isOutStructType(type)) {
          wasmArgs.push(slots[i] = structs[i]!.reserve(arena));
        } else if (structs[i] !== null) {
          wasmArgs.push(structs[i]!.write(arena, value as unknown[], s));
        } else if (callbackSlots[i]! >= 0) {
          wasmArgs.push(value === null ? 0 : s.callbackPointers[callbackSlots[i]!]);
        } else if (type === 'userdata') {
          wasmArgs.push(0);
        } else {
          wasmArgs.push(type === 'string' ? arena.putString(value as string) : value);
        }
      });
      if (takesOut) wasmArgs.push(out = arena.putOut());
      arena.commit();
      s.calls++;
      r = s.fns[index]!(...wasmArgs);
    } catch (e) { throw box.fail(e, fn, values); }
    // Out-parameters are read before the arena is emptied and converted after (a conversion may refuse).
    const written = outs.map(({ i, read }) => read(arena, slots[i]!));
    // Structs and writable arrays too; what they refuse is thrown once the arena is settled.
    let bad: unknown = null;
    for (const { i, k, element } of muts) {
      if (!arena.copyArrayBack(values[k] as Int32Array, slots[i]!, counts[i]!, element)) bad = arrayChanged(fn, signature, i);
    }
    const structsRead = structOuts.map((i) => {
      try { return structs[i]!.read(arena, slots[i]!, fn); } catch (error) { bad ??= error; return null; }
    });
    let value: unknown;
    if (lift !== null) {
      // Settled first: a refused result (bad-result) leaves the arena empty too.
      box.settle(s);
      if (bad !== null) throw bad;
      value = lift(r);
    } else if (result === 'cstring') {
      value = takeCString(box, s, index, (r as number) >>> 0, fn, values);
    } else {
      try {
        value = result === 'string' ? arena.takeString(out, fn) : signature.view === true ? arena.viewBytes(out, fn) : arena.takeBytes(out, fn);
      } finally {
        box.deliverOutput();
      }
    }
    if (bad !== null) throw bad;
    if (outs.length + structOuts.length === 0) return value;
    if (structAlone) return structsRead[0];
    // fromEntries defines own properties: whatever the out-parameters are named (__proto__), none reaches a prototype.
    const fields = [
      ...outs.map(({ i, name, lift: liftOut }, k) => [i, name, liftOut(written[k])] as const),
      ...structOuts.map((i, k) => [i, signature.paramNames[i]!, structsRead[k]] as const),
    ].sort((x, y) => x[0] - y[0]).map(([, name, answer]) => [name, answer] as const);
    return Object.fromEntries(result === 'void' ? fields : [['result', value], ...fields]);
  };
}
