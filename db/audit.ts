import type { Knex } from 'knex';
import { recordEvent } from './notifications';
import { fromDbTime, nowDb } from './time';

/**
 * The audit trail: one row per change, written in the transaction of the
 * change itself (or, for a request whose change a workflow makes, by the API
 * once the workflow answered). Append-only. A change the other modules are
 * told of also gets its notification event here, in the same transaction
 * (db/notifications.ts).
 */
export type Actor =
  | { type: 'user'; id: string; role: string; request_id?: string | null }
  | { type: 'gateway' | 'system'; request_id?: string | null };

export const SYSTEM: Actor = { type: 'system' };

export interface AuditEntry {
  action: string;
  record_type: 'order' | 'payment' | 'escrow' | 'withdrawal' | 'dispute' | 'refund';
  record_id: string;
  pesanan_id: string | null;
  status_before: string | null;
  status_after: string | null;
}

export async function audit(trx: Knex | Knex.Transaction, actor: Actor, e: AuditEntry): Promise<void> {
  const at = nowDb();
  await trx('audit_log').insert({
    at,
    actor_type: actor.type,
    actor_id: actor.type === 'user' ? actor.id : null,
    actor_role: actor.type === 'user' ? actor.role : null,
    request_id: actor.request_id ?? null,
    ...e,
  });
  await recordEvent(trx, e, at);
}

/** The trail of a record (or of an order and everything in it, by the order's id), oldest first. */
export async function auditTrail(db: Knex, recordId: string) {
  const rows = await db('audit_log').where({ record_id: recordId }).orWhere({ pesanan_id: recordId }).orderBy('id');
  return rows.map((r: Record<string, unknown>) => ({ ...r, id: Number(r.id), at: fromDbTime(r.at) }));
}
