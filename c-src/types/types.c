/* Test fixture for the manifest's richer types: each function is plain C with no cbox.h glue,
 * so the types alone carry the values across. */
#include <stddef.h>
#include <stdint.h>

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
