import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { metrics } from './metrics';
import express, { RequestHandler, Router } from 'express';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Config } from '../domain/config';
import type { PaymentGateway } from '../gateway/port';
import { authenticate } from './auth';
import { HttpError, asyncHandler, errorMiddleware, methodNotAllowed, sendError } from './errors';
import { allowedMethods } from './allowed-methods';
import { MOCK_TRIGGER_PATHS } from './openapi/dev-routes';
import { routeDocs } from './openapi/routes';
import { StorageWatch, databaseHealth } from './health';
import { PaymentPath } from './payment-path';
import { adminRouter } from './routes/admin';
import { contradictionsRouter } from './routes/contradictions';
import { disputesRouter } from './routes/disputes';
import { refundsRouter } from './routes/refunds';
import { notificationsRouter } from './routes/notifications';
import { docsRouter } from './routes/docs';
import { RouteDeps } from './routes/context';
import { payoutWebhookRouter } from './routes/payout-webhook';
import { escrowRouter } from './routes/escrow';
import { ordersRouter } from './routes/orders';
import { paymentReadRouter, paymentsRouter } from './routes/payments';
import { webhooksRouter } from './routes/webhooks';
import { withdrawalsRouter } from './routes/withdrawals';
import { mockTriggerRequest, parse, schemas } from './schemas';
import { corsFor, httpsOnly, securityHeaders } from './security';
import { OrderWorkflows } from './workflow-calls';

export interface AppDeps {
  db: Knex;
  workflows: OrderWorkflows;
  /** Opens charges (the mock gateway in development; the same port for a real one). */
  gateway: PaymentGateway;
  config: Config;
  logger: Logger;
  /** Resolves when Temporal answers. */
  temporalHealth: () => Promise<void>;
  /** Routers mounted without authentication (the mock gateway's, outside production). */
  extraRouters?: Router[];
  /** Nudged after each commit that an order workflow must learn (the payments outbox relay). */
  onPaymentPending?: (paymentId: string) => void;
}

/** The Express app: security middleware, health, then one router per resource. */
export function createApp(deps: AppDeps): express.Express {
  const { db, workflows, config, logger } = deps;
  const routes: RouteDeps = {
    db,
    workflows,
    config,
    logger,
    gateway: deps.gateway,
    payments: new PaymentPath({
      db,
      gateway: deps.gateway,
      workflows,
      config,
      logger,
      onPending: deps.onPaymentPending,
    }),
    v: schemas(config.amountLimits),
    auth: authenticate(config.auth.jwtSecret),
  };
  const app = express();
  app.disable('x-powered-by');
  // TRUST_PROXY: the TLS-terminating proxy's hops; its X-Forwarded-For/-Proto then give req.ip (rate limits) and req.secure
  app.set('trust proxy', config.trustProxy);
  app.use(requestIds(logger));
  app.use(metrics.requestTimer());
  metrics.watch(db);
  app.use(securityHeaders());
  // after the headers and the timer: a refusal is timed and carries them too
  if (config.isProduction) app.use(httpsOnly());
  app.use(corsFor(config.corsOrigins));

  // the methods each path takes (the routes the document lists; the mock gateway's when its router is mounted):
  // OPTIONS answers them, and a method a path does not take is a 405 with them in `Allow`
  const allowed = allowedMethods(
    routeDocs(routes.v, { development: !config.isProduction && Boolean(deps.extraRouters?.length) }),
  );
  app.use((req, res, next) => {
    if (req.method !== 'OPTIONS') return next();
    const allow = allowed(req.path);
    if (!allow.length) return next(); // no such route: 404
    res.set('Allow', allow.join(', ')).status(204).end();
  });

  // what requests saw of the database's storage (a full disk): the write probe cannot see it
  const storage = new StorageWatch();
  app.get(
    '/health',
    asyncHandler(async (_req, res) => {
      const [database, temporal] = await Promise.all([
        databaseHealth(db, storage),
        deps.temporalHealth().then(
          () => 'ok' as const,
          () => 'unavailable' as const,
        ),
      ]);
      const healthy = database.database === 'ok' && database.database_writes === 'ok' && temporal === 'ok';
      res.status(healthy ? 200 : 503).json({
        success: healthy,
        message: healthy ? 'healthy' : 'unhealthy',
        data: { ...database, temporal },
      });
    }),
  );

  // Prometheus metrics: open in development; in production only with METRICS_TOKEN as a bearer token
  // (unset: not served at all). The Temporal SDK's worker metrics are on TEMPORAL_METRICS_PORT.
  app.get(
    '/metrics',
    asyncHandler(async (req, res) => {
      if (config.isProduction) {
        const given = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
        if (!config.metricsToken) throw new HttpError(404, 'NOT_FOUND', 'no such route');
        if (!given || !sameToken(given, config.metricsToken))
          throw new HttpError(401, 'UNAUTHORIZED', 'a valid metrics token is required');
      }
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    }),
  );

  app.use(docsRouter(routes)); // GET /openapi.json and GET /docs
  // The webhook reads its raw body: mounted before the JSON parser.
  app.use(webhooksRouter(routes));
  app.use(payoutWebhookRouter(routes));
  app.use(express.json({ limit: '100kb' }));
  app.use(express.urlencoded({ extended: false, limit: '100kb' }));
  // The mock gateway's pages and triggers act as the gateway, not as a user. Its trigger bodies are checked here
  // first: the same rules as every other body (gateway/router.ts skips the control-character rule for `reason`).
  if (deps.extraRouters?.length)
    app.post(MOCK_TRIGGER_PATHS, (req, _res, next) => {
      parse(mockTriggerRequest, req.body ?? {});
      next();
    });
  for (const router of deps.extraRouters ?? []) app.use(router);

  app.use(ordersRouter(routes));
  app.use(paymentsRouter(routes));
  app.use(escrowRouter(routes));
  app.use(withdrawalsRouter(routes));
  app.use(adminRouter(routes));
  app.use(contradictionsRouter(routes));
  app.use(disputesRouter(routes));
  app.use(refundsRouter(routes));
  app.use(notificationsRouter(routes));
  app.use(paymentReadRouter(routes)); // /api/payments/:id after the fixed /api/payments/* routes

  app.use((req, res) => {
    const allow = allowed(req.path);
    if (allow.length && !allow.includes(req.method)) {
      res.set('Allow', allow.join(', '));
      return sendError(res, methodNotAllowed(req.method, allow));
    }
    sendError(res, new HttpError(404, 'NOT_FOUND', 'no such route'));
  });
  app.use(errorMiddleware(logger, (why) => storage.saw(why)));
  return app;
}

/** Constant-time comparison of two tokens (of any length). */
function sameToken(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;

/**
 * X-Request-Id on every response: the caller's when well-formed, otherwise a
 * new one; logged with the request's outcome and written into its audit rows.
 */
function requestIds(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const id = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.requestId = id;
    res.set('X-Request-Id', id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      logger.info(
        {
          request_id: id,
          method: req.method,
          path: req.path,
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        },
        'request',
      );
    });
    next();
  };
}
