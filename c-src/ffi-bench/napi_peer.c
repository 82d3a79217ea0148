/* The hand-written N-API peer of the FFI bench, for the shapes cbox's generated N-API glue cannot
 * express (a struct in and out, a JavaScript callback): what a developer writing an addon by hand
 * for ffi_bench.c would write. bench/ffi-peers.ts compiles it with ffi_bench.c into a temporary
 * addon; it is not part of cbox. Every N-API failure throws a TypeError and answers NULL.
 *
 *   rect_scale({ x, y, w, h, id, flags }, k) -> { x, y, w, h, id, flags }
 *   each_item(Int32Array, (value) => int32) -> int32 */
#include <node_api.h>

#include "ffi_bench.h"

#define CHECK(env, call)                                                    \
    do {                                                                    \
        if ((call) != napi_ok) {                                            \
            napi_throw_type_error((env), NULL, "ffi-bench peer: " #call);   \
            return NULL;                                                    \
        }                                                                   \
    } while (0)

static int get_double(napi_env env, napi_value object, const char *key, double *out) {
    napi_value value;
    return napi_get_named_property(env, object, key, &value) == napi_ok && napi_get_value_double(env, value, out) == napi_ok;
}

static int get_int32(napi_env env, napi_value object, const char *key, int32_t *out) {
    napi_value value;
    return napi_get_named_property(env, object, key, &value) == napi_ok && napi_get_value_int32(env, value, out) == napi_ok;
}

static int get_uint32(napi_env env, napi_value object, const char *key, uint32_t *out) {
    napi_value value;
    return napi_get_named_property(env, object, key, &value) == napi_ok && napi_get_value_uint32(env, value, out) == napi_ok;
}

static int set_double(napi_env env, napi_value object, const char *key, double number) {
    napi_value value;
    return napi_create_double(env, number, &value) == napi_ok && napi_set_named_property(env, object, key, value) == napi_ok;
}

static napi_value peer_rect_scale(napi_env env, napi_callback_info info) {
    size_t argc = 2;
    napi_value argv[2];
    CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    struct rect in, out;
    double k;
    CHECK(env, argc == 2 ? napi_ok : napi_invalid_arg);
    CHECK(env, get_double(env, argv[0], "x", &in.x) && get_double(env, argv[0], "y", &in.y)
        && get_double(env, argv[0], "w", &in.w) && get_double(env, argv[0], "h", &in.h)
        && get_int32(env, argv[0], "id", &in.id) && get_uint32(env, argv[0], "flags", &in.flags) ? napi_ok : napi_invalid_arg);
    CHECK(env, napi_get_value_double(env, argv[1], &k));
    rect_scale(&in, k, &out);
    napi_value result, id, flags;
    CHECK(env, napi_create_object(env, &result));
    CHECK(env, napi_create_int32(env, out.id, &id));
    CHECK(env, napi_create_uint32(env, out.flags, &flags));
    CHECK(env, set_double(env, result, "x", out.x) && set_double(env, result, "y", out.y)
        && set_double(env, result, "w", out.w) && set_double(env, result, "h", out.h)
        && napi_set_named_property(env, result, "id", id) == napi_ok
        && napi_set_named_property(env, result, "flags", flags) == napi_ok ? napi_ok : napi_invalid_arg);
    return result;
}

/* What the C callback needs to reach JavaScript; failed is set once a call into it fails (an
 * exception is then pending), and the remaining items are skipped. */
struct js_callback {
    napi_env env;
    napi_value fn;
    napi_value receiver;
    int failed;
};

static int32_t call_js(int32_t item, void *userdata) {
    struct js_callback *callback = userdata;
    if (callback->failed) return 0;
    napi_value argument, answer;
    int32_t result;
    if (napi_create_int32(callback->env, item, &argument) != napi_ok
        || napi_call_function(callback->env, callback->receiver, callback->fn, 1, &argument, &answer) != napi_ok
        || napi_get_value_int32(callback->env, answer, &result) != napi_ok) {
        callback->failed = 1;
        return 0;
    }
    return result;
}

static napi_value peer_each_item(napi_env env, napi_callback_info info) {
    size_t argc = 2;
    napi_value argv[2];
    CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    CHECK(env, argc == 2 ? napi_ok : napi_invalid_arg);
    napi_typedarray_type type;
    size_t count;
    void *data;
    CHECK(env, napi_get_typedarray_info(env, argv[0], &type, &count, &data, NULL, NULL));
    CHECK(env, type == napi_int32_array ? napi_ok : napi_invalid_arg);
    napi_valuetype fn_type;
    CHECK(env, napi_typeof(env, argv[1], &fn_type));
    CHECK(env, fn_type == napi_function ? napi_ok : napi_function_expected);
    struct js_callback callback = { env, argv[1], NULL, 0 };
    CHECK(env, napi_get_undefined(env, &callback.receiver));
    int32_t sum = each_item(data, count, call_js, &callback);
    if (callback.failed) {
        bool pending;
        if (napi_is_exception_pending(env, &pending) == napi_ok && !pending) napi_throw_type_error(env, NULL, "ffi-bench peer: the callback did not answer an int32");
        return NULL;
    }
    napi_value result;
    CHECK(env, napi_create_int32(env, sum, &result));
    return result;
}

NAPI_MODULE_INIT() {
    napi_property_descriptor functions[] = {
        { "rect_scale", NULL, peer_rect_scale, NULL, NULL, NULL, napi_enumerable, NULL },
        { "each_item", NULL, peer_each_item, NULL, NULL, NULL, napi_enumerable, NULL },
    };
    if (napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions) != napi_ok) return NULL;
    return exports;
}
