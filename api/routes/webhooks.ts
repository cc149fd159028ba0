import express, { Response, Router } from 'express';
import type { OrderRecord, PaymentRecord } from '../../domain/records';
import { GatewayStatus, paymentStatusForGateway } from '../../domain/statuses';
import * as repo from '../../db/repositories';
import { paymentNotificationUpdate } from '../../workflows/messages';
import { HttpError, asyncHandler, conflict, notFound } from '../errors';
import { metrics } from '../metrics';
import { VerifiedWebhook, readWebhook } from '../webhook';
import { clip, webhookIntake } from '../webhook-intake';
import { WorkflowGoneError } from '../workflow-calls';
import type { RouteDeps } from './context';
import { startRefundWorkflow } from '../refund-path';

type Answer = { status: string; escrow_id: string | null; refund_status?: string | null };

/**
 * The gateway's webhook: verified over the raw body (before any JSON parser),
 * checked against the database and decided in it; the outbox relay tells the
 * order's workflow after the answer. Every call that reaches verification is audited. A
 * settlement that arrives after its payment expired or failed is recorded
 * and marked for refund, and answered 200: the gateway must not keep retrying
 * money that has been accounted for.
 */
export function webhooksRouter(deps: RouteDeps): Router {
  const { db, config, logger } = deps;
  const router = Router();
  const intake = webhookIntake(
    { db, logger, webhook: 'payment', perMinute: config.rateLimits.webhooksPerMinute },
    (f) => ({
      transaction_id: clip(f.transaction_id, 64),
      transaction_status: clip(f.transaction_status, 32),
      gross_amount: clip(f.gross_amount, 32, true),
    }),
  );
  router.post(
    '/api/payments/webhook',
    // a notification is well under 2 kB: a forged flood is not read beyond 16 kB
    express.raw({ type: () => true, limit: '16kb' }),
    asyncHandler(async (req, res) => {
      const fields = await intake.read(req, res, (raw) =>
        readWebhook(raw, config.mock.secret, config.webhookToleranceSeconds),
      );
      if (!fields) return;
      const refuse = (err: HttpError) => intake.refuse(res, fields, err);

      const payment = await repo.getPaymentByTransactionId(db, fields.transaction_id);
      if (!payment) return refuse(notFound('transaction'));
      if (fields.gross_amount !== payment.total_bayar) {
        return refuse(new HttpError(400, 'AMOUNT_MISMATCH', "gross_amount does not match the payment's total_bayar"));
      }
      const order = (await repo.getOrder(db, payment.pesanan_id)) as OrderRecord;
      let answer: Answer;
      try {
        answer =
          order.workflow_version === 1
            ? await legacyNotification(deps, payment, order, fields, req.requestId ?? null)
            : await notification(deps, payment, order, fields, req.requestId ?? null);
      } catch (err) {
        if (err instanceof HttpError) return refuse(err);
        throw err;
      }
      await intake.audit(
        200,
        answer.refund_status ? `late:refund_${answer.refund_status}` : `processed:${answer.status}`,
        fields,
      );
      reply(res, fields.transaction_id, answer);
    }),
  );
  return router;
}

function reply(res: Response, transactionId: string, a: Answer): void {
  const late = Boolean(a.refund_status);
  res.json({
    success: true,
    transaction_id: transactionId,
    status: a.status,
    message: late
      ? `Late payment recorded: the payment is ${a.status}; the money will be refunded`
      : 'Webhook processed successfully',
    escrow_id: a.escrow_id,
    ...(late ? { refund_status: a.refund_status } : {}),
  });
}

/** The payment path decided by the database (orders with workflow_version 2, and any order paid from now on). */
async function notification(
  deps: RouteDeps,
  payment: PaymentRecord,
  order: OrderRecord,
  f: VerifiedWebhook,
  requestId: string | null,
): Promise<Answer> {
  const target = paymentStatusForGateway(f.transaction_status);
  if (target === null || target === 'menunggu')
    return { status: payment.status, escrow_id: order.escrow_id, refund_status: null }; // pending: no change
  const result = await deps.payments.notify(payment, order, target, f.transaction_status, {
    type: 'gateway',
    request_id: requestId,
  });
  switch (result.kind) {
    case 'applied':
      if (result.payment.status === 'berhasil')
        metrics.paymentsSettled.inc({ method: result.payment.metode_pembayaran });
      return { status: result.payment.status, escrow_id: result.escrow?.id ?? null };
    case 'duplicate':
      return { status: result.payment.status, escrow_id: result.escrow?.id ?? null };
    case 'late':
      // refunded in full by its own workflow (the order's may be long gone), started once (a repeated notification
      // finds it started); the sweep starts it if this fails
      if (result.refund.workflow_started)
        return { status: result.payment.status, escrow_id: null, refund_status: result.payment.refund_status };
      await startRefundWorkflow({ db: deps.db, workflows: deps.workflows }, result.refund, result.payment).catch(
        (err) =>
          deps.logger.warn(
            { err: String(err), refund_id: result.refund.id },
            "could not start the late payment's refund workflow; the sweep will",
          ),
      );
      return { status: result.payment.status, escrow_id: null, refund_status: result.payment.refund_status };
    case 'conflict':
      throw conflict(`payment is ${result.payment.status}; a ${f.transaction_status} notification cannot change it`, {
        status: result.payment.status,
      });
  }
}

/** Orders whose workflow decides the payment itself (workflow_version 1): the notification goes to it as an update. */
async function legacyNotification(
  deps: RouteDeps,
  payment: PaymentRecord,
  order: OrderRecord,
  f: VerifiedWebhook,
  requestId: string | null,
): Promise<Answer> {
  const { db, workflows } = deps;
  const recorded = async () => ({
    status: (await repo.getPaymentByTransactionId(db, payment.transaction_id))!.status,
    escrow_id: (await repo.getOrder(db, order.id))?.escrow_id ?? null,
  });
  const target = paymentStatusForGateway(f.transaction_status as GatewayStatus);
  if (target === null) return recorded();
  // money for an old order's payment that had already expired or failed: recorded and owed back, as on the new path
  if (target === 'berhasil' && (payment.status === 'gagal' || payment.status === 'kadaluarsa'))
    return notification(deps, payment, order, f, requestId);
  let result: Answer;
  try {
    result = await workflows.update(order.id, paymentNotificationUpdate, {
      transaction_id: f.transaction_id,
      transaction_status: f.transaction_status,
      gross_amount: f.gross_amount,
    });
  } catch (err) {
    if (!(err instanceof WorkflowGoneError)) throw err;
    result = await recorded(); // the order's workflow has closed: the database holds its final word
  }
  if (result.status !== target)
    throw conflict(`payment is ${result.status}; a ${f.transaction_status} notification cannot change it`, {
      status: result.status,
    });
  return result;
}
