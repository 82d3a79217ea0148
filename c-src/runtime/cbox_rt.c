/*
 * cbox's in-sandbox runtime, linked into every module `cbox build` makes.
 * The host (runtime/arena.ts) reads cbox_arena_header() once per instance and then
 * marshals arguments straight into the arena without calling in here; it calls
 * cbox_arena_release() only when C code spilled arena allocations onto the heap.
 */
#include <stdlib.h>
#include "cbox.h"

#ifndef CBOX_ARENA_SIZE
#define CBOX_ARENA_SIZE (256 * 1024)
#endif

/* Shared with the host; the layout is part of cbox's ABI (runtime/arena.ts). */
struct cbox_arena_header {
    uint32_t base;      /* first byte of the arena */
    uint32_t cursor;    /* next free byte; the host resets it to base after every call */
    uint32_t end;       /* one past the last byte */
    uint32_t spilled;   /* linked list of heap blocks for allocations the arena could not fit */
    uint32_t oom;       /* set when sbrk failed: malloc has returned NULL since the last reset */
    uint32_t touched;   /* set by cbox_alloc and by a failed sbrk: after a call that marshalled
                           nothing, the host reads this one word to know whether to reset */
};

static struct cbox_arena_header header;

/* The arena comes from the heap, not a static array: with an imported memory wasm-ld must
 * write .bss out as explicit zeros, which would put the whole arena into the module file. */
__attribute__((export_name("cbox_arena_header")))
struct cbox_arena_header *cbox_arena_header(void) {
    if (header.base == 0) {
        void *arena = aligned_alloc(16, CBOX_ARENA_SIZE);
        if (!arena) return NULL;
        header.base = (uint32_t)(uintptr_t)arena;
        header.cursor = header.base;
        header.end = header.base + CBOX_ARENA_SIZE;
    }
    return &header;
}

__attribute__((export_name("cbox_arena_release")))
void cbox_arena_release(void) {
    void *block = (void *)(uintptr_t)header.spilled;
    while (block) {
        void *next = *(void **)block;
        free(block);
        block = next;
    }
    header.spilled = 0;
    header.cursor = header.base;
    header.touched = 0;
}

__attribute__((export_name("cbox_alloc")))
void *cbox_alloc(size_t size) {
    if (header.end == 0 && !cbox_arena_header()) return NULL;
    header.touched = 1;
    uint32_t start = (header.cursor + 15u) & ~15u;
    if (size <= header.end - start && start <= header.end) {
        header.cursor = start + (uint32_t)size;
        return (void *)(uintptr_t)start;
    }
    /* Too big for what is left: a heap block, chained so the host can release it. */
    if (size > SIZE_MAX - 16) return NULL;
    void **block = malloc(size + 16);
    if (!block) return NULL;
    *block = (void *)(uintptr_t)header.spilled;
    header.spilled = (uint32_t)(uintptr_t)block;
    return (uint8_t *)block + 16;
}

/* cbox_return_* live in cbox_out.c, shared with the other build. */

/* malloc's sbrk, wrapped (-Wl,--wrap=sbrk) so the host can tell an out-of-memory abort
 * from any other abort. */
void *__real_sbrk(intptr_t increment);
void *__wrap_sbrk(intptr_t increment) {
    void *result = __real_sbrk(increment);
    if (result == (void *)-1) header.oom = header.touched = 1;
    return result;
}

#ifdef CBOX_STRICT
/* Strict mode compiles library code with -fsanitize=null,pointer-overflow; these handlers
 * turn what plain wasm lets pass into a trap the host classifies by the name of the function
 * that trapped (runtime/traps.ts), then drops these frames so the library's function comes first:
 *   cbox_trap_null_dereference  an access through NULL            -> null-dereference
 *   cbox_trap_null_offset       NULL + a non-zero offset, no access -> out-of-bounds (its message says so)
 *   cbox_trap_pointer_overflow  pointer arithmetic that wrapped   -> out-of-bounds */
__attribute__((noinline)) static void cbox_trap_null_dereference(void) { __builtin_trap(); }
__attribute__((noinline)) static void cbox_trap_null_offset(void) { __builtin_trap(); }
__attribute__((noinline)) static void cbox_trap_pointer_overflow(void) { __builtin_trap(); }

static void cbox_check_access(uintptr_t pointer) {
    if (pointer == 0) cbox_trap_null_dereference();
    /* Misaligned accesses are legal in wasm: nothing else to report. */
}
void __ubsan_handle_type_mismatch_v1(void *data, uintptr_t pointer) { (void)data; cbox_check_access(pointer); }
void __ubsan_handle_type_mismatch_v1_abort(void *data, uintptr_t pointer) { (void)data; cbox_check_access(pointer); }

/* Called for NULL + offset (base 0; code such as LZ4 does it on purpose) and for arithmetic
 * that wrapped around the address space. Neither is an access yet. */
static void cbox_check_offset(uintptr_t base, uintptr_t result) {
    (void)result;
    if (base == 0) cbox_trap_null_offset();
    cbox_trap_pointer_overflow();
}
void __ubsan_handle_pointer_overflow(void *data, uintptr_t base, uintptr_t result) { (void)data; cbox_check_offset(base, result); }
void __ubsan_handle_pointer_overflow_abort(void *data, uintptr_t base, uintptr_t result) { (void)data; cbox_check_offset(base, result); }
#endif
