import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { Stack, dbLabel, startStack } from '../helpers/stack';
import { USERS, UserName, tokensFor } from '../helpers/auth';
import { ACCOUNT, OMIT, SETTLED, escrowKit } from '../helpers/escrow';
import { waitFor } from '../helpers/wait';

/**
 * Order cancellations over HTTP against the real stack, row by row: before
 * the payment settles (client, admin; the freelancer 403), paid with the work
 * not started (anyone of the three, full refund 262,500), work started (the
 * freelancer or an admin; the client 409 and a dispute instead), afterwards
 * 409. A virtual account payment's refund waits for the client's account and
 * is paid out by the mock bank; races leave one winner. stop() fails on a
 * reconcile difference.
 */
let stack: Stack;
let tokens: Record<UserName, string>;
beforeAll(async () => {
  stack = await startStack();
  tokens = await tokensFor(stack.config.auth.jwtSecret);
}, 180_000);
afterAll(async () => stack?.stop());
const k = escrowKit(
  () => stack,
  () => tokens,
);
const err = (res: request.Response) => [res.status, res.body.error?.code];
const paymentRow = (id: string) => stack.db('pembayaran').where({ id }).first();

describe(`before the payment settles (${dbLabel()})`, () => {
  test.each(['client', 'admin'] as const)(
    'an order without a payment, cancelled by the %s → dibatalkan, no refund',
    async (who) => {
      const f = await k.order('created');
      const res = await k.cancel(who, f.orderId);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        success: true,
        message: 'Order cancelled',
        data: { id: f.orderId, status: 'dibatalkan', refund_id: null, refund_status: null },
      });
      expect((await k.orderRow(f.orderId)).status).toBe('dibatalkan');
      expect(
        err(
          await k.by('client').post('/api/payments/create', {
            pesanan_id: f.orderId,
            user_id: f.clientId,
            jumlah: 250_000,
            metode_pembayaran: 'qris',
          }),
        ),
      ).toEqual([409, 'INVALID_TRANSITION']);
      expect(err(await k.cancel('client', f.orderId))).toEqual([409, 'INVALID_TRANSITION']);
    },
  );

  test('the freelancer → 403, another client or freelancer → 404; nothing changes', async () => {
    const f = await k.order('pending');
    const res = await k.cancel('freelancer', f.orderId);
    expect(err(res)).toEqual([403, 'FORBIDDEN']);
    expect(res.body.error.message).toBe('only the client or an admin may cancel an order before it is paid');
    expect(err(await k.cancel('otherClient', f.orderId))).toEqual([404, 'NOT_FOUND']);
    expect(err(await k.cancel('otherFreelancer', f.orderId))).toEqual([404, 'NOT_FOUND']);
    expect(err(await k.cancel('client', randomUUID()))).toEqual([404, 'NOT_FOUND']);
    expect(err(await request(stack.url).post(`/api/orders/${f.orderId}/cancel`).send({ alasan: 'x' }))).toEqual([
      401,
      'UNAUTHORIZED',
    ]);
    for (const alasan of [OMIT, '', 'x'.repeat(1001)])
      expect((await k.cancel('client', f.orderId, alasan)).body.error.details).toMatchObject({ field: 'alasan' });
    expect((await k.orderRow(f.orderId)).status).toBe('menunggu_pembayaran');
    expect((await paymentRow(f.paymentId!)).status).toBe('menunggu');
  });

  test('with a live payment, by the client: the payment ends gagal, its page no longer pays; money that arrives anyway is a late payment, refunded 265,000', async () => {
    const f = await k.order('pending');
    const res = await k.cancel('client', f.orderId, 'Salah pilih freelancer');
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ status: 'dibatalkan', refund_id: null });
    expect(await paymentRow(f.paymentId!)).toMatchObject({
      status: 'gagal',
      gateway_status: 'cancel',
      refund_status: null,
    });
    expect(
      (await stack.db('mock_gateway_charges').where({ transaction_id: f.transactionId }).first()).voided_at,
    ).toEqual(expect.any(String));
    const reference = new URL(f.paymentUrl!).pathname.split('/').pop()!;
    const page = await request(stack.url).get(`/mock-payment/${reference}`);
    expect(page.text).toContain('data-state="failed"');
    const pressed = await request(stack.url).post(`/mock-payment/${reference}/pay`).type('form').send({});
    expect(pressed.status).toBe(303);
    expect(
      (await stack.db('mock_gateway_charges').where({ transaction_id: f.transactionId }).first()).settled_at,
    ).toBeNull();
    expect((await paymentRow(f.paymentId!)).refund_status).toBeNull();
    await stack.outboxDrained();
    expect(
      (
        await waitFor(
          () => k.workflowState(f.orderId),
          (s) => s.order_status === 'dibatalkan',
        )
      ).order_status,
    ).toBe('dibatalkan');

    // the money arrives anyway (the trigger): a late payment, owed back in full
    const late = await k.settle(f.transactionId!);
    expect([late.status, late.body.data.status, late.body.data.escrow_id]).toEqual([200, 'gagal', null]);
    const payment = (await k.by('client').get(`/api/payments/${f.paymentId}`)).body.data;
    expect(payment).toMatchObject({
      status: 'gagal',
      refund_status: 'due',
      refund_id: expect.any(String),
      escrow_id: null,
    });
    const refund = await k.settledRefund(payment.refund_id);
    expect(refund).toMatchObject({
      status: 'completed',
      jenis: 'late_payment',
      jumlah: 265_000,
      metode: 'source',
      pembayaran_id: f.paymentId,
    });
    expect((await k.by('client').get(`/api/orders/${f.orderId}`)).body.data).toMatchObject({
      status: 'dibatalkan',
      refund_id: payment.refund_id,
    });
    expect(await stack.db('escrow').where({ pesanan_id: f.orderId })).toHaveLength(0);
    const kinds = (await k.journals(f.orderId)).map((j) => j.kind);
    expect(kinds).toEqual(['late_payment_received', 'refund_paid']);
  });

  test('with a live payment, by an admin → dibatalkan, the payment gagal', async () => {
    const f = await k.order('pending', { method: 'virtual_account', channel: 'bni' });
    const res = await k.cancel('admin', f.orderId);
    expect([res.status, res.body.data.status]).toEqual([200, 'dibatalkan']);
    expect(await paymentRow(f.paymentId!)).toMatchObject({ status: 'gagal', live_pesanan_id: null });
    expect(await k.refundRows(f.orderId)).toHaveLength(0);
  });
});

describe(`paid, work not started: a full refund (${dbLabel()})`, () => {
  test.each(['client', 'freelancer', 'admin'] as const)(
    'cancelled by the %s → order and escrow refunded, 262,500 back to the QRIS source',
    async (who) => {
      const client = await k.freshClient();
      const f = await k.order('dibayar', { client });
      const res = await k.cancel(who === 'client' ? client : who, f.orderId, 'Klien membatalkan kebutuhan');
      expect(res.status).toBe(200);
      expect(res.body.message).toBe(
        who === 'freelancer'
          ? 'Order cancelled; the client is refunded'
          : 'Order cancelled; Rp 262500 is refunded to the client',
      );
      // the refund is the client's: its id and status for the client and admins, null for the freelancer (as on the order's read)
      const shown =
        who === 'freelancer'
          ? { refund_id: null, refund_status: null }
          : { refund_id: expect.any(String), refund_status: expect.stringMatching(/^(processing|completed)$/) };
      expect(res.body.data).toMatchObject({ id: f.orderId, status: 'refunded', ...shown });
      const refundId = (await k.refundRows(f.orderId))[0].id;
      if (who !== 'freelancer') expect(res.body.data.refund_id).toBe(refundId);
      expect((await k.escrowRow(f.escrowId!)).status).toBe('refunded');
      const done = await k.settledRefund(refundId);
      expect(done).toMatchObject({
        status: 'completed',
        jumlah: 262_500,
        jenis: 'escrow_refund',
        metode: 'source',
        client_id: client.id,
        alasan: `order cancelled by the ${who}: Klien membatalkan kebutuhan`,
      });
      expect(
        (await stack.db('mock_gateway_refunds').where({ transaction_id: f.transactionId })).map(
          (r: { amount: unknown }) => Number(r.amount),
        ),
      ).toEqual([262_500]);
      expect((await k.by(client).get(`/api/orders/${f.orderId}`)).body.data).toMatchObject({
        status: 'refunded',
        refund_id: refundId,
      });
      expect((await k.by(client).get(`/api/payments/escrow/${f.escrowId}`)).body.data).toMatchObject({
        status: 'refunded',
        refund_id: refundId,
      });
      const j = await k.journals(f.orderId);
      expect(j.map((x) => x.kind)).toEqual(['payment_settled', 'refund_owed', 'refund_paid']);
      expect(k.netOf(j[0], f)).toEqual(SETTLED);
      expect(k.netOf(j[1], f)).toEqual({
        'escrow:<order>': 250_000,
        platform_fee_revenue: 12_500,
        'client_refund_payable:<client>': -262_500,
      });
      expect(await k.balance(`client_refund_payable:${client.id}`)).toBe(0);
      // the order's audit trail names who cancelled it
      const change = await stack
        .db('audit_log')
        .where({ record_id: f.orderId, action: 'order.status_changed', status_after: 'refunded' });
      expect(change.map((a: { actor_role: string; status_before: string }) => [a.actor_role, a.status_before])).toEqual(
        [[who, 'dibayar']],
      );
      // and it is over: a second cancel, a release, a dispute → 409; the freelancer has nothing to withdraw
      expect(err(await k.cancel('admin', f.orderId))).toEqual([409, 'INVALID_TRANSITION']);
      expect(err(await k.release(client, f.escrowId!))).toEqual([409, 'INVALID_TRANSITION']);
      expect(err(await k.dispute('freelancer', f.escrowId!))).toEqual([409, 'INVALID_TRANSITION']);
      expect(err(await k.withdraw(f.escrowId!))).toEqual([409, 'INVALID_TRANSITION']);
    },
  );
});

describe(`work started, finished or disputed (${dbLabel()})`, () => {
  test.each(['dikerjakan', 'menunggu_review'] as const)(
    '%s: the client → 409 telling it to open a dispute; the freelancer declines → refunded',
    async (stage) => {
      const f = await k.order(stage);
      const refused = await k.cancel('client', f.orderId);
      expect(err(refused)).toEqual([409, 'INVALID_TRANSITION']);
      expect(refused.body.error.message).toMatch(/open a dispute/);
      expect(refused.body.error.message).toContain('POST /api/payments/escrow/dispute');
      expect((await k.orderRow(f.orderId)).status).toBe(stage);
      const declined = await k.cancel('freelancer', f.orderId, 'Tidak sanggup menyelesaikan');
      expect([declined.status, declined.body.data.status, declined.body.data.refund_id]).toEqual([
        200,
        'refunded',
        null,
      ]); // the refund is the client's
      expect((await k.settledRefund((await k.refundRows(f.orderId))[0].id)).jumlah).toBe(262_500);
    },
  );

  test('menunggu_review cancelled by an admin → refunded', async () => {
    const f = await k.order('menunggu_review');
    const res = await k.cancel('admin', f.orderId);
    expect([res.status, res.body.data.status]).toEqual([200, 'refunded']);
    await k.settledRefund(res.body.data.refund_id);
  });

  test('after release (selesai), in dispute, after a cancellation (dibatalkan) → 409 for everyone', async () => {
    const released = await k.order('released');
    for (const who of ['client', 'freelancer', 'admin'] as const) {
      const res = await k.cancel(who, released.orderId);
      expect(err(res)).toEqual([409, 'INVALID_TRANSITION']);
      expect(res.body.error.message).toBe('order is selesai; it can no longer be cancelled');
    }
    const disputed = await k.order('disputed');
    expect((await k.cancel('admin', disputed.orderId)).body.error.message).toBe(
      'order is in dispute; an admin decides it (POST /api/admin/disputes/resolve)',
    );
    expect((await k.resolve(disputed.escrowId!, 'release')).status).toBe(200);
    const cancelled = await k.order('created');
    await k.cancel('client', cancelled.orderId);
    expect(err(await k.cancel('admin', cancelled.orderId))).toEqual([409, 'INVALID_TRANSITION']);
    expect(await k.refundRows(released.orderId)).toHaveLength(0);
  });
});

describe(`a virtual account payment's refund waits for the client's account (${dbLabel()})`, () => {
  const vaRefund = async () => {
    const f = await k.order('dibayar', { method: 'virtual_account', channel: 'bca' });
    const res = await k.cancel('client', f.orderId);
    expect(res.status).toBe(200);
    expect(res.body.message).toBe(
      'Order cancelled; Rp 262500 is refunded to the client once it gives an account (POST /api/payments/refunds/:id/account)',
    );
    expect(res.body.data).toMatchObject({ status: 'refunded', refund_status: 'menunggu_rekening' });
    return { ...f, refundId: res.body.data.refund_id as string };
  };

  test('menunggu_rekening until the client gives an account; then processing → completed by the mock bank', async () => {
    const f = await vaRefund();
    const waiting = (await k.readRefund(f.refundId, 'client')).body.data;
    expect(waiting).toMatchObject({
      status: 'menunggu_rekening',
      jumlah: 262_500,
      metode: 'source',
      nomor_rekening: null,
      referensi_gateway: null,
    });
    // the client is told it is owed a refund that waits for its account (the refund.created event, to the client only)
    const events = (await k.by('client').get('/api/notifications?since=0&limit=100')).body.data.items as {
      type: string;
      data: Record<string, unknown>;
      recipients: string[];
    }[];
    const created = events.filter((e) => e.type === 'refund.created' && e.data.refund_id === f.refundId);
    expect(created).toHaveLength(1);
    expect(created[0].data).toMatchObject({ jumlah: 262_500, status: 'menunggu_rekening', jenis: 'escrow_refund' });
    expect(created[0].recipients).toEqual([USERS.client]);
    await new Promise((r) => setTimeout(r, 500));
    expect((await k.readRefund(f.refundId)).body.data.status).toBe('menunggu_rekening'); // nothing pays it meanwhile
    expect((await k.refundWorkflowState(f.refundId)).status).toBe('menunggu_rekening');

    // who may give it: not an admin (403), not the freelancer (404, as for a refund that does not exist)
    expect(err(await k.giveAccount(f.refundId, ACCOUNT, 'admin'))).toEqual([403, 'FORBIDDEN']);
    expect(err(await k.giveAccount(f.refundId, ACCOUNT, 'freelancer'))).toEqual([404, 'NOT_FOUND']);
    expect(err(await k.giveAccount(f.refundId, ACCOUNT, 'otherClient'))).toEqual([404, 'NOT_FOUND']);
    expect(err(await k.readRefund(f.refundId, 'freelancer'))).toEqual([404, 'NOT_FOUND']);
    expect((await k.giveAccount(f.refundId, { ...ACCOUNT, nomor_rekening: '12345' })).body.error.details).toMatchObject(
      { field: 'nomor_rekening' },
    );
    expect((await k.readRefund(f.refundId)).body.data.status).toBe('menunggu_rekening');

    const given = await k.giveAccount(f.refundId, { ...ACCOUNT, channel: 'BNI' });
    expect(given.status).toBe(200);
    expect(given.body.data).toMatchObject({
      status: 'processing',
      metode: 'transfer_bank',
      channel: 'bni',
      nomor_rekening: '1234567890',
      nama_pemilik: 'Klien Satu',
    });
    const done = await k.settledRefund(f.refundId);
    expect(done).toMatchObject({
      status: 'completed',
      referensi_gateway: expect.stringMatching(/^TRF-/),
      failure_reason: null,
      selesai_pada: expect.any(String),
    });
    expect((await k.readRefund(f.refundId, 'client')).body.data.status).toBe('completed');
    const payouts = await stack.db('mock_gateway_payouts').where({ idempotency_key: f.refundId });
    expect(payouts.map((p: { status: string; amount: unknown }) => [p.status, Number(p.amount)])).toEqual([
      ['completed', 262_500],
    ]);
    // the bank's notification reached the refund through the payout webhook
    expect(
      (await stack.db('webhook_log').where({ transaction_id: f.refundId })).map(
        (r: { transaction_status: string }) => r.transaction_status,
      ),
    ).toContain('payout:completed');
    expect((await k.journals(f.orderId)).map((j) => j.kind)).toEqual(['payment_settled', 'refund_owed', 'refund_paid']);
    const again = await k.giveAccount(f.refundId);
    expect(err(again)).toEqual([409, 'INVALID_TRANSITION']);
  }, 60_000);

  test("a closed account (000…) → failed with the bank's reason; another account → completed, paid once", async () => {
    const f = await vaRefund();
    expect((await k.giveAccount(f.refundId, { ...ACCOUNT, nomor_rekening: '0001234567' })).status).toBe(200);
    const failed = await k.settledRefund(f.refundId);
    expect(failed).toMatchObject({ status: 'failed', failure_reason: expect.stringContaining('ACCOUNT_CLOSED') });
    expect((await k.readRefund(f.refundId, 'client')).body.data.failure_reason).toContain('ACCOUNT_CLOSED');
    // nothing was paid: still owed to the client
    expect((await k.journals(f.orderId)).map((j) => j.kind)).toEqual(['payment_settled', 'refund_owed']);
    const retry = await k.giveAccount(f.refundId, {
      metode_pencairan: 'e_wallet',
      channel: 'ovo',
      nomor_rekening: '081234567890',
      nama_pemilik: 'Klien Satu',
    });
    expect(retry.status).toBe(200);
    expect(retry.body.data).toMatchObject({ status: 'processing', failure_reason: null, channel: 'ovo' });
    const done = await k.settledRefund(f.refundId, (s) => s === 'completed');
    expect(done.status).toBe('completed');
    const payouts = await stack
      .db('mock_gateway_payouts')
      .where('idempotency_key', 'like', `${f.refundId}%`)
      .orderBy('created_at');
    expect(payouts.map((p: { status: string; amount: unknown }) => [p.status, Number(p.amount)])).toEqual([
      ['failed', 262_500],
      ['completed', 262_500],
    ]);
    expect((await k.journals(f.orderId)).map((j) => j.kind)).toEqual(['payment_settled', 'refund_owed', 'refund_paid']);
  }, 60_000);

  test('two accounts given at once: one 200, the other 409; one payout', async () => {
    const f = await vaRefund();
    const answers = await Promise.all([
      k.giveAccount(f.refundId),
      k.giveAccount(f.refundId, { ...ACCOUNT, channel: 'bri', nomor_rekening: '123456789012345' }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect((await k.settledRefund(f.refundId)).status).toBe('completed');
    expect(await stack.db('mock_gateway_payouts').where('idempotency_key', 'like', `${f.refundId}%`)).toHaveLength(1);
  });

  test('a QRIS refund goes to its source: giving an account → 409', async () => {
    const f = await k.order('dibayar');
    const refundId = (await k.cancel('client', f.orderId)).body.data.refund_id;
    const res = await k.giveAccount(refundId);
    expect(err(res)).toEqual([409, 'INVALID_TRANSITION']);
    expect((await k.settledRefund(refundId)).metode).toBe('source');
  });
});

describe(`races (${dbLabel()})`, () => {
  test('two concurrent cancels of one paid order: exactly one 200, the other 409; one refund', async () => {
    const f = await k.order('dibayar');
    const answers = await Promise.all([k.cancel('client', f.orderId), k.cancel('freelancer', f.orderId)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const refunds = await k.refundRows(f.orderId);
    expect(refunds).toHaveLength(1);
    // the winner's answer names the refund for the client, not for the freelancer
    const winner = answers.findIndex((a) => a.status === 200);
    expect(answers[winner].body.data.refund_id).toBe(winner === 0 ? refunds[0].id : null);
    expect((await k.settledRefund(refunds[0].id)).status).toBe('completed');
    expect(await stack.db('ledger_journals').where({ pesanan_id: f.orderId, kind: 'refund_owed' })).toHaveLength(1);
  });

  test("a cancel racing the client's release: exactly one wins, the other 409", async () => {
    for (let i = 0; i < 3; i++) {
      const f = await k.order('dibayar');
      const [c, r] = await Promise.all([k.cancel('freelancer', f.orderId), k.release('client', f.escrowId!)]);
      expect([c.status, r.status]).toEqual(c.status === 200 ? [200, 409] : [409, 200]);
      const escrow = await k.escrowRow(f.escrowId!);
      expect(escrow.status).toBe(c.status === 200 ? 'refunded' : 'released');
      expect((await k.orderRow(f.orderId)).status).toBe(c.status === 200 ? 'refunded' : 'selesai');
      const refunds = await k.refundRows(f.orderId);
      expect(refunds).toHaveLength(c.status === 200 ? 1 : 0);
      if (refunds.length) await k.settledRefund(refunds[0].id);
    }
  });

  test("a cancel and a release sent at once right after the settlement's 200 (without waiting for the workflow): exactly one wins", async () => {
    for (let i = 0; i < 8; i++) {
      const f = await k.order('dibayar', { waitForWorkflow: false });
      const [c, r] = await Promise.all([k.cancel('freelancer', f.orderId), k.release('client', f.escrowId!)]);
      expect([c.status, r.status].sort()).toEqual([200, 409]);
      expect((await k.orderRow(f.orderId)).status).toBe(c.status === 200 ? 'refunded' : 'selesai');
      const refunds = await k.refundRows(f.orderId);
      if (refunds.length) await k.settledRefund(refunds[0].id);
    }
  });

  test("a cancel racing the payment's settlement: either cancelled unpaid (the money a late payment) or refunded", async () => {
    const f = await k.order('pending');
    const [c, s] = await Promise.all([k.cancel('client', f.orderId), k.settle(f.transactionId!)]);
    expect(s.status).toBe(200);
    const order = await k.orderRow(f.orderId);
    if (c.status === 200) expect(['dibatalkan', 'refunded']).toContain(order.status);
    else {
      // the settlement won while the cancel was deciding: 409, and the order is paid (cancel it again for a refund)
      expect(err(c)).toEqual([409, 'INVALID_TRANSITION']);
      expect(order.status).toBe('dibayar');
      await k.workflowHolds(f.orderId);
      expect((await k.cancel('client', f.orderId)).status).toBe(200);
    }
    const refunds = await k.refundRows(f.orderId);
    expect(refunds).toHaveLength(1);
    const done = await k.settledRefund(refunds[0].id);
    expect(done.jumlah).toBe(done.jenis === 'late_payment' ? 265_000 : 262_500);
  });
});
