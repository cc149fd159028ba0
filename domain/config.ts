import { parseDuration } from './duration';

/**
 * The service's configuration, read from environment variables (the seed's
 * names where it has them), parsed and validated once. A bad value throws a
 * ConfigError naming the variable; the entry points print it and exit.
 */
export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

export interface DbConfig {
  client: 'mysql2' | 'better-sqlite3';
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  /** SQLite file, when client is better-sqlite3 */
  filename?: string;
}

export interface Config {
  nodeEnv: string;
  isProduction: boolean;
  port: number;
  backendUrl: string;
  db: DbConfig;
  temporal: { address?: string; namespace: string; taskQueue: string; uiPort: number; port: number };
  mock: { autoSuccess: boolean; autoWithdrawal: boolean; secret: string; autoSuccessDelayMs: number };
  paymentExpiry: string;
  paymentExpiryMs: number;
  escrowAutoReleaseAfter: string;
  escrowAutoReleaseMs: number;
  dataDir: string;
  logLevel: string;
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  const v = raw.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function duration(env: Env, name: string, fallback: string): [string, number] {
  const raw = str(env, name) ?? fallback;
  try {
    return [raw, parseDuration(raw)];
  } catch (e) {
    throw new ConfigError(name, `must be a duration such as 5s, 30m, 24h or 7d, got "${raw}"`);
  }
}

function url(env: Env, name: string, fallback: string): string {
  const raw = str(env, name) ?? fallback;
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
  } catch {
    throw new ConfigError(name, `must be an http(s) URL, got "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
}

export const DEV_MOCK_SECRET = 'mock-secret';

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const nodeEnv = str(env, 'NODE_ENV') ?? 'development';
  const isProduction = nodeEnv === 'production';
  const port = int(env, 'PORT', 5001, 0, 65535);
  const dataDir = str(env, 'DATA_DIR') ?? `${cwd}/.data`;
  const host = str(env, 'DB_HOST');
  const db: DbConfig = host
    ? {
        client: 'mysql2',
        host,
        port: int(env, 'DB_PORT', 3306, 1, 65535),
        database: str(env, 'DB_NAME') ?? 'skillconnect_payments',
        user: str(env, 'DB_USER') ?? 'root',
        password: env.DB_PASSWORD ?? '',
      }
    : { client: 'better-sqlite3', filename: str(env, 'DB_FILE') ?? `${dataDir}/payments.sqlite` };
  const secret = str(env, 'MOCK_PAYMENT_SECRET');
  if (isProduction && !secret) throw new ConfigError('MOCK_PAYMENT_SECRET', 'must be set when NODE_ENV=production');
  const [paymentExpiry, paymentExpiryMs] = duration(env, 'PAYMENT_EXPIRY', '24h');
  const [escrowAutoReleaseAfter, escrowAutoReleaseMs] = duration(env, 'ESCROW_AUTO_RELEASE_AFTER', '7d');
  return {
    nodeEnv,
    isProduction,
    port,
    backendUrl: url(env, 'BACKEND_URL', `http://localhost:${port}`),
    db,
    temporal: {
      address: str(env, 'TEMPORAL_ADDRESS'),
      namespace: str(env, 'TEMPORAL_NAMESPACE') ?? 'default',
      taskQueue: str(env, 'TEMPORAL_TASK_QUEUE') ?? 'skillconnect-payments',
      port: int(env, 'TEMPORAL_PORT', 7233, 1, 65535),
      uiPort: int(env, 'TEMPORAL_UI_PORT', 8233, 1, 65535),
    },
    mock: {
      autoSuccess: bool(env, 'MOCK_AUTO_SUCCESS', false),
      autoWithdrawal: bool(env, 'MOCK_AUTO_WITHDRAWAL', true),
      secret: secret ?? DEV_MOCK_SECRET,
      autoSuccessDelayMs: int(env, 'MOCK_AUTO_SUCCESS_DELAY_MS', 3000, 0, 3_600_000),
    },
    paymentExpiry,
    paymentExpiryMs,
    escrowAutoReleaseAfter,
    escrowAutoReleaseMs,
    dataDir,
    logLevel: str(env, 'LOG_LEVEL') ?? (nodeEnv === 'test' ? 'silent' : 'info'),
  };
}
