import { ConfigError, DEV_MOCK_SECRET, loadConfig } from '../../domain/config';

const CWD = '/srv/app';

/** Expects loadConfig(env) to throw a ConfigError whose message names `variable`. */
function expectConfigError(env: Record<string, string | undefined>, variable: string): void {
  let caught: unknown;
  try {
    loadConfig(env, CWD);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  expect((caught as Error).name).toBe('ConfigError');
  expect((caught as Error).message).toContain(`Invalid configuration: ${variable} `);
}

describe('loadConfig defaults', () => {
  const cfg = loadConfig({}, CWD);

  test('port, backend url, environment', () => {
    expect(cfg.port).toBe(5001);
    expect(cfg.backendUrl).toBe('http://localhost:5001');
    expect(cfg.nodeEnv).toBe('development');
    expect(cfg.isProduction).toBe(false);
    expect(cfg.logLevel).toBe('info');
  });

  test('SQLite under <cwd>/.data', () => {
    expect(cfg.dataDir).toBe('/srv/app/.data');
    expect(cfg.db).toEqual({ client: 'better-sqlite3', filename: '/srv/app/.data/payments.sqlite' });
  });

  test('durations: payment expiry 24h, escrow auto-release 7d', () => {
    expect(cfg.paymentExpiry).toBe('24h');
    expect(cfg.paymentExpiryMs).toBe(86_400_000);
    expect(cfg.escrowAutoReleaseAfter).toBe('7d');
    expect(cfg.escrowAutoReleaseMs).toBe(604_800_000);
  });

  test('mock gateway and temporal defaults', () => {
    expect(cfg.mock).toEqual({
      autoSuccess: false,
      autoWithdrawal: true,
      secret: DEV_MOCK_SECRET,
      autoSuccessDelayMs: 3000,
      payoutDelayMs: 1500,
    });
    expect(DEV_MOCK_SECRET).toBe('mock-secret');
    expect(cfg.temporal).toEqual({
      address: undefined,
      namespace: 'default',
      taskQueue: 'skillconnect-payments',
      port: 7233,
      uiPort: 8233,
    });
  });
});

describe('loadConfig overrides', () => {
  test('DB_HOST selects mysql2 with DB_PORT/DB_NAME/DB_USER/DB_PASSWORD', () => {
    const cfg = loadConfig(
      { DB_HOST: 'db.internal', DB_PORT: '3307', DB_NAME: 'payments', DB_USER: 'svc', DB_PASSWORD: 's3cret' },
      CWD,
    );
    expect(cfg.db).toEqual({
      client: 'mysql2',
      host: 'db.internal',
      port: 3307,
      database: 'payments',
      user: 'svc',
      password: 's3cret',
    });
  });

  test('DB_HOST alone uses the mysql defaults', () => {
    expect(loadConfig({ DB_HOST: 'localhost' }, CWD).db).toEqual({
      client: 'mysql2',
      host: 'localhost',
      port: 3306,
      database: 'skillconnect_payments',
      user: 'root',
      password: '',
    });
  });

  test('empty or blank DB_HOST means SQLite', () => {
    expect(loadConfig({ DB_HOST: '' }, CWD).db.client).toBe('better-sqlite3');
    expect(loadConfig({ DB_HOST: '   ', DB_FILE: '/tmp/x.sqlite' }, CWD).db).toEqual({
      client: 'better-sqlite3',
      filename: '/tmp/x.sqlite',
    });
  });

  test('PORT feeds the default BACKEND_URL; BACKEND_URL drops trailing slashes', () => {
    expect(loadConfig({ PORT: '8080' }, CWD).backendUrl).toBe('http://localhost:8080');
    expect(loadConfig({ BACKEND_URL: 'https://pay.example.com//' }, CWD).backendUrl).toBe('https://pay.example.com');
  });

  test('durations and booleans are parsed', () => {
    const cfg = loadConfig(
      { PAYMENT_EXPIRY: '30m', ESCROW_AUTO_RELEASE_AFTER: '5s', MOCK_AUTO_SUCCESS: 'YES', MOCK_AUTO_WITHDRAWAL: 'off' },
      CWD,
    );
    expect(cfg.paymentExpiryMs).toBe(1_800_000);
    expect(cfg.escrowAutoReleaseMs).toBe(5_000);
    expect(cfg.mock.autoSuccess).toBe(true);
    expect(cfg.mock.autoWithdrawal).toBe(false);
  });

  test('production with both secrets of at least 32 bytes', () => {
    const cfg = loadConfig(
      { NODE_ENV: 'production', MOCK_PAYMENT_SECRET: 'p'.repeat(32), JWT_SECRET: 'j'.repeat(40) },
      CWD,
    );
    expect(cfg.isProduction).toBe(true);
    expect(cfg.mock.secret).toBe('p'.repeat(32));
    expect(cfg.auth.jwtSecret).toBe('j'.repeat(40));
  });

  test('production refuses missing, short or development-default secrets, naming the variable', () => {
    const good = { NODE_ENV: 'production', MOCK_PAYMENT_SECRET: 'p'.repeat(32), JWT_SECRET: 'j'.repeat(32) };
    expectConfigError({ ...good, JWT_SECRET: undefined as unknown as string }, 'JWT_SECRET');
    expectConfigError({ ...good, JWT_SECRET: 'j'.repeat(31) }, 'JWT_SECRET');
    expectConfigError({ ...good, MOCK_PAYMENT_SECRET: 'short' }, 'MOCK_PAYMENT_SECRET');
    expectConfigError({ ...good, JWT_SECRET: 'development-only-jwt-secret-never-use-in-production' }, 'JWT_SECRET');
  });

  test('any NODE_ENV other than development or test is production: secrets required, no mock auto-success, no auto-withdrawal by default', () => {
    for (const NODE_ENV of ['prod', 'Production', 'staging']) {
      expectConfigError({ NODE_ENV }, 'MOCK_PAYMENT_SECRET');
    }
    const secrets = { MOCK_PAYMENT_SECRET: 'p'.repeat(32), JWT_SECRET: 'j'.repeat(32) };
    const staging = loadConfig({ NODE_ENV: 'staging', ...secrets }, CWD);
    expect([staging.isProduction, staging.mock.autoWithdrawal]).toEqual([true, false]);
    expectConfigError({ NODE_ENV: 'production', ...secrets, MOCK_AUTO_SUCCESS: 'true' }, 'MOCK_AUTO_SUCCESS');
    expect(loadConfig({ NODE_ENV: 'test' }, CWD).mock.autoWithdrawal).toBe(true);
  });

  test('outside production a development JWT secret stands in; limits and CORS origins are configurable', () => {
    const cfg = loadConfig(
      { AMOUNT_MAX_QRIS: '5000000', CORS_ORIGINS: 'https://app.example.com, http://localhost:3000' },
      CWD,
    );
    expect(cfg.auth.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(cfg.amountLimits).toEqual({
      min: 10_000,
      max: {
        qris: 5_000_000,
        e_wallet: 20_000_000,
        virtual_account: 100_000_000,
        transfer_bank: 100_000_000,
        kartu_kredit: 100_000_000,
      },
    });
    expect(cfg.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:3000']);
    expectConfigError({ CORS_ORIGINS: 'not a url' }, 'CORS_ORIGINS');
    expectConfigError({ AMOUNT_MAX_E_WALLET: 'lots' }, 'AMOUNT_MAX_E_WALLET');
  });
});

describe('loadConfig errors name the variable', () => {
  test('bad PORT', () => {
    for (const PORT of ['abc', '65536', '-1', '80.5']) expectConfigError({ PORT }, 'PORT');
  });

  test('bad DB_PORT (only read when DB_HOST is set)', () => {
    expectConfigError({ DB_HOST: 'db', DB_PORT: '0' }, 'DB_PORT');
    expect(loadConfig({ DB_PORT: '0' }, CWD).db.client).toBe('better-sqlite3');
  });

  test('bad PAYMENT_EXPIRY / ESCROW_AUTO_RELEASE_AFTER', () => {
    expectConfigError({ PAYMENT_EXPIRY: 'tomorrow' }, 'PAYMENT_EXPIRY');
    expectConfigError({ PAYMENT_EXPIRY: '0s' }, 'PAYMENT_EXPIRY');
    expectConfigError({ ESCROW_AUTO_RELEASE_AFTER: '7' }, 'ESCROW_AUTO_RELEASE_AFTER');
  });

  test('the payments outbox and the worker: defaults, overrides, and bad values naming the variable', () => {
    expect(loadConfig({}, CWD).outbox).toEqual({
      relayIntervalMs: 1000,
      relayConcurrency: 16,
      sweepIntervalMs: 10_000,
      sweepGraceMs: 30_000,
    });
    expect(loadConfig({}, CWD).worker).toEqual({
      maxCachedWorkflows: 5000,
      maxConcurrentWorkflowTasks: 100,
      workflowTaskPollers: 10,
    });
    const set = loadConfig(
      { PAYMENT_RELAY_INTERVAL: '250ms', PAYMENT_SWEEP_GRACE: '1m', WORKER_MAX_CACHED_WORKFLOWS: '20000' },
      CWD,
    );
    expect([set.outbox.relayIntervalMs, set.outbox.sweepGraceMs, set.worker.maxCachedWorkflows]).toEqual([
      250, 60_000, 20_000,
    ]);
    for (const [name, value] of [
      ['PAYMENT_RELAY_INTERVAL', 'soon'],
      ['PAYMENT_SWEEP_INTERVAL', '0s'],
      ['PAYMENT_SWEEP_GRACE', '-5s'],
      ['PAYMENT_RELAY_CONCURRENCY', '0'],
      ['WORKER_MAX_CACHED_WORKFLOWS', 'many'],
      ['WORKER_MAX_CONCURRENT_WORKFLOW_TASKS', '1'],
      ['WORKER_WORKFLOW_TASK_POLLERS', '1'],
    ]) {
      expectConfigError({ [name]: value }, name);
    }
  });

  test('payouts: defaults, overrides, and bad values naming the variable', () => {
    expect(loadConfig({}, CWD).payout).toEqual({ maxAttempts: 8, statusCheckAfter: '1m' });
    const set = loadConfig(
      { PAYOUT_MAX_ATTEMPTS: '3', PAYOUT_STATUS_CHECK_AFTER: '10s', MOCK_PAYOUT_DELAY_MS: '0' },
      CWD,
    );
    expect([set.payout.maxAttempts, set.payout.statusCheckAfter, set.mock.payoutDelayMs]).toEqual([3, '10s', 0]);
    for (const [name, value] of [
      ['PAYOUT_MAX_ATTEMPTS', '0'],
      ['PAYOUT_MAX_ATTEMPTS', 'lots'],
      ['PAYOUT_STATUS_CHECK_AFTER', 'later'],
      ['MOCK_PAYOUT_DELAY_MS', '-1'],
    ]) {
      expectConfigError({ [name]: value }, name);
    }
  });

  test('HOST, the metrics exporter and the metrics token: defaults by environment, and bad values naming the variable', () => {
    expect(loadConfig({}, CWD)).toMatchObject({
      host: '127.0.0.1',
      temporalMetricsHost: '127.0.0.1',
      temporalMetricsPort: 9464,
      metricsToken: undefined,
    });
    const prod = {
      NODE_ENV: 'production',
      MOCK_PAYMENT_SECRET: 'a-production-secret-of-enough-length',
      JWT_SECRET: 'a-production-jwt-secret-of-32-bytes-or-more',
    };
    expect(loadConfig(prod, CWD)).toMatchObject({ host: '0.0.0.0', temporalMetricsHost: '0.0.0.0' });
    expectConfigError({ TEMPORAL_METRICS_HOST: 'localhost' }, 'TEMPORAL_METRICS_HOST');
    expectConfigError({ TEMPORAL_METRICS_HOST: '::1' }, 'TEMPORAL_METRICS_HOST');
    expect(() => loadConfig({ ...prod, METRICS_TOKEN: 'short' }, CWD)).toThrow(/METRICS_TOKEN/);
    expect(loadConfig({ METRICS_TOKEN: 'short' }, CWD).metricsToken).toBe('short'); // development: any
  });

  test('bad MOCK_AUTO_SUCCESS', () => {
    expectConfigError({ MOCK_AUTO_SUCCESS: 'maybe' }, 'MOCK_AUTO_SUCCESS');
  });

  test('bad BACKEND_URL', () => {
    expectConfigError({ BACKEND_URL: 'not a url' }, 'BACKEND_URL');
    expectConfigError({ BACKEND_URL: 'ftp://example.com' }, 'BACKEND_URL');
  });

  test('NODE_ENV=production without MOCK_PAYMENT_SECRET', () => {
    expectConfigError({ NODE_ENV: 'production' }, 'MOCK_PAYMENT_SECRET');
    expectConfigError({ NODE_ENV: 'production', MOCK_PAYMENT_SECRET: '  ' }, 'MOCK_PAYMENT_SECRET');
  });
});

describe('notifications, the checkout return URL and the TLS proxy', () => {
  const prod = { NODE_ENV: 'production', MOCK_PAYMENT_SECRET: 'm'.repeat(32), JWT_SECRET: 'j'.repeat(32) };
  test('defaults: no delivery URL (events recorded only), 10 attempts, polled every second; no proxy trusted', () => {
    const cfg = loadConfig({}, CWD);
    expect(cfg.notifications).toEqual({
      webhookUrl: undefined,
      secret: expect.any(String),
      maxAttempts: 10,
      pollIntervalMs: 1000,
    });
    expect(cfg.checkoutReturnUrl).toBe('http://localhost:3000/orders');
    expect(cfg.trustProxy).toBe(false);
  });
  test('production: a delivery URL needs its own NOTIFICATION_SECRET of at least 32 bytes', () => {
    expect(loadConfig(prod, CWD).notifications.webhookUrl).toBeUndefined();
    expectConfigError({ ...prod, NOTIFICATION_WEBHOOK_URL: 'https://orders.internal/events' }, 'NOTIFICATION_SECRET');
    expectConfigError(
      { ...prod, NOTIFICATION_WEBHOOK_URL: 'https://orders.internal/events', NOTIFICATION_SECRET: 'short' },
      'NOTIFICATION_SECRET',
    );
    const ok = loadConfig(
      { ...prod, NOTIFICATION_WEBHOOK_URL: 'https://orders.internal/events/', NOTIFICATION_SECRET: 'n'.repeat(32) },
      CWD,
    );
    expect(ok.notifications.webhookUrl).toBe('https://orders.internal/events');
  });
  test('bad values name the variable', () => {
    expectConfigError({ NOTIFICATION_WEBHOOK_URL: 'ftp://x' }, 'NOTIFICATION_WEBHOOK_URL');
    expectConfigError({ NOTIFICATION_MAX_ATTEMPTS: '0' }, 'NOTIFICATION_MAX_ATTEMPTS');
    expectConfigError({ NOTIFICATION_POLL_INTERVAL: 'soon' }, 'NOTIFICATION_POLL_INTERVAL');
    expectConfigError({ CHECKOUT_RETURN_URL: 'javascript:alert(1)' }, 'CHECKOUT_RETURN_URL');
    expectConfigError({ TRUST_PROXY: '0' }, 'TRUST_PROXY');
    for (const bad of ['1.2.3', '10.0.0.0/33', '::1/129', '10.0.0.1/8/1', 'proxy'])
      expectConfigError({ TRUST_PROXY: bad }, 'TRUST_PROXY');
    expect(loadConfig({ TRUST_PROXY: '172.30.0.10, fd00::/8, loopback' }, CWD).trustProxy).toEqual([
      '172.30.0.10',
      'fd00::/8',
      'loopback',
    ]);
  });
});
