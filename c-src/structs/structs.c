#include <stdlib.h>
#include <string.h>
#include "structs.h"
#include "cbox.h"

static uint32_t entered;

uint32_t structs_entered(void) { return entered; }

double point_sum(const struct point *p) {
    entered++;
    return p->x + p->y + p->tag;
}

void point_make(int32_t x, double y, struct point *out) {
    out->x = x;
    out->y = y;
    out->tag = 7;
}

int32_t point_scale(const struct point *in, int32_t factor, struct point *out) {
    out->x = in->x * factor;
    out->y = in->y * factor;
    out->tag = in->tag;
    return in->x * factor;
}

/* Sums every numeric field, each weighted differently, so a field read at the wrong place shows. */
double shape_sum(const struct shape *s) {
    entered++;
    double sum = point_sum(&s->origin) + 10.0 * s->meta.a + 100.0 * s->meta.b;
    sum += (double)s->big + (double)s->ubig + (double)s->size53 + (double)s->usize53 + s->ratio + (s->flag ? 1000.0 : 0.0);
    for (int i = 0; i < 16; i++) sum += (i + 1) * s->key[i];
    for (int i = 0; i < 3; i++) sum += (i + 1) * 10000.0 * s->nums[i];
    return sum + s->s16 + (double)s->u32;
}

size_t shape_label_length(const struct shape *s) {
    return s->label ? strlen(s->label) : (size_t)-1;
}

static const char filled_label[] = "filled by C";

void shape_fill(struct shape *out) {
    out->origin.x = -5;
    out->origin.y = 2.5;
    out->origin.tag = 200;
    out->meta.a = -100;
    out->meta.b = 60000;
    out->big = INT64_MIN;
    out->ubig = UINT64_MAX;
    out->size53 = -(((int64_t)1 << 53) - 1);
    out->usize53 = ((uint64_t)1 << 53) - 1;
    out->ratio = 0.5f;
    out->flag = true;
    for (int i = 0; i < 16; i++) out->key[i] = (uint8_t)(i * 16);
    for (int i = 0; i < 3; i++) out->nums[i] = -(i + 1);
    out->label = filled_label;
    out->s16 = -32768;
    out->u32 = 4000000000u;
}

void shape_bad_label(struct shape *out) {
    shape_fill(out);
    out->label = (const char *)(uintptr_t)0xfffffff0u;
}

void shape_bad_u53(struct shape *out) {
    shape_fill(out);
    out->usize53 = (uint64_t)1 << 60;
}

size_t fill_squares(int32_t *values, size_t count) {
    for (size_t i = 0; i < count; i++) values[i] = (int32_t)(i * i);
    return count;
}

size_t copy_upper(const char *text, uint8_t *dst, size_t dstCapacity) {
    size_t n = 0;
    for (; text[n] && n < dstCapacity; n++) dst[n] = (uint8_t)(text[n] >= 'a' && text[n] <= 'z' ? text[n] - 32 : text[n]);
    return n;
}

double scale_f64(double *values, size_t count, double factor) {
    double sum = 0;
    for (size_t i = 0; i < count; i++) sum += (values[i] *= factor);
    return sum;
}

/* A bytes result for the borrowed view: n bytes counting up from start. */
void counting_bytes(uint32_t start, uint32_t n, cbox_out *out) {
    uint8_t *data = cbox_return_alloc(out, n);
    if (!data) return;
    for (uint32_t i = 0; i < n; i++) data[i] = (uint8_t)(start + i);
}

struct counter { int32_t value; };

int32_t counter_open(int32_t start, struct counter **out) {
    *out = malloc(sizeof **out);
    if (!*out) return -1;
    (*out)->value = start;
    return 0;
}

int32_t counter_next(struct counter *counter) { return ++counter->value; }

void counter_close(struct counter *counter) { free(counter); }

/* Sums the first *size bytes, and answers through *size how many it took (at most 3). */
uint32_t take_prefix(const uint8_t *data, size_t *size) {
    uint32_t sum = 0;
    size_t n = *size < 3 ? *size : 3;
    for (size_t i = 0; i < *size; i++) sum += data[i];
    *size = n;
    return sum;
}

/* Writes at most *capacity bytes ('a', 'b', ...; at most 5), and sets *capacity to how many. */
void fill_unsized(uint8_t *dst, size_t *capacity) {
    size_t n = *capacity < 5 ? *capacity : 5;
    for (size_t i = 0; i < n; i++) dst[i] = (uint8_t)('a' + i);
    *capacity = n;
}

double inout_scale(double *x, int64_t *big, int32_t factor) {
    double before = *x;
    *x *= factor;
    *big *= factor;
    return before;
}

int32_t odd_sum(const struct odd_names *o) { return o->constructor * 10 + o->hasOwnProperty; }

void odd_make(int32_t seed, struct odd_names *out) {
    out->constructor = seed;
    out->hasOwnProperty = seed + 1;
}
