import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Config } from '../domain/config';
import { invoiceNumber, transactionId } from '../domain/ids';
import type { PaymentMethod } from '../domain/methods';
import { paymentFees } from '../domain/money';
import { ChargeDetails, EscrowRecord, OrderRecord, PaymentRecord, heldEscrow, paymentOutcomeOf, paymentViewOf } from '../domain/records';
import type { FinalPaymentStatus } from '../db/payments';
import * as repo from '../db/repositories';
import type { PaymentGateway } from '../gateway/port';
import type { OrderWorkflowInput } from '../workflows/messages';
import { HttpError } from './errors';
import { OrderWorkflows, WorkflowGoneError } from './workflow-calls';

/**
 * The payment path, shared by the API's hot paths and the worker's sweep.
 *
 * Creating a payment: the database first (claim the order, insert the payment:
 * the UNIQUE live-payment key makes it one per order), then the charge at the
 * gateway (idempotent by transaction id), then one signal-with-start to the
 * order's workflow, then the row notes that the workflow knows. A crash
 * between any two steps leaves a row whose workflow does not know it; the
 * sweep finds it and finishes the steps.
 *
 * A gateway notification: decided in the database (payment, escrow and order
 * in one transaction; a duplicate, the expiry and a late settlement each find
 * it decided), then one signal to the workflow.
 */
export interface PaymentPathDeps {
  db: Knex;
  gateway: PaymentGateway;
  workflows: OrderWorkflows;
  config: Config;
  logger: Logger;
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
  workflowInput(order: OrderRecord, payment: PaymentRecord): OrderWorkflowInput & { payment: ReturnType<typeof paymentViewOf> } {
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
   * 409 for an order that is closed or whose payment failed or expired; 502
   * when the gateway cannot open the charge (nothing is kept).
   */
  async create(order: OrderRecord, req: PaymentRequest): Promise<CreateResult> {
    const opened = await this.open(order, req);
    if (opened.kind === 'not_found') throw new HttpError(404, 'NOT_FOUND', 'order not found');
    if (opened.kind === 'closed') {
      const why = opened.payment && opened.order.status === 'menunggu_pembayaran' ? `the order's payment is ${opened.payment.status}` : `this order is ${opened.order.status}`;
      throw new HttpError(409, 'INVALID_TRANSITION', `${why}; it cannot take a new payment`, { order_status: opened.order.status });
    }
    if (opened.kind === 'exists') {
      const charge = opened.payment.payment_url ? null : await this.openCharge(opened.payment); // its creator may still be at the gateway
      const payment = charge ? { ...opened.payment, ...charge } : opened.payment;
      // A waiting payment's workflow must be running: one signal-with-start, a no-op when it is (a deleted one restarts).
      if (payment.status === 'menunggu' && payment.workflow_synced_status === 'menunggu') await this.announce(opened.order, payment, charge);
      return { created: false, payment, order: opened.order };
    }
    let charge: ChargeDetails;
    try {
      charge = await this.openCharge(opened.payment);
    } catch (err) {
      await repo.abandonPayment(this.deps.db, opened.payment.id);
      throw err;
    }
    const payment = { ...opened.payment, ...charge };
    await this.announce(opened.order, payment, charge);
    return { created: true, payment, order: opened.order };
  }

  /** Inserts the payment; draws new ids on the (rare) clash of a transaction id or invoice number. */
  private async open(order: OrderRecord, req: PaymentRequest): Promise<repo.OpenPaymentResult> {
    for (let attempt = 1; ; attempt++) {
      const now = new Date();
      try {
        return await repo.openPayment(this.deps.db, {
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
        });
      } catch (err) {
        const clash = repo.isUniqueViolation(err, 'transaction_id') || repo.isUniqueViolation(err, 'nomor_invoice');
        if (!clash || attempt >= ID_ATTEMPTS) throw err;
        this.deps.logger.warn({ pesanan_id: order.id, attempt }, 'payment id or invoice number clashed; drawing new ones');
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
          expires_at: p.expires_at,
        });
        return { gateway_reference: charge.reference, payment_url: charge.payment_url, payment_instructions: charge.instructions };
      } catch (err) {
        if (attempt >= CHARGE_ATTEMPTS) {
          this.deps.logger.warn({ err: String(err), transaction_id: p.transaction_id }, 'the gateway could not open the charge');
          throw new HttpError(502, 'GATEWAY_UNAVAILABLE', 'the payment gateway could not complete the request; try again shortly');
        }
        await sleep(250 * attempt);
      }
    }
  }

  /**
   * Signals-with-start the order's workflow with its payment, then records the
   * charge and that the workflow knows. False when Temporal did not answer: the
   * payment is recorded and charged, and the sweep starts the workflow later.
   */
  private async announce(order: OrderRecord, payment: PaymentRecord, charge: ChargeDetails | null): Promise<boolean> {
    try {
      await this.deps.workflows.signalPayment(this.workflowInput(order, payment), { created: paymentViewOf(payment) });
    } catch (err) {
      if (!(err instanceof WorkflowGoneError)) {
        this.deps.logger.warn({ err: String(err), pesanan_id: order.id }, 'could not start the order workflow; the sweep will');
        if (charge) await repo.recordCharge(this.deps.db, payment.id, charge, null);
        return false;
      }
    }
    if (charge) await repo.recordCharge(this.deps.db, payment.id, charge, 'menunggu');
    return true;
  }

  /**
   * A verified gateway notification with a final status: decided in the
   * database, then told to the workflow (unless it knows already). A failure to
   * tell is left to the sweep: the database holds the decision.
   */
  async notify(payment: PaymentRecord, order: OrderRecord, status: FinalPaymentStatus, gatewayStatus: string): Promise<repo.OutcomeResult> {
    const { config, db } = this.deps;
    const at = new Date();
    const escrow = status === 'berhasil' ? heldEscrow(randomUUID(), payment, order, at, config.escrowAutoReleaseMs) : undefined;
    const result = await repo.decidePayment(db, { payment_id: payment.id, status, gateway_status: gatewayStatus, at: at.toISOString(), escrow });
    if ((result.kind === 'applied' || result.kind === 'duplicate') && result.payment.workflow_synced_status !== result.payment.status) {
      await this.tellOutcome(order, result.payment, result.escrow).catch((err) =>
        this.deps.logger.warn({ err: String(err), pesanan_id: order.id }, 'could not signal the payment outcome; the sweep will'),
      );
    }
    return result;
  }

  /** Tells the order's workflow how its payment was decided; starts it first if it never was. */
  async tellOutcome(order: OrderRecord, payment: PaymentRecord, escrow: EscrowRecord | null): Promise<void> {
    const outcome = paymentOutcomeOf(payment, escrow);
    try {
      if (payment.workflow_synced_status === null) {
        await this.deps.workflows.signalPayment(this.workflowInput(order, payment), { outcome });
      } else {
        await this.deps.workflows.signalOutcome(order.id, outcome);
      }
    } catch (err) {
      if (!(err instanceof WorkflowGoneError)) throw err;
      // closed (or deleted by an operator): nothing is waiting to be told
    }
    await repo.markWorkflowSynced(this.deps.db, payment.id, payment.status);
  }

  /**
   * The sweep: payments whose workflow has not been told their status for
   * longer than `graceMs` (a process died between the database and Temporal)
   * are delivered now. Returns how many were delivered.
   */
  async sweep(graceMs: number, limit = 100, now = new Date()): Promise<number> {
    const { db, logger } = this.deps;
    const stranded = await repo.findUnsyncedPayments(db, new Date(now.getTime() - graceMs), limit);
    let delivered = 0;
    for (const payment of stranded) {
      const order = await repo.getOrder(db, payment.pesanan_id);
      if (!order || order.workflow_version === 1) continue; // orders on the in-workflow path keep their own books
      try {
        if (payment.status === 'menunggu') {
          const charge = await this.openCharge(payment);
          if (!(await this.announce(order, { ...payment, ...charge }, charge))) continue;
        } else {
          await this.tellOutcome(order, payment, payment.status === 'berhasil' && order.escrow_id ? ((await repo.getEscrow(db, order.escrow_id)) ?? null) : null);
        }
        delivered++;
        logger.info({ pesanan_id: order.id, transaction_id: payment.transaction_id, status: payment.status }, 'sweep: delivered a stranded payment to its workflow');
      } catch (err) {
        logger.warn({ err: String(err), pesanan_id: order.id }, 'sweep: could not deliver a stranded payment; will retry');
      }
    }
    return delivered;
  }
}
