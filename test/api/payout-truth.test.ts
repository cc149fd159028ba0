import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { issueToken } from '../../api/auth';
import { reconcile } from '../../db/reconcile';
import { signPayoutWebhook } from '../../domain/signature';
import { Stack, dbLabel, startStack } from '../helpers/stack';
import { USERS, UserName, as, tokensFor } from '../helpers/auth';
import { waitFor } from '../helpers/wait';

/**
 * A payout's outcome is the gateway's own record of it, never a notification
 * (issue: a signed `failed` then `completed` paid the same money twice). The
 * mock bank here completes nothing by itself (MOCK_PAYOUT_DELAY_MS is ten
 * minutes): each test says when the bank completes, returns or contradicts a
 * payout, and which notifications arrive, in which order. Each test ends with
 * the bank having paid at most once per escrow or refund, and the books at 0
 * differences with no in-flight allowance (`reconcile(db, { inFlightMs: 0 })`).
 */
let stack: Stack;
let tokens: Record<UserName, string>;
beforeAll(async () => {
  stack = await startStack({ MOCK_AUTO_WITHDRAWAL: 'false', MOCK_PAYOUT_DELAY_MS: '600000' });
  tokens = await tokensFor(stack.config.auth.jwtSecret);
}, 180_000);
afterAll(async () => stack?.stop());

type Party = { id: string; token: string };
const admin = () => as(stack.url, tokens.admin);
const by = (p: Party) => as(stack.url, p.token);
const fresh = async (role: 'client' | 'freelancer'): Promise<Party> => {
  const id = randomUUID();
  return { id, token: await issueToken(stack.config.auth.jwtSecret, { sub: id, role }) };
};
const signed = (f: {
  external_id: string;
  reference: string;
  status: string;
  amount: string;
  failure_reason?: string;
}) => {
  const fields = { failure_reason: '', timestamp: String(Math.floor(Date.now() / 1000)), ...f };
  return { ...fields, signature: signPayoutWebhook(fields, stack.config.mock.secret) };
};
const sendNotification = (body: unknown) =>
  request(stack.url).post('/api/payouts/webhook').set('content-type', 'application/json').send(JSON.stringify(body));
const gatewayPayouts = (keyPrefix: string) =>
  stack.db('mock_gateway_payouts').where('idempotency_key', 'like', `${keyPrefix}%`);
const paidAtBank = async (keyPrefix: string) =>
  (await gatewayPayouts(keyPrefix)).filter((p: { status: string }) => p.status === 'completed').length;
const withdrawalRow = (id: string) => stack.db('pencairan_dana').where({ id }).first();
const refundRow = (id: string) => stack.db('refunds').where({ id }).first();
const contradictionOf = (key: string) => stack.db('payout_contradictions').where({ payout_key: key }).first();

/** The books at 0 differences, with nothing allowed to be in flight. */
async function booksAgree() {
  const report = await reconcile(stack.db, { inFlightMs: 0 });
  expect(report.differences).toEqual([]);
}

/** A fresh client and freelancer, an order paid with `method` and settled; released unless `stage` says otherwise. */
async function paidOrder(method = 'qris', channel?: string) {
  const client = await fresh('client');
  const freelancer = await fresh('freelancer');
  const order = (
    await by(client).post('/api/orders', {
      client_id: client.id,
      freelancer_id: freelancer.id,
      judul: 'Payout truth',
      harga: 250_000,
    })
  ).body.data;
  const pay = (
    await by(client).post('/api/payments/create', {
      pesanan_id: order.id,
      user_id: client.id,
      jumlah: 250_000,
      metode_pembayaran: method,
      ...(channel ? { channel } : {}),
    })
  ).body.data;
  const settled = await request(stack.url)
    .post('/api/payments/mock/trigger-success')
    .send({ transaction_id: pay.transaction_id });
  expect(settled.status).toBe(200);
  return { client, freelancer, orderId: order.id as string, escrowId: settled.body.data.escrow_id as string };
}

const withdraw = (f: Party, escrowId: string, nomor = '1234567890') =>
  by(f).post('/api/payments/withdraw', {
    escrow_id: escrowId,
    freelancer_id: f.id,
    metode_pencairan: 'transfer_bank',
    nomor_rekening: nomor,
    nama_pemilik: 'Free Lancer',
  });

/** Released, withdrawn to `nomor` and approved: the withdrawal once the workflow has sent its payout (queued at the bank, or failed at once). */
async function sentWithdrawal(nomor = '1234567890') {
  const o = await paidOrder();
  await stack.outboxDrained();
  expect(
    (await by(o.client).post('/api/payments/escrow/release', { escrow_id: o.escrowId, user_id: o.client.id })).status,
  ).toBe(200);
  const w = await withdraw(o.freelancer, o.escrowId, nomor);
  expect(w.status).toBe(201);
  const id = w.body.data.withdrawal_id as string;
  expect((await admin().post(`/api/admin/withdrawals/${id}/approve`)).status).toBe(200);
  await waitFor(
    () => gatewayPayouts(id),
    (rows) => rows.length === 1,
  );
  return { ...o, withdrawalId: id };
}

/** A first attempt to a closed account (failed at once, the money withdrawable again), then a second withdrawal, pending. */
async function failedThenPending() {
  const w1 = await sentWithdrawal('0001234567');
  await waitFor(
    () => withdrawalRow(w1.withdrawalId),
    (x) => x.status === 'failed',
  );
  const w2 = await waitFor(
    () => withdraw(w1.freelancer, w1.escrowId),
    (r) => r.status === 201,
  );
  return { w1, w2id: w2.body.data.withdrawal_id as string };
}

const balanceOf = async (f: Party) => {
  const { dapat_dicairkan, dalam_proses, sudah_dicairkan } = (await by(f).get('/api/freelancers/me/balance')).body.data;
  return { dapat_dicairkan, dalam_proses, sudah_dicairkan };
};

describe(`withdrawals: the bank's record decides, in every order of notifications (${dbLabel()})`, () => {
  test('failed → completed (the attack): a signed failed for a queued payout changes nothing; the completion pays once', async () => {
    const w = await sentWithdrawal();
    const [payout] = await gatewayPayouts(w.withdrawalId);
    expect(payout.status).toBe('queued');

    // the attacker (or a bank's transient report) says failed while the bank still has it queued
    const forged = await sendNotification(
      signed({
        external_id: w.withdrawalId,
        reference: payout.reference,
        status: 'failed',
        amount: '237500',
        failure_reason: 'X',
      }),
    );
    expect([forged.status, forged.body.error?.details?.gateway_status]).toEqual([409, 'queued']);
    expect((await withdrawalRow(w.withdrawalId)).status).toBe('processing');
    expect(await balanceOf(w.freelancer)).toEqual({ dapat_dicairkan: 0, dalam_proses: 237_500, sudah_dicairkan: 0 });
    // so the money cannot be withdrawn again
    expect((await withdraw(w.freelancer, w.escrowId)).status).toBe(409);

    await stack.gateway.completePayout(w.withdrawalId); // the bank pays, and notifies
    const done = await waitFor(
      () => withdrawalRow(w.withdrawalId),
      (x) => x.status === 'completed',
    );
    expect(done).toMatchObject({
      status: 'completed',
      referensi_payout: payout.reference,
      bukti_transfer: expect.stringContaining(payout.reference),
    });
    expect(await balanceOf(w.freelancer)).toEqual({ dapat_dicairkan: 0, dalam_proses: 0, sudah_dicairkan: 237_500 });
    // the stale failed, delivered again: still 409, still completed
    expect(
      (
        await sendNotification(
          signed({
            external_id: w.withdrawalId,
            reference: payout.reference,
            status: 'failed',
            amount: '237500',
            failure_reason: 'X',
          }),
        )
      ).status,
    ).toBe(409);
    expect((await withdrawalRow(w.withdrawalId)).status).toBe('completed');
    expect(await paidAtBank(w.withdrawalId)).toBe(1);
    expect(await contradictionOf(w.withdrawalId)).toBeUndefined();
    await booksAgree();
  }, 60_000);

  test('early completed: a completed notification before the bank has paid is refused; the receipt and reference come from the bank', async () => {
    const w = await sentWithdrawal();
    const [payout] = await gatewayPayouts(w.withdrawalId);
    const early = await sendNotification(
      signed({ external_id: w.withdrawalId, reference: 'TRF-FORGED', status: 'completed', amount: '237500' }),
    );
    expect(early.status).toBe(409);
    expect((await withdrawalRow(w.withdrawalId)).status).toBe('processing');

    await stack.gateway.completePayout(w.withdrawalId);
    const done = await waitFor(
      () => withdrawalRow(w.withdrawalId),
      (x) => x.status === 'completed',
    );
    expect(done.referensi_payout).toBe(payout.reference);
    expect(done.bukti_transfer).toBe(payout.bukti_transfer);
    await booksAgree();
  }, 60_000);

  test('duplicates: the genuine completion delivered five times at once is recorded once', async () => {
    const w = await sentWithdrawal();
    await stack
      .db('mock_gateway_payouts')
      .where({ idempotency_key: w.withdrawalId })
      .update({ status: 'completed', completed_at: new Date().toISOString() }); // paid, not yet notified
    const [payout] = await gatewayPayouts(w.withdrawalId);
    const body = signed({
      external_id: w.withdrawalId,
      reference: payout.reference,
      status: 'completed',
      amount: '237500',
    });
    const answers = await Promise.all(Array.from({ length: 5 }, () => sendNotification(body)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    await waitFor(
      () => withdrawalRow(w.withdrawalId),
      (x) => x.status === 'completed',
    );
    expect(
      await stack.db('ledger_journals').where({ record_id: w.withdrawalId, kind: 'payout_completed' }),
    ).toHaveLength(1);
    expect(
      await stack.db('audit_log').where({ record_id: w.withdrawalId, action: 'withdrawal.completed' }),
    ).toHaveLength(1);
    await booksAgree();
  }, 60_000);

  test('a notification for an attempt the gateway does not know: 404, nothing changes', async () => {
    const o = await paidOrder();
    await stack.outboxDrained();
    await by(o.client).post('/api/payments/escrow/release', { escrow_id: o.escrowId, user_id: o.client.id });
    const w = await withdraw(o.freelancer, o.escrowId);
    const id = w.body.data.withdrawal_id;
    // pending: never sent to the gateway
    const res = await sendNotification(
      signed({ external_id: id, reference: 'TRF-1', status: 'completed', amount: '237500' }),
    );
    expect(res.status).toBe(404);
    expect((await withdrawalRow(id)).status).toBe('pending');
    // nobody's payout at all
    expect(
      (
        await sendNotification(
          signed({ external_id: randomUUID(), reference: 'TRF-1', status: 'failed', amount: '237500' }),
        )
      ).status,
    ).toBe(404);
    expect((await admin().post(`/api/admin/withdrawals/${id}/reject`, { alasan: 'cleanup' })).status).toBe(200);
    await booksAgree();
  }, 60_000);

  test('completed → failed (the bank returns it): the withdrawal follows the bank, the money is back with the freelancer and frozen until an admin resolves it', async () => {
    const w = await sentWithdrawal();
    await stack.gateway.completePayout(w.withdrawalId);
    await waitFor(
      () => withdrawalRow(w.withdrawalId),
      (x) => x.status === 'completed',
    );
    await waitFor(
      () => stack.db('escrow').where({ id: w.escrowId }).first(),
      (e) => e.status === 'completed',
    );

    // the return, notified by the bank and redelivered four more times at once: one contradiction, one correction
    await Promise.all([
      stack.gateway.returnPayout(w.withdrawalId, 'RETURNED: account closed after transfer'),
      ...Array.from({ length: 4 }, () =>
        stack.gateway.notifyPayoutAs(w.withdrawalId, 'failed', 'RETURNED: account closed after transfer'),
      ),
    ]);
    const c = await waitFor(
      () => contradictionOf(w.withdrawalId),
      (x) => x !== undefined,
    );
    expect(await stack.db('payout_contradictions').where({ record_id: w.withdrawalId })).toHaveLength(1);
    expect(
      await stack
        .db('ledger_journals')
        .where({ record_id: w.withdrawalId })
        .whereIn('kind', ['payout_returned', 'payout_reversed']),
    ).toHaveLength(2);
    expect(c).toMatchObject({
      record_type: 'withdrawal',
      recorded_status: 'completed',
      gateway_status: 'failed',
      record_status_before: 'completed',
      record_status_after: 'failed',
      status: 'open',
      detected_by: 'notification',
      escrow_id: w.escrowId,
    });
    expect(Boolean(Number(c.corrected))).toBe(true);
    expect(await withdrawalRow(w.withdrawalId)).toMatchObject({
      status: 'failed',
      alasan: expect.stringContaining('returned by the bank'),
    });
    expect((await stack.db('escrow').where({ id: w.escrowId }).first()).status).toBe('released');
    expect(await balanceOf(w.freelancer)).toEqual({ dapat_dicairkan: 237_500, dalam_proses: 0, sudah_dicairkan: 0 });

    // frozen: the freelancer cannot withdraw it again until an admin resolves the contradiction
    const again = await withdraw(w.freelancer, w.escrowId);
    expect([again.status, again.body.error.details.contradiction_id]).toEqual([409, c.id]);
    // the admin list, the event and the metric show it
    const list = await admin().get('/api/admin/payouts/contradictions?status=open');
    expect(list.body.data.items.map((x: { id: string }) => x.id)).toContain(c.id);
    expect((await as(stack.url, tokens.freelancer).get('/api/admin/payouts/contradictions')).status).toBe(403);
    const events = (await by(w.freelancer).get('/api/notifications?since=0&limit=100')).body.data.items as {
      type: string;
    }[];
    expect(events.map((e) => e.type)).toContain('withdrawal.contradicted');
    expect((await request(stack.url).get('/metrics')).text).toMatch(/skillconnect_payout_contradictions_open [1-9]/);
    await booksAgree();

    const resolved = await admin().post(`/api/admin/payouts/contradictions/${c.id}/resolve`, {
      alasan: 'Bank confirmed the return; the freelancer will withdraw again',
    });
    expect([resolved.status, resolved.body.data.status, resolved.body.data.resolved_by]).toEqual([
      200,
      'resolved',
      USERS.admin,
    ]);
    expect((await admin().post(`/api/admin/payouts/contradictions/${c.id}/resolve`, { alasan: 'again' })).status).toBe(
      409,
    );
    expect(
      (await admin().post(`/api/admin/payouts/contradictions/${randomUUID()}/resolve`, { alasan: 'x' })).status,
    ).toBe(404);
    expect(await paidAtBank(w.withdrawalId)).toBe(0);
    await booksAgree();
    // resolved: the order's workflow has ended, so a new run of it pays the escrow out again, once
    const w2 = await withdraw(w.freelancer, w.escrowId, '2234567890');
    expect([w2.status, w2.body.data?.status]).toEqual([201, 'pending']);
    const w2id = w2.body.data.withdrawal_id as string;
    expect((await admin().post(`/api/admin/withdrawals/${w2id}/approve`)).status).toBe(200);
    await waitFor(
      () => gatewayPayouts(w2id),
      (rows) => rows.length === 1,
    );
    await stack.gateway.completePayout(w2id);
    expect(
      (
        await waitFor(
          () => withdrawalRow(w2id),
          (x) => x.status === 'completed',
        )
      ).status,
    ).toBe('completed');
    expect(await balanceOf(w.freelancer)).toEqual({ dapat_dicairkan: 0, dalam_proses: 0, sudah_dicairkan: 237_500 });
    expect((await withdraw(w.freelancer, w.escrowId)).status).toBe(409);
    const attempts = await stack.db('pencairan_dana').where({ escrow_id: w.escrowId });
    expect(attempts.map((r: { status: string }) => r.status).sort()).toEqual(['completed', 'failed']);
    await booksAgree();
  }, 60_000);

  test('a payout recorded failed turns completed at the bank while the next attempt waits: the pre-check holds the next one, the bank pays once', async () => {
    const { w1, w2id } = await failedThenPending();
    // the bank's record of the first turns completed, silently (no notification)
    await stack
      .db('mock_gateway_payouts')
      .where({ idempotency_key: w1.withdrawalId })
      .update({ status: 'completed', completed_at: new Date().toISOString(), failure_reason: null });

    expect((await admin().post(`/api/admin/withdrawals/${w2id}/approve`)).status).toBe(200);
    const held = await waitFor(
      () => withdrawalRow(w2id),
      (x) => x.status === 'failed',
    );
    expect(held.alasan).toMatch(/HELD: earlier payout .* is completed at the gateway/);
    const [w2payout] = await gatewayPayouts(w2id);
    expect([w2payout.status, w2payout.failure_reason]).toEqual(['failed', expect.stringMatching(/^CANCELLED: HELD/)]);
    expect(await contradictionOf(w1.withdrawalId)).toMatchObject({
      detected_by: 'precheck',
      recorded_status: 'failed',
      gateway_status: 'completed',
      record_status_after: 'completed',
    });
    expect((await withdrawalRow(w1.withdrawalId)).status).toBe('completed');
    expect((await stack.db('escrow').where({ id: w1.escrowId }).first()).status).toBe('completed');
    expect(await balanceOf(w1.freelancer)).toEqual({ dapat_dicairkan: 0, dalam_proses: 0, sudah_dicairkan: 237_500 });
    expect(
      (
        await stack
          .db('mock_gateway_payouts')
          .whereIn('idempotency_key', [w1.withdrawalId, w2id])
          .where({ status: 'completed' })
      ).length,
    ).toBe(1);
    await booksAgree();
  }, 60_000);

  test('both paid (the bank completes a payout it had failed, after the next one was paid): the books follow, the overpayment is frozen and listed', async () => {
    const { w1, w2id } = await failedThenPending();
    expect((await admin().post(`/api/admin/withdrawals/${w2id}/approve`)).status).toBe(200);
    await waitFor(
      () => gatewayPayouts(w2id),
      (rows) => rows.length === 1,
    );
    await stack.gateway.completePayout(w2id);
    await waitFor(
      () => withdrawalRow(w2id),
      (x) => x.status === 'completed',
    );

    await stack.gateway.completeFailedPayout(w1.withdrawalId); // and notifies completed
    const c = await waitFor(
      () => contradictionOf(w1.withdrawalId),
      (x) => x !== undefined,
    );
    expect(c).toMatchObject({ recorded_status: 'failed', gateway_status: 'completed', status: 'open' });
    expect((await withdrawalRow(w1.withdrawalId)).status).toBe('completed');
    expect(await balanceOf(w1.freelancer)).toEqual({
      dapat_dicairkan: -237_500,
      dalam_proses: 0,
      sudah_dicairkan: 475_000,
    });
    await booksAgree();
  }, 60_000);
});

describe(`refunds paid to the client's account: the same rule (${dbLabel()})`, () => {
  /** A virtual-account order cancelled after payment: its refund (262,500) waits for an account, which the client gives. */
  async function sentRefund(nomor = '1234567890') {
    const o = await paidOrder('virtual_account', 'bca');
    await stack.outboxDrained();
    const cancelled = await by(o.client).post(`/api/orders/${o.orderId}/cancel`, { alasan: 'Tidak jadi' });
    expect(cancelled.status).toBe(200);
    const refundId = cancelled.body.data.refund_id as string;
    await waitFor(
      () => refundRow(refundId),
      (r) => r.status === 'menunggu_rekening',
    );
    const given = await waitFor(
      () =>
        by(o.client).post(`/api/payments/refunds/${refundId}/account`, {
          metode_pencairan: 'transfer_bank',
          channel: 'bca',
          nomor_rekening: nomor,
          nama_pemilik: 'Klien',
        }),
      (r) => r.status === 200,
    );
    expect(given.status).toBe(200);
    await waitFor(
      () => gatewayPayouts(refundId),
      (rows) => rows.length === 1,
    );
    return { ...o, refundId };
  }

  test('failed → completed: a signed failed for the queued refund payout changes nothing; the completion pays it once', async () => {
    const r = await sentRefund();
    const [payout] = await gatewayPayouts(r.refundId);
    const forged = await sendNotification(
      signed({
        external_id: r.refundId,
        reference: payout.reference,
        status: 'failed',
        amount: '262500',
        failure_reason: 'X',
      }),
    );
    expect(forged.status).toBe(409);
    expect((await refundRow(r.refundId)).status).toBe('processing');
    // no second account can be given while it is processing
    expect(
      (
        await by(r.client).post(`/api/payments/refunds/${r.refundId}/account`, {
          metode_pencairan: 'transfer_bank',
          channel: 'bca',
          nomor_rekening: '2234567890',
          nama_pemilik: 'Klien',
        })
      ).status,
    ).toBe(409);
    await stack.gateway.completePayout(r.refundId);
    expect(
      (
        await waitFor(
          () => refundRow(r.refundId),
          (x) => x.status === 'completed',
        )
      ).referensi_gateway,
    ).toBe(payout.reference);
    expect(
      (
        await sendNotification(
          signed({
            external_id: r.refundId,
            reference: payout.reference,
            status: 'failed',
            amount: '262500',
            failure_reason: 'X',
          }),
        )
      ).status,
    ).toBe(409);
    expect(await paidAtBank(r.refundId)).toBe(1);
    await booksAgree();
  }, 60_000);

  test('early completed is refused; a duplicate of the genuine one is processed once', async () => {
    const r = await sentRefund();
    expect(
      (
        await sendNotification(
          signed({ external_id: r.refundId, reference: 'TRF-FORGED', status: 'completed', amount: '262500' }),
        )
      ).status,
    ).toBe(409);
    expect((await refundRow(r.refundId)).status).toBe('processing');
    await stack.gateway.completePayout(r.refundId);
    await waitFor(
      () => refundRow(r.refundId),
      (x) => x.status === 'completed',
    );
    const [payout] = await gatewayPayouts(r.refundId);
    const dup = await sendNotification(
      signed({ external_id: r.refundId, reference: payout.reference, status: 'completed', amount: '262500' }),
    );
    expect([dup.status, dup.body.refund_id, dup.body.contradiction_id]).toEqual([200, r.refundId, null]);
    expect(await stack.db('ledger_journals').where({ record_id: r.refundId, kind: 'refund_paid' })).toHaveLength(1);
    await booksAgree();
  }, 60_000);

  test('completed → failed (returned): the refund is owed again and frozen; the contradiction shows to admins and to the client', async () => {
    const r = await sentRefund();
    await stack.gateway.completePayout(r.refundId);
    await waitFor(
      () => refundRow(r.refundId),
      (x) => x.status === 'completed',
    );
    await stack.gateway.returnPayout(r.refundId, 'RETURNED: name mismatch');
    const c = await waitFor(
      () => contradictionOf(r.refundId),
      (x) => x !== undefined,
    );
    expect(c).toMatchObject({
      record_type: 'refund',
      record_id: r.refundId,
      recorded_status: 'completed',
      gateway_status: 'failed',
      record_status_after: 'failed',
      party_id: r.client.id,
    });
    expect(await refundRow(r.refundId)).toMatchObject({
      status: 'failed',
      failure_reason: expect.stringContaining('returned by the bank'),
    });
    const again = await by(r.client).post(`/api/payments/refunds/${r.refundId}/account`, {
      metode_pencairan: 'transfer_bank',
      channel: 'bca',
      nomor_rekening: '2234567890',
      nama_pemilik: 'Klien',
    });
    expect([again.status, again.body.error.details.contradiction_id]).toEqual([409, c.id]);
    const events = (await by(r.client).get('/api/notifications?since=0&limit=100')).body.data.items as {
      type: string;
    }[];
    expect(events.map((e) => e.type)).toContain('refund.contradicted');
    expect(await paidAtBank(r.refundId)).toBe(0);
    await booksAgree();
    // resolved: the client gives another account, and a new run of the refund's workflow pays it, once
    expect(
      (await admin().post(`/api/admin/payouts/contradictions/${c.id}/resolve`, { alasan: 'Returned; a new account' }))
        .status,
    ).toBe(200);
    const next = await by(r.client).post(`/api/payments/refunds/${r.refundId}/account`, {
      metode_pencairan: 'transfer_bank',
      channel: 'bca',
      nomor_rekening: '2234567890',
      nama_pemilik: 'Klien',
    });
    expect([next.status, next.body.data?.status]).toEqual([200, 'processing']);
    await waitFor(
      () => gatewayPayouts(`${r.refundId}:2`),
      (rows) => rows.length === 1,
    );
    await stack.gateway.completePayout(`${r.refundId}:2`);
    expect(
      (
        await waitFor(
          () => refundRow(r.refundId),
          (x) => x.status === 'completed',
        )
      ).status,
    ).toBe('completed');
    expect(await paidAtBank(r.refundId)).toBe(1);
    await booksAgree();
  }, 60_000);

  test("an earlier account's payout recorded failed turns completed before the next account is paid: the next is held, the client is paid once", async () => {
    const r = await sentRefund('0001234567'); // a closed account: failed at once
    await waitFor(
      () => refundRow(r.refundId),
      (x) => x.status === 'failed',
    );
    await stack
      .db('mock_gateway_payouts')
      .where({ idempotency_key: r.refundId })
      .update({ status: 'completed', completed_at: new Date().toISOString(), failure_reason: null });
    const given = await waitFor(
      () =>
        by(r.client).post(`/api/payments/refunds/${r.refundId}/account`, {
          metode_pencairan: 'transfer_bank',
          channel: 'bca',
          nomor_rekening: '2234567890',
          nama_pemilik: 'Klien',
        }),
      (x) => x.status === 200,
    );
    expect(given.status).toBe(200);
    const c = await waitFor(
      () => contradictionOf(r.refundId),
      (x) => x !== undefined,
    );
    expect(c).toMatchObject({ detected_by: 'precheck', recorded_status: 'failed', gateway_status: 'completed' });
    const second = (
      await waitFor(
        () => gatewayPayouts(`${r.refundId}:2`),
        (rows) => rows.length === 1,
      )
    )[0];
    expect([second.status, second.failure_reason]).toEqual(['failed', expect.stringMatching(/^CANCELLED: HELD/)]);
    expect((await refundRow(r.refundId)).status).toBe('completed');
    expect(await paidAtBank(r.refundId)).toBe(1);
    await booksAgree();
  }, 60_000);
});

describe(`randomized: the bank's outcomes and notifications in a random order, with duplicates (${dbLabel()})`, () => {
  /** mulberry32: a seeded generator, so a failing run can be replayed with PAYOUT_CHAOS_SEED. */
  const rng = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const seed = Number(process.env.PAYOUT_CHAOS_SEED ?? Date.now() % 1_000_000);
  const random = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const pause = () => new Promise((r) => setTimeout(r, Math.floor(random() * 150)));
  type Step = 'forged_failed' | 'forged_completed' | 'complete' | 'repeat' | 'return';
  const STEPS: readonly Step[] = ['forged_failed', 'forged_completed', 'complete', 'repeat', 'repeat', 'return'];

  /** Plays a random script of bank events and notifications on one payout key; the bank completes it at the end if still queued. */
  async function play(key: string): Promise<Step[]> {
    const script = Array.from({ length: 2 + Math.floor(random() * 4) }, () => pick(STEPS));
    for (const step of script) {
      await pause();
      const [p] = await gatewayPayouts(key).where({ idempotency_key: key });
      if (step === 'forged_failed') await stack.gateway.notifyPayoutAs(key, 'failed', 'TRANSIENT: bank timeout');
      if (step === 'forged_completed') await stack.gateway.notifyPayoutAs(key, 'completed');
      if (step === 'complete') await stack.gateway.completePayout(key);
      if (step === 'repeat' && p.status !== 'queued')
        await Promise.all([
          stack.gateway.notifyPayoutAs(key, p.status, p.failure_reason ?? ''),
          stack.gateway.notifyPayoutAs(key, p.status, p.failure_reason ?? ''),
        ]);
      if (step === 'return' && random() < 0.5) await stack.gateway.returnPayout(key, 'RETURNED: by the receiving bank');
    }
    await stack.gateway.completePayout(key); // the bank's final word on a payout still queued
    return script;
  }

  test("12 withdrawals and 4 refunds: at most one payment per escrow and refund, every record equals the bank's, and the ledger equals the bank's books", async () => {
    // eslint-disable-next-line no-console
    console.log(`payout chaos seed ${seed} (PAYOUT_CHAOS_SEED=${seed} replays it)`);
    const withdrawals = await Promise.all(
      Array.from({ length: 12 }, () => sentWithdrawal(random() < 0.25 ? '0001234567' : '1234567890')),
    );
    await Promise.all(withdrawals.map((w) => play(w.withdrawalId)));
    // a freelancer whose payout failed (and is not frozen) withdraws again, and that one is paid too
    const settled = async (id: string) =>
      waitFor(
        () => withdrawalRow(id),
        (x) => x.status === 'completed' || x.status === 'failed',
        30_000,
      );
    const retried: string[] = [];
    for (const w of withdrawals) {
      const row = await settled(w.withdrawalId);
      expect(['completed', 'failed']).toContain(row.status);
      if (
        row.status !== 'failed' ||
        (await stack.db('payout_contradictions').where({ escrow_id: w.escrowId, status: 'open' }).first())
      )
        continue;
      const again = await waitFor(
        () => withdraw(w.freelancer, w.escrowId),
        (r) => r.status === 201,
      );
      expect(again.status).toBe(201);
      const id = again.body.data.withdrawal_id as string;
      expect((await admin().post(`/api/admin/withdrawals/${id}/approve`)).status).toBe(200);
      await waitFor(
        () => gatewayPayouts(id),
        (rows) => rows.length === 1,
      );
      retried.push(id);
    }
    await Promise.all(retried.map((id) => play(id)));
    for (const id of retried) await settled(id);

    const refunds: { refundId: string }[] = [];
    for (let i = 0; i < 4; i++) {
      const o = await paidOrder('virtual_account', 'bni');
      await stack.outboxDrained();
      const refundId = (await by(o.client).post(`/api/orders/${o.orderId}/cancel`, { alasan: 'Tidak jadi' })).body.data
        .refund_id as string;
      await waitFor(
        () => refundRow(refundId),
        (r) => r.status === 'menunggu_rekening',
      );
      const given = await waitFor(
        () =>
          by(o.client).post(`/api/payments/refunds/${refundId}/account`, {
            metode_pencairan: 'transfer_bank',
            channel: 'bni',
            nomor_rekening: '1234567890',
            nama_pemilik: 'Klien',
          }),
        (r) => r.status === 200,
      );
      expect(given.status).toBe(200);
      await waitFor(
        () => gatewayPayouts(refundId),
        (rows) => rows.length === 1,
      );
      refunds.push({ refundId });
    }
    await Promise.all(refunds.map((r) => play(r.refundId)));

    // every record says what the bank's record says, and nothing was paid twice
    for (const w of withdrawals) {
      const rows = await stack.db('pencairan_dana').where({ escrow_id: w.escrowId });
      const bank = await stack.db('mock_gateway_payouts').whereIn(
        'idempotency_key',
        rows.map((r: { id: string }) => r.id),
      );
      expect(bank.filter((p: { status: string }) => p.status === 'completed').length).toBeLessThanOrEqual(1);
      for (const r of rows) {
        const b = bank.find((p: { idempotency_key: string }) => p.idempotency_key === r.id);
        const status = (await settled(r.id)).status;
        expect([r.id, status]).toEqual([r.id, b.status]);
      }
      const paid = bank
        .filter((p: { status: string }) => p.status === 'completed')
        .reduce((s: number, p: { amount: unknown }) => s + Number(p.amount), 0);
      expect((await balanceOf(w.freelancer)).sudah_dicairkan).toBe(paid);
    }
    for (const r of refunds) {
      const row = await waitFor(
        () => refundRow(r.refundId),
        (x) => x.status === 'completed' || x.status === 'failed',
        30_000,
      );
      const [bank] = await stack.db('mock_gateway_payouts').where({ idempotency_key: r.refundId });
      expect([r.refundId, row.status]).toEqual([r.refundId, bank.status]);
    }
    await booksAgree();
  }, 180_000);
});
