import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { UpdateDefinition } from '@temporalio/client';
import { audit } from '../../db/audit';
import * as repo from '../../db/repositories';
import { canSeePayment } from '../../domain/access';
import type { OrderRecord } from '../../domain/records';
import { WorkStep, cancellationRefusal, workStepRefusal } from '../../domain/statuses';
import {
  WorkProgressRequest,
  WorkProgressResult,
  cancelOrderUpdate,
  deliverWorkUpdate,
  startWorkUpdate,
} from '../../workflows/messages';
import { principalOf } from '../auth';
import { asyncHandler, badRequest, conflict, forbidden, notFound } from '../errors';
import { cancelUnpaidOrder } from '../order-cancel';
import { cancelOrder, parse, workProgressBody } from '../schemas';
import { limiter } from '../security';
import { lifecycleView, orderPaymentView, orderView } from '../views';
import { WorkflowGoneError } from '../workflow-calls';
import { RouteDeps, actorOf, hasActionRole, mayAct, ok, visibleOrder } from './context';

/** Work progress over HTTP: the action (its role), the workflow update, the audit action and the answer's message. */
const WORK_ROUTES: Record<
  WorkStep,
  {
    path: string;
    action: 'startWork' | 'deliverWork';
    update: UpdateDefinition<WorkProgressResult, [WorkProgressRequest]>;
    audited: string;
    message: string;
  }
> = {
  start: {
    path: '/api/orders/:id/start',
    action: 'startWork',
    update: startWorkUpdate,
    audited: 'order.work_start_requested',
    message: 'Work started',
  },
  deliver: {
    path: '/api/orders/:id/deliver',
    action: 'deliverWork',
    update: deliverWorkUpdate,
    audited: 'order.work_delivery_requested',
    message: "Work delivered; waiting for the client's review",
  },
};

export function ordersRouter({ db, workflows, payments, config, logger, v, auth }: RouteDeps): Router {
  const router = Router();
  const perUser = (n: number, what: string) => limiter(n, (req) => principalOf(req).id, what);

  router.post(
    '/api/orders',
    auth,
    perUser(config.rateLimits.ordersPerMinute, 'orders created'),
    asyncHandler(async (req, res) => {
      const p = principalOf(req);
      const body = parse(v.createOrder, req.body);
      mayAct(p, 'createOrder', body.client_id);
      if (body.client_id === body.freelancer_id)
        throw badRequest('freelancer_id must differ from client_id', 'freelancer_id');
      const order = await repo.insertOrder(db, { id: randomUUID(), ...body }, actorOf(req));
      res.status(201).json(ok('Order created successfully', orderView(order)));
    }),
  );

  router.get(
    '/api/orders/:id',
    auth,
    asyncHandler(async (req, res) => {
      const order = await visibleOrder(db, req);
      // the payments' details only for those who may read payments (the client, admins); the freelancer sees their statuses
      const seesPayments = canSeePayment(principalOf(req), order);
      const payments = (await repo.listOrderPayments(db, order.id)).map((x) =>
        seesPayments
          ? orderPaymentView(x)
          : { id: x.id, status: x.status, created_at: x.created_at, expires_at: x.expires_at },
      );
      // the order's refund (its escrow's, else a late payment's), for those who may read payments
      const refundId = seesPayments ? await repo.latestRefundIdOfOrder(db, order.id) : null;
      res.json(ok('Order retrieved', { ...orderView(order), refund_id: refundId, payments }));
    }),
  );

  /** The workflow's own view: state and a readable lifecycle (what the Web UI shows). */
  router.get(
    '/api/orders/:id/lifecycle',
    auth,
    // each read is a workflow query: a worker round trip
    perUser(config.rateLimits.lifecyclePerMinute, 'lifecycle reads'),
    asyncHandler(async (req, res) => {
      const order = await visibleOrder(db, req);
      if (!order.pembayaran_id) throw notFound('order workflow');
      const state = await workflows.status(order.id).catch((err) => {
        if (err instanceof WorkflowGoneError) throw notFound('order workflow');
        throw err;
      });
      res.json(ok('Order lifecycle retrieved', lifecycleView(state, principalOf(req))));
    }),
  );

  /**
   * Work progress: the order's freelancer starts the work (dibayar → dikerjakan)
   * and delivers it (dikerjakan → menunggu_review), through the order workflow,
   * which validates the step against its state and records it. The escrow stays
   * held. Someone who may not see the order gets 404; a client or an admin 403.
   */
  for (const [step, route] of Object.entries(WORK_ROUTES) as [WorkStep, (typeof WORK_ROUTES)[WorkStep]][]) {
    router.post(
      route.path,
      auth,
      asyncHandler(async (req, res) => {
        const p = principalOf(req);
        parse(workProgressBody, req.body ?? {});
        const order = await visibleOrder(db, req);
        // a freelancer sees only the orders assigned to it: past this, the caller is the order's freelancer
        hasActionRole(p, route.action);
        const refused = workStepRefusal(step, order.status);
        if (refused) throw conflict(refused, { status: order.status });
        // the workflow holds the escrow before it is asked (a no-op once it knows)
        if (order.pembayaran_id) await payments.deliver(order.pembayaran_id);
        await workflows.update(order.id, route.update, { user_id: p.id }).catch(async (err) => {
          if (err instanceof WorkflowGoneError) {
            const now = await repo.getOrder(db, order.id);
            throw conflict(
              now
                ? (workStepRefusal(step, now.status) ?? `order is ${now.status}; its workflow has closed`)
                : 'order not found',
              { status: now?.status },
            );
          }
          throw err;
        });
        const now = (await repo.getOrder(db, order.id))!;
        await audit(db, actorOf(req), {
          action: route.audited,
          record_type: 'order',
          record_id: order.id,
          pesanan_id: order.id,
          status_before: order.status,
          status_after: now.status,
        });
        res.json(ok(route.message, orderView(now)));
      }),
    );
  }

  /**
   * Cancels an order. Before its payment settles: the client or an admin (a
   * live payment is cancelled at the gateway). Paid, work not started: the
   * client, the freelancer or an admin, with a full refund. Work started: the
   * freelancer (declining) or an admin; the client opens a dispute instead.
   * Afterwards: 409. A paid order's cancellation goes through its workflow,
   * which refunds the escrow and starts the refund's payment.
   */
  router.post(
    '/api/orders/:id/cancel',
    auth,
    asyncHandler(async (req, res) => {
      const p = principalOf(req);
      const body = parse(cancelOrder, req.body ?? {});
      const order = await visibleOrder(db, req);
      if (order.status === 'menunggu_pembayaran' && p.role === 'freelancer')
        throw forbidden('only the client or an admin may cancel an order before it is paid');
      const refused = cancellationRefusal(order.status, p.role);
      if (refused) throw conflict(refused, { status: order.status });
      const actor = actorOf(req);
      let now: OrderRecord;
      let refundId: string | null = null;
      if (order.status === 'menunggu_pembayaran') {
        now = await cancelUnpaidOrder({ db, payments, workflows, logger }, order, actor);
      } else {
        await payments.deliver(order.pembayaran_id!); // the workflow holds the escrow before it is asked (a no-op once it knows)
        const result = await workflows
          .update(order.id, cancelOrderUpdate, { user_id: p.id, role: p.role, alasan: body.alasan })
          .catch(async (err) => {
            if (err instanceof WorkflowGoneError) {
              const gone = await repo.getOrder(db, order.id);
              throw conflict(
                gone
                  ? (cancellationRefusal(gone.status, p.role) ?? `order is ${gone.status}; its workflow has closed`)
                  : 'order not found',
                { status: gone?.status },
              );
            }
            throw err;
          });
        refundId = result.refund_id;
        now = (await repo.getOrder(db, order.id))!;
        await audit(db, actor, {
          action: 'order.cancel_requested',
          record_type: 'order',
          record_id: order.id,
          pesanan_id: order.id,
          status_before: order.status,
          status_after: now.status,
        });
      }
      const refund = refundId ? await repo.getRefund(db, refundId) : undefined;
      // the refund is the client's (as on the order's read): its amount, id and status for the client and admins; the freelancer learns it is refunded
      const shown = refund && canSeePayment(p, now) ? refund : undefined;
      const message = shown
        ? `Order cancelled; Rp ${shown.jumlah} is refunded to the client${shown.status === 'menunggu_rekening' ? ' once it gives an account (POST /api/payments/refunds/:id/account)' : ''}`
        : refund
          ? 'Order cancelled; the client is refunded'
          : 'Order cancelled';
      res.json(ok(message, { ...orderView(now), refund_id: shown?.id ?? null, refund_status: shown?.status ?? null }));
    }),
  );

  return router;
}
