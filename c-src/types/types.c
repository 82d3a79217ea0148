/* Test fixture for the manifest's richer types: each function is plain C with no cbox.h glue,
 * so the types alone carry the values across. */
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
