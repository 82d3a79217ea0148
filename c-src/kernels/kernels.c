/*
 * kernels: compute kernels for cbox's benchmarks. Real algorithms on real inputs, written as
 * portable C11: the same file builds for wasm32-wasi (`cbox build`) and natively (the N-API
 * addon), and both builds must give bit-identical answers. That is why the image kernels use
 * integer fixed point and matmul_f32 asks for no floating-point contraction (no FMA).
 *
 * Byte inputs may sit at any alignment, so multi-byte loads go through memcpy-free helpers that
 * assemble little-endian values from bytes (compilers turn them into one load where legal).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cbox.h"

/* No fused multiply-add: a*b+c must round twice, as in wasm (which has no scalar FMA) and in
 * JavaScript, or native builds for FMA-capable CPUs would answer differently. clang honours the
 * standard pragma (unless built with -ffp-contract=fast); GCC ignores it and, in its GNU
 * dialects, contracts by default, so matmul_f32 also carries GCC's optimize attribute. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif
#if defined(__GNUC__) && !defined(__clang__)
#define NO_FP_CONTRACT __attribute__((optimize("fp-contract=off")))
#else
#define NO_FP_CONTRACT
#endif

/* ------------------------------------------------------------------------------------------ */
/* Little helpers                                                                              */
/* ------------------------------------------------------------------------------------------ */

static inline uint32_t load_le32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t load_le64(const uint8_t *p) {
    return (uint64_t)load_le32(p) | ((uint64_t)load_le32(p + 4) << 32);
}

static inline void store_le32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Writes the decimal digits of `value` at `dst`, returns the number of characters written. */
static size_t format_u64(char *dst, uint64_t value) {
    char digits[20];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + (int)(value % 10));
        value /= 10;
    } while (value != 0);
    for (size_t i = 0; i < n; i++) dst[i] = digits[n - 1 - i];
    return n;
}

/* "<prefix><number><suffix>" in arena memory, or the prefix alone when the arena is full.
 * Keeps printf out of the module. */
static const char *message_with_number(const char *prefix, uint64_t number, const char *suffix) {
    size_t prefix_len = strlen(prefix), suffix_len = strlen(suffix);
    char *text = cbox_alloc(prefix_len + 20 + suffix_len + 1);
    if (!text) return prefix;
    memcpy(text, prefix, prefix_len);
    size_t at = prefix_len + format_u64(text + prefix_len, number);
    memcpy(text + at, suffix, suffix_len);
    text[at + suffix_len] = '\0';
    return text;
}

/* ------------------------------------------------------------------------------------------ */
/* Lookup tables                                                                               */
/* ------------------------------------------------------------------------------------------ */

static uint32_t crc_table[8][256];   /* CRC-32 slicing-by-8 tables, see crc32() */
static uint8_t base64_reverse[256];  /* character -> 6-bit value, 0xFF outside the alphabet */
static const char base64_alphabet[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static int tables_ready;

/* Filled in once, before any call: by the module's constructors (wasm reactors run them in
 * _initialize, a native shared library when it is loaded), so concurrent native callers only
 * ever read them. Compilers without constructor support fall back to filling them on first use
 * (every user checks tables_ready). */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((constructor))
#endif
static void tables_init(void) {
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t c = b;
        for (int bit = 0; bit < 8; bit++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
        crc_table[0][b] = c;
    }
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t c = crc_table[0][b];
        for (int k = 1; k < 8; k++) {
            c = crc_table[0][c & 0xFF] ^ (c >> 8);
            crc_table[k][b] = c;
        }
    }
    memset(base64_reverse, 0xFF, sizeof base64_reverse);
    for (int i = 0; i < 64; i++) base64_reverse[(uint8_t)base64_alphabet[i]] = (uint8_t)i;
    tables_ready = 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Call-overhead and bulk-data benchmarks                                                       */
/* ------------------------------------------------------------------------------------------ */

void noop(void) {}

int32_t add_i32(int32_t a, int32_t b) {
    return (int32_t)((uint32_t)a + (uint32_t)b); /* wraps like JS's `| 0`, no signed overflow */
}

void echo(const uint8_t *data, size_t len, cbox_out *out) {
    uint8_t *copy = cbox_return_alloc(out, len);
    if (copy && len) memcpy(copy, data, len);
}

uint64_t sum_u8(const uint8_t *data, size_t len) {
    uint64_t total = 0;
    size_t i = 0;
    /* SWAR: four 16-bit lanes per 64-bit word, each lane gains at most 2 * 255 per word, so
     * 128 words (1 KiB) fit before a lane could pass 65535 and has to be folded into total. */
    const uint64_t even_bytes = UINT64_C(0x00FF00FF00FF00FF);
    while (len - i >= 8) {
        size_t words = (len - i) / 8;
        if (words > 128) words = 128;
        uint64_t lanes = 0;
        for (size_t w = 0; w < words; w++, i += 8) {
            uint64_t v = load_le64(data + i);
            lanes += (v & even_bytes) + ((v >> 8) & even_bytes);
        }
        total += (lanes & 0xFFFF) + ((lanes >> 16) & 0xFFFF) + ((lanes >> 32) & 0xFFFF) + (lanes >> 48);
    }
    for (; i < len; i++) total += data[i];
    return total;
}

/* ------------------------------------------------------------------------------------------ */
/* Checksums                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* CRC-32 (IEEE 802.3, as zlib): reflected polynomial 0xEDB88320, init and final xor all ones.
 * Slicing-by-8: crc_table[k][b] is the CRC of byte b followed by k zero bytes, so eight input
 * bytes are folded with eight table lookups and no per-byte dependency chain. */
static uint32_t crc_table[8][256];
uint32_t crc32(const uint8_t *data, size_t len) {
    if (!tables_ready) tables_init();
    uint32_t crc = 0xFFFFFFFFu;
    const uint8_t *p = data;
    while (len >= 8) {
        uint32_t lo = load_le32(p) ^ crc;
        uint32_t hi = load_le32(p + 4);
        crc = crc_table[7][lo & 0xFF] ^ crc_table[6][(lo >> 8) & 0xFF] ^
              crc_table[5][(lo >> 16) & 0xFF] ^ crc_table[4][lo >> 24] ^
              crc_table[3][hi & 0xFF] ^ crc_table[2][(hi >> 8) & 0xFF] ^
              crc_table[1][(hi >> 16) & 0xFF] ^ crc_table[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len--) crc = crc_table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

/* Adler-32 (RFC 1950, as zlib). NMAX is the largest n with 255n(n+1)/2 + (n+1)(BASE-1) below
 * 2^32: that many bytes can be summed before the modulo must be taken. */
#define ADLER_BASE 65521u
#define ADLER_NMAX 5552u

uint32_t adler32(const uint8_t *data, size_t len) {
    uint32_t a = 1, b = 0;
    while (len > 0) {
        size_t block = len < ADLER_NMAX ? len : ADLER_NMAX;
        len -= block;
        while (block >= 16) {
            for (int k = 0; k < 16; k++) {
                a += data[k];
                b += a;
            }
            data += 16;
            block -= 16;
        }
        while (block--) {
            a += *data++;
            b += a;
        }
        a %= ADLER_BASE;
        b %= ADLER_BASE;
    }
    return (b << 16) | a;
}

/* FNV-1a, 64-bit: xor the byte in, then multiply by the FNV prime. */
uint64_t fnv1a64(const uint8_t *data, size_t len) {
    uint64_t hash = UINT64_C(0xCBF29CE484222325);
    for (size_t i = 0; i < len; i++) {
        hash ^= data[i];
        hash *= UINT64_C(0x00000100000001B3);
    }
    return hash;
}

/* ------------------------------------------------------------------------------------------ */
/* UTF-8                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* Well-formed UTF-8 per Unicode table 3-7: no overlong forms, no surrogates (U+D800..DFFF),
 * nothing above U+10FFFF, no truncated sequences. Accepts exactly what
 * new TextDecoder('utf-8', { fatal: true }) accepts (a BOM is ordinary U+FEFF here). */
int utf8_valid(const uint8_t *data, size_t len) {
    size_t i = 0;
    while (i < len) {
        /* ASCII fast path: eight bytes at a time while none has its top bit set. */
        while (len - i >= 8 && (load_le64(data + i) & UINT64_C(0x8080808080808080)) == 0) i += 8;
        if (i >= len) break;
        uint8_t c = data[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0) lo = 0xA0;       /* overlong below U+0800 */
            else if (c == 0xED) hi = 0x9F;  /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0) lo = 0x90;       /* overlong below U+10000 */
            else if (c == 0xF4) hi = 0x8F;  /* above U+10FFFF */
        } else {
            return 0;                       /* 0x80..0xC1 (continuation, overlong) or 0xF5.. */
        }
        if (len - i <= need) return 0;      /* truncated */
        if (data[i + 1] < lo || data[i + 1] > hi) return 0;
        for (size_t k = 2; k <= need; k++) {
            if ((data[i + k] & 0xC0) != 0x80) return 0;
        }
        i += need + 1;
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Base64 (RFC 4648, standard alphabet, with padding)                                          */
/* ------------------------------------------------------------------------------------------ */

void base64_encode(const uint8_t *data, size_t len, cbox_out *out) {
    size_t groups = len / 3 + (len % 3 != 0);
    if (groups > SIZE_MAX / 4) {
        cbox_return_error(out, "base64_encode: input too large");
        return;
    }
    uint8_t *dst = cbox_return_alloc(out, groups * 4);
    if (!dst) return;
    size_t i = 0;
    for (; len - i >= 3; i += 3) {
        uint32_t v = ((uint32_t)data[i] << 16) | ((uint32_t)data[i + 1] << 8) | data[i + 2];
        dst[0] = (uint8_t)base64_alphabet[v >> 18];
        dst[1] = (uint8_t)base64_alphabet[(v >> 12) & 63];
        dst[2] = (uint8_t)base64_alphabet[(v >> 6) & 63];
        dst[3] = (uint8_t)base64_alphabet[v & 63];
        dst += 4;
    }
    size_t rest = len - i;
    if (rest > 0) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (rest == 2) v |= (uint32_t)data[i + 1] << 8;
        dst[0] = (uint8_t)base64_alphabet[v >> 18];
        dst[1] = (uint8_t)base64_alphabet[(v >> 12) & 63];
        dst[2] = rest == 2 ? (uint8_t)base64_alphabet[(v >> 6) & 63] : (uint8_t)'=';
        dst[3] = (uint8_t)'=';
    }
}

/* Strict: the length is a multiple of 4, only the alphabet (no whitespace, no URL-safe
 * characters), '=' only as one or two final padding characters, and the padding bits of the
 * last group are zero (the canonical encoding, so decode then encode gives the text back). */
static void base64_bad_character(const uint8_t *s, size_t at, cbox_out *out) {
    cbox_return_error(out, message_with_number(s[at] == '='
        ? "invalid base64: '=' before the end at offset "
        : "invalid base64: character outside the alphabet at offset ", at, ""));
}

void base64_decode(const char *text, cbox_out *out) {
    if (!tables_ready) tables_init();
    const uint8_t *s = (const uint8_t *)text;
    size_t len = strlen(text);
    if (len % 4 != 0) {
        cbox_return_error(out, message_with_number("invalid base64: length ", len, " is not a multiple of 4"));
        return;
    }
    size_t pad = 0;
    if (len >= 4 && s[len - 1] == '=') pad = s[len - 2] == '=' ? 2 : 1;
    uint8_t *dst = cbox_return_alloc(out, len / 4 * 3 - pad);
    if (!dst || len == 0) return;
    size_t full = pad ? len - 4 : len; /* groups without padding */
    for (size_t i = 0; i < full; i += 4) {
        uint32_t v0 = base64_reverse[s[i]], v1 = base64_reverse[s[i + 1]];
        uint32_t v2 = base64_reverse[s[i + 2]], v3 = base64_reverse[s[i + 3]];
        if ((v0 | v1 | v2 | v3) & 0x80) {
            size_t at = i;
            while (base64_reverse[s[at]] != 0xFF) at++;
            base64_bad_character(s, at, out);
            return;
        }
        uint32_t v = (v0 << 18) | (v1 << 12) | (v2 << 6) | v3;
        dst[0] = (uint8_t)(v >> 16);
        dst[1] = (uint8_t)(v >> 8);
        dst[2] = (uint8_t)v;
        dst += 3;
    }
    if (pad) {
        uint32_t v = 0;
        for (size_t j = 0; j < 4 - pad; j++) {
            uint32_t value = base64_reverse[s[full + j]];
            if (value == 0xFF) {
                base64_bad_character(s, full + j, out);
                return;
            }
            v |= value << (18 - 6 * j);
        }
        if ((v & (pad == 1 ? 0xFFu : 0xFFFFu)) != 0) {
            cbox_return_error(out, "invalid base64: non-zero padding bits in the last group");
            return;
        }
        dst[0] = (uint8_t)(v >> 16);
        if (pad == 1) dst[1] = (uint8_t)(v >> 8);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Images (RGBA8, rows top to bottom, no padding)                                              */
/* ------------------------------------------------------------------------------------------ */

static int check_image(const char *fn, size_t len, uint32_t width, uint32_t height, cbox_out *out) {
    uint64_t expected = (uint64_t)width * height * 4u;
    if ((uint64_t)len != expected) {
        size_t fn_len = strlen(fn);
        static const char middle[] = ": pixels must be width*height*4 = ";
        char *text = cbox_alloc(fn_len + sizeof middle + 60);
        if (!text) {
            cbox_return_error(out, "pixels length does not match width*height*4");
            return 0;
        }
        char *at = text;
        memcpy(at, fn, fn_len);
        at += fn_len;
        memcpy(at, middle, sizeof middle - 1);
        at += sizeof middle - 1;
        at += format_u64(at, expected);
        memcpy(at, " bytes, got ", 12);
        at += 12;
        at += format_u64(at, len);
        *at = '\0';
        cbox_return_error(out, text);
        return 0;
    }
    return 1;
}

/* Divides sums of at most 255*d by d, rounding halves up, as floor((sum + d/2) / d), with a
 * multiply: m = ceil(2^42 / d). For n = sum + d/2 < 256d and the error e = m*d - 2^42 < d,
 * n*e < 256*d^2 <= 2^42 whenever d < 2^17, which keeps floor(n*m / 2^42) exact. */
#define BLUR_MAX_RADIUS 65535u
#define BLUR_SHIFT 42

static inline uint8_t blur_div(uint32_t sum, uint32_t half, uint64_t m) {
    return (uint8_t)(((uint64_t)(sum + half) * m) >> BLUR_SHIFT);
}

/* Horizontal pass over one row of `width` pixels: a sliding window of 2r+1 pixels with the edge
 * pixels repeated past the borders. */
static void blur_row(const uint8_t *src, uint8_t *dst, uint32_t width, uint32_t radius, uint32_t half, uint64_t m) {
    uint32_t last = width - 1;
    uint32_t sum[4];
    uint32_t inside = radius < last ? radius : last; /* pixels 1..inside lie in the row */
    uint32_t beyond = radius - inside;               /* window slots past the right edge */
    for (int c = 0; c < 4; c++) {
        uint32_t s = (radius + 1) * src[c] + beyond * src[(size_t)last * 4 + c];
        for (uint32_t x = 1; x <= inside; x++) s += src[(size_t)x * 4 + c];
        sum[c] = s;
    }
    for (uint32_t x = 0; x < width; x++) {
        uint64_t ahead = (uint64_t)x + radius + 1;
        size_t add = (size_t)(ahead > last ? last : (uint32_t)ahead) * 4;
        size_t sub = (size_t)(x > radius ? x - radius : 0) * 4;
        for (int c = 0; c < 4; c++) {
            dst[(size_t)x * 4 + c] = blur_div(sum[c], half, m);
            sum[c] = sum[c] + src[add + c] - src[sub + c];
        }
    }
}

/* Separable box blur: a horizontal then a vertical pass of a (2*radius+1)-wide window, edges
 * clamped, each pass rounding to 8 bits (ties up). radius 0 copies. */
void blur_rgba(const uint8_t *pixels, size_t len, uint32_t width, uint32_t height, uint32_t radius, cbox_out *out) {
    if (!check_image("blur_rgba", len, width, height, out)) return;
    if (radius > BLUR_MAX_RADIUS) {
        cbox_return_error(out, message_with_number("blur_rgba: radius must be at most ", BLUR_MAX_RADIUS, ""));
        return;
    }
    uint8_t *dst = cbox_return_alloc(out, len);
    if (!dst || len == 0) return;
    if (radius == 0) {
        memcpy(dst, pixels, len);
        return;
    }
    size_t stride = (size_t)width * 4;
    uint8_t *tmp = cbox_alloc(len);
    uint32_t *sums = cbox_alloc(stride * sizeof(uint32_t));
    if (!tmp || !sums) {
        cbox_return_error(out, "blur_rgba: out of memory for scratch buffers");
        return;
    }
    uint32_t d = 2 * radius + 1;
    uint32_t half = d / 2;
    uint64_t m = ((UINT64_C(1) << BLUR_SHIFT) + d - 1) / d;

    for (uint32_t y = 0; y < height; y++) blur_row(pixels + y * stride, tmp + y * stride, width, radius, half, m);

    /* Vertical pass, row-major: one running sum per (column, channel). */
    uint32_t last = height - 1;
    uint32_t inside = radius < last ? radius : last;
    uint32_t beyond = radius - inside;
    const uint8_t *first_row = tmp, *last_row = tmp + last * stride;
    for (size_t i = 0; i < stride; i++) sums[i] = (radius + 1) * first_row[i] + beyond * last_row[i];
    for (uint32_t y = 1; y <= inside; y++) {
        const uint8_t *row = tmp + y * stride;
        for (size_t i = 0; i < stride; i++) sums[i] += row[i];
    }
    for (uint32_t y = 0; y < height; y++) {
        uint8_t *row_out = dst + y * stride;
        uint64_t ahead = (uint64_t)y + radius + 1;
        const uint8_t *add = tmp + (ahead > last ? last : (uint32_t)ahead) * stride;
        const uint8_t *sub = tmp + (y > radius ? y - radius : 0) * stride;
        for (size_t i = 0; i < stride; i++) {
            row_out[i] = blur_div(sums[i], half, m);
            sums[i] = sums[i] + add[i] - sub[i];
        }
    }
}

/* Bilinear resampling with pixel centres aligned (the source position of destination pixel x is
 * (x + 0.5) * width / new_width - 0.5, clamped to the image) and 11-bit integer weights, so the
 * wasm and native builds agree to the bit. */
#define RESIZE_BITS 11
#define RESIZE_ONE (1u << RESIZE_BITS)
#define RESIZE_MAX_SIDE 65535u

struct resize_tap { uint32_t i0, i1, w1; };

static void resize_taps(struct resize_tap *taps, uint32_t src, uint32_t dst) {
    for (uint32_t x = 0; x < dst; x++) {
        int64_t num = (int64_t)(2 * (uint64_t)x + 1) * src - dst; /* position * 2*dst */
        if (num < 0) num = 0;
        uint64_t pos = ((uint64_t)num << RESIZE_BITS) / (2 * (uint64_t)dst);
        uint32_t i0 = (uint32_t)(pos >> RESIZE_BITS);
        uint32_t w1 = (uint32_t)(pos & (RESIZE_ONE - 1));
        if (i0 >= src - 1) {
            i0 = src - 1;
            w1 = 0;
        }
        taps[x].i0 = i0;
        taps[x].i1 = w1 ? i0 + 1 : i0;
        taps[x].w1 = w1;
    }
}

void resize_rgba(const uint8_t *pixels, size_t len, uint32_t width, uint32_t height,
                 uint32_t new_width, uint32_t new_height, cbox_out *out) {
    if (!check_image("resize_rgba", len, width, height, out)) return;
    if (width == 0 || height == 0) {
        cbox_return_error(out, "resize_rgba: the source image is empty (width and height must be at least 1)");
        return;
    }
    if (new_width == 0 || new_height == 0 || new_width > RESIZE_MAX_SIDE || new_height > RESIZE_MAX_SIDE) {
        cbox_return_error(out, "resize_rgba: new_width and new_height must be between 1 and 65535");
        return;
    }
    uint64_t out_len = (uint64_t)new_width * new_height * 4u;
    if (out_len > SIZE_MAX / 2) {
        cbox_return_error(out, "resize_rgba: the resized image is too large");
        return;
    }
    uint8_t *dst = cbox_return_alloc(out, (size_t)out_len);
    if (!dst) return;
    struct resize_tap *xt = cbox_alloc(new_width * sizeof *xt);
    struct resize_tap *yt = cbox_alloc(new_height * sizeof *yt);
    if (!xt || !yt) {
        cbox_return_error(out, "resize_rgba: out of memory for scratch buffers");
        return;
    }
    resize_taps(xt, width, new_width);
    resize_taps(yt, height, new_height);
    size_t stride = (size_t)width * 4;
    for (uint32_t y = 0; y < new_height; y++) {
        const uint8_t *r0 = pixels + yt[y].i0 * stride, *r1 = pixels + yt[y].i1 * stride;
        uint32_t wy1 = yt[y].w1, wy0 = RESIZE_ONE - wy1;
        uint8_t *row_out = dst + (size_t)y * new_width * 4;
        for (uint32_t x = 0; x < new_width; x++) {
            size_t a = (size_t)xt[x].i0 * 4, b = (size_t)xt[x].i1 * 4;
            uint32_t wx1 = xt[x].w1, wx0 = RESIZE_ONE - wx1;
            for (int c = 0; c < 4; c++) {
                uint32_t top = r0[a + c] * wx0 + r0[b + c] * wx1;     /* <= 255 * 2^11 */
                uint32_t bottom = r1[a + c] * wx0 + r1[b + c] * wx1;
                uint32_t v = (top * wy0 + bottom * wy1 + (1u << (2 * RESIZE_BITS - 1))) >> (2 * RESIZE_BITS);
                row_out[(size_t)x * 4 + c] = (uint8_t)v;
            }
        }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Matrices                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* Little-endian f32 bytes as an aligned float array: the input itself when it already is one,
 * else an arena copy. */
static const float *as_floats(const uint8_t *bytes, size_t count) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    const int native_ok = 0;
#else
    const int native_ok = 1;
#endif
    if (native_ok && ((uintptr_t)bytes % _Alignof(float)) == 0) return (const float *)(const void *)bytes;
    float *copy = cbox_alloc(count * sizeof(float));
    if (!copy) return NULL;
    for (size_t i = 0; i < count; i++) {
        uint32_t bits = load_le32(bytes + i * 4);
        memcpy(&copy[i], &bits, sizeof bits);
    }
    return copy;
}

/* C = A * B for n x n row-major float32 matrices, i-k-j order so the inner loop streams rows of
 * B and C. k is unrolled by four without reassociating: every C[i][j] still receives its
 * products one by one in k order, (((c + a0*b0) + a1*b1) + ...), the same float result as the
 * plain triple loop (and a JS loop using Math.fround after each operation). */
NO_FP_CONTRACT
void matmul_f32(const uint8_t *a_bytes, size_t a_len, const uint8_t *b_bytes, size_t b_len, uint32_t n, cbox_out *out) {
    uint64_t count64 = (uint64_t)n * n;
    if (count64 > SIZE_MAX / 8) {
        cbox_return_error(out, "matmul_f32: n is too large");
        return;
    }
    size_t count = (size_t)count64;
    if (a_len != count * 4 || b_len != count * 4) {
        char *text = cbox_alloc(120);
        if (!text) {
            cbox_return_error(out, "matmul_f32: a and b must each be n*n*4 bytes");
            return;
        }
        static const char head[] = "matmul_f32: a and b must each be n*n*4 = ";
        char *at = text;
        memcpy(at, head, sizeof head - 1);
        at += sizeof head - 1;
        at += format_u64(at, (uint64_t)count * 4);
        memcpy(at, " bytes, got ", 12);
        at += 12;
        at += format_u64(at, a_len);
        memcpy(at, " and ", 5);
        at += 5;
        at += format_u64(at, b_len);
        *at = '\0';
        cbox_return_error(out, text);
        return;
    }
    uint8_t *c_bytes = cbox_return_alloc(out, count * 4);
    if (!c_bytes || count == 0) return;
    const float *A = as_floats(a_bytes, count);
    const float *B = as_floats(b_bytes, count);
    /* cbox_return_alloc memory is 16-byte aligned; on a big-endian host the result is built in
     * scratch and stored little-endian at the end. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    float *C = cbox_alloc(count * sizeof(float));
#else
    float *C = (float *)(void *)c_bytes;
#endif
    if (!A || !B || !C) {
        cbox_return_error(out, "matmul_f32: out of memory for scratch buffers");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        float *restrict c = C + i * n;
        const float *arow = A + i * n;
        for (size_t j = 0; j < n; j++) c[j] = 0.0f;
        size_t k = 0;
        for (; k + 4 <= n; k += 4) {
            const float a0 = arow[k], a1 = arow[k + 1], a2 = arow[k + 2], a3 = arow[k + 3];
            const float *restrict b0 = B + k * n;
            const float *restrict b1 = b0 + n;
            const float *restrict b2 = b1 + n;
            const float *restrict b3 = b2 + n;
            for (size_t j = 0; j < n; j++) {
                float s = c[j];
                s = s + a0 * b0[j];
                s = s + a1 * b1[j];
                s = s + a2 * b2[j];
                s = s + a3 * b3[j];
                c[j] = s;
            }
        }
        for (; k < n; k++) {
            const float ak = arow[k];
            const float *restrict bk = B + k * n;
            for (size_t j = 0; j < n; j++) c[j] = c[j] + ak * bk[j];
        }
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    for (size_t i = 0; i < count; i++) {
        uint32_t bits;
        memcpy(&bits, &C[i], sizeof bits);
        store_le32(c_bytes + i * 4, bits);
    }
#else
    (void)store_le32;
#endif
}
