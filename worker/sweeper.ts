import type { Logger } from 'pino';
import type { PaymentPath } from '../api/payment-path';

/**
 * The worker's sweep: every `intervalMs` it delivers payments whose order
 * workflow does not know their status and that nobody has touched for
 * `graceMs` — a process that died between writing the database and signalling
 * Temporal, or Temporal that did not answer. So a payment row is in its
 * workflow (and its expiry timer running) at most graceMs + intervalMs after
 * it was written. Every step it repeats is idempotent; several workers may
 * sweep at once.
 */
export interface Sweeper {
  /** One pass now (tests and start-up); resolves to how many payments were delivered. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

export function startSweeper(payments: PaymentPath, opts: { intervalMs: number; graceMs: number; logger: Logger }): Sweeper {
  let running: Promise<number> | null = null;
  const runOnce = () => {
    running ??= payments
      .sweep(opts.graceMs)
      .catch((err) => {
        opts.logger.warn({ err: String(err) }, 'payment sweep failed; retrying at the next interval');
        return 0;
      })
      .finally(() => (running = null));
    return running;
  };
  const timer = setInterval(() => void runOnce(), opts.intervalMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
