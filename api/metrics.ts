import type { Request, RequestHandler } from 'express';
import type { Knex } from 'knex';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { countByStatus } from '../db/notifications';
import { countOpenContradictions } from '../db/payout-truth';

/**
 * The service's Prometheus metrics, one registry per process (the API serves
 * it at GET /metrics; with `npm start` the worker shares the process, so its
 * activity failures show there too). The Temporal SDK's own worker metrics
 * are exported separately by the SDK runtime on TEMPORAL_METRICS_PORT.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'skillconnect_http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly webhookOutcomes = new Counter({
    name: 'skillconnect_webhook_outcomes_total',
    help: 'Gateway notifications by webhook (payment, payout) and outcome (processed:<status>, late, or the refusal code)',
    labelNames: ['webhook', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly paymentsCreated = new Counter({
    name: 'skillconnect_payments_created_total',
    help: 'Payments opened, by method',
    labelNames: ['method'] as const,
    registers: [this.registry],
  });
  readonly paymentsSettled = new Counter({
    name: 'skillconnect_payments_settled_total',
    help: 'Payments settled (applied once), by method',
    labelNames: ['method'] as const,
    registers: [this.registry],
  });
  readonly activityFailures = new Counter({
    name: 'skillconnect_activity_failures_total',
    help: 'Activity attempts that failed, by activity and failure type (each is retried unless non-retryable)',
    labelNames: ['activity', 'type'] as const,
    registers: [this.registry],
  });
  readonly notificationDeliveries = new Counter({
    name: 'skillconnect_notification_deliveries_total',
    help: 'Notification delivery attempts to NOTIFICATION_WEBHOOK_URL, by event type and outcome (delivered, failed, dead)',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });
  private db: Knex | null = null;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'skillconnect_' });
    const watched = () => this.db;
    new Gauge({
      name: 'skillconnect_escrow_held_rupiah',
      help: 'Money held in escrow now (held and disputed escrows), in rupiah',
      registers: [this.registry],
      async collect() {
        const db = watched();
        if (!db) return;
        // a scrape during a database outage still answers (the other metrics say what is wrong); the gauge keeps its last value
        const row = await db('escrow')
          .whereIn('status', ['held', 'disputed'])
          .sum({ held: 'jumlah_ditahan' })
          .first()
          .catch(() => null);
        if (row) this.set(Number(row.held ?? 0));
      },
    });
    new Gauge({
      name: 'skillconnect_notifications',
      help: 'Notification events by delivery status now (pending, delivered, dead)',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        const db = watched();
        if (!db) return;
        const counts = await countByStatus(db).catch(() => null);
        if (counts) for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
      },
    });
    new Gauge({
      name: 'skillconnect_payout_contradictions_open',
      help: 'Payouts whose gateway record contradicts the outcome recorded, not yet resolved by an admin (each freezes its escrow or refund); alert on > 0',
      registers: [this.registry],
      async collect() {
        const db = watched();
        if (!db) return;
        const open = await countOpenContradictions(db).catch(() => null);
        if (open !== null) this.set(open);
      },
    });
  }

  /** The database the escrow gauge reads at each scrape. */
  watch(db: Knex): void {
    this.db = db;
  }

  /** Times every request by its route template (`/api/orders/:id`), never by its raw path (ids would explode the labels). */
  requestTimer(): RequestHandler {
    return (req, res, next) => {
      const end = this.httpDuration.startTimer();
      res.on('finish', () => end({ method: req.method, route: routeOf(req), status: String(res.statusCode) }));
      next();
    };
  }
}

function routeOf(req: Request): string {
  const route = (req as Request & { route?: { path?: unknown } }).route?.path;
  return typeof route === 'string' ? route : 'unmatched';
}

/** One registry per process: the API and, with `npm start`, the worker in the same process share it. */
export const metrics = new Metrics();
