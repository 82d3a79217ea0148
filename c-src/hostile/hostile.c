/*
 * hostile: start-up code that turns against its host, for the pool's start-up tests.
 *
 * A C constructor runs inside the module's _initialize, before any export can be called. This
 * one reads its conditions from the sandbox, so the same module starts cleanly at first and then,
 * once the condition is set, hangs or fails in every later start-up:
 *   - HOSTILE_HANG in the environment, or a file named "hang" in the granted /data: loop forever;
 *   - a file named "fail" in /data: abort().
 * poison() writes that "fail" file itself and then aborts the call, the shape of a module that
 * breaks its own future instances. flood() prints lines until it is stopped from outside.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile uint32_t turns;

static int exists(const char *path) {
    return access(path, F_OK) == 0;
}

__attribute__((constructor)) static void hostile_start(void) {
    if (getenv("HOSTILE_HANG") != NULL || exists("/data/hang")) {
        for (;;) turns++;
    }
    if (exists("/data/fail")) abort();
}

int32_t add(int32_t a, int32_t b) {
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* Leaves /data/fail behind, so no new instance of the module can start, then aborts this call. */
void poison(void) {
    FILE *file = fopen("/data/fail", "w");
    if (file != NULL) fclose(file);
    abort();
}

/* Prints numbered lines forever: only a deadline ends it. */
void flood(void) {
    for (uint32_t line = 0;; line++) printf("flood line %u with some padding to make it longer\n", line);
}

/* Prints `count` numbered lines. */
void count_lines(int32_t count) {
    for (int32_t line = 0; line < count; line++) printf("line %d\n", line);
}
