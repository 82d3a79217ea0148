/* Test fixture: start-up code that calls its callback import before any call could have bound it. */
#include <stdint.h>

__attribute__((import_module("cbox_callback"), import_name("0"))) int32_t early_call(int32_t value);

static int32_t answer;

__attribute__((constructor)) static void start(void) { answer = early_call(7); }

int32_t apply(int32_t (*fn)(int32_t value), int32_t value) { return fn(value) + answer; }
