import { ApplicationFailure } from '@temporalio/common';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { PaymentMethod, PayoutMethod } from '../domain/methods';
import { NewPayment, PaymentOutcome, paymentOutcomeOf, paymentViewOf } from '../domain/records';
import { reconcile } from '../db/reconcile';
import { describeDbError, isDatabaseError } from '../domain/db-errors';
import { PAYOUT_REFUSED } from '../domain/failures';
import * as repo from '../db/repositories';
import { confirmRecordedPayout, holdBeforePayout } from '../app/payout-truth';
import type { MockGateway } from '../gateway/mock-gateway';
import { PayoutResult, PayoutState, PayoutTemporaryError } from '../gateway/mock-bank';
import { RefundRefusedError, RefundState, RefundTemporaryError } from '../gateway/mock-gateway';
import type { CancellingRole, OrderStatus } from '../domain/statuses';

/**
 * Side effects of the order workflow. Activities run at least once, so each
 * is idempotent: gateway calls carry the payment's transaction id or the
 * withdrawal's id as idempotency key, and database writes are guarded by the
 * state they expect.
 */
export interface ActivityDeps {
  db: Knex;
  gateway: MockGateway;
  logger: Logger;
  /** Told of every failed attempt, by activity and failure type (the metrics). */
  onFailure?: (activity: string, type: string) => void;
}

/** A payment the workflow opens itself (orders on the in-workflow payment path). */
export type PaymentToCreate = Omit<NewPayment, 'payment_gateway' | 'metode_pembayaran'> & {
  metode_pembayaran: PaymentMethod;
};

export interface CreatedCharge {
  payment_url: string;
  payment_instructions: Record<string, unknown>;
  gateway_reference: string;
}

export function createActivities(deps: ActivityDeps) {
  return withoutSql(orderActivities(deps), deps.logger, deps.onFailure);
}

/**
 * A database error leaves an activity as `DATABASE_ERROR` with the driver's
 * code only (retried as before): knex's message carries the SQL statement with
 * its values, which must not reach the logs or the workflow's failure in the Web UI.
 */
function withoutSql<T extends Record<string, (...args: never[]) => Promise<unknown>>>(
  activities: T,
  logger: Logger,
  onFailure: (activity: string, type: string) => void = () => undefined,
): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        const failure = asFailure(err, name, logger);
        onFailure(name, failure instanceof ApplicationFailure ? (failure.type ?? 'Error') : 'Error');
        throw failure;
      }
    };
  }
  return wrapped as T;
}

/** What an activity's error leaves as: database errors without their SQL, impossible record states non-retryable. */
function asFailure(err: unknown, activity: string, logger: Logger): unknown {
  // a record in a state its workflow cannot have left it in: fail the workflow visibly rather than retry
  if (err instanceof repo.WithdrawalStateError)
    return ApplicationFailure.nonRetryable(err.message, 'INVALID_RECORD_STATE');
  if (!isDatabaseError(err)) return err;
  const message = describeDbError(err);
  logger.warn({ activity, db_error: message }, 'activity failed on the database; it will be retried');
  return ApplicationFailure.retryable(message, 'DATABASE_ERROR');
}

function orderActivities({ db, gateway, logger }: ActivityDeps) {
  return {
    /** Opens the charge at the gateway and records the payment (status menunggu). */
    async createPayment(p: PaymentToCreate): Promise<CreatedCharge> {
      const charge = await gateway.createCharge({
        transaction_id: p.transaction_id,
        method: p.metode_pembayaran,
        channel: p.channel,
        gross_amount: p.total_bayar,
        gateway_fee: p.biaya_gateway,
        expires_at: p.expires_at,
      });
      await repo.insertPaymentIfAbsent(db, {
        ...p,
        payment_gateway: 'mock',
        gateway_reference: charge.reference,
        payment_url: charge.payment_url,
        payment_instructions: charge.instructions,
      });
      logger.info(
        { pesanan_id: p.pesanan_id, transaction_id: p.transaction_id, method: p.metode_pembayaran },
        'payment created',
      );
      return {
        payment_url: charge.payment_url,
        payment_instructions: charge.instructions,
        gateway_reference: charge.reference,
      };
    },

    /**
     * The payment's expiry timer fired: expires it unless the database already
     * decided it (a notification got there first), and answers the database's
     * final word, which the workflow adopts. Runs as a local activity.
     */
    async expirePayment(e: {
      payment_id: string;
      pesanan_id?: string;
      close_window?: boolean;
    }): Promise<PaymentOutcome> {
      if (e.close_window && e.pesanan_id) {
        // the order's payment window closed (orders whose payments may be retried): every live payment
        // expires, an order without a settled payment is cancelled; the answer names the payment with the last word
        const closed = await repo.closePaymentWindow(db, e.pesanan_id, e.payment_id);
        if (!closed || closed.payment.status === 'menunggu')
          throw new Error(`payment window of order ${e.pesanan_id}: no decided payment to answer`);
        logger.info(
          { pesanan_id: e.pesanan_id, payment_id: closed.payment.id, status: closed.payment.status },
          'payment window closed',
        );
        return { ...paymentOutcomeOf(closed.payment, closed.escrow), payment: paymentViewOf(closed.payment) };
      }
      const result = await repo.decidePayment(db, {
        payment_id: e.payment_id,
        status: 'kadaluarsa',
        gateway_status: null,
        at: new Date().toISOString(),
        decidedByWorkflow: true,
      });
      if (result.kind === 'late') throw new Error('unreachable: an expiry is never a late settlement');
      await repo.markWorkflowSynced(db, e.payment_id, result.payment.status);
      logger.info(
        { payment_id: e.payment_id, status: result.payment.status, decided: result.kind },
        'payment expiry timer fired',
      );
      return paymentOutcomeOf(result.payment, result.escrow);
    },

    /** Payment settled (orders on the in-workflow payment path): records it, creates the held escrow and marks the order paid, atomically. */
    async settlePayment(s: Parameters<typeof repo.settlePayment>[1]): Promise<void> {
      await repo.settlePayment(db, s);
      logger.info(
        { payment_id: s.payment_id, escrow_id: s.escrow.id, jumlah_ditahan: s.escrow.jumlah_ditahan },
        'payment settled; escrow held',
      );
    },

    /** Payment failed or expired (in-workflow payment path): records it and cancels the order. */
    async closePayment(c: Parameters<typeof repo.closePayment>[1]): Promise<void> {
      await repo.closePayment(db, c);
      logger.info({ payment_id: c.payment_id, status: c.status }, 'payment closed');
    },

    /** No payment was created before the payment window closed: the order is cancelled. */
    async cancelOrder(c: { pesanan_id: string }): Promise<void> {
      await repo.cancelUnpaidOrder(db, c.pesanan_id);
      logger.info({ pesanan_id: c.pesanan_id }, 'order cancelled: no payment was created in time');
    },

    /**
     * Work progress (start, deliver): the order moves from one status to the
     * next with its audit row and notification event; guarded by the status it
     * expects. Answers the order's status afterwards (the workflow refuses the
     * step when the database holds the order anywhere else).
     */
    async changeOrderStatus(c: Parameters<typeof repo.changeOrderStatus>[1]) {
      const result = await repo.changeOrderStatus(db, c);
      logger.info(
        { pesanan_id: c.pesanan_id, from: c.from, to: c.to, changed: result.changed, status: result.status },
        'order status change',
      );
      return result;
    },

    /** A client or freelancer disputes the held escrow: escrow disputed, order dispute (refused when the escrow is not held). */
    async openDispute(d: {
      id: string;
      escrow_id: string;
      user_id: string;
      role: 'client' | 'freelancer';
      alasan: string;
      at: string;
    }): Promise<repo.OpenDisputeResult> {
      const result = await repo.openDispute(db, { ...d, actor: { type: 'user', id: d.user_id, role: d.role } });
      logger.info({ escrow_id: d.escrow_id, dispute_id: d.id, result: result.kind }, 'dispute');
      return result;
    },

    /** An admin decides the dispute: release, partial release or refund, with the journals and the refund record. */
    async resolveDispute(r: repo.DisputeResolution): Promise<repo.ResolveResult> {
      const result = await repo.resolveDispute(db, r);
      logger.info({ escrow_id: r.escrow_id, keputusan: r.keputusan, result: result.kind }, 'dispute decided');
      return result;
    },

    /** A paid order is cancelled: the escrow is refunded in full (refused when the escrow or the order moved). */
    async refundEscrow(c: {
      escrow_id: string;
      refund_id: string;
      alasan: string;
      fromOrder: OrderStatus[];
      actor: { type: 'user'; id: string; role: CancellingRole };
    }): Promise<repo.EscrowRefundResult> {
      const result = await repo.refundEscrow(db, c);
      logger.info({ escrow_id: c.escrow_id, result: result.kind }, 'order cancelled after payment: escrow refund');
      return result;
    },

    /**
     * Refunds to the payment's source through the gateway (the refund id is
     * the idempotency key, so a retry never refunds twice). A temporary
     * failure throws and is retried; a refusal is final (REFUND_REFUSED).
     */
    async refundToSource(r: { refund_id: string; transaction_id: string; amount: number }): Promise<RefundState> {
      try {
        const done = await gateway.refund({
          idempotency_key: r.refund_id,
          transaction_id: r.transaction_id,
          amount: r.amount,
        });
        logger.info({ refund_id: r.refund_id, amount: r.amount, reference: done.reference }, 'refunded to source');
        return done;
      } catch (err) {
        if (err instanceof RefundTemporaryError) throw ApplicationFailure.retryable(err.message, err.code);
        if (err instanceof RefundRefusedError) throw ApplicationFailure.nonRetryable(err.message, err.code);
        throw err;
      }
    },

    /** The client's account for a refund that cannot go back to its source: the refund is processing. */
    async recordRefundAccount(a: {
      refund_id: string;
      metode: 'transfer_bank' | 'e_wallet';
      channel: string;
      nomor_rekening: string;
      nama_pemilik: string;
      client_id: string;
    }) {
      const { changed, refund } = await repo.recordRefundAccount(db, {
        ...a,
        actor: { type: 'user', id: a.client_id, role: 'client' },
      });
      // a retry of the call that recorded it finds it processing with this account: the same answer
      const same =
        refund?.status === 'processing' && refund.nomor_rekening === a.nomor_rekening && refund.channel === a.channel;
      // `attempt`: which account this is (the payout's key is made from it, so a new account is never the old payout)
      return { changed: changed || same, status: refund?.status ?? null, attempt: refund?.rekening_ke ?? 0 };
    },

    async completeRefund(c: { refund_id: string; referensi_gateway: string; selesai_pada: string }): Promise<void> {
      await repo.completeRefund(db, c);
      await confirmRecordedPayout({ db, gateway, logger }, c.refund_id);
      logger.info({ refund_id: c.refund_id, reference: c.referensi_gateway }, 'refund completed');
    },

    async failRefund(f: { refund_id: string; reason: string }): Promise<void> {
      await repo.failRefund(db, f);
      await confirmRecordedPayout({ db, gateway, logger }, f.refund_id);
      logger.warn({ refund_id: f.refund_id, reason: f.reason }, 'refund payout refused by the bank');
    },

    async releaseEscrow(r: Parameters<typeof repo.releaseEscrow>[1]): Promise<void> {
      await repo.releaseEscrow(db, r);
      logger.info({ escrow_id: r.escrow_id, by: r.dirilis_oleh }, 'escrow released');
    },

    async createWithdrawal(w: repo.NewWithdrawal): Promise<void> {
      await repo.insertWithdrawalIfAbsent(db, w);
      logger.info(
        { withdrawal_id: w.id, escrow_id: w.escrow_id, jumlah_bersih: w.jumlah_bersih },
        'withdrawal requested',
      );
    },

    /**
     * Requests the payout (the withdrawal id is the gateway's idempotency key,
     * so a retry never pays twice). Answers the gateway's word: queued, or
     * failed when the bank refused the account. A temporary failure throws,
     * and is retried up to PAYOUT_MAX_ATTEMPTS.
     */
    async requestPayout(p: {
      withdrawal_id: string;
      amount: number;
      method: PayoutMethod;
      channel: string | null;
      nomor_rekening: string;
      nama_pemilik: string;
    }): Promise<PayoutState> {
      // an earlier attempt for the same escrow or refund still queued or paid, or a frozen one: this one is
      // cancelled at the gateway instead (unless the gateway already took it: then its record is the answer)
      const hold = await holdBeforePayout({ db, gateway, logger }, p.withdrawal_id);
      if (hold) {
        const held = await gateway.cancelPayout({
          idempotency_key: p.withdrawal_id,
          amount: p.amount,
          reason: `HELD: ${hold}`,
        });
        logger.error({ payout_key: p.withdrawal_id, reason: hold, status: held.status }, 'payout held: not sent');
        return held;
      }
      try {
        const result = await gateway.payout({
          idempotency_key: p.withdrawal_id,
          amount: p.amount,
          method: p.method,
          channel: p.channel,
          nomor_rekening: p.nomor_rekening,
          nama_pemilik: p.nama_pemilik,
        });
        logger.info(
          { withdrawal_id: p.withdrawal_id, amount: p.amount, reference: result.reference, status: result.status },
          'payout requested',
        );
        return result;
      } catch (err) {
        if (err instanceof PayoutTemporaryError) {
          logger.warn({ withdrawal_id: p.withdrawal_id }, 'payout refused for now; it will be retried');
          throw ApplicationFailure.retryable(err.message, err.code);
        }
        throw err;
      }
    },

    /** The payout's status at the gateway (null: the gateway never took it). */
    async checkPayout(c: { withdrawal_id: string }): Promise<PayoutState | null> {
      return (await gateway.getPayout(c.withdrawal_id)) ?? null;
    },

    /** Out of attempts: the payout is cancelled unless the bank took it (then its state is answered). */
    async cancelPayout(c: { withdrawal_id: string; amount: number; reason: string }): Promise<PayoutState> {
      const state = await gateway.cancelPayout({
        idempotency_key: c.withdrawal_id,
        amount: c.amount,
        reason: c.reason,
      });
      logger.warn(
        { withdrawal_id: c.withdrawal_id, status: state.status },
        'payout out of attempts: cancelled unless the bank took it',
      );
      return state;
    },

    /** Orders still on the old payout path: pays out and waits (by retrying) until the bank completes it. */
    async payout(p: {
      withdrawal_id: string;
      amount: number;
      method: PayoutMethod;
      nomor_rekening: string;
      nama_pemilik: string;
    }): Promise<PayoutResult> {
      const result = await gateway.payout({
        idempotency_key: p.withdrawal_id,
        amount: p.amount,
        method: p.method,
        nomor_rekening: p.nomor_rekening,
        nama_pemilik: p.nama_pemilik,
      });
      const now = result.status === 'queued' ? await gateway.getPayout(p.withdrawal_id) : result;
      // refused for good (a closed account): no retry can pay it; the workflow ends the withdrawal as failed
      if (now?.status === 'failed')
        throw ApplicationFailure.nonRetryable(now.failure_reason ?? 'the bank refused the payout', PAYOUT_REFUSED);
      if (now?.status !== 'completed')
        throw new Error(`payout ${p.withdrawal_id} is ${now?.status ?? 'unknown'} at the gateway`);
      logger.info({ withdrawal_id: p.withdrawal_id, amount: p.amount, reference: now.reference }, 'payout completed');
      return {
        reference: now.reference,
        bukti_transfer: now.bukti_transfer ?? '',
        completed_at: now.completed_at ?? new Date().toISOString(),
      };
    },

    async approveWithdrawal(a: Parameters<typeof repo.approveWithdrawal>[1]): Promise<void> {
      await repo.approveWithdrawal(db, a);
      logger.info({ withdrawal_id: a.withdrawal_id }, 'withdrawal approved');
    },

    /** Rejected by an admin or failed at the bank: the money is withdrawable again. */
    async endWithdrawal(e: Parameters<typeof repo.endWithdrawal>[1]): Promise<void> {
      await repo.endWithdrawal(db, e);
      if (e.status === 'failed') await confirmRecordedPayout({ db, gateway, logger }, e.withdrawal_id);
      logger.info({ withdrawal_id: e.withdrawal_id, status: e.status }, `withdrawal ${e.status}`);
    },

    /** Reconciles the books; differences fail the run for good (a finding, not a fault to retry), each one named. */
    async reconcileBooks(): Promise<{ checks: number; differences: number }> {
      const report = await reconcile(db);
      if (report.differences.length) {
        logger.error({ differences: report.differences }, 'the books do not reconcile');
        const list = report.differences
          .slice(0, 50)
          .map((d) => `[${d.check}] ${d.record_id}: ${d.detail}`)
          .join('\n');
        throw ApplicationFailure.create({
          type: 'BOOKS_DO_NOT_RECONCILE',
          nonRetryable: true,
          message: `${report.differences.length} difference(s):\n${list}`,
          details: [report.differences.slice(0, 200)],
        });
      }
      logger.info({ checks: report.checks.length }, 'the books reconcile');
      return { checks: report.checks.length, differences: 0 };
    },

    async completeWithdrawal(c: Parameters<typeof repo.completeWithdrawal>[1]): Promise<void> {
      await repo.completeWithdrawal(db, c);
      await confirmRecordedPayout({ db, gateway, logger }, c.withdrawal_id);
      logger.info({ withdrawal_id: c.withdrawal_id, escrow_id: c.escrow_id }, 'withdrawal completed; escrow completed');
    },
  };
}

export type OrderActivities = ReturnType<typeof orderActivities>;
