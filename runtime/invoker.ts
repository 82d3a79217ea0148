// Builds the JS function that stands for one C export: argument checks, arena marshalling only
// where buffers are involved, one call into wasm, result conversion.
// It is generated per export, like a hand-written wrapper, because only a function literal of
// its own gets call sites that see one signature (a numeric call then costs a few checks over
// the raw export). The source is assembled from this file's constant snippets, chosen by the
// signature's types (each one matched against the fixed list, anything else refused) and by
// numbers (parameter positions). Nothing the module names — export names, parameter names —
// is ever part of the text: the code reaches them through its closure (`fn`, `signature`).
// Where code generation is disallowed, the closure-only invoker (invoker-closures.ts) serves.
import {
  ARRAY_ELEMENTS, answeredValueType, inOutValueType, isArrayType, isInOutType, isMutArrayType, isOutStructType, isOutType, isPointerWithLength, isUnsizedBytesType,
  jsParamIndexes, mutArrayElement, structParamName, type ExportSignature, type OutValueType, type ResultType, type ValueType,
} from './abi.js';
import { argumentError, arrayChanged, arrayLength, bytesLength } from './arguments.js';
import { isCallbackType } from './callback-type.js';
import { slotKind } from './marshalling.js';
import { structCodecs } from './struct-codec.js';
import { Handle } from './handles.js';
import { i53Result, u53Result } from './int53.js';
import { takeCString } from './cstring-result.js';
import { canGenerateCode } from './code-generation.js';
import { createClosureInvoker } from './invoker-closures.js';
import type { Sandbox } from './sandbox.js';

type AnyFunction = (...args: unknown[]) => unknown;

/** `v` is an argument variable such as v0: the condition under which it is refused. */
function refusal(type: ValueType, v: string): string {
  switch (type) {
    // typeof first: `|` and `>>>` throw a raw TypeError on a bigint.
    case 'i32': return `typeof ${v} !== 'number' || (${v} | 0) !== ${v}`;
    case 'u32': return `typeof ${v} !== 'number' || (${v} >>> 0) !== ${v}`;
    case 'f32': case 'f64': return `typeof ${v} !== 'number'`;
    case 'i64': return `typeof ${v} !== 'bigint' || BigInt.asIntN(64, ${v}) !== ${v}`;
    case 'u64': return `typeof ${v} !== 'bigint' || BigInt.asUintN(64, ${v}) !== ${v}`;
    case 'i53': return `!Number.isSafeInteger(${v})`;
    case 'u53': return `!Number.isSafeInteger(${v}) || ${v} < 0`;
    case 'bool': return `typeof ${v} !== 'boolean'`;
    case 'string': return `typeof ${v} !== 'string' || ${v}.includes('\\0') || !${v}.isWellFormed()`;
    case 'text': return `typeof ${v} !== 'string' || !${v}.isWellFormed()`;
    default: throw new TypeError(`no argument check for type ${String(type)}`);
  }
}

/** The JS value of a wasm answer `r` (a result or an out-parameter's slot) of this type. */
function conversion(result: ResultType, r = 'r'): string {
  switch (result) {
    case 'u32': return `${r} >>> 0`;
    case 'u64': return `BigInt.asUintN(64, ${r})`;
    case 'bool': return `${r} !== 0`;
    case 'handle': return `box.wrapHandle(${r})`;
    case 'i53': return `i53Result(${r}, fn)`;
    case 'u53': return `u53Result(${r}, fn)`;
    case 'void': return 'undefined';
    case 'i32': case 'i64': case 'f32': case 'f64': return r;
    default: throw new TypeError(`no result conversion for type ${String(result)}`);
  }
}

/** The Marshalling method that reads an out-parameter's slot of this type. */
function slotReader(type: OutValueType): string {
  return `slot${slotKind(type).toUpperCase()}`;
}

/** The body of the invoker for this signature; only its types and arity shape the text. */
function invokerSource(box: Sandbox, fn: string, signature: ExportSignature): string {
  const { params, result } = signature;
  // Out-parameters take no JS argument: v<i> keeps the parameter's position in the signature.
  const values = jsParamIndexes(params).map((i) => `v${i}`);
  // Out- and in/out scalars: the call answers with the value C left in each one's slot.
  const outs = params.flatMap((type, i) => { const value = answeredValueType(type); return value === null ? [] : [{ i, type: value }]; });
  const structOuts = params.flatMap((type, i) => (isOutStructType(type) ? [i] : []));
  // Writable arrays and buffers: copied back after the call.
  const muts = params.flatMap((type, i) => (isMutArrayType(type) ? [{ i, type: mutArrayElement(type) }] : type === 'mut:u8*' ? [{ i, type: 'u8[]' as const }] : []));
  const marshals = outs.length > 0 || params.some((type) => type === 'bytes' || type === 'string' || isPointerWithLength(type) || isUnsizedBytesType(type) || structParamName(type) !== null)
    || result === 'bytes' || result === 'string';
  const lines: string[] = [];
  // Callback parameters: the slot each binds (numbers cbox computed, like positions).
  const slots = params.map((type, i) => (isCallbackType(type) ? box.callbacks.slotOf(fn, i) : -1));
  params.forEach((type, i) => {
    if (isOutType(type) || isOutStructType(type) || type === 'userdata') return;
    if (isCallbackType(type)) lines.push(`if (typeof v${i} !== 'function' && v${i} !== null) throw argumentError(fn, signature, ${i}, v${i});`);
    else if (type === 'bytes' || isUnsizedBytesType(type)) lines.push(`const n${i} = bytesLength(v${i}); if (n${i} < 0) throw argumentError(fn, signature, ${i}, v${i});`);
    // The class name comes from cbox's own table, for a type matched against it.
    else if (isArrayType(type) || isMutArrayType(type)) {
      const { kind } = ARRAY_ELEMENTS[isMutArrayType(type) ? mutArrayElement(type) : type];
      lines.push(`const n${i} = arrayLength(v${i}, '${kind}'); if (n${i} < 0) throw argumentError(fn, signature, ${i}, v${i});`);
    } else if (structParamName(type) !== null) lines.push(`const l${i} = structs[${i}].lower(v${i}, fn, signature, ${i});`);
    else if (isInOutType(type)) lines.push(`if (${refusal(inOutValueType(type), `v${i}`)}) throw argumentError(fn, signature, ${i}, v${i});`);
    else if (type !== 'handle') lines.push(`if (${refusal(type as ValueType, `v${i}`)}) throw argumentError(fn, signature, ${i}, v${i});`);
  });
  params.forEach((type, i) => {
    if (type === 'handle') lines.push(`const h${i} = Handle.addressFor(v${i}, box.owner, box.generation, fn, signature.paramNames[${i}]);`);
  });
  // Bound before the call, and kept: C may store the pointer and call it later.
  params.forEach((type, i) => {
    if (slots[i]! >= 0) lines.push(`box.callbacks.bound[${slots[i]}] = v${i};`);
  });
  lines.push('const s = box.callable ?? box.unavailable();');
  const lowered: string[] = [];
  const puts: string[] = [];
  params.forEach((type, i) => {
    if (type === 'bytes') { puts.push(`const p${i} = a.putBytes(v${i}, n${i});`); lowered.push(`p${i}`, `n${i}`); }
    else if (type === 'string') { puts.push(`const p${i} = a.putString(v${i});`); lowered.push(`p${i}`); }
    else if (type === 'text') { puts.push(`const p${i} = a.putString(v${i}); const n${i} = a.textLength;`); lowered.push(`p${i}`, `n${i}`); }
    else if (isArrayType(type)) { puts.push(`const p${i} = a.putArray(v${i}, n${i}, '${type}');`); lowered.push(`p${i}`, `n${i}`); }
    else if (isMutArrayType(type)) { puts.push(`p${i} = a.putArray(v${i}, n${i}, '${mutArrayElement(type)}');`); lowered.push(`p${i}`, `n${i}`); }
    else if (type === 'u8*') { puts.push(`const p${i} = a.putBytes(v${i}, n${i});`); lowered.push(`p${i}`); }
    else if (type === 'mut:u8*') { puts.push(`p${i} = a.putBytes(v${i}, n${i});`); lowered.push(`p${i}`); }
    else if (isOutType(type)) { puts.push(`q${i} = a.putSlot();`); lowered.push(`q${i}`); }
    else if (isInOutType(type)) {
      const value = inOutValueType(type);
      puts.push(`q${i} = a.putSlotValue(${value === 'i53' || value === 'u53' ? `BigInt(v${i})` : `v${i}`}, '${slotKind(value)}');`);
      lowered.push(`q${i}`);
    }
    else if (isOutStructType(type)) { puts.push(`q${i} = structs[${i}].reserve(a);`); lowered.push(`q${i}`); }
    else if (structParamName(type) !== null) { puts.push(`const p${i} = structs[${i}].write(a, l${i}, s);`); lowered.push(`p${i}`); }
    else if (slots[i]! >= 0) lowered.push(`v${i} === null ? 0 : s.callbackPointers[${slots[i]}]`);
    else if (type === 'userdata') lowered.push('0');
    else if (type === 'bool') lowered.push(`v${i} ? 1 : 0`);
    else if (type === 'handle') lowered.push(`h${i}`);
    // V8 passes a wasm i64 only as a bigint: the one BigInt of an i53 call is made here.
    else if (type === 'i53' || type === 'u53') lowered.push(`BigInt(v${i})`);
    else lowered.push(`v${i}`);
  });
  const out = result === 'bytes' || result === 'string';
  if (out) { puts.push('o = a.putOut();'); lowered.push('o'); }
  if (marshals) {
    const slots = [...outs.map(({ i }) => i), ...structOuts].map((i) => `q${i} = 0`);
    lines.push('const a = s.arena;', 'a.begin();', 'let o = 0;', 'let r;', ...(slots.length > 0 ? [`let ${slots.join(', ')};`] : []), ...muts.map(({ i }) => `let p${i} = 0;`));
    // Writing into the arena may be refused (arena-full): box.fail passes cbox's own errors on.
    lines.push(`try { ${puts.join(' ')} a.commit(); s.calls++; r = s.fns[index](${lowered.join(', ')}); } catch (e) { throw box.fail(e, fn, [${values.join(', ')}]); }`);
    // Out-parameters are read before the arena is emptied and converted after (a conversion may refuse).
    for (const { i, type } of outs) lines.push(`const w${i} = a.${slotReader(type)}(q${i});`);
    // Structs and writable arrays too; what they refuse is thrown once the arena is settled.
    if (structOuts.length + muts.length > 0) lines.push('let bad = null;');
    for (const { i, type } of muts) lines.push(`if (!a.copyArrayBack(v${i}, p${i}, n${i}, '${type}')) bad = arrayChanged(fn, signature, ${i});`);
    for (const i of structOuts) lines.push(`let w${i} = null; try { w${i} = structs[${i}].read(a, q${i}, fn); } catch (e) { bad ??= e; }`);
    if (out) lines.push(`let t; try { t = a.${result === 'string' ? 'takeString' : signature.view === true ? 'viewBytes' : 'takeBytes'}(o, fn); } finally { box.deliverOutput(); }`);
    else if (result === 'cstring') lines.push(`const t = takeCString(box, s, index, r >>> 0, fn, [${values.join(', ')}]);`);
    else lines.push('box.settle(s);');
    if (structOuts.length + muts.length > 0) lines.push('if (bad !== null) throw bad;');
    const value = out || result === 'cstring' ? 't' : conversion(result);
    if (outs.length + structOuts.length === 0) lines.push(`return ${value};`);
    // A void function with one struct out-parameter answers with the struct.
    else if (result === 'void' && outs.length === 0 && structOuts.length === 1) lines.push(`return w${structOuts[0]};`);
    else {
      // Computed keys define own properties (a name such as __proto__ never reaches a prototype),
      // and the names (from the stamp) reach this code through the closure, not its text.
      const answers = [...outs.map(({ i, type }) => ({ i, text: conversion(type, `w${i}`) })), ...structOuts.map((i) => ({ i, text: `w${i}` }))].sort((x, y) => x.i - y.i);
      const fields = [...(result === 'void' ? [] : [`result: ${value}`]), ...answers.map(({ i, text }) => `[signature.paramNames[${i}]]: ${text}`)];
      lines.push(`return { ${fields.join(', ')} };`);
    }
  } else {
    lines.push('s.calls++;', 'let r;');
    lines.push(`try { r = s.fns[index](${lowered.join(', ')}); } catch (e) { throw box.fail(e, fn, [${values.join(', ')}]); }`);
    // Nothing was marshalled: one read tells whether C used the arena or printed (see Marshalling.touched).
    // The result is converted after settling: a refused one (bad-result) leaves the arena empty too.
    if (result === 'cstring') lines.push(`return takeCString(box, s, index, r >>> 0, fn, [${values.join(', ')}]);`);
    else lines.push('if (s.arena.touched) box.settle(s);', `return ${conversion(result)};`);
  }
  return `return function invoke(${values.join(', ')}) {\n  ${lines.join('\n  ')}\n};`;
}

export function createInvoker(box: Sandbox, fn: string, index: number, signature: ExportSignature): AnyFunction {
  const invoke = canGenerateCode
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- per-export code generation from constant snippets (see above)
    ? new Function('box', 'fn', 'index', 'signature', 'structs', 'argumentError', 'arrayChanged', 'bytesLength', 'arrayLength', 'Handle', 'i53Result', 'u53Result', 'takeCString', invokerSource(box, fn, signature))(
      box, fn, index, signature, structCodecs(box.compiled.stamp.structs, signature, box.callbacks), argumentError, arrayChanged, bytesLength, arrayLength, Handle, i53Result, u53Result, takeCString) as AnyFunction
    : createClosureInvoker(box, fn, index, signature);
  return Object.defineProperty(invoke, 'name', { value: fn });
}
