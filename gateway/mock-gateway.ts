import { safeError } from '../domain/db-errors';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { signWebhook } from '../domain/signature';
import type { GatewayStatus, PaymentStatus } from '../domain/statuses';
import { buildInstructions, ChargeRequest, digitsFrom, PaymentInstructions } from './instructions';
import type { PaymentGateway } from './port';
import { MockBank, PayoutRequest, PayoutState } from './mock-bank';

/**
 * The mock payment gateway. It keeps its own books (tables `mock_gateway_*`),
 * treats the transaction id and the payout idempotency key as idempotency keys,
 * and tells the service about payments only the way a real gateway does: a
 * signed webhook to BACKEND_URL, retried with backoff while it fails.
 */
export interface MockGatewayOptions {
  db: Knex;
  /** Where the service listens; webhooks go to `${backendUrl}/api/payments/webhook`. */
  backendUrl: string;
  secret: string;
  autoSuccess: boolean;
  autoSuccessDelayMs: number;
  logger: Logger;
  /** Webhook delivery attempts and the first backoff delay (doubling). */
  deliveryAttempts?: number;
  deliveryBackoffMs?: number;
  /** MOCK_PAYOUT_DELAY_MS: how long the bank takes to complete a queued payout. */
  payoutDelayMs?: number;
  /** false: the gateway never sends payout notifications (tests of the status check). */
  payoutNotifications?: boolean;
  /** CHECKOUT_RETURN_URL: where the checkout page's result pages send the buyer back to (the order id is appended). */
  checkoutReturnUrl?: string;
}

export interface Charge {
  transaction_id: string;
  reference: string;
  method: string;
  channel: string;
  gross_amount: number;
  payment_url: string;
  instructions: PaymentInstructions;
  expires_at: string;
}

export interface WebhookDelivery {
  /** HTTP status the service finally answered, or 0 if it never answered. */
  status: number;
  body: unknown;
  attempts: number;
}

/**
 * What the hosted checkout page shows: the charge, and what the merchant told
 * the gateway about it (a real gateway receives the item and the fee lines with
 * the charge; the mock reads them from the service's rows in the database it
 * shares). `payment` and `order` are null for a charge the service never recorded.
 */
export interface CheckoutView {
  charge: Charge;
  /** The gateway holds the money (Pay was pressed), whether or not the service has processed it yet. */
  settledAtGateway: boolean;
  payment: {
    jumlah: number;
    biaya_platform: number;
    biaya_gateway: number;
    total_bayar: number;
    status: PaymentStatus;
    nomor_invoice: string;
    /** ISO-8601 */
    expires_at: string;
    dibayar_pada: string | null;
    /** `due`: money that arrived after the payment expired or failed is being returned. */
    refund_status: string | null;
  } | null;
  order: { id: string; judul: string } | null;
}

export class UnknownChargeError extends Error {}

/** A refund to the payment's source, by the service's idempotency key. */
export interface RefundRequest {
  idempotency_key: string;
  transaction_id: string;
  amount: number;
}
export interface RefundState extends RefundRequest {
  reference: string;
  refunded_at: string;
}
/** The gateway could not take the refund now: the same request may be retried. */
export class RefundTemporaryError extends Error {
  readonly code = 'GATEWAY_UNAVAILABLE';
}
/** The gateway refuses the refund for good (nothing settled, or more than settled). */
export class RefundRefusedError extends Error {
  readonly code = 'REFUND_REFUSED';
}

/** A stored time (MySQL `YYYY-MM-DD HH:MM:SS.mmm` in UTC, SQLite text, or a Date) as ISO-8601. */
function isoTime(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  const s = String(value).replace(' ', 'T');
  const d = new Date(/Z$|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class MockGateway implements PaymentGateway {
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly pending = new Set<NodeJS.Timeout>();
  private readonly bank: MockBank;
  private refundFailures = 0;

  constructor(private readonly opts: MockGatewayOptions) {
    this.attempts = opts.deliveryAttempts ?? 6;
    this.backoffMs = opts.deliveryBackoffMs ?? 250;
    this.bank = new MockBank({
      db: opts.db,
      secret: opts.secret,
      logger: opts.logger,
      payoutDelayMs: opts.payoutDelayMs ?? 1500,
      notifications: opts.payoutNotifications ?? true,
      receiptUrl: (reference) => `${this.opts.backendUrl}/mock-bank/transfer/${reference}`,
      deliver: (body, key) => this.deliver(body, key, '/api/payouts/webhook'),
    });
  }

  /**
   * Creates (or, for a known transaction id, returns again) a charge. Of
   * concurrent calls with one transaction id exactly one creates it; a
   * transaction id reused for a different amount is refused.
   */
  async createCharge(req: ChargeRequest): Promise<Charge> {
    const existing = await this.getCharge(req.transaction_id);
    if (existing) return this.sameCharge(existing, req);
    const reference = `MOCK-${req.transaction_id.slice(4)}`;
    const payment_url = `${this.opts.backendUrl}/mock-payment/${reference}`;
    const charge: Charge = {
      ...req,
      reference,
      payment_url,
      instructions: buildInstructions(req, payment_url, reference),
    };
    try {
      await this.opts.db('mock_gateway_charges').insert({
        ...charge,
        gateway_fee: req.gateway_fee ?? 0,
        instructions: JSON.stringify(charge.instructions),
        created_at: new Date().toISOString(),
      });
    } catch (err) {
      const raced = await this.getCharge(req.transaction_id);
      if (!raced) throw err; // not a concurrent twin: a real failure
      return this.sameCharge(raced, req);
    }
    if (this.opts.autoSuccess) this.scheduleAutoSuccess(req.transaction_id);
    return charge;
  }

  private sameCharge(charge: Charge, req: ChargeRequest): Charge {
    if (charge.gross_amount !== req.gross_amount)
      throw new Error(`transaction ${req.transaction_id} is already a charge for another amount`);
    return charge;
  }

  /**
   * Voids a charge (the client cancelled the payment): its auto-success no longer
   * settles it. Idempotent; a charge whose money already arrived stays settled and
   * says so. Money that arrives after the void (a trigger, a buyer's late transfer)
   * is still recorded and notified: the service treats it as a late payment.
   */
  async cancelCharge(req: {
    transaction_id: string;
    reason: string;
  }): Promise<{ transaction_id: string; status: 'voided' | 'settled' }> {
    await this.opts
      .db('mock_gateway_charges')
      .where({ transaction_id: req.transaction_id })
      .whereNull('settled_at')
      .whereNull('voided_at')
      .update({ voided_at: new Date().toISOString() });
    const row = await this.opts
      .db('mock_gateway_charges')
      .where({ transaction_id: req.transaction_id })
      .first('settled_at', 'voided_at');
    if (!row) throw new UnknownChargeError(`unknown transaction ${req.transaction_id}`);
    this.opts.logger.info({ transactionId: req.transaction_id, reason: req.reason }, 'mock gateway: charge cancelled');
    return { transaction_id: req.transaction_id, status: row.settled_at ? 'settled' : 'voided' };
  }

  async getCharge(transactionId: string): Promise<Charge | undefined> {
    return this.toCharge(await this.opts.db('mock_gateway_charges').where({ transaction_id: transactionId }).first());
  }

  async getChargeByReference(reference: string): Promise<Charge | undefined> {
    return this.toCharge(await this.opts.db('mock_gateway_charges').where({ reference }).first());
  }

  /** The checkout page's view of a charge, by its reference; undefined for an unknown reference. */
  async getCheckoutView(reference: string): Promise<CheckoutView | undefined> {
    const row = await this.opts.db('mock_gateway_charges').where({ reference }).first();
    const charge = this.toCharge(row);
    if (!charge) return undefined;
    const p = await this.opts
      .db('pembayaran')
      .where({ transaction_id: charge.transaction_id })
      .first(
        'pesanan_id',
        'jumlah',
        'biaya_platform',
        'biaya_gateway',
        'total_bayar',
        'status',
        'nomor_invoice',
        'expires_at',
        'dibayar_pada',
        'refund_status',
      );
    const o = p ? await this.opts.db('pesanan').where({ id: p.pesanan_id }).first('id', 'judul') : undefined;
    return {
      charge,
      settledAtGateway: row.settled_at !== null && row.settled_at !== undefined,
      payment: p
        ? {
            jumlah: Number(p.jumlah),
            biaya_platform: Number(p.biaya_platform),
            biaya_gateway: Number(p.biaya_gateway),
            total_bayar: Number(p.total_bayar),
            status: p.status as PaymentStatus,
            nomor_invoice: String(p.nomor_invoice),
            expires_at: isoTime(p.expires_at) ?? charge.expires_at,
            dibayar_pada: isoTime(p.dibayar_pada),
            refund_status: p.refund_status ?? null,
          }
        : null,
      order: o ? { id: String(o.id), judul: String(o.judul) } : null,
    };
  }

  /** Where a result page sends the buyer back to: CHECKOUT_RETURN_URL with the order id; undefined when not configured. */
  checkoutReturnUrl(pesananId: string | undefined): string | undefined {
    if (!this.opts.checkoutReturnUrl) return undefined;
    const url = new URL(this.opts.checkoutReturnUrl);
    if (pesananId) url.searchParams.set('pesanan_id', pesananId);
    return url.toString();
  }

  private toCharge(row: Record<string, unknown> | undefined): Charge | undefined {
    if (!row) return undefined;
    return {
      transaction_id: String(row.transaction_id),
      reference: String(row.reference),
      method: String(row.method),
      channel: String(row.channel),
      gross_amount: Number(row.gross_amount),
      payment_url: String(row.payment_url),
      instructions: JSON.parse(String(row.instructions)),
      expires_at: String(row.expires_at),
    };
  }

  private scheduleAutoSuccess(transactionId: string): void {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      this.opts
        .db('mock_gateway_charges')
        .where({ transaction_id: transactionId })
        .first('voided_at')
        // a voided charge is never paid by the sandbox's auto-success
        .then((row: { voided_at?: string | null } | undefined) =>
          row?.voided_at ? undefined : this.notify(transactionId, 'settlement'),
        )
        .catch((err) =>
          this.opts.logger.warn({ err: safeError(err), transactionId }, 'mock auto-success could not be delivered'),
        );
    }, this.opts.autoSuccessDelayMs);
    timer.unref();
    this.pending.add(timer);
  }

  /**
   * Sends the signed webhook for a charge and waits until the service has
   * processed it. A settlement is first recorded in the gateway's own books
   * (the money is at the gateway whatever the service answers).
   */
  async notify(transactionId: string, status: GatewayStatus): Promise<WebhookDelivery> {
    const charge = await this.getCharge(transactionId);
    if (!charge) throw new UnknownChargeError(`unknown transaction ${transactionId}`);
    if (status === 'settlement' || status === 'capture') await this.recordSettlement(transactionId);
    const fields = {
      transaction_id: charge.transaction_id,
      transaction_status: status,
      gross_amount: String(charge.gross_amount),
      timestamp: String(Math.floor(Date.now() / 1000)),
    };
    const body = JSON.stringify({ ...fields, signature: signWebhook(fields, this.opts.secret) });
    return this.deliver(body, transactionId);
  }

  private async deliver(body: string, transactionId: string, path = '/api/payments/webhook'): Promise<WebhookDelivery> {
    const url = `${this.opts.backendUrl}${path}`;
    let last: WebhookDelivery = { status: 0, body: null, attempts: 0 };
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      try {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const text = await res.text();
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          /* keep text */
        }
        last = { status: res.status, body: parsed, attempts: attempt };
        // 2xx: processed. 4xx (but 408/429): the service refused it for good; retrying cannot help.
        if (res.status < 500 && res.status !== 408 && res.status !== 429) return last;
      } catch (err) {
        last = { status: 0, body: String(err), attempts: attempt };
      }
      this.opts.logger.warn({ transactionId, attempt, status: last.status }, 'webhook delivery failed; retrying');
      if (attempt < this.attempts) await sleep(this.backoffMs * 2 ** (attempt - 1));
    }
    return last;
  }

  /** The gateway's books: the charge's money has arrived (once; a repeat changes nothing). */
  async recordSettlement(transactionId: string): Promise<void> {
    await this.opts
      .db('mock_gateway_charges')
      .where({ transaction_id: transactionId })
      .whereNull('settled_at')
      .update({ settled_at: new Date().toISOString() });
  }

  /**
   * Refunds a settled charge to its source (QRIS, e-wallet, card), as the
   * gateways' refund APIs do: idempotent by the service's key (the same key
   * answers the same refund), refused for good when the charge is not settled
   * or the refunds would exceed what it settled. A temporary failure (see
   * `failNextRefunds`) throws RefundTemporaryError: the same request may be retried.
   */
  async refund(req: RefundRequest): Promise<RefundState> {
    const existing = await this.getRefund(req.idempotency_key);
    if (existing) {
      if (existing.amount !== req.amount || existing.transaction_id !== req.transaction_id)
        throw new RefundRefusedError(`refund ${req.idempotency_key} was already made for another charge or amount`);
      return existing;
    }
    if (this.refundFailures > 0) {
      this.refundFailures--;
      throw new RefundTemporaryError('the gateway could not process the refund now; try again later');
    }
    const charge = await this.opts
      .db('mock_gateway_charges')
      .where({ transaction_id: req.transaction_id })
      .first('gross_amount', 'settled_at');
    if (!charge?.settled_at)
      throw new RefundRefusedError(`transaction ${req.transaction_id} has not settled; there is nothing to refund`);
    const [{ sum }] = await this.opts
      .db('mock_gateway_refunds')
      .where({ transaction_id: req.transaction_id })
      .sum({ sum: 'amount' });
    if (Number(sum ?? 0) + req.amount > Number(charge.gross_amount))
      throw new RefundRefusedError(`refunds of ${req.transaction_id} would exceed its Rp ${charge.gross_amount}`);
    try {
      await this.opts.db('mock_gateway_refunds').insert({
        idempotency_key: req.idempotency_key,
        transaction_id: req.transaction_id,
        reference: `RFD-${digitsFrom(req.idempotency_key, 24)}`,
        amount: req.amount,
        created_at: new Date().toISOString(),
      });
    } catch (err) {
      if (!(await this.getRefund(req.idempotency_key))) throw err; // not a concurrent twin: a real failure
    }
    this.opts.logger.info(
      { transactionId: req.transaction_id, amount: req.amount },
      'mock gateway: refunded to source',
    );
    return (await this.getRefund(req.idempotency_key)) as RefundState;
  }

  async getRefund(idempotencyKey: string): Promise<RefundState | undefined> {
    const row = await this.opts.db('mock_gateway_refunds').where({ idempotency_key: idempotencyKey }).first();
    return (
      row && {
        idempotency_key: String(row.idempotency_key),
        transaction_id: String(row.transaction_id),
        reference: String(row.reference),
        amount: Number(row.amount),
        refunded_at: String(row.created_at),
      }
    );
  }

  /** Sandbox: the next `n` refund requests fail temporarily (tests of the refund's retries). */
  failNextRefunds(n: number): void {
    this.refundFailures = n;
  }

  /** Payouts: the mock bank (gateway/mock-bank.ts). */
  payout(req: PayoutRequest): Promise<PayoutState> {
    return this.bank.payout(req);
  }

  getPayout(idempotencyKey: string): Promise<PayoutState | undefined> {
    return this.bank.getPayout(idempotencyKey);
  }

  cancelPayout(req: { idempotency_key: string; amount: number; reason: string }): Promise<PayoutState> {
    return this.bank.cancelPayout(req);
  }

  getPayoutByReference(reference: string): Promise<PayoutState | undefined> {
    return this.bank.getPayoutByReference(reference);
  }

  /** The bank completes a queued payout now (tests; the bank's own timer does it otherwise). */
  completePayout(idempotencyKey: string): Promise<void> {
    return this.bank.completePayout(idempotencyKey);
  }

  /** The receiving bank returns a completed payout: its record turns failed (tests; sandbox account `997…`). */
  returnPayout(idempotencyKey: string, reason: string): Promise<void> {
    return this.bank.returnPayout(idempotencyKey, reason);
  }

  /** A failed payout's record turns completed (a misbehaving bank; tests of the contradiction rule). */
  completeFailedPayout(idempotencyKey: string): Promise<void> {
    return this.bank.completeFailedPayout(idempotencyKey);
  }

  /** A signed payout notification saying `status`, whatever the record says (tests; sandbox account `998…`). */
  notifyPayoutAs(idempotencyKey: string, status: 'completed' | 'failed', failureReason = ''): Promise<WebhookDelivery> {
    return this.bank.notifyPayoutAs(idempotencyKey, status, failureReason);
  }

  /** Where webhooks go and checkout pages live; set once the service knows its own address. */
  setBackendUrl(url: string): void {
    this.opts.backendUrl = url.replace(/\/+$/, '');
  }

  /** Cancels scheduled auto-success deliveries (on shutdown). */
  close(): void {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
    this.bank.close();
  }
}
