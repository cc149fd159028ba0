import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Config } from '../domain/config';
import { invoiceNumber, transactionId } from '../domain/ids';
import type { PaymentMethod } from '../domain/methods';
import { paymentFees } from '../domain/money';
import {
  ChargeDetails,
  OrderRecord,
  PaymentRecord,
  heldEscrow,
  paymentOutcomeOf,
  paymentViewOf,
} from '../domain/records';
import { Actor, SYSTEM } from '../db/audit';
import type { FinalPaymentStatus } from '../db/payments';
import * as repo from '../db/repositories';
import type { PaymentGateway } from '../gateway/port';
import type { OrderWorkflowInput, PaymentView } from '../workflows/messages';
import { HttpError } from './errors';
import { OrderWorkflows, WorkflowGoneError } from './workflow-calls';

/**
 * The payment path. The database decides; the order workflows follow.
 *
 * Creating a payment: claim the order and insert the payment in one
 * transaction (the UNIQUE live-payment key makes it one per order), open the
 * charge at the gateway (idempotent by transaction id), record it: answered.
 * A gateway notification: decided in one transaction (payment, escrow, order;
 * a duplicate, the expiry and a late settlement each find it decided):
 * answered. Neither request waits for Temporal.
 *
 * The payments table is the outbox: a payment whose status its workflow has
 * not been told (`workflow_synced_status`) is delivered by `deliver` — one
 * signal-with-start, or one signal — from the relay, which the API nudges after
 * each commit and which also polls; the worker's sweep is the backstop.
 */
export interface PaymentPathDeps {
  db: Knex;
  gateway: PaymentGateway;
  workflows: OrderWorkflows;
  config: Config;
  logger: Logger;
  /** Called after a commit that left a payment for its workflow to learn (the relay's nudge). */
  onPending?: (paymentId: string) => void;
}

export interface PaymentRequest {
  user_id: string;
  jumlah: number;
  metode_pembayaran: PaymentMethod;
  channel: string;
}

export type CreateResult = { created: boolean; payment: PaymentRecord; order: OrderRecord };

const CHARGE_ATTEMPTS = 3;
const ID_ATTEMPTS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class PaymentPath {
  constructor(private readonly deps: PaymentPathDeps) {}

  /** The order's workflow input, from the database's order and this service's configuration. */
  workflowInput(order: OrderRecord, payment: PaymentRecord): OrderWorkflowInput & { payment: PaymentView } {
    const { config } = this.deps;
    return {
      pesanan_id: order.id,
      client_id: order.client_id,
      freelancer_id: order.freelancer_id,
      harga: order.harga,
      payment_expiry: config.paymentExpiry,
      escrow_auto_release_after: config.escrowAutoReleaseAfter,
      payment: paymentViewOf(payment),
    };
  }

  /**
   * Creates the order's payment, or answers the one it has (`created: false`).
   * After a failed or cancelled payment, a new one while the order's payment
   * window is open (it expires when the window closes). 409 for an order that
   * is closed, whose payment expired, or whose window has closed; 502
   * when the gateway cannot open the charge (nothing is kept).
   */
  async create(order: OrderRecord, req: PaymentRequest, actor: Actor = SYSTEM): Promise<CreateResult> {
    if (order.workflow_version === 0 && (await this.deps.workflows.retireLegacyWaiting(order.id))) {
      this.deps.logger.info(
        { pesanan_id: order.id },
        'ended an old order workflow still waiting for its first payment',
      );
    }
    const opened = await this.open(order, req, actor);
    if (opened.kind === 'not_found') throw new HttpError(404, 'NOT_FOUND', 'order not found');
    if (opened.kind === 'closed') {
      const why =
        opened.reason ??
        (opened.payment && opened.order.status === 'menunggu_pembayaran'
          ? `the order's payment is ${opened.payment.status}`
          : `this order is ${opened.order.status}`);
      throw new HttpError(409, 'INVALID_TRANSITION', `${why}; it cannot take a new payment`, {
        order_status: opened.order.status,
      });
    }
    if (opened.kind === 'exists')
      return { created: false, payment: await this.existing(opened.order, opened.payment), order: opened.order };
    let charge: ChargeDetails;
    try {
      charge = await this.openCharge(opened.payment);
    } catch (err) {
      await repo.abandonPayment(this.deps.db, opened.payment.id, actor);
      throw err;
    }
    await repo.recordCharge(this.deps.db, opened.payment.id, charge);
    this.deps.onPending?.(opened.payment.id);
    return {
      created: true,
      payment: { ...opened.payment, ...charge },
      order: { ...order, pembayaran_id: opened.payment.id, workflow_version: 2 },
    };
  }

  /**
   * The payment a repeated create answers: with its charge (its creator may
   * still be at the gateway: the same idempotent call finds it). A waiting
   * payment whose workflow was told must have one running: one
   * signal-with-start, a no-op when it runs (one deleted by an operator restarts).
   */
  private async existing(order: OrderRecord, payment: PaymentRecord): Promise<PaymentRecord> {
    let p = payment;
    if (!payment.payment_url) {
      const charge = await this.openCharge(payment);
      await repo.recordCharge(this.deps.db, payment.id, charge); // recorded: its creator can no longer withdraw it
      p = { ...payment, ...charge };
    }
    if (p.status === 'menunggu' && p.workflow_synced_status === 'menunggu') {
      await this.deps.workflows
        .signalPayment(this.workflowInput(order, p), { created: paymentViewOf(p) })
        .catch((err) => {
          if (!(err instanceof WorkflowGoneError))
            this.deps.logger.warn({ err: String(err), pesanan_id: order.id }, 'could not check the order workflow');
        });
    }
    return p;
  }

  /** Inserts the payment; draws new ids on the (rare) clash of a transaction id or invoice number. */
  private async open(order: OrderRecord, req: PaymentRequest, actor: Actor): Promise<repo.OpenPaymentResult> {
    for (let attempt = 1; ; attempt++) {
      const now = new Date();
      try {
        return await repo.openPayment(
          this.deps.db,
          {
            id: randomUUID(),
            pesanan_id: order.id,
            user_id: req.user_id,
            transaction_id: transactionId(now),
            nomor_invoice: invoiceNumber(now),
            ...paymentFees(req.jumlah),
            metode_pembayaran: req.metode_pembayaran,
            channel: req.channel,
            payment_gateway: 'mock',
            created_at: now.toISOString(),
            expires_at: new Date(now.getTime() + this.deps.config.paymentExpiryMs).toISOString(),
          },
          actor,
        );
      } catch (err) {
        const clash = repo.isUniqueViolation(err, 'transaction_id') || repo.isUniqueViolation(err, 'nomor_invoice');
        if (!clash || attempt >= ID_ATTEMPTS) throw err;
        this.deps.logger.warn(
          { pesanan_id: order.id, attempt },
          'payment id or invoice number clashed; drawing new ones',
        );
      }
    }
  }

  /** Opens (or, for a known transaction id, finds again) the payment's charge at the gateway. 502 after a few tries. */
  private async openCharge(p: PaymentRecord): Promise<ChargeDetails> {
    for (let attempt = 1; ; attempt++) {
      try {
        const charge = await this.deps.gateway.createCharge({
          transaction_id: p.transaction_id,
          method: p.metode_pembayaran as PaymentMethod,
          channel: p.channel,
          gross_amount: p.total_bayar,
          gateway_fee: p.biaya_gateway,
          expires_at: p.expires_at,
        });
        return {
          gateway_reference: charge.reference,
          payment_url: charge.payment_url,
          payment_instructions: charge.instructions,
        };
      } catch (err) {
        if (attempt >= CHARGE_ATTEMPTS) {
          this.deps.logger.warn(
            { err: String(err), transaction_id: p.transaction_id },
            'the gateway could not open the charge',
          );
          throw new HttpError(
            502,
            'GATEWAY_UNAVAILABLE',
            'the payment gateway could not complete the request; try again shortly',
          );
        }
        await sleep(250 * attempt);
      }
    }
  }

  /** A verified gateway notification with a final status, decided in the database. */
  async notify(
    payment: PaymentRecord,
    order: OrderRecord,
    status: FinalPaymentStatus,
    gatewayStatus: string,
    actor: Actor = { type: 'gateway' },
  ): Promise<repo.OutcomeResult> {
    const { config, db } = this.deps;
    const at = new Date();
    const escrow =
      status === 'berhasil' ? heldEscrow(randomUUID(), payment, order, at, config.escrowAutoReleaseMs) : undefined;
    const result = await repo.decidePayment(db, {
      payment_id: payment.id,
      status,
      gateway_status: gatewayStatus,
      at: at.toISOString(),
      escrow,
      actor,
    });
    if (
      (result.kind === 'applied' || result.kind === 'duplicate') &&
      result.payment.workflow_synced_status !== result.payment.status
    ) {
      this.deps.onPending?.(payment.id);
    }
    return result;
  }

  /**
   * Tells the payment's order workflow what the database holds, if it does not
   * know yet: the payment (signal-with-start), or its outcome (a signal; with
   * start for a workflow that never was). Idempotent: the workflow ignores
   * what it knows, and the row then records that it knows. True when
   * delivered (or nothing was owed).
   */
  async deliver(paymentId: string): Promise<boolean> {
    const { db, workflows } = this.deps;
    let payment = await repo.getPayment(db, paymentId);
    if (!payment || payment.workflow_synced_status === payment.status) return true;
    const order = await repo.getOrder(db, payment.pesanan_id);
    if (!order || order.workflow_version === 1) return true; // orders on the in-workflow path keep their own books
    try {
      if (payment.status === 'menunggu') {
        if (!payment.payment_url) {
          const charge = await this.openCharge(payment); // its request died before recording the charge
          await repo.recordCharge(db, payment.id, charge);
          if (!(await repo.getPayment(db, payment.id))) return true; // withdrawn meanwhile by its creator: nothing to tell
          payment = { ...payment, ...charge };
        }
        await workflows.signalPayment(this.workflowInput(order, payment), { created: paymentViewOf(payment) });
      } else {
        const escrow = payment.status === 'berhasil' ? ((await repo.getEscrowOfPayment(db, payment.id)) ?? null) : null;
        const outcome = paymentOutcomeOf(payment, escrow, order.status);
        if (payment.workflow_synced_status === null && order.workflow_version === repo.RETRYABLE_PAYMENTS_VERSION) {
          // never told: a running workflow may know only the order's earlier payment, so it learns this one first
          const created = {
            ...paymentViewOf(payment),
            status: 'menunggu' as const,
            gateway_status: null,
            dibayar_pada: null,
          };
          await workflows.signalPayment(this.workflowInput(order, payment), { created });
          await workflows.signalOutcome(order.id, outcome);
        } else if (payment.workflow_synced_status === null)
          await workflows.signalPayment(this.workflowInput(order, payment), { outcome });
        else await workflows.signalOutcome(order.id, outcome);
      }
    } catch (err) {
      const gone = err instanceof WorkflowGoneError;
      if (!gone || payment.status === 'menunggu') {
        // A waiting payment needs a running workflow for its expiry: a closed one is not "told" (the
        // sweep's overdue check expires the payment in the database if nothing else does).
        const log = gone ? this.deps.logger.error.bind(this.deps.logger) : this.deps.logger.warn.bind(this.deps.logger);
        log(
          { err: String(err), pesanan_id: order.id, status: payment.status },
          gone
            ? 'the order workflow has closed while its payment waits'
            : 'could not tell the order workflow; will retry',
        );
        await repo.touchPayment(db, payment.id);
        return false;
      }
      // a decided payment and a closed workflow (finished, or deleted by an operator): nothing is waiting to be told
    }
    await repo.markWorkflowSynced(db, payment.id, payment.status);
    return true;
  }

  /**
   * Payments owed to their workflows, untouched for `minAgeMs`. One still
   * missing its charge only after PAYMENT_SWEEP_GRACE: until then its request
   * may still be at the gateway.
   */
  pending(minAgeMs: number, limit: number, now = new Date()): Promise<string[]> {
    const chargeGraceMs = Math.max(minAgeMs, this.deps.config.outbox.sweepGraceMs);
    return repo.findUnsyncedPayments(this.deps.db, {
      touchedBefore: new Date(now.getTime() - minAgeMs),
      chargelessBefore: new Date(now.getTime() - chargeGraceMs),
      limit,
    });
  }

  /**
   * The backstop for expiry: waiting payments whose window closed more than
   * `graceMs` ago (their workflow's timer should have expired them) are expired
   * in the database, and their workflows told like any other outcome.
   */
  async expireOverdue(graceMs: number, limit = 200, now = new Date()): Promise<number> {
    let expired = 0;
    for (const id of await repo.findOverduePayments(this.deps.db, graceMs, limit, now)) {
      const result = await repo.decidePayment(this.deps.db, {
        payment_id: id,
        status: 'kadaluarsa',
        gateway_status: null,
        at: now.toISOString(),
      });
      if (result.kind === 'applied') {
        expired++;
        this.deps.logger.warn({ payment_id: id }, 'sweep: expired an overdue payment its workflow had not expired');
        this.deps.onPending?.(id);
      }
    }
    return expired;
  }

  /**
   * The backstop for the payment window (orders whose payments may be
   * retried): an order still waiting whose window closed more than `graceMs`
   * ago with no live or settled payment (its last one failed or was cancelled)
   * is cancelled in the database, even without a workflow.
   */
  async closeOverdueWindows(graceMs: number, limit = 200, now = new Date()): Promise<number> {
    let closed = 0;
    for (const id of await repo.findOverdueWindows(this.deps.db, graceMs, limit, now)) {
      await repo.closePaymentWindow(this.deps.db, id);
      if ((await repo.getOrder(this.deps.db, id))?.status === 'dibatalkan') {
        closed++;
        this.deps.logger.warn(
          { pesanan_id: id },
          'sweep: closed an overdue payment window its workflow had not closed',
        );
      }
    }
    return closed;
  }

  /**
   * The order's client cancels a waiting payment to choose another method: the
   * charge is voided at the gateway, then the payment ends `gagal` (gateway
   * status `cancel`) in the database, leaving the order open for another
   * payment while its window is open. 409 for a payment that is not waiting,
   * whose charge is still being opened, or whose money already arrived.
   */
  async cancel(
    payment: PaymentRecord,
    order: OrderRecord,
    actor: Actor = SYSTEM,
    o: { closeOrder?: boolean } = {},
  ): Promise<PaymentRecord> {
    const refuse = (why: string, status: string = payment.status) =>
      new HttpError(409, 'INVALID_TRANSITION', why, { status });
    if (payment.status !== 'menunggu')
      throw refuse(`payment is ${payment.status}; only a waiting payment can be cancelled`);
    if (order.workflow_version === 1)
      throw refuse("this order's payment is decided by its workflow; it cannot be cancelled here");
    if (!payment.payment_url) throw refuse('the payment is still being opened at the gateway; try again in a moment');
    let at: { status: 'voided' | 'settled' };
    try {
      at = await this.deps.gateway.cancelCharge({
        transaction_id: payment.transaction_id,
        reason: o.closeOrder ? 'the order was cancelled' : 'cancelled by the client',
      });
    } catch (err) {
      this.deps.logger.warn(
        { err: String(err), transaction_id: payment.transaction_id },
        'the gateway could not cancel the charge',
      );
      throw new HttpError(
        502,
        'GATEWAY_UNAVAILABLE',
        'the payment gateway could not complete the request; try again shortly',
      );
    }
    if (at.status === 'settled')
      throw refuse('the payment has already been paid at the gateway; its settlement is being confirmed');
    const result = await repo.decidePayment(this.deps.db, {
      payment_id: payment.id,
      status: 'gagal',
      gateway_status: 'cancel',
      at: new Date().toISOString(),
      actor,
      closeOrder: o.closeOrder,
    });
    if (result.kind !== 'applied')
      throw refuse(
        `payment is ${result.payment.status}; only a waiting payment can be cancelled`,
        result.payment.status,
      );
    this.deps.onPending?.(payment.id);
    return result.payment;
  }

  /** One pass over the outbox: delivers every payment owed to its workflow and untouched for `minAgeMs`. Returns how many were delivered. */
  async sweep(minAgeMs: number, limit = 200, now = new Date()): Promise<number> {
    let delivered = 0;
    for (const id of await this.pending(minAgeMs, limit, now)) if (await this.deliver(id)) delivered++;
    return delivered;
  }
}
