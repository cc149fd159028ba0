import { safeError } from '../domain/db-errors';
import type { Logger } from 'pino';
import type { PaymentPath } from './payment-path';

/**
 * Relays the payments outbox to the order workflows: each payment the API
 * commits is delivered at once (`kick`), a few at a time, off the request
 * path; a poll every `intervalMs` picks up whatever a kick missed (another API
 * instance, a failed delivery, a process that died). The worker runs the same
 * pass with a grace period as its sweep. Every delivery is idempotent, so two
 * relays may overlap.
 */
export interface RelayOptions {
  intervalMs: number;
  /** Only payments untouched for this long (0 for the API's own relay; the sweep's grace for the worker's). */
  minAgeMs: number;
  concurrency: number;
  logger: Logger;
  /**
   * The worker's sweep also expires, in the database, waiting payments whose window closed more than
   * minAgeMs ago, and cancels orders whose window closed that long ago after a failed or cancelled payment.
   */
  expireOverdue?: boolean;
  /** The worker's sweep also starts the workflows of refunds not known to have one, older than minAgeMs (api/refund-path.ts). */
  startRefunds?: (minAgeMs: number) => Promise<number>;
}

export class PaymentRelay {
  private readonly queued = new Set<string>();
  private readonly inFlight = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private polling: Promise<void> | null = null;
  private idle: (() => void)[] = [];
  private stopped = false;

  constructor(
    private readonly payments: PaymentPath,
    private readonly opts: RelayOptions,
  ) {
    this.timer = setInterval(() => void this.poll(), opts.intervalMs);
    this.timer.unref();
  }

  /** A payment was committed that its workflow must learn: deliver it now. */
  kick(paymentId: string): void {
    if (this.stopped) return;
    this.queued.add(paymentId);
    this.pump();
  }

  /** Looks for payments owed to their workflows (what a kick missed) and queues them. */
  poll(): Promise<void> {
    this.polling ??= (
      this.opts.expireOverdue
        ? this.payments
            .expireOverdue(this.opts.minAgeMs)
            .then(() => this.payments.closeOverdueWindows(this.opts.minAgeMs))
        : Promise.resolve(0)
    )
      .then(() => this.opts.startRefunds?.(this.opts.minAgeMs))
      .then(() => this.payments.pending(this.opts.minAgeMs, 500))
      .then((ids) => ids.forEach((id) => this.kick(id)))
      .catch((err) => this.opts.logger.warn({ err: safeError(err) }, 'payment relay: polling the outbox failed'))
      .finally(() => (this.polling = null));
    return this.polling;
  }

  /** Resolves when nothing is queued or being delivered. */
  drained(): Promise<void> {
    if (this.queued.size === 0 && this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.queued.clear();
    await this.polling;
    await this.drained();
  }

  private pump(): void {
    for (const id of [...this.queued]) {
      if (this.inFlight.size >= this.opts.concurrency) return;
      if (this.inFlight.has(id)) continue; // kicked again while being delivered: goes again afterwards, reading the row afresh
      this.queued.delete(id);
      this.inFlight.add(id);
      this.payments
        .deliver(id)
        .catch((err) =>
          this.opts.logger.warn(
            { err: safeError(err), payment_id: id },
            'payment relay: delivery failed; the next poll retries',
          ),
        )
        .finally(() => {
          this.inFlight.delete(id);
          this.pump();
          if (this.queued.size === 0 && this.inFlight.size === 0) this.idle.splice(0).forEach((r) => r());
        });
    }
  }
}
