import express, { NextFunction, Request, Response, Router } from 'express';
import QRCode from 'qrcode';
import { z } from 'zod';
import { TRANSACTION_ID_PATTERN } from '../domain/ids';
import type { GatewayStatus } from '../domain/statuses';
import { Charge, MockGateway, UnknownChargeError, WebhookDelivery } from './mock-gateway';

/**
 * The mock gateway's HTTP face: the hosted checkout page behind `payment_url`
 * (with Pay and Fail buttons) and the seed's trigger endpoints. Both act as the
 * real gateway would: they send a signed webhook to the service and answer once
 * it has been processed. Mounted only outside production.
 */
const triggerBody = z.strictObject({
  transaction_id: z.string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') }).regex(TRANSACTION_ID_PATTERN, { error: 'must look like PAY-<epoch ms>-<6 characters>' }),
  reason: z.string({ error: 'must be a string' }).max(200, { error: 'must be at most 200 characters' }).optional(),
});

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

const rupiah = (n: number) => `Rp ${n.toLocaleString('id-ID')}`;

function fail(res: Response, status: number, code: string, message: string, details?: Record<string, unknown>) {
  res.status(status).json({ success: false, error: { code, message, ...(details ? { details } : {}) } });
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#1f2937}
.card{border:1px solid #e5e7eb;border-radius:12px;padding:1.25rem 1.5rem;box-shadow:0 1px 3px #0001}
.amount{font-size:2rem;font-weight:700}.muted{color:#6b7280}dt{font-weight:600;margin-top:.5rem}
button{font-size:1rem;padding:.6rem 1.4rem;border-radius:8px;border:0;cursor:pointer;margin-right:.5rem}
.pay{background:#16a34a;color:#fff}.fail{background:#dc2626;color:#fff}code{word-break:break-all}</style></head>
<body><p class="muted">SkillConnect Mock Payment Gateway</p><div class="card">${body}</div></body></html>`;
}

function instructionDetails(charge: Charge): string {
  const ins = charge.instructions;
  const rows: string[] = [];
  for (const [key, value] of Object.entries(ins)) {
    if (['type', 'title', 'steps', 'amount', 'qr_url'].includes(key)) continue;
    rows.push(`<dt>${escapeHtml(key)}</dt><dd><code>${escapeHtml(String(value))}</code></dd>`);
  }
  const qr = ins.qr_url ? `<img alt="QRIS" width="220" height="220" src="${escapeHtml(String(ins.qr_url))}">` : '';
  const steps = ins.steps.map((s) => `<li>${escapeHtml(s)}</li>`).join('');
  return `<h2>${escapeHtml(ins.title)}</h2>${qr}<dl>${rows.join('')}</dl><ol>${steps}</ol>`;
}

function describeDelivery(d: WebhookDelivery): { ok: boolean; status?: string; message: string } {
  const body = (d.body ?? {}) as { status?: string; error?: { message?: string } };
  if (d.status >= 200 && d.status < 300) return { ok: true, status: body.status, message: 'processed' };
  if (d.status === 0) return { ok: false, message: 'the service could not be reached' };
  return { ok: false, message: body.error?.message ?? `the service answered ${d.status}` };
}

export function createMockGatewayRouter(gateway: MockGateway): Router {
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: '10kb' }));

  // every handler's rejection reaches the error middleware (a database outage is a 503, never a crash)
  const wrap = (fn: (req: Request, res: Response) => Promise<unknown>) => (req: Request, res: Response, next: NextFunction) => void fn(req, res).catch(next);

  router.get('/mock-payment/:reference', wrap(async (req: Request, res: Response) => {
    const charge = await gateway.getChargeByReference(req.params.reference);
    if (!charge) return void res.status(404).type('html').send(page('Not found', '<h1>Payment not found</h1>'));
    const action = (what: string) => `/mock-payment/${encodeURIComponent(charge.reference)}/${what}`;
    res.type('html').send(
      page(
        `Pay ${charge.transaction_id}`,
        `<p class="muted">Transaction ${escapeHtml(charge.transaction_id)}</p>
<div class="amount">${rupiah(charge.gross_amount)}</div>
<p class="muted">${escapeHtml(charge.method)} · ${escapeHtml(charge.channel)} · expires ${escapeHtml(charge.expires_at)}</p>
${instructionDetails(charge)}
<form method="post" action="${action('pay')}" style="display:inline"><button class="pay" type="submit">Pay</button></form>
<form method="post" action="${action('fail')}" style="display:inline"><button class="fail" type="submit">Fail</button></form>`,
      ),
    );
  }));

  router.get('/mock-payment/:reference/qr.svg', wrap(async (req: Request, res: Response) => {
    const charge = await gateway.getChargeByReference(req.params.reference);
    const qr = charge?.instructions.qr_string;
    if (typeof qr !== 'string') return void res.status(404).end();
    res.type('image/svg+xml').send(await QRCode.toString(qr, { type: 'svg', margin: 1 }));
  }));

  // The receipt a completed payout's bukti_transfer points at.
  router.get('/mock-bank/transfer/:reference', wrap(async (req: Request, res: Response) => {
    const payout = await gateway.getPayoutByReference(req.params.reference);
    if (!payout || payout.status !== 'completed') return void res.status(404).type('html').send(page('Not found', '<h1>Transfer not found</h1>'));
    res.type('html').send(
      page(
        `Bukti transfer ${payout.reference}`,
        `<h1>Bukti transfer</h1><div class="amount">${rupiah(payout.amount)}</div>
<dl><dt>Referensi</dt><dd><code>${escapeHtml(payout.reference)}</code></dd><dt>Selesai</dt><dd>${escapeHtml(payout.completed_at ?? '')}</dd></dl>
<p class="muted">Mock bank: no real money moved.</p>`,
      ),
    );
  }));

  const checkoutAction = (status: GatewayStatus) => async (req: Request, res: Response) => {
    const charge = await gateway.getChargeByReference(req.params.reference);
    if (!charge) return void res.status(404).type('html').send(page('Not found', '<h1>Payment not found</h1>'));
    const result = describeDelivery(await gateway.notify(charge.transaction_id, status));
    const heading = result.ok ? (result.status === 'berhasil' ? 'Payment successful' : `Payment ${escapeHtml(result.status ?? '')}`) : 'Payment not accepted';
    res.status(result.ok ? 200 : 409).type('html').send(
      page(heading, `<h1>${heading}</h1><p>${rupiah(charge.gross_amount)} · ${escapeHtml(charge.transaction_id)}</p><p class="muted">${escapeHtml(result.message)}</p>`),
    );
  };
  router.post('/mock-payment/:reference/pay', wrap(checkoutAction('settlement')));
  router.post('/mock-payment/:reference/fail', wrap(checkoutAction('deny')));

  const trigger = (status: GatewayStatus, message: string) => async (req: Request, res: Response) => {
    const parsed = triggerBody.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue.code === 'unrecognized_keys' ? (issue as { keys: string[] }).keys[0] : String(issue.path[0] ?? 'body');
      return fail(res, 400, 'VALIDATION_ERROR', `${field} ${issue.code === 'unrecognized_keys' ? 'is not a known field' : issue.message}`, { field });
    }
    const { transaction_id: transactionId, reason } = parsed.data;
    let delivery: WebhookDelivery;
    try {
      delivery = await gateway.notify(transactionId, status);
    } catch (err) {
      if (err instanceof UnknownChargeError) return fail(res, 404, 'NOT_FOUND', 'transaction not found');
      throw err;
    }
    const answer = (delivery.body ?? {}) as { status?: string; escrow_id?: string | null; error?: { code: string; message: string } };
    if (delivery.status >= 200 && delivery.status < 300) {
      return void res.json({
        success: true,
        message,
        data: {
          transaction_id: transactionId,
          status: answer.status,
          ...(status === 'settlement' ? { escrow_id: answer.escrow_id ?? null } : { reason: reason ?? 'Payment declined' }),
        },
      });
    }
    if (delivery.status >= 400 && delivery.status < 500 && answer.error) {
      return fail(res, delivery.status, answer.error.code, answer.error.message);
    }
    return fail(res, 502, 'WEBHOOK_DELIVERY_FAILED', `the webhook could not be delivered after ${delivery.attempts} attempts`);
  };
  router.post('/api/payments/mock/trigger-success', wrap(trigger('settlement', 'Payment success triggered')));
  router.post('/api/payments/mock/trigger-failure', wrap(trigger('deny', 'Payment failure triggered')));

  return router;
}
