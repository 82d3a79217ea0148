/*
 * cbox.h: the C side of cbox's calling convention.
 *
 * C code built by `cbox build` is plain C: every function named in the manifest's
 * "exports" is exported by name, no annotations needed. Manifest types map to C like this:
 *
 *   i32 -> int32_t     u32 -> uint32_t    i64 -> int64_t    u64 -> uint64_t
 *   i53 -> int64_t     u53 -> uint64_t    (a JS number: safe integers only, either way; a result
 *                      outside -(2^53-1)..2^53-1 (u53: 0..2^53-1) fails the call, it is never rounded)
 *   f32 -> float       f64 -> double      bool -> int (0 / non-zero)
 *   handle -> a pointer to a C object owned by the library (void *, struct x *)
 *   string param -> const char *          (UTF-8, NUL-terminated, valid during the call)
 *   bytes param  -> const uint8_t *, size_t  (two C parameters, valid during the call)
 *   typed array param (i8[] u8[] i16[] u16[] i32[] u32[] f32[] f64[], e.g. i32[] from an Int32Array)
 *                -> const int32_t *, size_t count  (two C parameters; count in elements; the
 *                   elements are a copy in the arena, aligned, valid during the call)
 *   out-parameter (manifest "name:out:i32", also out:u32 out:i64 out:u64 out:i53 out:u53 out:f32
 *                  out:f64) -> int32_t *name  (one C parameter, no JS argument: it points at a
 *                   zeroed 8-byte slot; what C writes there comes back as { result, name }, or
 *                   { name } for a void function)
 *   out:handle   -> struct x **name  (C stores a new object's address there; it comes back as a
 *                   Handle, NULL as null, beside the result like an out-parameter)
 *   in/out scalar (manifest "name:mut:u32", also mut:i32 mut:i64 mut:u64 mut:i53 mut:u53 mut:f32
 *                  mut:f64) -> uint32_t *name  (the JS argument is written into the slot; what C
 *                   leaves there comes back like an out-parameter's value)
 *   writable array (mut:u8[] mut:i32[] ...) -> uint8_t *, size_t count  (as a typed array, but C
 *                   may write the elements: they are copied back into the caller's array)
 *   unsized buffer (u8*, mut:u8*) -> const uint8_t * / uint8_t *  (a Uint8Array's bytes, pointer
 *                   only: C learns the length another way, e.g. an in/out size_t *; mut: copied back)
 *   struct param (manifest "p:struct:point", with "structs": { "point": { "c": "struct point",
 *                  "fields": [...] } } and the declaring header in "headers")
 *                -> const struct point *p  (the JS object's fields written at the offsets cbox
 *                   computed, checked against this header at build; zeroed padding; valid during
 *                   the call. Field types: i8 u8 i16 u16 i32 u32 i53 u53 i64 u64 f32 f64 bool,
 *                   struct:NAME, fixed arrays such as u8[16], and string = const char *)
 *   struct out-parameter (manifest "p:out:struct:point") -> struct point *p  (a zeroed struct for
 *                   C to fill; it comes back as an object with the result, or alone from a void
 *                   function that has no other out-parameter; a string field is read as a string)
 *   cstring result -> const char *  (NUL-terminated UTF-8; copied after the call; NULL -> null)
 *                   With "free": "x_free" in the export (or "free": "free"), the result is a
 *                   char * the caller owns: after the copy cbox calls x_free(result), which the
 *                   build exports for it (declare it void x_free(char *)).
 *   callback param ("fn:callback(value:i32, userdata)->i32") -> a function pointer,
 *                   int32_t (*fn)(int32_t value, void *userdata); JS passes a function (or null:
 *                   NULL) that the pointer calls while C runs. Its arguments: the scalars above,
 *                   handle (a C object pointer), string (const char *, NUL-terminated), text
 *                   (const char *, size_t), bytes (const void *, size_t), userdata (void *, not
 *                   passed to JS); its result void or a scalar. C may keep the pointer and call it
 *                   in later calls (it reaches the JS function last passed for that parameter), but
 *                   only during a call into the library, never from start-up code.
 *   userdata param -> void * (no JS argument; always NULL: a JS closure carries its own context)
 *   void result  -> void
 *   bytes or string result -> the C function returns void and takes one extra, last
 *                   parameter `cbox_out *out`; it answers with cbox_return_* below. With
 *                   "view": true on a bytes result, JS gets a view of those bytes in the sandbox
 *                   memory, not a copy: valid until the next call into the library.
 *
 * Inputs live in the sandbox's arena and are gone when the call returns: copy what you keep.
 * cbox_alloc() hands out scratch memory from the same arena, released after every call, so
 * results built in it never leak. Memory from malloc() is the library's own state and stays
 * until the sandbox is recycled.
 */
#ifndef CBOX_H
#define CBOX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where a bytes or string result goes. The host reads it after the call returns and checks
 * every field before trusting it (data and len must lie inside the sandbox's memory). */
typedef struct cbox_out {
    const void *data;   /* result bytes: arena, static or library-owned memory */
    size_t len;         /* number of bytes */
    const char *error;  /* non-NULL: the call failed; the host throws CboxCallError(error) */
} cbox_out;

/* Scratch memory released when the current call returns; 16-byte aligned; NULL when the
 * sandbox is out of memory. */
void *cbox_alloc(size_t size);

/* Answer with `len` bytes at `data` (not copied: keep them alive until the call returns). */
void cbox_return_bytes(cbox_out *out, const void *data, size_t len);

/* Answer with a NUL-terminated UTF-8 string (not copied, as above). */
void cbox_return_string(cbox_out *out, const char *text);

/* Allocate `len` bytes of arena scratch as the answer and return them to be filled in;
 * NULL (with an out-of-memory error already set) when they cannot be had. */
uint8_t *cbox_return_alloc(cbox_out *out, size_t len);

/* Fail the call with a message (a static string or arena memory). Not a crash: the sandbox
 * stays as it is, the caller gets a CboxCallError. */
void cbox_return_error(cbox_out *out, const char *message);

/* A result buffer the library owns and reuses from call to call, for answers whose size is only
 * known while they are produced (decompression, query rows). Answer with
 * cbox_return_bytes(out, buffer.data, used): the bytes stay valid until the next call that builds
 * into the buffer. Call cbox_result_buffer_start() at the start of such a call: a buffer that grew
 * past 1 MiB is then given back, so one huge answer does not pin memory. */
typedef struct cbox_result_buffer {
    uint8_t *data;
    size_t capacity;
} cbox_result_buffer;

void cbox_result_buffer_start(cbox_result_buffer *buffer);

/* Room for `need` bytes in all, growing geometrically; 0 when out of memory. */
int cbox_result_buffer_reserve(cbox_result_buffer *buffer, size_t need);

#ifdef __cplusplus
}
#endif

#endif /* CBOX_H */
