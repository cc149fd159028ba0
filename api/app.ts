import { randomUUID } from 'node:crypto';
import express, { Request, Router } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { ACTION_ROLES, Principal, canSeeEscrow, canSeeFullAccount, canSeeOrder, canSeePayment, canSeeWithdrawal } from '../domain/access';
import type { Config } from '../domain/config';
import { TRANSACTION_ID_PATTERN } from '../domain/ids';
import { GatewayStatus, WITHDRAWABLE_ESCROW_STATUSES, paymentStatusForGateway } from '../domain/statuses';
import { pingDb } from '../db/connection';
import * as repo from '../db/repositories';
import { paymentNotificationUpdate, releaseEscrowUpdate, withdrawUpdate } from '../workflows/messages';
import { authenticate, principalOf } from './auth';
import { HttpError, asyncHandler, badRequest, conflict, errorMiddleware, forbidden, notFound, sendError } from './errors';
import { idParam, parse, paymentIdParam, schemas } from './schemas';
import { corsFor, limiter, securityHeaders } from './security';
import { escrowView, lifecycleView, orderView, paymentView, withdrawalView } from './views';
import { WebhookRejection, claimedFields, readWebhook } from './webhook';
import { OrderWorkflows, WorkflowGoneError } from './workflow-calls';

export interface AppDeps {
  db: Knex;
  workflows: OrderWorkflows;
  config: Config;
  logger: Logger;
  /** Resolves when Temporal answers. */
  temporalHealth: () => Promise<void>;
  /** Routers mounted without authentication (the mock gateway's, outside production). */
  extraRouters?: Router[];
}

const ok = (message: string, data: unknown) => ({ success: true, message, data });

/** The role an action needs, then that every id in the body is the caller's own. */
function mayAct(p: Principal, action: keyof typeof ACTION_ROLES, bodyUserId: string): void {
  if (p.role !== ACTION_ROLES[action]) throw forbidden(`only a ${ACTION_ROLES[action]} may do this`);
  if (bodyUserId !== p.id) throw forbidden('the user id in the request is not the authenticated user');
}

export function createApp(deps: AppDeps): express.Express {
  const { db, workflows, config, logger } = deps;
  const v = schemas(config.amountLimits);
  const auth = authenticate(config.auth.jwtSecret);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(securityHeaders());
  app.use(corsFor(config.corsOrigins));

  app.get(
    '/health',
    asyncHandler(async (_req, res) => {
      const checks = await Promise.all([
        pingDb(db).then(() => 'ok', () => 'unavailable'),
        deps.temporalHealth().then(() => 'ok', () => 'unavailable'),
      ]);
      const healthy = checks.every((c) => c === 'ok');
      res.status(healthy ? 200 : 503).json({
        success: healthy,
        message: healthy ? 'healthy' : 'unhealthy',
        data: { database: checks[0], temporal: checks[1] },
      });
    }),
  );

  // ---- gateway webhook: verified over the raw body, before any JSON parser ----
  app.post(
    '/api/payments/webhook',
    limiter(config.rateLimits.webhooksPerMinute, (req) => ipKeyGenerator(req.ip ?? 'unknown'), 'webhook calls'),
    express.raw({ type: () => true, limit: '100kb' }),
    asyncHandler(async (req, res) => {
      let fields: { transaction_id: string; transaction_status: GatewayStatus; gross_amount: number } | undefined;
      const audit = (http_status: number, result: string, f: Partial<Record<'transaction_id' | 'transaction_status' | 'gross_amount', unknown>> = {}) =>
        repo
          .logWebhook(db, {
            transaction_id: typeof f.transaction_id === 'string' ? f.transaction_id.slice(0, 64) : null,
            transaction_status: typeof f.transaction_status === 'string' ? f.transaction_status.slice(0, 32) : null,
            gross_amount: typeof f.gross_amount === 'string' || typeof f.gross_amount === 'number' ? String(f.gross_amount).slice(0, 32) : null,
            http_status,
            result,
          })
          .catch((err) => logger.warn({ err: String(err) }, 'webhook audit write failed'));
      const refuse = async (err: HttpError) => {
        await audit(err.status, err.code, fields);
        sendError(res, err);
      };

      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      try {
        fields = readWebhook(raw, config.mock.secret, config.webhookToleranceSeconds);
      } catch (err) {
        if (!(err instanceof WebhookRejection)) throw err;
        // The audit trail keeps what the rejected call claimed to be about.
        await audit(err.http.status, err.http.code, claimedFields(raw));
        return sendError(res, err.http);
      }
      const { transaction_id, transaction_status: status, gross_amount: grossAmount } = fields;

      const payment = await repo.getPaymentByTransactionId(db, transaction_id);
      if (!payment) return refuse(notFound('transaction'));
      if (grossAmount !== payment.total_bayar) {
        return refuse(new HttpError(400, 'AMOUNT_MISMATCH', 'gross_amount does not match the payment\'s total_bayar'));
      }

      // What the database says now: the answer for `pending`, and for an order whose workflow has closed.
      const recorded = async () => ({
        status: (await repo.getPaymentByTransactionId(db, transaction_id))!.status,
        escrow_id: (await repo.getOrder(db, payment.pesanan_id))?.escrow_id ?? null,
      });
      const target = paymentStatusForGateway(status);
      let result: { status: string; escrow_id: string | null };
      if (target === null) {
        result = await recorded();
      } else {
        try {
          result = await workflows.update(payment.pesanan_id, paymentNotificationUpdate, { transaction_id, transaction_status: status, gross_amount: grossAmount });
        } catch (err) {
          if (!(err instanceof WorkflowGoneError)) {
            if (err instanceof HttpError) return refuse(err);
            throw err;
          }
          result = await recorded(); // the order's workflow has closed: the database holds its final word
        }
        if (result.status !== target) {
          return refuse(conflict(`payment is ${result.status}; a ${status} notification cannot change it`, { status: result.status }));
        }
      }
      await audit(200, `processed:${result.status}`, fields);
      res.json({ success: true, transaction_id, status: result.status, message: 'Webhook processed successfully', escrow_id: result.escrow_id });
    }),
  );

  app.use(express.json({ limit: '100kb' }));
  app.use(express.urlencoded({ extended: false, limit: '100kb' }));

  // The mock gateway's pages and triggers act as the gateway, not as a user.
  for (const router of deps.extraRouters ?? []) app.use(router);

  // ---- orders -----------------------------------------------------------
  app.post(
    '/api/orders',
    auth,
    asyncHandler(async (req, res) => {
      const p = principalOf(req);
      const body = parse(v.createOrder, req.body);
      mayAct(p, 'createOrder', body.client_id);
      if (body.client_id === body.freelancer_id) throw badRequest('freelancer_id must differ from client_id', 'freelancer_id');
      const order = await repo.insertOrder(db, { id: randomUUID(), ...body });
      res.status(201).json(ok('Order created successfully', orderView(order)));
    }),
  );

  const visibleOrder = async (req: Request) => {
    const order = await repo.getOrder(db, parse(idParam, req.params.id, 'id'));
    if (!order || !canSeeOrder(principalOf(req), order)) throw notFound('order');
    return order;
  };

  app.get(
    '/api/orders/:id',
    auth,
    asyncHandler(async (req, res) => {
      res.json(ok('Order retrieved', orderView(await visibleOrder(req))));
    }),
  );

  /** The workflow's own view: state and a readable lifecycle (what the Web UI shows). */
  app.get(
    '/api/orders/:id/lifecycle',
    auth,
    asyncHandler(async (req, res) => {
      const order = await visibleOrder(req);
      if (!order.pembayaran_id) throw notFound('order workflow');
      const state = await workflows.status(order.id).catch((err) => {
        if (err instanceof WorkflowGoneError) throw notFound('order workflow');
        throw err;
      });
      res.json(ok('Order lifecycle retrieved', lifecycleView(state, principalOf(req))));
    }),
  );

  // ---- payments ---------------------------------------------------------
  app.post(
    '/api/payments/create',
    auth,
    limiter(config.rateLimits.paymentsPerMinute, (req) => principalOf(req).id, 'payment requests'),
    asyncHandler(async (req, res) => {
      const p = principalOf(req);
      const body = parse(v.createPayment, req.body);
      mayAct(p, 'createPayment', body.user_id);
      const order = await repo.getOrder(db, body.pesanan_id);
      if (!order || order.client_id !== p.id) throw notFound('order');
      if (order.status === 'dibatalkan') throw conflict('this order is cancelled; it cannot take a new payment', { order_status: order.status });
      if (body.jumlah !== order.harga) {
        throw badRequest(`jumlah must equal the order's harga (${order.harga})`, 'jumlah');
      }
      const existed = order.pembayaran_id !== null;
      const payment = await workflows.createPayment(
        {
          pesanan_id: order.id,
          client_id: order.client_id,
          freelancer_id: order.freelancer_id,
          harga: order.harga,
          payment_expiry: config.paymentExpiry,
          escrow_auto_release_after: config.escrowAutoReleaseAfter,
        },
        { user_id: p.id, jumlah: body.jumlah, metode_pembayaran: body.metode_pembayaran, channel: body.channel },
      );
      const fresh = await repo.getOrder(db, order.id);
      res.status(existed ? 200 : 201).json(
        ok(existed ? 'Payment already exists for this order' : 'Payment created successfully', {
          payment_id: payment.payment_id,
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
          escrow_id: fresh?.escrow_id ?? null,
        }),
      );
    }),
  );

  // ---- escrow -----------------------------------------------------------
  const visibleEscrow = async (p: Principal, id: string) => {
    const escrow = await repo.getEscrow(db, id);
    if (!escrow || !canSeeEscrow(p, escrow)) throw notFound('escrow');
    return escrow;
  };

  app.post(
    '/api/payments/escrow/release',
    auth,
    asyncHandler(async (req, res) => {
      const p = principalOf(req);
      const body = parse(v.releaseEscrow, req.body);
      const escrow = await visibleEscrow(p, body.escrow_id);
      mayAct(p, 'releaseEscrow', body.user_id);
      if (escrow.client_id !== p.id) throw forbidden('only the order\'s client may release its escrow');
      if (escrow.status !== 'held') throw conflict(`escrow is ${escrow.status}; only a held escrow can be released`, { status: escrow.status });
      const released = await workflows.update(escrow.pesanan_id, releaseEscrowUpdate, { user_id: p.id, reason: body.reason ?? null }).catch(async (err) => {
        if (err instanceof WorkflowGoneError) {
          const now = await repo.getEscrow(db, escrow.id);
          throw conflict(`escrow is ${now?.status}; only a held escrow can be released`, { status: now?.status });
        }
        throw err;
      });
      res.json(
        ok('Escrow released successfully', {
          escrow_id: released.escrow_id,
          status: released.status,
          jumlah_ditahan: released.jumlah_ditahan,
          biaya_platform: released.biaya_platform,
          jumlah_bersih: released.jumlah_bersih,
          dirilis_pada: released.dirilis_pada,
        }),
      );
    }),
  );

  app.get(
    '/api/payments/escrow/:id',
    auth,
    asyncHandler(async (req, res) => {
      const escrow = await visibleEscrow(principalOf(req), parse(idParam, req.params.id, 'id'));
      const order = await repo.getOrder(db, escrow.pesanan_id);
      res.json(ok('Escrow retrieved', escrowView(escrow, order?.pencairan_id ?? null)));
    }),
  );

  // ---- withdrawals ------------------------------------------------------
  app.post(
    '/api/payments/withdraw',
    auth,
    asyncHandler(async (req, res) => {
      const p = principalOf(req);
      const body = parse(v.withdraw, req.body);
      const escrow = await visibleEscrow(p, body.escrow_id);
      mayAct(p, 'withdraw', body.freelancer_id);
      if (escrow.freelancer_id !== p.id) throw forbidden('only the order\'s freelancer may withdraw its escrow');
      const order = await repo.getOrder(db, escrow.pesanan_id);
      if (order?.pencairan_id) throw conflict('this escrow has already been withdrawn', { withdrawal_id: order.pencairan_id });
      if (!WITHDRAWABLE_ESCROW_STATUSES.includes(escrow.status)) {
        throw conflict(`escrow is ${escrow.status}; it can be withdrawn only after it is released`, { status: escrow.status });
      }
      const w = await workflows
        .update(escrow.pesanan_id, withdrawUpdate, {
          freelancer_id: p.id,
          metode_pencairan: body.metode_pencairan,
          nomor_rekening: body.nomor_rekening,
          nama_pemilik: body.nama_pemilik,
          auto_process: config.mock.autoWithdrawal,
        })
        .catch((err) => {
          if (err instanceof WorkflowGoneError) throw conflict('this escrow has already been withdrawn');
          throw err;
        });
      res.status(201).json(
        ok('Withdrawal request created successfully', {
          withdrawal_id: w.withdrawal_id,
          status: w.status,
          jumlah: w.jumlah,
          biaya_platform: w.biaya_platform,
          jumlah_bersih: w.jumlah_bersih,
          metode_pencairan: w.metode_pencairan,
          bukti_transfer: w.bukti_transfer,
          dicairkan_pada: w.dicairkan_pada,
          escrow_id: w.escrow_id,
        }),
      );
    }),
  );

  app.get(
    '/api/payments/withdrawals/:id',
    auth,
    asyncHandler(async (req, res) => {
      const p = principalOf(req);
      const w = await repo.getWithdrawal(db, parse(idParam, req.params.id, 'id'));
      if (!w || !canSeeWithdrawal(p, w)) throw notFound('withdrawal');
      res.json(ok('Withdrawal retrieved', withdrawalView(w, canSeeFullAccount(p, w))));
    }),
  );

  // Payment by id (or by transaction id): after the fixed /api/payments/* routes.
  app.get(
    '/api/payments/:id',
    auth,
    asyncHandler(async (req, res) => {
      const id = parse(paymentIdParam, req.params.id, 'id');
      const payment = TRANSACTION_ID_PATTERN.test(id) ? await repo.getPaymentByTransactionId(db, id) : await repo.getPayment(db, id);
      const order = payment && (await repo.getOrder(db, payment.pesanan_id));
      if (!payment || !order || !canSeePayment(principalOf(req), order)) throw notFound('payment');
      res.json(ok('Payment retrieved', paymentView(payment, order.escrow_id)));
    }),
  );

  app.use((req, res) => sendError(res, new HttpError(404, 'NOT_FOUND', 'no such route')));
  app.use(errorMiddleware(logger));
  return app;
}
