// Builds the JS function that stands for one C export: argument checks, arena marshalling only
// where buffers are involved, one call into wasm, result conversion.
// It is generated per export, like a hand-written wrapper, because only a function literal of
// its own gets call sites that see one signature (a numeric call then costs a few checks over
// the raw export). The source is assembled from this file's constant snippets, chosen by the
// signature's types (each one matched against the fixed list, anything else refused) and by
// numbers (parameter positions). Nothing the module names — export names, parameter names —
// is ever part of the text: the code reaches them through its closure (`fn`, `signature`).
// Where code generation is disallowed, the closure-only invoker (invoker-closures.ts) serves.
import { ARRAY_ELEMENTS, isArrayType, type ExportSignature, type ResultType, type ValueType } from './abi.js';
import { argumentError, arrayBytes, bytesLength } from './arguments.js';
import { Handle } from './handles.js';
import { i53Result, u53Result } from './int53.js';
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
    default: throw new TypeError(`no argument check for type ${String(type)}`);
  }
}

function conversion(result: ResultType): string {
  switch (result) {
    case 'u32': return 'r >>> 0';
    case 'u64': return 'BigInt.asUintN(64, r)';
    case 'bool': return 'r !== 0';
    case 'handle': return 'box.wrapHandle(r)';
    case 'i53': return 'i53Result(r, fn)';
    case 'u53': return 'u53Result(r, fn)';
    case 'void': return 'undefined';
    case 'i32': case 'i64': case 'f32': case 'f64': return 'r';
    default: throw new TypeError(`no result conversion for type ${String(result)}`);
  }
}

/** The body of the invoker for this signature; only its types and arity shape the text. */
function invokerSource(signature: ExportSignature): string {
  const { params, result } = signature;
  const values = params.map((_, i) => `v${i}`);
  const marshals = params.some((type) => type === 'bytes' || type === 'string' || isArrayType(type)) || result === 'bytes' || result === 'string';
  const lines: string[] = [];
  params.forEach((type, i) => {
    if (type === 'bytes') lines.push(`const n${i} = bytesLength(v${i}); if (n${i} < 0) throw argumentError(fn, signature, ${i}, v${i});`);
    // The class name comes from cbox's own table, for a type matched against it.
    else if (isArrayType(type)) lines.push(`const b${i} = arrayBytes(v${i}, '${ARRAY_ELEMENTS[type].kind}'); if (b${i} === null) throw argumentError(fn, signature, ${i}, v${i});`);
    else if (type !== 'handle') lines.push(`if (${refusal(type, `v${i}`)}) throw argumentError(fn, signature, ${i}, v${i});`);
  });
  params.forEach((type, i) => {
    if (type === 'handle') lines.push(`const h${i} = Handle.addressFor(v${i}, box.owner, box.generation, fn, signature.paramNames[${i}]);`);
  });
  lines.push('const s = box.callable ?? box.unavailable();');
  const lowered: string[] = [];
  const puts: string[] = [];
  params.forEach((type, i) => {
    if (type === 'bytes') { puts.push(`const p${i} = a.putBytes(v${i}, n${i});`); lowered.push(`p${i}`, `n${i}`); }
    else if (type === 'string') { puts.push(`const p${i} = a.putString(v${i});`); lowered.push(`p${i}`); }
    else if (isArrayType(type)) { puts.push(`const p${i} = a.putBytes(b${i}, b${i}.length);`); lowered.push(`p${i}`, `b${i}.length / ${ARRAY_ELEMENTS[type].bytes}`); }
    else if (type === 'bool') lowered.push(`v${i} ? 1 : 0`);
    else if (type === 'handle') lowered.push(`h${i}`);
    // V8 passes a wasm i64 only as a bigint: the one BigInt of an i53 call is made here.
    else if (type === 'i53' || type === 'u53') lowered.push(`BigInt(v${i})`);
    else lowered.push(`v${i}`);
  });
  const out = result === 'bytes' || result === 'string';
  if (out) { puts.push('o = a.putOut();'); lowered.push('o'); }
  if (marshals) {
    lines.push('const a = s.arena;', 'a.begin();', 'let o = 0;', 'let r;');
    // Writing into the arena may be refused (arena-full): box.fail passes cbox's own errors on.
    lines.push(`try { ${puts.join(' ')} a.commit(); s.calls++; r = s.fns[index](${lowered.join(', ')}); } catch (e) { throw box.fail(e, fn, [${values.join(', ')}]); }`);
    if (out) lines.push(`try { return a.${result === 'bytes' ? 'takeBytes' : 'takeString'}(o, fn); } finally { box.deliverOutput(); }`);
    else lines.push('box.settle(s);', `return ${conversion(result)};`);
  } else {
    lines.push('s.calls++;', 'let r;');
    lines.push(`try { r = s.fns[index](${lowered.join(', ')}); } catch (e) { throw box.fail(e, fn, [${values.join(', ')}]); }`);
    // Nothing was marshalled: one read tells whether C used the arena or printed (see Marshalling.touched).
    // The result is converted after settling: a refused one (bad-result) leaves the arena empty too.
    lines.push('if (s.arena.touched) box.settle(s);', `return ${conversion(result)};`);
  }
  return `return function invoke(${values.join(', ')}) {\n  ${lines.join('\n  ')}\n};`;
}

/** Whether this process may compile code from strings (not under --disallow-code-generation-from-strings). */
const canGenerate = ((): boolean => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the probe for the switch above
    return new Function('return true')() === true;
  } catch {
    return false;
  }
})();

export function createInvoker(box: Sandbox, fn: string, index: number, signature: ExportSignature): AnyFunction {
  const invoke = canGenerate
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- per-export code generation from constant snippets (see above)
    ? new Function('box', 'fn', 'index', 'signature', 'argumentError', 'bytesLength', 'arrayBytes', 'Handle', 'i53Result', 'u53Result', invokerSource(signature))(box, fn, index, signature, argumentError, bytesLength, arrayBytes, Handle, i53Result, u53Result) as AnyFunction
    : createClosureInvoker(box, fn, index, signature);
  return Object.defineProperty(invoke, 'name', { value: fn });
}
