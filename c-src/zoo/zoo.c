/*
 * zoo: cbox's demo library and crash fixtures.
 *
 * The first half is well-behaved C: one function per manifest type, a string-returning function
 * that fails cleanly, and a small stateful object behind a handle. The second half is a set of
 * crash fixtures, each failing in exactly one way, so tests can check that every kind of fault
 * comes back from the sandbox as its own typed error with a telling C stack. Values that would
 * let the compiler see the fault coming (a NULL pointer, a zero divisor) pass through volatile
 * objects, so each fault happens at run time as the wasm instruction it is named after.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbox.h"

#if defined(__GNUC__) || defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

/* ------------------------------------------------------------------------------------------ */
/* Well-behaved functions                                                                      */
/* ------------------------------------------------------------------------------------------ */

int32_t add(int32_t a, int32_t b) {
    return (int32_t)((uint32_t)a + (uint32_t)b); /* wraps around, like JS's (a + b) | 0 */
}

uint64_t sum_u64(uint64_t a, uint64_t b) {
    return a + b; /* modulo 2^64 */
}

double mul_f64(double a, double b) {
    return a * b;
}

int is_even(int32_t n) {
    return n % 2 == 0;
}

/* Runs until the host stops it (a deadline, an interrupt): the loop condition is re-read from a
 * volatile object on every turn, so the optimiser cannot prove the loop endless and drop it. */
static volatile int spin_forever = 1;
static volatile uint32_t spin_turns;

void spin(void) {
    while (spin_forever) spin_turns++;
}

void echo(const uint8_t *data, size_t len, cbox_out *out) {
    uint8_t *copy = cbox_return_alloc(out, len);
    if (copy && len) memcpy(copy, data, len);
}

/* "hello, <name>" */
void greet(const char *name, cbox_out *out) {
    static const char prefix[] = "hello, ";
    size_t name_len = strlen(name);
    uint8_t *text = cbox_return_alloc(out, sizeof prefix - 1 + name_len);
    if (!text) return;
    memcpy(text, prefix, sizeof prefix - 1);
    memcpy(text + sizeof prefix - 1, name, name_len);
}

/* Always fails, with the caller's own message: a clean error, not a crash. The message is
 * copied into the arena because `message` itself is an input, gone once the call returns. */
void fail_with(const char *message, cbox_out *out) {
    size_t len = strlen(message);
    char *copy = cbox_alloc(len + 1);
    if (!copy) {
        cbox_return_error(out, "fail_with: out of memory copying the message");
        return;
    }
    memcpy(copy, message, len + 1);
    cbox_return_error(out, copy);
}

/* C output: stdout gets the text (twice, the second time without a newline, to show a partial
 * last line is kept until the host flushes), stderr a note. */
void say(const char *text) {
    printf("%s\n", text);
    fprintf(stderr, "said %zu bytes\n", strlen(text));
    printf("%s", text);
    fflush(stdout);
}

/* A counter behind a handle: state that lives in the library's heap between calls. */
struct counter {
    int64_t value;
};

struct counter *counter_new(int64_t start) {
    struct counter *c = malloc(sizeof *c);
    if (c) c->value = start;
    return c; /* NULL when the sandbox is out of memory */
}

int64_t counter_add(struct counter *c, int64_t delta) {
    c->value = (int64_t)((uint64_t)c->value + (uint64_t)delta); /* wraps modulo 2^64 */
    return c->value;
}

void counter_free(struct counter *c) {
    free(c);
}

/* Shows the memory limit at work without crashing: mallocs `block`-byte blocks (at least a
 * pointer's worth, to chain them) until malloc returns NULL, frees them all and answers how many
 * it got. */
uint32_t alloc_until_null(uint32_t block) {
    size_t size = block < sizeof(void *) ? sizeof(void *) : block;
    void *chain = NULL;
    uint32_t count = 0;
    for (;;) {
        void **p = malloc(size);
        if (!p) break;
        *p = chain;
        chain = p;
        count++;
    }
    while (chain) {
        void *next = *(void **)chain;
        free(chain);
        chain = next;
    }
    return count;
}

/* ------------------------------------------------------------------------------------------ */
/* Crash fixtures: each export fails one distinct way                                          */
/* ------------------------------------------------------------------------------------------ */

/* A store through NULL. Plain wasm has no unmapped page at address 0, so this store succeeds
 * silently (it lands in the bottom of the shadow stack region); strict builds
 * (-fsanitize=null) trap in cbox_trap_null_dereference instead. */
static int *volatile null_pointer = NULL;

NOINLINE static void write_through_null(int value) {
    *null_pointer = value;
}

void crash_null_write(void) {
    write_through_null(42);
}

/* A store far past the end of linear memory (whose limit is at most 4 GiB - 64 KiB):
 * "memory access out of bounds". */
static volatile uintptr_t wild_address = 0xFFFFFFF0u;

NOINLINE static void write_wild_pointer(int value) {
    *(volatile int *)wild_address = value;
}

void crash_oob_write(void) {
    write_wild_pointer(42);
}

/* Recursion `depth` frames deep (unbounded for depth < 0), each frame holding a 1 KiB buffer
 * on the shadow stack. The result is used after the recursive call, so it is not a tail call
 * and cannot become a loop. With the manifest's 64 KiB stack, depth 63 still returns and
 * depth 64 and beyond (or -1) run the shadow stack off its bottom: the stack pointer wraps below
 * zero (it is left at 0xFFFFFC00) and the next store is "memory access out of bounds". */
NOINLINE static int32_t recurse_with_big_frame(int32_t depth) {
    volatile uint8_t frame[1024];
    for (size_t i = 0; i < sizeof frame; i += 64) frame[i] = (uint8_t)depth;
    if (depth == 0) return frame[0];
    int32_t below = recurse_with_big_frame(depth - 1);
    return below + frame[depth & 0x3C0] + 1;
}

int32_t crash_stack_overflow(int32_t depth) {
    return recurse_with_big_frame(depth);
}

/* abort(): wasi-libc's abort is __builtin_trap(), "unreachable" with abort as the innermost
 * frame. */
void crash_abort(void) {
    abort();
}

/* exit(code): atexit handlers run, then the WASI proc_exit import, which the host turns into an
 * exit error rather than ending Node. */
void crash_exit(int32_t code) {
    exit(code);
}

/* __builtin_trap(): "unreachable" in this very function. */
void crash_trap(void) {
    __builtin_trap();
}

/* Integer division by zero: "divide by zero". Volatile copies make it a run-time i32.div_s. */
NOINLINE static int32_t divide(int32_t a, int32_t b) {
    volatile int32_t dividend = a, divisor = b;
    return dividend / divisor;
}

int32_t crash_div_zero(int32_t a, int32_t b) {
    return divide(a, b);
}

/* INT_MIN / -1 overflows int32: "divide result unrepresentable". */
NOINLINE static int32_t divide_overflowing(int32_t a, int32_t b) {
    volatile int32_t dividend = a, divisor = b;
    return dividend / divisor;
}

int32_t crash_int_overflow(int32_t a, int32_t b) {
    return divide_overflowing(a, b);
}

/* A call through a function pointer of the wrong type: the table entry is a () -> void function,
 * called as (i32, i32) -> i32, so call_indirect's signature check fails. The pointer goes
 * through an integer and a volatile object so the compiler cannot see (or warn about) the
 * mismatch and call the function directly. */
NOINLINE static void takes_nothing(void) {
    spin_turns++;
}

static volatile uintptr_t mistyped_function;

int32_t crash_bad_indirect_call(void) {
    mistyped_function = (uintptr_t)&takes_nothing;
    int32_t (*call)(int32_t, int32_t) = (int32_t (*)(int32_t, int32_t))mistyped_function;
    return call(1, 2);
}

/* What a library that aborts on allocation failure does at the memory limit: take 1 MiB blocks
 * (touching every page, so the memory is really used) until malloc says no, then abort(). The
 * blocks are chained into a list the compiler must assume is read later (else it may drop the
 * mallocs as dead). The wrapped sbrk has recorded the failure, so the host can report
 * out-of-memory, not a plain abort. */
static void *volatile oom_blocks;

NOINLINE static void out_of_memory(void) {
    abort();
}

uint32_t crash_oom(void) {
    const size_t block = 1024 * 1024;
    uint32_t count = 0;
    for (;;) {
        uint8_t *p = malloc(block);
        if (!p) out_of_memory();
        for (size_t i = sizeof(void *); i < block; i += 4096) p[i] = (uint8_t)count;
        *(void **)p = oom_blocks;
        oom_blocks = p;
        count++;
    }
}

/* Heap corruption, the way a buffer overrun in a real library corrupts the heap.
 *
 * wasi-libc builds dlmalloc with ABORT defined as __builtin_unreachable(), so its sanity
 * checks are optimised away rather than trapping. Observed (clang 19, Debian's wasi-libc):
 *  1. A double free of a small block is absorbed silently: no trap, and the block is handed
 *     out once, not twice, by the following mallocs.
 *  2. So a chunk header is then overwritten with a size of 2 GiB (in-use bits kept) and the
 *     block freed: dlfree looks for the next chunk's header 2 GiB further on and the load
 *     traps, "memory access out of bounds" with dlfree (called from free) as the innermost
 *     frames. The malloc after it is never reached.
 * Pointers pass through a volatile object so the compiler cannot pair and drop malloc/free. */
static void *volatile heap_sink;

static void *escape(void *p) {
    heap_sink = p;
    return heap_sink;
}

NOINLINE static void free_twice(void *p) {
    free(escape(p));
    free(escape(p));
}

NOINLINE static void smash_chunk_header(void *p) {
    *((volatile size_t *)p - 1) = ((size_t)1 << (sizeof(size_t) * 8 - 2)) | 3u; /* 2 GiB (wasm32), PINUSE|CINUSE */
}

void crash_double_free(void) {
    void *block = escape(malloc(64));
    escape(malloc(64)); /* keeps block away from the top chunk */
    free_twice(block);
    void *victim = escape(malloc(64));
    escape(malloc(64));
    smash_chunk_header(victim);
    free(escape(victim));
    escape(malloc(64));
}
