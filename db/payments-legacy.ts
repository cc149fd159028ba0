import type { Knex } from 'knex';
import type { ChargeDetails, NewEscrow, NewPayment, PaymentRecord } from '../domain/records';
import { paymentSettled } from '../domain/ledger';
import { SYSTEM, audit } from './audit';
import * as ledger from './ledger';
import { PAYMENT_ACTIONS, getPayment } from './payments';
import { insertIdempotent } from './rows';
import { nowDb, toDbTime } from './time';

/**
 * The in-workflow payment path (orders with workflow_version 1, paid before
 * the payment path moved to the database): the order's workflow records its
 * payment, and its settlement or closing, through these. Each is idempotent.
 */
/** Records a payment the workflow created and links it to its order; a repeat of the same record is a no-op. */
export async function insertPaymentIfAbsent(db: Knex, p: NewPayment & ChargeDetails): Promise<void> {
  await db.transaction(async (trx) => {
    const now = nowDb();
    const row = {
      ...p,
      payment_instructions: JSON.stringify(p.payment_instructions ?? null),
      status: 'menunggu',
      live_pesanan_id: p.pesanan_id,
      workflow_synced_status: 'menunggu',
      expires_at: toDbTime(p.expires_at),
      created_at: toDbTime(p.created_at),
      updated_at: now,
    };
    await insertIdempotent(trx, 'pembayaran', row, ['pesanan_id', 'transaction_id', 'total_bayar']);
    await trx('pesanan')
      .where({ id: p.pesanan_id })
      .update({ pembayaran_id: p.id, workflow_version: 1, updated_at: now });
  });
}

/**
 * Payment settled (in-workflow path): payment → berhasil, escrow created
 * (held), order → dibayar, in one transaction. Idempotent.
 */
export async function settlePayment(
  db: Knex,
  s: { payment_id: string; gateway_status: string; dibayar_pada: string; escrow: NewEscrow },
): Promise<void> {
  await db.transaction(async (trx) => {
    const now = nowDb();
    const settled = await trx('pembayaran')
      .where({ id: s.payment_id, status: 'menunggu' })
      .update({
        status: 'berhasil',
        gateway_status: s.gateway_status,
        dibayar_pada: toDbTime(s.dibayar_pada),
        workflow_synced_status: 'berhasil',
        updated_at: now,
      });
    const e = s.escrow;
    // a retry finds its escrow; a payment decided otherwise meanwhile gets none (no escrow without its journal)
    if (!settled && !(await trx('escrow').where({ id: e.id }).first('id'))) return;
    const row = {
      ...e,
      status: 'held',
      ditahan_pada: toDbTime(e.ditahan_pada),
      akan_dirilis_pada: toDbTime(e.akan_dirilis_pada),
      created_at: now,
      updated_at: now,
    };
    await insertIdempotent(trx, 'escrow', row, ['pembayaran_id', 'pesanan_id', 'jumlah_ditahan']);
    const orderMoved = await trx('pesanan')
      .where({ id: e.pesanan_id, status: 'menunggu_pembayaran' })
      .update({ status: 'dibayar', escrow_id: e.id, updated_at: now });
    if (settled) {
      await ledger.post(trx, paymentSettled((await getPayment(trx, s.payment_id)) as PaymentRecord));
      await audit(trx, SYSTEM, {
        action: 'payment.settled',
        record_type: 'payment',
        record_id: s.payment_id,
        pesanan_id: e.pesanan_id,
        status_before: 'menunggu',
        status_after: 'berhasil',
      });
    }
    if (orderMoved)
      await audit(trx, SYSTEM, {
        action: 'order.status_changed',
        record_type: 'order',
        record_id: e.pesanan_id,
        pesanan_id: e.pesanan_id,
        status_before: 'menunggu_pembayaran',
        status_after: 'dibayar',
      });
    if (settled)
      await audit(trx, SYSTEM, {
        action: 'escrow.held',
        record_type: 'escrow',
        record_id: e.id,
        pesanan_id: e.pesanan_id,
        status_before: null,
        status_after: 'held',
      });
  });
}

/** Payment failed or expired (in-workflow path): payment → gagal/kadaluarsa, order → dibatalkan. Idempotent. */
export async function closePayment(
  db: Knex,
  c: { payment_id: string; pesanan_id: string; status: 'gagal' | 'kadaluarsa'; gateway_status: string | null },
): Promise<void> {
  await db.transaction(async (trx) => {
    const now = nowDb();
    const closed = await trx('pembayaran').where({ id: c.payment_id, status: 'menunggu' }).update({
      status: c.status,
      gateway_status: c.gateway_status,
      live_pesanan_id: null,
      workflow_synced_status: c.status,
      updated_at: now,
    });
    if (closed)
      await audit(trx, SYSTEM, {
        action: PAYMENT_ACTIONS[c.status],
        record_type: 'payment',
        record_id: c.payment_id,
        pesanan_id: c.pesanan_id,
        status_before: 'menunggu',
        status_after: c.status,
      });
    const cancelled = await trx('pesanan')
      .where({ id: c.pesanan_id, status: 'menunggu_pembayaran' })
      .update({ status: 'dibatalkan', updated_at: now });
    if (cancelled)
      await audit(trx, SYSTEM, {
        action: 'order.status_changed',
        record_type: 'order',
        record_id: c.pesanan_id,
        pesanan_id: c.pesanan_id,
        status_before: 'menunggu_pembayaran',
        status_after: 'dibatalkan',
      });
  });
}
