import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Knex } from 'knex';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../api/app';
import { issueToken } from '../../api/auth';
import { OpenApiDocument, openApiDocument } from '../../api/openapi';
import { schemas } from '../../api/schemas';
import type { OrderWorkflows } from '../../api/workflow-calls';
import { Config, loadConfig } from '../../domain/config';
import { createMockGatewayRouter } from '../../gateway/router';
import { createGateway } from '../../scripts/compose';
import { USERS } from '../helpers/auth';
import { dbLabel, freshDb, testEnv } from '../helpers/stack';

/**
 * What the OpenAPI document says, on the real Express app and database: a
 * method a path does not take is a 405 with `Allow` (unknown paths stay 404),
 * OPTIONS lists the same methods, analytics refuses impossible dates, the
 * development trigger's reason follows the control-character rule, and error
 * messages name their field once. Built with createApp (as openapi.test.ts's
 * first part): a 405 answers a method the document has no operation for, which
 * the recorded-response check would count as an undocumented route.
 */
let db: Knex;
let config: Config;
let app: ReturnType<typeof createApp>;
let production: ReturnType<typeof createApp>;
let doc: OpenApiDocument;
let admin: string;

beforeAll(async () => {
  config = loadConfig(testEnv());
  db = await freshDb(config);
  const logger = pino({ level: 'silent' });
  app = createApp({
    db,
    config,
    logger,
    workflows: {} as OrderWorkflows,
    gateway: createGateway(config, db, logger),
    temporalHealth: async () => undefined,
    extraRouters: [createMockGatewayRouter(createGateway(config, db, logger))],
  });
  // production: no mock gateway; TRUST_PROXY so that X-Forwarded-Proto: https passes the HTTPS-only rule
  const prod = loadConfig(
    testEnv({
      NODE_ENV: 'production',
      MOCK_PAYMENT_SECRET: 'a-production-secret-of-enough-length',
      JWT_SECRET: 'a-production-jwt-secret-of-32-bytes-or-more',
      TRUST_PROXY: 'loopback',
    }),
  );
  production = createApp({
    db,
    config: prod,
    logger,
    workflows: {} as OrderWorkflows,
    gateway: createGateway(config, db, logger),
    temporalHealth: async () => undefined,
  });
  doc = openApiDocument(schemas(config.amountLimits), { development: true });
  admin = await issueToken(config.auth.jwtSecret, { sub: USERS.admin, role: 'admin' });
});
afterAll(async () => db?.destroy());

type Method = 'get' | 'post' | 'put' | 'delete' | 'patch' | 'trace' | 'head' | 'options';
const send = (a: typeof app, method: Method, path: string) => request(a)[method](path);
/** A documented path with its parameters filled in (a uuid is an id everywhere, the payment id included). */
const concrete = (template: string) =>
  template.replace('{id}', '6f1c1f4e-8a2b-4c3d-9e4f-5a6b7c8d9e0f').replace('{reference}', 'MOCK-1700000000000-ABCDEF');
/** The Allow the document implies for a path: its operations, HEAD with GET, and OPTIONS. */
const allowOf = (template: string) => {
  const methods = Object.keys(doc.paths[template]).map((m) => m.toUpperCase());
  return ['GET', 'HEAD', 'POST', 'OPTIONS']
    .filter((m) => methods.includes(m) || (m === 'HEAD' && methods.includes('GET')) || m === 'OPTIONS')
    .join(', ');
};

describe(`405 METHOD_NOT_ALLOWED with Allow (${dbLabel()})`, () => {
  test.each(['trace', 'put', 'delete', 'patch'] as const)('%s /health → 405, Allow: GET, HEAD, OPTIONS', async (m) => {
    const res = await send(app, m, '/health');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
    if (m !== 'trace' || res.body.error)
      expect(res.body).toEqual({
        success: false,
        error: {
          code: 'METHOD_NOT_ALLOWED',
          message: `${m.toUpperCase()} is not allowed here; allowed: GET, HEAD, OPTIONS`,
          details: { allow: ['GET', 'HEAD', 'OPTIONS'] },
        },
      });
  });

  test('OPTIONS answers 204 with the same Allow a 405 gives', async () => {
    for (const [path, allow] of [
      ['/health', 'GET, HEAD, OPTIONS'],
      ['/api/orders', 'POST, OPTIONS'],
      ['/api/payments/PAY-1764316800000-ABC123', 'GET, HEAD, OPTIONS'],
    ]) {
      const res = await send(app, 'options', path);
      expect([path, res.status, res.headers.allow]).toEqual([path, 204, allow]);
    }
  });

  test('every documented path: a method it does not take → 405 with the documented methods; OPTIONS lists them', async () => {
    let checked = 0;
    for (const template of Object.keys(doc.paths)) {
      const path = concrete(template);
      const allow = allowOf(template);
      // GET or POST where the path does not take it, unless another route's template has the same shape (GET
      // /api/payments/escrow/release is the escrow read's, which answers 401/400 for an id that is not a uuid)
      const shaped = (m: string) =>
        Object.keys(doc.paths).some(
          (t) => t !== template && doc.paths[t][m] && new RegExp(`^${t.replace(/\{\w+\}/g, '[^/]+')}$`).test(path),
        );
      const refused = (['put', 'delete', 'patch', 'get', 'post'] as const).filter(
        (m) => !doc.paths[template][m] && !shaped(m),
      );
      for (const m of refused) {
        // as an admin: /api/admin/* authenticates every method first (without a token, a 401)
        const res = await send(app, m, path).set('Authorization', `Bearer ${admin}`);
        expect([m, path, res.status, res.headers.allow, res.body.error?.code]).toEqual([
          m,
          path,
          405,
          allow,
          'METHOD_NOT_ALLOWED',
        ]);
        checked++;
      }
      const options = await send(app, 'options', path);
      expect([path, options.status, options.headers.allow]).toEqual([path, 204, allow]);
    }
    expect(checked).toBeGreaterThan(80);
  });

  test('the 405 body is the documented MethodNotAllowed response (ErrorResponse, Allow header)', async () => {
    const component = doc.components.responses.MethodNotAllowed as {
      headers: Record<string, unknown>;
      content: Record<string, { schema: { $ref: string } }>;
    };
    expect(Object.keys(component.headers)).toEqual(['Allow']);
    expect(component.content['application/json'].schema.$ref).toBe('#/components/schemas/ErrorResponse');
    expect(String(doc.info.description)).toMatch(/405 METHOD_NOT_ALLOWED.*Allow/);
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    const validate = ajv.compile(doc.components.schemas.ErrorResponse);
    for (const [m, path] of [
      ['put', '/health'],
      ['get', '/api/payments/create'],
      ['delete', '/api/orders'],
    ] as const) {
      const res = await send(app, m, path);
      expect(res.status).toBe(405);
      expect(validate(res.body)).toBe(true);
    }
  });

  test('HEAD on a path without GET → 405; HEAD on a GET path is still answered', async () => {
    const post = await send(app, 'head', '/api/orders');
    expect([post.status, post.headers.allow]).toEqual([405, 'POST, OPTIONS']);
    expect((await send(app, 'head', '/health')).status).toBe(200);
  });

  test('unknown paths stay 404 "no such route", whatever the method', async () => {
    for (const [m, path] of [
      ['put', '/nope'],
      ['trace', '/api'],
      ['get', '/api/payments/escrow'], // a collection, not a payment id
      ['get', '/api/payments/refunds'],
      ['put', '/api/orders/not-a-uuid/start'],
      ['delete', '/docs/swagger-ui.css'], // a static file is not a route
      ['options', '/nope'],
    ] as const) {
      const res = await send(app, m, path);
      expect([m, path, res.status, res.headers.allow]).toEqual([m, path, 404, undefined]);
      if (m !== 'options' && m !== 'trace')
        expect(res.body.error).toEqual({ code: 'NOT_FOUND', message: 'no such route' });
    }
  });

  test("production: the mock gateway's paths are not mounted, so they are unknown (404), not 405", async () => {
    for (const [m, path] of [
      ['get', '/api/payments/mock/trigger-success'],
      ['post', '/api/payments/mock/trigger-failure'],
      ['put', '/mock-payment/MOCK-1700000000000-ABCDEF'],
    ] as const) {
      const res = await send(production, m, path).set('X-Forwarded-Proto', 'https');
      expect([m, path, res.status]).toEqual([m, path, 404]);
    }
    const health = await send(production, 'put', '/health').set('X-Forwarded-Proto', 'https');
    expect([health.status, health.headers.allow]).toEqual([405, 'GET, HEAD, OPTIONS']);
  });
});

describe(`analytics dates and error messages (${dbLabel()})`, () => {
  const analytics = (q: string) =>
    request(app).get(`/api/admin/analytics?${q}`).set('Authorization', `Bearer ${admin}`);

  test("the document's own example period is accepted", async () => {
    const params = (
      doc.paths['/api/admin/analytics'].get as unknown as {
        parameters: { name: string; schema: { examples: string[] } }[];
      }
    ).parameters;
    const [from, to] = ['from', 'to'].map((n) => params.find((p) => p.name === n)!.schema.examples);
    for (let i = 0; i < from.length; i++) {
      const res = await analytics(`from=${encodeURIComponent(from[i])}&to=${encodeURIComponent(to[i])}`);
      expect([from[i], to[i], res.status]).toEqual([from[i], to[i], 200]);
    }
  });

  test('an impossible date → 400 naming the field (not rolled over into the next month)', async () => {
    const res = await analytics('from=2026-02-30&to=2026-03-10');
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({
      code: 'VALIDATION_ERROR',
      message: 'from is not a real date: 2026-02 has 28 days',
      details: { field: 'from', issues: [{ field: 'from', message: 'is not a real date: 2026-02 has 28 days' }] },
    });
    const to = await analytics('from=2026-04-01&to=2026-04-31');
    expect([to.status, to.body.error.details.field]).toEqual([400, 'to']);
    expect((await analytics('from=2024-02-29&to=2024-03-01')).status).toBe(200);
  });

  test('messages name the field once: "to must be after from", "cursor is not one this API returned"', async () => {
    const same = await analytics('from=2026-11-01&to=2026-11-01');
    expect([same.body.error.message, same.body.error.details.field]).toEqual(['to must be after from', 'to']);
    for (const cursor of ['eyJ4IjoxfQ', 'a+b/c=']) {
      const res = await request(app)
        .get(`/api/payments?cursor=${encodeURIComponent(cursor)}`)
        .set('Authorization', `Bearer ${admin}`);
      expect([cursor, res.status, res.body.error.message, res.body.error.details.field]).toEqual([
        cursor,
        400,
        'cursor is not one this API returned',
        'cursor',
      ]);
    }
  });
});

describe(`the development trigger's reason (${dbLabel()})`, () => {
  const trigger = (body: object) => request(app).post('/api/payments/mock/trigger-failure').send(body);

  test('control characters in reason → 400 naming reason, before the mock gateway looks the transaction up', async () => {
    for (const reason of ['ditolak\u0000', 'a\u001b[31mmerah', 'akhir\u009f', 'baris\nbaru']) {
      const res = await trigger({ transaction_id: 'PAY-1700000000000-ABCDEF', reason });
      expect([JSON.stringify(reason), res.status, res.body.error]).toEqual([
        JSON.stringify(reason),
        400,
        {
          code: 'VALIDATION_ERROR',
          message: 'reason must not contain control characters',
          details: { field: 'reason', issues: [{ field: 'reason', message: 'must not contain control characters' }] },
        },
      ]);
    }
  });

  test('ordinary Indonesian and Unicode text passes the check (the unknown transaction is then a 404)', async () => {
    for (const reason of [
      'Saldo tidak cukup',
      'Kartu ditolak — hubungi bank Anda 🙏',
      'Pembayaran gagal: 王小明',
      '',
    ]) {
      const res = await trigger({ transaction_id: 'PAY-1700000000000-ABCDEF', reason });
      expect([reason, res.status, res.body.error.message]).toEqual([reason, 404, 'transaction not found']);
    }
  });

  test('the rest of the body is checked as the document says, each message naming its field once', async () => {
    const unknown = await trigger({ transaction_id: 'PAY-1700000000000-ABCDEF', amount: 1 });
    expect([unknown.status, unknown.body.error.message]).toEqual([400, 'amount is not a known field']);
    const bad = await trigger({ transaction_id: 'PAY-1' });
    expect([bad.status, bad.body.error.message]).toEqual([
      400,
      'transaction_id must look like PAY-<epoch ms>-<6 characters>',
    ]);
    const missing = await trigger({});
    expect([missing.status, missing.body.error.message]).toEqual([400, 'transaction_id is required']);
  });
});
