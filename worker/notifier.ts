import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { signNotification } from '../domain/signature';
import { NotificationRow, claimDue, markDelivered, markFailed } from '../db/notifications';

export interface NotifierOptions {
  /** NOTIFICATION_WEBHOOK_URL; without it events are recorded and never sent */
  url: string | undefined;
  secret: string;
  maxAttempts: number;
  intervalMs: number;
  logger: Logger;
  /** each delivery's outcome (the metrics) */
  onOutcome?: (type: string, outcome: 'delivered' | 'failed' | 'dead') => void;
  timeoutMs?: number;
}

const BATCH = 20;
const CLAIM_MS = 60_000;

/**
 * Delivers the notifications outbox from the worker: every `intervalMs` it
 * claims the events due (per order only the earliest pending one, so each
 * order's events arrive in order), POSTs each as signed JSON, and marks it
 * delivered on a 2xx; anything else is retried with exponential backoff until
 * NOTIFICATION_MAX_ATTEMPTS, then the event is dead (an admin may redeliver it).
 * At least once: a crash after the POST and before the mark sends it again,
 * with the same event id.
 */
export class Notifier {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly db: Knex,
    private readonly opts: NotifierOptions,
  ) {}

  start(): this {
    if (!this.opts.url) {
      this.opts.logger.info('NOTIFICATION_WEBHOOK_URL is not set: notification events are recorded, not delivered');
      return this;
    }
    const loop = () => {
      if (this.stopped) return;
      this.running = this.drain()
        .then(() => undefined)
        .catch((err) =>
          this.opts.logger.warn(
            { err: err instanceof Error ? err.message : String(err) },
            'notification delivery pass failed',
          ),
        )
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.timer = setTimeout(loop, this.opts.intervalMs);
        });
    };
    this.timer = setTimeout(loop, 0);
    return this;
  }

  /** Delivers until nothing is due (an order's next event becomes due when the one before it is delivered). */
  async drain(): Promise<number> {
    if (!this.opts.url) return 0;
    let sent = 0;
    while (!this.stopped) {
      const due = await claimDue(this.db, BATCH, CLAIM_MS);
      if (due.length === 0) break;
      await Promise.all(due.map((n) => this.deliver(n)));
      sent += due.length;
    }
    return sent;
  }

  private async deliver(n: NotificationRow): Promise<void> {
    const body = JSON.stringify(n.body);
    const timestamp = String(Math.floor(Date.now() / 1000));
    let error: string | null = null;
    try {
      const res = await fetch(this.opts.url as string, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-SkillConnect-Event-Id': n.id,
          'X-SkillConnect-Event-Type': n.type,
          'X-SkillConnect-Timestamp': timestamp,
          'X-SkillConnect-Signature': signNotification(body, timestamp, this.opts.secret),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) error = `the receiver answered ${res.status}`;
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      error = `not delivered: ${cause ?? (err instanceof Error ? err.name : 'error')}`;
    }
    if (error === null) {
      await markDelivered(this.db, n.seq);
      this.opts.onOutcome?.(n.type, 'delivered');
      return;
    }
    const dead = await markFailed(this.db, n, error, this.opts.maxAttempts);
    this.opts.onOutcome?.(n.type, dead ? 'dead' : 'failed');
    this.opts.logger[dead ? 'error' : 'warn'](
      { event_id: n.id, type: n.type, attempt: n.attempts + 1, error },
      dead ? 'notification is dead after its last attempt' : 'notification delivery failed; retrying',
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
