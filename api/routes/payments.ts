import { Router } from 'express';
import { canSeeOrder, canSeePayment } from '../../domain/access';
import * as repo from '../../db/repositories';
import { principalOf } from '../auth';
import { asyncHandler, badRequest, conflict, forbidden, notFound } from '../errors';
import { cancelPaymentBody, parse, paymentIdParam, paymentsQuery } from '../schemas';
import { limiter } from '../security';
import { metrics } from '../metrics';
import { paymentView } from '../views';
import { RouteDeps, actorOf, mayAct, ok, paymentWithOrder, readPage } from './context';

export function paymentsRouter({ db, payments, config, v, auth }: RouteDeps): Router {
  const router = Router();

  /**
   * Create payment: the database decides (one live payment per order) and the
   * gateway opens the charge; the outbox relay tells the order's workflow after
   * the answer (api/payment-path.ts).
   */
  router.post(
    '/api/payments/create',
    auth,
    limiter(config.rateLimits.paymentsPerMinute, (req) => principalOf(req).id, 'payment requests'),
    asyncHandler(async (req, res) => {
      const p = principalOf(req);
      const body = parse(v.createPayment, req.body);
      mayAct(p, 'createPayment', body.user_id);
      const order = await repo.getOrder(db, body.pesanan_id);
      if (!order || order.client_id !== p.id) throw notFound('order');
      if (order.status === 'dibatalkan')
        throw conflict('this order is cancelled; it cannot take a new payment', { order_status: order.status });
      if (body.jumlah !== order.harga) {
        throw badRequest(`jumlah must equal the order's harga (${order.harga})`, 'jumlah');
      }
      const {
        created,
        payment,
        order: now,
      } = await payments.create(
        order,
        { user_id: p.id, jumlah: body.jumlah, metode_pembayaran: body.metode_pembayaran, channel: body.channel },
        actorOf(req),
      );
      if (created) metrics.paymentsCreated.inc({ method: payment.metode_pembayaran });
      res.status(created ? 201 : 200).json(
        ok(created ? 'Payment created successfully' : 'Payment already exists for this order', {
          payment_id: payment.id,
          transaction_id: payment.transaction_id,
          payment_url: payment.payment_url,
          total_bayar: payment.total_bayar,
          status: payment.status,
          expires_at: payment.expires_at,
          payment_instructions: payment.payment_instructions,
          pesanan_id: payment.pesanan_id,
          nomor_invoice: payment.nomor_invoice,
          jumlah: payment.jumlah,
          biaya_platform: payment.biaya_platform,
          biaya_gateway: payment.biaya_gateway,
          metode_pembayaran: payment.metode_pembayaran,
          channel: payment.channel,
          escrow_id: now.escrow_id,
        }),
      );
    }),
  );

  /**
   * The order's client cancels a waiting payment (to choose another method):
   * voided at the gateway, `gagal` with gateway status `cancel`; the order stays
   * open for another payment while its payment window is open. Someone who may
   * not see the order gets 404; its freelancer or an admin 403; a payment that
   * is not waiting 409.
   */
  router.post(
    '/api/payments/:id/cancel',
    auth,
    limiter(config.rateLimits.paymentsPerMinute, (req) => principalOf(req).id, 'payment requests'),
    asyncHandler(async (req, res) => {
      const p = principalOf(req);
      const id = parse(paymentIdParam, req.params.id, 'id');
      parse(cancelPaymentBody, req.body ?? {});
      const found = await paymentWithOrder(db, id);
      if (!found || !canSeeOrder(p, found.order)) throw notFound('payment');
      const { payment, order } = found;
      if (p.role !== 'client' || order.client_id !== p.id)
        throw forbidden("only the order's client may cancel its payment");
      const cancelled = await payments.cancel(payment, order, actorOf(req));
      res.json(
        ok(
          'Payment cancelled; the order can take another payment while its payment window is open',
          paymentView(cancelled, null),
        ),
      );
    }),
  );

  /** A client's own payments (admins: everyone's, or one user's), newest first: the payment history. */
  router.get(
    '/api/payments',
    auth,
    asyncHandler(async (req, res) => {
      const p = principalOf(req);
      const q = parse(paymentsQuery, req.query, 'query');
      if (p.role === 'freelancer') throw forbidden('only clients and admins have payments');
      if (p.role === 'client' && q.user_id && q.user_id !== p.id)
        throw forbidden('a client may list only its own payments');
      const userId = p.role === 'client' ? p.id : q.user_id;
      const found = await readPage(() =>
        repo.listPayments(db, { user_id: userId, status: q.status, limit: q.limit, cursor: q.cursor }),
      );
      res.json(
        ok('Payments retrieved', {
          items: found.items.map((x) => paymentView(x, x.escrow_id, x.refund_id)),
          next_cursor: found.next_cursor,
        }),
      );
    }),
  );

  return router;
}

const COLLECTIONS = ['escrow', 'withdrawals', 'withdraw', 'refunds', 'mock', 'webhook', 'create'];

/** Payment by id (or by transaction id): mounted after the fixed /api/payments/* routes. */
export function paymentReadRouter({ db, auth }: RouteDeps): Router {
  const router = Router();
  router.get(
    '/api/payments/:id',
    // the collections under /api/payments (escrow, withdrawals, refunds, ...) are not payment ids: without an id they are unknown routes
    (req, _res, next) => next(COLLECTIONS.includes(req.params.id) ? 'route' : undefined),
    auth,
    asyncHandler(async (req, res) => {
      const id = parse(paymentIdParam, req.params.id, 'id');
      const found = await paymentWithOrder(db, id);
      if (!found || !canSeePayment(principalOf(req), found.order)) throw notFound('payment');
      res.json(
        ok(
          'Payment retrieved',
          paymentView(
            found.payment,
            found.order.escrow_id,
            (await repo.getRefundOfPayment(db, found.payment.id))?.id ?? null,
          ),
        ),
      );
    }),
  );
  return router;
}
