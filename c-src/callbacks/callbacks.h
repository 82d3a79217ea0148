/* Test fixture for callbacks: plain C APIs that take function pointers, with no glue. */
#ifndef CALLBACKS_H
#define CALLBACKS_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct counter;

typedef int32_t (*item_fn)(int32_t value, void *userdata);
typedef void (*word_fn)(const char *word, size_t length, void *userdata);
typedef void (*log_fn)(int32_t level, const char *message);
typedef bool (*keep_fn)(const uint8_t *data, size_t length);
typedef double (*mix_fn)(uint32_t u, int64_t small, uint64_t big, float f, double d, bool b);
typedef void (*counter_fn)(struct counter *counter, void *userdata);

/* Calls fn once per value; the sum of its answers. */
int32_t each_item(const int32_t *values, size_t count, item_fn fn, void *userdata);
/* Calls fn with each space-separated word of text; the number of words. */
int32_t split_words(const char *text, word_fn fn, void *userdata);
/* Stores fn (NULL clears it); log_twice calls the stored one twice. */
void set_logger(log_fn fn);
int32_t log_twice(const char *message);
/* Counts the words of text that keep answers true for. */
int32_t count_kept(const char *text, keep_fn keep);
/* Passes one value of each scalar kind. */
double mix(mix_fn fn);
/* Makes a counter, hands it to fn (which may call counter_add), answers its value. */
int32_t with_counter(int32_t start, counter_fn fn, void *userdata);
void counter_add(struct counter *counter, int32_t amount);
/* A checksum of text computed after fn ran: calls fn made in between must not disturb text. */
uint32_t checksum_after(const char *text, word_fn fn, void *userdata);
/* How many words split_words has seen in this instance (0 after a recycle). */
int32_t words_seen(void);
/* Passes text that lies outside the memory. */
void bad_text(word_fn fn, void *userdata);
/* Calls fn, then traps. */
void trap_after(item_fn fn, void *userdata);

/* A struct of callbacks, as parser APIs take them (md4c's MD_PARSER). */
enum token_kind { TOKEN_NUMBER = 1, TOKEN_WORD = 2 };
struct visitor {
    int32_t limit;                                         /* most tokens to visit */
    int32_t (*on_number)(int32_t value, void *userdata);   /* NULL: numbers are skipped */
    void (*on_word)(const char *word, size_t length, void *userdata);
    void (*on_token)(enum token_kind kind, void *userdata);
};
/* Walks text's space-separated tokens; the sum of on_number's answers. */
int32_t visit(const char *text, const struct visitor *visitor, void *userdata);
/* Keeps a copy of visitor (its function pointers too); visit_kept walks with the copy. */
void keep_visitor(const struct visitor *visitor);
int32_t visit_kept(const char *text);
#endif
