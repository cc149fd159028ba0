import { isIP } from 'node:net';
import { parseDuration } from './duration';
import { AmountLimits, DEFAULT_AMOUNT_LIMITS, PAYMENT_METHODS } from './methods';

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
  /** the interface the API listens on */
  host: string;
  /** GET /metrics: open in development; in production only with this bearer token (unset: not served) */
  metricsToken: string | undefined;
  /** the Temporal SDK's Prometheus exporter (worker metrics) on this address and port; port 0 turns it off */
  temporalMetricsPort: number;
  temporalMetricsHost: string;
  backendUrl: string;
  /** Where the checkout page's result pages link back to (the marketplace's order page). */
  checkoutReturnUrl: string;
  /**
   * Express's `trust proxy`: false (no proxy, the default), a number of hops, or
   * addresses/subnets (loopback, uniquelocal, 10.0.0.0/8, ...). Production refuses
   * requests that did not arrive over HTTPS as the trusted proxy reports it.
   */
  trustProxy: boolean | number | string[];
  /** Events to the other modules: recorded always, delivered when `webhookUrl` is set. */
  notifications: { webhookUrl: string | undefined; secret: string; maxAttempts: number; pollIntervalMs: number };
  db: DbConfig;
  temporal: { address?: string; namespace: string; taskQueue: string; uiPort: number; port: number };
  mock: {
    autoSuccess: boolean;
    autoWithdrawal: boolean;
    secret: string;
    autoSuccessDelayMs: number;
    payoutDelayMs: number;
  };
  /** Payouts: temporary failures retried up to maxAttempts; the gateway asked for the status when no notification came within statusCheckAfter. */
  payout: { maxAttempts: number; statusCheckAfter: string };
  paymentExpiry: string;
  paymentExpiryMs: number;
  escrowAutoReleaseAfter: string;
  escrowAutoReleaseMs: number;
  dataDir: string;
  logLevel: string;
  auth: { jwtSecret: string };
  amountLimits: AmountLimits;
  rateLimits: {
    paymentsPerMinute: number;
    webhooksPerMinute: number;
    ordersPerMinute: number;
    lifecyclePerMinute: number;
  };
  corsOrigins: string[];
  webhookToleranceSeconds: number;
  /**
   * The payments outbox: the API's relay tells order workflows what was
   * committed (at once, and by polling every relayIntervalMs); the worker's
   * sweep delivers what stayed undelivered for sweepGraceMs, every sweepIntervalMs.
   */
  outbox: { relayIntervalMs: number; relayConcurrency: number; sweepIntervalMs: number; sweepGraceMs: number };
  worker: { maxCachedWorkflows: number; maxConcurrentWorkflowTasks: number; workflowTaskPollers: number };
  /** How often the worker's Temporal Schedule reconciles the books. */
  reconcileEvery: string;
  reconcileEveryMs: number;
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
export const DEV_NOTIFICATION_SECRET = 'development-only-notification-secret';
const DEVELOPMENT_ENVS = ['development', 'test'];
/** Used outside production only, so a fresh clone runs without setup; production refuses to start without its own. */
export const DEV_JWT_SECRET = 'development-only-jwt-secret-never-use-in-production';
export const MIN_SECRET_BYTES = 32;

/** A secret: in production it must be set and at least 32 bytes; elsewhere a development default stands in. */
function secretVar(env: Env, name: string, isProduction: boolean, devDefault: string): string {
  const value = str(env, name);
  if (isProduction) {
    if (!value) throw new ConfigError(name, 'must be set when NODE_ENV=production');
    if (Buffer.byteLength(value, 'utf8') < MIN_SECRET_BYTES) {
      throw new ConfigError(name, `must be at least ${MIN_SECRET_BYTES} bytes when NODE_ENV=production`);
    }
    if (value === devDefault)
      throw new ConfigError(name, 'must not be the development default when NODE_ENV=production');
  }
  return value ?? devDefault;
}

/** The SDK's exporter binds an IP address (the runtime refuses host names). */
function ipv4(env: Env, name: string, fallback: string): string {
  const raw = str(env, name) ?? fallback;
  if (!/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(raw))
    throw new ConfigError(name, `must be an IPv4 address such as 127.0.0.1 or 0.0.0.0, got "${raw}"`);
  return raw;
}

/** In production the metrics token, when set, is a secret like the others. */
function metricsToken(env: Env, isProduction: boolean): string | undefined {
  const value = str(env, 'METRICS_TOKEN');
  if (value && isProduction && Buffer.byteLength(value, 'utf8') < MIN_SECRET_BYTES)
    throw new ConfigError('METRICS_TOKEN', `must be at least ${MIN_SECRET_BYTES} bytes when NODE_ENV=production`);
  return value;
}

/** An address, a subnet (address/prefix) or one of Express's names, as `trust proxy` accepts them. */
function isProxyAddress(e: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(e)) return true;
  const [address, prefix, extra] = e.split('/');
  const family = isIP(address);
  if (!family || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** TRUST_PROXY: a hop count, or a comma-separated list of addresses, subnets and Express's names (loopback, linklocal, uniquelocal). */
function trustProxy(env: Env): boolean | number | string[] {
  const raw = str(env, 'TRUST_PROXY');
  if (raw === undefined || raw.toLowerCase() === 'false') return false;
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    if (n < 1 || n > 10)
      throw new ConfigError('TRUST_PROXY', `must be a hop count between 1 and 10, or addresses, got "${raw}"`);
    return n;
  }
  const entries = raw.split(',').map((e) => e.trim());
  for (const e of entries) {
    if (!isProxyAddress(e))
      throw new ConfigError(
        'TRUST_PROXY',
        `must be a hop count or comma-separated addresses/subnets such as 10.0.0.0/8 or loopback, got "${e}"`,
      );
  }
  return entries;
}

function origins(env: Env, name: string): string[] {
  const raw = str(env, name);
  if (!raw) return [];
  return raw.split(',').map((o) => {
    const origin = o.trim().replace(/\/+$/, '');
    try {
      const u = new URL(origin);
      if (u.origin !== origin) throw new Error('not an origin');
    } catch {
      throw new ConfigError(
        name,
        `must be a comma-separated list of origins such as https://app.example.com, got "${o.trim()}"`,
      );
    }
    return origin;
  });
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const nodeEnv = str(env, 'NODE_ENV') ?? 'development';
  // Fail closed: only development and test get development defaults; any other NODE_ENV is treated as production.
  const isProduction = !DEVELOPMENT_ENVS.includes(nodeEnv);
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
  const secret = secretVar(env, 'MOCK_PAYMENT_SECRET', isProduction, DEV_MOCK_SECRET);
  const jwtSecret = secretVar(env, 'JWT_SECRET', isProduction, DEV_JWT_SECRET);
  const autoSuccess = bool(env, 'MOCK_AUTO_SUCCESS', false);
  if (isProduction && autoSuccess)
    throw new ConfigError(
      'MOCK_AUTO_SUCCESS',
      'must not be true when NODE_ENV is not development or test (it would settle payments nobody paid)',
    );
  const maxAmount = 1_000_000_000_000;
  const amountLimits: AmountLimits = {
    min: int(env, 'AMOUNT_MIN', DEFAULT_AMOUNT_LIMITS.min, 1, maxAmount),
    max: { ...DEFAULT_AMOUNT_LIMITS.max },
  };
  for (const method of PAYMENT_METHODS) {
    const name = `AMOUNT_MAX_${method.toUpperCase()}`;
    amountLimits.max[method] = int(env, name, DEFAULT_AMOUNT_LIMITS.max[method], amountLimits.min, maxAmount);
  }
  const [paymentExpiry, paymentExpiryMs] = duration(env, 'PAYMENT_EXPIRY', '24h');
  const [escrowAutoReleaseAfter, escrowAutoReleaseMs] = duration(env, 'ESCROW_AUTO_RELEASE_AFTER', '7d');
  const [reconcileEvery, reconcileEveryMs] = duration(env, 'RECONCILE_EVERY', '1h');
  return {
    nodeEnv,
    isProduction,
    port,
    // development binds to loopback only (the mock routes are open and its secrets are public); containers need 0.0.0.0
    host: str(env, 'HOST') ?? (isProduction ? '0.0.0.0' : '127.0.0.1'),
    metricsToken: metricsToken(env, isProduction),
    temporalMetricsPort: int(env, 'TEMPORAL_METRICS_PORT', 9464, 0, 65535),
    temporalMetricsHost: ipv4(env, 'TEMPORAL_METRICS_HOST', isProduction ? '0.0.0.0' : '127.0.0.1'),
    backendUrl: url(env, 'BACKEND_URL', `http://localhost:${port}`),
    checkoutReturnUrl: url(env, 'CHECKOUT_RETURN_URL', 'http://localhost:3000/orders'),
    trustProxy: trustProxy(env),
    notifications: {
      webhookUrl:
        str(env, 'NOTIFICATION_WEBHOOK_URL') === undefined ? undefined : url(env, 'NOTIFICATION_WEBHOOK_URL', ''),
      // signs deliveries; a secret like the others in production when deliveries are on
      secret:
        str(env, 'NOTIFICATION_WEBHOOK_URL') === undefined
          ? (str(env, 'NOTIFICATION_SECRET') ?? DEV_NOTIFICATION_SECRET)
          : secretVar(env, 'NOTIFICATION_SECRET', isProduction, DEV_NOTIFICATION_SECRET),
      maxAttempts: int(env, 'NOTIFICATION_MAX_ATTEMPTS', 10, 1, 100),
      pollIntervalMs: duration(env, 'NOTIFICATION_POLL_INTERVAL', '1s')[1],
    },
    db,
    temporal: {
      address: str(env, 'TEMPORAL_ADDRESS'),
      namespace: str(env, 'TEMPORAL_NAMESPACE') ?? 'default',
      taskQueue: str(env, 'TEMPORAL_TASK_QUEUE') ?? 'skillconnect-payments',
      port: int(env, 'TEMPORAL_PORT', 7233, 1, 65535),
      uiPort: int(env, 'TEMPORAL_UI_PORT', 8233, 1, 65535),
    },
    mock: {
      autoSuccess,
      // paying out without approval is the development default only
      autoWithdrawal: bool(env, 'MOCK_AUTO_WITHDRAWAL', !isProduction),
      secret,
      autoSuccessDelayMs: int(env, 'MOCK_AUTO_SUCCESS_DELAY_MS', 3000, 0, 3_600_000),
      // how long the mock bank takes to complete a payout before it sends the payout notification
      payoutDelayMs: int(env, 'MOCK_PAYOUT_DELAY_MS', 1500, 0, 3_600_000),
    },
    payout: {
      maxAttempts: int(env, 'PAYOUT_MAX_ATTEMPTS', 8, 1, 100),
      statusCheckAfter: duration(env, 'PAYOUT_STATUS_CHECK_AFTER', '1m')[0],
    },
    paymentExpiry,
    paymentExpiryMs,
    escrowAutoReleaseAfter,
    escrowAutoReleaseMs,
    dataDir,
    logLevel: str(env, 'LOG_LEVEL') ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    auth: { jwtSecret },
    amountLimits,
    rateLimits: {
      paymentsPerMinute: int(env, 'RATE_LIMIT_PAYMENTS_PER_MINUTE', 20, 1, 1_000_000),
      webhooksPerMinute: int(env, 'RATE_LIMIT_WEBHOOKS_PER_MINUTE', 600, 1, 1_000_000),
      ordersPerMinute: int(env, 'RATE_LIMIT_ORDERS_PER_MINUTE', 30, 1, 1_000_000),
      lifecyclePerMinute: int(env, 'RATE_LIMIT_LIFECYCLE_PER_MINUTE', 120, 1, 1_000_000),
    },
    corsOrigins: origins(env, 'CORS_ORIGINS'),
    webhookToleranceSeconds: int(env, 'WEBHOOK_TOLERANCE_SECONDS', 300, 1, 86_400),
    outbox: {
      relayIntervalMs: duration(env, 'PAYMENT_RELAY_INTERVAL', '1s')[1],
      relayConcurrency: int(env, 'PAYMENT_RELAY_CONCURRENCY', 16, 1, 1000),
      sweepIntervalMs: duration(env, 'PAYMENT_SWEEP_INTERVAL', '10s')[1],
      sweepGraceMs: duration(env, 'PAYMENT_SWEEP_GRACE', '30s')[1],
    },
    reconcileEvery,
    reconcileEveryMs,
    worker: {
      maxCachedWorkflows: int(env, 'WORKER_MAX_CACHED_WORKFLOWS', 5000, 10, 1_000_000),
      maxConcurrentWorkflowTasks: int(env, 'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS', 100, 2, 10_000),
      workflowTaskPollers: int(env, 'WORKER_WORKFLOW_TASK_POLLERS', 10, 2, 1000),
    },
  };
}
