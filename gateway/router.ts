import fs from 'node:fs';
import path from 'node:path';
import express, { NextFunction, Request, Response, Router } from 'express';
import QRCode from 'qrcode';
import { z } from 'zod';
import { TRANSACTION_ID_PATTERN } from '../domain/ids';
import type { GatewayStatus } from '../domain/statuses';
import {
  CHECKOUT_SCRIPT_PATH,
  checkoutState,
  escapeHtml,
  layout,
  notFoundPage,
  renderCheckout,
  renderOutcome,
  rupiah,
} from './checkout-page';
import { MockGateway, UnknownChargeError, WebhookDelivery } from './mock-gateway';

/**
 * The mock gateway's HTTP face: the hosted checkout page behind `payment_url`
 * (gateway/checkout-page.ts renders it; its script is a served file, the CSP
 * allowing no inline script), its Pay and Fail buttons, and the seed's trigger
 * endpoints. Pay, Fail and the triggers act as the real gateway would: they send
 * a signed webhook to the service and answer once it has been processed. Pay
 * and Fail answer 303 to a result page (a reload never posts again). Mounted
 * only outside production.
 */
const triggerBody = z.strictObject({
  transaction_id: z
    .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') })
    .regex(TRANSACTION_ID_PATTERN, { error: 'must look like PAY-<epoch ms>-<6 characters>' }),
  reason: z.string({ error: 'must be a string' }).max(200, { error: 'must be at most 200 characters' }).optional(),
});

function fail(res: Response, status: number, code: string, message: string, details?: Record<string, unknown>) {
  res.status(status).json({ success: false, error: { code, message, ...(details ? { details } : {}) } });
}

/** The checkout page's script, read once (tsx runs from source; the file sits beside this one). */
let checkoutScript: string | undefined;
const readCheckoutScript = () =>
  (checkoutScript ??= fs.readFileSync(path.join(__dirname, 'assets', 'checkout.js'), 'utf8'));

export function createMockGatewayRouter(gateway: MockGateway): Router {
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: '10kb' }));

  // every handler's rejection reaches the error middleware (a database outage is a 503, never a crash)
  const wrap =
    (fn: (req: Request, res: Response) => Promise<unknown>) => (req: Request, res: Response, next: NextFunction) =>
      void fn(req, res).catch(next);

  router.get(
    CHECKOUT_SCRIPT_PATH,
    wrap(async (_req: Request, res: Response) => {
      // always the file itself (no ETag, so never a 304): it is small, and a changed script is picked up at once
      res
        .status(200)
        .type('application/javascript; charset=utf-8')
        .set('Cache-Control', 'no-cache')
        .end(readCheckoutScript());
    }),
  );

  const checkoutPath = (reference: string) => `/mock-payment/${encodeURIComponent(reference)}`;
  const html = (res: Response, status: number, body: string) =>
    void res.status(status).type('html').set('Cache-Control', 'no-store').send(body);

  // The checkout page: open, it shows how to pay and the Pay/Fail buttons; otherwise what became of the payment.
  router.get(
    '/mock-payment/:reference',
    wrap(async (req: Request, res: Response) => {
      const view = await gateway.getCheckoutView(req.params.reference);
      if (!view) return html(res, 404, notFoundPage('Pembayaran'));
      const state = checkoutState(view);
      if (state === 'open')
        return html(res, 200, renderCheckout(view, { serviceUnreachable: req.query.kendala === 'layanan' }));
      html(res, 200, renderOutcome(view, state, gateway.checkoutReturnUrl(view.order?.id)));
    }),
  );

  // Where Pay and Fail lead: the outcome, or back to the checkout while the payment is still open.
  router.get(
    '/mock-payment/:reference/hasil',
    wrap(async (req: Request, res: Response) => {
      const view = await gateway.getCheckoutView(req.params.reference);
      if (!view) return html(res, 404, notFoundPage('Pembayaran'));
      const state = checkoutState(view);
      if (state === 'open') return void res.redirect(303, checkoutPath(view.charge.reference));
      html(res, 200, renderOutcome(view, state, gateway.checkoutReturnUrl(view.order?.id)));
    }),
  );

  router.get(
    '/mock-payment/:reference/qr.svg',
    wrap(async (req: Request, res: Response) => {
      const charge = await gateway.getChargeByReference(req.params.reference);
      const qr = charge?.instructions.qr_string;
      if (typeof qr !== 'string') return void res.status(404).end();
      res.type('image/svg+xml').send(await QRCode.toString(qr, { type: 'svg', margin: 1 }));
    }),
  );

  // The receipt a completed payout's bukti_transfer points at.
  router.get(
    '/mock-bank/transfer/:reference',
    wrap(async (req: Request, res: Response) => {
      const payout = await gateway.getPayoutByReference(req.params.reference);
      if (!payout || payout.status !== 'completed') return html(res, 404, notFoundPage('Transfer'));
      html(
        res,
        200,
        layout(
          `Bukti transfer ${payout.reference}`,
          `<h1>Bukti transfer</h1><div class="amount">${rupiah(payout.amount)}</div>
<dl><dt>Referensi</dt><dd><code>${escapeHtml(payout.reference)}</code></dd><dt>Selesai</dt><dd>${escapeHtml(payout.completed_at ?? '')}</dd></dl>
<p class="muted">Bank tiruan (mock): tidak ada uang sungguhan yang berpindah.</p>`,
        ),
      );
    }),
  );

  /**
   * Pay / Fail: only an open payment is notified (a stale tab, a second click or
   * an expired deadline sends nothing); then 303 to the result page. When the
   * service could not be reached the buyer is sent back to the checkout with a notice.
   */
  const checkoutAction = (status: GatewayStatus) => async (req: Request, res: Response) => {
    const view = await gateway.getCheckoutView(req.params.reference);
    if (!view) return html(res, 404, notFoundPage('Pembayaran'));
    const page = checkoutPath(view.charge.reference);
    if (checkoutState(view) === 'open') {
      const delivery = await gateway.notify(view.charge.transaction_id, status);
      if (delivery.status === 0 || delivery.status >= 500 || delivery.status === 408 || delivery.status === 429) {
        return void res.redirect(303, `${page}?kendala=layanan`);
      }
    }
    res.redirect(303, `${page}/hasil`);
  };
  router.post('/mock-payment/:reference/pay', wrap(checkoutAction('settlement')));
  router.post('/mock-payment/:reference/fail', wrap(checkoutAction('deny')));

  const trigger = (status: GatewayStatus, message: string) => async (req: Request, res: Response) => {
    const parsed = triggerBody.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field =
        issue.code === 'unrecognized_keys' ? (issue as { keys: string[] }).keys[0] : String(issue.path[0] ?? 'body');
      return fail(
        res,
        400,
        'VALIDATION_ERROR',
        `${field} ${issue.code === 'unrecognized_keys' ? 'is not a known field' : issue.message}`,
        { field },
      );
    }
    const { transaction_id: transactionId, reason } = parsed.data;
    let delivery: WebhookDelivery;
    try {
      delivery = await gateway.notify(transactionId, status);
    } catch (err) {
      if (err instanceof UnknownChargeError) return fail(res, 404, 'NOT_FOUND', 'transaction not found');
      throw err;
    }
    const answer = (delivery.body ?? {}) as {
      status?: string;
      escrow_id?: string | null;
      error?: { code: string; message: string };
    };
    if (delivery.status >= 200 && delivery.status < 300) {
      return void res.json({
        success: true,
        message,
        data: {
          transaction_id: transactionId,
          status: answer.status,
          ...(status === 'settlement'
            ? { escrow_id: answer.escrow_id ?? null }
            : { reason: reason ?? 'Payment declined' }),
        },
      });
    }
    if (delivery.status >= 400 && delivery.status < 500 && answer.error) {
      return fail(res, delivery.status, answer.error.code, answer.error.message);
    }
    return fail(
      res,
      502,
      'WEBHOOK_DELIVERY_FAILED',
      `the webhook could not be delivered after ${delivery.attempts} attempts`,
    );
  };
  router.post('/api/payments/mock/trigger-success', wrap(trigger('settlement', 'Payment success triggered')));
  router.post('/api/payments/mock/trigger-failure', wrap(trigger('deny', 'Payment failure triggered')));

  return router;
}
