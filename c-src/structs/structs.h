/* Test fixture for struct parameters: plain C structs and functions, no cbox glue. */
#ifndef STRUCTS_H
#define STRUCTS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct point {
    int32_t x;
    double y;
    uint8_t tag;
};

typedef struct {
    int8_t a;
    uint16_t b;
} inner_t;

/* Every field kind the manifest knows, with padding between most of them. */
struct shape {
    struct point origin;
    inner_t meta;
    int64_t big;
    uint64_t ubig;
    int64_t size53;
    uint64_t usize53;
    float ratio;
    bool flag;
    uint8_t key[16];
    int32_t nums[3];
    const char *label;
    int16_t s16;
    uint32_t u32;
};

double point_sum(const struct point *p);
void point_make(int32_t x, double y, struct point *out);
int32_t point_scale(const struct point *in, int32_t factor, struct point *out);
double shape_sum(const struct shape *s);
size_t shape_label_length(const struct shape *s);
void shape_fill(struct shape *out);
void shape_bad_label(struct shape *out);
void shape_bad_u53(struct shape *out);
uint32_t structs_entered(void);

size_t fill_squares(int32_t *values, size_t count);
size_t copy_upper(const char *text, uint8_t *dst, size_t dstCapacity);
double scale_f64(double *values, size_t count, double factor);

/* Fields named like Object.prototype's members: they must become own properties in JS. */
struct odd_names {
    int32_t constructor;
    int32_t hasOwnProperty;
};
int32_t odd_sum(const struct odd_names *o);
void odd_make(int32_t seed, struct odd_names *out);

/* Pointer idioms beside structs: an opaque object made through an out-pointer, in/out scalars,
 * buffers whose length travels by pointer. */
struct counter;
int32_t counter_open(int32_t start, struct counter **out);
int32_t counter_next(struct counter *counter);
void counter_close(struct counter *counter);
uint32_t take_prefix(const uint8_t *data, size_t *size);
void fill_unsized(uint8_t *dst, size_t *capacity);
double inout_scale(double *x, int64_t *big, int32_t factor);
#endif
