import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type {
  ChargeDetails,
  EscrowRecord,
  NewEscrow,
  NewPayment,
  OrderRecord,
  PaymentRecord,
  RefundRecord,
} from '../domain/records';
import type { OrderStatus, PaymentStatus } from '../domain/statuses';
import { latePaymentReceived, paymentSettled } from '../domain/ledger';
import { getEscrow } from './escrow';
import { Actor, SYSTEM, audit } from './audit';
import * as ledger from './ledger';
import { getOrder } from './orders';
import { getRefundOfPayment, insertLateRefund } from './refunds';
import { Page, page } from './pages';
import { fromRow, isUniqueViolation } from './rows';
import { fromDbTime, nowDb, toDbTime } from './time';

/**
 * Payments. The database decides every exactly-once rule of the payment path:
 * one live or settled payment per order (the UNIQUE `live_pesanan_id`), and one
 * outcome per payment (`where status = 'menunggu'`): a duplicate webhook, the
 * expiry timer and a late settlement each find the row already decided.
 */
export async function getPayment(db: Knex, id: string): Promise<PaymentRecord | undefined> {
  return fromRow<PaymentRecord>(await db('pembayaran').where({ id }).first());
}

export async function getPaymentByTransactionId(db: Knex, transactionId: string): Promise<PaymentRecord | undefined> {
  return fromRow<PaymentRecord>(await db('pembayaran').where({ transaction_id: transactionId }).first());
}

/** Order statuses that take no new payment, whatever its payments say. */
const CLOSED_ORDER_STATUSES: readonly OrderStatus[] = ['dibatalkan', 'selesai', 'refunded'];

export type OpenPaymentResult =
  | { kind: 'created'; payment: PaymentRecord }
  | { kind: 'exists'; payment: PaymentRecord; order: OrderRecord }
  | { kind: 'closed'; order: OrderRecord; payment: PaymentRecord | null; reason?: string }
  | { kind: 'not_found' };

/**
 * `pesanan.workflow_version` of orders whose failed or cancelled payment may be
 * followed by another within the order's payment window (their workflow has
 * the `payment-can-be-retried` patch). Orders with version 2 keep the rule they
 * started with: one payment, whose failure cancels the order.
 */
export const RETRYABLE_PAYMENTS_VERSION = 3;

/** The order's payment window ends when its first payment expires (every payment of the order expires then). */
export async function paymentWindowEnd(db: Knex, pesananId: string): Promise<string | null> {
  const row = await db('pembayaran').where({ pesanan_id: pesananId }).min({ end: 'expires_at' }).first();
  return row?.end ? fromDbTime(row.end) : null;
}

type Claim =
  { kind: 'created'; payment: PaymentRecord } | { kind: 'lost' } | { kind: 'window_closed'; closes_at: string };

/**
 * Opens a payment for its order: claims the order and inserts the payment as
 * its live one, in one transaction. The claim is a compare-and-set on
 * `pesanan.pembayaran_id`: empty (the order's first payment), or (orders
 * whose payments may be retried) the current payment as it was read, failed,
 * while the payment window is open; the new payment then expires when the
 * window closes. Of any number of concurrent calls for one order exactly one
 * creates; the others find its payment (`exists`). An order that is closed, or
 * whose payment expired (or failed, on the one-payment rule), or whose window
 * has closed, refuses (`closed`). A clash on `transaction_id` or
 * `nomor_invoice` throws (the caller draws new ones).
 */
export async function openPayment(
  db: Knex,
  p: NewPayment,
  actor: Actor = SYSTEM,
  attempt = 1,
): Promise<OpenPaymentResult> {
  let claim: Claim = { kind: 'lost' };
  try {
    claim = await db.transaction(async (trx): Promise<Claim> => {
      const now = nowDb();
      const order = await trx('pesanan')
        .where({ id: p.pesanan_id })
        .first('status', 'pembayaran_id', 'workflow_version');
      if (!order || order.status !== 'menunggu_pembayaran') return { kind: 'lost' };
      let expiresAt = p.expires_at;
      let version: number;
      const claimQuery = trx('pesanan').where({ id: p.pesanan_id, status: 'menunggu_pembayaran' });
      if (order.pembayaran_id === null) {
        // the order's first payment (one an earlier create withdrew left nothing behind)
        const prior = await trx('pembayaran').where({ pesanan_id: p.pesanan_id }).first('id');
        version = prior ? 2 : RETRYABLE_PAYMENTS_VERSION;
        claimQuery.whereNull('pembayaran_id');
      } else {
        if (Number(order.workflow_version) !== RETRYABLE_PAYMENTS_VERSION) return { kind: 'lost' };
        const current = await trx('pembayaran').where({ id: order.pembayaran_id }).first('status');
        if (current?.status !== 'gagal') return { kind: 'lost' };
        const end = (await paymentWindowEnd(trx, p.pesanan_id))!;
        if (Date.parse(end) <= Date.now()) return { kind: 'window_closed', closes_at: end };
        expiresAt = end;
        version = RETRYABLE_PAYMENTS_VERSION;
        claimQuery.where({ pembayaran_id: order.pembayaran_id });
      }
      const claimed = await claimQuery.update({ pembayaran_id: p.id, workflow_version: version, updated_at: now });
      if (claimed === 0) return { kind: 'lost' };
      const row = {
        ...p,
        live_pesanan_id: p.pesanan_id,
        status: 'menunggu' as const,
        workflow_pending: 1,
        expires_at: toDbTime(expiresAt),
        created_at: toDbTime(p.created_at),
        updated_at: now,
      };
      await trx('pembayaran').insert(row);
      await audit(trx, actor, {
        action: 'payment.created',
        record_type: 'payment',
        record_id: p.id,
        pesanan_id: p.pesanan_id,
        status_before: null,
        status_after: 'menunggu',
      });
      return { kind: 'created', payment: fromRow<PaymentRecord>({ ...UNSET_PAYMENT_FIELDS, ...row }) as PaymentRecord };
    });
  } catch (err) {
    if (!isUniqueViolation(err, 'live_pesanan_id')) throw err;
  }
  if (claim.kind === 'created') return { kind: 'created', payment: claim.payment };
  // Lost the claim: read after the transaction, so MySQL's snapshot cannot hide the winner's commit.
  const order = await getOrder(db, p.pesanan_id);
  if (!order) return { kind: 'not_found' };
  const payment = order.pembayaran_id ? ((await getPayment(db, order.pembayaran_id)) ?? null) : null;
  if (claim.kind === 'window_closed') {
    return { kind: 'closed', order, payment, reason: `the order's payment window closed at ${claim.closes_at}` };
  }
  const retryable = order.workflow_version === RETRYABLE_PAYMENTS_VERSION && payment?.status === 'gagal';
  // the winner's charge failed and it withdrew its payment meanwhile (or the current one failed since): claim again
  if ((!payment || retryable) && order.status === 'menunggu_pembayaran' && attempt < 3)
    return openPayment(db, p, actor, attempt + 1);
  if (
    CLOSED_ORDER_STATUSES.includes(order.status) ||
    !payment ||
    (payment.status !== 'menunggu' && payment.status !== 'berhasil')
  ) {
    return { kind: 'closed', order, payment };
  }
  return { kind: 'exists', payment, order };
}

/** The columns a new payment row leaves NULL. */
const UNSET_PAYMENT_FIELDS = {
  gateway_reference: null,
  payment_url: null,
  payment_instructions: null,
  gateway_status: null,
  dibayar_pada: null,
  workflow_synced_status: null,
  refund_status: null,
  late_settled_at: null,
  late_gateway_status: null,
};

/** The charge is open at the gateway: records its details (once; the same charge again changes nothing). */
export async function recordCharge(db: Knex, paymentId: string, charge: ChargeDetails): Promise<void> {
  await db('pembayaran')
    .where({ id: paymentId })
    .whereNull('gateway_reference')
    .update({
      gateway_reference: charge.gateway_reference,
      payment_url: charge.payment_url,
      payment_instructions: JSON.stringify(charge.payment_instructions ?? null),
    });
}

/** A delivery failed: moves the payment to the back of the outbox's queue, so it cannot starve the rows behind it. */
export async function touchPayment(db: Knex, paymentId: string): Promise<void> {
  await db('pembayaran').where({ id: paymentId, workflow_pending: 1 }).update({ updated_at: nowDb() });
}

/** Waiting payments whose window closed more than `graceMs` ago: the backstop expires them even without a workflow. */
export async function findOverduePayments(
  db: Knex,
  graceMs: number,
  limit: number,
  now = new Date(),
): Promise<string[]> {
  // only the database-decided path's: an old order's workflow decides its own payment
  return db('pembayaran')
    .join('pesanan', 'pesanan.id', 'pembayaran.pesanan_id')
    .where({ 'pembayaran.status': 'menunggu' })
    .whereIn('pesanan.workflow_version', [2, RETRYABLE_PAYMENTS_VERSION])
    .andWhere('pembayaran.expires_at', '<', toDbTime(new Date(now.getTime() - graceMs)))
    .orderBy('pembayaran.expires_at')
    .limit(limit)
    .pluck('pembayaran.id');
}

/**
 * The gateway could not open the charge: the payment never existed for
 * anyone outside. Removes it and frees the order for another try.
 */
export async function abandonPayment(db: Knex, paymentId: string, actor: Actor = SYSTEM): Promise<void> {
  await db.transaction(async (trx) => {
    const row = await trx('pembayaran').where({ id: paymentId }).first('pesanan_id');
    if (!row) return;
    // only a payment whose charge nobody recorded: one a repeated create or the relay opened stays
    const deleted = await trx('pembayaran')
      .where({ id: paymentId, status: 'menunggu' })
      .whereNull('gateway_reference')
      .del();
    if (!deleted) return;
    // the order's current payment is again the one before it (a failed one, which another try may follow), or none
    const previous = await trx('pembayaran')
      .where({ pesanan_id: row.pesanan_id })
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .first('id');
    await trx('pesanan')
      .where({ id: row.pesanan_id, pembayaran_id: paymentId })
      .update({
        pembayaran_id: previous?.id ?? null,
        ...(previous ? {} : { workflow_version: 2 }),
        updated_at: nowDb(),
      });
    await audit(trx, actor, {
      action: 'payment.abandoned',
      record_type: 'payment',
      record_id: paymentId,
      pesanan_id: row.pesanan_id,
      status_before: 'menunggu',
      status_after: null,
    });
  });
}

/** The order's workflow has been told the payment is `status` (a no-op if the status has moved on since). */
export async function markWorkflowSynced(db: Knex, paymentId: string, status: PaymentStatus): Promise<void> {
  await db('pembayaran')
    .where({ id: paymentId, status })
    .update({ workflow_synced_status: status, workflow_pending: 0 });
}

/**
 * The outbox: ids of payments whose workflow does not know their status yet,
 * untouched since `touchedBefore`; one whose charge is not recorded yet (its
 * request may still be at the gateway) only once untouched since `chargelessBefore`.
 */
export async function findUnsyncedPayments(
  db: Knex,
  o: { touchedBefore: Date; chargelessBefore: Date; limit: number },
): Promise<string[]> {
  return db('pembayaran')
    .where({ workflow_pending: 1 })
    .andWhere('updated_at', '<=', toDbTime(o.touchedBefore))
    .andWhere((q) => q.whereNotNull('gateway_reference').orWhere('updated_at', '<', toDbTime(o.chargelessBefore)))
    .orderBy('updated_at')
    .limit(o.limit)
    .pluck('id');
}

export type FinalPaymentStatus = Exclude<PaymentStatus, 'menunggu'>;

export type OutcomeResult =
  /** this call decided the payment */
  | { kind: 'applied'; payment: PaymentRecord; escrow: EscrowRecord | null }
  /** it was already decided the same way */
  | { kind: 'duplicate'; payment: PaymentRecord; escrow: EscrowRecord | null }
  /** a settlement after the payment expired or failed: recorded, refund due (its record, to be paid by its workflow) */
  | { kind: 'late'; payment: PaymentRecord; refund: RefundRecord }
  /** decided otherwise; this outcome cannot change it */
  | { kind: 'conflict'; payment: PaymentRecord; escrow: EscrowRecord | null };

export interface Outcome {
  payment_id: string;
  status: FinalPaymentStatus;
  gateway_status: string | null;
  /** when it happened (dibayar_pada for a settlement) */
  at: string;
  /** the escrow to hold, for a settlement */
  escrow?: NewEscrow;
  /** the workflow itself decided (its expiry timer): it knows the outcome already */
  decidedByWorkflow?: boolean;
  /** who decided: the gateway (a webhook, with its request id) or the system (the expiry) */
  actor?: Actor;
  /** a failure that cancels the order too (the order is being cancelled), even where another payment could follow */
  closeOrder?: boolean;
}

export const PAYMENT_ACTIONS: Record<FinalPaymentStatus, string> = {
  berhasil: 'payment.settled',
  gagal: 'payment.failed',
  kadaluarsa: 'payment.expired',
};

/**
 * Decides a waiting payment, once: settled (payment berhasil, escrow held,
 * order dibayar) or closed (payment gagal/kadaluarsa, order dibatalkan), in
 * one transaction. A failure (gagal: declined, or cancelled by the client) of
 * an order that may retry (`RETRYABLE_PAYMENTS_VERSION`) leaves the order open
 * while its payment window is: another payment may follow (openPayment). Whoever comes second — a duplicate webhook, the expiry
 * timer, a late settlement — finds it decided and learns how.
 */
export async function decidePayment(db: Knex, o: Outcome): Promise<OutcomeResult> {
  if (o.status === 'berhasil' && !o.escrow) throw new Error('a settlement needs the escrow to hold');
  const decided = await db.transaction(async (trx): Promise<PaymentRecord | null> => {
    const now = nowDb();
    const settled = o.status === 'berhasil';
    const changed = await trx('pembayaran')
      .where({ id: o.payment_id, status: 'menunggu' })
      .update({
        status: o.status,
        gateway_status: o.gateway_status,
        ...(settled ? { dibayar_pada: toDbTime(o.at) } : { live_pesanan_id: null }),
        ...(o.decidedByWorkflow ? { workflow_synced_status: o.status, workflow_pending: 0 } : { workflow_pending: 1 }),
        updated_at: now,
      });
    if (changed === 0) return null;
    const actor = o.actor ?? SYSTEM;
    const row = (await getPayment(trx, o.payment_id)) as PaymentRecord; // as decided: for the audit, the journal and the answer
    await audit(trx, actor, {
      action: PAYMENT_ACTIONS[o.status],
      record_type: 'payment',
      record_id: o.payment_id,
      pesanan_id: row.pesanan_id,
      status_before: 'menunggu',
      status_after: o.status,
    });
    let orderMoved: number;
    if (settled) {
      const e = o.escrow!;
      await trx('escrow').insert({
        ...e,
        status: 'held',
        ditahan_pada: toDbTime(e.ditahan_pada),
        akan_dirilis_pada: toDbTime(e.akan_dirilis_pada),
        created_at: now,
        updated_at: now,
      });
      orderMoved = await trx('pesanan')
        .where({ id: e.pesanan_id, status: 'menunggu_pembayaran' })
        .update({ status: 'dibayar', escrow_id: e.id, updated_at: now });
      await ledger.post(trx, paymentSettled(row));
    } else if (o.status === 'gagal' && !o.closeOrder && (await mayPayAgain(trx, row))) {
      orderMoved = 0; // the order stays open for another payment until its payment window closes
    } else {
      orderMoved = await trx('pesanan')
        .where({ id: row.pesanan_id, status: 'menunggu_pembayaran' })
        .update({ status: 'dibatalkan', updated_at: now });
    }
    // the order's change is recorded (and reported) only when the order did change
    if (orderMoved)
      await audit(trx, actor, {
        action: 'order.status_changed',
        record_type: 'order',
        record_id: row.pesanan_id,
        pesanan_id: row.pesanan_id,
        status_before: 'menunggu_pembayaran',
        status_after: settled ? 'dibayar' : 'dibatalkan',
      });
    if (settled)
      await audit(trx, actor, {
        action: 'escrow.held',
        record_type: 'escrow',
        record_id: o.escrow!.id,
        pesanan_id: o.escrow!.pesanan_id,
        status_before: null,
        status_after: 'held',
      });
    return row;
  });
  if (decided)
    return { kind: 'applied', payment: decided, escrow: o.escrow ? heldRecord(o.escrow, decided.updated_at) : null };
  const payment = (await getPayment(db, o.payment_id)) as PaymentRecord;
  const escrow = payment.status === 'berhasil' ? await escrowOf(db, payment) : null;
  if (payment.status === o.status) return { kind: 'duplicate', payment, escrow };
  if (o.status === 'berhasil' && payment.status !== 'berhasil') {
    await db.transaction(async (trx) => {
      const marked = await trx('pembayaran')
        .where({ id: o.payment_id })
        .whereNull('refund_status')
        .update({
          refund_status: 'due',
          late_settled_at: toDbTime(o.at),
          late_gateway_status: o.gateway_status,
          updated_at: nowDb(),
        });
      if (!marked) return;
      await ledger.post(trx, latePaymentReceived(payment));
      await audit(trx, o.actor ?? SYSTEM, {
        action: 'payment.late_settlement_recorded',
        record_type: 'payment',
        record_id: payment.id,
        pesanan_id: payment.pesanan_id,
        status_before: payment.status,
        status_after: payment.status,
      });
      // refunded in full (total_bayar); the refund's workflow pays it
      await insertLateRefund(trx, randomUUID(), payment, o.actor ?? SYSTEM);
    });
    return {
      kind: 'late',
      payment: (await getPayment(db, o.payment_id)) as PaymentRecord,
      refund: (await getRefundOfPayment(db, o.payment_id)) as RefundRecord,
    };
  }
  return { kind: 'conflict', payment, escrow };
}

/** A failed payment leaves its order open for another when the order may retry and its payment window is still open. */
async function mayPayAgain(trx: Knex.Transaction, failed: PaymentRecord): Promise<boolean> {
  const order = await trx('pesanan').where({ id: failed.pesanan_id }).first('workflow_version');
  if (Number(order?.workflow_version) !== RETRYABLE_PAYMENTS_VERSION) return false;
  return Date.parse(failed.expires_at) > Date.now(); // every payment of the order expires when its window closes
}

/** Every payment of an order, newest first. */
export async function listOrderPayments(db: Knex, pesananId: string): Promise<PaymentRecord[]> {
  const rows = await db('pembayaran')
    .where({ pesanan_id: pesananId })
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc');
  return rows.map((r: Record<string, unknown>) => fromRow<PaymentRecord>(r) as PaymentRecord);
}

/**
 * The order's payment window has closed: each live payment expires, and an
 * order without a settled payment is cancelled (with its audit row and
 * notification event). Idempotent. Answers the order's last word on payment:
 * its settled payment (with the escrow), or else `askedFor` (the payment the
 * workflow knows) as the database now holds it, or else the latest. The
 * answered payment is marked as known to the workflow when `askedFor` is given.
 */
export async function closePaymentWindow(
  db: Knex,
  pesananId: string,
  askedFor?: string,
  actor: Actor = SYSTEM,
): Promise<{ payment: PaymentRecord; escrow: EscrowRecord | null } | null> {
  const at = new Date().toISOString();
  for (const id of await db('pembayaran').where({ pesanan_id: pesananId, status: 'menunggu' }).pluck('id')) {
    await decidePayment(db, {
      payment_id: id,
      status: 'kadaluarsa',
      gateway_status: null,
      at,
      decidedByWorkflow: id === askedFor,
      actor,
    });
  }
  await db.transaction(async (trx) => {
    const cancelled = await trx('pesanan')
      .where({ id: pesananId, status: 'menunggu_pembayaran' })
      .whereNotExists(
        trx('pembayaran').where({ pesanan_id: pesananId }).whereIn('status', ['menunggu', 'berhasil']).select('id'),
      )
      .update({ status: 'dibatalkan', updated_at: nowDb() });
    if (cancelled)
      await audit(trx, actor, {
        action: 'order.status_changed',
        record_type: 'order',
        record_id: pesananId,
        pesanan_id: pesananId,
        status_before: 'menunggu_pembayaran',
        status_after: 'dibatalkan',
      });
  });
  const settled = fromRow<PaymentRecord>(
    await db('pembayaran').where({ pesanan_id: pesananId, status: 'berhasil' }).first(),
  );
  const answer = settled ?? (askedFor ? await getPayment(db, askedFor) : (await listOrderPayments(db, pesananId))[0]);
  if (!answer) return null;
  if (askedFor && answer.status !== 'menunggu') await markWorkflowSynced(db, answer.id, answer.status);
  return { payment: answer, escrow: answer.status === 'berhasil' ? await escrowOf(db, answer) : null };
}

/**
 * An order waiting for payment is cancelled (its client or an admin): allowed
 * only while it has no live or settled payment (a live one is cancelled at the
 * gateway and decided first). Answers whether it was cancelled now.
 */
export async function cancelWaitingOrder(db: Knex, pesananId: string, actor: Actor): Promise<boolean> {
  return db.transaction(async (trx) => {
    const cancelled = await trx('pesanan')
      .where({ id: pesananId, status: 'menunggu_pembayaran' })
      .whereNotExists(
        trx('pembayaran').where({ pesanan_id: pesananId }).whereIn('status', ['menunggu', 'berhasil']).select('id'),
      )
      .update({ status: 'dibatalkan', updated_at: nowDb() });
    if (cancelled)
      await audit(trx, actor, {
        action: 'order.cancelled',
        record_type: 'order',
        record_id: pesananId,
        pesanan_id: pesananId,
        status_before: 'menunggu_pembayaran',
        status_after: 'dibatalkan',
      });
    return cancelled > 0;
  });
}

/**
 * Orders (that may retry) still open whose payment window closed more than
 * `graceMs` ago with no live or settled payment: the backstop closes them even
 * without a workflow.
 */
export async function findOverdueWindows(
  db: Knex,
  graceMs: number,
  limit: number,
  now = new Date(),
): Promise<string[]> {
  const cutoff = toDbTime(new Date(now.getTime() - graceMs));
  return db('pesanan')
    .where({ 'pesanan.status': 'menunggu_pembayaran', 'pesanan.workflow_version': RETRYABLE_PAYMENTS_VERSION })
    .whereExists(
      db('pembayaran')
        .whereRaw('pembayaran.pesanan_id = pesanan.id')
        .andWhere('pembayaran.expires_at', '<', cutoff)
        .select('pembayaran.id'),
    )
    .whereNotExists(
      db('pembayaran')
        .whereRaw('pembayaran.pesanan_id = pesanan.id')
        .whereIn('pembayaran.status', ['menunggu', 'berhasil'])
        .select('pembayaran.id'),
    )
    .limit(limit)
    .pluck('pesanan.id');
}

/** The escrow row a settlement just inserted, as the database holds it. */
function heldRecord(e: NewEscrow, at: string): EscrowRecord {
  return {
    ...e,
    status: 'held',
    dirilis_pada: null,
    dirilis_oleh: null,
    alasan: null,
    jumlah_dirilis: null,
    created_at: at,
    updated_at: at,
  };
}

async function escrowOf(db: Knex, payment: PaymentRecord): Promise<EscrowRecord | null> {
  const row = await db('escrow').where({ pembayaran_id: payment.id }).first('id');
  return row ? ((await getEscrow(db, row.id)) ?? null) : null;
}

/** Payments newest first, by client and status, one page at a time, each with its escrow's id. */
export async function listPayments(
  db: Knex,
  o: { user_id?: string; status?: PaymentStatus; limit: number; cursor?: string },
): Promise<Page<PaymentRecord & { escrow_id: string | null; refund_id: string | null }>> {
  const q = db('pembayaran')
    .leftJoin('escrow', 'escrow.pembayaran_id', 'pembayaran.id')
    .leftJoin('refunds', 'refunds.pembayaran_id', 'pembayaran.id')
    .select('pembayaran.*', 'escrow.id as escrow_id', 'refunds.id as refund_id');
  if (o.user_id) q.where('pembayaran.user_id', o.user_id);
  if (o.status) q.where('pembayaran.status', o.status);
  return page(
    q,
    { ...o, table: 'pembayaran' },
    (r) =>
      fromRow<PaymentRecord & { escrow_id: string | null; refund_id: string | null }>(r) as PaymentRecord & {
        escrow_id: string | null;
        refund_id: string | null;
      },
  );
}
