/* The three call shapes the FFI bench compares (bench/ffi-peers.ts): an array in, a struct in and
 * out, and a callback called once per item. Plain C with no cbox.h, so that the same source is the
 * cbox wasm module, cbox's N-API addon, a shared library for koffi and the hand-written N-API peer. */
#ifndef FFI_BENCH_H
#define FFI_BENCH_H

#include <stddef.h>
#include <stdint.h>

struct rect {
    double x;
    double y;
    double w;
    double h;
    int32_t id;
    uint32_t flags;
};

/* The sum of the items, wrapping like int32 arithmetic in JavaScript (`| 0`). */
int32_t sum_i32(const int32_t *values, size_t count);

/* out = in scaled by k about the origin; id kept; flags with bit 0 (scaled) set. */
void rect_scale(const struct rect *in, double k, struct rect *out);

/* Calls cb(item, userdata) once per item, in order; answers the wrapping sum of what cb answered. */
int32_t each_item(const int32_t *values, size_t count, int32_t (*cb)(int32_t value, void *userdata), void *userdata);

#endif
