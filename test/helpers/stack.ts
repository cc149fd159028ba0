import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { Config, loadConfig } from '../../domain/config';
import { createDb } from '../../db/connection';
import { reconcile } from '../../db/reconcile';
import { migrateLatest } from '../../migrations';
import { MockGateway } from '../../gateway/mock-gateway';
import { RunningApi, RunningWorker, createGateway, createLogger, startApi, startWorker } from '../../scripts/compose';
import { DevServer, freePort, startDevServer } from '../../scripts/temporal-binaries';
import { openApiDocument } from '../../api/openapi';
import { schemas } from '../../api/schemas';
import { ResponseRecorder } from './openapi-recorder';

/*
 * jest.config.js's `sqlite` project (JEST_SQLITE_PROJECT=1, bash .ci/run) runs
 * the database suites a second time, on SQLite, in the same jest run as the
 * MySQL ones: it sets this global, and DB_HOST goes from the suite's
 * process.env (jest gives every suite its own copy).
 */
if ((globalThis as { SKILLCONNECT_TEST_DB?: string }).SKILLCONNECT_TEST_DB === 'sqlite') delete process.env.DB_HOST;

/**
 * The whole service for API tests: a real Temporal dev server (in memory, on
 * a free port), the real database (MySQL when DB_HOST is set, otherwise a
 * fresh SQLite file), migrations, the worker and the API on a free port.
 */
export interface Stack {
  config: Config;
  db: Knex;
  gateway: MockGateway;
  temporal: DevServer;
  worker: RunningWorker;
  api: RunningApi;
  url: string;
  /** Resolves once every committed payment has reached its workflow (the outbox relay works off the request path). */
  outboxDrained(timeoutMs?: number): Promise<void>;
  /** Every response the API sent, checked against the OpenAPI document (null when the stack was started without it). */
  responses: ResponseRecorder | null;
  stop(): Promise<void>;
}

/**
 * The MySQL database of this jest worker: DB_NAME (default skillconnect_test)
 * for the first worker (and for --runInBand), DB_NAME_w<N> for worker N > 1,
 * so suites running side by side (jest --maxWorkers=2) never drop each
 * other's database.
 */
function workerDbName(): string {
  const base = process.env.DB_NAME ?? 'skillconnect_test';
  const worker = Number(process.env.JEST_WORKER_ID ?? '1');
  return worker > 1 ? `${base}_w${worker}` : base;
}

export function testEnv(overrides: Record<string, string> = {}): Record<string, string | undefined> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skillconnect-test-'));
  // no temporary folders left behind: removed when the test process ends
  process.once('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
  return {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    PORT: '0',
    DB_NAME: process.env.DB_HOST ? workerDbName() : undefined,
    DB_FILE: path.join(tmp, 'payments.sqlite'),
    DATA_DIR: tmp,
    TEMPORAL_TASK_QUEUE: `api-test-${process.pid}-${Date.now()}`,
    // suites send many requests from few users; the rate-limit test sets its own limits
    RATE_LIMIT_PAYMENTS_PER_MINUTE: '100000',
    RATE_LIMIT_WEBHOOKS_PER_MINUTE: '100000',
    RATE_LIMIT_ORDERS_PER_MINUTE: '100000',
    RATE_LIMIT_LIFECYCLE_PER_MINUTE: '100000',
    // no SDK metrics exporter (one runtime per process; suites run side by side)
    TEMPORAL_METRICS_PORT: '0',
    // the mock bank completes payouts quickly in tests
    MOCK_PAYOUT_DELAY_MS: '200',
    ...overrides,
  };
}

/** An empty database at the latest schema: the suite's MySQL database is dropped and made again (SQLite files are new per suite). */
export async function freshDb(config: Config): Promise<Knex> {
  if (config.db.client === 'mysql2') {
    const db = await createDb(config.db);
    await db.raw('DROP DATABASE IF EXISTS ??', [config.db.database as string]);
    await db.destroy();
  }
  const db = await createDb(config.db);
  await migrateLatest(db);
  return db;
}

/**
 * A dev server on a free port. The server also binds ports next to its own for
 * its internal services, which another socket may hold by chance: a server that
 * exits at once is retried on another port.
 */
async function startTestDevServer(): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevServer({ port: await freePort(), headless: true });
    } catch (err) {
      if (attempt >= 4 || !/exited early|already in use/.test(String(err))) throw err;
    }
  }
}

/**
 * `checkResponses` (default on): every response the API sends is checked
 * against GET /openapi.json's schema for its route and status, and stop()
 * fails the suite with the mismatches.
 */
export async function startStack(
  overrides: Record<string, string> = {},
  o: { checkResponses?: boolean } = {},
): Promise<Stack> {
  const temporal = await startTestDevServer();
  const config = loadConfig(testEnv({ TEMPORAL_ADDRESS: temporal.address, ...overrides }));
  const logger = createLogger(config);
  const db = await freshDb(config);
  const gateway = createGateway(config, db, logger);
  const worker = await startWorker(config, db, gateway, logger);
  const api = await startApi(config, db, gateway, logger, 0);
  gateway.setBackendUrl(api.url);
  const responses =
    o.checkResponses === false
      ? null
      : new ResponseRecorder(openApiDocument(schemas(config.amountLimits), { development: !config.isProduction }));
  responses?.attach(api.server);
  return {
    responses,
    config,
    db,
    gateway,
    temporal,
    worker,
    api,
    url: api.url,
    async outboxDrained(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [{ n }] = await db('pembayaran').where({ workflow_pending: 1 }).count({ n: '*' });
        if (Number(n) === 0) return;
        if (Date.now() > deadline) throw new Error(`${n} payment(s) still not delivered to their workflows`);
        await api.relay.poll();
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    /** Stops everything; first reconciles the books: a suite that leaves a difference fails, naming it. */
    async stop() {
      gateway.close();
      await api.close();
      await worker.close();
      const report = await reconcile(db).catch((err) => ({
        differences: [{ check: 'reconcile', record_id: '-', detail: String(err) }],
      }));
      await db.destroy();
      // the dev server is in memory and nothing is left to drain: killed at once
      // (its graceful SIGTERM shutdown takes over a second, for every suite)
      if (temporal.process.exitCode === null && temporal.process.signalCode === null) temporal.process.kill('SIGKILL');
      await temporal.stop();
      const problems: string[] = [];
      if (report.differences.length) {
        problems.push(
          `the books do not reconcile after this suite:\n${report.differences.map((d) => `  [${d.check}] ${d.record_id}: ${d.detail}`).join('\n')}`,
        );
      }
      const mismatches = responses?.report() ?? [];
      if (mismatches.length)
        problems.push(
          `responses that do not match the OpenAPI document (api/openapi/):\n${mismatches.map((m) => `  ${m}`).join('\n')}`,
        );
      if (problems.length) throw new Error(problems.join('\n'));
    },
  };
}

export function dbLabel(): string {
  return process.env.DB_HOST ? `MySQL ${process.env.DB_HOST}` : 'SQLite';
}
