/*
 * The cbox_return_* answers and the result buffer of cbox.h, shared by both builds: the wasm module (with cbox_rt.c's
 * arena) and the native addon (with cbox_native_rt.c's scratch arena) link this same file.
 */
#include <stdlib.h>
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

#define CBOX_RESULT_KEEP_LIMIT (1u << 20)
#define CBOX_RESULT_INITIAL (16u << 10)

void cbox_result_buffer_start(cbox_result_buffer *buffer) {
    if (buffer->capacity > CBOX_RESULT_KEEP_LIMIT) {
        free(buffer->data);
        buffer->data = NULL;
        buffer->capacity = 0;
    }
}

int cbox_result_buffer_reserve(cbox_result_buffer *buffer, size_t need) {
    if (need <= buffer->capacity) return 1;
    size_t capacity = buffer->capacity ? buffer->capacity : CBOX_RESULT_INITIAL;
    while (capacity < need) {
        if (capacity > SIZE_MAX / 2) return 0;
        capacity *= 2;
    }
    uint8_t *data = realloc(buffer->data, capacity);
    if (!data) return 0;
    buffer->data = data;
    buffer->capacity = capacity;
    return 1;
}
