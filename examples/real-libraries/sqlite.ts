// SQLite 3 (the amalgamation shipped in better-sqlite3) built by `cbox build` from
// c-src/sqlite, with the API a Node user expects: open, exec, prepare, run/get/all/iterate, close.
// Every database runs in its own sandbox; file databases live in a directory the caller grants.
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  CboxArgumentError, CboxCallError, CboxClosedError, load, StaleHandleError, type Handle, type Library, type LoadOptions,
} from '../../runtime/index.js';
import { binding, type SqliteExports } from '../../wasm-modules/sqlite.js';
import { SqliteError } from './sqlite-error.js';
import { Statement } from './sqlite-statement.js';

export { SqliteError } from './sqlite-error.js';
export { Statement, type Row, type RunResult } from './sqlite-statement.js';
export type { SqlValue } from './sqlite-values.js';
export type { BindParameters, NamedParameters } from './sqlite-parameters.js';

export interface OpenOptions {
  /** Host directory holding the database file (granted to the sandbox; nothing else is). */
  readonly directory?: string;
  /**
   * Grant the directory read-only and open the database read-only without file locks: as
   * `immutable` (nothing may write the file meanwhile), or, when a `-wal` file with changes lies
   * next to it, in exclusive mode so those are read too.
   */
  readonly readOnly?: boolean;
  /**
   * Lock the file for this connection alone (PRAGMA locking_mode=EXCLUSIVE). Needed to open a
   * database in WAL mode (one better-sqlite3 switched to WAL, say): the WASI build has no shared
   * memory for WAL's index, and exclusive mode keeps it in the sandbox instead.
   */
  readonly exclusive?: boolean;
  /** Every INTEGER as bigint (default: number, and bigint only beyond 2^53). */
  readonly safeIntegers?: boolean;
  /** The sandbox's memory limit ("64MiB"): SQLite gets SQLITE_NOMEM past it. */
  readonly memoryLimit?: LoadOptions['memoryLimit'];
}

const GUEST_DIR = '/db';
const MEMORY = ':memory:';
const SQLITE_OPEN_READONLY = 0x1;
const SQLITE_OPEN_URI = 0x40;
const SQLITE_OK = 0;

/** Opens `name` (a file name inside options.directory, or ':memory:') in a sandbox of its own. */
export async function openDatabase(name: string, options: OpenOptions = {}): Promise<Database> {
  if (name !== MEMORY && !options.directory) throw new CboxArgumentError('openDatabase: a file database needs options.directory (the only place the sandbox may touch)');
  if (name === '' || name.includes('/') || name.includes('\0')) throw new CboxArgumentError(`openDatabase: ${JSON.stringify(name)} is not a file name inside options.directory`);
  const library = await load(binding, {
    memoryLimit: options.memoryLimit,
    logger: null,
    wasi: options.directory ? { preopens: { [GUEST_DIR]: { path: options.directory, readOnly: options.readOnly ?? false } } } : undefined,
  });
  // A read-only file: `immutable`, or exclusive mode to read the changes in a -wal file beside it.
  const walBeside = options.readOnly === true && name !== MEMORY && existsSync(path.join(options.directory!, `${name}-wal`));
  try {
    return new Database(library, openConnection(library, name, options.readOnly ?? false, walBeside), name, options.safeIntegers ?? false, options.exclusive ?? walBeside);
  } catch (error) {
    library.close();
    throw error;
  }
}

function openConnection(library: Library<SqliteExports>, name: string, readOnly: boolean, walBeside: boolean): Handle {
  const file = name === MEMORY ? name : `${GUEST_DIR}/${name}`;
  // SQLite's WASI build locks with a `<file>.lock` directory, which a read-only grant cannot hold,
  // and would create a WAL file it cannot write: read-only files open through a URI that says so.
  const uri = `file:${file.replace(/[%?#]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)}?${walBeside ? 'mode=ro&vfs=unix-none' : 'immutable=1'}`;
  const handle = readOnly && name !== MEMORY
    ? library.db_open(uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI)
    : library.db_open(file, readOnly ? SQLITE_OPEN_READONLY : 0);
  if (!handle) throw new SqliteError('db_open', `cannot open ${name}: ${library.db_open_error()}`, library.db_open_errcode());
  return handle;
}

export class Database {
  private closed = false;
  private readonly subject = (): string => `database ${this.name}`;
  /** C statements not finalized yet: close() finalizes them, else sqlite3_close_v2 would leave a
   * zombie connection that keeps its lock directory and WAL file until the sandbox is gone. */
  private readonly statements = new Set<Handle>();
  /** Statements dropped without finalize() are finalized in the sandbox once collected. */
  private readonly unreachable = new FinalizationRegistry<Handle>((handle) => this.finalizeCollected(handle));

  /** @internal Made by openDatabase. */
  constructor(
    /** The sandbox (stats(), on('trap'), recycle()); closed with the database. */
    readonly library: Library<SqliteExports>,
    private readonly handle: Handle,
    readonly name: string,
    readonly safeIntegers: boolean,
    exclusive: boolean,
  ) {
    if (exclusive) this.exec('PRAGMA locking_mode=EXCLUSIVE');
  }

  get open(): boolean {
    return this.owns(this.handle);
  }

  get inTransaction(): boolean {
    this.check(this.handle, this.subject);
    return !this.library.db_autocommit(this.handle);
  }

  /** Runs a script of any number of statements; no parameters, no rows. */
  exec(sql: string): void {
    this.check(this.handle, this.subject);
    if (this.call(() => this.library.db_exec(this.handle, sql)) !== SQLITE_OK) {
      throw new SqliteError('db_exec', this.library.db_errmsg(this.handle), this.library.db_errcode(this.handle));
    }
  }

  /** Prepares one statement (more than one is refused: exec runs scripts). */
  prepare(sql: string): Statement {
    this.check(this.handle, this.subject);
    const handle = this.call(() => this.library.stmt_prepare(this.handle, sql));
    if (!handle) {
      const errcode = this.library.db_errcode(this.handle);
      const reason = this.library.stmt_prepare_error();
      if (errcode === SQLITE_OK) throw new CboxArgumentError(`prepare: ${reason}: ${JSON.stringify(sql.length > 80 ? `${sql.slice(0, 80)}...` : sql)}`);
      throw new SqliteError('stmt_prepare', reason, errcode);
    }
    this.statements.add(handle);
    const statement = new Statement(this, handle, sql);
    this.unreachable.register(statement, handle, statement);
    return statement;
  }

  /** Closes the connection and its sandbox; statements and later calls throw CboxClosedError. */
  close(): void {
    if (this.closed) return;
    const live = this.owns(this.handle);
    this.closed = true;
    try {
      // After a recycle the connection died with its sandbox: nothing left to close in C.
      if (live) {
        for (const statement of this.statements) this.library.stmt_finalize(statement);
        this.library.db_close(this.handle);
      }
    } finally {
      this.statements.clear();
      this.library.close();
    }
  }

  /** @internal Throws unless `handle` (this connection's or one of its statements') can be used;
   * `subject` names its owner, only asked for when there is an error to tell. */
  check(handle: Handle, subject: () => string): void {
    if (this.owns(handle)) return;
    if (this.closed) throw new CboxClosedError(`${subject()}: database ${this.name} is closed`);
    throw new StaleHandleError(`${subject()} belongs to SQLite sandbox generation ${handle.generation}, which was recycled (now generation ${this.library.generation}): the connection and its statements are gone; open the database again`);
  }

  /** @internal The handle is from the live sandbox of an open database. */
  owns(handle: Handle): boolean {
    return !this.closed && handle.generation === this.library.generation;
  }

  /** @internal Runs a glue call; an error SQLite reported becomes a SqliteError with its code. */
  call<T>(glueCall: () => T): T {
    try {
      return glueCall();
    } catch (error) {
      throw this.withSqliteCode(error);
    }
  }

  /** @internal Statement.finalize. */
  release(statement: Statement, handle: Handle): void {
    this.unreachable.unregister(statement);
    if (this.statements.delete(handle) && this.owns(handle)) this.library.stmt_finalize(handle);
  }

  private withSqliteCode(error: unknown): unknown {
    // Traps, stale handles and the glue's own refusals pass as they are; a call error after which
    // the connection holds an error code is SQLite's.
    if (!(error instanceof CboxCallError) || error instanceof SqliteError || error.code !== 'call-failed' || !this.owns(this.handle)) return error;
    const errcode = this.library.db_errcode(this.handle);
    return errcode === SQLITE_OK ? error : new SqliteError(error.function, error.detail, errcode);
  }

  private finalizeCollected(handle: Handle): void {
    if (!this.statements.delete(handle) || !this.owns(handle)) return;
    try {
      this.library.stmt_finalize(handle);
    } catch {
      // Nobody is left to tell (the statement was unreachable); a trap still shows in the
      // library's 'trap' event and stats, and the recycle already freed everything.
    }
  }
}
