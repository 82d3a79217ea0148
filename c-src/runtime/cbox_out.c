/*
 * The cbox_return_* answers of cbox.h, shared by both builds: the wasm module (with cbox_rt.c's
 * arena) and the native addon (with cbox_native_rt.c's scratch arena) link this same file.
 */
#include <string.h>
#include "cbox.h"

void cbox_return_bytes(cbox_out *out, const void *data, size_t len) {
    out->data = data;
    out->len = len;
    out->error = NULL;
}

void cbox_return_string(cbox_out *out, const char *text) {
    cbox_return_bytes(out, text, strlen(text));
}

uint8_t *cbox_return_alloc(cbox_out *out, size_t len) {
    uint8_t *data = cbox_alloc(len ? len : 1);
    if (!data) {
        cbox_return_error(out, "out of memory: cannot allocate the result");
        return NULL;
    }
    cbox_return_bytes(out, data, len);
    return data;
}

void cbox_return_error(cbox_out *out, const char *message) {
    out->data = NULL;
    out->len = 0;
    out->error = message ? message : "error";
}
