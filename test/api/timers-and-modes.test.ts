import express from 'express';
import http from 'node:http';
import request from 'supertest';
import pino from 'pino';
import { Client } from '@temporalio/client';
import { signWebhook, verifyPayoutSignature, verifyWebhookSignature } from '../../domain/signature';
import { loadConfig } from '../../domain/config';
import { MockGateway, MockGatewayOptions } from '../../gateway/mock-gateway';
import { PayoutTemporaryError } from '../../gateway/mock-bank';
import { createLogger, startApi } from '../../scripts/compose';
import { createApp } from '../../api/app';
import type { OrderWorkflows } from '../../api/workflow-calls';
import { waitFor } from '../helpers/wait';
import { Stack, dbLabel, freshDb, startStack, testEnv } from '../helpers/stack';
import { USERS, UserName, as, tokensFor } from '../helpers/auth';

/**
 * Short timers through PAYMENT_EXPIRY / ESCROW_AUTO_RELEASE_AFTER on the real
 * service, the mock gateway's own behaviour (auto-success, retried webhook
 * delivery, idempotent payouts), and production mode.
 */

describe(`short timers on the running service (${dbLabel()})`, () => {
  let stack: Stack;
  let tokens: Record<UserName, string>;
  beforeAll(async () => {
    stack = await startStack({ PAYMENT_EXPIRY: '2s', ESCROW_AUTO_RELEASE_AFTER: '2s', MOCK_AUTO_SUCCESS: 'false' });
    tokens = await tokensFor(stack.config.auth.jwtSecret);
  }, 180_000);
  afterAll(async () => stack?.stop());

  const api = () => as(stack.url, tokens.client);
  const gatewayCall = (path: string, body: object) => request(stack.url).post(path).send(body);
  async function order() {
    const res = await api().post('/api/orders', {
      client_id: USERS.client,
      freelancer_id: USERS.freelancer,
      judul: 'Short',
      harga: 50_000,
    });
    return res.body.data.id as string;
  }

  test('an unpaid payment expires (kadaluarsa), cancels the order, and a late settlement does not revive it: it is marked for refund', async () => {
    const id = await order();
    const pay = await api().post('/api/payments/create', {
      pesanan_id: id,
      user_id: USERS.client,
      jumlah: 50_000,
      metode_pembayaran: 'qris',
    });
    expect(pay.status).toBe(201);
    const payment = await waitFor(
      async () => (await api().get(`/api/payments/${pay.body.data.payment_id}`)).body.data,
      (p) => p.status !== 'menunggu',
    );
    expect(payment.status).toBe('kadaluarsa');
    expect((await api().get(`/api/orders/${id}`)).body.data.status).toBe('dibatalkan');
    const late = await gatewayCall('/api/payments/mock/trigger-success', {
      transaction_id: pay.body.data.transaction_id,
    });
    expect([late.status, late.body.data?.status]).toEqual([200, 'kadaluarsa']);
    const after = (await api().get(`/api/payments/${pay.body.data.payment_id}`)).body.data;
    expect(after).toMatchObject({ status: 'kadaluarsa', refund_status: 'due', escrow_id: null });
    expect(after.late_settled_at).toEqual(expect.any(String));
    expect(await stack.db('escrow').where({ pesanan_id: id })).toHaveLength(0);
    const workflow = await stack.api.connection.workflowService.describeWorkflowExecution({
      namespace: 'default',
      execution: { workflowId: `order-${id}` },
    });
    expect(workflow.workflowExecutionInfo?.status).toBe(2); // COMPLETED: the late money never reopened the order
  });

  test('race: settlements sent around the moment of expiry: each payment ends one way everywhere (answer, database, workflow)', async () => {
    const offsets = [-150, -50, -10, 0, 10, 50, 150]; // ms around expires_at
    const results = await Promise.all(
      offsets.map(async (offset) => {
        const id = await order();
        const pay = (
          await api().post('/api/payments/create', {
            pesanan_id: id,
            user_id: USERS.client,
            jumlah: 50_000,
            metode_pembayaran: 'qris',
          })
        ).body.data;
        await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(pay.expires_at) + offset - Date.now())));
        const fields = {
          transaction_id: pay.transaction_id,
          transaction_status: 'settlement',
          gross_amount: String(pay.total_bayar),
          timestamp: String(Math.floor(Date.now() / 1000)),
        };
        await stack.gateway.recordSettlement(pay.transaction_id);
        const answer = await gatewayCall('/api/payments/webhook', {
          ...fields,
          signature: signWebhook(fields, stack.config.mock.secret),
        });
        const handle = new Client({ connection: stack.api.connection }).workflow.getHandle(`order-${id}`);
        const state = await waitFor(
          () => handle.query<any>('status').catch(() => null),
          (st) => st != null && st.payment.status !== 'menunggu',
        );
        const [row] = await stack.db('pembayaran').where({ id: pay.payment_id });
        const escrows = await stack.db('escrow').where({ pesanan_id: id });
        return {
          offset,
          answer: answer.status,
          answered: answer.body.status,
          refund: answer.body.refund_status ?? null,
          db: row.status,
          dbRefund: row.refund_status,
          escrows: escrows.length,
          workflow: state.payment.status,
        };
      }),
    );
    for (const r of results) {
      expect([r.offset, r.answer]).toEqual([r.offset, 200]); // always 2xx: the gateway must not retry recorded money
      expect([r.offset, r.answered, r.workflow]).toEqual([r.offset, r.db, r.db]);
      if (r.db === 'berhasil') expect([r.offset, r.escrows, r.refund, r.dbRefund]).toEqual([r.offset, 1, null, null]);
      else expect([r.offset, r.db, r.escrows, r.refund, r.dbRefund]).toEqual([r.offset, 'kadaluarsa', 0, 'due', 'due']);
    }
    // well before the expiry the settlement wins
    expect(results[0].db).toBe('berhasil');
  }, 60_000);

  test('a held escrow is released automatically when nobody acts; akan_dirilis_pada follows the setting', async () => {
    const id = await order();
    const pay = await api().post('/api/payments/create', {
      pesanan_id: id,
      user_id: USERS.client,
      jumlah: 50_000,
      metode_pembayaran: 'qris',
    });
    const trig = await gatewayCall('/api/payments/mock/trigger-success', {
      transaction_id: pay.body.data.transaction_id,
    });
    const escrowId = trig.body.data.escrow_id;
    const held = (await api().get(`/api/payments/escrow/${escrowId}`)).body.data;
    expect(held.status).toBe('held');
    expect(Date.parse(held.akan_dirilis_pada) - Date.parse(held.ditahan_pada)).toBe(2000);
    const released = await waitFor(
      async () => (await api().get(`/api/payments/escrow/${escrowId}`)).body.data,
      (e) => e.status !== 'held',
    );
    expect(released).toMatchObject({ status: 'released', dirilis_oleh: 'auto' });
    expect((await api().get(`/api/orders/${id}`)).body.data.status).toBe('selesai');
    const w = await as(stack.url, tokens.freelancer).post('/api/payments/withdraw', {
      escrow_id: escrowId,
      freelancer_id: USERS.freelancer,
      metode_pencairan: 'e_wallet',
      nomor_rekening: '081234567890',
      nama_pemilik: 'F One',
    });
    expect(w.status).toBe(201);
    expect(w.body.data).toMatchObject({
      status: 'completed',
      jumlah: 50_000,
      biaya_platform: 2_500,
      jumlah_bersih: 47_500,
    });
  });
});

describe(`the mock gateway on its own (${dbLabel()})`, () => {
  const config = loadConfig(testEnv());
  let db: Awaited<ReturnType<typeof freshDb>>;
  let server: http.Server;
  let url: string;
  const received: { body: Record<string, string>; at: number }[] = [];
  const payoutNotices: { body: Record<string, string>; at: number }[] = [];
  let failuresLeft = 0;

  beforeAll(async () => {
    db = await freshDb(config);
    const app = express();
    app.use(express.json());
    app.post('/api/payments/webhook', (req, res) => {
      received.push({ body: req.body, at: Date.now() });
      if (failuresLeft > 0) {
        failuresLeft--;
        return void res.status(503).json({ success: false });
      }
      res.json({ success: true, status: 'berhasil', escrow_id: 'e-1' });
    });
    app.post('/api/payouts/webhook', (req, res) => {
      payoutNotices.push({ body: req.body, at: Date.now() });
      res.json({ success: true });
    });
    server = app.listen(0);
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server?.close();
    await db?.destroy();
  });

  const gateway = (autoSuccess: boolean, extra: Partial<MockGatewayOptions> = {}) =>
    new MockGateway({
      db,
      backendUrl: url,
      secret: 'gw-test-secret',
      autoSuccess,
      autoSuccessDelayMs: 300,
      logger: pino({ level: 'silent' }),
      deliveryBackoffMs: 50,
      ...extra,
    });
  const charge = (gw: MockGateway, id: string) =>
    gw.createCharge({
      transaction_id: id,
      method: 'qris',
      channel: 'qris',
      gross_amount: 106_000,
      expires_at: new Date(Date.now() + 86_400_000).toISOString(),
    });

  test('MOCK_AUTO_SUCCESS settles a payment about 3 s (here 300 ms) after creation with a correctly signed webhook', async () => {
    received.length = 0;
    const gw = gateway(true);
    const created = Date.now();
    await charge(gw, 'PAY-1700000000000-AUTO01');
    const hit = await waitFor(
      async () => received.find((r) => r.body.transaction_id === 'PAY-1700000000000-AUTO01'),
      (r) => r !== undefined,
      5000,
    );
    expect(hit).toBeDefined();
    expect(hit!.at - created).toBeGreaterThanOrEqual(250);
    expect(hit!.body).toMatchObject({ transaction_status: 'settlement', gross_amount: '106000' });
    expect(verifyWebhookSignature(hit!.body as never, hit!.body.signature, 'gw-test-secret')).toBe(true);
    gw.close();
  });

  test('webhook delivery retries with growing backoff while the service fails, then reports the answer', async () => {
    received.length = 0;
    failuresLeft = 2;
    const gw = gateway(false);
    await charge(gw, 'PAY-1700000000000-RETRY1');
    const delivery = await gw.notify('PAY-1700000000000-RETRY1', 'settlement');
    expect(delivery).toMatchObject({ status: 200, attempts: 3 });
    expect(received).toHaveLength(3);
    const gaps = [received[1].at - received[0].at, received[2].at - received[1].at];
    expect(gaps[0]).toBeGreaterThanOrEqual(45);
    expect(gaps[1]).toBeGreaterThanOrEqual(95);
  });

  test('a charge and a payout are idempotent by their keys', async () => {
    const gw = gateway(false);
    const a = await charge(gw, 'PAY-1700000000000-IDEMP1');
    const b = await charge(gw, 'PAY-1700000000000-IDEMP1');
    expect(b).toEqual(a);
    expect(await db('mock_gateway_charges').where({ transaction_id: 'PAY-1700000000000-IDEMP1' })).toHaveLength(1);
    const req = {
      idempotency_key: 'wd-1',
      amount: 237_500,
      method: 'transfer_bank' as const,
      nomor_rekening: '1234567890',
      nama_pemilik: 'J',
    };
    const [p1, p2] = await Promise.all([gw.payout(req), gw.payout(req)]);
    expect(p2).toEqual(p1);
    const rows = await db('mock_gateway_payouts').where({ idempotency_key: 'wd-1' });
    expect(rows).toHaveLength(1);
    expect(rows[0].account_last4).toBe('7890');
    gw.close();
  });

  test('a payout is queued, completed about MOCK_PAYOUT_DELAY_MS later, and notified with a correctly signed payout notification', async () => {
    const gw = gateway(false, { payoutDelayMs: 200 });
    const queued = Date.now();
    const p = await gw.payout({
      idempotency_key: 'wd-async',
      amount: 237_500,
      method: 'transfer_bank',
      channel: 'bca',
      nomor_rekening: '1234567890',
      nama_pemilik: 'J',
    });
    expect(p).toMatchObject({ status: 'queued', completed_at: null, amount: 237_500 });
    expect((await gw.getPayout('wd-async'))!.status).toBe('queued');
    const hit = await waitFor(
      async () => payoutNotices.find((r) => r.body.external_id === 'wd-async'),
      (r) => r !== undefined,
      5000,
    );
    expect(hit!.at - queued).toBeGreaterThanOrEqual(150);
    expect(hit!.body).toMatchObject({
      external_id: 'wd-async',
      reference: p.reference,
      status: 'completed',
      amount: '237500',
      failure_reason: '',
    });
    expect(verifyPayoutSignature(hit!.body as never, hit!.body.signature, 'gw-test-secret')).toBe(true);
    expect((await gw.getPayout('wd-async'))!.status).toBe('completed');
    gw.close();
  });

  test('a queued payout whose process stopped before its timer is completed by the next status check, without a notification when they are off', async () => {
    const gw = gateway(false, { payoutDelayMs: 100, payoutNotifications: false });
    await gw.payout({
      idempotency_key: 'wd-lazy',
      amount: 237_500,
      method: 'transfer_bank',
      nomor_rekening: '1234567890',
      nama_pemilik: 'J',
    });
    gw.close(); // the timer is gone with the process
    await new Promise((r) => setTimeout(r, 150));
    expect((await db('mock_gateway_payouts').where({ idempotency_key: 'wd-lazy' }).first()).status).toBe('queued');
    const checked = await gateway(false, { payoutDelayMs: 100, payoutNotifications: false }).getPayout('wd-lazy');
    expect(checked).toMatchObject({ status: 'completed', completed_at: expect.any(String) });
    await new Promise((r) => setTimeout(r, 100));
    expect(payoutNotices.filter((r) => r.body.external_id === 'wd-lazy')).toEqual([]);
  });

  test('the sandbox accounts: 000… is refused for good; 999… fails twice for now, then is queued once; a cancelled key never pays', async () => {
    const gw = gateway(false, { payoutDelayMs: 60_000 });
    const req = (key: string, nomor_rekening: string) => ({
      idempotency_key: key,
      amount: 100,
      method: 'transfer_bank' as const,
      nomor_rekening,
      nama_pemilik: 'J',
    });
    expect(await gw.payout(req('wd-000', '0001234567'))).toMatchObject({
      status: 'failed',
      failure_reason: 'ACCOUNT_CLOSED: the receiving account is closed',
    });
    expect(await gw.payout(req('wd-000', '0001234567'))).toMatchObject({ status: 'failed' }); // the same answer again
    await expect(gw.payout(req('wd-999', '9991234567'))).rejects.toThrow(PayoutTemporaryError);
    await expect(gw.payout(req('wd-999', '9991234567'))).rejects.toThrow(PayoutTemporaryError);
    expect(await gw.payout(req('wd-999', '9991234567'))).toMatchObject({ status: 'queued' });
    expect(await gw.payout(req('wd-999', '9991234567'))).toMatchObject({ status: 'queued' });
    expect(await db('mock_gateway_payouts').where({ idempotency_key: 'wd-999' })).toHaveLength(1);
    expect(await gw.cancelPayout({ idempotency_key: 'wd-999', amount: 100, reason: 'late' })).toMatchObject({
      status: 'queued',
    }); // taken: its word stands
    expect(
      await gw.cancelPayout({ idempotency_key: 'wd-cancel', amount: 100, reason: 'out of attempts' }),
    ).toMatchObject({ status: 'failed', failure_reason: 'CANCELLED: out of attempts' });
    expect(await gw.payout(req('wd-cancel', '1234567890'))).toMatchObject({ status: 'failed' }); // a request still in flight pays nothing
    gw.close();
  });
});

describe('production mode', () => {
  test('refuses to start without MOCK_PAYMENT_SECRET', () => {
    expect(() => loadConfig(testEnv({ NODE_ENV: 'production', MOCK_PAYMENT_SECRET: '' }))).toThrow(
      /MOCK_PAYMENT_SECRET/,
    );
  });

  test('the trigger endpoints and the checkout page answer 404', async () => {
    const stack = await startStack();
    try {
      const prodConfig = loadConfig(
        testEnv({
          NODE_ENV: 'production',
          MOCK_PAYMENT_SECRET: 'a-production-secret-of-enough-length',
          JWT_SECRET: 'a-production-jwt-secret-of-32-bytes-or-more',
          TEMPORAL_ADDRESS: stack.temporal.address,
          TRUST_PROXY: 'loopback',
        }),
      );
      const prod = await startApi(prodConfig, stack.db, stack.gateway, createLogger(prodConfig), 0);
      try {
        const dev = await request(stack.url).post('/api/payments/mock/trigger-success').send({});
        expect(dev.status).toBe(400); // mounted outside production
        for (const [method, path] of [
          ['post', '/api/payments/mock/trigger-success'],
          ['post', '/api/payments/mock/trigger-failure'],
          ['get', '/mock-payment/MOCK-1700000000000-ABCDEF'],
        ] as const) {
          // as the TLS-terminating proxy forwards it (plain HTTP would be refused first)
          const agent = request(prod.url);
          const res = await agent[method](path)
            .set('X-Forwarded-Proto', 'https')
            .send({ transaction_id: 'PAY-1700000000000-ABCDEF' });
          expect([path, res.status]).toEqual([path, 404]);
        }
      } finally {
        await prod.close();
      }
    } finally {
      await stack.stop();
    }
  }, 120_000);
});

describe(`GET /health (${dbLabel()})`, () => {
  test('answers 503 naming what is down when Temporal or the database does not answer', async () => {
    const config = loadConfig(testEnv());
    const db = await freshDb(config);
    let temporalUp = true;
    const app = createApp({
      db,
      config,
      logger: pino({ level: 'silent' }),
      workflows: {} as OrderWorkflows, // health never touches workflows
      gateway: {} as MockGateway,
      temporalHealth: async () => {
        if (!temporalUp) throw new Error('connection refused');
      },
    });
    const up = await request(app).get('/health');
    expect([up.status, up.body.data]).toEqual([200, { database: 'ok', database_writes: 'ok', temporal: 'ok' }]);
    temporalUp = false;
    const noTemporal = await request(app).get('/health');
    expect([noTemporal.status, noTemporal.body.success, noTemporal.body.data]).toEqual([
      503,
      false,
      { database: 'ok', database_writes: 'ok', temporal: 'unavailable' },
    ]);
    temporalUp = true;
    await db.destroy();
    const noDb = await request(app).get('/health');
    expect([noDb.status, noDb.body.data]).toEqual([
      503,
      { database: 'unavailable', database_writes: 'unavailable', temporal: 'ok' },
    ]);
  });
});
