import type { Knex } from 'knex';
import type { OrderRecord } from '../domain/records';
import type { OrderStatus } from '../domain/statuses';
import { Actor, SYSTEM, audit } from './audit';
import { fromRow } from './rows';
import { nowDb } from './time';

export type NewOrder = Pick<OrderRecord, 'id' | 'client_id' | 'freelancer_id' | 'judul' | 'harga'>;

export async function insertOrder(db: Knex, order: NewOrder, actor: Actor = SYSTEM): Promise<OrderRecord> {
  await db.transaction(async (trx) => {
    const now = nowDb();
    await trx('pesanan').insert({ ...order, status: 'menunggu_pembayaran', created_at: now, updated_at: now });
    await audit(trx, actor, {
      action: 'order.created',
      record_type: 'order',
      record_id: order.id,
      pesanan_id: order.id,
      status_before: null,
      status_after: 'menunggu_pembayaran',
    });
  });
  return (await getOrder(db, order.id)) as OrderRecord;
}

export async function getOrder(db: Knex, id: string): Promise<OrderRecord | undefined> {
  return fromRow<OrderRecord>(await db('pesanan').where({ id }).first());
}

/**
 * No payment was ever created for the order in time (in-workflow payment
 * path): the order is cancelled, unless a payment has been opened for it since
 * (on the database-decided path). Idempotent.
 */
export async function cancelUnpaidOrder(db: Knex, pesananId: string): Promise<void> {
  await db.transaction(async (trx) => {
    const cancelled = await trx('pesanan')
      .where({ id: pesananId, status: 'menunggu_pembayaran' })
      .whereNull('pembayaran_id')
      .update({ status: 'dibatalkan', updated_at: nowDb() });
    if (cancelled)
      await audit(trx, SYSTEM, {
        action: 'order.cancelled',
        record_type: 'order',
        record_id: pesananId,
        pesanan_id: pesananId,
        status_before: 'menunggu_pembayaran',
        status_after: 'dibatalkan',
      });
  });
}

/**
 * Moves the order from one status to the next (work progress), with its
 * `order.status_changed` audit row (and so its notification event) in the same
 * transaction. Guarded by the status it expects, so a retried activity changes
 * nothing twice. Answers the order's status afterwards: `to` when it moved now
 * or before, anything else when the order is not where the change expects it.
 */
export async function changeOrderStatus(
  db: Knex,
  c: { pesanan_id: string; from: OrderStatus; to: OrderStatus; actor: Actor },
): Promise<{ changed: boolean; status: OrderStatus | null }> {
  return db.transaction(async (trx) => {
    const changed = await trx('pesanan')
      .where({ id: c.pesanan_id, status: c.from })
      .update({ status: c.to, updated_at: nowDb() });
    if (changed) {
      await audit(trx, c.actor, {
        action: 'order.status_changed',
        record_type: 'order',
        record_id: c.pesanan_id,
        pesanan_id: c.pesanan_id,
        status_before: c.from,
        status_after: c.to,
      });
      return { changed: true, status: c.to };
    }
    const now = (await trx('pesanan').where({ id: c.pesanan_id }).first('status')) as
      { status: OrderStatus } | undefined;
    return { changed: false, status: now?.status ?? null };
  });
}
