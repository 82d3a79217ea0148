// The invoker made of closures only, for a process where code generation from strings is
// disallowed (node --disallow-code-generation-from-strings). Same checks, same marshalling, same
// errors as the generated one (invoker-source.ts); slower, because every export shares this one
// function literal, so its call sites see every parameter type and result conversion.
import { ARRAY_ELEMENTS, isArrayType, type ExportSignature, type ResultType } from './abi.js';
import { argumentError, arrayBytes, bytesLength, isString } from './arguments.js';
import { Handle } from './handles.js';
import { i53Result, u53Result } from './int53.js';
import type { Sandbox } from './sandbox.js';

type AnyFunction = (...args: unknown[]) => unknown;
/** Checks one argument and gives the value wasm receives; throws CboxArgumentError. */
type Lower = (value: unknown) => unknown;

function lowerer(box: Sandbox, fn: string, signature: ExportSignature, index: number): Lower {
  const bad = (value: unknown): never => { throw argumentError(fn, signature, index, value); };
  const param = signature.paramNames[index]!;
  const type = signature.params[index]!;
  if (isArrayType(type)) {
    // Lowered to the bytes cbox copies (a view of its own), written below.
    const { kind } = ARRAY_ELEMENTS[type];
    return (v) => arrayBytes(v, kind) ?? bad(v);
  }
  switch (type) {
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
    case 'bytes': return (v) => (bytesLength(v) >= 0 ? v : bad(v));
    case 'string': return (v) => (isString(v) ? v : bad(v));
  }
}

function lifter(box: Sandbox, fn: string, result: Exclude<ResultType, 'bytes' | 'string'>): (r: any) => unknown {
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

export function createClosureInvoker(box: Sandbox, fn: string, index: number, signature: ExportSignature): AnyFunction {
  const { params, result } = signature;
  const lowers = params.map((_, i) => lowerer(box, fn, signature, i));
  const takesOut = result === 'bytes' || result === 'string';
  const lift = takesOut ? null : lifter(box, fn, result);
  return function invoke(...values: unknown[]) {
    // Every argument is checked before any is written into the sandbox.
    const lowered = lowers.map((lower, i) => lower(values[i]));
    const s = box.callable ?? box.unavailable();
    const arena = s.arena;
    arena.begin();
    let r;
    let out = 0;
    try {
      const wasmArgs: unknown[] = [];
      params.forEach((type, i) => {
        const value = lowered[i];
        if (type === 'bytes') {
          const length = bytesLength(value);
          wasmArgs.push(arena.putBytes(value as Uint8Array, length), length);
        } else if (isArrayType(type)) {
          const view = value as Uint8Array;
          wasmArgs.push(arena.putBytes(view, view.length), view.length / ARRAY_ELEMENTS[type].bytes);
        } else {
          wasmArgs.push(type === 'string' ? arena.putString(value as string) : value);
        }
      });
      if (takesOut) wasmArgs.push(out = arena.putOut());
      arena.commit();
      s.calls++;
      r = s.fns[index]!(...wasmArgs);
    } catch (e) { throw box.fail(e, fn, values); }
    if (lift !== null) {
      // Settled first: a refused result (bad-result) leaves the arena empty too.
      box.settle(s);
      return lift(r);
    }
    try {
      return result === 'bytes' ? arena.takeBytes(out, fn) : arena.takeString(out, fn);
    } finally {
      box.deliverOutput();
    }
  };
}
