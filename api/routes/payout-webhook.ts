import express, { Router } from 'express';
import * as repo from '../../db/repositories';
import { PayoutAttempt, confirmAgainstGateway, payoutAttemptOf } from '../../app/payout-truth';
import { payoutResultSignal } from '../../workflows/messages';
import type { PayoutState } from '../../gateway/mock-bank';
import { HttpError, asyncHandler, badRequest, conflict, notFound } from '../errors';
import { readPayoutNotification } from '../webhook';
import { webhookIntake, clip } from '../webhook-intake';
import { WorkflowGoneError } from '../workflow-calls';
import type { RouteDeps } from './context';

/**
 * The gateway's payout notification (`POST /api/payouts/webhook`): verified
 * over the raw body like the payment webhook, every call that reaches
 * verification written to webhook_log. The notification only wakes the
 * service: what it acts on is the gateway's own record of that payout, read
 * by its idempotency key (app/payout-truth.ts).
 *
 * - The gateway's record has an outcome for a payout in flight: the
 *   withdrawal's (or refund's) workflow is told the record, not the
 *   notification.
 * - It contradicts an outcome already recorded: a payout contradiction is
 *   recorded (the books follow the gateway, the money is frozen for an admin).
 * - The notification says something else than the record (a `failed` for a
 *   payout still queued, an early `completed`): 409, logged, nothing changed by it.
 * - A payout the gateway does not know: 404.
 * A signal Temporal cannot take now answers 503, and the gateway retries; if
 * it never arrives, the workflow asks the gateway for the payout's status.
 */
export function payoutWebhookRouter({ db, config, logger, workflows, gateway }: RouteDeps): Router {
  const router = Router();
  const intake = webhookIntake(
    { db, logger, webhook: 'payout', perMinute: config.rateLimits.webhooksPerMinute },
    (f) => ({
      transaction_id: clip(f.external_id, 64),
      transaction_status: typeof f.status === 'string' ? `payout:${f.status}`.slice(0, 32) : 'payout',
      gross_amount: clip(f.amount, 32, true),
    }),
  );
  router.post(
    '/api/payouts/webhook',
    // a notification is well under 2 kB: a forged flood is not read beyond 16 kB
    express.raw({ type: () => true, limit: '16kb' }),
    asyncHandler(async (req, res) => {
      const n = await intake.read(req, res, (raw) =>
        readPayoutNotification(raw, config.mock.secret, config.webhookToleranceSeconds),
      );
      if (!n) return;
      const refuse = (err: HttpError) => intake.refuse(res, n, err);
      const attempt = await payoutAttemptOf(db, n.external_id);
      if (!attempt) return refuse(notFound('payout'));
      const what = attempt.record_type === 'withdrawal' ? "withdrawal's jumlah_bersih" : "refund's jumlah";
      if (n.amount !== attempt.amount) return refuse(badRequest(`amount does not match the ${what}`, 'amount'));
      const record = await gateway.getPayout(n.external_id);
      if (!record) {
        logger.warn(
          { payout_key: n.external_id, notified: n.status },
          'payout notification for a payout the gateway does not know: ignored',
        );
        return refuse(notFound('payout at the gateway'));
      }
      const { verdict, contradiction } = await confirmAgainstGateway(
        { db, gateway, logger },
        attempt,
        record,
        'notification',
      );
      if (verdict === 'outcome') await tellWorkflow(attempt, record);
      const idField =
        attempt.record_type === 'withdrawal'
          ? { withdrawal_id: attempt.withdrawal.id }
          : { refund_id: attempt.refund.id };
      if (n.status !== record.status) {
        logger.warn(
          { payout_key: n.external_id, notified: n.status, gateway: record.status },
          "payout notification contradicts the gateway's record of the payout: the record counts",
        );
        return refuse(
          conflict(
            `the gateway's record of payout ${n.external_id} says ${record.status}; a ${n.status} notification changes nothing`,
            { ...idField, gateway_status: record.status },
          ),
        );
      }
      const prefix = attempt.record_type === 'refund' ? 'refund:' : '';
      await intake.audit(
        200,
        contradiction ? `contradiction:${prefix}${record.status}` : `processed:${prefix}${n.status}`,
        n,
      );
      res.json({
        success: true,
        ...idField,
        status: n.status,
        gateway_status: record.status,
        contradiction_id: contradiction?.id ?? null,
        message: contradiction
          ? "Payout notification processed: the gateway's record contradicts the outcome recorded; the money is frozen for an admin"
          : attempt.record_type === 'refund'
            ? 'Refund payout notification processed'
            : 'Payout notification processed',
      });
    }),
  );
  return router;

  /** The gateway's record has an outcome for a payout in flight: its workflow is told the record. */
  async function tellWorkflow(attempt: PayoutAttempt, record: PayoutState): Promise<void> {
    if (attempt.record_type === 'refund') {
      await workflows.signalRefund(attempt.refund.id, payoutResultSignal, record).catch((err) => {
        if (!(err instanceof WorkflowGoneError)) throw err; // Temporal unreachable: 503, and the gateway retries
      });
      return;
    }
    const w = attempt.withdrawal;
    try {
      await workflows.signal(w.pesanan_id, payoutResultSignal, record);
    } catch (err) {
      if (!(err instanceof WorkflowGoneError)) throw err; // Temporal unreachable: 503, and the gateway retries
      // the order's workflow was ended by an operator: the gateway's record is recorded here instead
      logger.warn(
        { withdrawal_id: w.id, status: record.status },
        'payout outcome for an order whose workflow has ended: recorded directly',
      );
      if (record.status === 'completed') {
        await repo.completeWithdrawal(db, {
          withdrawal_id: w.id,
          escrow_id: w.escrow_id,
          bukti_transfer: record.bukti_transfer ?? '',
          referensi_payout: record.reference,
          dicairkan_pada: record.completed_at ?? new Date().toISOString(),
        });
      } else {
        await repo.endWithdrawal(db, {
          withdrawal_id: w.id,
          status: 'failed',
          alasan: record.failure_reason ?? 'the bank refused the payout',
        });
      }
    }
  }
}
