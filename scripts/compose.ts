import { safeError } from '../domain/db-errors';
import http from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import type { Knex } from 'knex';
import pino, { Logger } from 'pino';
import { createApp } from '../api/app';
import { metrics } from '../api/metrics';
import { PaymentPath } from '../api/payment-path';
import { PaymentRelay } from '../api/payment-relay';
import { startUnstartedRefunds } from '../api/refund-path';
import { OrderWorkflows } from '../api/workflow-calls';
import { Config } from '../domain/config';
import { createDb } from '../db/connection';
import { MockGateway } from '../gateway/mock-gateway';
import { createMockGatewayRouter } from '../gateway/router';
import { migrateLatest } from '../migrations';
import { postOpeningJournals } from '../db/ledger';
import { Notifier } from '../worker/notifier';
import { createOrderWorker, ensureReconcileSchedule, ensureSearchAttributes, temporalAddress } from '../worker/worker';

import { StartupError } from './startup-error';

/**
 * Composition: builds the database, gateway, worker and API from the
 * configuration. The entry points (start, api, worker) and the tests use it.
 */
export { StartupError };

export function createLogger(config: Config): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'skillconnect-payments' },
    // Never in logs: secrets, tokens, signatures, account numbers (nothing logs them on purpose; this is the net).
    redact: {
      paths: [
        'signature',
        'nomor_rekening',
        'authorization',
        'token',
        'secret',
        'password',
        'jwtSecret',
        '*.signature',
        '*.nomor_rekening',
        '*.authorization',
        '*.token',
        '*.secret',
        '*.password',
        '*.jwtSecret',
        'req.headers.authorization',
      ],
      censor: '[redacted]',
    },
  });
}

export async function openDatabase(config: Config, logger: Logger): Promise<Knex> {
  const db = await createDb(config.db);
  const applied = await migrateLatest(db);
  if (applied.length) logger.info({ applied }, 'migrations applied');
  const posted = await postOpeningJournals(db);
  if (posted) logger.info({ posted }, 'opening journals posted for the movements made before the books existed');
  return db;
}

export function createGateway(config: Config, db: Knex, logger: Logger): MockGateway {
  return new MockGateway({
    db,
    backendUrl: config.backendUrl,
    secret: config.mock.secret,
    autoSuccess: config.mock.autoSuccess,
    autoSuccessDelayMs: config.mock.autoSuccessDelayMs,
    payoutDelayMs: config.mock.payoutDelayMs,
    checkoutReturnUrl: config.checkoutReturnUrl,
    logger: logger.child({ component: 'mock-gateway' }),
  });
}

export interface RunningApi {
  server: http.Server;
  url: string;
  connection: Connection;
  relay: PaymentRelay;
  close(): Promise<void>;
}

export async function startApi(
  config: Config,
  db: Knex,
  gateway: MockGateway,
  logger: Logger,
  port = config.port,
): Promise<RunningApi> {
  const connection = await Connection.connect({ address: temporalAddress(config) });
  // The API starts workflows with search attributes: make sure they exist even before a worker has run.
  await ensureSearchAttributes(connection, config.temporal.namespace);
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const workflows = new OrderWorkflows(client, config.temporal.taskQueue);
  const apiLogger = logger.child({ component: 'api' });
  // The outbox relay: what a request committed reaches its order workflow off the request path.
  const relay = new PaymentRelay(new PaymentPath({ db, gateway, workflows, config, logger: apiLogger }), {
    intervalMs: config.outbox.relayIntervalMs,
    minAgeMs: 0,
    concurrency: config.outbox.relayConcurrency,
    logger: apiLogger,
  });
  const app = createApp({
    db,
    config,
    logger: apiLogger,
    workflows,
    gateway,
    onPaymentPending: (id) => relay.kick(id),
    temporalHealth: async () => {
      await connection.withDeadline(Date.now() + 3000, () => connection.workflowService.getSystemInfo({}));
    },
    extraRouters: config.isProduction ? [] : [createMockGatewayRouter(gateway)],
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new StartupError(`port ${port} on ${config.host} is already in use: stop what holds it or set PORT`)
          : err,
      ),
    );
    server.listen(port, config.host, () => resolve());
  }).catch(async (err) => {
    await relay.stop();
    await connection.close();
    throw err;
  });
  const actualPort = (server.address() as { port: number }).port;
  return {
    server,
    url: `http://localhost:${actualPort}`,
    connection,
    relay,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await relay.stop();
      await connection.close();
    },
  };
}

let runtimeInstalled = false;
/** The worker's runtime, installed once; the entry points handle signals themselves. */
export function installRuntime(config: Config): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    installWithMetrics(config);
  } catch (err) {
    if (!config.temporalMetricsPort) throw err;
    throw new StartupError(
      `the Temporal SDK metrics exporter could not listen on ${config.temporalMetricsHost}:${config.temporalMetricsPort} (${err instanceof Error ? err.message : String(err)}): set TEMPORAL_METRICS_PORT to a free port, or 0 to turn it off`,
    );
  }
}

function installWithMetrics(config: Config): void {
  Runtime.install({
    logger: new DefaultLogger(config.logLevel === 'silent' ? 'ERROR' : 'WARN'),
    shutdownSignals: [],
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
      // the SDK's own worker metrics (task latencies, slots, failures), scraped at http://HOST:TEMPORAL_METRICS_PORT/metrics
      ...(config.temporalMetricsPort
        ? { metrics: { prometheus: { bindAddress: `${config.temporalMetricsHost}:${config.temporalMetricsPort}` } } }
        : {}),
    },
  });
}

export interface RunningWorker {
  worker: Worker;
  done: Promise<void>;
  /** The backstop: delivers what the API's relay left undelivered for PAYMENT_SWEEP_GRACE. */
  sweep: PaymentRelay;
  /** Delivers the notifications outbox to NOTIFICATION_WEBHOOK_URL. */
  notifier: Notifier;
  close(): Promise<void>;
}

export async function startWorker(
  config: Config,
  db: Knex,
  gateway: MockGateway,
  logger: Logger,
): Promise<RunningWorker> {
  installRuntime(config);
  const address = temporalAddress(config);
  const clientConnection = await Connection.connect({ address });
  await ensureSearchAttributes(clientConnection, config.temporal.namespace).catch(async (err) => {
    await clientConnection.close();
    throw err;
  });
  const connection = await NativeConnection.connect({ address });
  const workerLogger = logger.child({ component: 'worker' });
  const worker = await createOrderWorker({
    config,
    db,
    gateway,
    logger: workerLogger,
    connection,
    onActivityFailure: (activity, type) => metrics.activityFailures.inc({ activity, type }),
  });
  const done = worker.run();
  const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  await ensureReconcileSchedule(client, config);
  // The sweep tells workflows about payments a crashed request (or an API that is not running) left behind.
  const workflows = new OrderWorkflows(client, config.temporal.taskQueue);
  const sweep = new PaymentRelay(new PaymentPath({ db, gateway, workflows, config, logger: workerLogger }), {
    intervalMs: config.outbox.sweepIntervalMs,
    minAgeMs: config.outbox.sweepGraceMs,
    concurrency: 4,
    expireOverdue: true,
    startRefunds: (graceMs) => startUnstartedRefunds({ db, workflows, logger: workerLogger }, graceMs),
    logger: workerLogger,
  });
  // The notifications outbox: events to the other modules, delivered from the worker.
  const notifier = new Notifier(db, {
    url: config.notifications.webhookUrl,
    secret: config.notifications.secret,
    maxAttempts: config.notifications.maxAttempts,
    intervalMs: config.notifications.pollIntervalMs,
    logger: workerLogger.child({ component: 'notifier' }),
    onOutcome: (type, outcome) => metrics.notificationDeliveries.inc({ type, outcome }),
  }).start();
  return {
    worker,
    done,
    sweep,
    notifier,
    async close() {
      await notifier.stop();
      await sweep.stop();
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done.catch((err) => logger.error({ err: safeError(err) }, 'worker stopped with an error'));
      await connection.close();
      await clientConnection.close();
    },
  };
}
