/*
 * sqlite_glue.c: cbox's handle-based API over SQLite (the amalgamation comes from the
 * better-sqlite3 package in node_modules at build time; see cbox.json).
 *
 * Handles
 *   db_open() answers a `struct cbox_db *`, stmt_prepare() a `struct cbox_stmt *`. Both carry a
 *   magic tag that is checked on every call and wiped on close/finalize, so a handle that was
 *   already closed or finalized (or is not one of ours) answers SQLITE_MISUSE (or a call error)
 *   instead of walking freed memory in the usual cases.
 *   db_close() uses sqlite3_close_v2(): statements still open keep working until they are
 *   finalized, and the connection goes away with the last of them.
 *
 * Errors
 *   Functions returning i32 answer SQLite result codes (SQLITE_OK = 0, SQLITE_ROW = 100,
 *   SQLITE_DONE = 101, ...). After a failure, db_errmsg()/db_errcode() (extended code) tell
 *   what went wrong. db_open() and stmt_prepare() answer NULL on failure: for db_open the reason
 *   is in db_open_error()/db_open_errcode() (there is no connection to ask), for stmt_prepare in
 *   stmt_prepare_error(): SQLite's message (then db_errcode(db) has the code), "no SQL statement"
 *   or "more than one SQL statement" (db_exec runs scripts; prepare refuses to drop the rest).
 *   Functions returning bytes/string fail with the SQLite error message as a call error.
 *
 * Per-value calls (point queries and single statements; see "the per-value path" below):
 *   stmt_bind_* per parameter, stmt_step_kinds (one step, the row's column kinds packed in an
 *   int32), stmt_column_* per value, stmt_execute (run to the end and reset, answers the change
 *   count). A crossing with numbers only costs a few nanoseconds, less than encoding one row.
 *   Text and blobs cost a crossing with memory each, so they travel encoded (the row encoding
 *   below) with the one call that binds, runs and resets: stmt_run (run) and stmt_get (a row).
 *
 * Deadlines: db_deadline() has SQLite's progress handler interrupt the statements that run next
 *   once their time is up (per-statement timeouts; see "deadlines" below).
 *
 * Row encoding (stmt_step_rows: many rows per call). All numbers little-endian, no padding, no
 * alignment. A value is a one-byte tag, which is SQLite's fundamental type code, followed by its
 * payload:
 *     1 SQLITE_INTEGER  8 bytes: int64
 *     2 SQLITE_FLOAT    8 bytes: IEEE-754 double
 *     3 SQLITE_TEXT     4 bytes: uint32 byte length n, then n bytes of UTF-8 (no NUL)
 *     4 SQLITE_BLOB     4 bytes: uint32 byte length n, then n bytes
 *     5 SQLITE_NULL     nothing
 * A row is stmt_column_count() values, column 0 first.
 *   stmt_step_rows(stmt, max):  steps up to max (>= 1) times. Result = uint32 row count, uint8
 *                               done flag (1 when SQLITE_DONE was reached, 0 when max rows came
 *                               first and more may follow), then that many rows.
 *   It fails (call error with SQLite's message, details in db_errcode) when sqlite3_step fails;
 *   rows already stepped over in that call are lost.
 *
 * Files under WASI (what cbox.json's defines lead to)
 *   - SQLite's own __wasi__ branch: no mmap, no fchown/fchmod, pid 1, and the default VFS is
 *     "unix-dotfile": a write lock is a directory "<db>.lock" (path_create_directory /
 *     path_remove_directory), so two sandboxes on one file see SQLITE_BUSY rather than corrupt
 *     it. A sandbox that dies holding the lock leaves that directory behind: later writers get
 *     SQLITE_BUSY until it is removed. "file:x.db?vfs=unix-none" with SQLITE_OPEN_URI (0x40)
 *     opens without any locking (one sandbox per file only).
 *   - WAL needs shared memory, which the WASI build lacks: PRAGMA journal_mode=WAL only takes
 *     effect after PRAGMA locking_mode=EXCLUSIVE, and a database file left in WAL mode (such as
 *     one better-sqlite3 made) opens only in exclusive locking mode (libraries/sqlite does both).
 *   - HAVE_PREAD/HAVE_PWRITE: page I/O is fd_pread/fd_pwrite, not fd_seek + fd_read/fd_write.
 *   - SQLITE_TEMP_STORE=2: temporary tables and sort spills stay in memory unless
 *     PRAGMA temp_store=FILE asks otherwise (a sandbox has no temp directory as a rule).
 *   - The PRNG is seeded from WASI random_get (see wasi_randomness below).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>  /* getentropy: WASI random_get */
#include <time.h>        /* clock_gettime: WASI clock_time_get */

#include "sqlite3.h"
#include "cbox.h"

#define DB_MAGIC 0x51444231u    /* "QDB1" */
#define STMT_MAGIC 0x51535431u  /* "QST1" */
#define DEAD_MAGIC 0xDEADDEADu

struct cbox_db {
    uint32_t magic;
    sqlite3 *db;
    int64_t deadline_ns;  /* CLOCK_MONOTONIC; 0 until the progress handler first runs */
    int64_t timeout_ns;   /* the deadline's distance from that first run */
    int timed_out;        /* the handler interrupted a statement since the deadline was set */
};

struct cbox_stmt {
    uint32_t magic;
    sqlite3_stmt *stmt;
};

static int db_ok(const struct cbox_db *d) { return d && d->magic == DB_MAGIC && d->db; }
static int stmt_ok(const struct cbox_stmt *s) { return s && s->magic == STMT_MAGIC && s->stmt; }

static const char *const bad_db = "not an open database handle (closed already?)";
static const char *const bad_stmt = "not a live statement handle (finalized already?)";

/* Results whose size is known only while they are produced go into one buffer the library
 * owns and reuses (cbox.h's cbox_result_buffer). */
static cbox_result_buffer result;

static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }  /* wasm is little-endian */
static void put_u64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Append the current row of `st` at result.data + *used. 0 when out of memory or a value does
 * not fit the format (over 4 GiB, impossible in wasm32). */
static int encode_row(sqlite3_stmt *st, size_t *used) {
    int n = sqlite3_column_count(st);
    for (int i = 0; i < n; i++) {
        int type = sqlite3_column_type(st, i);
        size_t at = *used;
        switch (type) {
        case SQLITE_INTEGER:
            if (!cbox_result_buffer_reserve(&result, at + 9)) return 0;
            result.data[at] = SQLITE_INTEGER;
            put_u64(result.data + at + 1, (uint64_t)sqlite3_column_int64(st, i));
            *used = at + 9;
            break;
        case SQLITE_FLOAT: {
            double d = sqlite3_column_double(st, i);
            uint64_t bits;
            memcpy(&bits, &d, 8);
            if (!cbox_result_buffer_reserve(&result, at + 9)) return 0;
            result.data[at] = SQLITE_FLOAT;
            put_u64(result.data + at + 1, bits);
            *used = at + 9;
            break;
        }
        case SQLITE_TEXT:
        case SQLITE_BLOB: {
            /* Pointer first, then the size: the documented safe order. */
            const void *data = type == SQLITE_TEXT ? (const void *)sqlite3_column_text(st, i)
                                                   : sqlite3_column_blob(st, i);
            size_t len = (size_t)sqlite3_column_bytes(st, i);
            if (len > UINT32_MAX || !cbox_result_buffer_reserve(&result, at + 5 + len)) return 0;
            result.data[at] = (uint8_t)type;
            put_u32(result.data + at + 1, (uint32_t)len);
            if (len) memcpy(result.data + at + 5, data, len);
            *used = at + 5 + len;
            break;
        }
        default:
            if (!cbox_result_buffer_reserve(&result, at + 1)) return 0;
            result.data[at] = SQLITE_NULL;
            *used = at + 1;
            break;
        }
    }
    return 1;
}

/* ---- randomness ---------------------------------------------------------------------------
 * Under WASI the unix VFS seeds SQLite's PRNG from /dev/urandom, which a sandbox cannot open,
 * and then falls back to time() and a pid that is always 1: two sandboxes started in the same
 * second would share random(), randomblob() and temp-file names. The default VFS gets its seed
 * from WASI random_get (getentropy) instead. */
static int (*base_randomness)(sqlite3_vfs *, int, char *);

static int wasi_randomness(sqlite3_vfs *vfs, int n, char *out) {
    int done = 0;
    while (done < n) {
        int chunk = n - done > 256 ? 256 : n - done;  /* getentropy's limit */
        if (getentropy(out + done, (size_t)chunk) != 0) return base_randomness(vfs, n, out);
        done += chunk;
    }
    return n;
}

/* ---- paths ----------------------------------------------------------------------------------
 * cbox/sqlite grants the sandbox the database's directory under its host path (/home/me/data).
 * SQLite resolves symlinks by lstat()ing every ancestor of a path, and those ancestors (/home) are
 * out of the sandbox's reach: wasi-libc answers ENOTCAPABLE, not the ENOENT SQLite would let
 * pass, so every open failed with "unable to open database file". An absolute path is used as
 * it is (the sandbox itself refuses anything outside the grant). */
static int (*base_full_pathname)(sqlite3_vfs *, const char *, int, char *);

static int wasi_full_pathname(sqlite3_vfs *vfs, const char *path, int size, char *out) {
    if (path[0] != '/') return base_full_pathname(vfs, path, size, out);
    size_t len = strlen(path);
    if (len >= (size_t)size) return SQLITE_CANTOPEN;
    memcpy(out, path, len + 1);
    return SQLITE_OK;
}

static int glue_init(void) {
    static int initialized;
    static const char *const vfs_names[] = { "unix", "unix-dotfile", "unix-none", "unix-excl" };
    if (initialized) return SQLITE_OK;
    int rc = sqlite3_initialize();
    if (rc != SQLITE_OK) return rc;
    sqlite3_vfs *vfs = sqlite3_vfs_find(NULL);
    if (vfs && vfs->xRandomness != wasi_randomness) {
        base_randomness = vfs->xRandomness;
        vfs->xRandomness = wasi_randomness;
    }
    for (size_t i = 0; i < sizeof vfs_names / sizeof vfs_names[0]; i++) {
        sqlite3_vfs *each = sqlite3_vfs_find(vfs_names[i]);
        if (!each || each->xFullPathname == wasi_full_pathname) continue;
        base_full_pathname = each->xFullPathname;  /* the same unixFullPathname for all of them */
        each->xFullPathname = wasi_full_pathname;
    }
    initialized = 1;
    return SQLITE_OK;
}

/* ---- connections -------------------------------------------------------------------------- */

static char open_error[256];
static int open_errcode;

static void set_open_error(int rc, const char *msg) {
    open_errcode = rc;
    if (!msg) msg = sqlite3_errstr(rc);
    size_t n = strlen(msg);
    if (n >= sizeof open_error) n = sizeof open_error - 1;
    memcpy(open_error, msg, n);
    open_error[n] = 0;
}

/* flags: SQLITE_OPEN_* bits; 0 means SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE. Add
 * SQLITE_OPEN_URI (0x40) to open "file:name?vfs=unix-none&mode=ro" and the like. */
struct cbox_db *db_open(const char *path, int32_t flags) {
    if (flags == 0) flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    int rc = glue_init();
    if (rc != SQLITE_OK) {
        set_open_error(rc, NULL);
        return NULL;
    }
    struct cbox_db *d = malloc(sizeof *d);
    if (!d) {
        set_open_error(SQLITE_NOMEM, NULL);
        return NULL;
    }
    sqlite3 *db = NULL;
    rc = sqlite3_open_v2(path, &db, flags, NULL);
    if (rc != SQLITE_OK) {
        set_open_error(db ? sqlite3_extended_errcode(db) : rc, db ? sqlite3_errmsg(db) : NULL);
        sqlite3_close_v2(db);
        free(d);
        return NULL;
    }
    d->magic = DB_MAGIC;
    d->db = db;
    d->deadline_ns = 0;
    d->timeout_ns = 0;
    d->timed_out = 0;
    open_errcode = 0;
    open_error[0] = 0;
    return d;
}

/* Why the last db_open() failed ("" after a success). */
void db_open_error(cbox_out *out) { cbox_return_string(out, open_error); }
int32_t db_open_errcode(void) { return open_errcode; }

int32_t db_close(struct cbox_db *d) {
    if (!db_ok(d)) return SQLITE_MISUSE;
    int rc = sqlite3_close_v2(d->db);
    if (rc != SQLITE_OK) return rc;
    d->magic = DEAD_MAGIC;
    d->db = NULL;
    free(d);
    return SQLITE_OK;
}

int32_t db_exec(struct cbox_db *d, const char *sql) {
    if (!db_ok(d)) return SQLITE_MISUSE;
    return sqlite3_exec(d->db, sql, NULL, NULL, NULL);
}

void db_errmsg(struct cbox_db *d, cbox_out *out) {
    if (!db_ok(d)) { cbox_return_error(out, bad_db); return; }
    cbox_return_string(out, sqlite3_errmsg(d->db));
}

int32_t db_errcode(struct cbox_db *d) {
    if (!db_ok(d)) return SQLITE_MISUSE;
    return sqlite3_extended_errcode(d->db);
}

int64_t db_changes(struct cbox_db *d) { return db_ok(d) ? sqlite3_changes64(d->db) : 0; }
int64_t db_total_changes(struct cbox_db *d) { return db_ok(d) ? sqlite3_total_changes64(d->db) : 0; }
int64_t db_last_insert_rowid(struct cbox_db *d) { return db_ok(d) ? sqlite3_last_insert_rowid(d->db) : 0; }

int32_t db_busy_timeout(struct cbox_db *d, int32_t ms) {
    if (!db_ok(d)) return SQLITE_MISUSE;
    return sqlite3_busy_timeout(d->db, ms);
}

/* ---- deadlines (per-statement timeouts) ------------------------------------------------------
 * db_deadline(db, ms) with ms > 0 gives the statements that run next ms milliseconds: SQLite's
 * progress handler looks at the clock every DEADLINE_CHECK_OPS virtual-machine instructions and
 * interrupts the statement past its deadline (SQLITE_INTERRUPT, as sqlite3_interrupt does: the
 * statement stops and its changes are undone, and a write in an explicit transaction rolls the
 * transaction back; the connection goes on). The clock is first read at the first check and the
 * deadline counts from there (the instructions before it take microseconds), so a statement
 * shorter than that (a single-row insert) reads no clock at all. db_deadline(db, 0) takes the
 * deadline away, so other statements run without the handler (and without its cost). */
#define DEADLINE_CHECK_OPS 4000

static int64_t monotonic_ns(void) {
    struct timespec now;
    if (clock_gettime(CLOCK_MONOTONIC, &now) != 0) return INT64_MAX;  /* no clock: stop rather than run on */
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static int past_deadline(void *context) {
    struct cbox_db *d = context;
    int64_t now = monotonic_ns();
    if (d->deadline_ns == 0) d->deadline_ns = now == INT64_MAX ? now : now + d->timeout_ns;
    if (now < d->deadline_ns) return 0;
    d->timed_out = 1;
    return 1;
}

int32_t db_deadline(struct cbox_db *d, int32_t ms) {
    if (!db_ok(d)) return SQLITE_MISUSE;
    if (ms <= 0) {
        sqlite3_progress_handler(d->db, 0, NULL, NULL);
        return SQLITE_OK;
    }
    d->timed_out = 0;
    d->deadline_ns = 0;
    d->timeout_ns = (int64_t)ms * 1000000;
    sqlite3_progress_handler(d->db, DEADLINE_CHECK_OPS, past_deadline, d);
    return SQLITE_OK;
}

/* 1 when the deadline interrupted a statement since the last db_deadline(db, ms > 0): told
 * after the deadline is taken away, when the caller turns the failure into an error. */
int db_timed_out(struct cbox_db *d) { return db_ok(d) ? d->timed_out : 0; }

/* 1 when outside an explicit transaction (autocommit mode). */
int db_autocommit(struct cbox_db *d) { return db_ok(d) ? sqlite3_get_autocommit(d->db) != 0 : 0; }

void db_libversion(cbox_out *out) { cbox_return_string(out, sqlite3_libversion()); }

/* ---- statements --------------------------------------------------------------------------- */

static char prepare_error[256];

static void set_prepare_error(const char *msg) {
    size_t n = strlen(msg);
    if (n >= sizeof prepare_error) n = sizeof prepare_error - 1;
    memcpy(prepare_error, msg, n);
    prepare_error[n] = 0;
}

/* 1 when `p` holds nothing but whitespace, semicolons and comments. */
static int only_trivia(const char *p) {
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v' || *p == ';') p++;
        if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n') p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            if (!end) return 1;  /* SQLite reads an unterminated comment to the end of the text */
            p = end + 2;
        } else {
            return *p == 0;
        }
    }
}

/* Prepares the one statement in `sql`; NULL with the reason in stmt_prepare_error(). */
struct cbox_stmt *stmt_prepare(struct cbox_db *d, const char *sql) {
    if (!db_ok(d)) { set_prepare_error(bad_db); return NULL; }
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    int rc = sqlite3_prepare_v2(d->db, sql, -1, &st, &tail);
    if (rc != SQLITE_OK) { set_prepare_error(sqlite3_errmsg(d->db)); return NULL; }
    if (!st) { set_prepare_error("no SQL statement"); return NULL; }
    if (tail && !only_trivia(tail)) {
        sqlite3_finalize(st);
        set_prepare_error("more than one SQL statement (prepare takes one; exec runs scripts)");
        return NULL;
    }
    struct cbox_stmt *s = malloc(sizeof *s);
    if (!s) {
        sqlite3_finalize(st);
        set_prepare_error(sqlite3_errstr(SQLITE_NOMEM));
        return NULL;
    }
    s->magic = STMT_MAGIC;
    s->stmt = st;
    prepare_error[0] = 0;
    return s;
}

/* Why the last stmt_prepare() answered NULL ("" after a success). */
void stmt_prepare_error(cbox_out *out) { cbox_return_string(out, prepare_error); }

int32_t stmt_finalize(struct cbox_stmt *s) {
    if (!stmt_ok(s)) return SQLITE_MISUSE;
    /* The connection may have been db_close()d already (zombie); finalizing the last statement
     * then closes it for good. */
    int rc = sqlite3_finalize(s->stmt);
    s->magic = DEAD_MAGIC;
    s->stmt = NULL;
    free(s);
    return rc;
}

int32_t stmt_step(struct cbox_stmt *s) { return stmt_ok(s) ? sqlite3_step(s->stmt) : SQLITE_MISUSE; }
int32_t stmt_reset(struct cbox_stmt *s) { return stmt_ok(s) ? sqlite3_reset(s->stmt) : SQLITE_MISUSE; }
int32_t stmt_clear_bindings(struct cbox_stmt *s) { return stmt_ok(s) ? sqlite3_clear_bindings(s->stmt) : SQLITE_MISUSE; }
int stmt_readonly(struct cbox_stmt *s) { return stmt_ok(s) ? sqlite3_stmt_readonly(s->stmt) != 0 : 0; }

int32_t stmt_bind_int64(struct cbox_stmt *s, int32_t idx, int64_t v) {
    return stmt_ok(s) ? sqlite3_bind_int64(s->stmt, idx, v) : SQLITE_MISUSE;
}
int32_t stmt_bind_double(struct cbox_stmt *s, int32_t idx, double v) {
    return stmt_ok(s) ? sqlite3_bind_double(s->stmt, idx, v) : SQLITE_MISUSE;
}
int32_t stmt_bind_text(struct cbox_stmt *s, int32_t idx, const char *v) {
    return stmt_ok(s) ? sqlite3_bind_text(s->stmt, idx, v, -1, SQLITE_TRANSIENT) : SQLITE_MISUSE;
}
/* Text given as UTF-8 bytes: for strings a C string cannot carry (NUL characters inside). */
int32_t stmt_bind_text_bytes(struct cbox_stmt *s, int32_t idx, const uint8_t *v, size_t len) {
    if (!stmt_ok(s)) return SQLITE_MISUSE;
    return sqlite3_bind_text64(s->stmt, idx, len ? (const char *)v : "", len, SQLITE_TRANSIENT, SQLITE_UTF8);
}
int32_t stmt_bind_blob(struct cbox_stmt *s, int32_t idx, const uint8_t *v, size_t len) {
    if (!stmt_ok(s)) return SQLITE_MISUSE;
    /* A NULL pointer would bind SQL NULL: an empty blob is a zero-length blob. */
    if (len == 0) return sqlite3_bind_zeroblob(s->stmt, idx, 0);
    return sqlite3_bind_blob64(s->stmt, idx, v, len, SQLITE_TRANSIENT);
}
int32_t stmt_bind_null(struct cbox_stmt *s, int32_t idx) {
    return stmt_ok(s) ? sqlite3_bind_null(s->stmt, idx) : SQLITE_MISUSE;
}
int32_t stmt_bind_parameter_count(struct cbox_stmt *s) {
    return stmt_ok(s) ? sqlite3_bind_parameter_count(s->stmt) : 0;
}
/* Index of a named parameter, prefix included (":id", "@id", "$id"); 0 when there is none. */
int32_t stmt_bind_parameter_index(struct cbox_stmt *s, const char *name) {
    return stmt_ok(s) ? sqlite3_bind_parameter_index(s->stmt, name) : 0;
}
/* Name of parameter idx (1-based), prefix included; "" for a nameless "?" parameter. */
void stmt_bind_parameter_name(struct cbox_stmt *s, int32_t idx, cbox_out *out) {
    if (!stmt_ok(s)) { cbox_return_error(out, bad_stmt); return; }
    if (idx < 1 || idx > sqlite3_bind_parameter_count(s->stmt)) {
        cbox_return_error(out, "parameter index out of range");
        return;
    }
    const char *name = sqlite3_bind_parameter_name(s->stmt, idx);
    cbox_return_string(out, name ? name : "");
}

int32_t stmt_column_count(struct cbox_stmt *s) { return stmt_ok(s) ? sqlite3_column_count(s->stmt) : 0; }

static int column_ok(struct cbox_stmt *s, int32_t i) {
    return stmt_ok(s) && i >= 0 && i < sqlite3_column_count(s->stmt);
}

void stmt_column_name(struct cbox_stmt *s, int32_t i, cbox_out *out) {
    if (!column_ok(s, i)) { cbox_return_error(out, stmt_ok(s) ? "column index out of range" : bad_stmt); return; }
    const char *name = sqlite3_column_name(s->stmt, i);
    if (!name) { cbox_return_error(out, "out of memory"); return; }
    cbox_return_string(out, name);
}

/* SQLITE_INTEGER 1, SQLITE_FLOAT 2, SQLITE_TEXT 3, SQLITE_BLOB 4, SQLITE_NULL 5 (also for an
 * out-of-range column). */
int32_t stmt_column_type(struct cbox_stmt *s, int32_t i) {
    return column_ok(s, i) ? sqlite3_column_type(s->stmt, i) : SQLITE_NULL;
}
int64_t stmt_column_int64(struct cbox_stmt *s, int32_t i) {
    return column_ok(s, i) ? sqlite3_column_int64(s->stmt, i) : 0;
}
double stmt_column_double(struct cbox_stmt *s, int32_t i) {
    return column_ok(s, i) ? sqlite3_column_double(s->stmt, i) : 0.0;
}
/* Text of the column ("" for NULL); may hold NUL characters, the length is exact. */
void stmt_column_text(struct cbox_stmt *s, int32_t i, cbox_out *out) {
    if (!column_ok(s, i)) { cbox_return_error(out, stmt_ok(s) ? "column index out of range" : bad_stmt); return; }
    const unsigned char *text = sqlite3_column_text(s->stmt, i);
    size_t len = (size_t)sqlite3_column_bytes(s->stmt, i);
    cbox_return_bytes(out, text ? (const void *)text : (const void *)"", text ? len : 0);
}
void stmt_column_blob(struct cbox_stmt *s, int32_t i, cbox_out *out) {
    if (!column_ok(s, i)) { cbox_return_error(out, stmt_ok(s) ? "column index out of range" : bad_stmt); return; }
    const void *blob = sqlite3_column_blob(s->stmt, i);
    size_t len = (size_t)sqlite3_column_bytes(s->stmt, i);
    cbox_return_bytes(out, blob ? blob : (const void *)"", blob ? len : 0);
}

/* The message is copied to call scratch: the reset that follows a failed step may rewrite the
 * connection's message buffer it points into. */
static void step_failed(struct cbox_stmt *s, int rc, cbox_out *out) {
    const char *msg = sqlite3_errmsg(sqlite3_db_handle(s->stmt));
    if (!msg || !*msg) { cbox_return_error(out, sqlite3_errstr(rc)); return; }
    size_t n = strlen(msg) + 1;
    char *copy = cbox_alloc(n);
    if (copy) memcpy(copy, msg, n);
    cbox_return_error(out, copy ? copy : sqlite3_errstr(rc));
}

/* Up to max_rows rows: u32 row count, u8 done flag, the rows. A statement that is done (or
 * failed) is reset at once, releasing its read lock. */
static void step_rows(struct cbox_stmt *s, int32_t max_rows, cbox_out *out) {
    if (max_rows < 1) { cbox_return_error(out, "max_rows must be at least 1"); return; }
    cbox_result_buffer_start(&result);
    if (!cbox_result_buffer_reserve(&result, 5)) { cbox_return_error(out, "out of memory"); return; }
    size_t used = 5;
    uint32_t rows = 0;
    uint8_t done = 0;
    while (rows < (uint32_t)max_rows) {
        int rc = sqlite3_step(s->stmt);
        if (rc == SQLITE_DONE) { done = 1; break; }
        if (rc != SQLITE_ROW) { step_failed(s, rc, out); sqlite3_reset(s->stmt); return; }
        if (!encode_row(s->stmt, &used)) { sqlite3_reset(s->stmt); cbox_return_error(out, "out of memory: cannot encode the rows"); return; }
        rows++;
    }
    if (done) sqlite3_reset(s->stmt);
    put_u32(result.data, rows);
    result.data[4] = done;
    cbox_return_bytes(out, result.data, used);
}

void stmt_step_rows(struct cbox_stmt *s, int32_t max_rows, cbox_out *out) {
    if (!stmt_ok(s)) { cbox_return_error(out, bad_stmt); return; }
    step_rows(s, max_rows, out);
}

/* ---- the per-value path --------------------------------------------------------------------
 * A point query or a single insert costs a few crossings of ~10 ns each when every value crosses
 * on its own (stmt_bind_*, stmt_step_kinds, stmt_column_*, stmt_execute): cheaper than encoding
 * and decoding a byte list for one row. */

/* SQLite's type code, except 6 for an INTEGER a JavaScript number cannot hold exactly. */
#define KIND_BIG_INTEGER 6
#define MAX_SAFE_INTEGER 9007199254740991LL
#define PACKED_KINDS 10  /* 3 bits each in a positive int32 */

static int column_kind(sqlite3_stmt *st, int i) {
    int type = sqlite3_column_type(st, i);
    if (type != SQLITE_INTEGER) return type;
    sqlite3_int64 v = sqlite3_column_int64(st, i);
    return v > MAX_SAFE_INTEGER || v < -MAX_SAFE_INTEGER ? KIND_BIG_INTEGER : SQLITE_INTEGER;
}

int32_t stmt_column_kind(struct cbox_stmt *s, int32_t i) {
    return column_ok(s, i) ? column_kind(s->stmt, i) : SQLITE_NULL;
}

/* Steps once. A row: the kinds of its first 10 columns, 3 bits each, column 0 lowest (> 0: every
 * kind is at least 1; stmt_column_kind tells the rest). Done: 0, and the statement is reset. An
 * error: minus SQLite's extended code, the statement reset (db_errmsg keeps the message). */
int32_t stmt_step_kinds(struct cbox_stmt *s) {
    if (!stmt_ok(s)) return -SQLITE_MISUSE;
    sqlite3_stmt *st = s->stmt;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        int n = sqlite3_column_count(st);
        if (n > PACKED_KINDS) n = PACKED_KINDS;
        int32_t kinds = 0;
        for (int i = n - 1; i >= 0; i--) kinds = (kinds << 3) | column_kind(st, i);
        return kinds;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) return 0;
    return -sqlite3_extended_errcode(sqlite3_db_handle(st));
}

/* Runs the statement to its end (rows it yields are skipped) and resets it. Answers the rows it
 * changed (0 when it changed none, as better-sqlite3 counts), or minus SQLite's extended code. */
double stmt_execute(struct cbox_stmt *s) {
    if (!stmt_ok(s)) return -SQLITE_MISUSE;
    sqlite3_stmt *st = s->stmt;
    sqlite3 *db = sqlite3_db_handle(st);
    sqlite3_int64 before = sqlite3_total_changes64(db);
    int rc;
    do rc = sqlite3_step(st); while (rc == SQLITE_ROW);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return -sqlite3_extended_errcode(db);
    return sqlite3_total_changes64(db) == before ? 0 : (double)sqlite3_changes64(db);
}

/* stmt_run's answer when binding parameter `index` failed with `rc`: below BIND_FAILED, so it is
 * told apart from a failed step (minus an extended code, above -65536). */
#define BIND_FAILED (-(double)(1 << 24))

static uint32_t get_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* Binds parameters 1..n from `params` (the row encoding above, one value per parameter; text and
 * blobs bound in place, SQLITE_STATIC: they stay in the call's arena until it returns, and the
 * caller unbinds them before it does). SQLITE_OK, or the failed bind's code with *index the
 * parameter (SQLITE_MISUSE for bytes that do not decode). */
static int bind_encoded(sqlite3_stmt *st, const uint8_t *params, size_t len, int *index) {
    size_t at = 0;
    int rc = SQLITE_OK;
    *index = 0;
    while (at < len && rc == SQLITE_OK) {
        uint8_t tag = params[at++];
        ++*index;
        if (tag == SQLITE_INTEGER || tag == SQLITE_FLOAT) {
            if (len - at < 8) return SQLITE_MISUSE;
            if (tag == SQLITE_INTEGER) {
                int64_t v;
                memcpy(&v, params + at, 8);
                rc = sqlite3_bind_int64(st, *index, v);
            } else {
                double v;
                memcpy(&v, params + at, 8);
                rc = sqlite3_bind_double(st, *index, v);
            }
            at += 8;
        } else if (tag == SQLITE_TEXT || tag == SQLITE_BLOB) {
            if (len - at < 4) return SQLITE_MISUSE;
            size_t n = get_u32(params + at);
            at += 4;
            if (len - at < n) return SQLITE_MISUSE;
            const void *data = params + at;
            if (tag == SQLITE_TEXT) rc = sqlite3_bind_text64(st, *index, n ? data : "", n, SQLITE_STATIC, SQLITE_UTF8);
            else rc = n ? sqlite3_bind_blob64(st, *index, data, n, SQLITE_STATIC) : sqlite3_bind_zeroblob(st, *index, 0);
            at += n;
        } else if (tag == SQLITE_NULL) {
            rc = sqlite3_bind_null(st, *index);
        } else {
            return SQLITE_MISUSE;
        }
    }
    return rc;
}

/* Binds parameters 1..n from `params` (bind_encoded), runs the statement as stmt_execute does,
 * then unbinds every parameter (NULL) so nothing points into the arena afterwards. Answers as
 * stmt_execute, or BIND_FAILED - rc * 65536 - index when value `index` could not be bound
 * (SQLITE_TOOBIG, SQLITE_NOMEM; SQLITE_RANGE for more values than parameters; SQLITE_MISUSE for
 * bytes that do not decode). */
double stmt_run(struct cbox_stmt *s, const uint8_t *params, size_t len) {
    if (!stmt_ok(s)) return -SQLITE_MISUSE;
    sqlite3_stmt *st = s->stmt;
    int index;
    int rc = bind_encoded(st, params, len, &index);
    if (rc != SQLITE_OK) {
        sqlite3_clear_bindings(st);
        return BIND_FAILED - (double)rc * 65536 - index;
    }
    double answer = stmt_execute(s);
    sqlite3_clear_bindings(st);
    return answer;
}

/* get(): binds `params` as stmt_run does (none given: the statement keeps the values bound
 * already), steps once and answers as stmt_step_rows(s, 1) would, with the statement reset and
 * (when `params` were given) unbound: the whole call in one crossing. */
void stmt_get(struct cbox_stmt *s, const uint8_t *params, size_t len, cbox_out *out) {
    if (!stmt_ok(s)) { cbox_return_error(out, bad_stmt); return; }
    sqlite3_stmt *st = s->stmt;
    int index;
    int rc = bind_encoded(st, params, len, &index);
    if (rc == SQLITE_OK) {
        step_rows(s, 1, out);
        sqlite3_reset(st);
    } else {
        cbox_return_error(out, sqlite3_errstr(rc));
    }
    if (len) sqlite3_clear_bindings(st);
}

/* The last insert rowid as a double when that is exact; NaN when db_last_insert_rowid (BigInt)
 * must be asked. */
double db_last_insert_rowid_number(struct cbox_db *d) {
    if (!db_ok(d)) return 0;
    sqlite3_int64 v = sqlite3_last_insert_rowid(d->db);
    return v > MAX_SAFE_INTEGER || v < -MAX_SAFE_INTEGER ? __builtin_nan("") : (double)v;
}

/* Where a result column comes from (SQLITE_ENABLE_COLUMN_METADATA): which 0 origin column name,
 * 1 table, 2 database, 3 declared type. "" when SQLite has none (an expression). */
void stmt_column_origin(struct cbox_stmt *s, int32_t i, int32_t which, cbox_out *out) {
    if (!column_ok(s, i)) { cbox_return_error(out, stmt_ok(s) ? "column index out of range" : bad_stmt); return; }
    const char *text = which == 0 ? sqlite3_column_origin_name(s->stmt, i)
                     : which == 1 ? sqlite3_column_table_name(s->stmt, i)
                     : which == 2 ? sqlite3_column_database_name(s->stmt, i)
                     : which == 3 ? sqlite3_column_decltype(s->stmt, i) : NULL;
    cbox_return_string(out, text ? text : "");
}

/* The SQL with its bound values filled in (for the verbose option); "" when SQLite cannot. */
void stmt_expanded_sql(struct cbox_stmt *s, cbox_out *out) {
    if (!stmt_ok(s)) { cbox_return_error(out, bad_stmt); return; }
    char *sql = sqlite3_expanded_sql(s->stmt);
    cbox_return_string(out, sql ? sql : "");
    sqlite3_free(sql);
}

/* ---- whole databases as bytes ------------------------------------------------------------- */

/* The database `schema` ("main", "temp", an attached name) as the bytes of its file. */
void db_serialize(struct cbox_db *d, const char *schema, cbox_out *out) {
    if (!db_ok(d)) { cbox_return_error(out, bad_db); return; }
    sqlite3_int64 size = 0;
    unsigned char *bytes = sqlite3_serialize(d->db, schema, &size, 0);
    if (!bytes) {
        cbox_return_error(out, sqlite3_errcode(d->db) == SQLITE_OK ? "no such database, or out of memory" : sqlite3_errmsg(d->db));
        return;
    }
    cbox_return_bytes(out, bytes, (size_t)size);
    sqlite3_free(bytes);
}

/* Replaces the (in-memory) database `schema` with a copy of `bytes`, which it may then grow. */
int32_t db_deserialize(struct cbox_db *d, const char *schema, const uint8_t *bytes, size_t len) {
    if (!db_ok(d)) return SQLITE_MISUSE;
    unsigned char *copy = sqlite3_malloc64(len ? len : 1);
    if (!copy) return SQLITE_NOMEM;
    memcpy(copy, bytes, len);
    return sqlite3_deserialize(d->db, schema, copy, (sqlite3_int64)len, (sqlite3_int64)len,
                               SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE);
}

/*
 * User functions (Database.function / aggregate). Every call SQLite makes to a JS function of the
 * connection goes through one callback, which JS passes each time it registers a function; `id`
 * (the function's user data) says which one, `call` what SQLite asks: 0 a scalar call, 1 an
 * aggregate step, 2 its final result, 3 a window's current value, 4 a window's inverse step.
 * `state` tells aggregate invocations apart (the address of SQLite's aggregate context, unique
 * while the invocation lives; 0 for scalars). `kinds` packs the types of the first ten arguments,
 * three bits each (SQLITE_INTEGER... SQLITE_NULL), saving a crossing per argument; `a0` and `a1` are
 * the first two arguments' values as doubles when they are numbers (0 otherwise), and the callback
 * answers a number result by returning it. The rest of the arguments it reads with fn_arg_*
 * and answers with fn_result_*: calls back into this library, which cbox supports from inside a
 * callback. A JS function that throws answers fn_result_error: SQLite then fails the statement.
 */
typedef double (*fn_dispatch_t)(int32_t id, int32_t call, sqlite3_context *ctx, int32_t state, int32_t argc, sqlite3_value **argv,
                                int32_t kinds, double a0, double a1);
static fn_dispatch_t fn_dispatch;
/* Set by every fn_result_*: the callback answered through them, not with its return value. */
static int fn_result_set;

static int32_t fn_id(sqlite3_context *ctx) { return (int32_t)(intptr_t)sqlite3_user_data(ctx); }

static int32_t fn_kinds(int argc, sqlite3_value **argv) {
    int32_t kinds = 0;
    for (int i = 0; i < argc && i < 10; i++) kinds |= sqlite3_value_type(argv[i]) << (3 * i);
    return kinds;
}

static double fn_number(int32_t kinds, int i) {
    int kind = (kinds >> (3 * i)) & 7;
    return kind == SQLITE_INTEGER || kind == SQLITE_FLOAT ? 1 : 0;
}

static void fn_call(sqlite3_context *ctx, int32_t call, int32_t state, int argc, sqlite3_value **argv) {
    int32_t kinds = fn_kinds(argc, argv);
    double a0 = argc > 0 && fn_number(kinds, 0) ? sqlite3_value_double(argv[0]) : 0;
    double a1 = argc > 1 && fn_number(kinds, 1) ? sqlite3_value_double(argv[1]) : 0;
    fn_result_set = 0;
    double result = fn_dispatch(fn_id(ctx), call, ctx, state, argc, argv, kinds, a0, a1);
    /* Steps answer nothing; a scalar, final or value call answered a number by returning it. */
    if (!fn_result_set && call != 1 && call != 4) sqlite3_result_double(ctx, result);
}

static void fn_aggregate(sqlite3_context *ctx, int32_t call, int argc, sqlite3_value **argv) {
    void *state = sqlite3_aggregate_context(ctx, 1);
    if (!state) { sqlite3_result_error_nomem(ctx); return; }
    fn_call(ctx, call, (int32_t)(intptr_t)state, argc, argv);
}
static void fn_scalar(sqlite3_context *ctx, int argc, sqlite3_value **argv) { fn_call(ctx, 0, 0, argc, argv); }
static void fn_step(sqlite3_context *ctx, int argc, sqlite3_value **argv) { fn_aggregate(ctx, 1, argc, argv); }
static void fn_final(sqlite3_context *ctx) { fn_aggregate(ctx, 2, 0, NULL); }
static void fn_value(sqlite3_context *ctx) { fn_aggregate(ctx, 3, 0, NULL); }
static void fn_inverse(sqlite3_context *ctx, int argc, sqlite3_value **argv) { fn_aggregate(ctx, 4, argc, argv); }

/* kind: 0 scalar, 1 aggregate, 2 aggregate that is also a window function. flags: SQLITE_DETERMINISTIC... */
int32_t db_function(struct cbox_db *d, const char *name, int32_t nargs, int32_t flags, int32_t id, int32_t kind, fn_dispatch_t dispatch) {
    if (!db_ok(d)) return SQLITE_MISUSE;
    fn_dispatch = dispatch;
    void *data = (void *)(intptr_t)id;
    int encoding = SQLITE_UTF8 | flags;
    if (kind == 0) return sqlite3_create_function_v2(d->db, name, nargs, encoding, data, fn_scalar, NULL, NULL, NULL);
    if (kind == 1) return sqlite3_create_function_v2(d->db, name, nargs, encoding, data, NULL, fn_step, fn_final, NULL);
    return sqlite3_create_window_function(d->db, name, nargs, encoding, data, fn_step, fn_final, fn_value, fn_inverse, NULL);
}

int32_t fn_arg_type(sqlite3_value **argv, int32_t i) { return sqlite3_value_type(argv[i]); }
int64_t fn_arg_int64(sqlite3_value **argv, int32_t i) { return sqlite3_value_int64(argv[i]); }
double fn_arg_double(sqlite3_value **argv, int32_t i) { return sqlite3_value_double(argv[i]); }
void fn_arg_text(sqlite3_value **argv, int32_t i, cbox_out *out) {
    const unsigned char *text = sqlite3_value_text(argv[i]);
    if (!text) { cbox_return_error(out, "out of memory"); return; }
    cbox_return_bytes(out, text, (size_t)sqlite3_value_bytes(argv[i]));
}
void fn_arg_blob(sqlite3_value **argv, int32_t i, cbox_out *out) {
    const void *blob = sqlite3_value_blob(argv[i]);
    cbox_return_bytes(out, blob ? blob : (const void *)"", (size_t)sqlite3_value_bytes(argv[i]));
}

void fn_result_int64(sqlite3_context *ctx, int64_t value) { fn_result_set = 1; sqlite3_result_int64(ctx, value); }
void fn_result_text(sqlite3_context *ctx, const char *text, size_t len) { fn_result_set = 1; sqlite3_result_text64(ctx, text, len, SQLITE_TRANSIENT, SQLITE_UTF8); }
void fn_result_blob(sqlite3_context *ctx, const uint8_t *data, size_t len) { fn_result_set = 1; sqlite3_result_blob64(ctx, data, len, SQLITE_TRANSIENT); }
void fn_result_null(sqlite3_context *ctx) { fn_result_set = 1; sqlite3_result_null(ctx); }
void fn_result_error(sqlite3_context *ctx, const char *message, size_t len) { fn_result_set = 1; sqlite3_result_error(ctx, message, (int)len); }
