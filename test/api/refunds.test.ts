import { Client } from '@temporalio/client';
import request from 'supertest';
import { Stack, dbLabel, startStack } from '../helpers/stack';
import { UserName, tokensFor } from '../helpers/auth';
import { ACCOUNT, Fixture, escrowKit } from '../helpers/escrow';
import { waitFor } from '../helpers/wait';

/**
 * Refunds over HTTP against the real stack: late payments (money that
 * settles after the payment expired, failed or was cancelled) are refunded in
 * full, total_bayar 265,000, to their source (or, for a virtual account, to
 * the account the client gives); a to-source refund the gateway refuses
 * twice for now is retried and paid exactly once. The payment window is 5s
 * here so payments expire within the suite; stop() fails on a reconcile
 * difference.
 */
let stack: Stack;
let tokens: Record<UserName, string>;
beforeAll(async () => {
  stack = await startStack({ PAYMENT_EXPIRY: '5s', PAYMENT_SWEEP_INTERVAL: '1s', PAYMENT_SWEEP_GRACE: '2s' });
  tokens = await tokensFor(stack.config.auth.jwtSecret);
}, 180_000);
afterAll(async () => stack?.stop());
const k = escrowKit(
  () => stack,
  () => tokens,
);
const paymentRow = (id: string) => stack.db('pembayaran').where({ id }).first();
const expired = (f: Fixture) =>
  waitFor(
    () => paymentRow(f.paymentId!),
    (p) => p.status !== 'menunggu',
    30_000,
  );

describe(`late payments are refunded in full (${dbLabel()})`, () => {
  test('expired, then settled by the gateway (QRIS): refund_status due, a late_payment refund of 265,000 completes to its source; the books balance', async () => {
    const client = await k.freshClient();
    const f = await k.order('pending', { client });
    expect((await expired(f)).status).toBe('kadaluarsa');
    expect(
      (
        await waitFor(
          () => k.orderRow(f.orderId),
          (o) => o.status === 'dibatalkan',
        )
      ).status,
    ).toBe('dibatalkan');

    const late = await k.settle(f.transactionId!);
    expect([late.status, late.body.data.status, late.body.data.escrow_id]).toEqual([200, 'kadaluarsa', null]);
    const payment = (await k.by(client).get(`/api/payments/${f.paymentId}`)).body.data;
    expect(payment).toMatchObject({
      status: 'kadaluarsa',
      refund_status: 'due',
      refund_id: expect.any(String),
      late_settled_at: expect.any(String),
      escrow_id: null,
      total_bayar: 265_000,
    });
    const refundId = payment.refund_id;
    expect((await k.by('admin').get(`/api/payments/${f.paymentId}`)).body.data.refund_id).toBe(refundId);

    const done = await k.settledRefund(refundId);
    expect(done).toEqual({
      id: refundId,
      pembayaran_id: f.paymentId,
      pesanan_id: f.orderId,
      client_id: client.id,
      jumlah: 265_000,
      jenis: 'late_payment',
      alasan: `money for payment ${f.transactionId} arrived after it was kadaluarsa`,
      status: 'completed',
      metode: 'source',
      channel: null,
      nomor_rekening: null,
      nama_pemilik: null,
      referensi_gateway: expect.stringMatching(/^RFD-/),
      failure_reason: null,
      selesai_pada: expect.any(String),
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect((await k.readRefund(refundId, client)).body.data.status).toBe('completed');
    expect((await k.readRefund(refundId, 'freelancer')).status).toBe(404);
    expect((await k.readRefund(refundId, 'client')).status).toBe(404); // another client
    expect(await stack.db('mock_gateway_refunds').where({ transaction_id: f.transactionId })).toEqual([
      expect.objectContaining({ idempotency_key: refundId, amount: 265_000 }),
    ]);
    expect((await k.by(client).get(`/api/orders/${f.orderId}`)).body.data).toMatchObject({
      status: 'dibatalkan',
      refund_id: refundId,
    });
    // the database records it paid inside the workflow's last activity: the workflow says so once that activity has returned
    expect(
      (
        await waitFor(
          () => k.refundWorkflowState(refundId),
          (st) => st.status === 'completed',
        )
      ).status,
    ).toBe('completed');

    // the ledger: owed in full when it arrived (the gateway's fee not recovered), paid when the gateway refunded it
    const j = await k.journals(f.orderId);
    expect(j.map((x) => x.kind)).toEqual(['late_payment_received', 'refund_paid']);
    expect(k.netOf(j[0], f)).toEqual({
      gateway_clearing: 262_500,
      gateway_fee_expense: 2_500,
      'client_refund_payable:<client>': -265_000,
    });
    expect(k.netOf(j[1], f)).toEqual({ 'client_refund_payable:<client>': 265_000, gateway_clearing: -265_000 });
    expect(await k.balance(`client_refund_payable:${client.id}`)).toBe(0);

    // the gateway redelivers the settlement: nothing new is owed or paid
    expect((await k.settle(f.transactionId!)).status).toBe(200);
    expect(await k.refundRows(f.orderId)).toHaveLength(1);
    expect(await stack.db('ledger_journals').where({ pesanan_id: f.orderId })).toHaveLength(2);
    expect(await stack.db('escrow').where({ pesanan_id: f.orderId })).toHaveLength(0);
  }, 60_000);

  test('cancelled by the client (e-wallet), then settled: refunded 265,000 to its source', async () => {
    const f = await k.order('pending', { method: 'e_wallet', channel: 'dana' });
    expect((await k.by('client').post(`/api/payments/${f.paymentId}/cancel`)).status).toBe(200);
    const late = await k.settle(f.transactionId!);
    expect([late.status, late.body.data.status]).toEqual([200, 'gagal']);
    const payment = (await k.by('client').get(`/api/payments/${f.paymentId}`)).body.data;
    expect(payment).toMatchObject({ status: 'gagal', refund_status: 'due', refund_id: expect.any(String) });
    expect(await k.settledRefund(payment.refund_id)).toMatchObject({
      status: 'completed',
      jenis: 'late_payment',
      jumlah: 265_000,
      metode: 'source',
    });
    // the order stays open for another payment (the late money never pays it)
    expect((await k.orderRow(f.orderId)).status).toBe('menunggu_pembayaran');
  });

  test('declined (trigger-failure), then settled: refunded; the order is paid by its next payment, unaffected', async () => {
    const f = await k.order('pending');
    expect(
      (await k.gateway('/api/payments/mock/trigger-failure', { transaction_id: f.transactionId })).body.data.status,
    ).toBe('gagal');
    const late = await k.settle(f.transactionId!);
    expect([late.status, late.body.data.status]).toEqual([200, 'gagal']);
    const refundId = (await k.by('admin').get(`/api/payments/${f.paymentId}`)).body.data.refund_id;
    expect(await k.settledRefund(refundId)).toMatchObject({ status: 'completed', jumlah: 265_000 });
    const again = await k.by('client').post('/api/payments/create', {
      pesanan_id: f.orderId,
      user_id: f.clientId,
      jumlah: 250_000,
      metode_pembayaran: 'qris',
    });
    expect(again.status).toBe(201);
    expect((await k.settle(again.body.data.transaction_id)).body.data.status).toBe('berhasil');
    expect((await k.orderRow(f.orderId)).status).toBe('dibayar');
    // the order lists the late payment's refund; the payment that paid it has none
    expect((await k.by('client').get(`/api/orders/${f.orderId}`)).body.data.refund_id).toBe(refundId);
    expect((await k.by('client').get(`/api/payments/${again.body.data.payment_id}`)).body.data.refund_id).toBeNull();
  });

  test("expired virtual account, then settled: the refund waits for the client's account, then is paid out", async () => {
    const f = await k.order('pending', { method: 'virtual_account', channel: 'mandiri' });
    expect((await expired(f)).status).toBe('kadaluarsa');
    const late = await k.settle(f.transactionId!);
    expect(late.status).toBe(200);
    const refundId = (await k.by('client').get(`/api/payments/${f.paymentId}`)).body.data.refund_id;
    const waiting = await waitFor(
      async () => (await k.readRefund(refundId, 'client')).body.data,
      (r) => r.status === 'menunggu_rekening',
    );
    expect(waiting).toMatchObject({ status: 'menunggu_rekening', jenis: 'late_payment', jumlah: 265_000 });
    expect((await k.giveAccount(refundId, ACCOUNT, 'admin')).status).toBe(403);
    const given = await k.giveAccount(refundId, { ...ACCOUNT, nomor_rekening: '9991234567' }); // refused twice for now by the bank, then paid
    expect([given.status, given.body.data.status]).toEqual([200, 'processing']);
    const done = await k.settledRefund(refundId, (s) => s === 'completed', 45_000);
    expect(done).toMatchObject({ status: 'completed', referensi_gateway: expect.stringMatching(/^TRF-/) });
    expect(
      (await stack.db('mock_gateway_payouts').where({ idempotency_key: refundId })).map(
        (p: { status: string; amount: unknown }) => [p.status, Number(p.amount)],
      ),
    ).toEqual([['completed', 265_000]]);
    expect((await k.journals(f.orderId)).map((j) => j.kind)).toEqual(['late_payment_received', 'refund_paid']);
  }, 60_000);
});

describe(`a to-source refund the gateway refuses for now (${dbLabel()})`, () => {
  test('failNextRefunds(2): the refund stays processing through the retries, then completes exactly once', async () => {
    const f = await k.order('dibayar');
    stack.gateway.failNextRefunds(2);
    const res = await k.cancel('client', f.orderId);
    expect([res.status, res.body.data.refund_status]).toEqual([200, 'processing']);
    const refundId = res.body.data.refund_id;
    const seen = new Set<string>();
    const done = await waitFor(
      async () => {
        const r = (await k.readRefund(refundId)).body.data;
        seen.add(r.status);
        return r;
      },
      (r) => r.status === 'completed',
      45_000,
    );
    expect(done).toMatchObject({ status: 'completed', jumlah: 262_500, failure_reason: null });
    expect([...seen]).toEqual(['processing', 'completed']);
    expect(await stack.db('mock_gateway_refunds').where({ transaction_id: f.transactionId })).toEqual([
      expect.objectContaining({ idempotency_key: refundId, amount: 262_500 }),
    ]);
    // the workflow's history: the gateway call took three attempts, and the refund was recorded paid once
    const history = await new Client({ connection: stack.api.connection }).workflow
      .getHandle(`refund-${refundId}`)
      .fetchHistory();
    const attempts = history
      .events!.filter((e) => e.activityTaskStartedEventAttributes)
      .map((e) => e.activityTaskStartedEventAttributes!.attempt);
    expect(attempts).toContain(3);
    expect(await stack.db('ledger_journals').where({ record_id: refundId, kind: 'refund_paid' })).toHaveLength(1);
    expect(await stack.db('audit_log').where({ record_id: refundId, action: 'refund.completed' })).toHaveLength(1);
    const state = await waitFor(
      () => k.refundWorkflowState(refundId),
      (st) => st.status === 'completed',
    );
    expect(state.history.map((h) => h.event)).toEqual([
      `refund of Rp 262500 to the payment's source`,
      expect.stringMatching(/^refund of Rp 262500 completed \(RFD-/),
    ]);
  }, 60_000);

  test('no token → 401; not a uuid → 400; unknown → 404', async () => {
    const f = await k.order('dibayar');
    const refundId = (await k.cancel('admin', f.orderId)).body.data.refund_id;
    expect((await request(stack.url).get(`/api/payments/refunds/${refundId}`)).status).toBe(401);
    expect((await k.readRefund('not-a-uuid')).status).toBe(400);
    expect((await k.readRefund('7b0c58a4-9d7e-4a37-9b8e-000000000000')).status).toBe(404);
    await k.settledRefund(refundId);
  });
});
