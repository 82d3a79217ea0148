/* Test fixture for the manifest's richer types: plain C functions whose types alone carry the
 * values across (only echo_count uses cbox.h, to combine a bytes result with an out-parameter). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cbox.h"

/* i53 / u53: int64_t and uint64_t crossing as JS numbers. */
int64_t i53_add(int64_t a, int64_t b) { return a + b; }
uint64_t u53_add(uint64_t a, uint64_t b) { return a + b; }
/* 2**bits: from bits = 53 on, the answer is no safe integer. */
uint64_t u53_pow2(uint32_t bits) { return bits < 64 ? (uint64_t)1 << bits : 0; }
int64_t i53_neg_pow2(uint32_t bits) { return bits < 63 ? -((int64_t)1 << bits) : INT64_MIN; }
/* How many times C was entered: a refused argument must leave it unchanged. */
static uint32_t entered;
uint32_t types_entered(void) { return entered; }
int64_t i53_counted(int64_t a) { entered++; return a; }

/* Typed arrays: `const T *, size_t count`, count in elements. sum_i32 also counts its calls. */
#define SUM_OF(name, element, total, before)                 \
    total name(const element *values, size_t count) {        \
        before;                                              \
        total s = 0;                                         \
        for (size_t i = 0; i < count; i++) s += values[i];   \
        return s;                                            \
    }
SUM_OF(sum_i8, int8_t, int32_t, (void)0)
SUM_OF(sum_u8, uint8_t, uint32_t, (void)0)
SUM_OF(sum_i16, int16_t, int32_t, (void)0)
SUM_OF(sum_u16, uint16_t, uint32_t, (void)0)
SUM_OF(sum_i32, int32_t, int32_t, entered++)
SUM_OF(sum_u32, uint32_t, uint32_t, (void)0)
SUM_OF(sum_f32, float, float, (void)0)
SUM_OF(sum_f64, double, double, (void)0)

/* Two arrays in one call, and the count C receives for each. */
double dot_f64_f32(const double *a, size_t a_count, const float *b, size_t b_count) {
    double s = 0;
    for (size_t i = 0; i < a_count && i < b_count; i++) s += a[i] * b[i];
    return s + (double)a_count * 1000 + (double)b_count * 1000000;
}
/* The last element, read where C was told it is: a wrong count or offset shows. */
int32_t last_i32(const int32_t *values, size_t count) { return count ? values[count - 1] : -1; }

/* Out-parameters: `T *`, written by C, returned with the result. */
int32_t divmod_i32(int32_t a, int32_t b, int32_t *remainder) {
    if (b == 0) return 0; /* remainder left unwritten: the host reads the zeroed slot */
    *remainder = a % b;
    return a / b;
}
void minmax_f64(const double *values, size_t count, double *min, double *max) {
    *min = count ? values[0] : 0;
    *max = *min;
    for (size_t i = 1; i < count; i++) {
        if (values[i] < *min) *min = values[i];
        if (values[i] > *max) *max = values[i];
    }
}
/* Every out type at once: i64 and u64 (bigint), i53 and u53 (numbers), u32, f32. */
void outs_wide(int64_t *i64, uint64_t *u64, int64_t *i53, uint64_t *u53, uint32_t *u32, float *f32) {
    *i64 = INT64_MIN;
    *u64 = UINT64_MAX;
    *i53 = -9007199254740991LL;
    *u53 = 9007199254740991ULL;
    *u32 = UINT32_MAX;
    *f32 = 0.5f;
}
/* 2**bits into a u53 out-parameter: from 53 on, not a safe integer. */
uint32_t u53_out_pow2(uint32_t bits, uint64_t *value) {
    *value = bits < 64 ? (uint64_t)1 << bits : 0;
    return bits;
}
/* A bytes result (cbox_out) together with an out-parameter. */
void echo_count(const uint8_t *data, size_t len, uint32_t *count, cbox_out *out) {
    *count = (uint32_t)len;
    cbox_return_bytes(out, data, len);
}
/* Exported with out-parameters the manifest names __proto__ and constructor. */
void two_outs(int32_t *first, int32_t *second) {
    *first = 1;
    *second = 2;
}

/* cstring results: borrowed (const char *) and owned (char *, released by the manifest's "free"). */
const char *version_text(void) { return "types 1.0 \xe2\x9c\x93"; }
const char *maybe_name(int32_t which) { return which ? "named" : NULL; }
const char *bad_utf8_text(void) { return "\xff\xfe"; }
const char *outside_text(void) { return (const char *)0xfffffff0u; }
/* The last bytes of the memory, none of them NUL: the string never ends inside it. */
const char *unterminated_text(void) {
#ifdef __wasm__
    char *end = (char *)(__builtin_wasm_memory_size(0) * 65536);
    for (int i = 1; i <= 8; i++) end[-i] = 'x';
    return end - 8;
#else
    return NULL; /* the native build (of the other exports) has no such memory end */
#endif
}
const char *text_and_length(uint32_t *length) {
    static const char text[] = "hello";
    *length = sizeof text - 1;
    return text;
}
char *repeat_owned(const char *text, uint32_t times) {
    size_t len = strlen(text);
    char *copy = malloc(len * times + 1);
    if (!copy) return NULL;
    for (uint32_t i = 0; i < times; i++) memcpy(copy + i * len, text, len);
    copy[len * times] = 0;
    return copy;
}
/* A library's own release function, counting what it was given back. */
static uint32_t released;
void types_release(char *text) {
    released++;
    free(text);
}
uint32_t types_released(void) { return released; }
char *owned_upper(const char *text) {
    char *copy = strdup(text);
    for (char *c = copy; c && *c; c++) if (*c >= 'a' && *c <= 'z') *c -= 32;
    return copy;
}
char *owned_bad_utf8(void) { return strdup("\xc3("); }
