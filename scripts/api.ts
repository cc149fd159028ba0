import { createGateway, createLogger, openDatabase, startApi } from './compose';
import { configOrExit, fatal, onShutdown } from './run';

/** `npm run api`: the HTTP API alone, against TEMPORAL_ADDRESS (default 127.0.0.1:7233). */
async function main() {
  const config = configOrExit();
  const logger = createLogger(config);
  const db = await openDatabase(config, logger);
  // The API opens charges; outside production the mock gateway's pages and triggers are mounted too.
  const gateway = createGateway(config, db, logger);
  const api = await startApi(config, db, gateway, logger);
  onShutdown(async () => {
    gateway.close();
    await api.close();
    await db.destroy();
  });
  logger.info({ url: api.url }, 'API listening');
}

main().catch(fatal);
