import type { Config } from '../domain/config';
import { startAll } from './all-in-one';
import { configOrExit, fatal, onShutdown } from './run';
import type { DevServer } from './temporal-binaries';

/**
 * `npm start`: everything on embedded defaults. Starts `temporal server
 * start-dev` (SQLite under .data/, Web UI, search attributes registered)
 * unless TEMPORAL_ADDRESS is set, runs the migrations, then the worker and
 * the API in this process. Ctrl-C stops all of it.
 */
async function main() {
  const config = configOrExit();
  const all = await startAll(config);
  onShutdown(all.stop);
  printBanner(config, all.apiUrl, all.devServer);
}

function printBanner(config: Config, apiUrl: string, devServer: DevServer | null) {
  const where =
    config.db.client === 'mysql2'
      ? `MySQL ${config.db.host}:${config.db.port}/${config.db.database}`
      : `SQLite ${config.db.filename}`;
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
