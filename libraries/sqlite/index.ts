// cbox/sqlite: better-sqlite3's API on SQLite running in a cbox sandbox with a memory cap.
// `import Database from 'cbox/sqlite'` (or `{ Database }`, or require('cbox/sqlite')) where
// better-sqlite3 was.
import { Database } from './database.js';

export { Database };
export { SqliteError, SqliteTimeoutError } from './errors.js';
export type { AggregateOptions, RegistrationOptions } from './functions.js';
export { DEFAULT_MEMORY_LIMIT } from './connection.js';
export type { Options, StatementOptions, PragmaOptions, SerializeOptions, BackupOptions, BackupMetadata } from './database.js';
export type { Statement, RunResult, ColumnDefinition } from './statement.js';
export type { Transaction } from './transaction.js';
export type { SqlValue } from './values.js';
export default Database;
