import type { Knex } from 'knex';
import { fromDbTime } from './time';

/** Row conversion and the write helpers every repository shares. */
const MONEY = [
  'harga',
  'jumlah',
  'biaya_platform',
  'biaya_gateway',
  'total_bayar',
  'jumlah_ditahan',
  'jumlah_bersih',
  'jumlah_dirilis',
  'jumlah_freelancer',
];
const TIMES = [
  'created_at',
  'updated_at',
  'expires_at',
  'dibayar_pada',
  'ditahan_pada',
  'akan_dirilis_pada',
  'dirilis_pada',
  'dicairkan_pada',
  'late_settled_at',
  'dibuka_pada',
  'diputuskan_pada',
  'selesai_pada',
];

export function fromRow<T>(row: Record<string, unknown> | undefined): T | undefined {
  if (!row) return undefined;
  const out: Record<string, unknown> = { ...row };
  for (const k of MONEY) if (k in out && out[k] !== null) out[k] = Number(out[k]);
  for (const k of TIMES) if (k in out) out[k] = fromDbTime(out[k]);
  if ('workflow_version' in out && out.workflow_version !== null) out.workflow_version = Number(out.workflow_version);
  if ('workflow_pending' in out) out.workflow_pending = Boolean(Number(out.workflow_pending));
  if ('workflow_started' in out) out.workflow_started = Boolean(Number(out.workflow_started));
  if ('rekening_ke' in out) out.rekening_ke = Number(out.rekening_ke);
  if (typeof out.payment_instructions === 'string') out.payment_instructions = JSON.parse(out.payment_instructions);
  return out as T;
}

/**
 * Whether `err` is a unique-key violation (MySQL ER_DUP_ENTRY, SQLite
 * UNIQUE/PRIMARY KEY constraint), and, with `column`, one on that column. Only
 * the driver's own words count (knex prefixes the whole SQL statement, which
 * names every column): SQLite says `UNIQUE constraint failed: table.column`,
 * MySQL `Duplicate entry '…' for key 'table_column_unique'` (or `PRIMARY`).
 */
export function isUniqueViolation(err: unknown, column?: string): boolean {
  const v = violation(err);
  if (!v) return false;
  if (!column) return true;
  if (!v.key) return false;
  if (column === 'id') return v.sqlite ? v.key.endsWith('.id') : /(^|\.)PRIMARY$/.test(v.key);
  return v.sqlite ? v.key.endsWith(`.${column}`) : v.key.endsWith(`_${column}_unique`);
}

/** A unique-key violation with the key the driver names (never the SQL statement knex adds, which carries values). */
function violation(err: unknown): { sqlite: boolean; key: string | undefined } | null {
  const e = err as { code?: string; errno?: number; message?: string; sqlMessage?: string } | null;
  if (!e || typeof e !== 'object') return null;
  const sqlite = e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  const mysql = e.code === 'ER_DUP_ENTRY' || e.errno === 1062;
  if (!sqlite && !mysql) return null;
  const message = String(e.sqlMessage ?? e.message ?? '');
  return {
    sqlite,
    key: sqlite ? /constraint failed: ([\w.]+)/.exec(message)?.[1] : /for key '([^']+)'/.exec(message)?.[1],
  };
}

/** An idempotent write found a different record where it expected its own. */
export class IdempotencyConflictError extends Error {
  constructor(table: string, id: string, detail: string) {
    super(`${table} ${id}: ${detail}`);
    this.name = 'IdempotencyConflictError';
  }
}

/**
 * Inserts `row` unless a row with the same id exists; a repeat is a no-op only
 * when the existing row is the same record (the fields in `same` match). Any
 * other clash — another unique key, or a different record under this id —
 * fails loudly instead of being dropped (knex's `onConflict().ignore()` is
 * INSERT IGNORE on MySQL, which silently drops a row on any unique clash).
 */
export async function insertIdempotent(
  trx: Knex | Knex.Transaction,
  table: string,
  row: Record<string, unknown> & { id: string },
  same: readonly string[],
): Promise<'inserted' | 'existed'> {
  try {
    await trx(table).insert(row);
    return 'inserted';
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const existing = await trx(table).where({ id: row.id }).first();
    if (!existing)
      throw new IdempotencyConflictError(
        table,
        row.id,
        `insert clashed with another record on a unique key (key ${violation(err)?.key ?? 'unknown'})`,
      );
    const differs = same.filter((k) => String(existing[k]) !== String(row[k]));
    if (differs.length)
      throw new IdempotencyConflictError(
        table,
        row.id,
        `a different record exists under this id (${differs.join(', ')} differ)`,
      );
    return 'existed';
  }
}
