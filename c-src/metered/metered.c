/*
 * metered: fixtures for `cbox build --metered` (deadlines and fuel on the main thread).
 * spin never returns by itself; collatz_steps does an amount of work fixed by its input (the
 * same fuel on every run); fib recurses without loops (charged at function entry); with
 * CBOX_FIXTURE_HANG_AT_START the C start-up code itself never returns.
 */
#include <stdint.h>

#include "cbox.h"

/* Re-read on every turn, so the optimiser cannot prove the loop endless and drop it. */
static volatile int keep_going = 1;
static volatile uint32_t turns;

void spin(void) {
    while (keep_going) turns++;
}

/* Total Collatz steps of 1..n. */
uint32_t collatz_steps(uint32_t n) {
    uint32_t total = 0;
    for (uint32_t start = 1; start <= n; start++) {
        uint64_t x = start;
        while (x != 1) {
            x = (x & 1) ? 3 * x + 1 : x / 2;
            total++;
        }
    }
    return total;
}

__attribute__((noinline)) static uint32_t fib_inner(uint32_t n) {
    return n < 2 ? n : fib_inner(n - 1) + fib_inner(n - 2);
}

uint32_t fib(uint32_t n) {
    return fib_inner(n);
}

int32_t add(int32_t a, int32_t b) {
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

#ifdef CBOX_FIXTURE_HANG_AT_START
__attribute__((constructor)) static void hang_at_start(void) {
    while (keep_going) turns++;
}
#endif
