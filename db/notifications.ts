import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import {
  EVENT_OF_ACTION,
  NotificationBody,
  NotificationStatus,
  eventCopies,
  notificationBackoffMs,
} from '../domain/notifications';
import type { AuditEntry } from './audit';
import { fromRow } from './rows';
import { fromDbTime, nowDb, toDbTime } from './time';

/**
 * The notifications outbox (migration 20261128000006): events recorded in the
 * transaction of the change they report, delivered by the worker
 * (worker/notifier.ts), polled by their recipients (GET /api/notifications).
 */

/** The record's fields an event carries (never an account number in full). */
async function dataOf(
  trx: Knex | Knex.Transaction,
  e: AuditEntry,
  order: Record<string, unknown> | undefined,
): Promise<Record<string, unknown>> {
  const base = { status_before: e.status_before, status_after: e.status_after };
  if (e.record_type === 'payment') {
    const p = fromRow<Record<string, unknown>>(await trx('pembayaran').where({ id: e.record_id }).first());
    return {
      ...base,
      payment_id: e.record_id,
      transaction_id: p?.transaction_id,
      jumlah: p?.jumlah,
      biaya_platform: p?.biaya_platform,
      biaya_gateway: p?.biaya_gateway,
      total_bayar: p?.total_bayar,
      metode_pembayaran: p?.metode_pembayaran,
      channel: p?.channel,
    };
  }
  if (e.record_type === 'escrow') {
    const x = fromRow<Record<string, unknown>>(await trx('escrow').where({ id: e.record_id }).first());
    const released = x?.status === 'released' || e.status_after === 'released';
    return {
      ...base,
      escrow_id: e.record_id,
      jumlah_ditahan: x?.jumlah_ditahan,
      biaya_platform: x?.biaya_platform,
      jumlah_bersih: x?.jumlah_bersih,
      akan_dirilis_pada: x?.akan_dirilis_pada,
      // who released it: the client's user id, or `auto` for the timer
      ...(released
        ? {
            released_by: x?.dirilis_oleh === 'auto' || x?.dirilis_oleh === 'admin' ? x.dirilis_oleh : x?.client_id,
            dirilis_pada: x?.dirilis_pada,
          }
        : {}),
    };
  }
  if (e.record_type === 'withdrawal') {
    // amounts and outcome only: the payout account, channel and receipt are read on the withdrawal itself
    // (withdrawal.completed's copy for the client carries only its ids and status: eventCopies)
    const w = fromRow<Record<string, unknown>>(await trx('pencairan_dana').where({ id: e.record_id }).first());
    return {
      ...base,
      withdrawal_id: e.record_id,
      escrow_id: w?.escrow_id,
      jumlah: w?.jumlah,
      biaya_platform: w?.biaya_platform,
      jumlah_bersih: w?.jumlah_bersih,
      alasan: w?.alasan ?? null,
    };
  }
  if (e.record_type === 'dispute') {
    const d = fromRow<Record<string, unknown>>(await trx('disputes').where({ id: e.record_id }).first());
    return {
      ...base,
      dispute_id: e.record_id,
      escrow_id: d?.escrow_id,
      peran_pembuka: d?.peran_pembuka,
      keputusan: d?.keputusan ?? null,
      jumlah_freelancer: d?.jumlah_freelancer ?? null,
    };
  }
  if (e.record_type === 'refund') {
    // the amount and outcome only: the account the client gave is read on the refund itself
    const r = fromRow<Record<string, unknown>>(await trx('refunds').where({ id: e.record_id }).first());
    return {
      ...base,
      refund_id: e.record_id,
      payment_id: r?.pembayaran_id,
      jumlah: r?.jumlah,
      jenis: r?.jenis,
      status: r?.status,
    };
  }
  return { ...base, judul: order?.judul };
}

/**
 * Records the event an audited change means, if it means one (domain's
 * EVENT_OF_ACTION), in the caller's transaction: called by `audit`, so every
 * change that is audited and reported is reported exactly when it commits.
 */
export async function recordEvent(trx: Knex | Knex.Transaction, e: AuditEntry, at: string): Promise<void> {
  const event = EVENT_OF_ACTION[e.action];
  if (!event) return;
  const order = e.pesanan_id
    ? ((await trx('pesanan').where({ id: e.pesanan_id }).first()) as
        (Record<string, unknown> & { client_id: string; freelancer_id: string }) | undefined)
    : undefined;
  // one event per view: recipients who may read different things of the record get their own copy (domain's eventCopies)
  for (const copy of eventCopies(event.to, e.record_type, await dataOf(trx, e, order), order)) {
    const body: NotificationBody = {
      id: randomUUID(),
      type: event.type,
      occurred_at: fromDbTime(at) as string,
      pesanan_id: e.pesanan_id,
      recipients: copy.recipients,
      data: copy.data,
    };
    const [seq] = await trx('notifications').insert({
      id: body.id,
      type: body.type,
      pesanan_id: e.pesanan_id,
      occurred_at: at,
      body: JSON.stringify(body),
      status: 'pending',
      attempts: 0,
      next_attempt_at: at,
    });
    if (copy.recipients.length)
      await trx('notification_recipients').insert(
        copy.recipients.map((user_id) => ({ user_id, notification_seq: Number(seq) })),
      );
  }
}

export interface NotificationRow {
  seq: number;
  id: string;
  type: string;
  pesanan_id: string | null;
  occurred_at: string;
  status: NotificationStatus;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  delivered_at: string | null;
  body: NotificationBody;
}

function toNotification(r: Record<string, unknown>): NotificationRow {
  return {
    seq: Number(r.seq),
    id: String(r.id),
    type: String(r.type),
    pesanan_id: (r.pesanan_id as string | null) ?? null,
    occurred_at: fromDbTime(r.occurred_at) as string,
    status: r.status as NotificationStatus,
    attempts: Number(r.attempts),
    next_attempt_at: fromDbTime(r.next_attempt_at) as string,
    last_error: (r.last_error as string | null) ?? null,
    delivered_at: fromDbTime(r.delivered_at),
    body: JSON.parse(String(r.body)) as NotificationBody,
  };
}

/**
 * Claims up to `limit` events due now for `claimMs`: per order only its
 * earliest pending event (a later one waits until it is delivered or dead),
 * so deliveries keep each order's order. A row another worker claimed is skipped.
 */
export async function claimDue(db: Knex, limit: number, claimMs: number, now = new Date()): Promise<NotificationRow[]> {
  const at = toDbTime(now);
  const candidates = await db('notifications as n')
    .where('n.status', 'pending')
    .where('n.next_attempt_at', '<=', at)
    .where((w) => w.whereNull('n.claimed_until').orWhere('n.claimed_until', '<', at))
    .whereNotExists((q) =>
      q
        .select(db.raw('1'))
        .from('notifications as p')
        .whereRaw('p.pesanan_id = n.pesanan_id')
        .where('p.status', 'pending')
        .whereRaw('p.seq < n.seq'),
    )
    .orderBy('n.seq')
    .limit(limit)
    .select('n.*');
  const claimed: NotificationRow[] = [];
  const until = toDbTime(new Date(now.getTime() + claimMs));
  for (const row of candidates as Record<string, unknown>[]) {
    // still due, still at the attempt it was read at, and not claimed: a worker that read it before another's failed attempt cannot send it again before its backoff
    const won = await db('notifications')
      .where({ seq: row.seq, status: 'pending', attempts: row.attempts })
      .where('next_attempt_at', '<=', at)
      .where((w) => w.whereNull('claimed_until').orWhere('claimed_until', '<', at))
      .update({ claimed_until: until });
    if (won) claimed.push(toNotification(row));
  }
  return claimed;
}

export async function markDelivered(db: Knex, seq: number): Promise<void> {
  await db('notifications')
    .where({ seq, status: 'pending' })
    .update({
      status: 'delivered',
      delivered_at: nowDb(),
      attempts: db.raw('attempts + 1'),
      claimed_until: null,
      last_error: null,
    });
}

/** A failed attempt: retried after the backoff, or dead once `maxAttempts` were made. Answers whether it is dead now. */
export async function markFailed(
  db: Knex,
  n: NotificationRow,
  error: string,
  maxAttempts: number,
  now = new Date(),
): Promise<boolean> {
  const attempts = n.attempts + 1;
  const dead = attempts >= maxAttempts;
  await db('notifications')
    .where({ seq: n.seq, status: 'pending' })
    .update({
      attempts,
      status: dead ? 'dead' : 'pending',
      next_attempt_at: toDbTime(new Date(now.getTime() + notificationBackoffMs(attempts))),
      claimed_until: null,
      last_error: error.slice(0, 300),
    });
  return dead;
}

export class NotificationStateError extends Error {}

/** Sends an event again (dead, or delivered and asked for again): pending with a fresh attempt count, its id and body unchanged. */
export async function redeliver(db: Knex, id: string): Promise<NotificationRow | undefined> {
  const moved = await db('notifications').where({ id }).whereIn('status', ['dead', 'delivered']).update({
    status: 'pending',
    attempts: 0,
    next_attempt_at: nowDb(),
    claimed_until: null,
    last_error: null,
    delivered_at: null,
  });
  const now = await getNotification(db, id);
  if (now && !moved) throw new NotificationStateError(`notification ${id} is already pending delivery`);
  return now;
}

export async function getNotification(db: Knex, id: string): Promise<NotificationRow | undefined> {
  const row = await db('notifications').where({ id }).first();
  return row ? toNotification(row) : undefined;
}

/** Admin list, newest first; the cursor is the last row's `seq`. */
export async function listNotifications(
  db: Knex,
  o: { status?: NotificationStatus; pesanan_id?: string; limit: number; cursor?: number },
) {
  const q = db('notifications')
    .orderBy('seq', 'desc')
    .limit(o.limit + 1);
  if (o.status) q.where({ status: o.status });
  if (o.pesanan_id) q.where({ pesanan_id: o.pesanan_id });
  if (o.cursor !== undefined) q.where('seq', '<', o.cursor);
  const rows = (await q).map(toNotification);
  const items = rows.slice(0, o.limit);
  return { items, next_cursor: rows.length > o.limit ? String(items[items.length - 1].seq) : null };
}

/**
 * How long a hole in the `seq` order may be a transaction still open (its
 * row invisible until it commits) rather than one rolled back: longer than
 * MySQL's lock wait timeout (50 s), so a transaction still open after it has failed.
 */
export const SEQ_GAP_WAIT_MS = 60_000;

/**
 * The highest `seq` a poll may return up to: below the first hole among the
 * recent events (a transaction that took that `seq` and has not committed yet
 * would otherwise be skipped by a cursor that moved past it). A hole whose
 * next event is older than SEQ_GAP_WAIT_MS is a rolled-back transaction's and
 * no longer holds polls back.
 */
export async function visibleUpTo(db: Knex, now = Date.now()): Promise<number> {
  const cutoff = toDbTime(new Date(now - SEQ_GAP_WAIT_MS));
  const settled = await db('notifications').where('occurred_at', '<=', cutoff).max({ seq: 'seq' }).first();
  let last = Number(settled?.seq ?? 0);
  const recent = (await db('notifications').where('seq', '>', last).orderBy('seq').limit(10_000).pluck('seq')) as (
    number | string
  )[];
  for (const raw of recent) {
    const seq = Number(raw);
    if (seq !== last + 1) break;
    last = seq;
  }
  return last;
}

/** A user's events after `since` (a `seq`), oldest first, up to the visible high-water mark. */
export async function eventsFor(db: Knex, userId: string, o: { since: number; limit: number }) {
  const upTo = await visibleUpTo(db);
  const rows = await db('notifications as n')
    .join('notification_recipients as r', 'r.notification_seq', 'n.seq')
    .where('r.user_id', userId)
    .where('n.seq', '>', o.since)
    .where('n.seq', '<=', upTo)
    .orderBy('n.seq', 'asc')
    .limit(o.limit)
    .select('n.*');
  const items = (rows as Record<string, unknown>[]).map(toNotification);
  // a full page continues after its last event; otherwise everything up to the mark was seen
  const next = items.length === o.limit ? items[items.length - 1].seq : Math.max(o.since, upTo);
  return { items: items.map((n) => n.body), next_cursor: String(next) };
}

/** Events by delivery status, for the metrics. */
export async function countByStatus(db: Knex): Promise<Record<NotificationStatus, number>> {
  const rows = (await db('notifications').select('status').count({ n: '*' }).groupBy('status')) as {
    status: NotificationStatus;
    n: number | string;
  }[];
  const out: Record<NotificationStatus, number> = { pending: 0, delivered: 0, dead: 0 };
  for (const r of rows) out[r.status] = Number(r.n);
  return out;
}
