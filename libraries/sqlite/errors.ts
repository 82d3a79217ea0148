// The errors cbox/sqlite throws, shaped as better-sqlite3 throws them: SqliteError with SQLite's
// extended result code as a string `code` ('SQLITE_CONSTRAINT_PRIMARYKEY') and SQLite's message,
// TypeError and RangeError (plain, as better-sqlite3's) for misuse of the API. A SqliteError is
// also a CboxCallError: SQLite answered with an error and the sandbox is fine.
import { CboxCallError } from 'cbox';

/** SQLite's primary result codes (the low byte of an extended code) by number. */
const PRIMARY_CODES = [
  'SQLITE_OK', 'SQLITE_ERROR', 'SQLITE_INTERNAL', 'SQLITE_PERM', 'SQLITE_ABORT', 'SQLITE_BUSY', 'SQLITE_LOCKED',
  'SQLITE_NOMEM', 'SQLITE_READONLY', 'SQLITE_INTERRUPT', 'SQLITE_IOERR', 'SQLITE_CORRUPT', 'SQLITE_NOTFOUND',
  'SQLITE_FULL', 'SQLITE_CANTOPEN', 'SQLITE_PROTOCOL', 'SQLITE_EMPTY', 'SQLITE_SCHEMA', 'SQLITE_TOOBIG',
  'SQLITE_CONSTRAINT', 'SQLITE_MISMATCH', 'SQLITE_MISUSE', 'SQLITE_NOLFS', 'SQLITE_AUTH', 'SQLITE_FORMAT',
  'SQLITE_RANGE', 'SQLITE_NOTADB', 'SQLITE_NOTICE', 'SQLITE_WARNING',
] as const;

/** SQLite's extended result codes by number (from sqlite3.h of the amalgamation cbox builds). */
const EXTENDED_CODES: ReadonlyMap<number, string> = new Map([
  [257, 'SQLITE_ERROR_MISSING_COLLSEQ'], [261, 'SQLITE_BUSY_RECOVERY'], [262, 'SQLITE_LOCKED_SHAREDCACHE'],
  [264, 'SQLITE_READONLY_RECOVERY'], [266, 'SQLITE_IOERR_READ'], [267, 'SQLITE_CORRUPT_VTAB'],
  [270, 'SQLITE_CANTOPEN_NOTEMPDIR'], [275, 'SQLITE_CONSTRAINT_CHECK'], [279, 'SQLITE_AUTH_USER'],
  [283, 'SQLITE_NOTICE_RECOVER_WAL'], [284, 'SQLITE_WARNING_AUTOINDEX'], [513, 'SQLITE_ERROR_RETRY'],
  [516, 'SQLITE_ABORT_ROLLBACK'], [517, 'SQLITE_BUSY_SNAPSHOT'], [518, 'SQLITE_LOCKED_VTAB'],
  [520, 'SQLITE_READONLY_CANTLOCK'], [522, 'SQLITE_IOERR_SHORT_READ'], [523, 'SQLITE_CORRUPT_SEQUENCE'],
  [526, 'SQLITE_CANTOPEN_ISDIR'], [531, 'SQLITE_CONSTRAINT_COMMITHOOK'], [539, 'SQLITE_NOTICE_RECOVER_ROLLBACK'],
  [769, 'SQLITE_ERROR_SNAPSHOT'], [773, 'SQLITE_BUSY_TIMEOUT'], [776, 'SQLITE_READONLY_ROLLBACK'],
  [778, 'SQLITE_IOERR_WRITE'], [779, 'SQLITE_CORRUPT_INDEX'], [782, 'SQLITE_CANTOPEN_FULLPATH'],
  [787, 'SQLITE_CONSTRAINT_FOREIGNKEY'], [795, 'SQLITE_NOTICE_RBU'], [1025, 'SQLITE_ERROR_RESERVESIZE'],
  [1032, 'SQLITE_READONLY_DBMOVED'], [1034, 'SQLITE_IOERR_FSYNC'], [1038, 'SQLITE_CANTOPEN_CONVPATH'],
  [1043, 'SQLITE_CONSTRAINT_FUNCTION'], [1281, 'SQLITE_ERROR_KEY'], [1288, 'SQLITE_READONLY_CANTINIT'],
  [1290, 'SQLITE_IOERR_DIR_FSYNC'], [1294, 'SQLITE_CANTOPEN_DIRTYWAL'], [1299, 'SQLITE_CONSTRAINT_NOTNULL'],
  [1537, 'SQLITE_ERROR_UNABLE'], [1544, 'SQLITE_READONLY_DIRECTORY'], [1546, 'SQLITE_IOERR_TRUNCATE'],
  [1550, 'SQLITE_CANTOPEN_SYMLINK'], [1555, 'SQLITE_CONSTRAINT_PRIMARYKEY'], [1802, 'SQLITE_IOERR_FSTAT'],
  [1811, 'SQLITE_CONSTRAINT_TRIGGER'], [2058, 'SQLITE_IOERR_UNLOCK'], [2067, 'SQLITE_CONSTRAINT_UNIQUE'],
  [2314, 'SQLITE_IOERR_RDLOCK'], [2323, 'SQLITE_CONSTRAINT_VTAB'], [2570, 'SQLITE_IOERR_DELETE'],
  [2579, 'SQLITE_CONSTRAINT_ROWID'], [2826, 'SQLITE_IOERR_BLOCKED'], [2835, 'SQLITE_CONSTRAINT_PINNED'],
  [3082, 'SQLITE_IOERR_NOMEM'], [3091, 'SQLITE_CONSTRAINT_DATATYPE'], [3338, 'SQLITE_IOERR_ACCESS'],
  [3594, 'SQLITE_IOERR_CHECKRESERVEDLOCK'], [3850, 'SQLITE_IOERR_LOCK'], [4106, 'SQLITE_IOERR_CLOSE'],
  [4362, 'SQLITE_IOERR_DIR_CLOSE'], [4618, 'SQLITE_IOERR_SHMOPEN'], [4874, 'SQLITE_IOERR_SHMSIZE'],
  [5130, 'SQLITE_IOERR_SHMLOCK'], [5386, 'SQLITE_IOERR_SHMMAP'], [5642, 'SQLITE_IOERR_SEEK'],
  [5898, 'SQLITE_IOERR_DELETE_NOENT'], [6154, 'SQLITE_IOERR_MMAP'], [6410, 'SQLITE_IOERR_GETTEMPPATH'],
  [6666, 'SQLITE_IOERR_CONVPATH'], [6922, 'SQLITE_IOERR_VNODE'], [7178, 'SQLITE_IOERR_AUTH'],
  [7434, 'SQLITE_IOERR_BEGIN_ATOMIC'], [7690, 'SQLITE_IOERR_COMMIT_ATOMIC'], [7946, 'SQLITE_IOERR_ROLLBACK_ATOMIC'],
  [8202, 'SQLITE_IOERR_DATA'], [8458, 'SQLITE_IOERR_CORRUPTFS'], [8714, 'SQLITE_IOERR_IN_PAGE'],
  [8970, 'SQLITE_IOERR_BADKEY'], [9226, 'SQLITE_IOERR_CODEC'],
]);

/** The name better-sqlite3 gives a result code: the extended name when there is one. */
export function codeName(errcode: number): string {
  return EXTENDED_CODES.get(errcode) ?? PRIMARY_CODES[errcode & 0xff] ?? `SQLITE_UNKNOWN_${errcode}`;
}

export class SqliteError extends CboxCallError {
  /** SQLite's extended result code as a number, e.g. 1555 for SQLITE_CONSTRAINT_PRIMARYKEY. */
  readonly errcode: number;

  /** `fn`: the glue export that failed; `message`: SQLite's message, which is the error's message. */
  constructor(fn: string, message: string, errcode: number) {
    super(fn, message, codeName(errcode));
    this.message = message;
    this.name = 'SqliteError';
    this.errcode = errcode;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), errcode: this.errcode };
  }
}

/** A statement stopped at its `timeoutMs` (SQLite's SQLITE_INTERRUPT, so `code` is
 * 'SQLITE_INTERRUPT'): its changes were undone (a write in an explicit transaction rolls the
 * whole transaction back, as SQLite does on any interrupt) and the database goes on working. */
export class SqliteTimeoutError extends SqliteError {
  constructor(fn: string, errcode: number, readonly timeoutMs: number) {
    super(fn, `interrupted: the statement ran longer than its timeoutMs (${timeoutMs} ms)`, errcode);
    this.name = 'SqliteTimeoutError';
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), timeoutMs: this.timeoutMs };
  }
}
