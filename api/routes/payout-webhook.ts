import express, { Router } from 'express';
import * as repo from '../../db/repositories';
import { refundIdOfPayoutKey } from '../../domain/ids';
import type { RefundRecord } from '../../domain/records';
import { payoutResultSignal } from '../../workflows/messages';
import type { PayoutState } from '../../gateway/mock-bank';
import { HttpError, asyncHandler, badRequest, conflict, notFound } from '../errors';
import { readPayoutNotification } from '../webhook';
import { webhookIntake, clip } from '../webhook-intake';
import { WorkflowGoneError } from '../workflow-calls';
import type { RouteDeps } from './context';

/**
 * The gateway's payout notification (`POST /api/payouts/webhook`): verified
 * over the raw body like the payment webhook, checked against the withdrawal,
 * and handed to the order's workflow as a signal (which records it in the
 * workflow's history; repeats are ignored there). Every call that reaches
 * verification is written to webhook_log. A notification the workflow cannot
 * take now gets 503, and the gateway retries; if it never arrives, the
 * workflow asks the gateway for the payout's status.
 */
export function payoutWebhookRouter({ db, config, logger, workflows, gateway }: RouteDeps): Router {
  const router = Router();
  const intake = webhookIntake({ db, logger, webhook: 'payout', perMinute: config.rateLimits.webhooksPerMinute }, (f) => ({
    transaction_id: clip(f.external_id, 64),
    transaction_status: typeof f.status === 'string' ? `payout:${f.status}`.slice(0, 32) : 'payout',
    gross_amount: clip(f.amount, 32, true),
  }));
  /** The payout's state as the notification says it ended, with the receipt from the gateway's own record of it. */
  const payoutResult = async (n: { external_id: string; reference: string; amount: number; status: 'completed' | 'failed'; failure_reason: string | null }): Promise<PayoutState> => {
    const known = await gateway.getPayout(n.external_id);
    return {
      idempotency_key: n.external_id,
      reference: n.reference,
      amount: n.amount,
      status: n.status,
      bukti_transfer: known?.status === n.status ? known.bukti_transfer : null,
      completed_at: known?.status === n.status ? known.completed_at : null,
      failure_reason: n.failure_reason,
    };
  };
  router.post(
    '/api/payouts/webhook',
    // a notification is well under 2 kB: a forged flood is not read beyond 16 kB
    express.raw({ type: () => true, limit: '16kb' }),
    asyncHandler(async (req, res) => {
      const n = await intake.read(req, res, (raw) => readPayoutNotification(raw, config.mock.secret, config.webhookToleranceSeconds));
      if (!n) return;
      const refuse = (err: HttpError) => intake.refuse(res, n, err);
      const w = await repo.getWithdrawal(db, n.external_id);
      if (!w) {
        const refund = await repo.getRefund(db, refundIdOfPayoutKey(n.external_id));
        if (!refund) return refuse(notFound('withdrawal'));
        return refundPayout(refund, n);
      }
      if (n.amount !== w.jumlah_bersih) return refuse(badRequest('amount does not match the withdrawal\'s jumlah_bersih', 'amount'));
      if (w.status === 'completed' || w.status === 'failed') {
        // a repeat of what is recorded is answered as processed; a contradiction is refused, and is an incident
        if (w.status !== n.status) {
          logger.error({ withdrawal_id: w.id, recorded: w.status, notified: n.status }, 'payout notification contradicts the recorded withdrawal: investigate');
          return refuse(conflict(`withdrawal is ${w.status}; a ${n.status} notification cannot change it`, { status: w.status }));
        }
      } else if (w.status !== 'processing') {
        return refuse(conflict(`withdrawal is ${w.status}; it has no payout`, { status: w.status }));
      } else {
        // the gateway's own record of the payout carries the receipt; the notification says how it ended
        const result = await payoutResult(n);
        try {
          await workflows.signal(w.pesanan_id, payoutResultSignal, result);
        } catch (err) {
          if (!(err instanceof WorkflowGoneError)) throw err; // Temporal unreachable: 503, and the gateway retries
          // the order's workflow was ended by an operator: the bank's word is recorded here instead
          logger.warn({ withdrawal_id: w.id, status: n.status }, 'payout notification for an order whose workflow has ended: recorded directly');
          if (n.status === 'completed') {
            await repo.completeWithdrawal(db, { withdrawal_id: w.id, escrow_id: w.escrow_id, bukti_transfer: result.bukti_transfer ?? '', referensi_payout: n.reference, dicairkan_pada: result.completed_at ?? new Date().toISOString() });
          } else {
            await repo.endWithdrawal(db, { withdrawal_id: w.id, status: 'failed', alasan: n.failure_reason ?? 'the bank refused the payout' });
          }
        }
      }
      await intake.audit(200, `processed:${n.status}`, n);
      res.json({ success: true, withdrawal_id: w.id, status: n.status, message: 'Payout notification processed' });

      /** A refund paid out to the client's account: its notification goes to the refund's workflow (which otherwise asks the gateway). */
      async function refundPayout(refund: RefundRecord, note: NonNullable<typeof n>) {
        if (note.amount !== refund.jumlah) return refuse(badRequest('amount does not match the refund\'s jumlah', 'amount'));
        if (refund.status === 'processing') {
          await workflows.signalRefund(refund.id, payoutResultSignal, await payoutResult(note)).catch((err) => {
            if (!(err instanceof WorkflowGoneError)) throw err; // Temporal unreachable: 503, and the gateway retries
          });
        }
        await intake.audit(200, `processed:refund:${note.status}`, note);
        res.json({ success: true, refund_id: refund.id, status: note.status, message: 'Refund payout notification processed' });
      }
    }),
  );
  return router;
}
