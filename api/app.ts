import { randomUUID } from 'node:crypto';
import express, { Router } from 'express';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Config } from '../domain/config';
import { PAYMENT_METHODS, PAYOUT_METHODS, resolveChannel } from '../domain/methods';
import { GATEWAY_STATUSES, GatewayStatus, paymentStatusForGateway } from '../domain/statuses';
import { verifyWebhookSignature } from '../domain/signature';
import { TRANSACTION_ID_PATTERN } from '../domain/ids';
import { pingDb } from '../db/connection';
import * as repo from '../db/repositories';
import { paymentNotificationUpdate, releaseEscrowUpdate, withdrawUpdate } from '../workflows/messages';
import { HttpError, asyncHandler, badRequest, conflict, errorMiddleware, forbidden, notFound, sendError } from './errors';
import { Body, optionalString, pathId, requireBody, requiredAmount, requiredEnum, requiredId, requiredString } from './validation';
import { escrowView, orderView, paymentView, withdrawalView } from './views';
import { OrderWorkflows, WorkflowGoneError } from './workflow-calls';

export interface AppDeps {
  db: Knex;
  workflows: OrderWorkflows;
  config: Config;
  logger: Logger;
  /** Resolves when Temporal answers. */
  temporalHealth: () => Promise<void>;
  /** Routers mounted before the 404 handler (the mock gateway's, outside production). */
  extraRouters?: Router[];
}

const ok = (message: string, data: unknown) => ({ success: true, message, data });

export function createApp(deps: AppDeps): express.Express {
  const { db, workflows, config, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '100kb' }));
  app.use(express.urlencoded({ extended: false, limit: '100kb' }));

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

  // ---- orders -----------------------------------------------------------
  app.post(
    '/api/orders',
    asyncHandler(async (req, res) => {
      const body = requireBody(req.body);
      const fields = {
        client_id: requiredId(body, 'client_id'),
        freelancer_id: requiredId(body, 'freelancer_id'),
        judul: requiredString(body, 'judul', 255),
        harga: requiredAmount(body, 'harga'),
      };
      if (fields.client_id === fields.freelancer_id) throw badRequest('freelancer_id must differ from client_id', 'freelancer_id');
      const order = await repo.insertOrder(db, { id: randomUUID(), ...fields });
      res.status(201).json(ok('Order created successfully', orderView(order)));
    }),
  );

  app.get(
    '/api/orders/:id',
    asyncHandler(async (req, res) => {
      const order = await repo.getOrder(db, pathId(req.params.id));
      if (!order) throw notFound('order');
      res.json(ok('Order retrieved', orderView(order)));
    }),
  );

  /** The workflow's own view: state and a readable lifecycle (what the Web UI shows). */
  app.get(
    '/api/orders/:id/lifecycle',
    asyncHandler(async (req, res) => {
      const order = await repo.getOrder(db, pathId(req.params.id));
      if (!order) throw notFound('order');
      if (!order.pembayaran_id) throw new HttpError(404, 'NOT_FOUND', 'this order has no payment yet, so no workflow');
      const state = await workflows.status(order.id).catch((err) => {
        if (err instanceof WorkflowGoneError) throw notFound('order workflow');
        throw err;
      });
      res.json(ok('Order lifecycle retrieved', state));
    }),
  );

  // ---- payments ---------------------------------------------------------
  app.post(
    '/api/payments/create',
    asyncHandler(async (req, res) => {
      const body = requireBody(req.body);
      const pesananId = requiredId(body, 'pesanan_id');
      const userId = requiredId(body, 'user_id');
      const jumlah = requiredAmount(body, 'jumlah');
      const method = requiredEnum(body, 'metode_pembayaran', PAYMENT_METHODS);
      const resolved = resolveChannel(method, optionalString(body, 'channel', 32));
      if ('error' in resolved) throw badRequest(resolved.error, 'channel');

      const order = await repo.getOrder(db, pesananId);
      if (!order) throw notFound('order');
      if (order.client_id !== userId) throw forbidden('only the order\'s client may pay for it');
      if (order.status === 'dibatalkan') throw conflict('this order is cancelled; it cannot take a new payment', { order_status: order.status });
      if (jumlah !== order.harga) throw badRequest(`jumlah must equal the order's harga (${order.harga})`, 'jumlah');
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
        { user_id: userId, jumlah, metode_pembayaran: method, channel: resolved.channel },
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

  app.post(
    '/api/payments/webhook',
    asyncHandler(async (req, res) => {
      const body: Body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body : {};
      const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
      const fields = {
        transaction_id: str(body.transaction_id),
        transaction_status: str(body.transaction_status),
        gross_amount: str(body.gross_amount),
        timestamp: str(body.timestamp),
      };
      const audit = (http_status: number, result: string) =>
        repo
          .logWebhook(db, {
            transaction_id: fields.transaction_id?.slice(0, 64) ?? null,
            transaction_status: fields.transaction_status?.slice(0, 32) ?? null,
            gross_amount: fields.gross_amount?.slice(0, 32) ?? null,
            http_status,
            result,
          })
          .catch((err) => logger.warn({ err: String(err) }, 'webhook audit write failed'));
      const refuse = async (err: HttpError) => {
        await audit(err.status, err.code);
        sendError(res, err);
      };

      for (const [field, value] of Object.entries(fields)) {
        if (value === undefined || value === '') return refuse(badRequest(`${field} is required`, field));
      }
      const signed = fields as Record<keyof typeof fields, string>;
      if (!verifyWebhookSignature(signed, body.signature, config.mock.secret)) {
        return refuse(new HttpError(401, 'INVALID_SIGNATURE', 'webhook signature is missing or invalid'));
      }
      if (!(GATEWAY_STATUSES as readonly string[]).includes(signed.transaction_status)) {
        return refuse(badRequest(`transaction_status must be one of ${GATEWAY_STATUSES.join(', ')}`, 'transaction_status'));
      }
      const status = signed.transaction_status as GatewayStatus;
      const amountMatch = /^(\d{1,15})(?:\.0{1,2})?$/.exec(signed.gross_amount);
      if (!amountMatch) return refuse(badRequest('gross_amount must be a whole rupiah amount', 'gross_amount'));
      const grossAmount = Number(amountMatch[1]);

      const payment = await repo.getPaymentByTransactionId(db, signed.transaction_id);
      if (!payment) return refuse(notFound('transaction'));
      if (grossAmount !== payment.total_bayar) {
        return refuse(new HttpError(400, 'AMOUNT_MISMATCH', 'gross_amount does not match the payment\'s total_bayar'));
      }

      const target = paymentStatusForGateway(status);
      let result: { status: string; escrow_id: string | null };
      if (target === null) {
        result = { status: payment.status, escrow_id: (await repo.getOrder(db, payment.pesanan_id))?.escrow_id ?? null };
      } else {
        try {
          const answer = await workflows.update(payment.pesanan_id, paymentNotificationUpdate, {
            transaction_id: payment.transaction_id,
            transaction_status: status,
            gross_amount: grossAmount,
          });
          result = answer;
        } catch (err) {
          if (!(err instanceof WorkflowGoneError)) {
            if (err instanceof HttpError) return refuse(err);
            throw err;
          }
          // The order's workflow has closed: the database holds its final word.
          const current = (await repo.getPaymentByTransactionId(db, payment.transaction_id))!;
          result = { status: current.status, escrow_id: (await repo.getOrder(db, payment.pesanan_id))?.escrow_id ?? null };
        }
        if (result.status !== target) {
          return refuse(conflict(`payment is ${result.status}; a ${status} notification cannot change it`, { status: result.status }));
        }
      }
      await audit(200, `processed:${result.status}`);
      res.json({
        success: true,
        transaction_id: payment.transaction_id,
        status: result.status,
        message: 'Webhook processed successfully',
        escrow_id: result.escrow_id,
      });
    }),
  );

  // ---- escrow -----------------------------------------------------------
  app.post(
    '/api/payments/escrow/release',
    asyncHandler(async (req, res) => {
      const body = requireBody(req.body);
      const escrowId = requiredId(body, 'escrow_id');
      const userId = requiredId(body, 'user_id');
      const reason = optionalString(body, 'reason', 500) ?? null;
      const escrow = await repo.getEscrow(db, escrowId);
      if (!escrow) throw notFound('escrow');
      if (escrow.client_id !== userId) throw forbidden('only the order\'s client may release its escrow');
      if (escrow.status !== 'held') throw conflict(`escrow is ${escrow.status}; only a held escrow can be released`, { status: escrow.status });
      const released = await workflows.update(escrow.pesanan_id, releaseEscrowUpdate, { user_id: userId, reason }).catch(async (err) => {
        if (err instanceof WorkflowGoneError) {
          const now = await repo.getEscrow(db, escrowId);
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
    asyncHandler(async (req, res) => {
      const escrow = await repo.getEscrow(db, pathId(req.params.id));
      if (!escrow) throw notFound('escrow');
      const order = await repo.getOrder(db, escrow.pesanan_id);
      res.json(ok('Escrow retrieved', escrowView(escrow, order?.pencairan_id ?? null)));
    }),
  );

  // ---- withdrawals ------------------------------------------------------
  app.post(
    '/api/payments/withdraw',
    asyncHandler(async (req, res) => {
      const body = requireBody(req.body);
      const escrowId = requiredId(body, 'escrow_id');
      const freelancerId = requiredId(body, 'freelancer_id');
      const method = requiredEnum(body, 'metode_pencairan', PAYOUT_METHODS);
      const account = requiredString(body, 'nomor_rekening', 34);
      if (!/^\d{6,34}$/.test(account)) throw badRequest('nomor_rekening must be 6 to 34 digits', 'nomor_rekening');
      const holder = requiredString(body, 'nama_pemilik', 100);
      const escrow = await repo.getEscrow(db, escrowId);
      if (!escrow) throw notFound('escrow');
      if (escrow.freelancer_id !== freelancerId) throw forbidden('only the order\'s freelancer may withdraw its escrow');
      const order = await repo.getOrder(db, escrow.pesanan_id);
      if (order?.pencairan_id) throw conflict('this escrow has already been withdrawn', { withdrawal_id: order.pencairan_id });
      if (escrow.status !== 'released' && escrow.status !== 'partial_released') {
        throw conflict(`escrow is ${escrow.status}; it can be withdrawn only after it is released`, { status: escrow.status });
      }
      const w = await workflows
        .update(escrow.pesanan_id, withdrawUpdate, {
          freelancer_id: freelancerId,
          metode_pencairan: method,
          nomor_rekening: account,
          nama_pemilik: holder,
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
    asyncHandler(async (req, res) => {
      const w = await repo.getWithdrawal(db, pathId(req.params.id));
      if (!w) throw notFound('withdrawal');
      res.json(ok('Withdrawal retrieved', withdrawalView(w)));
    }),
  );

  for (const router of deps.extraRouters ?? []) app.use(router);

  // Payment by id (or by transaction id): after the fixed /api/payments/* routes.
  app.get(
    '/api/payments/:id',
    asyncHandler(async (req, res) => {
      const id = pathId(req.params.id);
      const payment = TRANSACTION_ID_PATTERN.test(id) ? await repo.getPaymentByTransactionId(db, id) : await repo.getPayment(db, id);
      if (!payment) throw notFound('payment');
      const order = await repo.getOrder(db, payment.pesanan_id);
      res.json(ok('Payment retrieved', paymentView(payment, order?.escrow_id ?? null)));
    }),
  );

  app.use((req, res) => sendError(res, new HttpError(404, 'NOT_FOUND', `no route for ${req.method} ${req.path}`)));
  app.use(errorMiddleware(logger));
  return app;
}
