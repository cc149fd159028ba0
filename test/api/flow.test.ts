import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import request from 'supertest';
import { signWebhook } from '../../domain/signature';
import { INVOICE_NUMBER_PATTERN, TRANSACTION_ID_PATTERN } from '../../domain/ids';
import { Stack, dbLabel, startStack } from '../helpers/stack';
import { USERS, UserName, as, tokensFor } from '../helpers/auth';

/**
 * The seed's testing-guide flow and every error answer, over HTTP against the
 * running service: real Temporal dev server, real worker, real database.
 */
let stack: Stack;
const DAY = 24 * 3600 * 1000;

let tokens: Record<UserName, string>;

beforeAll(async () => {
  stack = await startStack();
  tokens = await tokensFor(stack.config.auth.jwtSecret);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

const api = () => request(stack.url);
const by = (who: UserName) => as(stack.url, tokens[who]);
const post = (path: string, body: unknown, who: UserName = 'client') => by(who).post(path, body);

async function createOrder(harga = 250_000, client: string = USERS.client, freelancer: string = USERS.freelancer) {
  const res = await post('/api/orders', { client_id: client, freelancer_id: freelancer, judul: 'Test Order', harga });
  expect(res.status).toBe(201);
  return res.body.data as { id: string; client_id: string; freelancer_id: string };
}

async function createPayment(
  orderId: string,
  extra: Record<string, unknown> = {},
  user: string = USERS.client,
  jumlah = 250_000,
) {
  return post('/api/payments/create', {
    pesanan_id: orderId,
    user_id: user,
    jumlah,
    metode_pembayaran: 'qris',
    ...extra,
  });
}

function signedWebhook(
  fields: { transaction_id: string; transaction_status: string; gross_amount: string; timestamp?: string },
  secret = stack.config.mock.secret,
) {
  const f = { timestamp: String(Math.floor(Date.now() / 1000)), ...fields };
  return { ...f, signature: signWebhook(f, secret) };
}

async function paidOrder(harga = 250_000) {
  const order = await createOrder(harga);
  const pay = await createPayment(order.id, {}, USERS.client, harga);
  expect(pay.status).toBe(201);
  const trig = await post('/api/payments/mock/trigger-success', { transaction_id: pay.body.data.transaction_id });
  expect(trig.status).toBe(200);
  return { order, payment: pay.body.data, escrowId: trig.body.data.escrow_id as string };
}

async function rows(table: string, where: Record<string, unknown>) {
  return stack.db(table).where(where);
}

describe(`the seed's testing-guide flow (${dbLabel()})`, () => {
  test('create → pay → escrow → release → withdraw, with the seed amounts', async () => {
    const health = await api().get('/health');
    expect(health.status).toBe(200);
    expect(health.body.data).toEqual({ database: 'ok', database_writes: 'ok', temporal: 'ok' });

    const order = await createOrder();
    expect(order).toMatchObject({ client_id: USERS.client, freelancer_id: USERS.freelancer });

    // 1. Create payment
    const before = Date.now();
    const created = await createPayment(order.id);
    const after = Date.now();
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ success: true, message: 'Payment created successfully' });
    const p = created.body.data;
    expect(p).toMatchObject({
      total_bayar: 265_000,
      status: 'menunggu',
      jumlah: 250_000,
      biaya_platform: 12_500,
      biaya_gateway: 2_500,
      metode_pembayaran: 'qris',
    });
    expect(p.transaction_id).toMatch(TRANSACTION_ID_PATTERN);
    expect(p.payment_url).toMatch(new RegExp(`^${stack.url}/mock-payment/MOCK-`));
    expect(p.payment_instructions).toMatchObject({ type: 'QRIS', title: 'Scan QR Code' });
    expect(p.payment_instructions.steps.length).toBeGreaterThan(0);
    expect(p.payment_instructions.qr_url).toEqual(expect.any(String));
    expect(Date.parse(p.expires_at)).toBeGreaterThanOrEqual(before + DAY);
    expect(Date.parse(p.expires_at)).toBeLessThanOrEqual(after + DAY);

    // 2. Trigger payment success (the mock gateway sends a signed webhook)
    const trig = await post('/api/payments/mock/trigger-success', { transaction_id: p.transaction_id });
    expect(trig.status).toBe(200);
    expect(trig.body).toMatchObject({
      success: true,
      message: 'Payment success triggered',
      data: { transaction_id: p.transaction_id, status: 'berhasil' },
    });
    const escrowId = trig.body.data.escrow_id;
    expect(escrowId).toEqual(expect.any(String));

    // 3. Check escrow created
    const escrow = await by('client').get(`/api/payments/escrow/${escrowId}`);
    expect(escrow.status).toBe(200);
    expect(escrow.body.data).toMatchObject({
      id: escrowId,
      pembayaran_id: p.payment_id,
      pesanan_id: order.id,
      jumlah_ditahan: 250_000,
      status: 'held',
    });
    expect(Date.parse(escrow.body.data.akan_dirilis_pada) - Date.parse(escrow.body.data.ditahan_pada)).toBe(7 * DAY);

    const payment = await by('client').get(`/api/payments/${p.payment_id}`);
    expect(payment.status).toBe(200);
    expect(payment.body.data).toMatchObject({
      id: p.payment_id,
      transaction_id: p.transaction_id,
      jumlah: 250_000,
      total_bayar: 265_000,
      status: 'berhasil',
      metode_pembayaran: 'qris',
      payment_gateway: 'mock',
      escrow_id: escrowId,
    });
    expect(payment.body.data.nomor_invoice).toMatch(INVOICE_NUMBER_PATTERN);
    expect(payment.body.data.dibayar_pada).toEqual(expect.any(String));
    expect((await by('client').get(`/api/orders/${order.id}`)).body.data.status).toBe('dibayar');

    // 4. Release escrow
    const released = await post('/api/payments/escrow/release', {
      escrow_id: escrowId,
      user_id: USERS.client,
      reason: 'Work approved',
    });
    expect([released.status, released.body.error]).toEqual([200, undefined]);
    expect(released.body).toMatchObject({
      success: true,
      message: 'Escrow released successfully',
      data: {
        escrow_id: escrowId,
        status: 'released',
        jumlah_ditahan: 250_000,
        biaya_platform: 12_500,
        jumlah_bersih: 237_500,
      },
    });
    expect(released.body.data.dirilis_pada).toEqual(expect.any(String));

    // 5. Withdrawal
    const w = await by('freelancer').post('/api/payments/withdraw', {
      escrow_id: escrowId,
      freelancer_id: USERS.freelancer,
      metode_pencairan: 'transfer_bank',
      nomor_rekening: '1234567890',
      nama_pemilik: 'John Doe',
    });
    expect(w.status).toBe(201);
    expect(w.body).toMatchObject({
      success: true,
      message: 'Withdrawal request created successfully',
      data: {
        status: 'completed',
        jumlah: 250_000,
        biaya_platform: 12_500,
        jumlah_bersih: 237_500,
        metode_pencairan: 'transfer_bank',
        channel: 'bca',
      },
    });
    // the receipt is served by the (mock) gateway itself
    expect(w.body.data.bukti_transfer).toMatch(/\/mock-bank\/transfer\/TRF-\d{24}$/);
    const receipt = await fetch(w.body.data.bukti_transfer);
    expect(receipt.status).toBe(200);
    expect(await receipt.text()).toContain('237.500');
    expect(w.body.data.dicairkan_pada).toEqual(expect.any(String));
    const wid = w.body.data.withdrawal_id;

    const wGet = await by('freelancer').get(`/api/payments/withdrawals/${wid}`);
    expect(wGet.status).toBe(200);
    expect(wGet.body.data).toMatchObject({
      id: wid,
      escrow_id: escrowId,
      freelancer_id: USERS.freelancer,
      jumlah: 250_000,
      jumlah_bersih: 237_500,
      status: 'completed',
      bukti_transfer: w.body.data.bukti_transfer,
    });

    const finalOrder = await by('client').get(`/api/orders/${order.id}`);
    expect(finalOrder.body.data).toMatchObject({
      status: 'selesai',
      payment_id: p.payment_id,
      escrow_id: escrowId,
      withdrawal_id: wid,
    });
    expect((await by('client').get(`/api/payments/escrow/${escrowId}`)).body.data.status).toBe('completed');

    // What the database holds
    const [payRow] = await rows('pembayaran', { id: p.payment_id });
    expect({
      status: payRow.status,
      total: Number(payRow.total_bayar),
      fee: Number(payRow.biaya_platform),
      gw: Number(payRow.biaya_gateway),
    }).toEqual({ status: 'berhasil', total: 265_000, fee: 12_500, gw: 2_500 });
    const [escrowRow] = await rows('escrow', { id: escrowId });
    expect({
      status: escrowRow.status,
      held: Number(escrowRow.jumlah_ditahan),
      net: Number(escrowRow.jumlah_bersih),
      by: escrowRow.dirilis_oleh,
    }).toEqual({ status: 'completed', held: 250_000, net: 237_500, by: 'client' });
    const payouts = await rows('mock_gateway_payouts', { idempotency_key: wid });
    expect(payouts).toHaveLength(1);
    expect([Number(payouts[0].amount), payouts[0].status]).toEqual([237_500, 'completed']);

    // What the metrics count
    const scraped = (await request(stack.url).get('/metrics')).text;
    const value = (line: RegExp) => Number(line.exec(scraped)?.[1] ?? 0);
    expect(value(/^skillconnect_payments_created_total\{method="qris"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
    expect(value(/^skillconnect_payments_settled_total\{method="qris"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
    expect(
      value(/^skillconnect_webhook_outcomes_total\{webhook="payment",outcome="processed:berhasil"\} (\d+)$/m),
    ).toBeGreaterThanOrEqual(1);
    expect(
      value(/^skillconnect_webhook_outcomes_total\{webhook="payout",outcome="processed:completed"\} (\d+)$/m),
    ).toBeGreaterThanOrEqual(1);
    expect(scraped).toMatch(/^skillconnect_escrow_held_rupiah \d+$/m);

    // What the workflow shows
    const client = new Client({ connection: stack.api.connection });
    const described = await client.workflow.getHandle(`order-${order.id}`).describe();
    expect(described.status.name).toBe('COMPLETED');
    expect(described.searchAttributes).toMatchObject({
      OrderId: [order.id],
      TransactionId: [p.transaction_id],
      PaymentStatus: ['berhasil'],
      EscrowStatus: ['completed'],
      OrderStatus: ['selesai'],
      WithdrawalStatus: ['completed'],
    });
    const lifecycle = await by('admin').get(`/api/orders/${order.id}/lifecycle`);
    expect(lifecycle.status).toBe(200);
    expect(lifecycle.body.data.history.map((h: { event: string }) => h.event).join('\n')).toMatch(
      /escrow released by the client[\s\S]*payout .* completed/,
    );
  });

  test('a payment can be looked up by its transaction id too', async () => {
    const { payment } = await paidOrder();
    const res = await by('client').get(`/api/payments/${payment.transaction_id}`);
    expect(res.status).toBe(200);
    expect(res.body.data.id).toBe(payment.payment_id);
  });

  test.each([
    ['virtual_account', 'BCA', 'va_number', /^12345\d{11}$/],
    ['virtual_account', 'mandiri', 'bill_key', /^\d{12}$/],
    ['e_wallet', 'GoPay', 'deeplink_url', /^gojek:\/\//],
    ['transfer_bank', undefined, 'account_number', /^\d+$/],
    ['kartu_kredit', undefined, 'checkout_url', /\/mock-payment\/MOCK-/],
  ])('%s %s returns realistic instructions (%s)', async (method, channel, field, pattern) => {
    const order = await createOrder(100_000);
    const res = await createPayment(
      order.id,
      { metode_pembayaran: method, ...(channel ? { channel } : {}) },
      USERS.client,
      100_000,
    );
    expect(res.status).toBe(201);
    expect(res.body.data.total_bayar).toBe(106_000);
    expect(String(res.body.data.payment_instructions[field])).toMatch(pattern);
  });
});

describe(`payment creation errors (${dbLabel()})`, () => {
  test('creating a payment again for a live order returns the same payment, never a second one', async () => {
    const order = await createOrder();
    const [a, b] = await Promise.all([createPayment(order.id), createPayment(order.id)]);
    const c = await createPayment(order.id);
    expect([a.status, b.status].sort()).toEqual(expect.arrayContaining([201]));
    expect(c.status).toBe(200);
    expect(new Set([a.body.data.payment_id, b.body.data.payment_id, c.body.data.payment_id]).size).toBe(1);
    expect(await rows('pembayaran', { pesanan_id: order.id })).toHaveLength(1);
  });

  test.each([
    ['missing pesanan_id', { pesanan_id: undefined }, 'pesanan_id'],
    ['missing user_id', { user_id: undefined }, 'user_id'],
    ['missing jumlah', { jumlah: undefined }, 'jumlah'],
    ['string jumlah', { jumlah: '250000' }, 'jumlah'],
    ['negative jumlah', { jumlah: -5 }, 'jumlah'],
    ['zero jumlah', { jumlah: 0 }, 'jumlah'],
    ['fractional jumlah', { jumlah: 2500.5 }, 'jumlah'],
    ['unknown method', { metode_pembayaran: 'bitcoin' }, 'metode_pembayaran'],
    ['VA without bank', { metode_pembayaran: 'virtual_account' }, 'channel'],
    ['e-wallet with a bank', { metode_pembayaran: 'e_wallet', channel: 'bca' }, 'channel'],
    ['VA with a wallet', { metode_pembayaran: 'virtual_account', channel: 'gopay' }, 'channel'],
  ])('%s → 400 naming the field, and nothing is created', async (_label, patch, field) => {
    const order = await createOrder();
    const body: Record<string, unknown> = {
      pesanan_id: order.id,
      user_id: USERS.client,
      jumlah: 250_000,
      metode_pembayaran: 'qris',
      ...patch,
    };
    for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
    const res = await post('/api/payments/create', body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR', details: { field } } });
    expect(await rows('pembayaran', { pesanan_id: order.id })).toHaveLength(0);
  });

  test('a gateway that cannot open the charge → 502, nothing is recorded, and a retry once it is back creates the payment', async () => {
    const order = await createOrder();
    await stack.db.schema.renameTable('mock_gateway_charges', 'mock_gateway_charges_away');
    let down;
    try {
      down = await createPayment(order.id);
    } finally {
      await stack.db.schema.renameTable('mock_gateway_charges_away', 'mock_gateway_charges');
    }
    expect(down.status).toBe(502);
    expect(down.body.error.code).toBe('GATEWAY_UNAVAILABLE');
    expect(await rows('pembayaran', { pesanan_id: order.id })).toHaveLength(0);
    expect((await by('client').get(`/api/orders/${order.id}`)).body.data).toMatchObject({
      status: 'menunggu_pembayaran',
      payment_id: null,
    });
    const retry = await createPayment(order.id);
    expect(retry.status).toBe(201);
    expect(await rows('pembayaran', { pesanan_id: order.id })).toHaveLength(1);
  }, 60_000);

  test('jumlah other than the order price → 400; unknown order → 404; another user → 403', async () => {
    const order = await createOrder();
    const wrongAmount = await createPayment(order.id, {}, USERS.client, 100_000);
    expect(wrongAmount.status).toBe(400);
    expect(wrongAmount.body.error.details.field).toBe('jumlah');
    expect((await createPayment(randomUUID())).status).toBe(404);
    const other = await createPayment(order.id, {}, USERS.otherClient);
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('FORBIDDEN');
    expect(await rows('pembayaran', { pesanan_id: order.id })).toHaveLength(0);
  });

  test('malformed JSON → 400, unknown route → 404, both in the envelope', async () => {
    const bad = await api()
      .post('/api/payments/create')
      .set('Authorization', `Bearer ${tokens.client}`)
      .set('content-type', 'application/json')
      .send('{"pesanan_id": ');
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ success: false, error: { code: 'INVALID_JSON', message: expect.any(String) } });
    const missing = await by('client').get('/api/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.body.success).toBe(false);
    for (const path of [
      `/api/payments/${randomUUID()}`,
      `/api/payments/escrow/${randomUUID()}`,
      `/api/payments/withdrawals/${randomUUID()}`,
      `/api/orders/${randomUUID()}`,
    ]) {
      const res = await by('admin').get(path);
      expect([path, res.status, res.body.error?.code]).toEqual([path, 404, 'NOT_FOUND']);
    }
  });
});

describe(`webhook (${dbLabel()})`, () => {
  async function pendingPayment() {
    const order = await createOrder();
    const res = await createPayment(order.id);
    return { order, p: res.body.data as { payment_id: string; transaction_id: string } };
  }
  const status = async (paymentId: string) => (await rows('pembayaran', { id: paymentId }))[0].status;

  test('missing or bad signature → 401 and nothing changes', async () => {
    const { p } = await pendingPayment();
    const fields = {
      transaction_id: p.transaction_id,
      transaction_status: 'settlement',
      gross_amount: '265000',
      timestamp: String(Math.floor(Date.now() / 1000)),
    };
    expect((await post('/api/payments/webhook', fields)).status).toBe(401);
    expect((await post('/api/payments/webhook', { ...fields, signature: 'deadbeef' })).status).toBe(401);
    const forged = signedWebhook(fields, 'not-the-secret');
    const res = await post('/api/payments/webhook', forged);
    expect(res.status).toBe(401);
    expect(res.body.error).toEqual({ code: 'WEBHOOK_REJECTED', message: 'webhook verification failed' });
    const tampered = { ...signedWebhook(fields), gross_amount: '1000' };
    expect((await post('/api/payments/webhook', tampered)).status).toBe(401);
    expect(await status(p.payment_id)).toBe('menunggu');
    const audit = await rows('webhook_log', { transaction_id: p.transaction_id });
    expect(audit.map((a) => a.http_status)).toEqual([401, 401, 401, 401]);
  });

  test('unknown transaction → 404; amount different from total_bayar → 400 and nothing changes', async () => {
    const { p } = await pendingPayment();
    const unknown = await post(
      '/api/payments/webhook',
      signedWebhook({
        transaction_id: 'PAY-1000000000000-NOPE00',
        transaction_status: 'settlement',
        gross_amount: '265000',
      }),
    );
    expect(unknown.status).toBe(404);
    const wrongAmount = await post(
      '/api/payments/webhook',
      signedWebhook({ transaction_id: p.transaction_id, transaction_status: 'settlement', gross_amount: '264999' }),
    );
    expect(wrongAmount.status).toBe(400);
    expect(wrongAmount.body.error.code).toBe('AMOUNT_MISMATCH');
    expect(await status(p.payment_id)).toBe('menunggu');
  });

  test('pending changes nothing; settlement settles; a repeat gets the same answer; deny afterwards → 409', async () => {
    const { order, p } = await pendingPayment();
    const pending = await post(
      '/api/payments/webhook',
      signedWebhook({ transaction_id: p.transaction_id, transaction_status: 'pending', gross_amount: '265000' }),
    );
    expect(pending.status).toBe(200);
    expect(pending.body.status).toBe('menunggu');
    await stack.gateway.recordSettlement(p.transaction_id); // the test acts as the gateway: its books see the money
    const settle = () =>
      post(
        '/api/payments/webhook',
        signedWebhook({
          transaction_id: p.transaction_id,
          transaction_status: 'settlement',
          gross_amount: '265000.00',
        }),
      );
    const first = await settle();
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      success: true,
      transaction_id: p.transaction_id,
      status: 'berhasil',
      message: 'Webhook processed successfully',
    });
    const again = await settle();
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const deny = await post(
      '/api/payments/webhook',
      signedWebhook({ transaction_id: p.transaction_id, transaction_status: 'deny', gross_amount: '265000' }),
    );
    expect(deny.status).toBe(409);
    expect(await status(p.payment_id)).toBe('berhasil');
    expect(await rows('escrow', { pesanan_id: order.id })).toHaveLength(1);
  });

  test('a failed payment leaves the order open; settlement afterwards does not revive it but is marked for refund; a new payment may follow', async () => {
    const { order, p } = await pendingPayment();
    const fail = await post('/api/payments/mock/trigger-failure', {
      transaction_id: p.transaction_id,
      reason: 'Insufficient balance',
    });
    expect(fail.status).toBe(200);
    expect(fail.body).toMatchObject({
      success: true,
      message: 'Payment failure triggered',
      data: { transaction_id: p.transaction_id, status: 'gagal', reason: 'Insufficient balance' },
    });
    // the order's payment window is still open: the client may pay again (test/api/pay-again.test.ts)
    expect((await by('client').get(`/api/orders/${order.id}`)).body.data.status).toBe('menunggu_pembayaran');
    // The gateway gets a 2xx once the late money is recorded (it would retry anything else for hours); the payment stays gagal.
    await stack.gateway.recordSettlement(p.transaction_id); // the test acts as the gateway: its books see the money
    const late = await post(
      '/api/payments/webhook',
      signedWebhook({ transaction_id: p.transaction_id, transaction_status: 'settlement', gross_amount: '265000' }),
    );
    expect(late.status).toBe(200);
    expect(late.body).toMatchObject({
      success: true,
      transaction_id: p.transaction_id,
      status: 'gagal',
      escrow_id: null,
      refund_status: 'due',
    });
    expect(late.body.message).toMatch(/refunded/);
    const [row] = await rows('pembayaran', { id: p.payment_id });
    expect({
      status: row.status,
      refund: row.refund_status,
      late: row.late_gateway_status,
      at: row.late_settled_at !== null,
    }).toEqual({ status: 'gagal', refund: 'due', late: 'settlement', at: true });
    const revive = await post('/api/payments/mock/trigger-success', { transaction_id: p.transaction_id });
    expect([revive.status, revive.body.data?.status]).toEqual([200, 'gagal']);
    expect(await status(p.payment_id)).toBe('gagal');
    expect((await rows('webhook_log', { transaction_id: p.transaction_id })).map((l) => l.result)).toEqual([
      'processed:gagal',
      'late:refund_due',
      'late:refund_due',
    ]);
    expect(await rows('escrow', { pesanan_id: order.id })).toHaveLength(0);
    const again = await createPayment(order.id);
    expect(again.status).toBe(201);
    expect(again.body.data.transaction_id).not.toBe(p.transaction_id);
    expect(await rows('pembayaran', { pesanan_id: order.id })).toHaveLength(2);
    expect(await status(p.payment_id)).toBe('gagal'); // the late money stays owed back; the new payment is the order's
  });

  test('trigger endpoints: missing transaction_id → 400, unknown → 404', async () => {
    expect((await post('/api/payments/mock/trigger-success', {})).status).toBe(400);
    expect(
      (await post('/api/payments/mock/trigger-success', { transaction_id: 'PAY-1000000000000-NOPE00' })).status,
    ).toBe(404);
  });

  test('the checkout page shows the amount and its Pay button settles the payment through the webhook', async () => {
    const { order, p } = await pendingPayment();
    const url = new URL((await rows('pembayaran', { id: p.payment_id }))[0].payment_url);
    const page = await by('client').get(url.pathname);
    expect(page.status).toBe(200);
    expect(page.text).toContain('265.000');
    expect(page.text).toMatch(/>Bayar<\/button>[\s\S]*>Gagalkan<\/button>/);
    const qr = await by('client').get(`${url.pathname}/qr.svg`);
    expect(qr.status).toBe(200);
    expect(qr.headers['content-type']).toMatch(/svg/);
    const paid = await api().post(`${url.pathname}/pay`).type('form').send({});
    expect([paid.status, paid.headers.location]).toEqual([303, `${url.pathname}/hasil`]); // redirect-after-POST
    const result = await api().get(paid.headers.location);
    expect(result.status).toBe(200);
    expect(result.text).toContain('Pembayaran berhasil');
    expect(await status(p.payment_id)).toBe('berhasil');
    expect((await by('client').get(`/api/orders/${order.id}`)).body.data.status).toBe('dibayar');
  });
});

describe(`escrow and withdrawal errors (${dbLabel()})`, () => {
  const withdrawBody = (escrowId: string, extra: Record<string, unknown> = {}) => ({
    escrow_id: escrowId,
    freelancer_id: USERS.freelancer,
    metode_pencairan: 'transfer_bank',
    nomor_rekening: '1234567890',
    nama_pemilik: 'John Doe',
    ...extra,
  });

  test('release: 400 without escrow_id, 404 unknown, 403 for another user, 409 twice', async () => {
    const { escrowId } = await paidOrder();
    expect((await post('/api/payments/escrow/release', { user_id: USERS.client })).body.error.details.field).toBe(
      'escrow_id',
    );
    expect(
      (await post('/api/payments/escrow/release', { escrow_id: randomUUID(), user_id: USERS.client })).status,
    ).toBe(404);
    const other = await post('/api/payments/escrow/release', { escrow_id: escrowId, user_id: USERS.freelancer });
    expect(other.status).toBe(403);
    expect((await rows('escrow', { id: escrowId }))[0].status).toBe('held');
    expect((await post('/api/payments/escrow/release', { escrow_id: escrowId, user_id: USERS.client })).status).toBe(
      200,
    );
    const twice = await post('/api/payments/escrow/release', { escrow_id: escrowId, user_id: USERS.client });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('INVALID_TRANSITION');
  });

  test('withdraw: 409 before release, 403 for another freelancer, 400 for bad fields, 409 twice; one payout', async () => {
    const { escrowId } = await paidOrder();
    const early = await by('freelancer').post('/api/payments/withdraw', withdrawBody(escrowId));
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(/released/);
    await post('/api/payments/escrow/release', { escrow_id: escrowId, user_id: USERS.client });
    expect(
      (
        await by('freelancer').post(
          '/api/payments/withdraw',
          withdrawBody(escrowId, { freelancer_id: USERS.otherFreelancer }),
        )
      ).status,
    ).toBe(403);
    for (const [patch, field] of [
      [{ metode_pencairan: 'qris' }, 'metode_pencairan'],
      [{ nomor_rekening: '12-34' }, 'nomor_rekening'],
      [{ nomor_rekening: 1234567890 }, 'nomor_rekening'],
      [{ nama_pemilik: '' }, 'nama_pemilik'],
    ] as const) {
      const res = await by('freelancer').post('/api/payments/withdraw', withdrawBody(escrowId, patch));
      expect([field, res.status, res.body.error?.details?.field]).toEqual([field, 400, field]);
    }
    expect(await rows('pencairan_dana', { escrow_id: escrowId })).toHaveLength(0);
    const ok = await by('freelancer').post(
      '/api/payments/withdraw',
      withdrawBody(escrowId, { metode_pencairan: 'e_wallet', nomor_rekening: '081234567890' }),
    );
    expect([ok.status, ok.body.error]).toEqual([201, undefined]);
    const twice = await by('freelancer').post('/api/payments/withdraw', withdrawBody(escrowId));
    expect(twice.status).toBe(409);
    expect(await rows('pencairan_dana', { escrow_id: escrowId })).toHaveLength(1);
    expect(await rows('mock_gateway_payouts', { idempotency_key: ok.body.data.withdrawal_id })).toHaveLength(1);
  });
});
