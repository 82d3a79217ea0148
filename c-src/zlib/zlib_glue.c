/*
 * zlib_glue.c: cbox's API over zlib (the zlib 1.3.1 sources shipped in the zlib-sync package,
 * taken from node_modules at build time; see cbox.json).
 *
 * zlib is compiled with Z_PREFIX, so its own functions are z_deflate, z_inflate, z_crc32, ...
 * and the plain names are free for the exports below.
 *
 * One-shot (input and output in one call; a failure is a call error with zlib's message):
 *   deflate(data, level) / inflate(data)            zlib format (RFC 1950)
 *   gzip(data, level)    / gunzip(data)             gzip (RFC 1952); gunzip also takes zlib
 *                                                   data and reads concatenated gzip members
 *   deflate_raw(data, level) / inflate_raw(data)    raw deflate (RFC 1951)
 *   level: -1 (zlib's default, 6) or 0..9. The inflaters stop at the end of the (last) stream
 *   and ignore any bytes after it; input that ends before the stream does is an error.
 *
 * Streaming (handles; one result per push, empty when zlib has nothing to hand out yet):
 *   format: 0 zlib, 1 gzip, 2 raw; inflate_new also takes 3 = zlib or gzip, detected.
 *   deflate_new(level, format) -> handle (NULL for a bad level/format or out of memory)
 *   deflate_push(s, chunk, finish) -> bytes     finish = true ends the stream (trailer out);
 *                                               a push after that is an error
 *   deflate_flush(s, chunk) -> bytes            chunk, then a sync flush: everything so far
 *                                               can be decoded by the other side
 *   deflate_end(s)                              frees the stream (any state)
 *   inflate_new(format) -> handle
 *   inflate_push(s, chunk) -> bytes             a corrupt stream is a call error and the
 *                                               stream is dead from then on
 *   inflate_ended(s) -> bool                    the end of the stream has been read
 *   inflate_unused(s) -> u32                    bytes of the last chunk that came after the end
 *   inflate_end(s)                              frees the stream
 *   After the end of a gzip stream (formats 1 and 3) a push whose chunk starts another gzip
 *   member goes on reading it, as gunzip does.
 *
 * Checksums: crc32(data, value) and adler32(data, value) go on from `value` (start with 0 for
 * crc32, 1 for adler32). version() answers zlib's version string ("1.3.1").
 *
 * Results are built in one buffer owned by the library and reused from call to call (valid
 * until the next call; one that grew past 1 MiB is freed at the start of the next call).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zlib.h"
#include "cbox.h"

#ifndef Z_PREFIX_SET
#error "zlib must be built with Z_PREFIX (see cbox.json): the exports reuse zlib's plain names"
#endif
#undef deflate
#undef inflate
#undef crc32
#undef adler32

/* Results whose size is known only while they are produced go into one buffer the library
 * owns and reuses (cbox.h's cbox_result_buffer). */
static cbox_result_buffer result;

static const char *const out_of_memory = "out of memory";

static const char *zlib_message(const z_stream *z, int rc) {
    if (z->msg) return z->msg;
    switch (rc) {
    case Z_MEM_ERROR: return out_of_memory;
    case Z_BUF_ERROR: return "unexpected end of data";
    case Z_NEED_DICT: return "a preset dictionary is needed";
    case Z_DATA_ERROR: return "invalid data";
    case Z_STREAM_ERROR: return "invalid stream state";
    default: return "zlib error";
    }
}

static int window_bits(int32_t format, int inflating) {
    switch (format) {
    case 0: return 15;
    case 1: return 31;
    case 2: return -15;
    case 3: return inflating ? 47 : 0;
    default: return 0;
    }
}

/* Deflate z's input with `flush` into the result buffer from offset *used. Z_OK when all input
 * is consumed and, for Z_FINISH, the stream is complete (then Z_STREAM_END). */
static int pump_deflate(z_stream *z, int flush, size_t *used) {
    for (;;) {
        size_t room = result.capacity - *used;
        if (room < 64) {
            size_t want = *used + (z->avail_in > 16384 ? z->avail_in / 2 : 16384);
            if (!cbox_result_buffer_reserve(&result, want)) return Z_MEM_ERROR;
            room = result.capacity - *used;
        }
        if (room > UINT32_MAX) room = UINT32_MAX;
        z->next_out = result.data + *used;
        z->avail_out = (uInt)room;
        int rc = z_deflate(z, flush);
        *used += room - z->avail_out;
        if (rc == Z_STREAM_END) return Z_STREAM_END;
        if (rc == Z_STREAM_ERROR) return rc;
        /* Z_OK or Z_BUF_ERROR (no progress possible): done once zlib left output room unused,
         * which means it wrote everything this flush mode asks for. */
        if (z->avail_out != 0 && z->avail_in == 0 && flush != Z_FINISH) return Z_OK;
        if (rc == Z_BUF_ERROR && z->avail_out != 0) return Z_BUF_ERROR;
    }
}

/* Inflate z's input into the result buffer from *used. Answers Z_STREAM_END at the end of the
 * stream, Z_OK when all input is consumed before it, or an error code. */
static int pump_inflate(z_stream *z, size_t *used) {
    for (;;) {
        size_t room = result.capacity - *used;
        if (room < 1024) {
            size_t grow = (size_t)z->avail_in * 3;
            if (grow < 16384) grow = 16384;
            if (grow > (64u << 20)) grow = 64u << 20;
            if (!cbox_result_buffer_reserve(&result, *used + grow)) return Z_MEM_ERROR;
            room = result.capacity - *used;
        }
        if (room > UINT32_MAX) room = UINT32_MAX;
        z->next_out = result.data + *used;
        z->avail_out = (uInt)room;
        int rc = z_inflate(z, Z_NO_FLUSH);
        *used += room - z->avail_out;
        if (rc == Z_STREAM_END) return rc;
        if (rc == Z_NEED_DICT || rc == Z_DATA_ERROR || rc == Z_MEM_ERROR || rc == Z_STREAM_ERROR) return rc;
        if (z->avail_in == 0 && z->avail_out != 0) return Z_OK;  /* wants more input */
        if (rc == Z_BUF_ERROR && z->avail_out != 0) return Z_BUF_ERROR;
    }
}

static int gzip_member_follows(const z_stream *z, int wbits) {
    return wbits > 15 && z->avail_in >= 2 && z->next_in[0] == 0x1f && z->next_in[1] == 0x8b;
}

/* ---- one-shot ----------------------------------------------------------------------------- */

static void deflate_once(const uint8_t *data, size_t len, int32_t level, int wbits, cbox_out *out) {
    if (level < -1 || level > 9) { cbox_return_error(out, "level must be -1 (default) or 0..9"); return; }
    if (len > UINT32_MAX) { cbox_return_error(out, "input too large"); return; }
    cbox_result_buffer_start(&result);
    z_stream z;
    memset(&z, 0, sizeof z);
    int rc = deflateInit2(&z, level, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY);
    if (rc != Z_OK) { cbox_return_error(out, zlib_message(&z, rc)); return; }
    if (!cbox_result_buffer_reserve(&result, deflateBound(&z, (uLong)len))) {
        z_deflateEnd(&z);
        cbox_return_error(out, out_of_memory);
        return;
    }
    z.next_in = (z_const Bytef *)data;
    z.avail_in = (uInt)len;
    size_t used = 0;
    rc = pump_deflate(&z, Z_FINISH, &used);
    const char *error = rc == Z_STREAM_END ? NULL : zlib_message(&z, rc);
    z_deflateEnd(&z);
    if (error) cbox_return_error(out, error);
    else cbox_return_bytes(out, result.data, used);
}

static void inflate_once(const uint8_t *data, size_t len, int wbits, cbox_out *out) {
    if (len > UINT32_MAX) { cbox_return_error(out, "input too large"); return; }
    cbox_result_buffer_start(&result);
    z_stream z;
    memset(&z, 0, sizeof z);
    int rc = inflateInit2(&z, wbits);
    if (rc != Z_OK) { cbox_return_error(out, zlib_message(&z, rc)); return; }
    size_t guess = len < (16u << 20) ? len * 4 : len;
    if (!cbox_result_buffer_reserve(&result, guess < 16384 ? 16384 : guess)) {
        z_inflateEnd(&z);
        cbox_return_error(out, out_of_memory);
        return;
    }
    z.next_in = (z_const Bytef *)data;
    z.avail_in = (uInt)len;
    size_t used = 0;
    for (;;) {
        rc = pump_inflate(&z, &used);
        if (rc == Z_STREAM_END && gzip_member_follows(&z, wbits)) {
            rc = z_inflateReset(&z);
            if (rc == Z_OK) continue;
        }
        break;
    }
    /* zlib's messages are static strings: still good after inflateEnd. */
    const char *error = rc == Z_STREAM_END ? NULL : rc == Z_OK ? "unexpected end of data" : zlib_message(&z, rc);
    z_inflateEnd(&z);
    if (error) cbox_return_error(out, error);
    else cbox_return_bytes(out, result.data, used);
}

void deflate(const uint8_t *data, size_t len, int32_t level, cbox_out *out) { deflate_once(data, len, level, 15, out); }
void gzip(const uint8_t *data, size_t len, int32_t level, cbox_out *out) { deflate_once(data, len, level, 31, out); }
void deflate_raw(const uint8_t *data, size_t len, int32_t level, cbox_out *out) { deflate_once(data, len, level, -15, out); }
void inflate(const uint8_t *data, size_t len, cbox_out *out) { inflate_once(data, len, 15, out); }
void gunzip(const uint8_t *data, size_t len, cbox_out *out) { inflate_once(data, len, 47, out); }
void inflate_raw(const uint8_t *data, size_t len, cbox_out *out) { inflate_once(data, len, -15, out); }

uint32_t crc32(const uint8_t *data, size_t len, uint32_t value) {
    return (uint32_t)z_crc32_z(value, data, len);
}
uint32_t adler32(const uint8_t *data, size_t len, uint32_t value) {
    return (uint32_t)z_adler32_z(value, data, len);
}

void version(cbox_out *out) { cbox_return_string(out, z_zlibVersion()); }

/* ---- streaming ---------------------------------------------------------------------------- */

#define DEFLATER_MAGIC 0x5A444631u  /* "ZDF1" */
#define INFLATER_MAGIC 0x5A494631u  /* "ZIF1" */

enum { OPEN, ENDED, FAILED };

struct cbox_zstream {
    uint32_t magic;
    int state;
    int wbits;
    uint32_t unused;
    z_stream z;
};

static struct cbox_zstream *stream_new(uint32_t magic, int wbits) {
    struct cbox_zstream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->magic = magic;
    s->state = OPEN;
    s->wbits = wbits;
    return s;
}

static void stream_free(struct cbox_zstream *s) {
    s->magic = 0;
    free(s);
}

struct cbox_zstream *deflate_new(int32_t level, int32_t format) {
    int wbits = window_bits(format, 0);
    if (!wbits || level < -1 || level > 9) return NULL;
    struct cbox_zstream *s = stream_new(DEFLATER_MAGIC, wbits);
    if (!s) return NULL;
    if (deflateInit2(&s->z, level, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        stream_free(s);
        return NULL;
    }
    return s;
}

static void deflate_chunk(struct cbox_zstream *s, const uint8_t *chunk, size_t len, int flush, cbox_out *out) {
    if (!s || s->magic != DEFLATER_MAGIC) { cbox_return_error(out, "not a live deflate stream (ended already?)"); return; }
    if (s->state != OPEN) { cbox_return_error(out, s->state == ENDED ? "the deflate stream is finished" : "the deflate stream failed"); return; }
    if (len > UINT32_MAX) { cbox_return_error(out, "chunk too large"); return; }
    cbox_result_buffer_start(&result);
    if (!cbox_result_buffer_reserve(&result, 16384)) { cbox_return_error(out, out_of_memory); return; }
    s->z.next_in = (z_const Bytef *)chunk;
    s->z.avail_in = (uInt)len;
    size_t used = 0;
    int rc = pump_deflate(&s->z, flush, &used);
    s->z.next_in = NULL;  /* the chunk is gone after this call */
    s->z.avail_in = 0;
    if (rc == Z_STREAM_END) s->state = ENDED;
    else if (rc != Z_OK) {
        s->state = FAILED;
        cbox_return_error(out, zlib_message(&s->z, rc));
        return;
    }
    cbox_return_bytes(out, result.data, used);
}

void deflate_push(struct cbox_zstream *s, const uint8_t *chunk, size_t len, int finish, cbox_out *out) {
    deflate_chunk(s, chunk, len, finish ? Z_FINISH : Z_NO_FLUSH, out);
}

void deflate_flush(struct cbox_zstream *s, const uint8_t *chunk, size_t len, cbox_out *out) {
    deflate_chunk(s, chunk, len, Z_SYNC_FLUSH, out);
}

void deflate_end(struct cbox_zstream *s) {
    if (!s || s->magic != DEFLATER_MAGIC) return;
    z_deflateEnd(&s->z);
    stream_free(s);
}

struct cbox_zstream *inflate_new(int32_t format) {
    int wbits = window_bits(format, 1);
    if (!wbits) return NULL;
    struct cbox_zstream *s = stream_new(INFLATER_MAGIC, wbits);
    if (!s) return NULL;
    if (inflateInit2(&s->z, wbits) != Z_OK) {
        stream_free(s);
        return NULL;
    }
    return s;
}

void inflate_push(struct cbox_zstream *s, const uint8_t *chunk, size_t len, cbox_out *out) {
    if (!s || s->magic != INFLATER_MAGIC) { cbox_return_error(out, "not a live inflate stream (ended already?)"); return; }
    if (s->state == FAILED) { cbox_return_error(out, "the inflate stream failed"); return; }
    if (len > UINT32_MAX) { cbox_return_error(out, "chunk too large"); return; }
    cbox_result_buffer_start(&result);
    s->z.next_in = (z_const Bytef *)chunk;
    s->z.avail_in = (uInt)len;
    if (s->state == ENDED) {
        /* Only another gzip member may follow the end. */
        if (len == 0) { s->unused = 0; cbox_return_bytes(out, "", 0); return; }
        if (!gzip_member_follows(&s->z, s->wbits)) {
            s->unused = (uint32_t)len;
            s->z.next_in = NULL;
            s->z.avail_in = 0;
            cbox_return_bytes(out, "", 0);
            return;
        }
        if (z_inflateReset(&s->z) != Z_OK) { s->state = FAILED; cbox_return_error(out, "invalid stream state"); return; }
        s->state = OPEN;
    }
    if (!cbox_result_buffer_reserve(&result, 16384)) { cbox_return_error(out, out_of_memory); return; }
    size_t used = 0;
    int rc;
    for (;;) {
        rc = pump_inflate(&s->z, &used);
        if (rc == Z_STREAM_END && gzip_member_follows(&s->z, s->wbits) && z_inflateReset(&s->z) == Z_OK) continue;
        break;
    }
    s->unused = 0;
    if (rc == Z_STREAM_END) {
        s->state = ENDED;
        s->unused = s->z.avail_in;
    } else if (rc != Z_OK) {
        s->state = FAILED;
        s->z.next_in = NULL;
        s->z.avail_in = 0;
        cbox_return_error(out, zlib_message(&s->z, rc));
        return;
    }
    s->z.next_in = NULL;
    s->z.avail_in = 0;
    cbox_return_bytes(out, result.data, used);
}

int inflate_ended(struct cbox_zstream *s) {
    return s && s->magic == INFLATER_MAGIC && s->state == ENDED;
}

uint32_t inflate_unused(struct cbox_zstream *s) {
    return s && s->magic == INFLATER_MAGIC ? s->unused : 0;
}

void inflate_end(struct cbox_zstream *s) {
    if (!s || s->magic != INFLATER_MAGIC) return;
    z_inflateEnd(&s->z);
    stream_free(s);
}
