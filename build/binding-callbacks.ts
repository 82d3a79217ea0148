// The .d.ts type of a callback (a parameter's or a struct field's): a JS function type named
// after the callback's arguments, or null (C gets NULL).
import { parseCallbackType, type CallbackArgType, type CallbackResultType, type CallbackType } from '../runtime/callback-type.js';
import { parameterLabel } from './js-reserved.js';

/** What a JS callback receives for each C argument (userdata is not passed). */
const CALLBACK_ARG_TS: Record<Exclude<CallbackArgType, 'userdata'>, string> = {
  i32: 'number', u32: 'number', i53: 'number', u53: 'number', f32: 'number', f64: 'number', i64: 'bigint', u64: 'bigint',
  bool: 'boolean', handle: 'Handle | null', string: 'string | null', text: 'string', bytes: 'Uint8Array',
};
const CALLBACK_RESULT_TS: Record<CallbackResultType, string> = {
  void: 'void', i32: 'number', u32: 'number', i53: 'number', u53: 'number', f32: 'number', f64: 'number', i64: 'bigint', u64: 'bigint', bool: 'boolean',
};

export function callbackTs(type: CallbackType | string): string {
  const signature = parseCallbackType(type, { canonical: true });
  if ('problem' in signature) throw new TypeError(signature.problem);
  const args = signature.args.flatMap((arg, index) => (arg === 'userdata' ? [] : [`${parameterLabel(signature.argNames[index]!)}: ${CALLBACK_ARG_TS[arg]}`]));
  return `((${args.join(', ')}) => ${CALLBACK_RESULT_TS[signature.result]}) | null`;
}

/** Whether a callback type passes a C object pointer (the declaration file then imports Handle). */
export function callbackUsesHandles(type: string): boolean {
  return /:handle[,)]/.test(type);
}
