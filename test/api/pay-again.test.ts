import { Client } from '@temporalio/client';
import request from 'supertest';
import { OrderState, statusQuery } from '../../workflows/messages';
import { Stack, dbLabel, startStack } from '../helpers/stack';
import { USERS, UserName, as, tokensFor } from '../helpers/auth';

/**
 * Paying again after a decline, over HTTP against the real stack: an order has
 * one payment window (PAYMENT_EXPIRY from its first payment); a payment that
 * fails or that the client cancels leaves the order open for another, with any
 * method, until the window closes; then the order is cancelled. Never two live
 * payments; every payment listed on the order; the books still reconcile.
 */
const HARGA = 250_000;

function suite(stack: () => Stack, tokens: () => Record<UserName, string>) {
  const by = (who: UserName) => as(stack().url, tokens()[who]);
  const gatewayCall = (path: string, body: object) => request(stack().url).post(path).send(body);
  const newOrder = async () =>
    (
      await by('client').post('/api/orders', {
        client_id: USERS.client,
        freelancer_id: USERS.freelancer,
        judul: 'Pay again',
        harga: HARGA,
      })
    ).body.data.id as string;
  const create = (orderId: string, metode_pembayaran = 'qris', channel?: string) =>
    by('client').post('/api/payments/create', {
      pesanan_id: orderId,
      user_id: USERS.client,
      jumlah: HARGA,
      metode_pembayaran,
      ...(channel ? { channel } : {}),
    });
  const cancel = (who: UserName, paymentId: string) => by(who).post(`/api/payments/${paymentId}/cancel`);
  const row = (id: string) => stack().db('pembayaran').where({ id }).first();
  const orderRow = (id: string) => stack().db('pesanan').where({ id }).first();
  const workflowState = (orderId: string) =>
    new Client({ connection: stack().api.connection }).workflow.getHandle(`order-${orderId}`).query(statusQuery);
  return { by, gatewayCall, newOrder, create, cancel, row, orderRow, workflowState };
}

async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The history's lines that tell how a payment (by its transaction id) failed or was cancelled. */
const failureLines = (state: OrderState, transactionId: string) =>
  state.history
    .map((h) => h.event)
    .filter(
      (e) => e.startsWith(`payment ${transactionId} failed`) || e.startsWith(`payment ${transactionId} cancelled`),
    );

describe(`paying again after a decline (${dbLabel()})`, () => {
  let stack: Stack;
  let tokens: Record<UserName, string>;
  beforeAll(async () => {
    stack = await startStack();
    tokens = await tokensFor(stack.config.auth.jwtSecret);
  }, 180_000);
  afterAll(async () => stack?.stop());
  const t = suite(
    () => stack,
    () => tokens,
  );

  test('declined (trigger-failure), then paid again with another method: 201, the same window, settled → escrow held', async () => {
    const orderId = await t.newOrder();
    const first = await t.create(orderId, 'e_wallet', 'gopay');
    expect(first.status).toBe(201);
    const declined = await t.gatewayCall('/api/payments/mock/trigger-failure', {
      transaction_id: first.body.data.transaction_id,
      reason: 'Insufficient funds',
    });
    expect([declined.status, declined.body.data.status]).toEqual([200, 'gagal']);
    expect((await t.orderRow(orderId)).status).toBe('menunggu_pembayaran');

    const second = await t.create(orderId, 'virtual_account', 'bca');
    expect(second.status).toBe(201);
    expect(second.body.data).toMatchObject({
      status: 'menunggu',
      metode_pembayaran: 'virtual_account',
      channel: 'bca',
      total_bayar: 265_000,
    });
    expect(second.body.data.transaction_id).not.toBe(first.body.data.transaction_id);
    // one window: the second payment expires when the first would have
    expect(second.body.data.expires_at).toBe(first.body.data.expires_at);
    const repeat = await t.create(orderId, 'qris');
    expect([repeat.status, repeat.body.data.transaction_id]).toEqual([200, second.body.data.transaction_id]);

    const order = (await t.by('client').get(`/api/orders/${orderId}`)).body.data;
    expect(order.payment_id).toBe(second.body.data.payment_id);
    expect(order.payments.map((p: { id: string; status: string }) => [p.id, p.status])).toEqual([
      [second.body.data.payment_id, 'menunggu'],
      [first.body.data.payment_id, 'gagal'],
    ]);
    expect(order.payments[1]).toEqual({
      id: first.body.data.payment_id,
      transaction_id: first.body.data.transaction_id,
      status: 'gagal',
      metode_pembayaran: 'e_wallet',
      channel: 'gopay',
      total_bayar: 265_000,
      created_at: expect.any(String),
      expires_at: first.body.data.expires_at,
    });
    // the order's freelancer sees the payments' statuses only
    const seenByFreelancer = (await t.by('freelancer').get(`/api/orders/${orderId}`)).body.data.payments;
    expect(seenByFreelancer.map((p: object) => Object.keys(p).sort())).toEqual([
      ['created_at', 'expires_at', 'id', 'status'],
      ['created_at', 'expires_at', 'id', 'status'],
    ]);

    const paid = await t.gatewayCall('/api/payments/mock/trigger-success', {
      transaction_id: second.body.data.transaction_id,
    });
    expect([paid.status, paid.body.data.status]).toEqual([200, 'berhasil']);
    expect(paid.body.data.escrow_id).toEqual(expect.any(String));
    expect(await t.orderRow(orderId)).toMatchObject({
      status: 'dibayar',
      escrow_id: paid.body.data.escrow_id,
      pembayaran_id: second.body.data.payment_id,
    });

    // the workflow followed both payments (each one signalled by the outbox relay, and marked as told)
    await stack.outboxDrained();
    const state = await waitFor(
      () => t.workflowState(orderId),
      (s) => s.escrow !== null && failureLines(s, first.body.data.transaction_id).length > 0,
    );
    expect(state).toMatchObject({
      order_status: 'dibayar',
      payment: { payment_id: second.body.data.payment_id, status: 'berhasil' },
      escrow: { escrow_id: paid.body.data.escrow_id, status: 'held', jumlah_ditahan: HARGA },
    });
    expect(failureLines(state, first.body.data.transaction_id)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^payment ${first.body.data.transaction_id} failed \\(deny\\); (waiting for another payment until ${first.body.data.expires_at}|told after the order's next payment was created)$`,
        ),
      ),
    ]);
    expect(await t.row(first.body.data.payment_id)).toMatchObject({ workflow_synced_status: 'gagal' });
    expect(await t.row(second.body.data.payment_id)).toMatchObject({ workflow_synced_status: 'berhasil' });
    expect(Number((await t.row(first.body.data.payment_id)).workflow_pending)).toBe(0);
    expect(Number((await t.row(second.body.data.payment_id)).workflow_pending)).toBe(0);
  });

  test('the client cancels a waiting payment (voided at the gateway, gagal/cancel), then pays another way', async () => {
    const orderId = await t.newOrder();
    const first = (await t.create(orderId, 'qris')).body.data;
    const cancelled = await t.cancel('client', first.payment_id);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.data).toMatchObject({ id: first.payment_id, status: 'gagal', refund_status: null });
    expect(await t.row(first.payment_id)).toMatchObject({
      status: 'gagal',
      gateway_status: 'cancel',
      live_pesanan_id: null,
    });
    expect(
      (await stack.db('mock_gateway_charges').where({ transaction_id: first.transaction_id }).first()).voided_at,
    ).toEqual(expect.any(String));
    expect((await t.orderRow(orderId)).status).toBe('menunggu_pembayaran');
    // audited (by the client) with its notification event, in the same transaction
    const audit = await stack.db('audit_log').where({ record_id: first.payment_id, action: 'payment.failed' });
    expect(audit.map((a) => [a.actor_type, a.actor_id, a.status_before, a.status_after])).toEqual([
      ['user', USERS.client, 'menunggu', 'gagal'],
    ]);

    const second = await t.create(orderId, 'kartu_kredit');
    expect(second.status).toBe(201);
    expect(second.body.data.expires_at).toBe(first.expires_at);
    await stack.outboxDrained();
    // each payment is delivered on its own, so the new payment may reach the workflow before the cancellation: the history tells it either way, once
    const state = await waitFor(
      () => t.workflowState(orderId),
      (s) => s.payment?.payment_id === second.body.data.payment_id && failureLines(s, first.transaction_id).length > 0,
    );
    expect(failureLines(state, first.transaction_id)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^payment ${first.transaction_id} cancelled by the client; (waiting for another payment until ${first.expires_at}|told after the order's next payment was created)$`,
        ),
      ),
    ]);
    expect(state.payment).toMatchObject({ payment_id: second.body.data.payment_id, status: 'menunggu' });
    const paid = await t.gatewayCall('/api/payments/mock/trigger-success', {
      transaction_id: second.body.data.transaction_id,
    });
    expect(paid.body.data.status).toBe('berhasil');
  });

  test('cancel: another client 404, the freelancer 403, an admin 403, unknown 404; a settled or failed payment 409', async () => {
    const orderId = await t.newOrder();
    const p = (await t.create(orderId, 'qris')).body.data;
    const code = (res: request.Response) => [res.status, res.body.error?.code];
    expect(code(await t.cancel('otherClient', p.payment_id))).toEqual([404, 'NOT_FOUND']);
    expect(code(await t.cancel('otherFreelancer', p.payment_id))).toEqual([404, 'NOT_FOUND']);
    expect(code(await t.cancel('freelancer', p.payment_id))).toEqual([403, 'FORBIDDEN']);
    expect(code(await t.cancel('admin', p.payment_id))).toEqual([403, 'FORBIDDEN']);
    expect(code(await t.cancel('client', '7b0c58a4-9d7e-4a37-9b8e-000000000000'))).toEqual([404, 'NOT_FOUND']);
    expect(code(await t.by('client').post(`/api/payments/${p.payment_id}/cancel`, { alasan: 'x' }))).toEqual([
      400,
      'VALIDATION_ERROR',
    ]);
    expect((await t.row(p.payment_id)).status).toBe('menunggu');

    // by transaction id too; a second cancel (now failed) is 409
    expect((await t.cancel('client', p.transaction_id)).status).toBe(200);
    const again = await t.cancel('client', p.payment_id);
    expect([again.status, again.body.error.code, again.body.error.message]).toEqual([
      409,
      'INVALID_TRANSITION',
      'payment is gagal; only a waiting payment can be cancelled',
    ]);

    const declinedOrder = await t.newOrder();
    const declined = (await t.create(declinedOrder)).body.data;
    await t.gatewayCall('/api/payments/mock/trigger-failure', { transaction_id: declined.transaction_id });
    expect(code(await t.cancel('client', declined.payment_id))).toEqual([409, 'INVALID_TRANSITION']);

    const paidOrder = await t.newOrder();
    const paid = (await t.create(paidOrder)).body.data;
    await t.gatewayCall('/api/payments/mock/trigger-success', { transaction_id: paid.transaction_id });
    const settled = await t.cancel('client', paid.payment_id);
    expect([settled.status, settled.body.error.message]).toEqual([
      409,
      'payment is berhasil; only a waiting payment can be cancelled',
    ]);
    expect((await t.orderRow(paidOrder)).status).toBe('dibayar');
  });

  test('20 concurrent creates after a failure: one 201, 19 × 200 with the same transaction id, one live payment', async () => {
    const orderId = await t.newOrder();
    const first = (await t.create(orderId)).body.data;
    await t.gatewayCall('/api/payments/mock/trigger-failure', { transaction_id: first.transaction_id });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => t.create(orderId, i % 2 ? 'qris' : 'e_wallet', i % 2 ? undefined : 'ovo')),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([...Array(19).fill(200), 201]);
    const txs = new Set(answers.map((a) => a.body.data.transaction_id));
    expect(txs.size).toBe(1);
    expect([...txs][0]).not.toBe(first.transaction_id);
    expect(await stack.db('pembayaran').where({ pesanan_id: orderId, status: 'menunggu' })).toHaveLength(1);
    expect(await stack.db('pembayaran').where({ pesanan_id: orderId })).toHaveLength(2);
    expect(await stack.db('pembayaran').where({ live_pesanan_id: orderId })).toHaveLength(1);
    expect((await t.orderRow(orderId)).pembayaran_id).toBe(answers.find((a) => a.status === 201)!.body.data.payment_id);
  });

  test("a cancelled payment's checkout page no longer pays; money that arrives anyway is a late payment, owed back", async () => {
    const orderId = await t.newOrder();
    const p = (await t.create(orderId, 'qris')).body.data;
    expect((await t.cancel('client', p.payment_id)).status).toBe(200);
    const reference = new URL(p.payment_url).pathname.split('/').pop()!;
    const page = await request(stack.url).get(`/mock-payment/${reference}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-state="failed"');
    expect(page.text).not.toContain('/pay"');
    const pressed = await request(stack.url).post(`/mock-payment/${reference}/pay`).type('form').send({});
    expect([pressed.status, pressed.headers.location]).toEqual([303, `/mock-payment/${reference}/hasil`]);
    expect(await t.row(p.payment_id)).toMatchObject({ status: 'gagal', refund_status: null });
    expect(
      (await stack.db('mock_gateway_charges').where({ transaction_id: p.transaction_id }).first()).settled_at,
    ).toBeNull();

    const late = await t.gatewayCall('/api/payments/mock/trigger-success', { transaction_id: p.transaction_id });
    expect([late.status, late.body.data.status, late.body.data.escrow_id]).toEqual([200, 'gagal', null]);
    expect(await t.row(p.payment_id)).toMatchObject({
      status: 'gagal',
      refund_status: 'due',
      late_gateway_status: 'settlement',
    });
    const read = (await t.by('client').get(`/api/payments/${p.payment_id}`)).body.data;
    expect(read).toMatchObject({ status: 'gagal', refund_status: 'due', escrow_id: null });
    expect((await t.orderRow(orderId)).status).toBe('menunggu_pembayaran'); // the late money never pays the order
    expect(await stack.db('escrow').where({ pesanan_id: orderId })).toHaveLength(0);
  });
});

describe(`the payment window closes (PAYMENT_EXPIRY 6s, ${dbLabel()})`, () => {
  let stack: Stack;
  let tokens: Record<UserName, string>;
  beforeAll(async () => {
    stack = await startStack({
      PAYMENT_EXPIRY: '6s',
      MOCK_AUTO_SUCCESS: 'false',
      PAYMENT_SWEEP_INTERVAL: '1s',
      PAYMENT_SWEEP_GRACE: '2s',
    });
    tokens = await tokensFor(stack.config.auth.jwtSecret);
  }, 180_000);
  afterAll(async () => stack?.stop());
  const t = suite(
    () => stack,
    () => tokens,
  );

  test('declined, paid again late in the window: the new payment expires with the window and the order is cancelled', async () => {
    const orderId = await t.newOrder();
    const first = (await t.create(orderId)).body.data;
    await t.gatewayCall('/api/payments/mock/trigger-failure', { transaction_id: first.transaction_id });
    await new Promise((r) => setTimeout(r, 2500));
    const second = await t.create(orderId, 'e_wallet', 'dana');
    expect(second.status).toBe(201);
    expect(second.body.data.expires_at).toBe(first.expires_at);
    const order = await waitFor(
      () => t.orderRow(orderId),
      (o) => o.status !== 'menunggu_pembayaran',
    );
    expect(order.status).toBe('dibatalkan');
    expect((await t.row(second.body.data.payment_id)).status).toBe('kadaluarsa');
    expect((await t.row(first.payment_id)).status).toBe('gagal');
    const after = await t.create(orderId, 'qris');
    expect([after.status, after.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
    const state = await waitFor(
      () => t.workflowState(orderId),
      (s) => s.order_status === 'dibatalkan',
    );
    expect(state).toMatchObject({
      order_status: 'dibatalkan',
      payment: { payment_id: second.body.data.payment_id, status: 'kadaluarsa' },
    });
    const audit = await stack.db('audit_log').where({ record_id: orderId, action: 'order.status_changed' });
    expect(audit.map((a) => a.status_after)).toEqual(['dibatalkan']);
  });

  test('declined and nothing more: when the window closes the workflow cancels the order; a create after it is 409', async () => {
    const orderId = await t.newOrder();
    const first = (await t.create(orderId)).body.data;
    await t.gatewayCall('/api/payments/mock/trigger-failure', { transaction_id: first.transaction_id });
    expect((await t.orderRow(orderId)).status).toBe('menunggu_pembayaran');
    const order = await waitFor(
      () => t.orderRow(orderId),
      (o) => o.status !== 'menunggu_pembayaran',
    );
    expect(order.status).toBe('dibatalkan');
    const state = await waitFor(
      () => t.workflowState(orderId),
      (s) => s.order_status === 'dibatalkan',
    );
    expect(state.history.at(-1)?.event).toMatch(
      new RegExp(`^payment window closed at ${first.expires_at} without a settled payment`),
    );
    const late = await t.create(orderId, 'qris');
    expect(late.status).toBe(409);
  });

  test("with no workflow to close it, the worker's sweep closes the window in the database", async () => {
    const orderId = await t.newOrder();
    const first = (await t.create(orderId)).body.data;
    await t.gatewayCall('/api/payments/mock/trigger-failure', { transaction_id: first.transaction_id });
    await stack.outboxDrained();
    await stack.api.connection.workflowService.terminateWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: `order-${orderId}` },
      reason: 'test: no workflow',
    });
    const order = await waitFor(
      () => t.orderRow(orderId),
      (o) => o.status !== 'menunggu_pembayaran',
      40_000,
    );
    expect(order.status).toBe('dibatalkan');
    const audit = await stack.db('audit_log').where({ record_id: orderId, action: 'order.status_changed' });
    expect(audit.map((a) => [a.actor_type, a.status_after])).toEqual([['system', 'dibatalkan']]);
  }, 60_000);
});
