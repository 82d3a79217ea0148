// Generates the N-API glue of a library's native exports: one C function per export that reads
// its JavaScript arguments with cbox_native_rt's converters, calls the C function with cbox.h's
// calling convention, and converts the answer. Conversions live in cbox_native_rt.c (real,
// reviewable C); what is generated is only the per-signature plumbing.
import {
  isArrayType, isInOutType, isMutArrayType, isOutType, isUnsizedBytesType, isPointerWithLength, structParamName, type AbiStamp, type ArrayType, type ExportSignature,
  type InOutType, type MutArrayType, type ParamType, type ResultType, type UnsizedBytesType, type ValueParamType,
} from '../../runtime/abi.js';
import { isCallbackType } from '../../runtime/callback-type.js';

/** Each typed array's element type in C and its napi_typedarray_type. */
const C_ARRAY: Record<ArrayType, { element: string; napi: string }> = {
  'i8[]': { element: 'int8_t', napi: 'napi_int8_array' },
  'u8[]': { element: 'uint8_t', napi: 'napi_uint8_array' },
  'i16[]': { element: 'int16_t', napi: 'napi_int16_array' },
  'u16[]': { element: 'uint16_t', napi: 'napi_uint16_array' },
  'i32[]': { element: 'int32_t', napi: 'napi_int32_array' },
  'u32[]': { element: 'uint32_t', napi: 'napi_uint32_array' },
  'f32[]': { element: 'float', napi: 'napi_float32_array' },
  'f64[]': { element: 'double', napi: 'napi_float64_array' },
};
/** How each manifest type is declared in C (cbox.h); bytes and typed arrays take a pointer and a length. */
/** Out-parameters have no native glue: the manifest refuses them in "native". */
/** What the native glue takes: no out-, in/out or unsized parameters, writable arrays or structs (the manifest keeps them out of "native"). */
type NativeParamType = Exclude<ValueParamType, InOutType | UnsizedBytesType | MutArrayType>;
const C_PARAM: Record<NativeParamType, string> = {
  i32: 'int32_t', u32: 'uint32_t', i64: 'int64_t', u64: 'uint64_t', i53: 'int64_t', u53: 'uint64_t', f32: 'float', f64: 'double',
  bool: 'int', handle: 'void *', string: 'const char *', bytes: 'const uint8_t *', text: 'const char *',
  ...Object.fromEntries(Object.entries(C_ARRAY).map(([type, { element }]) => [type, `const ${element} *`])) as Record<ArrayType, string>,
};
/** cstring has no native glue either: the manifest refuses it in "native". */
const C_RESULT: Record<Exclude<ResultType, 'cstring'>, string> = {
  i32: 'int32_t', u32: 'uint32_t', i64: 'int64_t', u64: 'uint64_t', i53: 'int64_t', u53: 'uint64_t', f32: 'float', f64: 'double',
  bool: 'int', handle: 'void *', bytes: 'void', string: 'void', void: 'void',
};
/** The cbox_native_from_* converter of a scalar result (f32 widens to a JavaScript number). */
const FROM_SCALAR: Partial<Record<ResultType, string>> = {
  i32: 'i32', u32: 'u32', i64: 'i64', u64: 'u64', i53: 'i53', u53: 'u53', f32: 'f64', f64: 'f64', bool: 'bool', handle: 'handle',
};

function nativeParam(type: ParamType): NativeParamType {
  if (isOutType(type) || isCallbackType(type) || type === 'userdata' || type === 'text' || isInOutType(type) || isUnsizedBytesType(type) || isMutArrayType(type) || structParamName(type) !== null) {
    throw new TypeError(`the native glue has no ${type} parameters; the manifest refuses them in "native"`);
  }
  return type as NativeParamType;
}

function nativeResult(type: ResultType): Exclude<ResultType, 'cstring'> {
  if (type === 'cstring') throw new TypeError('the native glue has no cstring results; the manifest refuses them in "native"');
  return type;
}

function prototype(fn: string, signature: ExportSignature): string {
  const params = signature.params.map(nativeParam).flatMap((type) => (isPointerWithLength(type) ? [C_PARAM[type], 'size_t'] : [C_PARAM[type]]));
  if (signature.result === 'bytes' || signature.result === 'string') params.push('cbox_out *');
  return `${C_RESULT[nativeResult(signature.result)]} ${fn}(${params.length > 0 ? params.join(', ') : 'void'});`;
}

function glueFunction(fn: string, signature: ExportSignature): string {
  const { params, result } = signature;
  const declarations: string[] = [];
  const reads: string[] = [];
  const callArgs: string[] = [];
  params.map(nativeParam).forEach((type, i) => {
    declarations.push(`${C_PARAM[type]} p${i};`);
    if (type === 'bytes') {
      declarations.push(`size_t p${i}_len;`);
      reads.push(`cbox_native_bytes(env, argv[${i}], ${i}, &p${i}, &p${i}_len)`);
      callArgs.push(`p${i}`, `p${i}_len`);
    } else if (isArrayType(type)) {
      declarations.push(`size_t p${i}_len;`);
      reads.push(`cbox_native_array(env, argv[${i}], ${i}, ${C_ARRAY[type].napi}, (const void **)&p${i}, &p${i}_len)`);
      callArgs.push(`p${i}`, `p${i}_len`);
    } else {
      reads.push(`cbox_native_${type}(env, argv[${i}], ${i}, &p${i})`);
      callArgs.push(`p${i}`);
    }
  });
  const body: string[] = [];
  if (params.length > 0) {
    body.push(`napi_value argv[${params.length}];`, ...declarations);
    body.push(`if (!cbox_native_args(env, info, ${params.length}, argv)\n        || !${reads.join('\n        || !')}) {`);
    body.push('    cbox_native_scratch_reset();', '    return NULL;', '}');
  } else {
    body.push('(void)info;');
  }
  if (result === 'bytes' || result === 'string') {
    body.push('cbox_out out = { NULL, 0, NULL };', `${fn}(${[...callArgs, '&out'].join(', ')});`);
    body.push(`return cbox_native_from_out_${result}(env, &out);`);
  } else if (result === 'void') {
    body.push(`${fn}(${callArgs.join(', ')});`, 'cbox_native_scratch_reset();', 'return cbox_native_void(env);');
  } else {
    body.push(`${C_RESULT[nativeResult(result)]} result = ${fn}(${callArgs.join(', ')});`, 'cbox_native_scratch_reset();');
    body.push(`return cbox_native_from_${FROM_SCALAR[result]}(env, result);`);
  }
  return `static napi_value cbox_glue_${fn}(napi_env env, napi_callback_info info) {\n    ${body.join('\n    ')}\n}`;
}

/** The glue C source for the exports `stamp.native` lists. */
export function generateNativeGlue(stamp: AbiStamp): string {
  const exports = stamp.native.map((fn) => [fn, stamp.exports[fn]!] as const);
  const descriptors = exports.map(([fn]) => `        { "${fn}", NULL, cbox_glue_${fn}, NULL, NULL, NULL, napi_enumerable, NULL },`);
  return `/* Generated by \`cbox build\` for ${stamp.name}: the N-API glue of its native exports. Do not edit. */
#include "cbox_native_rt.h"

/* The library's functions, declared from the manifest as cbox.h lays them out. */
${exports.map(([fn, signature]) => prototype(fn, signature)).join('\n')}

${exports.map(([fn, signature]) => glueFunction(fn, signature)).join('\n\n')}

NAPI_MODULE_INIT() {
    static const napi_property_descriptor functions[] = {
${descriptors.join('\n')}
    };
    napi_value library, abi_hash;
    if (napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions) != napi_ok
        || napi_create_string_utf8(env, "${stamp.name}", NAPI_AUTO_LENGTH, &library) != napi_ok
        || napi_set_named_property(env, exports, "cbox_library", library) != napi_ok
        || napi_create_string_utf8(env, "${stamp.hash}", NAPI_AUTO_LENGTH, &abi_hash) != napi_ok
        || napi_set_named_property(env, exports, "cbox_abi_hash", abi_hash) != napi_ok
        || napi_add_env_cleanup_hook(env, cbox_native_scratch_free, NULL) != napi_ok) {
        return NULL;
    }
    return exports;
}
`;
}
