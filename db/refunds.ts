import type { Knex } from 'knex';
import { refundsToSource } from '../domain/methods';
import { lateRefundAmount, refundSplit } from '../domain/money';
import { refundOwed, refundPaid } from '../domain/ledger';
import type { EscrowRecord, PaymentRecord, RefundRecord } from '../domain/records';
import { ACCOUNT_AWAITING_REFUND_STATUSES, OrderStatus, RefundKind } from '../domain/statuses';
import { Actor, SYSTEM, audit } from './audit';
import { moveEscrowAndOrder } from './escrow';
import * as ledger from './ledger';
import { refundPayoutKey } from '../domain/ids';
import { fromRow } from './rows';
import { nowDb, toDbTime } from './time';

/**
 * Refunds: money owed back to a client, one record per payment (UNIQUE
 * `pembayaran_id`). An escrow refund is written with the escrow's change and
 * its `refund_owed` journal in one transaction; a late payment's with its
 * `late_payment_received` journal. The refund workflow (workflows/refund.ts)
 * then pays it through the gateway and records `refund_paid` when it is
 * confirmed.
 */
export async function getRefund(db: Knex, id: string): Promise<RefundRecord | undefined> {
  return fromRow<RefundRecord>(await db('refunds').where({ id }).first());
}

export async function getRefundOfPayment(db: Knex, paymentId: string): Promise<RefundRecord | undefined> {
  return fromRow<RefundRecord>(await db('refunds').where({ pembayaran_id: paymentId }).first());
}

/** The order's newest refund's id (an order has at most one escrow refund; late payments add theirs), or null. */
export async function latestRefundIdOfOrder(db: Knex, pesananId: string): Promise<string | null> {
  const row = await db('refunds')
    .where({ pesanan_id: pesananId })
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .first('id');
  return row?.id ?? null;
}

/** Inserts the refund record of `payment` (in the caller's transaction): to its source, or waiting for the client's account. */
export async function insertRefund(
  trx: Knex.Transaction,
  r: { id: string; payment: PaymentRecord; jumlah: number; jenis: RefundKind; alasan: string },
): Promise<RefundRecord> {
  const now = nowDb();
  const toSource = refundsToSource(r.payment.metode_pembayaran);
  const row = {
    id: r.id,
    pembayaran_id: r.payment.id,
    pesanan_id: r.payment.pesanan_id,
    client_id: r.payment.user_id,
    jumlah: r.jumlah,
    jenis: r.jenis,
    alasan: r.alasan.slice(0, 1000),
    metode: 'source',
    status: toSource ? 'processing' : 'menunggu_rekening',
    workflow_started: false,
    created_at: now,
    updated_at: now,
  };
  await trx('refunds').insert(row);
  return (await getRefund(trx, r.id)) as RefundRecord;
}

/** The refund of a late payment (money that settled after its payment expired, failed or was cancelled): total_bayar, in the caller's transaction. */
export async function insertLateRefund(
  trx: Knex.Transaction,
  id: string,
  payment: PaymentRecord,
  actor: Actor = SYSTEM,
): Promise<RefundRecord> {
  const refund = await insertRefund(trx, {
    id,
    payment,
    jumlah: lateRefundAmount(payment),
    jenis: 'late_payment',
    alasan: `money for payment ${payment.transaction_id} arrived after it was ${payment.status}`,
  });
  await audit(trx, actor, {
    action: 'refund.created',
    record_type: 'refund',
    record_id: refund.id,
    pesanan_id: refund.pesanan_id,
    status_before: null,
    status_after: refund.status,
  });
  return refund;
}

/**
 * Books an escrow refund (in the caller's transaction, with the escrow's
 * change): the refund record for the client's share (refundSplit) and its
 * `refund_owed` journal. `jumlahFreelancer` is X of a partial release (0: all back).
 */
export async function oweEscrowRefund(
  trx: Knex.Transaction,
  r: { id: string; escrow: EscrowRecord; jumlahFreelancer: number; alasan: string; actor: Actor },
): Promise<RefundRecord> {
  const payment = fromRow<PaymentRecord>(
    await trx('pembayaran').where({ id: r.escrow.pembayaran_id }).first(),
  ) as PaymentRecord;
  const split = refundSplit(payment, r.jumlahFreelancer);
  const refund = await insertRefund(trx, {
    id: r.id,
    payment,
    jumlah: split.jumlah_refund,
    jenis: 'escrow_refund',
    alasan: r.alasan,
  });
  await ledger.post(trx, refundOwed(refund, payment, r.jumlahFreelancer));
  await audit(trx, r.actor, {
    action: 'refund.created',
    record_type: 'refund',
    record_id: refund.id,
    pesanan_id: refund.pesanan_id,
    status_before: null,
    status_after: refund.status,
  });
  return refund;
}

export type EscrowRefundResult =
  | { kind: 'refunded'; refund: RefundRecord }
  | { kind: 'refused'; escrow_status: string | null; order_status: OrderStatus | null };

/**
 * A cancellation after the payment settled: escrow held → refunded, order →
 * refunded, the full refund owed to the client (jumlah + biaya_platform), in
 * one transaction, guarded by the escrow being held and the order in one of
 * `fromOrder`. A retry finds its refund and answers it again.
 */
export async function refundEscrow(
  db: Knex,
  c: { escrow_id: string; refund_id: string; alasan: string; fromOrder: readonly OrderStatus[]; actor: Actor },
): Promise<EscrowRefundResult> {
  return db.transaction(async (trx): Promise<EscrowRefundResult> => {
    const done = await getRefund(trx, c.refund_id);
    if (done) return { kind: 'refunded', refund: done };
    const escrow = fromRow<EscrowRecord>(await trx('escrow').where({ id: c.escrow_id }).first());
    const order =
      escrow &&
      ((await trx('pesanan').where({ id: escrow.pesanan_id }).first('status')) as { status: OrderStatus } | undefined);
    if (!escrow || escrow.status !== 'held' || !order || !c.fromOrder.includes(order.status))
      return { kind: 'refused', escrow_status: escrow?.status ?? null, order_status: order?.status ?? null };
    await moveEscrowAndOrder(trx, {
      escrow_id: escrow.id,
      pesanan_id: escrow.pesanan_id,
      from: 'held',
      change: { status: 'refunded', alasan: c.alasan.slice(0, 500) },
      orderFrom: order.status,
      orderTo: 'refunded',
      actor: c.actor,
    });
    const refund = await oweEscrowRefund(trx, {
      id: c.refund_id,
      escrow,
      jumlahFreelancer: 0,
      alasan: c.alasan,
      actor: c.actor,
    });
    return { kind: 'refunded', refund };
  });
}

/**
 * The client gives the account a refund waiting for one is paid to (or
 * another, after the bank refused the first): menunggu_rekening or failed →
 * processing. The same account again is a no-op. Answers the refund as it is
 * after, and whether this call changed it.
 */
export async function recordRefundAccount(
  db: Knex,
  a: {
    refund_id: string;
    metode: 'transfer_bank' | 'e_wallet';
    channel: string;
    nomor_rekening: string;
    nama_pemilik: string;
    actor: Actor;
  },
): Promise<{ changed: boolean; refund: RefundRecord | undefined }> {
  return db.transaction(async (trx) => {
    const before = await getRefund(trx, a.refund_id);
    const changed = await trx('refunds')
      .where({ id: a.refund_id })
      .whereIn('status', ACCOUNT_AWAITING_REFUND_STATUSES as string[])
      .update({
        metode: a.metode,
        channel: a.channel,
        nomor_rekening: a.nomor_rekening,
        nama_pemilik: a.nama_pemilik,
        status: 'processing',
        failure_reason: null,
        rekening_ke: trx.raw('rekening_ke + 1'),
        updated_at: nowDb(),
      });
    if (changed)
      await audit(trx, a.actor, {
        action: 'refund.account_given',
        record_type: 'refund',
        record_id: a.refund_id,
        pesanan_id: before!.pesanan_id,
        status_before: before!.status,
        status_after: 'processing',
      });
    return { changed: changed > 0, refund: await getRefund(trx, a.refund_id) };
  });
}

/** The payout a refund completing now was paid by: its source refund, or its current account's payout (journal key). */
export const refundPaidKey = (r: Pick<RefundRecord, 'id' | 'metode' | 'rekening_ke'>) =>
  r.metode === 'source' ? r.id : refundPayoutKey(r.id, r.rekening_ke);

/** The gateway confirmed the refund: processing → completed and its `refund_paid` journal, in one transaction. Idempotent. */
export async function completeRefund(
  db: Knex,
  c: { refund_id: string; referensi_gateway: string; selesai_pada: string },
): Promise<RefundRecord> {
  return db.transaction(async (trx) => {
    const done = await trx('refunds')
      .where({ id: c.refund_id, status: 'processing' })
      .update({
        status: 'completed',
        referensi_gateway: c.referensi_gateway,
        selesai_pada: toDbTime(c.selesai_pada),
        updated_at: nowDb(),
      });
    const refund = (await getRefund(trx, c.refund_id)) as RefundRecord;
    if (done) {
      await ledger.post(trx, refundPaid(refund, refundPaidKey(refund)));
      await audit(trx, SYSTEM, {
        action: 'refund.completed',
        record_type: 'refund',
        record_id: refund.id,
        pesanan_id: refund.pesanan_id,
        status_before: 'processing',
        status_after: 'completed',
      });
    } else if (refund.status !== 'completed')
      throw new Error(`refund ${c.refund_id} is ${refund.status}; only a processing refund can complete`);
    return refund;
  });
}

/** The bank refused the account the client gave: processing → failed (the client may give another). Idempotent. */
export async function failRefund(db: Knex, f: { refund_id: string; reason: string }): Promise<RefundRecord> {
  return db.transaction(async (trx) => {
    const failed = await trx('refunds')
      .where({ id: f.refund_id, status: 'processing' })
      .whereNot({ metode: 'source' })
      .update({ status: 'failed', failure_reason: f.reason.slice(0, 300), updated_at: nowDb() });
    const refund = (await getRefund(trx, f.refund_id)) as RefundRecord;
    if (failed)
      await audit(trx, SYSTEM, {
        action: 'refund.failed',
        record_type: 'refund',
        record_id: refund.id,
        pesanan_id: refund.pesanan_id,
        status_before: 'processing',
        status_after: 'failed',
      });
    return refund;
  });
}

/** The refund's workflow has been started (the sweep starts those that are not, after a grace). */
export async function markRefundWorkflowStarted(db: Knex, id: string): Promise<void> {
  await db('refunds').where({ id, workflow_started: false }).update({ workflow_started: true });
}

/** Refunds not completed whose workflow was not (known to be) started, older than `graceMs`. */
export async function findUnstartedRefunds(
  db: Knex,
  graceMs: number,
  limit: number,
  now = new Date(),
): Promise<RefundRecord[]> {
  const rows = await db('refunds')
    .where({ workflow_started: false })
    .whereNot({ status: 'completed' })
    .andWhere('created_at', '<', toDbTime(new Date(now.getTime() - graceMs)))
    .orderBy('created_at')
    .limit(limit);
  return rows.map((r: Record<string, unknown>) => fromRow<RefundRecord>(r) as RefundRecord);
}
