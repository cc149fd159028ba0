import { createGateway, createLogger, openDatabase, startWorker } from './compose';
import { configOrExit, fatal, onShutdown } from './run';

/** `npm run worker`: the Temporal worker alone, against TEMPORAL_ADDRESS (default 127.0.0.1:7233). */
async function main() {
  const config = configOrExit();
  const logger = createLogger(config);
  const db = await openDatabase(config, logger);
  const gateway = createGateway(config, db, logger);
  const worker = await startWorker(config, db, gateway, logger);
  onShutdown(async () => {
    gateway.close();
    await worker.close();
    await db.destroy();
  });
  logger.info({ taskQueue: config.temporal.taskQueue }, 'worker running');
  await worker.done;
}

main().catch(fatal);
