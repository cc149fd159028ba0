/**
 * Database errors as the rest of the service may see them. knex puts the whole
 * SQL statement, values included, into an error's message; nothing outside db/
 * should log or store that. `describeDbError` keeps the driver's code only;
 * `isDatabaseUnavailable` tells an outage (answer 503, retry later) from a bug.
 */
/** Socket errors are the database's only when the driver says so (mysql2 marks its connection errors `fatal`). */
const SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH']);
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

type DriverError = { name?: string; code?: unknown; errno?: unknown; sql?: unknown; message?: unknown; fatal?: unknown };

/** Whether `err` came from the database driver or knex (it carries SQL, a driver code, or is knex's pool timeout). */
export function isDatabaseError(err: unknown): boolean {
  const e = err as DriverError | null;
  if (!e || typeof e !== 'object') return false;
  return typeof e.sql === 'string' || e.name === 'KnexTimeoutError' || (typeof e.code === 'string' && /^(ER_|SQLITE_|PROTOCOL_)/.test(e.code)) || (SOCKET.has(String(e.code)) && e.fatal === true);
}

/** An outage rather than a bad query: the connection, the pool or a lock could not be had. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as DriverError | null;
  if (!e || typeof e !== 'object') return false;
  if (!isDatabaseError(err)) return false;
  return e.name === 'KnexTimeoutError' || UNAVAILABLE.has(String(e.code)) || SOCKET.has(String(e.code)) || e.fatal === true;
}

/** A database error without its SQL or values: its kind and driver code. */
export function describeDbError(err: unknown): string {
  const e = err as DriverError;
  const code = typeof e.code === 'string' ? e.code : e.name === 'KnexTimeoutError' ? 'POOL_TIMEOUT' : 'UNKNOWN';
  return `database error ${code}${isDatabaseUnavailable(err) ? ' (the database is unavailable)' : ''}`;
}

/** An error as logs may show it: a database error by its code only (its message carries SQL and values), anything else as its message. */
export function safeError(err: unknown): string {
  return isDatabaseError(err) ? describeDbError(err) : err instanceof Error ? err.message : String(err);
}
