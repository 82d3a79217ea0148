// Callback types: a C function-pointer parameter that takes a JS function, written in the manifest
// as `callback(type:i32, text:text, userdata)->i32`. Parsed here for `cbox build` and again for
// `load` (the stamp is hostile: only the canonical spelling this file writes is accepted).
import { isCIdentifier } from './c-names.js';
import type { WasmValType } from './wasm-inspect.js';

/** The wasm module a library's callback imports come from (import "<n>" is slot n: see callbacks.ts). */
export const CALLBACK_IMPORT_MODULE = 'cbox_callback';
/** The export answering slot n's table index, the function pointer C is given. */
export const CALLBACK_POINTER_EXPORT = 'cbox_callback_pointer';

/** What C passes a callback, and what the JS function receives for it. */
export const CALLBACK_ARG_TYPES = [
  'i32', 'u32', 'i53', 'u53', 'i64', 'u64', 'f32', 'f64', 'bool',
  /** A pointer to a C object: a Handle (null for NULL), valid to pass back during the call. */
  'handle',
  /** `const char *`, NUL-terminated UTF-8: a string (null for NULL). */
  'string',
  /** `const char *, size_t`: UTF-8 of that length, as a string. */
  'text',
  /** `const void *, size_t`: a copy, as a Uint8Array. */
  'bytes',
  /** `void *`: the C caller's context pointer; not passed to JS (a closure holds JS context). */
  'userdata',
] as const;
export type CallbackArgType = (typeof CALLBACK_ARG_TYPES)[number];
export const CALLBACK_RESULT_TYPES = ['void', 'i32', 'u32', 'i53', 'u53', 'i64', 'u64', 'f32', 'f64', 'bool'] as const;
export type CallbackResultType = (typeof CALLBACK_RESULT_TYPES)[number];

/** The manifest spelling of a callback parameter type. */
export type CallbackType = `callback(${string})${string}`;

export interface CallbackSignature {
  readonly args: readonly CallbackArgType[];
  /** One per argument: the manifest's name, or arg<N>. */
  readonly argNames: readonly string[];
  readonly result: CallbackResultType;
}

/** Most arguments a callback may take. */
export const MAX_CALLBACK_ARGS = 16;

export function isCallbackType(type: string): type is CallbackType {
  return type.startsWith('callback(');
}

/**
 * `callback(a:i32, text)->i32` -> its signature, or why it is not one. With `canonical`, only the
 * spelling formatCallbackType writes is accepted (no spaces, every name given, no `->void`).
 */
export function parseCallbackType(type: string, { canonical = false } = {}): CallbackSignature | { readonly problem: string } {
  const match = /^callback\(([^()]*)\)(?:\s*->\s*([a-z0-9]+))?$/.exec(canonical ? type : type.trim());
  if (!match) return { problem: `${JSON.stringify(type.slice(0, 120))} is not a callback type such as "callback(value:i32, userdata)->i32"` };
  const result = match[2] ?? 'void';
  if (!(CALLBACK_RESULT_TYPES as readonly string[]).includes(result)) {
    return { problem: `a callback's result must be one of ${CALLBACK_RESULT_TYPES.join(' ')} (got ${JSON.stringify(result)})` };
  }
  const list = match[1]!.trim() === '' ? [] : match[1]!.split(',');
  if (list.length > MAX_CALLBACK_ARGS) return { problem: `a callback takes at most ${MAX_CALLBACK_ARGS} arguments (got ${list.length})` };
  const args: CallbackArgType[] = [];
  const argNames: string[] = [];
  for (const [index, entry] of list.entries()) {
    const text = canonical ? entry : entry.trim();
    const colon = text.indexOf(':');
    const [name, argType] = colon >= 0 ? [text.slice(0, colon).trim(), text.slice(colon + 1).trim()] : [text === 'userdata' ? 'userdata' : `arg${index}`, text];
    if (!(CALLBACK_ARG_TYPES as readonly string[]).includes(argType)) {
      return { problem: `callback argument ${index}: unknown type ${JSON.stringify(argType)} (use one of ${CALLBACK_ARG_TYPES.join(' ')})` };
    }
    const identifier: boolean = isCIdentifier(name);
    if (!identifier) return { problem: `callback argument ${index}: ${JSON.stringify(name.slice(0, 80))} is not an argument name` };
    if (argNames.includes(name)) return { problem: `callback argument name "${name}" is used twice` };
    args.push(argType as CallbackArgType);
    argNames.push(name);
  }
  const signature: CallbackSignature = { args, argNames, result: result as CallbackResultType };
  if (canonical && formatCallbackType(signature) !== type) return { problem: `${JSON.stringify(type.slice(0, 120))} is not in canonical form` };
  return signature;
}

/** The canonical spelling: `callback(value:i32,userdata:userdata)->i32`; a void callback has no arrow. */
export function formatCallbackType(signature: CallbackSignature): CallbackType {
  const args = signature.args.map((type, index) => `${signature.argNames[index]}:${type}`).join(',');
  return `callback(${args})${signature.result === 'void' ? '' : `->${signature.result}`}`;
}

/** The wasm type of the C function pointer: pointer+length arguments take two values. */
export function lowerCallback(signature: CallbackSignature): { params: WasmValType[]; results: WasmValType[] } {
  const params: WasmValType[] = [];
  for (const type of signature.args) {
    if (type === 'text' || type === 'bytes') params.push('i32', 'i32');
    else params.push(lowerCallbackValue(type));
  }
  return { params, results: signature.result === 'void' ? [] : [lowerCallbackValue(signature.result)] };
}

function lowerCallbackValue(type: Exclude<CallbackArgType | CallbackResultType, 'text' | 'bytes' | 'void'>): WasmValType {
  switch (type) {
    case 'i53': case 'u53': case 'i64': case 'u64': return 'i64';
    case 'f32': return 'f32';
    case 'f64': return 'f64';
    default: return 'i32';
  }
}
