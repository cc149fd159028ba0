import { safeError } from '../domain/db-errors';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { PayoutMethod } from '../domain/methods';
import { signPayoutWebhook } from '../domain/signature';
import { digitsFrom } from './instructions';
import type { WebhookDelivery } from './mock-gateway';

/**
 * The mock gateway's bank: payouts to bank accounts and e-wallets, with its
 * own books (`mock_gateway_payouts`, `mock_gateway_payout_requests`). A payout
 * is queued, completed MOCK_PAYOUT_DELAY_MS later, and notified to the service
 * with a signed payout notification; the sandbox's test accounts fail, report
 * a transient failure first (`998…`), or are returned after completing (`997…`).
 */
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

export interface MockBankDeps {
  db: Knex;
  secret: string;
  logger: Logger;
  payoutDelayMs: number;
  /** false: no payout notifications are sent (the service must ask for the status) */
  notifications: boolean;
  /** the receipt page a completed payout's bukti_transfer points at */
  receiptUrl(reference: string): string;
  /** delivers a signed notification body to the service, retrying while it fails */
  deliver(body: string, key: string): Promise<WebhookDelivery>;
}

/** The bank's reference of a payout: 24 digits derived from its key (12 collide at about one in 200 at 100k payouts). */
const referenceOf = (key: string) => `TRF-${digitsFrom(key, 24)}`;

export class MockBank {
  private readonly pending = new Set<NodeJS.Timeout>();

  constructor(private readonly deps: MockBankDeps) {}

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
    const reference = referenceOf(req.idempotency_key);
    try {
      await this.payouts().insert({
        idempotency_key: req.idempotency_key,
        reference,
        amount: req.amount,
        method: req.channel ? `${req.method}:${req.channel}` : req.method,
        account_last4: req.nomor_rekening.slice(-4),
        bukti_transfer: closed ? '' : this.deps.receiptUrl(reference),
        status: closed ? 'failed' : 'queued',
        failure_reason: closed ? 'ACCOUNT_CLOSED: the receiving account is closed' : null,
        created_at: new Date().toISOString(),
      });
    } catch (err) {
      const raced = await this.getPayout(req.idempotency_key);
      if (!raced) throw err; // not a concurrent twin: a real failure
      return this.samePayout(raced, req);
    }
    if (!closed) this.schedulePayoutCompletion(req.idempotency_key, req.nomor_rekening);
    return (await this.getPayout(req.idempotency_key)) as PayoutState;
  }

  /**
   * Cancels a payout request the bank has not taken: the idempotency key is
   * recorded as failed (`CANCELLED: …`), so a request still in flight for it
   * (one that timed out on the service's side) finds it failed and never
   * pays. A payout the bank already took is returned as it is: its word
   * decides.
   */
  async cancelPayout(req: { idempotency_key: string; amount: number; reason: string }): Promise<PayoutState> {
    const existing = await this.getPayout(req.idempotency_key);
    if (existing) return existing;
    try {
      await this.payouts().insert({
        idempotency_key: req.idempotency_key,
        reference: referenceOf(req.idempotency_key),
        amount: req.amount,
        method: 'cancelled',
        account_last4: '',
        bukti_transfer: '',
        status: 'failed',
        failure_reason: `CANCELLED: ${req.reason}`.slice(0, 200),
        created_at: new Date().toISOString(),
      });
    } catch (err) {
      if (!(await this.getPayout(req.idempotency_key))) throw err; // not a concurrent request: a real failure
    }
    return (await this.getPayout(req.idempotency_key)) as PayoutState;
  }

  /**
   * A payout's status, as a disbursement API's status endpoint answers it. A
   * queued payout whose bank time has passed is completed here (the process
   * that queued it may have stopped before its timer fired).
   */
  async getPayout(idempotencyKey: string): Promise<PayoutState | undefined> {
    let row = await this.payouts().where({ idempotency_key: idempotencyKey }).first();
    if (row?.status === 'queued' && Date.now() - Date.parse(row.created_at) >= this.deps.payoutDelayMs) {
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
    return this.deps.db('mock_gateway_payouts');
  }

  private samePayout(p: PayoutState, req: PayoutRequest): PayoutState {
    if (p.amount !== req.amount) throw new Error(`payout ${req.idempotency_key} was already made for another amount`);
    return p;
  }

  /** How many times this payout has been requested (the sandbox's temporary-failure accounts count them). */
  private async countRequest(key: string): Promise<number> {
    const table = () => this.deps.db('mock_gateway_payout_requests');
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

  private schedulePayoutCompletion(key: string, account: string): void {
    const later = (ms: number, what: string, run: () => Promise<unknown>) => {
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        run().catch((err) => this.deps.logger.warn({ err: safeError(err), key }, `mock payout: ${what} failed`));
      }, ms);
      timer.unref();
      this.pending.add(timer);
    };
    // `998…`: the bank first reports a transient failure that its own record does not say (the payout still completes)
    if (account.startsWith('998'))
      later(Math.floor(this.deps.payoutDelayMs / 2), 'transient failure report', () =>
        this.notifyPayoutAs(key, 'failed', 'BANK_TIMEOUT: no answer from the receiving bank yet'),
      );
    later(this.deps.payoutDelayMs, 'completion', () => this.completePayout(key));
    // `997…`: completed, then returned by the receiving bank (the record turns failed)
    if (account.startsWith('997'))
      later(this.deps.payoutDelayMs * 2, 'return', () =>
        this.returnPayout(key, 'RETURNED: the receiving bank returned the transfer'),
      );
  }

  /**
   * The receiving bank returns a completed payout (as Midtrans Iris documents
   * `completed` turning `failed`): the gateway's record says failed, and the
   * service is notified. Sandbox account `997…`, or a test.
   */
  async returnPayout(key: string, reason: string): Promise<void> {
    const done = await this.payouts()
      .where({ idempotency_key: key, status: 'completed' })
      .update({ status: 'failed', failure_reason: reason.slice(0, 200) });
    if (done && this.deps.notifications) await this.notifyPayout(key);
  }

  /**
   * The gateway's record of a payout turns completed after it said failed
   * (a misbehaving bank; tests of the contradiction rule only): the money did
   * leave, and the service is notified.
   */
  async completeFailedPayout(key: string): Promise<void> {
    const done = await this.payouts()
      .where({ idempotency_key: key, status: 'failed' })
      .update({
        status: 'completed',
        failure_reason: null,
        completed_at: new Date().toISOString(),
        bukti_transfer: this.deps.receiptUrl(referenceOf(key)),
      });
    if (done && this.deps.notifications) await this.notifyPayout(key);
  }

  /**
   * The bank completes a queued payout (once; a repeat does nothing): the
   * gateway's books record it and the service is told. Runs on the payout's
   * timer, on a status check after its time, or when a test says so.
   */
  async completePayout(key: string): Promise<void> {
    const done = await this.payouts()
      .where({ idempotency_key: key, status: 'queued' })
      .update({ status: 'completed', completed_at: new Date().toISOString() });
    if (!done) return;
    if (!this.deps.notifications) return;
    const delivery = await this.notifyPayout(key);
    if (delivery.status < 200 || delivery.status >= 300)
      this.deps.logger.warn(
        { key, status: delivery.status },
        'payout notification not accepted; the service will ask for the status',
      );
  }

  /** Sends the signed payout notification for a completed or failed payout. */
  async notifyPayout(key: string): Promise<WebhookDelivery> {
    const row = await this.payouts().where({ idempotency_key: key }).first();
    if (!row) throw new Error(`unknown payout ${key}`);
    const p = toPayoutState(row);
    return this.notifyPayoutAs(key, p.status as 'completed' | 'failed', p.failure_reason ?? '', p);
  }

  /**
   * Sends a signed payout notification saying `status`, whatever the record
   * says: a bank's transient report, or a stale or duplicated one, delivered
   * as the gateway would (sandbox account `998…`, and tests).
   */
  async notifyPayoutAs(
    key: string,
    status: 'completed' | 'failed',
    failureReason = '',
    known?: PayoutState,
  ): Promise<WebhookDelivery> {
    const p =
      known ??
      toPayoutState(
        (await this.payouts().where({ idempotency_key: key }).first()) ?? {
          idempotency_key: key,
          reference: referenceOf(key),
          amount: 0,
          status,
        },
      );
    const fields = {
      external_id: p.idempotency_key,
      reference: p.reference,
      status,
      amount: String(p.amount),
      failure_reason: status === 'failed' ? failureReason || 'FAILED' : '',
      timestamp: String(Math.floor(Date.now() / 1000)),
    };
    const body = JSON.stringify({ ...fields, signature: signPayoutWebhook(fields, this.deps.secret) });
    return this.deps.deliver(body, key);
  }

  /** Cancels scheduled completions (on shutdown; a status check completes them later). */
  close(): void {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }
}
