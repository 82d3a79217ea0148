// Where a cbox/sqlite database lives and how its sandbox is opened: every Database gets a sandbox
// of its own (loadSync: the module is compiled once, on first use, and cached) that is granted
// exactly the directory of its file (for the file's journal, WAL and lock), or no files at all
// for ':memory:' and '' (a temporary database, kept in memory: SQLITE_TEMP_STORE=2).
import { existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadSync, type Handle, type Library } from 'cbox';
import { binding, type SqliteExports } from '../../wasm-modules/sqlite.js';
import { SqliteError } from './errors.js';

export type SqliteLibrary = Library<SqliteExports>;

/** The memoryLimit when the options name none. */
export const DEFAULT_MEMORY_LIMIT = '256MiB';

const SQLITE_OPEN_READONLY = 0x1;
const SQLITE_OPEN_READWRITE = 0x2;
const SQLITE_OPEN_CREATE = 0x4;
const SQLITE_OPEN_URI = 0x40;

export interface Place {
  /** ':memory:' for in-memory and temporary databases, else the absolute path of the file. */
  readonly file: string;
  /** The directory the sandbox is granted (null: none). */
  readonly directory: string | null;
  readonly memory: boolean;
}

/** Where `filename` is, as better-sqlite3 takes it: ':memory:', '' (temporary) or a path. */
export function placeOf(filename: string, readonly: boolean): Place {
  if (filename === '' || filename === ':memory:') {
    if (readonly) throw new TypeError('In-memory/temporary databases cannot be readonly');
    return { file: ':memory:', directory: null, memory: true };
  }
  if (filename.startsWith('file:')) throw new TypeError('cbox/sqlite does not take file: URIs: pass a path (the sandbox is granted its directory)');
  const file = path.resolve(filename);
  const directory = path.dirname(file);
  if (!existsSync(directory) || !statSync(directory).isDirectory()) throw new TypeError('Cannot open database because the directory does not exist');
  return { file, directory, memory: false };
}

/** Whether the file's header says WAL mode (bytes 18 and 19 are 2): such a file needs exclusive locking here. */
export function isWalFile(file: string): boolean {
  if (!existsSync(file)) return false;
  const header = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    return readSync(fd, header, 0, 20, 0) === 20 && header.toString('latin1', 0, 16) === 'SQLite format 3\0' && header[18] === 2 && header[19] === 2;
  } finally {
    closeSync(fd);
  }
}

export function openSandbox(place: Place, readonly: boolean, memoryLimit: number | string | undefined): SqliteLibrary {
  return loadSync(binding, {
    memoryLimit: memoryLimit ?? DEFAULT_MEMORY_LIMIT,
    logger: null,
    // No warm spare: a database is one sandbox; after a crash the Database is closed and opened again.
    spare: false,
    // Clocks for datetime('now') and the busy timeout's sleeps; randomness for random() and temp names.
    wasi: {
      clock: true,
      random: true,
      ...(place.directory === null ? {} : { preopens: { [place.directory]: { path: place.directory, readOnly: readonly } } }),
    },
  });
}

/**
 * Opens the connection. A read-only file opens through a URI that says so: the WASI build locks
 * with a `<file>.lock` directory, which a read-only grant cannot hold, so it is `immutable`, or,
 * with a -wal file beside it, read without locks in exclusive mode (the caller sets it) so the
 * changes in the WAL are seen.
 */
export function openConnection(library: SqliteLibrary, place: Place, readonly: boolean, fileMustExist: boolean, walBeside: boolean): Handle {
  let handle: Handle | null;
  if (readonly) {
    const uri = `file:${place.file.replace(/[%?#]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)}?${walBeside ? 'mode=ro&vfs=unix-none' : 'immutable=1'}`;
    handle = library.db_open(uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
  } else {
    handle = library.db_open(place.file, SQLITE_OPEN_READWRITE | (fileMustExist ? 0 : SQLITE_OPEN_CREATE));
  }
  if (!handle) throw new SqliteError('db_open', library.db_open_error(), library.db_open_errcode());
  return handle;
}
