// SQLite refused something (a constraint, a corrupt file, out of memory): a CboxCallError, since
// the C code answered with an error and the sandbox is fine, with SQLite's result code.
import { CboxCallError } from '../../runtime/index.js';

/** SQLite's primary result codes (the low byte of an extended code) by number. */
const PRIMARY_CODES = [
  'SQLITE_OK', 'SQLITE_ERROR', 'SQLITE_INTERNAL', 'SQLITE_PERM', 'SQLITE_ABORT', 'SQLITE_BUSY', 'SQLITE_LOCKED',
  'SQLITE_NOMEM', 'SQLITE_READONLY', 'SQLITE_INTERRUPT', 'SQLITE_IOERR', 'SQLITE_CORRUPT', 'SQLITE_NOTFOUND',
  'SQLITE_FULL', 'SQLITE_CANTOPEN', 'SQLITE_PROTOCOL', 'SQLITE_EMPTY', 'SQLITE_SCHEMA', 'SQLITE_TOOBIG',
  'SQLITE_CONSTRAINT', 'SQLITE_MISMATCH', 'SQLITE_MISUSE', 'SQLITE_NOLFS', 'SQLITE_AUTH', 'SQLITE_FORMAT',
  'SQLITE_RANGE', 'SQLITE_NOTADB', 'SQLITE_NOTICE', 'SQLITE_WARNING',
] as const;

export class SqliteError extends CboxCallError {
  /** SQLite's extended result code, e.g. 2067 (SQLITE_CONSTRAINT_UNIQUE); `code` names its primary part. */
  readonly errcode: number;

  /** `fn`: the glue export that failed; `detail`: SQLite's message. */
  constructor(fn: string, detail: string, errcode: number) {
    super(fn, detail, PRIMARY_CODES[errcode & 0xff] ?? `SQLITE_${errcode}`);
    this.name = 'SqliteError';
    this.errcode = errcode;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), errcode: this.errcode };
  }
}
