import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { SignJWT, UnsecuredJWT } from 'jose';
import pino from 'pino';
import request from 'supertest';
import knexFactory from 'knex';
import { createMockGatewayRouter } from '../../gateway/router';
import { signPayoutWebhook, signWebhook } from '../../domain/signature';
import type { Knex } from 'knex';
import { createApp } from '../../api/app';
import { issueToken } from '../../api/auth';
import type { OrderWorkflows } from '../../api/workflow-calls';
import { MockGateway } from '../../gateway/mock-gateway';
import { Config, loadConfig } from '../../domain/config';
import { dbLabel, freshDb, testEnv } from '../helpers/stack';
import { USERS } from '../helpers/auth';

/**
 * Authentication, rate limits, body limits, CORS and security headers, on the
 * real Express app and database (these answers come before any workflow call).
 */
const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

let db: Knex;
let config: Config;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  config = loadConfig(
    testEnv({
      RATE_LIMIT_PAYMENTS_PER_MINUTE: '3',
      RATE_LIMIT_WEBHOOKS_PER_MINUTE: '4',
      RATE_LIMIT_ORDERS_PER_MINUTE: '2',
      RATE_LIMIT_LIFECYCLE_PER_MINUTE: '2',
      CORS_ORIGINS: 'https://app.skillconnect.example',
      JWT_SECRET: 'a-test-jwt-secret-that-is-long-enough',
    }),
  );
  db = await freshDb(config);
  app = createApp({
    db,
    config,
    logger: pino({ level: 'silent' }),
    workflows: {} as OrderWorkflows,
    gateway: {} as MockGateway,
    temporalHealth: async () => undefined,
  });
});
afterAll(async () => db?.destroy());

const key = (s: string) => new TextEncoder().encode(s);
const now = () => Math.floor(Date.now() / 1000);
const probe = (authorization?: string) => {
  const r = request(app).get(`/api/orders/${USERS.client}`);
  return authorization === undefined ? r : r.set('Authorization', authorization);
};

describe(`authentication (${dbLabel()})`, () => {
  test('a valid token passes (the order simply does not exist: 404)', async () => {
    const token = await issueToken(config.auth.jwtSecret, { sub: USERS.client, role: 'client' });
    expect((await probe(`Bearer ${token}`)).status).toBe(404);
  });

  const cases: [string, () => Promise<string | undefined>][] = [
    ['no Authorization header', async () => undefined],
    ['an empty bearer', async () => 'Bearer '],
    ['a Basic credential', async () => 'Basic dXNlcjpwYXNz'],
    ['a malformed token', async () => 'Bearer not.a.jwt'],
    [
      'a forged token (other secret)',
      async () =>
        `Bearer ${await issueToken('someone-elses-secret-that-is-long-enough', { sub: USERS.client, role: 'client' })}`,
    ],
    [
      'an expired token',
      async () =>
        `Bearer ${await new SignJWT({ role: 'client' })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(USERS.client)
          .setExpirationTime(now() - 10)
          .sign(key(config.auth.jwtSecret))}`,
    ],
    [
      'a token without exp',
      async () =>
        `Bearer ${await new SignJWT({ role: 'client' }).setProtectedHeader({ alg: 'HS256' }).setSubject(USERS.client).sign(key(config.auth.jwtSecret))}`,
    ],
    [
      'a token without sub',
      async () =>
        `Bearer ${await new SignJWT({ role: 'client' })
          .setProtectedHeader({ alg: 'HS256' })
          .setExpirationTime(now() + 60)
          .sign(key(config.auth.jwtSecret))}`,
    ],
    [
      'alg none',
      async () =>
        `Bearer ${new UnsecuredJWT({ role: 'admin' })
          .setSubject(USERS.admin)
          .setExpirationTime(now() + 60)
          .encode()}`,
    ],
    [
      'HS512 with the right secret',
      async () =>
        `Bearer ${await new SignJWT({ role: 'client' })
          .setProtectedHeader({ alg: 'HS512' })
          .setSubject(USERS.client)
          .setExpirationTime(now() + 60)
          .sign(key(config.auth.jwtSecret))}`,
    ],
    [
      'an unknown role',
      async () =>
        `Bearer ${await new SignJWT({ role: 'superuser' })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(USERS.client)
          .setExpirationTime(now() + 60)
          .sign(key(config.auth.jwtSecret))}`,
    ],
    [
      'a sub that is not a uuid',
      async () =>
        `Bearer ${await new SignJWT({ role: 'admin' })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('admin')
          .setExpirationTime(now() + 60)
          .sign(key(config.auth.jwtSecret))}`,
    ],
  ];
  test.each(cases)('%s → 401 with one generic answer', async (_name, header) => {
    const res = await probe(await header());
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      success: false,
      error: { code: 'UNAUTHORIZED', message: 'a valid bearer token is required' },
    });
  });

  test('/health needs no token', async () => {
    expect((await request(app).get('/health')).status).toBe(200);
  });

  test('npm run token prints a token signed with JWT_SECRET on its last line', async () => {
    const { stdout } = await run(TSX, ['scripts/token.ts', '--sub', USERS.admin, '--role', 'admin', '--ttl', '10m'], {
      cwd: ROOT,
      env: { ...process.env, JWT_SECRET: config.auth.jwtSecret, NODE_ENV: 'development' },
    });
    const token = stdout.trim().split('\n').pop()!;
    expect((await probe(`Bearer ${token}`)).status).toBe(404);
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    expect(payload).toMatchObject({ sub: USERS.admin, role: 'admin' });
    expect(payload.exp - payload.iat).toBe(600);
  }, 60_000);
});

describe(`abuse limits and headers (${dbLabel()})`, () => {
  test('payment creation is rate-limited per user: 429 with Retry-After, other users unaffected', async () => {
    const token = await issueToken(config.auth.jwtSecret, { sub: USERS.client, role: 'client' });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await request(app).post('/api/payments/create').set('Authorization', `Bearer ${token}`).send({});
      statuses.push(res.status);
      if (res.status === 429) {
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        expect(res.body.error.code).toBe('RATE_LIMITED');
      }
    }
    expect(statuses).toEqual([400, 400, 400, 429]);
    const other = await issueToken(config.auth.jwtSecret, { sub: USERS.otherClient, role: 'client' });
    expect(
      (await request(app).post('/api/payments/create').set('Authorization', `Bearer ${other}`).send({})).status,
    ).toBe(400);
  });

  test.each(['/api/payments/webhook', '/api/payouts/webhook'])(
    '%s: failed verifications are rate-limited per IP (429 with Retry-After); a genuine call from that IP is never refused',
    async (path) => {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await request(app).post(path).send({ transaction_id: 'x' })).status);
      expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
      const limited = await request(app).post(path).send({});
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // signed with the real secret (for a transaction or payout that does not exist): verified, so answered on its merits
      const ts = String(now());
      const genuine =
        path === '/api/payments/webhook'
          ? (() => {
              const f = {
                transaction_id: 'PAY-1700000000000-ABCDEF',
                transaction_status: 'settlement',
                gross_amount: '265000',
                timestamp: ts,
              };
              return { ...f, signature: signWebhook(f, config.mock.secret) };
            })()
          : (() => {
              const f = {
                external_id: '3f1c2b7e-1111-4aaa-8bbb-000000000009',
                reference: 'TRF-1',
                status: 'completed',
                amount: '1',
                failure_reason: '',
                timestamp: ts,
              };
              return { ...f, signature: signPayoutWebhook(f, config.mock.secret) };
            })();
      for (let i = 0; i < 3; i++)
        expect(
          (await request(app).post(path).set('content-type', 'application/json').send(JSON.stringify(genuine))).status,
        ).toBe(404);
    },
  );

  test('order creation and the lifecycle read are rate-limited per user', async () => {
    const [a, b] = await Promise.all([
      issueToken(config.auth.jwtSecret, { sub: USERS.client, role: 'client' }),
      issueToken(config.auth.jwtSecret, { sub: USERS.otherClient, role: 'client' }),
    ]);
    const create = (t: string) => request(app).post('/api/orders').set('Authorization', `Bearer ${t}`).send({});
    expect([(await create(a)).status, (await create(a)).status, (await create(a)).status]).toEqual([400, 400, 429]);
    expect((await create(b)).status).toBe(400);
    const life = (t: string) =>
      request(app).get(`/api/orders/${USERS.freelancer}/lifecycle`).set('Authorization', `Bearer ${t}`);
    expect([(await life(a)).status, (await life(a)).status, (await life(a)).status]).toEqual([404, 404, 429]);
    expect((await life(b)).status).toBe(404);
  });

  test("ids are compared in lower case: an upper-cased copy of one's own id is the same id", async () => {
    const t = await issueToken(config.auth.jwtSecret, { sub: USERS.otherClient, role: 'client' });
    const res = await request(app).post('/api/orders').set('Authorization', `Bearer ${t}`).send({
      client_id: USERS.otherClient.toUpperCase(),
      freelancer_id: USERS.otherClient,
      judul: 'x',
      harga: 10_000,
    });
    expect([res.status, res.body.error?.message]).toEqual([400, 'freelancer_id must differ from client_id']);
    const upperSub = await issueToken(config.auth.jwtSecret, {
      sub: USERS.otherFreelancer.toUpperCase(),
      role: 'freelancer',
    });
    expect(
      (await request(app).get('/api/freelancers/me/balance').set('Authorization', `Bearer ${upperSub}`)).body.data
        .freelancer_id,
    ).toBe(USERS.otherFreelancer);
  });

  test('a body over 100 kB → 413 in the envelope', async () => {
    const token = await issueToken(config.auth.jwtSecret, { sub: USERS.client, role: 'client' });
    const res = await request(app)
      .post('/api/orders')
      .set('Authorization', `Bearer ${token}`)
      .set('content-type', 'application/json')
      .send(JSON.stringify({ judul: 'x'.repeat(110_000) }));
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ success: false, error: { code: 'PAYLOAD_TOO_LARGE', message: expect.any(String) } });
  });

  test('CORS answers only the listed origins; security headers are set', async () => {
    const allowed = await request(app)
      .options('/api/orders')
      .set('Origin', 'https://app.skillconnect.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.skillconnect.example');
    const denied = await request(app).get('/health').set('Origin', 'https://evil.example');
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
    expect(denied.headers['x-content-type-options']).toBe('nosniff');
    expect(denied.headers['content-security-policy']).toContain("default-src 'self'");
    expect(denied.headers['x-powered-by']).toBeUndefined();
  });
});

describe('production start-up', () => {
  const start = (env: Record<string, string>) =>
    run(TSX, ['scripts/api.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, NODE_ENV: 'production', PORT: '0', ...env },
      timeout: 30_000,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );

  test.each([
    ['JWT_SECRET missing', { MOCK_PAYMENT_SECRET: 'm'.repeat(32) }, 'JWT_SECRET'],
    ['JWT_SECRET too short', { MOCK_PAYMENT_SECRET: 'm'.repeat(32), JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [
      'MOCK_PAYMENT_SECRET too short',
      { MOCK_PAYMENT_SECRET: 'mock-secret', JWT_SECRET: 'j'.repeat(32) },
      'MOCK_PAYMENT_SECRET',
    ],
  ])(
    'refuses to start with %s, naming the variable',
    async (_name, env, variable) => {
      const { code, stderr } = await start(env as Record<string, string>);
      expect(code).toBe(2);
      expect(stderr).toContain(variable);
      expect(stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    },
    60_000,
  );
});

describe('a database outage', () => {
  let down: Knex;
  let outage: ReturnType<typeof createApp>;
  beforeAll(() => {
    // nothing listens on port 1: every query fails to connect
    down = knexFactory({
      client: 'mysql2',
      connection: { host: '127.0.0.1', port: 1, user: 'root', database: 'x', connectTimeout: 500 },
      pool: { min: 0, max: 1 },
      acquireConnectionTimeout: 1500,
    });
    const gateway = new MockGateway({
      db: down,
      backendUrl: 'http://127.0.0.1:1',
      secret: 's',
      autoSuccess: false,
      autoSuccessDelayMs: 0,
      logger: pino({ level: 'silent' }),
    });
    outage = createApp({
      db: down,
      config,
      logger: pino({ level: 'silent' }),
      workflows: {} as OrderWorkflows,
      gateway,
      temporalHealth: async () => undefined,
      extraRouters: [createMockGatewayRouter(gateway)],
    });
  });
  afterAll(async () => down?.destroy());

  test("API reads and writes answer 503 with Retry-After and no SQL; the mock gateway's pages too, and the process keeps running", async () => {
    const token = await issueToken(config.auth.jwtSecret, { sub: USERS.client, role: 'client' });
    const calls = [
      request(outage).get(`/api/orders/${USERS.client}`).set('Authorization', `Bearer ${token}`),
      request(outage)
        .post('/api/orders')
        .set('Authorization', `Bearer ${token}`)
        .send({ client_id: USERS.client, freelancer_id: USERS.freelancer, judul: 'x', harga: 10_000 }),
      request(outage).get('/mock-payment/MOCK-1700000000000-ABCDEF'),
      request(outage).get('/mock-bank/transfer/TRF-000000000001'),
      request(outage).post('/api/payments/mock/trigger-success').send({ transaction_id: 'PAY-1700000000000-ABCDEF' }),
    ];
    for (const res of await Promise.all(calls)) {
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body).toEqual({
        success: false,
        error: { code: 'SERVICE_UNAVAILABLE', message: 'the database is unavailable; retry later' },
      });
    }
  }, 30_000);
});

describe('unknown routes and messages', () => {
  test('GET /api/payments/escrow without an id is an unknown route (404), and a bad payment id says what an id looks like', async () => {
    const token = await issueToken(config.auth.jwtSecret, { sub: USERS.client, role: 'client' });
    for (const path of ['/api/payments/escrow', '/api/payments/refunds']) {
      const res = await request(app).get(path).set('Authorization', `Bearer ${token}`);
      expect([path, res.status, res.body.error.message]).toEqual([path, 404, 'no such route']);
    }
    const bad = await request(app).get('/api/payments/nope').set('Authorization', `Bearer ${token}`);
    expect([bad.status, bad.body.error.message]).toEqual([
      400,
      'id: must be a payment id (a uuid) or a transaction id (PAY-<epoch ms>-<6 characters>)',
    ]);
  });

  test('a method that needs a channel says so once ("channel is required", not "channel channel")', async () => {
    const token = await issueToken(config.auth.jwtSecret, { sub: USERS.otherClient, role: 'client' });
    const res = await request(app).post('/api/payments/create').set('Authorization', `Bearer ${token}`).send({
      pesanan_id: USERS.client,
      user_id: USERS.otherClient,
      jumlah: 10_000,
      metode_pembayaran: 'virtual_account',
    });
    expect(res.body.error.message).toBe(
      'channel is required for virtual_account: one of bca, bni, mandiri, bri, permata',
    );
  });
});

/** The app as production builds it (no Temporal or gateway behind it: these tests stop before them). */
const prod = (extra: Record<string, string>) =>
  createApp({
    db,
    config: loadConfig(
      testEnv({
        NODE_ENV: 'production',
        MOCK_PAYMENT_SECRET: 'a-production-secret-of-enough-length',
        JWT_SECRET: 'a-production-jwt-secret-of-32-bytes-or-more',
        ...extra,
      }),
    ),
    logger: pino({ level: 'silent' }),
    workflows: {} as OrderWorkflows,
    gateway: {} as MockGateway,
    temporalHealth: async () => undefined,
  });

describe('GET /metrics', () => {
  test('development: Prometheus text with request durations by route template, not by raw path', async () => {
    const token = await issueToken(config.auth.jwtSecret, { sub: USERS.admin, role: 'admin' });
    await request(app).get(`/api/payments/withdrawals/${USERS.client}`).set('Authorization', `Bearer ${token}`);
    const res = await request(app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(
      /skillconnect_http_request_duration_seconds_count\{method="GET",route="\/api\/payments\/withdrawals\/:id",status="404"\} \d+/,
    );
    expect(res.text).not.toContain(USERS.client);
    for (const name of [
      'skillconnect_escrow_held_rupiah',
      'skillconnect_webhook_outcomes_total',
      'skillconnect_payments_created_total',
      'skillconnect_payments_settled_total',
      'skillconnect_activity_failures_total',
    ]) {
      expect(res.text).toContain(`# TYPE ${name}`);
    }
  });

  test('production: not served without METRICS_TOKEN; with it, only to its bearer', async () => {
    // through the TLS-terminating proxy (supertest connects from loopback)
    const https = (app: ReturnType<typeof prod>) => request(app).get('/metrics').set('X-Forwarded-Proto', 'https');
    expect((await https(prod({ TRUST_PROXY: 'loopback' }))).status).toBe(404);
    const guarded = prod({ METRICS_TOKEN: 'scrape-token-of-at-least-thirty-two-bytes', TRUST_PROXY: 'loopback' });
    expect((await https(guarded)).status).toBe(401);
    expect((await https(guarded).set('Authorization', 'Bearer wrong')).status).toBe(401);
    expect((await https(guarded).set('Authorization', 'Bearer scrape-token-of-at-least-thirty-two-bytes')).status).toBe(
      200,
    );
  });
});

describe('HTTPS only in production', () => {
  const hsts = (res: { headers: Record<string, string> }) => res.headers['strict-transport-security'];
  const webhook = (app: ReturnType<typeof prod>) =>
    request(app).post('/api/payments/webhook').set('Content-Type', 'application/json').send('{}');

  test('a request that did not arrive over HTTPS is refused with a clear error and HSTS, webhooks included', async () => {
    const app = prod({ TRUST_PROXY: 'loopback' });
    for (const res of [
      await request(app).get('/api/orders/x'),
      await webhook(app),
      await request(app).post('/api/orders').send({}),
    ]) {
      expect([res.status, res.body.error.code]).toEqual([403, 'HTTPS_REQUIRED']);
      expect(res.body.error.message).toMatch(/HTTPS only/);
      expect(hsts(res)).toBe('max-age=31536000; includeSubDomains');
    }
    // the orchestrator's plain-HTTP probe still reads health
    expect((await request(app).get('/health')).status).toBe(200);
  });

  test('through the trusted proxy (X-Forwarded-Proto: https) requests pass, with HSTS', async () => {
    const app = prod({ TRUST_PROXY: 'loopback' });
    const res = await request(app).get('/api/orders/x').set('X-Forwarded-Proto', 'https');
    expect([res.status, res.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
    expect(hsts(res)).toBe('max-age=31536000; includeSubDomains');
    const hook = await webhook(app).set('X-Forwarded-Proto', 'https');
    expect(hook.status).not.toBe(403);
    expect(hsts(hook)).toBeDefined();
  });

  test('X-Forwarded-Proto from an address TRUST_PROXY does not name is not believed', async () => {
    for (const trust of [{}, { TRUST_PROXY: '10.0.0.0/8' }] as Record<string, string>[]) {
      const res = await request(prod(trust)).get('/api/orders/x').set('X-Forwarded-Proto', 'https');
      expect([res.status, res.body.error.code]).toEqual([403, 'HTTPS_REQUIRED']);
    }
  });

  test('rate limits and the webhook failure limit use the client address the trusted proxy forwards', async () => {
    const app = prod({ TRUST_PROXY: 'loopback', RATE_LIMIT_WEBHOOKS_PER_MINUTE: '2' });
    const from = (ip: string) => webhook(app).set('X-Forwarded-Proto', 'https').set('X-Forwarded-For', ip);
    const first = [await from('203.0.113.7'), await from('203.0.113.7'), await from('203.0.113.7')].map(
      (r) => r.status,
    );
    expect(first[2]).toBe(429);
    // another client behind the same proxy is not held back by the first one's failures
    expect((await from('198.51.100.9')).status).not.toBe(429);
  });

  test('development keeps plain HTTP', async () => {
    const res = await request(app).get('/api/orders/x');
    expect(res.status).toBe(401);
  });

  test('TRUST_PROXY must be a hop count or addresses', () => {
    expect(loadConfig(testEnv({ TRUST_PROXY: '1' })).trustProxy).toBe(1);
    expect(loadConfig(testEnv({ TRUST_PROXY: 'loopback, 10.0.0.0/8' })).trustProxy).toEqual(['loopback', '10.0.0.0/8']);
    expect(() => loadConfig(testEnv({ TRUST_PROXY: 'yes please' }))).toThrow(/TRUST_PROXY/);
  });
});
