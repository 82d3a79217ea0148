/*
 * cbox's runtime for the native (N-API) build: what the glue `cbox build` generates per export
 * calls to turn JavaScript arguments into C values and C answers into JavaScript values.
 * Every function that can fail throws a JavaScript Error and returns 0 (or NULL); the error's
 * `code` tells runtime/native which cbox error to raise:
 *   CBOX_BAD_ARGUMENT  message = the zero-based index of the argument that does not fit
 *   CBOX_CALL_FAILED   message = what the C code passed to cbox_return_error
 *   CBOX_NO_RESULT     the C code returned without a cbox_return_* call
 *   CBOX_BAD_RESULT    the C code returned a string that is not valid UTF-8, or an i53/u53
 *                      integer outside the safe range
 *   CBOX_OUT_OF_MEMORY scratch memory for an argument or result could not be had
 */
#ifndef CBOX_NATIVE_RT_H
#define CBOX_NATIVE_RT_H

#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

#include "cbox.h"

/* Empties the calling thread's scratch arena (cbox_alloc memory, argument copies). */
void cbox_native_scratch_reset(void);

/* Frees the calling thread's scratch arena; registered as an environment cleanup hook. */
void cbox_native_scratch_free(void *unused);

/* Reads `count` arguments (missing ones are undefined). */
int cbox_native_args(napi_env env, napi_callback_info info, size_t count, napi_value *argv);

int cbox_native_i32(napi_env env, napi_value value, size_t index, int32_t *out);
int cbox_native_u32(napi_env env, napi_value value, size_t index, uint32_t *out);
int cbox_native_i64(napi_env env, napi_value value, size_t index, int64_t *out);
int cbox_native_u64(napi_env env, napi_value value, size_t index, uint64_t *out);
/* i53/u53: a JavaScript number that is a safe integer (u53: not negative). */
int cbox_native_i53(napi_env env, napi_value value, size_t index, int64_t *out);
int cbox_native_u53(napi_env env, napi_value value, size_t index, uint64_t *out);
int cbox_native_f32(napi_env env, napi_value value, size_t index, float *out);
int cbox_native_f64(napi_env env, napi_value value, size_t index, double *out);
int cbox_native_bool(napi_env env, napi_value value, size_t index, int *out);
/* A handle arrives as the address number runtime/native took out of a Handle it had checked. */
int cbox_native_handle(napi_env env, napi_value value, size_t index, void **out);
/* A Uint8Array (or Buffer), not copied: C reads the JavaScript memory during the call. */
int cbox_native_bytes(napi_env env, napi_value value, size_t index, const uint8_t **data, size_t *len);
/* A typed array of exactly this kind (Int32Array: napi_int32_array), not copied; `count` elements. */
int cbox_native_array(napi_env env, napi_value value, size_t index, napi_typedarray_type kind, const void **data, size_t *count);
/* A well-formed string without NUL, copied into scratch as NUL-terminated UTF-8. */
int cbox_native_string(napi_env env, napi_value value, size_t index, const char **out);

napi_value cbox_native_from_i32(napi_env env, int32_t value);
napi_value cbox_native_from_u32(napi_env env, uint32_t value);
napi_value cbox_native_from_i64(napi_env env, int64_t value);
napi_value cbox_native_from_u64(napi_env env, uint64_t value);
/* A number; NULL with CBOX_BAD_RESULT thrown when the value is not a safe integer. */
napi_value cbox_native_from_i53(napi_env env, int64_t value);
napi_value cbox_native_from_u53(napi_env env, uint64_t value);
napi_value cbox_native_from_f64(napi_env env, double value);
napi_value cbox_native_from_bool(napi_env env, int value);
napi_value cbox_native_from_handle(napi_env env, void *value);
napi_value cbox_native_void(napi_env env);
/* Copies a cbox_out answer into a Uint8Array (or a string), or throws its error; then empties
 * the scratch arena, whatever happened. */
napi_value cbox_native_from_out_bytes(napi_env env, const cbox_out *out);
napi_value cbox_native_from_out_string(napi_env env, const cbox_out *out);

#endif /* CBOX_NATIVE_RT_H */
