import type { Knex } from 'knex';
import type { OrderRecord } from '../domain/records';
import { Actor, SYSTEM, audit } from './audit';
import { fromRow } from './rows';
import { nowDb } from './time';

export type NewOrder = Pick<OrderRecord, 'id' | 'client_id' | 'freelancer_id' | 'judul' | 'harga'>;

export async function insertOrder(db: Knex, order: NewOrder, actor: Actor = SYSTEM): Promise<OrderRecord> {
  await db.transaction(async (trx) => {
    const now = nowDb();
    await trx('pesanan').insert({ ...order, status: 'menunggu_pembayaran', created_at: now, updated_at: now });
    await audit(trx, actor, { action: 'order.created', record_type: 'order', record_id: order.id, pesanan_id: order.id, status_before: null, status_after: 'menunggu_pembayaran' });
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
    const cancelled = await trx('pesanan').where({ id: pesananId, status: 'menunggu_pembayaran' }).whereNull('pembayaran_id').update({ status: 'dibatalkan', updated_at: nowDb() });
    if (cancelled) await audit(trx, SYSTEM, { action: 'order.cancelled', record_type: 'order', record_id: pesananId, pesanan_id: pesananId, status_before: 'menunggu_pembayaran', status_after: 'dibatalkan' });
  });
}
