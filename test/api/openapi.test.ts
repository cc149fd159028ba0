import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Knex } from 'knex';
import type { Express } from 'express';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../api/app';
import { OpenApiDocument, openApiDocument } from '../../api/openapi';
import { schemas } from '../../api/schemas';
import type { OrderWorkflows } from '../../api/workflow-calls';
import { Config, loadConfig } from '../../domain/config';
import { createMockGatewayRouter } from '../../gateway/router';
import { createGateway } from '../../scripts/compose';
import { USERS, as, tokensFor } from '../helpers/auth';
import { ResponseRecorder } from '../helpers/openapi-recorder';
import { Stack, dbLabel, freshDb, startStack, testEnv } from '../helpers/stack';

/**
 * The OpenAPI document (GET /openapi.json) and the docs page (GET /docs): every
 * mounted route documented and nothing more, a valid 3.1 document, the schemas
 * saying what validation enforces, and real responses matching their schemas
 * (every API suite's stack checks its own; this one proves the check works).
 */
/** @seriousme/openapi-schema-validator is ESM only: it runs in a node child process. */
async function validateOpenApi(d: unknown): Promise<unknown> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-'));
  try {
    const file = path.join(dir, 'openapi.json');
    fs.writeFileSync(file, JSON.stringify(d));
    const script = `import { Validator } from '@seriousme/openapi-schema-validator';
const result = await new Validator().validate(${JSON.stringify(file)});
process.stdout.write(JSON.stringify(result));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: path.resolve(__dirname, '../..'),
    });
    return JSON.parse(stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

let db: Knex;
let config: Config;
let app: Express;
let doc: OpenApiDocument;

beforeAll(async () => {
  config = loadConfig(testEnv());
  db = await freshDb(config);
  const logger = pino({ level: 'silent' });
  // built as in the API tests (development: the mock gateway's routers are mounted)
  app = createApp({
    db,
    config,
    logger,
    workflows: {} as OrderWorkflows,
    gateway: createGateway(config, db, logger),
    temporalHealth: async () => undefined,
    extraRouters: [createMockGatewayRouter(createGateway(config, db, logger))],
  });
  doc = openApiDocument(schemas(config.amountLimits), { development: true });
});
afterAll(async () => db?.destroy());

type Layer = {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  name?: string;
  handle?: { stack?: Layer[] };
};

/** `METHOD /path/{param}` for every route of the app, through its routers (all mounted without a prefix). */
function mountedRoutes(stack: Layer[]): string[] {
  const out: string[] = [];
  for (const layer of stack) {
    if (layer.route) {
      for (const path of ([] as string[]).concat(layer.route.path)) {
        for (const [method, on] of Object.entries(layer.route.methods))
          if (on && method !== '_all') out.push(`${method.toUpperCase()} ${path.replace(/:(\w+)/g, '{$1}')}`);
      }
    } else if (layer.name === 'router' && layer.handle?.stack) {
      out.push(...mountedRoutes(layer.handle.stack));
    }
  }
  return out;
}
const documentedRoutes = (d: OpenApiDocument) =>
  Object.entries(d.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));

describe('the OpenAPI document', () => {
  test('documents every route the app mounts, and nothing it does not', () => {
    const mounted = [
      ...new Set(mountedRoutes((app as unknown as { _router: { stack: Layer[] } })._router.stack)),
    ].sort();
    const documented = documentedRoutes(doc).sort();
    expect(mounted.length).toBeGreaterThan(25);
    expect({
      undocumented: mounted.filter((r) => !documented.includes(r)),
      notMounted: documented.filter((r) => !mounted.includes(r)),
    }).toEqual({ undocumented: [], notMounted: [] });
  });

  test('is a valid OpenAPI 3.1 document (development and production)', async () => {
    for (const d of [doc, openApiDocument(schemas(config.amountLimits), { development: false })]) {
      const result = await validateOpenApi(d);
      expect(result).toEqual({ valid: true });
      expect(d.openapi).toBe('3.1.0');
    }
    const production = openApiDocument(schemas(config.amountLimits), { development: false });
    expect(Object.keys(production.paths).some((p) => p.startsWith('/mock-') || p.includes('/mock/'))).toBe(false);
  });

  test('says what validation enforces: methods, strict bodies, webhook strings, bearer auth', () => {
    const s = doc.components.schemas as Record<
      string,
      { properties: Record<string, Record<string, unknown>>; required: string[]; additionalProperties: unknown }
    >;
    expect(s.CreatePaymentRequest.properties.metode_pembayaran.enum).toEqual([
      'qris',
      'virtual_account',
      'e_wallet',
      'transfer_bank',
      'kartu_kredit',
    ]);
    expect(s.CreatePaymentRequest.properties.jumlah).toMatchObject({
      type: 'integer',
      minimum: config.amountLimits.min,
    });
    expect(s.CreatePaymentRequest.required).toEqual(['pesanan_id', 'user_id', 'jumlah', 'metode_pembayaran']);
    expect(s.CreatePaymentRequest.additionalProperties).toBe(false);
    expect(s.WithdrawRequest.properties.metode_pencairan.enum).toEqual(['transfer_bank', 'e_wallet']);
    expect(s.PaymentWebhook.properties.gross_amount).toMatchObject({ type: 'string' });
    expect(String(s.PaymentWebhook.properties.gross_amount.description)).toMatch(/total_bayar/);
    expect(s.PaymentWebhook.required).toEqual([
      'transaction_id',
      'transaction_status',
      'gross_amount',
      'timestamp',
      'signature',
    ]);
    expect(s.PayoutWebhook.properties.amount).toMatchObject({ type: 'string' });
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    expect(doc.paths['/api/orders'].post).toMatchObject({ security: [{ bearerAuth: [] }] });
    expect(doc.paths['/api/payments/webhook'].post).toMatchObject({ security: [] });
    const query = (doc.paths['/api/payments'].get as unknown as { parameters: { name: string; in: string }[] })
      .parameters;
    expect(query.map((p) => `${p.in}:${p.name}`)).toEqual([
      'query:status',
      'query:user_id',
      'query:limit',
      'query:cursor',
    ]);
  });

  test('says exactly what the server enforces: portable patterns, enums, per-method rules, one shape per decision, 405', () => {
    const s = doc.components.schemas as Record<string, Record<string, unknown>>;
    const props = (name: string) => s[name].properties as Record<string, Record<string, unknown>>;
    const params = (path: string, method = 'get') =>
      (doc.paths[path][method] as unknown as { parameters: { name: string; schema: Record<string, unknown> }[] })
        .parameters;
    const patterns: string[] = [];
    JSON.stringify(doc, (k, v) => {
      if (k === 'pattern' && typeof v === 'string') patterns.push(v);
      return v;
    });
    expect(patterns.filter((p) => /\\[pPdsw]|\\u\{/.test(p))).toEqual([]);
    expect(props('CancelOrderRequest').alasan.pattern).toMatch(/^\^/);
    expect(new RegExp(String(props('CancelOrderRequest').alasan.pattern), 'u').test('   ')).toBe(false);
    expect(props('MockTriggerRequest').reason.pattern).toBe('^[^\\u0000-\\u001F\\u007F-\\u009F]*$');
    expect(params('/api/payments').find((p) => p.name === 'cursor')!.schema.pattern).toBe('^[A-Za-z0-9_-]+$');
    const paymentId = new RegExp(String(params('/api/payments/{id}')[0].schema.pattern));
    expect(['PAY-1764316800000-ABC123', USERS.client].every((id) => paymentId.test(id))).toBe(true);
    expect(paymentId.test('create')).toBe(false);
    expect(props('CreatePaymentRequest').channel.enum).toEqual(
      expect.arrayContaining(['qris', 'bca', 'gopay', 'visa']),
    );
    expect(s.CreatePaymentRequest.allOf).toHaveLength(5);
    expect(String(props('CreatePaymentRequest').jumlah.description)).toContain('qris 10000000');
    expect(props('WithdrawRequest').nomor_rekening).toMatchObject({ minLength: 1 });
    expect(s.ResolveDisputeRequest.oneOf).toHaveLength(2);
    const [from, to] = ['from', 'to'].map(
      (n) => (params('/api/admin/analytics').find((p) => p.name === n)!.schema.examples as string[])[0],
    );
    expect(from < to).toBe(true);
    expect(doc.components.responses.MethodNotAllowed).toMatchObject({ headers: { Allow: expect.any(Object) } });
  });

  test('is served at GET /openapi.json, with Swagger UI at GET /docs from the package, under the CSP', async () => {
    const served = await request(app).get('/openapi.json');
    expect(served.status).toBe(200);
    expect(served.body).toEqual(JSON.parse(JSON.stringify(doc)));
    const page = await request(app).get('/docs');
    expect(page.status).toBe(200);
    expect(page.type).toBe('text/html');
    expect(page.text).not.toMatch(/<script>|<script [^>]*>[^<\s]/); // no inline script: the CSP forbids it
    expect(page.text).not.toMatch(/https?:\/\//); // no CDN
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    const init = await request(app).get('/docs/swagger-initializer.js');
    expect(init.status).toBe(200);
    expect(init.text).toMatch(/url: '\/openapi\.json'/);
    for (const file of ['swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'swagger-ui.css', 'index.css']) {
      expect((await request(app).get(`/docs/${file}`)).status).toBe(200);
    }
  });
});

describe('the recorded-response check', () => {
  test('finds a body that does not match, an undocumented field and an undocumented status', () => {
    const recorder = new ResponseRecorder(doc);
    const body = (v: unknown) => Buffer.from(JSON.stringify(v));
    const order = {
      id: USERS.client,
      client_id: USERS.client,
      freelancer_id: USERS.freelancer,
      judul: 'x',
      harga: 250000,
      status: 'menunggu_pembayaran',
      payment_id: null,
      escrow_id: null,
      withdrawal_id: null,
      workflow_id: 'order-x',
      refund_id: null,
      created_at: '2026-11-01T00:00:00.000Z',
      updated_at: '2026-11-01T00:00:00.000Z',
      payments: [],
    };
    expect(
      recorder.check(
        'get',
        `/api/orders/${USERS.client}`,
        200,
        'application/json',
        body({ success: true, message: 'ok', data: order }),
      ),
    ).toBeNull();
    expect(
      recorder.check(
        'get',
        `/api/orders/${USERS.client}`,
        200,
        'application/json',
        body({ success: true, message: 'ok', data: { ...order, harga: '250000' } }),
      ),
    ).toMatch(/harga must be integer/);
    expect(
      recorder.check(
        'get',
        `/api/orders/${USERS.client}`,
        200,
        'application/json',
        body({ success: true, message: 'ok', data: { ...order, secret: 1 } }),
      ),
    ).toMatch(/additional/);
    expect(
      recorder.check(
        'get',
        `/api/orders/${USERS.client}`,
        418,
        'application/json',
        body({ success: false, error: { code: 'X', message: 'x' } }),
      ),
    ).toMatch(/418 is not documented/);
    expect(
      recorder.check(
        'get',
        '/api/payments/withdrawals',
        200,
        'application/json',
        body({ success: true, message: 'ok', data: order }),
      ),
    ).toMatch(/GET \/api\/payments\/withdrawals → 200/);
    expect(recorder.checked).toBe(4);
    expect(recorder.report()).toHaveLength(4);
  });
});

describe(`recorded responses of a running stack (${dbLabel()})`, () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  }, 180_000);
  afterAll(async () => stack?.stop()); // fails on any mismatch

  test('a paid, released and withdrawn order: every answer matches its documented schema', async () => {
    const tokens = await tokensFor(stack.config.auth.jwtSecret);
    const client = as(stack.url, tokens.client);
    const freelancer = as(stack.url, tokens.freelancer);
    const order = await client.post('/api/orders', {
      client_id: USERS.client,
      freelancer_id: USERS.freelancer,
      judul: 'Docs',
      harga: 250_000,
    });
    expect(order.status).toBe(201);
    const pay = await client.post('/api/payments/create', {
      pesanan_id: order.body.data.id,
      user_id: USERS.client,
      jumlah: 250_000,
      metode_pembayaran: 'VIRTUAL_ACCOUNT',
      channel: 'bni',
    });
    expect(pay.status).toBe(201);
    const paid = await request(stack.url)
      .post('/api/payments/mock/trigger-success')
      .send({ transaction_id: pay.body.data.transaction_id });
    expect(paid.status).toBe(200);
    expect((await client.get(`/api/payments/${pay.body.data.transaction_id}`)).status).toBe(200);
    expect((await client.get(`/api/payments/escrow/${paid.body.data.escrow_id}`)).status).toBe(200);
    expect(
      (
        await client.post('/api/payments/escrow/release', {
          escrow_id: paid.body.data.escrow_id,
          user_id: USERS.client,
        })
      ).status,
    ).toBe(200);
    const w = await freelancer.post('/api/payments/withdraw', {
      escrow_id: paid.body.data.escrow_id,
      freelancer_id: USERS.freelancer,
      metode_pencairan: 'e_wallet',
      nomor_rekening: '081234567890',
      nama_pemilik: 'Dewi',
    });
    expect(w.status).toBe(201);
    expect((await freelancer.get('/api/freelancers/me/balance')).status).toBe(200);
    expect((await client.get(`/api/orders/${order.body.data.id}/lifecycle`)).status).toBe(200);
    expect((await client.post('/api/payments/create', { pesanan_id: order.body.data.id })).status).toBe(400);
    expect((await request(stack.url).get('/health')).status).toBe(200);
    expect(stack.responses!.checked).toBeGreaterThan(8);
    expect(stack.responses!.report()).toEqual([]);
  });
});
