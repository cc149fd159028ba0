import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Actor } from '../db/audit';
import * as repo from '../db/repositories';
import type { OrderRecord } from '../domain/records';
import { paymentOutcomeOf } from '../domain/records';
import { conflict } from './errors';
import type { PaymentPath } from './payment-path';
import type { OrderWorkflows } from './workflow-calls';

/**
 * Cancels an order that is not paid yet (its client or an admin): a live
 * payment is cancelled at the gateway (its charge voided, so its page no
 * longer pays) and ends `gagal`, and the order `dibatalkan`, in the payment's
 * decision; an order without a live payment is cancelled directly. Its
 * workflow learns it as the payment's outcome (`order_cancelled`). Money that
 * arrives anyway is a late payment, refunded in full. 409 when the payment
 * settled meanwhile (the order is then cancelled with a refund).
 */
export async function cancelUnpaidOrder(
  deps: { db: Knex; payments: PaymentPath; workflows: OrderWorkflows; logger: Logger },
  order: OrderRecord,
  actor: Actor,
): Promise<OrderRecord> {
  const { db, payments, workflows, logger } = deps;
  // twice at most: a payment opened between the read and the cancellation is cancelled on the second pass
  for (let attempt = 1; attempt <= 2; attempt++) {
    const now = (await repo.getOrder(db, order.id))!;
    if (now.status !== 'menunggu_pembayaran')
      throw conflict(
        `order is ${now.status}; ${now.status === 'dibatalkan' ? 'it is already cancelled' : 'cancel it again: a paid order is cancelled with a refund'}`,
        { status: now.status },
      );
    const current = now.pembayaran_id ? await repo.getPayment(db, now.pembayaran_id) : undefined;
    if (current?.status === 'menunggu') {
      await payments.cancel(current, now, actor, { closeOrder: true });
      return (await repo.getOrder(db, order.id))!;
    }
    if (await repo.cancelWaitingOrder(db, order.id, actor)) {
      // a workflow waiting for another payment after a failed one stops waiting (it would close the window anyway)
      if (current?.status === 'gagal') {
        await workflows
          .signalOutcome(order.id, paymentOutcomeOf(current, null, 'dibatalkan'))
          .catch((err) =>
            logger.warn(
              { err: String(err), pesanan_id: order.id },
              'could not tell the order workflow of its cancellation; it ends when the payment window closes',
            ),
          );
      }
      return (await repo.getOrder(db, order.id))!;
    }
  }
  const last = (await repo.getOrder(db, order.id))!;
  throw conflict(`order is ${last.status} and a payment is being opened for it; try again`, { status: last.status });
}
