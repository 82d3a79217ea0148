/*
 * zlib_glue.c: node:zlib's engine over zlib (the zlib 1.3.1 sources shipped in the zlib-sync
 * package, taken from node_modules at build time; see cbox.json), for libraries/zlib.
 *
 * zlib is compiled with Z_PREFIX, so its own functions are z_deflate, z_inflate, z_crc32, ...
 * and the plain names are free for the exports below.
 *
 * The engine is a port of Node's ZlibContext (src/node_zlib.cc): the same modes (node's
 * constants: 1 DEFLATE, 2 INFLATE, 3 GZIP, 4 GUNZIP, 5 DEFLATERAW, 6 INFLATERAW, 7 UNZIP), the
 * same windowBits arithmetic, dictionaries, gzip members read one after another (trailing zero
 * bytes allowed), and the same error rules and messages, so results and failures match Node's.
 * The caller (libraries/zlib) has validated every option as node:zlib does; zlib checks them
 * again and refuses what is out of range.
 *
 *   process(mode, level, windowBits, memLevel, strategy, dictionary, data, flush, maxOutput)
 *       One shot: all of data with `flush` (node's finishFlush), the whole result in one answer.
 *       More than maxOutput bytes of output stop it with OUTPUT_TOO_LARGE.
 *   stream_new(mode, level, windowBits, memLevel, strategy, dictionary) -> handle (NULL: see
 *       last_error(); Z_MEM_ERROR also when less than 128 KiB would be left for the stream to
 *       grow into); stream_end(s) frees it. Input comes in pieces of at most 64 KiB, copied
 *       into the stream's own buffer (larger ones still work: the buffer grows).
 *   stream_write(s, chunk, flush, more, outSize) -> at most outSize bytes of output.
 *       more = false: chunk is new input (what was left of the previous one is dropped, as Node
 *       does); more = true: go on with what is left (chunk ignored). An answer of exactly
 *       outSize bytes means there may be more: call again with more = true.
 *   stream_total_in(s) -> input bytes consumed so far (bytesWritten).
 *   stream_params(s, level, strategy), stream_reset(s) -> zlib's code (0 = Z_OK).
 *   last_error() -> the code of the last failure: zlib's (Z_DATA_ERROR, ...) or OUTPUT_TOO_LARGE.
 *   crc32(data, value) goes on from `value`; version() is zlib's version string.
 *
 * One-shot results are built in one buffer owned by the library and reused from call to call.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zlib.h"
#include "libdeflate.h"
#include "cbox.h"

#ifndef Z_PREFIX_SET
#error "zlib must be built with Z_PREFIX (see cbox.json): the exports reuse zlib's plain names"
#endif
#undef crc32

enum { NONE, DEFLATE, INFLATE, GZIP, GUNZIP, DEFLATERAW, INFLATERAW, UNZIP };

/* Not a zlib code: the output passed maxOutput. */
#define OUTPUT_TOO_LARGE 100

#define GZIP_HEADER_ID1 0x1f
#define GZIP_HEADER_ID2 0x8b

static cbox_result_buffer result;
static int32_t last_code;

struct engine {
    uint32_t magic;
    int mode;
    int err;
    int gzip_id_bytes_read;
    uint8_t *dictionary;
    uInt dictionary_len;
    uint8_t *input;        /* streams: a copy of the chunk being worked on */
    size_t input_capacity;
    double total_in;
    z_stream z;
};

#define STREAM_MAGIC 0x5A4E4F44u  /* "ZNOD" */
/* The caller writes input in pieces of at most this (libraries/zlib/stream-engine.ts, INPUT_PIECE). */
#define STREAM_INPUT (64u << 10)
#define STREAM_HEADROOM (128u << 10)

static int32_t fail(cbox_out *out, int32_t code, const char *message) {
    last_code = code;
    cbox_return_error(out, message);
    return code;
}

static int deflating(int mode) { return mode == DEFLATE || mode == GZIP || mode == DEFLATERAW; }

static int set_dictionary(struct engine *e) {
    if (e->dictionary_len == 0) return Z_OK;
    switch (e->mode) {
    case DEFLATE:
    case DEFLATERAW: return z_deflateSetDictionary(&e->z, e->dictionary, e->dictionary_len);
    case INFLATERAW: return z_inflateSetDictionary(&e->z, e->dictionary, e->dictionary_len);
    default: return Z_OK;
    }
}

/* Node's ZlibContext::Init and SetDictionary. Z_OK or zlib's code. */
static int engine_init(struct engine *e, int32_t mode, int32_t level, int32_t window_bits, int32_t mem_level,
                       int32_t strategy, const uint8_t *dictionary, size_t dictionary_len) {
    memset(e, 0, sizeof *e);
    if (mode < DEFLATE || mode > UNZIP || dictionary_len > UINT32_MAX) return Z_STREAM_ERROR;
    if (dictionary_len > 0) {
        e->dictionary = malloc(dictionary_len);
        if (!e->dictionary) return Z_MEM_ERROR;
        memcpy(e->dictionary, dictionary, dictionary_len);
        e->dictionary_len = (uInt)dictionary_len;
    }
    switch (mode) {
    case GZIP:
    case GUNZIP: window_bits += 16; break;
    case UNZIP: window_bits += 32; break;
    case DEFLATERAW:
    case INFLATERAW: window_bits *= -1; break;
    }
    /* zlib refuses a 256-byte window for raw deflate; Node's build takes it as 512, so does this. */
    if (mode == DEFLATERAW && window_bits == -8) window_bits = -9;
    int rc = deflating(mode)
        ? deflateInit2(&e->z, level, Z_DEFLATED, window_bits, mem_level, strategy)
        : inflateInit2(&e->z, window_bits);
    if (rc != Z_OK) {
        free(e->dictionary);
        e->dictionary = NULL;
        return rc;
    }
    e->mode = mode;
    return set_dictionary(e);
}

static void engine_free(struct engine *e) {
    if (e->mode != NONE) {
        if (deflating(e->mode)) z_deflateEnd(&e->z);
        else z_inflateEnd(&e->z);
    }
    e->mode = NONE;
    free(e->dictionary);
    free(e->input);
    e->dictionary = NULL;
    e->input = NULL;
}

/* Node's ZlibContext::ResetStream (UNZIP, once it knows its format, is INFLATE or GUNZIP). */
static int engine_reset(struct engine *e) {
    int rc = Z_OK;
    switch (e->mode) {
    case DEFLATE:
    case DEFLATERAW:
    case GZIP: rc = z_deflateReset(&e->z); break;
    case INFLATE:
    case INFLATERAW:
    case GUNZIP: rc = z_inflateReset(&e->z); break;
    }
    e->err = Z_OK;
    return rc != Z_OK ? rc : set_dictionary(e);
}

/* Node's ZlibContext::DoThreadPoolWork: one call into zlib with the current buffers. */
static void engine_step(struct engine *e, int flush) {
    const Bytef *next_expected_header_byte = NULL;
    uInt in_before = e->z.avail_in;
    switch (e->mode) {
    case DEFLATE:
    case GZIP:
    case DEFLATERAW:
        e->err = z_deflate(&e->z, flush);
        break;
    case UNZIP:
        if (e->z.avail_in > 0) next_expected_header_byte = e->z.next_in;
        if (e->gzip_id_bytes_read == 0) {
            if (next_expected_header_byte == NULL) goto inflate;
            if (*next_expected_header_byte != GZIP_HEADER_ID1) { e->mode = INFLATE; goto inflate; }
            e->gzip_id_bytes_read = 1;
            next_expected_header_byte++;
            if (e->z.avail_in == 1) goto inflate;  /* the only byte there was is read */
        }
        if (next_expected_header_byte == NULL) goto inflate;
        if (*next_expected_header_byte == GZIP_HEADER_ID2) {
            e->gzip_id_bytes_read = 2;
            e->mode = GUNZIP;
        } else {
            e->mode = INFLATE;
        }
        /* fall through */
    case INFLATE:
    case GUNZIP:
    case INFLATERAW:
    inflate:
        e->err = z_inflate(&e->z, flush);
        if (e->mode != INFLATERAW && e->err == Z_NEED_DICT && e->dictionary_len > 0) {
            e->err = z_inflateSetDictionary(&e->z, e->dictionary, e->dictionary_len);
            if (e->err == Z_OK) e->err = z_inflate(&e->z, flush);
            else if (e->err == Z_DATA_ERROR) e->err = Z_NEED_DICT;  /* a bad dictionary, not bad input */
        }
        /* More bytes after a gzip member: another member, or trailing garbage; zeros are padding. */
        while (e->z.avail_in > 0 && e->mode == GUNZIP && e->err == Z_STREAM_END && e->z.next_in[0] != 0) {
            e->err = engine_reset(e);
            if (e->err != Z_OK) break;
            e->err = z_inflate(&e->z, flush);
        }
        break;
    default:
        e->err = Z_STREAM_ERROR;
    }
    e->total_in += in_before - e->z.avail_in;
}

/* Node's ZlibContext::GetErrorInfo: NULL when the step went well, else the message and *code. */
static const char *engine_error(const struct engine *e, int flush, int32_t *code) {
    const char *message;
    switch (e->err) {
    case Z_OK:
    case Z_BUF_ERROR:
        if (e->z.avail_out == 0 || flush != Z_FINISH) return NULL;
        message = "unexpected end of file";
        break;
    case Z_STREAM_END: return NULL;
    case Z_NEED_DICT: message = e->dictionary_len ? "Bad dictionary" : "Missing dictionary"; break;
    case Z_MEM_ERROR: message = "out of memory"; break;
    default: message = "Zlib error";
    }
    *code = e->err;
    return e->z.msg ? e->z.msg : message;
}

/* ---- one shot ---------------------------------------------------------------------------- */

/*
 * One-shot compression of a whole buffer with the default window, strategy and no dictionary:
 * libdeflate (Debian's source package, see cbox.json) instead of zlib's deflate. It writes a valid
 * stream of the same format (other bytes than zlib's, as node's own zlib writes other bytes than
 * zlib 1.3.1), about twice as fast at level 6. memLevel only tunes zlib's speed: ignored here.
 * A gzip header gets zlib's XFL and OS bytes, as node's does. Compressors are kept per level; when
 * one cannot be had (a small memoryLimit), the answer is -1 and zlib does the work.
 */
static struct libdeflate_compressor *compressors[10];

static int one_shot_deflate(int32_t mode, int32_t level, const uint8_t *data, size_t len, uint32_t max_output, cbox_out *out) {
    if (level == Z_DEFAULT_COMPRESSION) level = 6;
    if (!compressors[level] && !(compressors[level] = libdeflate_alloc_compressor(level))) return -1;
    struct libdeflate_compressor *c = compressors[level];
    size_t bound = mode == GZIP ? libdeflate_gzip_compress_bound(c, len)
                 : mode == DEFLATE ? libdeflate_zlib_compress_bound(c, len) : libdeflate_deflate_compress_bound(c, len);
    if (!cbox_result_buffer_reserve(&result, bound)) return fail(out, Z_MEM_ERROR, "out of memory");
    size_t used = mode == GZIP ? libdeflate_gzip_compress(c, data, len, result.data, bound)
                : mode == DEFLATE ? libdeflate_zlib_compress(c, data, len, result.data, bound)
                : libdeflate_deflate_compress(c, data, len, result.data, bound);
    if (used == 0) return fail(out, Z_BUF_ERROR, "compression failed");
    if (used > max_output) return fail(out, OUTPUT_TOO_LARGE, "output too large");
    if (mode == GZIP) {
        result.data[8] = level == 9 ? 2 : level < 2 ? 4 : 0;  /* zlib's XFL */
        result.data[9] = 3;                                  /* zlib's OS_CODE: Unix */
    }
    cbox_return_bytes(out, result.data, used);
    return Z_OK;
}

void process(int32_t mode, int32_t level, int32_t window_bits, int32_t mem_level, int32_t strategy,
             const uint8_t *dictionary, size_t dictionary_len, const uint8_t *data, size_t len,
             int32_t flush, uint32_t max_output, cbox_out *out) {
    if (len > UINT32_MAX) { fail(out, Z_BUF_ERROR, "input too large"); return; }
    if (deflating(mode) && flush == Z_FINISH && dictionary_len == 0 && window_bits == 15 && strategy == Z_DEFAULT_STRATEGY
        && level >= Z_DEFAULT_COMPRESSION && level <= 9 && mem_level >= 1 && mem_level <= 9) {
        cbox_result_buffer_start(&result);
        if (one_shot_deflate(mode, level, data, len, max_output, out) != -1) return;
    }
    cbox_result_buffer_start(&result);
    struct engine e;
    int rc = engine_init(&e, mode, level, window_bits, mem_level, strategy, dictionary, dictionary_len);
    if (rc != Z_OK) {
        engine_free(&e);
        fail(out, rc, rc == Z_MEM_ERROR ? "out of memory" : "Initialization failed");
        return;
    }
    /* Room for more than max_output bytes is never needed: one byte past it is the failure. */
    const uint64_t cap = (uint64_t)max_output + 1;
    uint64_t want = deflating(mode) ? (uint64_t)z_deflateBound(&e.z, (uLong)len) + 64 : len < (4u << 20) ? len * 4 : len;
    if (want < 1024) want = 1024;
    if (want > cap) want = cap;
    e.z.next_in = (z_const Bytef *)data;
    e.z.avail_in = (uInt)len;
    size_t used = 0;
    for (;;) {
        if (want > SIZE_MAX || !cbox_result_buffer_reserve(&result, (size_t)want)) { engine_free(&e); fail(out, Z_MEM_ERROR, "out of memory"); return; }
        size_t room = result.capacity - used;
        if (room > UINT32_MAX) room = UINT32_MAX;
        e.z.next_out = result.data + used;
        e.z.avail_out = (uInt)room;
        engine_step(&e, flush);
        used += room - e.z.avail_out;
        int32_t code;
        const char *error = engine_error(&e, flush, &code);
        if (error) { engine_free(&e); fail(out, code, error); return; }  /* zlib's messages are static */
        if (used > max_output) { engine_free(&e); fail(out, OUTPUT_TOO_LARGE, "output too large"); return; }
        if (e.z.avail_out != 0) break;
        want = (uint64_t)used + (used < 16384 ? 16384 : used);
        if (want > cap) want = cap;
    }
    engine_free(&e);
    cbox_return_bytes(out, result.data, used);
}

int32_t last_error(void) { return last_code; }

uint32_t crc32(const uint8_t *data, size_t len, uint32_t value) {
    return (uint32_t)z_crc32_z(value, data, len);
}

void version(cbox_out *out) { cbox_return_string(out, z_zlibVersion()); }

/* ---- streams ----------------------------------------------------------------------------- */

static struct engine *live(struct engine *s) {
    return s && s->magic == STREAM_MAGIC ? s : NULL;
}

struct engine *stream_new(int32_t mode, int32_t level, int32_t window_bits, int32_t mem_level, int32_t strategy,
                          const uint8_t *dictionary, size_t dictionary_len) {
    struct engine *s = malloc(sizeof *s);
    if (!s) { last_code = Z_MEM_ERROR; return NULL; }
    int rc = engine_init(s, mode, level, window_bits, mem_level, strategy, dictionary, dictionary_len);
    if (rc != Z_OK) {
        engine_free(s);
        free(s);
        last_code = rc;
        return NULL;
    }
    /* The input copy is allocated now, and room checked for what the stream allocates later
     * (inflate's window): a sandbox nearly full of other streams says no now, so the caller can
     * use another one, rather than fail this stream in the middle. */
    s->input = malloc(STREAM_INPUT);
    void *headroom = s->input ? malloc(STREAM_HEADROOM) : NULL;
    if (!headroom) {
        engine_free(s);
        free(s);
        last_code = Z_MEM_ERROR;
        return NULL;
    }
    free(headroom);
    s->input_capacity = STREAM_INPUT;
    s->magic = STREAM_MAGIC;
    return s;
}

void stream_write(struct engine *s, const uint8_t *chunk, size_t len, int32_t flush, int more, uint32_t out_size,
                  cbox_out *out) {
    if (!live(s) || s->mode == NONE) { fail(out, Z_STREAM_ERROR, "zlib binding closed"); return; }
    if (out_size == 0) { fail(out, Z_BUF_ERROR, "no room for output"); return; }
    if (!more) {
        if (len > UINT32_MAX) { fail(out, Z_BUF_ERROR, "chunk too large"); return; }
        if (len > s->input_capacity) {
            uint8_t *grown = realloc(s->input, len);
            if (!grown) { fail(out, Z_MEM_ERROR, "out of memory"); return; }
            s->input = grown;
            s->input_capacity = len;
        }
        if (len > 0) memcpy(s->input, chunk, len);
        s->z.next_in = s->input;
        s->z.avail_in = (uInt)len;
    }
    cbox_result_buffer_start(&result);
    if (!cbox_result_buffer_reserve(&result, out_size)) { fail(out, Z_MEM_ERROR, "out of memory"); return; }
    s->z.next_out = result.data;
    s->z.avail_out = out_size;
    engine_step(s, flush);
    int32_t code;
    const char *error = engine_error(s, flush, &code);
    if (error) { fail(out, code, error); return; }
    cbox_return_bytes(out, result.data, out_size - s->z.avail_out);
}

double stream_total_in(struct engine *s) { return live(s) ? s->total_in : 0; }

int32_t stream_params(struct engine *s, int32_t level, int32_t strategy) {
    if (!live(s) || !deflating(s->mode)) return Z_STREAM_ERROR;
    /* Node flushes (Z_SYNC_FLUSH) before this, so deflateParams has nothing left to write; the
     * scratch room only satisfies deflate's checks, and output landing there would be lost. */
    static uint8_t scratch[64];
    s->z.next_out = scratch;
    s->z.avail_out = sizeof scratch;
    int rc = z_deflateParams(&s->z, level, strategy);
    if (s->z.avail_out != sizeof scratch) return Z_STREAM_ERROR;
    return rc == Z_BUF_ERROR ? Z_OK : rc;
}

int32_t stream_reset(struct engine *s) {
    if (!live(s)) return Z_STREAM_ERROR;
    s->z.avail_in = 0;
    return engine_reset(s);
}

void stream_end(struct engine *s) {
    if (!live(s)) return;
    s->magic = 0;
    engine_free(s);
    free(s);
}
