/**
 * Database errors as the rest of the service may see them. knex puts the whole
 * SQL statement, values included, into an error's message; nothing outside db/
 * should log or store that. `describeDbError` keeps the driver's code only;
 * `isDatabaseUnavailable` tells an outage (answer 503, retry later) from a bug;
 * `storageFailureOf` tells, among outages, a database that answers but cannot
 * write (full, read-only, out of memory).
 */
/** Socket errors are the database's only when the driver says so (mysql2 marks its connection errors `fatal`). */
const SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH']);
/** By SQLite's primary code (better-sqlite3 gives the extended one: `SQLITE_BUSY_SNAPSHOT`, `SQLITE_CANTOPEN_ISDIR`, …). */
const UNAVAILABLE = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ER_LOCK_DEADLOCK',
  'ER_CON_COUNT_ERROR',
  'ER_ACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'ER_LOCK_WAIT_TIMEOUT',
  'SQLITE_BUSY',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
]);

/**
 * Why a database cannot write: `read_only` (the file, the session or the server
 * refuses writes) or `full` (no space or no memory left to write with).
 */
export type StorageFailure = 'read_only' | 'full';

/** SQLite, by primary code; I/O errors only when they are a write's (extended codes). */
const SQLITE_STORAGE: Record<string, StorageFailure> = {
  SQLITE_READONLY: 'read_only', // also _DBMOVED, _CANTLOCK, _RECOVERY, _ROLLBACK, _DIRECTORY, _CANTINIT
  SQLITE_FULL: 'full',
  SQLITE_NOMEM: 'full',
};
const SQLITE_IOERR_STORAGE: Record<string, StorageFailure> = {
  SQLITE_IOERR_WRITE: 'full',
  SQLITE_IOERR_FSYNC: 'full',
  SQLITE_IOERR_DIR_FSYNC: 'full',
  SQLITE_IOERR_TRUNCATE: 'full',
  SQLITE_IOERR_NOMEM: 'full',
  SQLITE_IOERR_SHMSIZE: 'full',
};
/** MySQL / MariaDB: mysql2's code, the server's errno (an errno mysql2 has no name for still counts), and why. */
const MYSQL_STORAGE: [code: string, errno: number, why: StorageFailure][] = [
  ['ER_RECORD_FILE_FULL', 1114, 'full'], // the table is full
  ['ER_DISK_FULL', 1021, 'full'],
  ['ER_ERROR_ON_WRITE', 1026, 'full'],
  ['ER_TEMP_FILE_WRITE_FAILURE', 1878, 'full'],
  ['ER_OUT_OF_RESOURCES', 1041, 'full'],
  ['ER_OUTOFMEMORY', 1037, 'full'],
  ['ER_ENGINE_OUT_OF_MEMORY', 3015, 'full'],
  ['ER_CANT_LOCK', 1015, 'read_only'], // cannot lock the table's file
  ['ER_OPEN_AS_READONLY', 1036, 'read_only'],
  ['ER_READ_ONLY_MODE', 1836, 'read_only'],
  ['ER_INNODB_READ_ONLY', 1874, 'read_only'],
  ['ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION', 1792, 'read_only'], // a read-only session
];
/** Operating-system codes a driver may pass on (with the statement attached). */
const OS_STORAGE: Record<string, StorageFailure> = {
  ENOSPC: 'full',
  EDQUOT: 'full',
  ENOMEM: 'full',
  EROFS: 'read_only',
};

type DriverError = {
  name?: string;
  code?: unknown;
  errno?: unknown;
  sql?: unknown;
  message?: unknown;
  sqlMessage?: unknown;
  fatal?: unknown;
};

/** SQLite's primary result code of an extended one (`SQLITE_READONLY_DBMOVED` → `SQLITE_READONLY`); any other code as it is. */
function primaryCode(code: unknown): string {
  const c = String(code);
  return /^SQLITE_[A-Z]+/.exec(c)?.[0] ?? c;
}

/** Whether `err` came from the database driver or knex (it carries SQL, a driver code, or is knex's pool timeout). */
export function isDatabaseError(err: unknown): boolean {
  const e = err as DriverError | null;
  if (!e || typeof e !== 'object') return false;
  return (
    typeof e.sql === 'string' ||
    e.name === 'KnexTimeoutError' ||
    (typeof e.code === 'string' && /^(ER_|SQLITE_|PROTOCOL_)/.test(e.code)) ||
    (SOCKET.has(String(e.code)) && e.fatal === true)
  );
}

/** An outage rather than a bad query: the connection, the pool or a lock could not be had. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as DriverError | null;
  if (!e || typeof e !== 'object') return false;
  if (!isDatabaseError(err)) return false;
  return (
    e.name === 'KnexTimeoutError' ||
    UNAVAILABLE.has(primaryCode(e.code)) ||
    SOCKET.has(String(e.code)) ||
    e.fatal === true ||
    storageFailureOf(err) !== null
  );
}

/**
 * A database that answers but cannot write: full (disk, table, quota, memory)
 * or read-only (file, session, server), else null. An outage too (answer 503,
 * retry later), but one an operator must usually clear.
 */
export function storageFailureOf(err: unknown): StorageFailure | null {
  const e = err as DriverError | null;
  if (!e || typeof e !== 'object' || !isDatabaseError(err)) return null;
  const code = typeof e.code === 'string' ? e.code : '';
  if (code.startsWith('SQLITE_')) return SQLITE_STORAGE[primaryCode(code)] ?? SQLITE_IOERR_STORAGE[code] ?? null;
  const known = MYSQL_STORAGE.find(([c, errno]) => c === code || errno === e.errno);
  if (known) return known[2];
  // the server's own words, never knex's message (which starts with the SQL and its values)
  const said = typeof e.sqlMessage === 'string' ? e.sqlMessage : '';
  // 1290: "running with the --read-only (or --super-read-only) option"; the same code names other options too
  if ((code === 'ER_OPTION_PREVENTS_STATEMENT' || e.errno === 1290) && /read[-_ ]only/i.test(said)) return 'read_only';
  // 1030: "Got error 28 "No space left on device" from storage engine"
  if ((code === 'ER_GET_ERRNO' || e.errno === 1030) && /\berror 28\b|no space/i.test(said)) return 'full';
  if ((code === 'ER_GET_ERRNO' || e.errno === 1030) && /read[-_ ]only/i.test(said)) return 'read_only';
  return OS_STORAGE[code] ?? null;
}

/** Whether the database could not write: full, read-only or out of memory (see `storageFailureOf`). */
export function isDatabaseStorageFailure(err: unknown): boolean {
  return storageFailureOf(err) !== null;
}

/** A database error without its SQL or values: its kind and driver code. */
export function describeDbError(err: unknown): string {
  const e = err as DriverError;
  const code = typeof e.code === 'string' ? e.code : e.name === 'KnexTimeoutError' ? 'POOL_TIMEOUT' : 'UNKNOWN';
  const storage = storageFailureOf(err);
  if (storage)
    return `database error ${code} (the database cannot write: ${storage === 'full' ? 'full or out of memory' : 'read-only'})`;
  return `database error ${code}${isDatabaseUnavailable(err) ? ' (the database is unavailable)' : ''}`;
}

/** An error as logs may show it: a database error by its code only (its message carries SQL and values), anything else as its message. */
export function safeError(err: unknown): string {
  return isDatabaseError(err) ? describeDbError(err) : err instanceof Error ? err.message : String(err);
}
