import { ConfigError, Config, loadConfig } from '../domain/config';
import { StartupError } from './compose';
import { isDatabaseError, safeError } from '../domain/db-errors';

/**
 * Shared by the entry points: load the configuration (a bad value stops the
 * process with a message naming the variable) and stop cleanly on SIGINT/SIGTERM.
 */
export function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}

export function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  let firstAt = 0;
  const handler = (signal: string) => {
    if (stopping) {
      // Ctrl-C reaches us twice (from the terminal's process group and relayed by tsx): ignore the echo.
      if (Date.now() - firstAt < 1500) return;
      console.error(`${signal} again: exiting now`);
      process.exit(130);
    }
    stopping = true;
    firstAt = Date.now();
    console.log(`\n${signal} received: shutting down...`);
    const force = setTimeout(() => {
      console.error('shutdown took too long; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    stop().then(
      () => process.exit(0),
      (err) => {
        console.error('shutdown failed:', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}

export function fatal(err: unknown): never {
  // one line for what an operator can act on; a database error by its code (its message carries SQL and values)
  console.error(
    err instanceof ConfigError || err instanceof StartupError || isDatabaseError(err) ? safeError(err) : err,
  );
  process.exit(1);
}
