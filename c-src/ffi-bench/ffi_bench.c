#include "ffi_bench.h"

/* Unsigned arithmetic wraps without undefined behaviour; the cast back is two's complement. */
int32_t sum_i32(const int32_t *values, size_t count) {
    uint32_t sum = 0;
    for (size_t i = 0; i < count; i++) sum += (uint32_t)values[i];
    return (int32_t)sum;
}

void rect_scale(const struct rect *in, double k, struct rect *out) {
    out->x = in->x * k;
    out->y = in->y * k;
    out->w = in->w * k;
    out->h = in->h * k;
    out->id = in->id;
    out->flags = in->flags | 1u;
}

int32_t each_item(const int32_t *values, size_t count, int32_t (*cb)(int32_t value, void *userdata), void *userdata) {
    uint32_t sum = 0;
    for (size_t i = 0; i < count; i++) sum += (uint32_t)cb(values[i], userdata);
    return (int32_t)sum;
}
