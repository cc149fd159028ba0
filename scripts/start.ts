import path from 'node:path';
import { createGateway, createLogger, openDatabase, startApi, startWorker } from './compose';
import type { Config } from '../domain/config';
import { configOrExit, fatal, onShutdown } from './run';
import { DevServer, startDevServer } from './temporal-binaries';

/**
 * `npm start`: everything on embedded defaults. Starts `temporal server
 * start-dev` (SQLite under .data/, Web UI, search attributes registered)
 * unless TEMPORAL_ADDRESS is set, runs the migrations, then the worker and
 * the API in this process. Ctrl-C stops all of it.
 */
async function main() {
  const config = configOrExit();
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
  // However this process ends (an error nothing caught included), its dev server ends with it:
  // an orphaned one would hold the Temporal ports for the next start.
  const started = devServer;
  process.on('exit', () => {
    if (started && started.process.exitCode === null && started.process.signalCode === null) started.process.kill('SIGTERM');
  });
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  try {
    const db = await openDatabase(config, logger);
    const gateway = createGateway(config, db, logger);
    const worker = await startWorker(config, db, gateway, logger);
    const api = await startApi(config, db, gateway, logger);
    onShutdown(async () => {
      gateway.close();
      await api.close();
      await worker.close();
      await db.destroy();
      await stopDevServer();
    });
    worker.done.catch((err) => stopDevServer().finally(() => fatal(err)));
    printBanner(config, api.url, devServer);
  } catch (err) {
    await stopDevServer();
    throw err;
  }
}

function printBanner(config: Config, apiUrl: string, devServer: DevServer | null) {
  const where = config.db.client === 'mysql2' ? `MySQL ${config.db.host}:${config.db.port}/${config.db.database}` : `SQLite ${config.db.filename}`;
  console.log(`
SkillConnect Payments is running
  API:              ${apiUrl}   (health: ${apiUrl}/health)
  Temporal Web UI:  ${devServer?.uiUrl ?? `(external cluster at ${config.temporal.address})`}
  Temporal:         ${devServer?.address ?? config.temporal.address}  namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue}
  Database:         ${where}
  Mock gateway:     ${config.isProduction ? 'off (production)' : `on; auto-success ${config.mock.autoSuccess}, auto-withdrawal ${config.mock.autoWithdrawal}`}
Press Ctrl-C to stop.`);
}

main().catch(fatal);
