#include "callbacks.h"
#include <stdlib.h>
#include <string.h>

struct counter { int32_t value; };
static log_fn logger;
static int32_t seen;

int32_t each_item(const int32_t *values, size_t count, item_fn fn, void *userdata) {
    int32_t sum = 0;
    for (size_t i = 0; i < count; i++) sum += fn(values[i], userdata);
    return sum;
}

int32_t split_words(const char *text, word_fn fn, void *userdata) {
    int32_t words = 0;
    while (*text) {
        while (*text == ' ') text++;
        const char *start = text;
        while (*text && *text != ' ') text++;
        if (text > start) { fn(start, (size_t)(text - start), userdata); words++; seen++; }
    }
    return words;
}

void set_logger(log_fn fn) { logger = fn; }

int32_t log_twice(const char *message) {
    if (!logger) return 0;
    logger(1, message);
    logger(2, message);
    return 2;
}

int32_t count_kept(const char *text, keep_fn keep) {
    int32_t kept = 0;
    while (*text) {
        while (*text == ' ') text++;
        const char *start = text;
        while (*text && *text != ' ') text++;
        if (text > start && keep((const uint8_t *)start, (size_t)(text - start))) kept++;
    }
    return kept;
}

double mix(mix_fn fn) {
    return fn(4000000000u, -9007199254740991LL, 18446744073709551615ull, 1.5f, 2.25, true);
}

int32_t with_counter(int32_t start, counter_fn fn, void *userdata) {
    struct counter *counter = malloc(sizeof *counter);
    if (!counter) return -1;
    counter->value = start;
    fn(counter, userdata);
    int32_t value = counter->value;
    free(counter);
    return value;
}

void counter_add(struct counter *counter, int32_t amount) { counter->value += amount; }

uint32_t checksum_after(const char *text, word_fn fn, void *userdata) {
    fn(text, strlen(text), userdata);
    uint32_t sum = 2166136261u;
    for (const char *p = text; *p; p++) sum = (sum ^ (uint8_t)*p) * 16777619u;
    return sum;
}

int32_t words_seen(void) { return seen; }

void bad_text(word_fn fn, void *userdata) { fn((const char *)(uintptr_t)0xfffffff0u, 64, userdata); }

void trap_after(item_fn fn, void *userdata) {
    fn(1, userdata);
    __builtin_trap();
}

int32_t visit(const char *text, const struct visitor *visitor, void *userdata) {
    int32_t sum = 0, tokens = 0;
    while (*text && tokens < visitor->limit) {
        while (*text == ' ') text++;
        const char *start = text;
        while (*text && *text != ' ') text++;
        if (text == start) break;
        tokens++;
        char *end;
        long number = strtol(start, &end, 10);
        int is_number = end == text;
        if (visitor->on_token) visitor->on_token(is_number ? TOKEN_NUMBER : TOKEN_WORD, userdata);
        if (is_number) { if (visitor->on_number) sum += visitor->on_number((int32_t)number, userdata); }
        else if (visitor->on_word) visitor->on_word(start, (size_t)(text - start), userdata);
    }
    return sum;
}

static struct visitor kept;
void keep_visitor(const struct visitor *visitor) { kept = *visitor; }
int32_t visit_kept(const char *text) { return visit(text, &kept, NULL); }
