import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { signPayoutWebhook } from '../../domain/signature';
import { postOpeningJournals } from '../../db/ledger';
import { reconcile } from '../../db/reconcile';
import { toDbTime } from '../../db/time';
import * as repo from '../../db/repositories';
import { Client } from '@temporalio/client';
import { Stack, dbLabel, startStack } from '../helpers/stack';
import { USERS, UserName, as, tokensFor } from '../helpers/auth';
import { waitFor } from '../helpers/wait';

/**
 * The payout desk over HTTP against the real stack, with auto-withdrawal off
 * (the production default): the approval queue, approve and reject for every
 * role, payouts the mock bank completes asynchronously (and its test accounts
 * that fail), the payout notification, balances after every step, and the
 * history reads with their pagination. The suite's books must reconcile.
 */
let stack: Stack;
let tokens: Record<UserName, string>;
const WHO: UserName[] = ['client', 'otherClient', 'freelancer', 'otherFreelancer', 'admin'];

beforeAll(async () => {
  stack = await startStack({ MOCK_AUTO_WITHDRAWAL: 'false' });
  tokens = await tokensFor(stack.config.auth.jwtSecret);
}, 180_000);
afterAll(async () => stack?.stop());

const by = (who: UserName) => as(stack.url, tokens[who]);
const balance = async (who: UserName = 'freelancer') => {
  const res = await by(who).get('/api/freelancers/me/balance');
  expect(res.status).toBe(200);
  const { ditahan, dapat_dicairkan, dalam_proses, sudah_dicairkan } = res.body.data;
  return { ditahan, dapat_dicairkan, dalam_proses, sudah_dicairkan };
};
const withdrawal = async (id: string) => (await by('admin').get(`/api/payments/withdrawals/${id}`)).body.data;
const settledWithdrawal = (id: string) =>
  waitFor(
    () => withdrawal(id),
    (w) => ['completed', 'failed'].includes(w.status),
  );

async function paid(harga = 250_000, freelancer: UserName = 'freelancer') {
  const order = (
    await by('client').post('/api/orders', {
      client_id: USERS.client,
      freelancer_id: USERS[freelancer],
      judul: 'Payout desk',
      harga,
    })
  ).body.data;
  const pay = (
    await by('client').post('/api/payments/create', {
      pesanan_id: order.id,
      user_id: USERS.client,
      jumlah: harga,
      metode_pembayaran: 'qris',
    })
  ).body.data;
  const trig = await request(stack.url)
    .post('/api/payments/mock/trigger-success')
    .send({ transaction_id: pay.transaction_id });
  expect(trig.status).toBe(200);
  return {
    orderId: order.id as string,
    paymentId: pay.payment_id as string,
    escrowId: trig.body.data.escrow_id as string,
  };
}

async function released(harga = 250_000, freelancer: UserName = 'freelancer') {
  const o = await paid(harga, freelancer);
  expect(
    (await by('client').post('/api/payments/escrow/release', { escrow_id: o.escrowId, user_id: USERS.client })).status,
  ).toBe(200);
  return o;
}

const withdraw = (escrowId: string, extra: Record<string, unknown> = {}, who: UserName = 'freelancer') =>
  by(who).post('/api/payments/withdraw', {
    escrow_id: escrowId,
    freelancer_id: USERS[who],
    metode_pencairan: 'transfer_bank',
    nomor_rekening: '1234567890',
    nama_pemilik: 'John Doe',
    ...extra,
  });

async function pendingWithdrawal(extra: Record<string, unknown> = {}) {
  const o = await released();
  const w = await withdraw(o.escrowId, extra);
  expect(w.status).toBe(201);
  expect(w.body.data.status).toBe('pending');
  return { ...o, withdrawalId: w.body.data.withdrawal_id as string };
}

describe(`the payout desk (${dbLabel()})`, () => {
  test("the seed flow with approval: balances after every step, the approval queue, and a payout completed by the bank's signed notification", async () => {
    const start = await balance();
    const o = await paid();
    expect(await balance()).toEqual({ ...start, ditahan: start.ditahan + 250_000 });
    await by('client').post('/api/payments/escrow/release', { escrow_id: o.escrowId, user_id: USERS.client });
    expect(await balance()).toEqual({ ...start, dapat_dicairkan: start.dapat_dicairkan + 237_500 });

    const w = await withdraw(o.escrowId);
    expect(w.status).toBe(201);
    expect(w.body.data).toMatchObject({
      status: 'pending',
      jumlah_bersih: 237_500,
      metode_pencairan: 'transfer_bank',
      channel: 'bca',
      bukti_transfer: null,
    });
    const id = w.body.data.withdrawal_id;
    expect(await balance()).toEqual({ ...start, dalam_proses: start.dalam_proses + 237_500 });

    // the queue: oldest first, the account masked for the admin too
    const queue = (await by('admin').get('/api/admin/withdrawals?status=pending&limit=100')).body.data.items;
    const mine = queue.find((x: { id: string }) => x.id === id);
    expect(mine).toMatchObject({
      freelancer_id: USERS.freelancer,
      jumlah_bersih: 237_500,
      metode_pencairan: 'transfer_bank',
      channel: 'bca',
      nomor_rekening: '******7890',
      status: 'pending',
    });
    const times = queue.map((x: { created_at: string }) => Date.parse(x.created_at));
    expect(times).toEqual([...times].sort((a, b) => a - b));

    const approved = await by('admin').post(`/api/admin/withdrawals/${id}/approve`);
    expect(approved.status).toBe(200);
    expect(['processing', 'completed']).toContain(approved.body.data.status);
    const done = await settledWithdrawal(id);
    expect(done).toMatchObject({ status: 'completed', alasan: null });
    expect(done.bukti_transfer).toMatch(/\/mock-bank\/transfer\/TRF-/);
    expect(await balance()).toEqual({ ...start, sudah_dicairkan: start.sudah_dicairkan + 237_500 });
    expect((await by('client').get(`/api/payments/escrow/${o.escrowId}`)).body.data.status).toBe('completed');

    // the gateway told the service through the payout webhook, and the trail shows who did what
    const log = await stack.db('webhook_log').where({ transaction_id: id });
    expect(
      log.map((r: { transaction_status: string; http_status: number }) => [
        r.transaction_status,
        Number(r.http_status),
      ]),
    ).toContainEqual(['payout:completed', 200]);
    const trail = (await by('admin').get(`/api/admin/audit?record_id=${id}`)).body.data.entries.map(
      (e: { action: string; actor_role: string | null }) => `${e.action}:${e.actor_role ?? '-'}`,
    );
    expect(trail).toEqual(
      expect.arrayContaining([
        'withdrawal.requested:freelancer',
        'withdrawal.approved:admin',
        'withdrawal.completed:-',
      ]),
    );
    const journals = (await by('admin').get(`/api/admin/ledger/journals?record_id=${id}`)).body.data.journals.map(
      (j: { kind: string }) => j.kind,
    );
    expect(journals).toEqual(['payout_sent', 'payout_completed']);
  });

  test('a rejection returns the money; the freelancer withdraws again to an e-wallet, which completes', async () => {
    const start = await balance();
    const w = await pendingWithdrawal();
    expect((await by('admin').post(`/api/admin/withdrawals/${w.withdrawalId}/reject`, {})).status).toBe(400); // alasan is required
    const rejected = await by('admin').post(`/api/admin/withdrawals/${w.withdrawalId}/reject`, {
      alasan: 'Nama pemilik tidak sesuai',
    });
    expect(rejected.status).toBe(200);
    expect(rejected.body.data).toMatchObject({ status: 'rejected', alasan: 'Nama pemilik tidak sesuai' });
    expect(await balance()).toEqual({ ...start, dapat_dicairkan: start.dapat_dicairkan + 237_500 });
    expect((await by('freelancer').get(`/api/payments/withdrawals/${w.withdrawalId}`)).body.data).toMatchObject({
      status: 'rejected',
      alasan: 'Nama pemilik tidak sesuai',
    });

    const again = await withdraw(w.escrowId, {
      metode_pencairan: 'e_wallet',
      channel: 'OVO',
      nomor_rekening: '+6281234567890',
    });
    expect(again.status).toBe(201);
    expect(again.body.data).toMatchObject({ status: 'pending', channel: 'ovo' });
    const second = again.body.data.withdrawal_id;
    expect((await withdrawal(second)).nomor_rekening).toBe('081234567890');
    expect((await by('admin').post(`/api/admin/withdrawals/${second}/approve`)).status).toBe(200);
    expect((await settledWithdrawal(second)).status).toBe('completed');
    expect(await balance()).toEqual({ ...start, sudah_dicairkan: start.sudah_dicairkan + 237_500 });
    const journals = (
      await by('admin').get(`/api/admin/ledger/journals?record_id=${w.withdrawalId}`)
    ).body.data.journals.map((j: { kind: string }) => j.kind);
    expect(journals).toEqual(['payout_sent', 'payout_reversed']);
  });

  test("a closed account (000…) fails with the bank's reason, the money comes back, and a withdrawal to a good account completes", async () => {
    const start = await balance();
    const w = await pendingWithdrawal({ nomor_rekening: '0001234567' });
    await by('admin').post(`/api/admin/withdrawals/${w.withdrawalId}/approve`);
    const failed = await settledWithdrawal(w.withdrawalId);
    expect(failed).toMatchObject({ status: 'failed', alasan: expect.stringContaining('ACCOUNT_CLOSED') });
    expect(await balance()).toEqual({ ...start, dapat_dicairkan: start.dapat_dicairkan + 237_500 });
    const again = await withdraw(w.escrowId, { channel: 'mandiri', nomor_rekening: '1234567890123' });
    expect(again.status).toBe(201);
    await by('admin').post(`/api/admin/withdrawals/${again.body.data.withdrawal_id}/approve`);
    expect((await settledWithdrawal(again.body.data.withdrawal_id)).status).toBe('completed');
    expect(
      await stack
        .db('mock_gateway_payouts')
        .whereIn('idempotency_key', [w.withdrawalId, again.body.data.withdrawal_id])
        .orderBy('created_at')
        .pluck('status'),
    ).toEqual(['failed', 'completed']);
  });

  test('a 999… account is refused twice for now and then paid, once', async () => {
    const w = await pendingWithdrawal({ nomor_rekening: '9991234567' });
    await by('admin').post(`/api/admin/withdrawals/${w.withdrawalId}/approve`);
    const done = await waitFor(
      () => withdrawal(w.withdrawalId),
      (x) => x.status === 'completed',
      40_000,
    );
    expect(done.status).toBe('completed');
    // three requests reached the bank; the escrow's withdrawals have one payout there between them
    expect(
      Number(
        (await stack.db('mock_gateway_payout_requests').where({ idempotency_key: w.withdrawalId }).first()).attempts,
      ),
    ).toBe(3);
    const ofEscrow = await stack.db('pencairan_dana').where({ escrow_id: w.escrowId }).pluck('id');
    expect(await stack.db('mock_gateway_payouts').whereIn('idempotency_key', ofEscrow).pluck('status')).toEqual([
      'completed',
    ]);
  }, 60_000);

  test('409s: deciding a withdrawal that is not pending, withdrawing while one is live or after it completed; 404 for an unknown withdrawal', async () => {
    const w = await pendingWithdrawal();
    const again = await withdraw(w.escrowId);
    expect(again.status).toBe(409);
    expect(again.body.error.message).toBe('this escrow has a pending withdrawal');
    expect((await by('admin').post(`/api/admin/withdrawals/${randomUUID()}/approve`)).status).toBe(404);
    expect((await by('admin').post('/api/admin/withdrawals/not-a-uuid/approve')).status).toBe(400);
    expect((await by('admin').post(`/api/admin/withdrawals/${w.withdrawalId}/approve`)).status).toBe(200);
    for (const action of ['approve', 'reject']) {
      const res = await by('admin').post(`/api/admin/withdrawals/${w.withdrawalId}/${action}`, { alasan: 'late' });
      expect(res.status).toBe(409);
      expect(res.body.error.message).toMatch(/^withdrawal is (processing|completed); only a pending withdrawal can be/);
    }
    await settledWithdrawal(w.withdrawalId);
    const after = await withdraw(w.escrowId);
    expect(after.status).toBe(409);
    expect(after.body.error.message).toBe('this escrow has already been withdrawn');
    const rejected = await pendingWithdrawal();
    await by('admin').post(`/api/admin/withdrawals/${rejected.withdrawalId}/reject`, { alasan: 'no' });
    expect((await by('admin').post(`/api/admin/withdrawals/${rejected.withdrawalId}/approve`)).status).toBe(409);
  });

  test('the approval queue is oldest first across pages', async () => {
    const made: string[] = [];
    for (let i = 0; i < 3; i++) made.push((await pendingWithdrawal()).withdrawalId);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await by('admin').get(
        `/api/admin/withdrawals?status=pending&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      seen.push(...res.body.data.items.map((x: { id: string }) => x.id));
      cursor = res.body.data.next_cursor;
    } while (cursor);
    expect(seen.filter((id) => made.includes(id))).toEqual(made);
    for (const id of made) await by('admin').post(`/api/admin/withdrawals/${id}/reject`, { alasan: 'queue test' });
  });

  test('two admins deciding the same withdrawal at once: one decision wins, the other gets 409', async () => {
    const w = await pendingWithdrawal();
    const [a, b] = await Promise.all([
      by('admin').post(`/api/admin/withdrawals/${w.withdrawalId}/approve`),
      by('admin').post(`/api/admin/withdrawals/${w.withdrawalId}/reject`, { alasan: 'duplicate request' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const final = await waitFor(
      () => withdrawal(w.withdrawalId),
      (x) => ['completed', 'rejected'].includes(x.status),
    );
    expect(final.status).toBe(a.status === 200 ? 'completed' : 'rejected');
  });

  test('two withdraw requests for one escrow at once: one withdrawal, the other gets 409', async () => {
    const o = await released();
    const [a, b] = await Promise.all([withdraw(o.escrowId), withdraw(o.escrowId, { nomor_rekening: '2234567890' })]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    expect(await stack.db('pencairan_dana').where({ escrow_id: o.escrowId })).toHaveLength(1);
    const id = (a.status === 201 ? a : b).body.data.withdrawal_id;
    await by('admin').post(`/api/admin/withdrawals/${id}/reject`, { alasan: 'cleanup' });
  });

  test('withdraw validates channel and account per method', async () => {
    const o = await released();
    const cases: [Record<string, unknown>, string][] = [
      [{ channel: 'jago' }, 'channel'],
      [{ channel: 'bri', nomor_rekening: '1234567890' }, 'nomor_rekening'], // BRI accounts have 15 digits
      [{ nomor_rekening: '12345' }, 'nomor_rekening'],
      [{ metode_pencairan: 'e_wallet', nomor_rekening: '1234567890' }, 'nomor_rekening'],
      [{ metode_pencairan: 'e_wallet', channel: 'bca', nomor_rekening: '081234567890' }, 'channel'],
      [{ channel: 7 }, 'channel'],
    ];
    for (const [extra, field] of cases) {
      const res = await withdraw(o.escrowId, extra);
      expect([JSON.stringify(extra), res.status, res.body.error?.details?.field]).toEqual([
        JSON.stringify(extra),
        400,
        field,
      ]);
    }
    const ok = await withdraw(o.escrowId, { channel: 'BRI', nomor_rekening: '123456789012345' });
    expect(ok.status).toBe(201);
    expect(ok.body.data.channel).toBe('bri');
  });
});

describe(`the payout notification (${dbLabel()})`, () => {
  const signed = (
    f: {
      external_id: string;
      reference: string;
      status: string;
      amount: string;
      failure_reason?: string;
      timestamp?: string;
    },
    secret = stack.config.mock.secret,
  ) => {
    const fields = { failure_reason: '', timestamp: String(Math.floor(Date.now() / 1000)), ...f };
    return { ...fields, signature: signPayoutWebhook(fields, secret) };
  };
  const send = (body: unknown) =>
    request(stack.url).post('/api/payouts/webhook').set('content-type', 'application/json').send(JSON.stringify(body));

  test('verified like the payment webhook; a repeat is answered as processed; a contradiction, a wrong amount or an unknown payout is refused', async () => {
    const w = await pendingWithdrawal();
    await by('admin').post(`/api/admin/withdrawals/${w.withdrawalId}/approve`);
    const done = await settledWithdrawal(w.withdrawalId);
    const [payout] = await stack.db('mock_gateway_payouts').where({ idempotency_key: w.withdrawalId });
    const genuine = signed({
      external_id: w.withdrawalId,
      reference: payout.reference,
      status: 'completed',
      amount: '237500',
    });
    expect((await send(genuine)).status).toBe(200); // a repeat of what happened
    expect(
      (await send({ ...genuine, signature: signed({ ...genuine, status: 'completed' }, 'wrong-secret').signature }))
        .status,
    ).toBe(401);
    expect((await send({ ...genuine, reference: 'TRF-000000000000' })).status).toBe(401); // every field is signed
    expect(
      (
        await send(
          signed({
            external_id: w.withdrawalId,
            reference: payout.reference,
            status: 'completed',
            amount: '237500',
            timestamp: String(Math.floor(Date.now() / 1000) - 3600),
          }),
        )
      ).status,
    ).toBe(401);
    expect(
      (
        await send(
          signed({
            external_id: w.withdrawalId,
            reference: payout.reference,
            status: 'failed',
            amount: '237500',
            failure_reason: 'x',
          }),
        )
      ).status,
    ).toBe(409);
    expect(
      (
        await send(
          signed({ external_id: w.withdrawalId, reference: payout.reference, status: 'completed', amount: '1' }),
        )
      ).status,
    ).toBe(400);
    expect(
      (await send(signed({ external_id: randomUUID(), reference: 'TRF-1', status: 'completed', amount: '1' }))).status,
    ).toBe(404);
    expect(
      (
        await send(
          signed({ external_id: w.withdrawalId, reference: payout.reference, status: 'queued', amount: '237500' }),
        )
      ).status,
    ).toBe(400);
    expect((await withdrawal(w.withdrawalId)).status).toBe(done.status);
  });

  test('a notification for a pending withdrawal (no payout sent: the gateway does not know it) is refused and changes nothing', async () => {
    const w = await pendingWithdrawal();
    const res = await send(
      signed({ external_id: w.withdrawalId, reference: 'TRF-1', status: 'completed', amount: '237500' }),
    );
    expect(res.status).toBe(404);
    expect((await withdrawal(w.withdrawalId)).status).toBe('pending');
    await by('admin').post(`/api/admin/withdrawals/${w.withdrawalId}/reject`, { alasan: 'cleanup' });
  });
});

describe(`admin actions for every role (${dbLabel()})`, () => {
  const ACTIONS: [string, (id: string) => string, Record<string, unknown>][] = [
    ['approve', (id) => `/api/admin/withdrawals/${id}/approve`, {}],
    ['reject', (id) => `/api/admin/withdrawals/${id}/reject`, { alasan: 'not allowed' }],
  ];
  const EXPECTED: Record<UserName, number> = {
    client: 403,
    otherClient: 403,
    freelancer: 403,
    otherFreelancer: 403,
    admin: 200,
  };

  test.each(ACTIONS.flatMap(([name, path, body]) => WHO.map((who) => [name, who, path, body] as const)))(
    '%s as %s',
    async (_name, who, path, body) => {
      const w = await pendingWithdrawal();
      const res = await by(who).post(path(w.withdrawalId), body);
      expect(res.status).toBe(EXPECTED[who]);
      if (res.status !== 200) {
        expect((await withdrawal(w.withdrawalId)).status).toBe('pending'); // nothing changed
        await by('admin').post(`/api/admin/withdrawals/${w.withdrawalId}/reject`, { alasan: 'cleanup' });
      } else {
        await waitFor(
          () => withdrawal(w.withdrawalId),
          (x) => ['completed', 'rejected'].includes(x.status),
        );
      }
    },
  );

  test.each(WHO)('the approval queue as %s', async (who) => {
    const res = await by(who).get('/api/admin/withdrawals');
    expect(res.status).toBe(who === 'admin' ? 200 : 403);
  });

  test('without a token: 401', async () => {
    expect((await request(stack.url).post(`/api/admin/withdrawals/${randomUUID()}/approve`)).status).toBe(401);
  });
});

describe(`history reads and pagination (${dbLabel()})`, () => {
  test('withdrawals: newest first, each page distinct, limit bounds and an invalid cursor answer 400', async () => {
    const all = (await by('admin').get(`/api/payments/withdrawals?freelancer_id=${USERS.freelancer}&limit=100`)).body
      .data.items;
    expect(all.length).toBeGreaterThan(3);
    const times = all.map((x: { created_at: string }) => Date.parse(x.created_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await by('freelancer').get(`/api/payments/withdrawals?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.data.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.items.map((x: { id: string }) => x.id));
      cursor = res.body.data.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all.map((x: { id: string }) => x.id));
    // the owner sees full account numbers; the filter by status works
    const rejected = (await by('freelancer').get('/api/payments/withdrawals?status=rejected')).body.data.items;
    expect(rejected.length).toBeGreaterThan(0);
    expect(
      rejected.every(
        (x: { status: string; nomor_rekening: string }) => x.status === 'rejected' && !x.nomor_rekening.includes('*'),
      ),
    ).toBe(true);
    for (const q of [
      'limit=0',
      'limit=101',
      'limit=abc',
      'cursor=not-a-cursor',
      `cursor=${Buffer.from('{"c":"x","i":"y"}').toString('base64url')}`,
      'status=paid',
      'freelancer_id=123',
      'page=2',
    ]) {
      const res = await by('freelancer').get(`/api/payments/withdrawals?${q}`);
      expect([q, res.status]).toEqual([q, 400]);
    }
    // another freelancer sees none of these; a freelancer may not ask for someone else's
    const other = (await by('otherFreelancer').get('/api/payments/withdrawals?limit=100')).body.data.items;
    expect(other.filter((x: { freelancer_id: string }) => x.freelancer_id !== USERS.otherFreelancer)).toEqual([]);
    expect(
      (await by('otherFreelancer').get(`/api/payments/withdrawals?freelancer_id=${USERS.freelancer}`)).status,
    ).toBe(403);
  });

  test("payments: a client's own, newest first, with cursor pagination; admins filter by user", async () => {
    const mine = (await by('client').get('/api/payments?limit=100')).body.data.items;
    expect(mine.length).toBeGreaterThan(3);
    expect(mine.every((x: { user_id: string }) => x.user_id === USERS.client)).toBe(true);
    expect(mine[0]).toMatchObject({ status: 'berhasil', escrow_id: expect.any(String), total_bayar: 265_000 });
    const first = await by('client').get('/api/payments?limit=1');
    const second = await by('client').get(`/api/payments?limit=1&cursor=${first.body.data.next_cursor}`);
    expect([first.body.data.items[0].id, second.body.data.items[0].id]).toEqual([mine[0].id, mine[1].id]);
    expect(
      (await by('admin').get(`/api/payments?user_id=${USERS.client}&limit=100`)).body.data.items.map(
        (x: { id: string }) => x.id,
      ),
    ).toEqual(mine.map((x: { id: string }) => x.id));
    expect((await by('otherClient').get('/api/payments?limit=100')).body.data.items).toEqual([]);
    expect((await by('otherClient').get(`/api/payments?user_id=${USERS.client}`)).status).toBe(403);
    expect((await by('freelancer').get('/api/payments')).status).toBe(403);
    expect((await by('client').get('/api/payments?status=berhasil&limit=100')).body.data.items.length).toBe(
      mine.filter((x: { status: string }) => x.status === 'berhasil').length,
    );
    for (const q of ['limit=0', 'limit=101', 'cursor=%%%', 'status=paid'])
      expect([q, (await by('client').get(`/api/payments?${q}`)).status]).toEqual([q, 400]);
  });

  test("the balance is the freelancer's only: clients and admins get 403, and another freelancer sees its own", async () => {
    expect((await by('client').get('/api/freelancers/me/balance')).status).toBe(403);
    expect((await by('admin').get('/api/freelancers/me/balance')).status).toBe(403);
    expect(await balance('otherFreelancer')).toEqual({
      ditahan: 0,
      dapat_dicairkan: 0,
      dalam_proses: 0,
      sudah_dicairkan: 0,
    });
  });
});

describe(`the books of the payout desk (${dbLabel()})`, () => {
  const differences = async () => (await reconcile(stack.db)).differences;

  test('reconcile finds a rejection without its reversal, and a withdrawal whose status disagrees with its journals, naming the records', async () => {
    await stack.outboxDrained();
    expect(await differences()).toEqual([]);
    const w = await pendingWithdrawal();
    await by('admin').post(`/api/admin/withdrawals/${w.withdrawalId}/reject`, { alasan: 'books test' });
    const reversal = await stack
      .db('ledger_journals')
      .where({ kind: 'payout_reversed', record_id: w.withdrawalId })
      .first();
    const entries = await stack.db('ledger_entries').where({ journal_id: reversal.id });
    await stack.db('ledger_entries').where({ journal_id: reversal.id }).del();
    await stack.db('ledger_journals').where({ id: reversal.id }).del();
    const missing = await differences();
    expect(missing.map((d) => d.record_id)).toEqual(expect.arrayContaining([w.withdrawalId, USERS.freelancer]));
    expect(missing.find((d) => d.record_id === w.withdrawalId)?.detail).toBe('0 payout_reversed journals, expected 1');
    await stack.db('ledger_journals').insert(reversal);
    await stack.db('ledger_entries').insert(entries);
    expect(await differences()).toEqual([]);

    // a status changed behind the books' back: the balance check names the freelancer
    await stack
      .db('pencairan_dana')
      .where({ id: w.withdrawalId })
      .update({ status: 'pending', live_escrow_id: w.escrowId });
    const wrong = await differences();
    expect(wrong.filter((d) => d.record_id === USERS.freelancer).map((d) => d.detail)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^dalam_proses: the books say \d+, the records \d+$/),
        expect.stringMatching(/^dapat_dicairkan: /),
      ]),
    );
    await stack.db('pencairan_dana').where({ id: w.withdrawalId }).update({ status: 'rejected', live_escrow_id: null });
    expect(await differences()).toEqual([]);
  });

  test('a withdrawal recorded without its reservation (an old worker during a rolling deploy) gets it when it is decided or paid', async () => {
    for (const decide of ['reject', 'approve-and-pay'] as const) {
      const o = await released();
      const id = randomUUID();
      await stack.db('pencairan_dana').insert({
        id,
        escrow_id: o.escrowId,
        live_escrow_id: null,
        pesanan_id: o.orderId,
        freelancer_id: USERS.freelancer,
        jumlah: 250_000,
        biaya_platform: 12_500,
        jumlah_bersih: 237_500,
        metode_pencairan: 'transfer_bank',
        nomor_rekening: '1234567890',
        nama_pemilik: 'Old worker',
        status: 'pending',
        created_at: toDbTime(new Date()),
        updated_at: toDbTime(new Date()),
      });
      if (decide === 'reject') {
        await repo.endWithdrawal(stack.db, {
          withdrawal_id: id,
          status: 'rejected',
          alasan: 'rolling deploy',
          admin_id: USERS.admin,
        });
      } else {
        await repo.approveWithdrawal(stack.db, { withdrawal_id: id, admin_id: USERS.admin });
        expect((await stack.db('pencairan_dana').where({ id }).first()).live_escrow_id).toBe(o.escrowId);
        await stack.gateway.payout({
          idempotency_key: id,
          amount: 237_500,
          method: 'transfer_bank',
          nomor_rekening: '1234567890',
          nama_pemilik: 'Old worker',
        });
        await stack.gateway.completePayout(id); // its notification finds the workflow without this withdrawal: recorded or refused, never doubled
        await repo.completeWithdrawal(stack.db, {
          withdrawal_id: id,
          escrow_id: o.escrowId,
          bukti_transfer: 'x',
          referensi_payout: 'TRF-x',
          dicairkan_pada: new Date().toISOString(),
        });
      }
      const kinds = (await stack.db('ledger_journals').where({ record_id: id }))
        .map((j: { kind: string }) => j.kind)
        .sort();
      expect(kinds).toEqual(
        decide === 'reject' ? ['payout_reversed', 'payout_sent'] : ['payout_completed', 'payout_sent'],
      );
      expect(await differences()).toEqual([]);
    }
  });

  test("an order whose workflow an operator ended: the bank's notification is recorded directly; a pending withdrawal can still be rejected, not approved", async () => {
    const client = new Client({ connection: stack.api.connection });
    // a payout in flight when the workflow was ended
    const paidOut = await pendingWithdrawal();
    await client.workflow.getHandle(`order-${paidOut.orderId}`).terminate('operator');
    await repo.approveWithdrawal(stack.db, { withdrawal_id: paidOut.withdrawalId, admin_id: USERS.admin }); // it had been approved just before
    await stack.gateway.payout({
      idempotency_key: paidOut.withdrawalId,
      amount: 237_500,
      method: 'transfer_bank',
      nomor_rekening: '1234567890',
      nama_pemilik: 'John Doe',
    });
    await stack.gateway.completePayout(paidOut.withdrawalId); // the signed notification reaches the webhook, which finds the workflow gone
    expect((await withdrawal(paidOut.withdrawalId)).status).toBe('completed');
    expect((await by('admin').get(`/api/payments/escrow/${paidOut.escrowId}`)).body.data.status).toBe('completed');
    // a pending one
    const pending = await pendingWithdrawal();
    await client.workflow.getHandle(`order-${pending.orderId}`).terminate('operator');
    const approve = await by('admin').post(`/api/admin/withdrawals/${pending.withdrawalId}/approve`);
    expect([approve.status, approve.body.error.message]).toEqual([
      409,
      "this withdrawal's order workflow has ended; it can only be rejected",
    ]);
    const reject = await by('admin').post(`/api/admin/withdrawals/${pending.withdrawalId}/reject`, {
      alasan: 'order closed by an operator',
    });
    expect([reject.status, reject.body.data.status]).toEqual([200, 'rejected']);
    expect(await differences()).toEqual([]);
  });

  test('a withdrawal left pending by the code before the payout desk gets its reservation journal at the next start', async () => {
    const o = await released();
    const escrow = await stack.db('escrow').where({ id: o.escrowId }).first();
    const id = randomUUID();
    // as the old code left it: pending, no journal (the migration sets the live key)
    await stack.db('pencairan_dana').insert({
      id,
      escrow_id: o.escrowId,
      live_escrow_id: o.escrowId,
      pesanan_id: o.orderId,
      freelancer_id: USERS.freelancer,
      jumlah: 250_000,
      biaya_platform: 12_500,
      jumlah_bersih: 237_500,
      metode_pencairan: 'transfer_bank',
      nomor_rekening: '1234567890',
      nama_pemilik: 'Old',
      status: 'pending',
      created_at: toDbTime(new Date()),
      updated_at: toDbTime(new Date()),
    });
    expect(escrow.status).toBe('released');
    expect((await differences()).map((d) => d.record_id)).toContain(id);
    await stack.db('ledger_state').where({ step: 'pending_withdrawals_reserved' }).del(); // as on a database from before the upgrade
    expect(await postOpeningJournals(stack.db)).toBe(1);
    expect(await stack.db('ledger_journals').where({ kind: 'payout_sent', record_id: id })).toHaveLength(1);
    expect(await differences()).toEqual([]);
    expect(await postOpeningJournals(stack.db)).toBe(0); // once
  });
});
