import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { signPayoutWebhook, signWebhook } from '../domain/signature';
import type { GatewayStatus } from '../domain/statuses';
import type { PayoutMethod } from '../domain/methods';
import { buildInstructions, ChargeRequest, digitsFrom, PaymentInstructions } from './instructions';
import type { PaymentGateway } from './port';

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

export interface PayoutRequest {
  idempotency_key: string;
  amount: number;
  method: PayoutMethod;
  /** the bank or e-wallet provider (absent for withdrawals made before channels existed) */
  channel?: string | null;
  nomor_rekening: string;
  nama_pemilik: string;
}

/** A payout at the gateway: queued until the bank completes it, or failed with the bank's reason. */
export interface PayoutState {
  idempotency_key: string;
  reference: string;
  amount: number;
  status: 'queued' | 'completed' | 'failed';
  bukti_transfer: string | null;
  completed_at: string | null;
  failure_reason: string | null;
}

/** What the payout of an order still on the old synchronous payout path returns. */
export interface PayoutResult {
  reference: string;
  bukti_transfer: string;
  completed_at: string;
}

export class UnknownChargeError extends Error {}
/** The bank could not take the payout now (a temporary failure): the same request may be retried. */
export class PayoutTemporaryError extends Error {
  readonly code = 'BANK_UNAVAILABLE';
}

function toPayoutState(row: Record<string, unknown>): PayoutState {
  return {
    idempotency_key: String(row.idempotency_key),
    reference: String(row.reference),
    amount: Number(row.amount),
    status: row.status as PayoutState['status'],
    bukti_transfer: row.bukti_transfer ? String(row.bukti_transfer) : null,
    completed_at: row.completed_at ? String(row.completed_at) : null,
    failure_reason: row.failure_reason ? String(row.failure_reason) : null,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class MockGateway implements PaymentGateway {
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly pending = new Set<NodeJS.Timeout>();

  constructor(private readonly opts: MockGatewayOptions) {
    this.attempts = opts.deliveryAttempts ?? 6;
    this.backoffMs = opts.deliveryBackoffMs ?? 250;
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
    const charge: Charge = { ...req, reference, payment_url, instructions: buildInstructions(req, payment_url, reference) };
    try {
      await this.opts.db('mock_gateway_charges').insert({ ...charge, gateway_fee: req.gateway_fee ?? 0, instructions: JSON.stringify(charge.instructions), created_at: new Date().toISOString() });
    } catch (err) {
      const raced = await this.getCharge(req.transaction_id);
      if (!raced) throw err; // not a concurrent twin: a real failure
      return this.sameCharge(raced, req);
    }
    if (this.opts.autoSuccess) this.scheduleAutoSuccess(req.transaction_id);
    return charge;
  }

  private sameCharge(charge: Charge, req: ChargeRequest): Charge {
    if (charge.gross_amount !== req.gross_amount) throw new Error(`transaction ${req.transaction_id} is already a charge for another amount`);
    return charge;
  }

  async getCharge(transactionId: string): Promise<Charge | undefined> {
    return this.toCharge(await this.opts.db('mock_gateway_charges').where({ transaction_id: transactionId }).first());
  }

  async getChargeByReference(reference: string): Promise<Charge | undefined> {
    return this.toCharge(await this.opts.db('mock_gateway_charges').where({ reference }).first());
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
      this.notify(transactionId, 'settlement').catch((err) =>
        this.opts.logger.warn({ err: String(err), transactionId }, 'mock auto-success could not be delivered'),
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
    await this.opts.db('mock_gateway_charges').where({ transaction_id: transactionId }).whereNull('settled_at').update({ settled_at: new Date().toISOString() });
  }

  /**
   * Requests a payout to a bank account or e-wallet, as real disbursement APIs
   * do: the answer is `queued` with a reference (the bank completes it about
   * MOCK_PAYOUT_DELAY_MS later and the gateway sends a signed payout
   * notification), or `failed` at once when the bank refuses the account. The
   * same idempotency key returns the same payout, whatever its status.
   *
   * Sandbox test accounts: a number beginning with `000` is a closed account
   * (refused for good); one beginning with `999` answers a temporary error
   * (PayoutTemporaryError) to its first two requests, then is queued.
   */
  async payout(req: PayoutRequest): Promise<PayoutState> {
    const existing = await this.getPayout(req.idempotency_key);
    if (existing) return this.samePayout(existing, req);
    if (req.nomor_rekening.startsWith('999') && (await this.countRequest(req.idempotency_key)) <= 2) {
      throw new PayoutTemporaryError('the receiving bank is temporarily unavailable; try again later');
    }
    const closed = req.nomor_rekening.startsWith('000');
    const reference = `TRF-${digitsFrom(req.idempotency_key, 12)}`;
    try {
      await this.payouts().insert({
        idempotency_key: req.idempotency_key,
        reference,
        amount: req.amount,
        method: req.channel ? `${req.method}:${req.channel}` : req.method,
        account_last4: req.nomor_rekening.slice(-4),
        bukti_transfer: closed ? '' : `${this.opts.backendUrl}/mock-bank/transfer/${reference}`,
        status: closed ? 'failed' : 'queued',
        failure_reason: closed ? 'ACCOUNT_CLOSED: the receiving account is closed' : null,
        created_at: new Date().toISOString(),
      });
    } catch (err) {
      const raced = await this.getPayout(req.idempotency_key);
      if (!raced) throw err; // not a concurrent twin: a real failure
      return this.samePayout(raced, req);
    }
    if (!closed) this.schedulePayoutCompletion(req.idempotency_key);
    return (await this.getPayout(req.idempotency_key)) as PayoutState;
  }

  /**
   * A payout's status, as a disbursement API's status endpoint answers it. A
   * queued payout whose bank time has passed is completed here (the process
   * that queued it may have stopped before its timer fired).
   */
  async getPayout(idempotencyKey: string): Promise<PayoutState | undefined> {
    let row = await this.payouts().where({ idempotency_key: idempotencyKey }).first();
    if (row?.status === 'queued' && Date.now() - Date.parse(row.created_at) >= this.payoutDelayMs) {
      await this.completePayout(idempotencyKey);
      row = await this.payouts().where({ idempotency_key: idempotencyKey }).first();
    }
    return row && toPayoutState(row);
  }

  async getPayoutByReference(reference: string): Promise<PayoutState | undefined> {
    const row = await this.payouts().where({ reference }).first();
    return row ? this.getPayout(String(row.idempotency_key)) : undefined;
  }

  private payouts() {
    return this.opts.db('mock_gateway_payouts');
  }

  private get payoutDelayMs(): number {
    return this.opts.payoutDelayMs ?? 1500;
  }

  private samePayout(p: PayoutState, req: PayoutRequest): PayoutState {
    if (p.amount !== req.amount) throw new Error(`payout ${req.idempotency_key} was already made for another amount`);
    return p;
  }

  /** How many times this payout has been requested (the sandbox's temporary-failure accounts count them). */
  private async countRequest(key: string): Promise<number> {
    const table = () => this.opts.db('mock_gateway_payout_requests');
    const bumped = await table().where({ idempotency_key: key }).increment('attempts', 1);
    if (!bumped) {
      try {
        await table().insert({ idempotency_key: key, attempts: 1 });
      } catch {
        await table().where({ idempotency_key: key }).increment('attempts', 1); // a concurrent first request
      }
    }
    return Number((await table().where({ idempotency_key: key }).first()).attempts);
  }

  private schedulePayoutCompletion(key: string): void {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      this.completePayout(key).catch((err) => this.opts.logger.warn({ err: String(err), key }, 'mock payout could not be completed'));
    }, this.payoutDelayMs);
    timer.unref();
    this.pending.add(timer);
  }

  /**
   * The bank completes a queued payout (once; a repeat does nothing): the
   * gateway's books record it and the service is told. Runs on the payout's
   * timer, on a status check after its time, or when a test says so.
   */
  async completePayout(key: string): Promise<void> {
    const done = await this.payouts().where({ idempotency_key: key, status: 'queued' }).update({ status: 'completed', completed_at: new Date().toISOString() });
    if (!done) return;
    if (this.opts.payoutNotifications === false) return;
    const delivery = await this.notifyPayout(key);
    if (delivery.status < 200 || delivery.status >= 300) this.opts.logger.warn({ key, status: delivery.status }, 'payout notification not accepted; the service will ask for the status');
  }

  /** Sends the signed payout notification for a completed or failed payout. */
  async notifyPayout(key: string): Promise<WebhookDelivery> {
    const row = await this.payouts().where({ idempotency_key: key }).first();
    if (!row) throw new UnknownChargeError(`unknown payout ${key}`);
    const p = toPayoutState(row);
    const fields = {
      external_id: p.idempotency_key,
      reference: p.reference,
      status: p.status,
      amount: String(p.amount),
      failure_reason: p.failure_reason ?? '',
      timestamp: String(Math.floor(Date.now() / 1000)),
    };
    const body = JSON.stringify({ ...fields, signature: signPayoutWebhook(fields, this.opts.secret) });
    return this.deliver(body, key, '/api/payouts/webhook');
  }

  /** Where webhooks go and checkout pages live; set once the service knows its own address. */
  setBackendUrl(url: string): void {
    this.opts.backendUrl = url.replace(/\/+$/, '');
  }

  /** Cancels scheduled auto-success deliveries (on shutdown). */
  close(): void {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }
}
