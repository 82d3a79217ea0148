// Callbacks: C calls a JS function through a function pointer. Each callback parameter of the
// library is a slot; `cbox build` gives the module one import per slot (cbox_callback.<n>) and an
// export that answers each import's table index (cbox_callback_pointer), which the host passes as
// the function pointer. The JS function last passed for a parameter is what its slot calls, so a
// callback C stores keeps working until replaced (or until the sandbox is recycled).
//
// What C passes is tainted: pointers and lengths are checked, text must be UTF-8, and what the JS
// function returns is checked against the declared result. A callback may call the library again
// (the arena is stacked: see Marshalling.enterFrame). When anything throws inside a callback the
// exception unwinds through C's frames, which leaves C's state (locks, the shadow stack) suspect:
// the call that made it recycles the sandbox and the caller gets the exception itself.
import { callbackSlots, type AbiStamp, type CallbackSlot } from './abi.js';
import { CALLBACK_IMPORT_MODULE, formatCallbackType, type CallbackArgType, type CallbackResultType, type CallbackSignature } from './callback-type.js';
import { canGenerateCode } from './code-generation.js';
import { describeValue } from './describe-value.js';
import { CboxArgumentError, CboxCallError } from './errors.js';
import type { Handle } from './handles.js';
import { i53Result, u53Result } from './int53.js';
import type { SandboxInstance } from './instance.js';

type AnyFunction = (...args: unknown[]) => unknown;

/** What a trampoline needs of the sandbox (sandbox.ts) it belongs to. */
export interface CallbackHost {
  /** The instance calls run on: a callback is only served while its instance is this one. */
  readonly callable: SandboxInstance | null;
  readonly compiled: { readonly stamp: AbiStamp };
  wrapHandle(address: number): Handle | null;
}

/** A JS argument from the wasm values `w` (a variable such as w0) and, for text and bytes, `n` (the length). */
function liftSource(type: Exclude<CallbackArgType, 'userdata'>, w: string, n: string): string {
  switch (type) {
    case 'i32': case 'i64': case 'f32': case 'f64': return w;
    case 'u32': return `${w} >>> 0`;
    case 'i53': return `i53Result(${w}, fn)`;
    case 'u53': return `u53Result(${w}, fn)`;
    case 'u64': return `BigInt.asUintN(64, ${w})`;
    case 'bool': return `${w} !== 0`;
    case 'handle': return `box.wrapHandle(${w})`;
    case 'string': return `${w} === 0 ? null : instance.arena.cstringAt(${w} >>> 0, fn)`;
    case 'text': return `instance.arena.textAt(${w} >>> 0, ${n} >>> 0, fn)`;
    case 'bytes': return `instance.arena.bytesAt(${w} >>> 0, ${n} >>> 0, fn)`;
  }
}

/** The condition under which the JS function's answer `v` is refused, for each result type. */
function refusalSource(type: Exclude<CallbackResultType, 'void'>): string {
  switch (type) {
    case 'i32': return `typeof v !== 'number' || (v | 0) !== v`;
    case 'u32': return `typeof v !== 'number' || (v >>> 0) !== v`;
    case 'i53': return '!Number.isSafeInteger(v)';
    case 'u53': return '!Number.isSafeInteger(v) || v < 0';
    case 'i64': return `typeof v !== 'bigint' || BigInt.asIntN(64, v) !== v`;
    case 'u64': return `typeof v !== 'bigint' || BigInt.asUintN(64, v) !== v`;
    case 'f32': case 'f64': return `typeof v !== 'number'`;
    case 'bool': return `typeof v !== 'boolean'`;
  }
}

/** The wasm value of an accepted answer `v`. */
function lowerSource(type: Exclude<CallbackResultType, 'void'>): string {
  switch (type) {
    case 'i53': case 'u53': return 'BigInt(v)';
    case 'bool': return 'v ? 1 : 0';
    default: return 'v';
  }
}

/**
 * The trampoline's body for a signature, assembled from this file's snippets, chosen by the
 * signature's (checked) types; nothing the module names is part of the text (as in invoker.ts).
 */
function trampolineSource(signature: CallbackSignature): string {
  const params: string[] = [];
  const args: string[] = [];
  for (const type of signature.args) {
    const w = `w${params.length}`;
    const n = `w${params.length + 1}`;
    params.push(w);
    if (type === 'text' || type === 'bytes') params.push(n);
    if (type !== 'userdata') args.push(liftSource(type, w, n));
  }
  const result = signature.result;
  return `return function callback(${params.join(', ')}) {
  if (box.callable !== instance) throw outside();
  table.depth++;
  instance.arena.enterFrame();
  try {
    const target = table.bound[n];
    if (target == null) throw unset();
    const v = target(${args.join(', ')});
    ${result === 'void' ? '' : `if (${refusalSource(result)}) throw badResult(v);`}
    if (box.callable !== instance) throw recycled();
    return ${result === 'void' ? 'undefined' : lowerSource(result)};
  } catch (error) {
    table.unwound(error, instance);
    throw error;
  } finally {
    instance.arena.exitFrame();
    table.depth--;
  }
};`;
}

/** The closure-only trampoline, for a process that may not generate code: same checks, slower. */
function closureTrampoline(context: TrampolineContext): AnyFunction {
  const { box, instance, table, n, fn, signature, outside, unset, badResult, recycled } = context;
  const lifts: ((w: readonly unknown[]) => unknown)[] = [];
  let at = 0;
  for (const type of signature.args) {
    const first = at;
    at += type === 'text' || type === 'bytes' ? 2 : 1;
    if (type === 'userdata') continue;
    const pointer = (w: readonly unknown[]): number => (w[first] as number) >>> 0;
    const length = (w: readonly unknown[]): number => (w[first + 1] as number) >>> 0;
    lifts.push(((): (w: readonly unknown[]) => unknown => {
      switch (type) {
        case 'u32': return (w) => (w[first] as number) >>> 0;
        case 'i53': return (w) => i53Result(w[first] as bigint, fn);
        case 'u53': return (w) => u53Result(w[first] as bigint, fn);
        case 'u64': return (w) => BigInt.asUintN(64, w[first] as bigint);
        case 'bool': return (w) => w[first] !== 0;
        case 'handle': return (w) => box.wrapHandle(w[first] as number);
        case 'string': return (w) => (pointer(w) === 0 ? null : instance.arena.cstringAt(pointer(w), fn));
        case 'text': return (w) => instance.arena.textAt(pointer(w), length(w), fn);
        case 'bytes': return (w) => instance.arena.bytesAt(pointer(w), length(w), fn);
        default: return (w) => w[first];
      }
    })());
  }
  return function callback(...w: unknown[]): unknown {
    if (box.callable !== instance) throw outside();
    table.depth++;
    instance.arena.enterFrame();
    try {
      const target = table.bound[n];
      if (target == null) throw unset();
      const v = target(...lifts.map((lift) => lift(w)));
      const lowered = lowerClosure(signature.result, v);
      if (lowered === null) throw badResult(v);
      if (box.callable !== instance) throw recycled();
      return lowered;
    } catch (error) {
      table.unwound(error, instance);
      throw error;
    } finally {
      instance.arena.exitFrame();
      table.depth--;
    }
  };
}

/** The closure trampoline's answer check and conversion: null when refused. */
function lowerClosure(type: CallbackResultType, value: unknown): unknown {
  switch (type) {
    case 'void': return undefined;
    case 'i32': return typeof value === 'number' && (value | 0) === value ? value : null;
    case 'u32': return typeof value === 'number' && (value >>> 0) === value ? value : null;
    case 'i53': return Number.isSafeInteger(value) ? BigInt(value as number) : null;
    case 'u53': return Number.isSafeInteger(value) && (value as number) >= 0 ? BigInt(value as number) : null;
    case 'i64': return typeof value === 'bigint' && BigInt.asIntN(64, value) === value ? value : null;
    case 'u64': return typeof value === 'bigint' && BigInt.asUintN(64, value) === value ? value : null;
    case 'f32': case 'f64': return typeof value === 'number' ? value : null;
    case 'bool': return value === true ? 1 : value === false ? 0 : null;
  }
}

type TrampolineFactory = (...context: unknown[]) => AnyFunction;

interface TrampolineContext {
  readonly box: CallbackHost;
  readonly instance: SandboxInstance;
  readonly table: CallbackTable;
  readonly n: number;
  readonly fn: string;
  readonly signature: CallbackSignature;
  readonly outside: () => CboxCallError;
  readonly unset: () => CboxCallError;
  readonly badResult: (value: unknown) => CboxArgumentError;
  readonly recycled: () => CboxCallError;
}

/** How messages name a slot: the export (or struct) it belongs to, and the parameter or field. */
function slotLabels(stamp: AbiStamp, slot: CallbackSlot): { fn: string; where: string } {
  if (slot.kind === 'field') return { fn: `struct ${slot.struct}`, where: `the callback in field ${slot.field} of struct ${slot.struct}` };
  return { fn: slot.fn, where: `${slot.fn}'s callback ${stamp.exports[slot.fn]!.paramNames[slot.param]}` };
}

/**
 * Imports for an instance that serves no calls (the start-up trial): every callback refuses, as a
 * live instance's do outside a call, so C's start-up code cannot reach JS.
 */
export function refusedCallbackImports(stamp: AbiStamp): WebAssembly.Imports {
  const slots = callbackSlots(stamp);
  if (slots.length === 0) return {};
  const refusals: Record<string, AnyFunction> = Object.create(null);
  slots.forEach((slot, n) => {
    const { fn, where } = slotLabels(stamp, slot);
    refusals[String(n)] = () => { throw new CboxCallError(fn, `C called ${where} outside a call`, 'callback-outside-call'); };
  });
  return { [CALLBACK_IMPORT_MODULE]: refusals };
}

/** The library's callback slots, what each is bound to, and the state of callbacks in progress. */
export class CallbackTable {
  readonly slots: readonly CallbackSlot[];
  /** Per slot: the JS function C's calls through it reach, or null. */
  readonly bound: (AnyFunction | null)[];
  /** Callbacks in progress (C frames below them): C's output waits until none is. */
  depth = 0;
  /** Generated trampoline makers by canonical signature (factoryFor). */
  private readonly factories = new Map<string, TrampolineFactory>();
  /** An exception a callback let unwind through C, and the instance it left suspect (see Sandbox.fail). */
  private unwinding: { readonly error: unknown; readonly instance: SandboxInstance } | null = null;

  constructor(stamp: AbiStamp) {
    this.slots = callbackSlots(stamp);
    this.bound = this.slots.map(() => null);
  }

  /** Each slot's number, by export name and parameter position (the invokers bind through it). */
  slotOf(fn: string, param: number): number {
    return this.slots.findIndex((slot) => slot.kind === 'param' && slot.fn === fn && slot.param === param);
  }

  /** A callback field's slot, by struct and field name (the struct codec binds through it). */
  slotOfField(struct: string, field: string): number {
    return this.slots.findIndex((slot) => slot.kind === 'field' && slot.struct === struct && slot.field === field);
  }

  /** A recycled sandbox has no C state that could hold a function pointer. */
  clear(): void {
    this.bound.fill(null);
  }

  /** If `error` is one a callback let unwind through C: the instance it unwound (consumed). */
  takeUnwound(error: unknown): SandboxInstance | null {
    const unwinding = this.unwinding;
    if (unwinding === null || unwinding.error !== error) return null;
    this.unwinding = null;
    return unwinding.instance;
  }

  /** The imports one instance links: a trampoline per slot. */
  imports(box: CallbackHost, instance: SandboxInstance): WebAssembly.Imports {
    if (this.slots.length === 0) return {};
    const trampolines: Record<string, AnyFunction> = Object.create(null);
    this.slots.forEach((slot, n) => { trampolines[String(n)] = this.trampoline(box, instance, slot, n); });
    return { [CALLBACK_IMPORT_MODULE]: trampolines };
  }

  /** Called by a trampoline whose callback threw: the innermost one names the error; the call below that catches it recycles. */
  unwound(error: unknown, instance: SandboxInstance): void {
    if (this.unwinding === null) this.unwinding = { error, instance };
  }

  private trampoline(box: CallbackHost, instance: SandboxInstance, slot: CallbackSlot, n: number): AnyFunction {
    const { signature } = slot;
    const { fn, where } = slotLabels(box.compiled.stamp, slot);
    const context: TrampolineContext = {
      box, instance, table: this, n, fn, signature,
      outside: () => new CboxCallError(fn, `C called ${where} outside a call`, 'callback-outside-call'),
      unset: () => new CboxCallError(fn, `C called ${where}, which is not set (null, or from a call whose callback was since replaced)`, 'callback-unset'),
      badResult: (value) => new CboxArgumentError(`${where} must return ${RESULT_EXPECTED[signature.result]}, got ${describeValue(value)}`),
      // A call the callback made trapped and recycled the sandbox: C below must not go on.
      recycled: () => new CboxCallError(fn, `the sandbox was recycled while ${where} ran (a call it made trapped), so the call cannot go on`, 'recycled-in-callback'),
    };
    if (!canGenerateCode) return closureTrampoline(context);
    const { box: host, table, outside, unset, badResult, recycled } = context;
    return this.factoryFor(signature)(host, instance, table, n, fn, outside, unset, badResult, recycled, i53Result, u53Result);
  }

  /** The generated trampoline maker of a signature: compiled once per library and signature, not per instance and slot. */
  private factoryFor(signature: CallbackSignature): TrampolineFactory {
    const key = formatCallbackType(signature);
    let factory = this.factories.get(key);
    if (factory === undefined) {
      // eslint-disable-next-line @typescript-eslint/no-implied-eval -- per-signature code from constant snippets (see trampolineSource)
      factory = new Function('box', 'instance', 'table', 'n', 'fn', 'outside', 'unset', 'badResult', 'recycled', 'i53Result', 'u53Result', trampolineSource(signature)) as TrampolineFactory;
      this.factories.set(key, factory);
    }
    return factory;
  }
}

const RESULT_EXPECTED: Readonly<Record<CallbackResultType, string>> = {
  void: 'nothing', i32: 'an integer from -2147483648 to 2147483647', u32: 'an integer from 0 to 4294967295',
  i53: 'a safe integer', u53: 'a safe integer from 0', i64: 'a bigint from -(2n**63n) to 2n**63n-1n', u64: 'a bigint from 0n to 2n**64n-1n',
  f32: 'a number', f64: 'a number', bool: 'a boolean',
};
