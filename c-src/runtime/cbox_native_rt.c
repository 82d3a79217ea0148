/*
 * cbox's runtime for the native (N-API) build: cbox.h's scratch memory and answers, and the
 * argument and result conversions the generated glue calls (see cbox_native_rt.h).
 *
 * Scratch memory is per thread (an addon may be loaded in several worker threads) and is emptied
 * by the glue after every call, like the sandbox's arena. There is no sandbox here: C code runs
 * in the Node process, and a crash ends it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbox_native_rt.h"

#ifndef CBOX_ARENA_SIZE
#define CBOX_ARENA_SIZE (256 * 1024)
#endif

#define SPILL_HEADER 16 /* keeps spilled blocks 16-byte aligned, like the arena */

static _Thread_local struct scratch {
    uint8_t *base;  /* CBOX_ARENA_SIZE bytes, made on first use */
    size_t used;
    void *spilled;  /* chain of heap blocks for allocations the arena could not fit */
} scratch;

void *cbox_alloc(size_t size) {
    if (!scratch.base) scratch.base = aligned_alloc(16, CBOX_ARENA_SIZE);
    size_t start = (scratch.used + 15) & ~(size_t)15;
    if (scratch.base && start <= CBOX_ARENA_SIZE && size <= CBOX_ARENA_SIZE - start) {
        scratch.used = start + size;
        return scratch.base + start;
    }
    if (size > SIZE_MAX - SPILL_HEADER) return NULL;
    void **block = malloc(size + SPILL_HEADER);
    if (!block) return NULL;
    *block = scratch.spilled;
    scratch.spilled = block;
    return (uint8_t *)block + SPILL_HEADER;
}

void cbox_native_scratch_reset(void) {
    scratch.used = 0;
    void *block = scratch.spilled;
    while (block) {
        void *next = *(void **)block;
        free(block);
        block = next;
    }
    scratch.spilled = NULL;
}

void cbox_native_scratch_free(void *unused) {
    (void)unused;
    cbox_native_scratch_reset();
    free(scratch.base);
    scratch.base = NULL;
}

/* cbox_return_* live in cbox_out.c, shared with the other build. */

/* ------------------------------------------------------------------------------------------ */
/* Arguments                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static int bad_argument(napi_env env, size_t index) {
    char text[24];
    snprintf(text, sizeof text, "%zu", index);
    napi_throw_error(env, "CBOX_BAD_ARGUMENT", text);
    return 0;
}

/* Each napi_get_value_* checks the JavaScript type itself (napi_number_expected, ...), without
 * throwing: one call both tests and reads. */
static int number_of(napi_env env, napi_value value, double *out) {
    return napi_get_value_double(env, value, out) == napi_ok;
}

int cbox_native_args(napi_env env, napi_callback_info info, size_t count, napi_value *argv) {
    size_t given = count;
    return napi_get_cb_info(env, info, &given, argv, NULL, NULL) == napi_ok;
}

/* Integers are taken exactly as the wasm binding takes them: whole numbers in range, no
 * rounding, no wrapping (NaN fails every comparison). */
int cbox_native_i32(napi_env env, napi_value value, size_t index, int32_t *out) {
    double number;
    if (!number_of(env, value, &number) || !(number >= INT32_MIN && number <= INT32_MAX) || number != (double)(int32_t)number) {
        return bad_argument(env, index);
    }
    *out = (int32_t)number;
    return 1;
}

int cbox_native_u32(napi_env env, napi_value value, size_t index, uint32_t *out) {
    double number;
    if (!number_of(env, value, &number) || !(number >= 0 && number <= UINT32_MAX) || number != (double)(uint32_t)number) {
        return bad_argument(env, index);
    }
    *out = (uint32_t)number;
    return 1;
}

int cbox_native_i64(napi_env env, napi_value value, size_t index, int64_t *out) {
    bool lossless = false;
    if (napi_get_value_bigint_int64(env, value, out, &lossless) != napi_ok || !lossless) {
        return bad_argument(env, index);
    }
    return 1;
}

int cbox_native_u64(napi_env env, napi_value value, size_t index, uint64_t *out) {
    bool lossless = false;
    if (napi_get_value_bigint_uint64(env, value, out, &lossless) != napi_ok || !lossless) {
        return bad_argument(env, index);
    }
    return 1;
}

/* 2**53 - 1: the largest integer a double holds with every smaller one (Number.MAX_SAFE_INTEGER). */
#define MAX_SAFE_INTEGER 9007199254740991.0

int cbox_native_i53(napi_env env, napi_value value, size_t index, int64_t *out) {
    double number;
    if (!number_of(env, value, &number) || !(number >= -MAX_SAFE_INTEGER && number <= MAX_SAFE_INTEGER) || number != (double)(int64_t)number) {
        return bad_argument(env, index);
    }
    *out = (int64_t)number;
    return 1;
}

int cbox_native_u53(napi_env env, napi_value value, size_t index, uint64_t *out) {
    double number;
    if (!number_of(env, value, &number) || !(number >= 0 && number <= MAX_SAFE_INTEGER) || number != (double)(uint64_t)number) {
        return bad_argument(env, index);
    }
    *out = (uint64_t)number;
    return 1;
}

int cbox_native_f32(napi_env env, napi_value value, size_t index, float *out) {
    double number;
    if (!number_of(env, value, &number)) return bad_argument(env, index);
    *out = (float)number;
    return 1;
}

int cbox_native_f64(napi_env env, napi_value value, size_t index, double *out) {
    return number_of(env, value, out) ? 1 : bad_argument(env, index);
}

int cbox_native_bool(napi_env env, napi_value value, size_t index, int *out) {
    bool flag;
    if (napi_get_value_bool(env, value, &flag) != napi_ok) return bad_argument(env, index);
    *out = flag ? 1 : 0;
    return 1;
}

int cbox_native_handle(napi_env env, napi_value value, size_t index, void **out) {
    double address;
    if (!number_of(env, value, &address) || !(address >= 0 && address <= 9007199254740991.0)) return bad_argument(env, index);
    *out = (void *)(uintptr_t)address;
    return 1;
}

int cbox_native_array(napi_env env, napi_value value, size_t index, napi_typedarray_type kind, const void **data, size_t *count) {
    static const uint64_t empty[1];
    napi_typedarray_type type;
    void *start = NULL;
    /* napi_invalid_arg, not an exception, for anything but a typed array. */
    if (napi_get_typedarray_info(env, value, &type, count, &start, NULL, NULL) != napi_ok || type != kind) {
        return bad_argument(env, index);
    }
    /* An empty (or detached) array has no storage; C still gets a valid, aligned pointer. */
    *data = start ? start : empty;
    return 1;
}

int cbox_native_bytes(napi_env env, napi_value value, size_t index, const uint8_t **data, size_t *len) {
    return cbox_native_array(env, value, index, napi_uint8_array, (const void **)data, len);
}

static int out_of_memory(napi_env env, const char *what) {
    napi_throw_error(env, "CBOX_OUT_OF_MEMORY", what);
    return 0;
}

/* U+FFFD in UTF-8: what V8 writes for a lone surrogate (or the text really contains). */
static int has_replacement(const char *text, size_t len) {
    const char *at = text, *end = text + len;
    while ((at = memchr(at, 0xEF, (size_t)(end - at))) != NULL) {
        if (end - at >= 3 && (uint8_t)at[1] == 0xBF && (uint8_t)at[2] == 0xBD) return 1;
        at++;
    }
    return 0;
}

/* Sets *lone when the string holds a lone surrogate; 0 when its UTF-16 copy cannot be had. */
static int has_lone_surrogate(napi_env env, napi_value value, size_t units, int *lone) {
    char16_t *text = cbox_alloc((units + 1) * sizeof(char16_t));
    size_t copied = 0;
    if (!text || napi_get_value_string_utf16(env, value, text, units + 1, &copied) != napi_ok) return 0;
    *lone = 0;
    for (size_t i = 0; i < copied; i++) {
        if (text[i] >= 0xD800 && text[i] <= 0xDBFF && i + 1 < copied && text[i + 1] >= 0xDC00 && text[i + 1] <= 0xDFFF) i++;
        else if (text[i] >= 0xD800 && text[i] <= 0xDFFF) *lone = 1;
    }
    return 1;
}

/* V8 writes the UTF-8 in one pass; a NUL or a lone surrogate (which the wasm binding refuses as
 * well) is then looked for in what it wrote. */
int cbox_native_string(napi_env env, napi_value value, size_t index, const char **out) {
    size_t units = 0;
    if (napi_get_value_string_utf16(env, value, NULL, 0, &units) != napi_ok) return bad_argument(env, index);
    if (units > (SIZE_MAX - 1) / 3) return out_of_memory(env, "the string is too long");
    char *utf8 = cbox_alloc(units * 3 + 1); /* UTF-8 takes at most 3 bytes per UTF-16 unit */
    size_t written = 0;
    if (!utf8) return out_of_memory(env, "no scratch memory for a string argument");
    if (napi_get_value_string_utf8(env, value, utf8, units * 3 + 1, &written) != napi_ok) return bad_argument(env, index);
    if (memchr(utf8, 0, written)) return bad_argument(env, index);
    if (has_replacement(utf8, written)) {
        int lone = 0;
        if (!has_lone_surrogate(env, value, units, &lone)) return out_of_memory(env, "no scratch memory for a string argument");
        if (lone) return bad_argument(env, index);
    }
    *out = utf8;
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Results                                                                                     */
/* ------------------------------------------------------------------------------------------ */

napi_value cbox_native_from_i32(napi_env env, int32_t value) {
    napi_value result = NULL;
    napi_create_int32(env, value, &result);
    return result;
}

napi_value cbox_native_from_u32(napi_env env, uint32_t value) {
    napi_value result = NULL;
    napi_create_uint32(env, value, &result);
    return result;
}

napi_value cbox_native_from_i64(napi_env env, int64_t value) {
    napi_value result = NULL;
    napi_create_bigint_int64(env, value, &result);
    return result;
}

napi_value cbox_native_from_u64(napi_env env, uint64_t value) {
    napi_value result = NULL;
    napi_create_bigint_uint64(env, value, &result);
    return result;
}

napi_value cbox_native_from_i53(napi_env env, int64_t value) {
    if (value > (int64_t)MAX_SAFE_INTEGER || value < -(int64_t)MAX_SAFE_INTEGER) {
        napi_throw_error(env, "CBOX_BAD_RESULT", "the C function returned an i53 outside -(2**53-1) to 2**53-1 (declare the result i64 for a bigint)");
        return NULL;
    }
    return cbox_native_from_f64(env, (double)value);
}

napi_value cbox_native_from_u53(napi_env env, uint64_t value) {
    if (value > (uint64_t)MAX_SAFE_INTEGER) {
        napi_throw_error(env, "CBOX_BAD_RESULT", "the C function returned a u53 above 2**53-1 (declare the result u64 for a bigint)");
        return NULL;
    }
    return cbox_native_from_f64(env, (double)value);
}

napi_value cbox_native_from_f64(napi_env env, double value) {
    napi_value result = NULL;
    napi_create_double(env, value, &result);
    return result;
}

napi_value cbox_native_from_bool(napi_env env, int value) {
    napi_value result = NULL;
    napi_get_boolean(env, value != 0, &result);
    return result;
}

napi_value cbox_native_from_handle(napi_env env, void *value) {
    napi_value result = NULL;
    if (value) napi_create_double(env, (double)(uintptr_t)value, &result);
    else napi_get_null(env, &result);
    return result;
}

napi_value cbox_native_void(napi_env env) {
    napi_value result = NULL;
    napi_get_undefined(env, &result);
    return result;
}

/* Well-formed UTF-8 (Unicode table 3-7): what TextDecoder with fatal: true accepts. */
static int utf8_valid(const uint8_t *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        if (c < 0x80) { i++; continue; }
        size_t need;
        uint8_t lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) need = 1;
        else if (c >= 0xE0 && c <= 0xEF) { need = 2; if (c == 0xE0) lo = 0xA0; else if (c == 0xED) hi = 0x9F; }
        else if (c >= 0xF0 && c <= 0xF4) { need = 3; if (c == 0xF0) lo = 0x90; else if (c == 0xF4) hi = 0x8F; }
        else return 0;
        if (len - i <= need || s[i + 1] < lo || s[i + 1] > hi) return 0;
        for (size_t k = 2; k <= need; k++) if ((s[i + k] & 0xC0) != 0x80) return 0;
        i += need + 1;
    }
    return 1;
}

/* The wasm host reads at most this much of an error message; so does the native glue. */
#define ERROR_MESSAGE_MAX 4096

static void throw_call_failed(napi_env env, const char *message) {
    napi_value code, text, error;
    if (napi_create_string_utf8(env, "CBOX_CALL_FAILED", NAPI_AUTO_LENGTH, &code) != napi_ok
        || napi_create_string_utf8(env, message, strnlen(message, ERROR_MESSAGE_MAX), &text) != napi_ok
        || napi_create_error(env, code, text, &error) != napi_ok) {
        out_of_memory(env, "cannot allocate the error message");
        return;
    }
    napi_throw(env, error);
}

/* The answer's error or absence, thrown; 1 when there is an answer to convert. */
static int check_out(napi_env env, const cbox_out *out) {
    if (out->error) {
        throw_call_failed(env, out->error);
        return 0;
    }
    if (!out->data && out->len == 0) {
        napi_throw_error(env, "CBOX_NO_RESULT", "the C function returned without an answer (no cbox_return_* call)");
        return 0;
    }
    return 1;
}

napi_value cbox_native_from_out_bytes(napi_env env, const cbox_out *out) {
    napi_value result = NULL;
    if (check_out(env, out)) {
        void *data = NULL;
        napi_value buffer;
        if (napi_create_arraybuffer(env, out->len, &data, &buffer) != napi_ok
            || napi_create_typedarray(env, napi_uint8_array, out->len, buffer, 0, &result) != napi_ok) {
            bool pending = false;
            napi_is_exception_pending(env, &pending);
            if (!pending) out_of_memory(env, "cannot allocate the result");
            result = NULL;
        } else if (out->len) {
            memcpy(data, out->data, out->len);
        }
    }
    cbox_native_scratch_reset();
    return result;
}

napi_value cbox_native_from_out_string(napi_env env, const cbox_out *out) {
    napi_value result = NULL;
    if (check_out(env, out)) {
        if (!utf8_valid(out->data, out->len)) {
            napi_throw_error(env, "CBOX_BAD_RESULT", "the C function returned a string that is not valid UTF-8");
        } else if (napi_create_string_utf8(env, out->data, out->len, &result) != napi_ok) {
            out_of_memory(env, "cannot allocate the result");
            result = NULL;
        }
    }
    cbox_native_scratch_reset();
    return result;
}
