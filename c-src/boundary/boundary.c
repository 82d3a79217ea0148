/*
 * boundary: fixtures for the host side of the sandbox boundary (test/boundary.test.ts): C that
 * takes arena scratch in calls that marshal nothing, a malloc failure the C code handles, an
 * abort(), and output printed during calls.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cbox.h"

/* Takes `size` bytes of arena scratch (released by the host after the call, as cbox.h promises),
 * fills and sums them; 0xFFFFFFFF when the scratch could not be had. */
uint32_t scratch_sum(uint32_t size) {
    uint8_t *scratch = cbox_alloc(size);
    if (!scratch) return 0xFFFFFFFFu;
    memset(scratch, 1, size);
    uint32_t sum = 0;
    for (uint32_t i = 0; i < size; i++) sum += scratch[i];
    return sum;
}

/* Through a volatile object, so the compiler cannot pair and drop the malloc/free. */
static void *volatile kept;

/* Asks malloc for more than the memory limit allows and copes with the NULL: 1 when it did. */
int32_t huge_malloc_handled(void) {
    kept = malloc((size_t)1 << 31);
    void *block = kept;
    if (block) {
        free(block);
        return 0;
    }
    return 1;
}

/* A plain abort(), unrelated to memory. */
void crash_abort(void) {
    abort();
}

/* Prints `count` lines "line <i>" to stdout and answers `count`. */
int32_t print_lines(int32_t count) {
    for (int32_t i = 0; i < count; i++) printf("line %d\n", i);
    fflush(stdout);
    return count;
}

/* Sleeps `ms` milliseconds (WASI poll_oneoff: the clock must be granted) and answers 0: a call
 * whose duration is the same on any machine, however busy. */
int32_t nap(int32_t ms) {
    return usleep((useconds_t)ms * 1000);
}
