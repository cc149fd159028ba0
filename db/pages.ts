import type { Knex } from 'knex';
import { toDbTime } from './time';

/**
 * Keyset pagination, newest first (or oldest first for queues): the cursor is
 * the last row's (created_at, id), opaque to clients (base64url JSON). A
 * cursor that does not decode is refused (InvalidCursorError → 400).
 */
export class InvalidCursorError extends Error {}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

interface Cursor {
  created_at: string;
  id: string;
}

export function encodeCursor(row: { created_at: string; id: string }): string {
  return Buffer.from(JSON.stringify({ c: row.created_at, i: row.id })).toString('base64url');
}

export function decodeCursor(cursor: string): Cursor {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof v?.c !== 'string' || typeof v?.i !== 'string' || v.i.length > 64 || Number.isNaN(Date.parse(v.c)))
      throw new Error('shape');
    return { created_at: v.c, id: v.i };
  } catch {
    throw new InvalidCursorError('cursor is not one this API returned');
  }
}

/** Applies order and the cursor to `q` and reads one page of `limit` rows (one more is read to know whether another page follows). */
export async function page<T extends { created_at: string; id: string }>(
  q: Knex.QueryBuilder,
  o: { limit: number; cursor?: string; oldestFirst?: boolean; table: string },
  map: (row: Record<string, unknown>) => T,
): Promise<Page<T>> {
  const dir = o.oldestFirst ? 'asc' : 'desc';
  const cmp = o.oldestFirst ? '>' : '<';
  const created = `${o.table}.created_at`;
  const id = `${o.table}.id`;
  if (o.cursor) {
    const c = decodeCursor(o.cursor);
    const at = toDbTime(c.created_at);
    q.where((w) => w.where(created, cmp, at).orWhere((x) => x.where(created, at).andWhere(id, cmp, c.id)));
  }
  const rows = (await q
    .orderBy(created, dir)
    .orderBy(id, dir)
    .limit(o.limit + 1)) as Record<string, unknown>[];
  const items = rows.slice(0, o.limit).map(map);
  return { items, next_cursor: rows.length > o.limit ? encodeCursor(items[items.length - 1]) : null };
}
