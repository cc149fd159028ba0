import path from 'node:path';
import type { Config } from '../domain/config';
import { createGateway, createLogger, openDatabase, startApi, startWorker } from './compose';
import { fatal } from './run';
import { DevServer, startDevServer } from './temporal-binaries';

export interface AllInOne {
  apiUrl: string;
  devServer: DevServer | null;
  /** Stops the API, the worker, the database and the dev server, in that order. */
  stop(): Promise<void>;
}

/**
 * Everything in this process on the configuration's defaults: `temporal
 * server start-dev` (SQLite under DATA_DIR, Web UI) unless TEMPORAL_ADDRESS is
 * set, the migrations, the worker and the API. `npm start` and `npm run demo`
 * (when no service is running) use it. However the process ends, its dev
 * server ends with it.
 */
export async function startAll(config: Config): Promise<AllInOne> {
  const logger = createLogger(config);
  let devServer: DevServer | null = null;
  if (!config.temporal.address) {
    console.log('Starting the Temporal dev server...');
    devServer = await startDevServer({
      port: config.temporal.port,
      uiPort: config.temporal.uiPort,
      dbFile: path.join(config.dataDir, 'temporal.sqlite'),
      namespace: config.temporal.namespace,
      logFile: path.join(config.dataDir, 'temporal.log'),
    });
  }
  const stopDevServer = () => devServer?.stop() ?? Promise.resolve();
  // an orphaned dev server would hold the Temporal ports for the next start
  const started = devServer;
  process.on('exit', () => {
    if (started && started.process.exitCode === null && started.process.signalCode === null)
      started.process.kill('SIGTERM');
  });
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  const opened: (() => Promise<void>)[] = []; // what to close if a later step fails, newest first
  try {
    const db = await openDatabase(config, logger);
    opened.unshift(() => db.destroy());
    const gateway = createGateway(config, db, logger);
    opened.unshift(async () => gateway.close());
    const worker = await startWorker(config, db, gateway, logger);
    opened.unshift(() => worker.close());
    const api = await startApi(config, db, gateway, logger);
    worker.done.catch((err) => stopDevServer().finally(() => fatal(err)));
    return {
      apiUrl: api.url,
      devServer,
      async stop() {
        gateway.close();
        await api.close();
        await worker.close();
        await db.destroy();
        await stopDevServer();
      },
    };
  } catch (err) {
    for (const close of opened) await close().catch(() => undefined);
    await stopDevServer();
    throw err;
  }
}
