import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { Stack, dbLabel, startStack } from '../helpers/stack';
import { USERS, UserName, tokensFor } from '../helpers/auth';
import { OMIT, SETTLED, escrowKit } from '../helpers/escrow';
import { waitFor } from '../helpers/wait';

/**
 * Disputes over HTTP against the real stack: the order's client or freelancer
 * disputes the held escrow (escrow disputed, order dispute), everyone who may
 * see the escrow sees who opened it, when and why; an admin lists and decides
 * it (release, partial, refund) with the seed's amounts, each in the ledger;
 * every 400 and 409. stop() fails on a reconcile difference.
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

describe(`opening a dispute (${dbLabel()})`, () => {
  test.each(['client', 'freelancer'] as const)(
    'by the %s → 201; escrow disputed, order dispute; the dispute shown to both parties and admins',
    async (opener) => {
      const f = await k.order('dibayar');
      const before = Date.now();
      const res = await k.dispute(opener, f.escrowId!, '  Hasil desain tidak sesuai brief  ');
      expect(res.status).toBe(201);
      const expected = {
        escrow_id: f.escrowId,
        pesanan_id: f.orderId,
        status: 'open',
        dibuka_oleh: USERS[opener],
        peran_pembuka: opener,
        alasan: 'Hasil desain tidak sesuai brief',
        keputusan: null,
        jumlah_freelancer: null,
        diputuskan_oleh: null,
        alasan_keputusan: null,
        diputuskan_pada: null,
      };
      expect(res.body.data).toEqual({
        escrow_id: f.escrowId,
        status: 'disputed',
        order_status: 'dispute',
        dispute: { id: expect.any(String), dibuka_pada: expect.any(String), ...expected },
      });
      const opened = Date.parse(res.body.data.dispute.dibuka_pada);
      expect(opened).toBeGreaterThanOrEqual(before - 1000);
      expect(opened).toBeLessThanOrEqual(Date.now() + 1000);
      for (const who of ['client', 'freelancer', 'admin'] as const) {
        const escrow = (await k.by(who).get(`/api/payments/escrow/${f.escrowId}`)).body.data;
        expect(escrow).toMatchObject({
          status: 'disputed',
          jumlah_dirilis: null,
          dispute: { ...expected, id: res.body.data.dispute.id, dibuka_pada: res.body.data.dispute.dibuka_pada },
        });
        // the refund id is the client's (null for the freelancer); there is none yet
        expect(escrow.refund_id).toBeNull();
        expect((await k.by(who).get(`/api/orders/${f.orderId}`)).body.data.status).toBe('dispute');
      }
      expect(await k.orderRow(f.orderId)).toMatchObject({ status: 'dispute' });
      const state = await k.workflowState(f.orderId);
      expect(state).toMatchObject({
        order_status: 'dispute',
        escrow: { status: 'disputed' },
        dispute: { status: 'open', peran_pembuka: opener },
      });
      expect(state.history.map((h) => h.event)).toContain(
        `dispute opened by the ${opener}: Hasil desain tidak sesuai brief; the auto-release is stopped until an admin decides`,
      );
    },
  );

  test('a dispute from dikerjakan and from menunggu_review', async () => {
    for (const stage of ['dikerjakan', 'menunggu_review'] as const) {
      const f = await k.order(stage);
      expect((await k.dispute('client', f.escrowId!)).status).toBe(201);
      expect((await k.orderRow(f.orderId)).status).toBe('dispute');
      expect((await k.resolve(f.escrowId!, 'release')).status).toBe(200);
    }
  });

  test.each([
    ['missing', OMIT],
    ['empty', ''],
    ['blank', '   '],
    ['1001 characters', 'x'.repeat(1001)],
    ['not a string', 42],
  ])('alasan %s → 400 naming it; nothing changes', async (_name, alasan) => {
    const f = await k.order('dibayar');
    const res = await k.dispute('client', f.escrowId!, alasan);
    expect(err(res)).toEqual([400, 'VALIDATION_ERROR']);
    expect(res.body.error.details).toMatchObject({ field: 'alasan' });
    expect((await k.escrowRow(f.escrowId!)).status).toBe('held');
    expect(await stack.db('disputes').where({ escrow_id: f.escrowId })).toHaveLength(0);
  });

  test('1000 characters is accepted', async () => {
    const f = await k.order('dibayar');
    const res = await k.dispute('freelancer', f.escrowId!, 'y'.repeat(1000));
    expect(res.status).toBe(201);
    expect(res.body.data.dispute.alasan).toHaveLength(1000);
  });

  test("a second dispute → 409 (by either party); the client's release while disputed → 409; cancelling → 409", async () => {
    const f = await k.order('disputed');
    for (const who of ['client', 'freelancer'] as const) {
      const again = await k.dispute(who, f.escrowId!);
      expect(err(again)).toEqual([409, 'INVALID_TRANSITION']);
      expect(again.body.error.message).toBe('escrow is already disputed; an admin decides it');
    }
    const release = await k.release('client', f.escrowId!);
    expect(err(release)).toEqual([409, 'INVALID_TRANSITION']);
    expect(release.body.error.message).toMatch(/^escrow is disputed/);
    for (const who of ['client', 'freelancer', 'admin'] as const)
      expect(err(await k.cancel(who, f.orderId))).toEqual([409, 'INVALID_TRANSITION']);
    expect(await stack.db('disputes').where({ escrow_id: f.escrowId })).toHaveLength(1);
    expect((await k.escrowRow(f.escrowId!)).status).toBe('disputed');
    expect((await k.resolve(f.escrowId!, 'refund')).status).toBe(200);
  });

  test('a released or refunded escrow cannot be disputed (409); nor can an unknown one (404)', async () => {
    const released = await k.order('released');
    const late = await k.dispute('freelancer', released.escrowId!);
    expect(err(late)).toEqual([409, 'INVALID_TRANSITION']);
    expect(late.body.error.message).toBe('escrow is released; only a held escrow can be disputed');
    const cancelled = await k.order('dibayar');
    expect((await k.cancel('client', cancelled.orderId)).status).toBe(200);
    expect(err(await k.dispute('client', cancelled.escrowId!))).toEqual([409, 'INVALID_TRANSITION']);
    expect(err(await k.dispute('client', randomUUID()))).toEqual([404, 'NOT_FOUND']);
  });

  test("a dispute racing the client's release: exactly one wins, the other 409, and the escrow is what the winner made it", async () => {
    for (let i = 0; i < 3; i++) {
      const f = await k.order('dibayar');
      const [d, r] = await Promise.all([k.dispute('freelancer', f.escrowId!), k.release('client', f.escrowId!)]);
      expect([d.status, r.status]).toEqual(d.status === 201 ? [201, 409] : [409, 200]);
      const escrow = await k.escrowRow(f.escrowId!);
      expect(escrow.status).toBe(d.status === 201 ? 'disputed' : 'released');
      if (d.status === 201) expect((await k.resolve(f.escrowId!, 'release')).status).toBe(200);
    }
  });
});

describe(`the admins' list (${dbLabel()})`, () => {
  test('?status=open lists it with its parties, amounts, reason and age; once decided it is under ?status=resolved', async () => {
    const f = await k.order('disputed', { disputedBy: 'freelancer' });
    const list = async (status: string) =>
      (await k.by('admin').get(`/api/admin/disputes?status=${status}&limit=100`)).body.data.items as Record<
        string,
        unknown
      >[];
    const open = (await list('open')).find((d) => d.escrow_id === f.escrowId);
    expect(open).toEqual({
      id: f.disputeId,
      escrow_id: f.escrowId,
      pesanan_id: f.orderId,
      status: 'open',
      dibuka_oleh: USERS.freelancer,
      peran_pembuka: 'freelancer',
      alasan: 'Pekerjaan tidak sesuai brief',
      dibuka_pada: expect.any(String),
      keputusan: null,
      jumlah_freelancer: null,
      diputuskan_oleh: null,
      alasan_keputusan: null,
      diputuskan_pada: null,
      client_id: USERS.client,
      freelancer_id: USERS.freelancer,
      jumlah_ditahan: 250_000,
      age_seconds: expect.any(Number),
    });
    expect(open!.age_seconds).toBeGreaterThanOrEqual(0);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await list('open')).find((d) => d.escrow_id === f.escrowId)!.age_seconds).toBeGreaterThanOrEqual(1);
    expect((await list('resolved')).some((d) => d.escrow_id === f.escrowId)).toBe(false);
    // newest first
    const times = (await list('open')).map((d) => Date.parse(d.dibuka_pada as string));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const decided = await k.resolve(f.escrowId!, 'partial', { jumlah_freelancer: 100_000 });
    expect(decided.status).toBe(200);
    expect((await list('open')).some((d) => d.escrow_id === f.escrowId)).toBe(false);
    const resolved = (await list('resolved')).find((d) => d.escrow_id === f.escrowId)!;
    expect(resolved).toMatchObject({
      status: 'resolved',
      keputusan: 'partial',
      jumlah_freelancer: 100_000,
      diputuskan_oleh: USERS.admin,
      alasan_keputusan: 'Bukti kedua pihak sudah diperiksa',
    });
    // a resolved dispute's age is until its decision
    expect(resolved.age_seconds).toBe(
      Math.floor((Date.parse(resolved.diputuskan_pada as string) - Date.parse(resolved.dibuka_pada as string)) / 1000),
    );
    const all = (await k.by('admin').get('/api/admin/disputes?limit=100')).body.data.items as { escrow_id: string }[];
    expect(all.some((d) => d.escrow_id === f.escrowId)).toBe(true);
    expect(err(await k.by('admin').get('/api/admin/disputes?status=closed'))).toEqual([400, 'VALIDATION_ERROR']);
    expect((await k.settledRefund(decided.body.data.refund.id)).status).toBe('completed');
  });
  test('pages of one: every open dispute exactly once, newest first', async () => {
    const made = [
      (await k.order('disputed')).disputeId!,
      (await k.order('disputed')).disputeId!,
      (await k.order('disputed')).disputeId!,
    ];
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await k
        .by('admin')
        .get(`/api/admin/disputes?status=open&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.data.items.map((d: { id: string }) => d.id));
      cursor = res.body.data.next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => made.includes(id))).toEqual([...made].reverse());
    expect(err(await k.by('admin').get('/api/admin/disputes?cursor=nonsense'))).toEqual([400, 'VALIDATION_ERROR']);
    for (const id of made) {
      const d = await stack.db('disputes').where({ id }).first();
      expect((await k.resolve(d.escrow_id, 'release')).status).toBe(200);
    }
  });
});

describe(`deciding a dispute on the seed order (${dbLabel()})`, () => {
  test('release: escrow released, order selesai, the freelancer withdraws 237,500 net; no refund', async () => {
    const f = await k.order('disputed');
    const res = await k.resolve(f.escrowId!, 'release');
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      dispute: {
        id: f.disputeId,
        status: 'resolved',
        keputusan: 'release',
        jumlah_freelancer: null,
        diputuskan_oleh: USERS.admin,
        diputuskan_pada: expect.any(String),
      },
      escrow: {
        id: f.escrowId,
        status: 'released',
        jumlah_ditahan: 250_000,
        biaya_platform: 12_500,
        jumlah_bersih: 237_500,
        refund_id: null,
      },
      order_status: 'selesai',
      refund: null,
    });
    expect((await k.orderRow(f.orderId)).status).toBe('selesai');
    const w = await k.withdraw(f.escrowId!);
    expect(w.status).toBe(201);
    expect(w.body.data).toMatchObject({ jumlah: 250_000, biaya_platform: 12_500, jumlah_bersih: 237_500 });
    expect((await k.settledWithdrawal(w.body.data.withdrawal_id)).status).toBe('completed');
    expect((await k.escrowRow(f.escrowId!)).status).toBe('completed');
    expect(await k.refundRows(f.orderId)).toHaveLength(0);
    const j = await k.journals(f.orderId);
    expect(j.map((x) => x.kind)).toEqual(['payment_settled', 'escrow_released', 'payout_sent', 'payout_completed']);
    expect(k.netOf(j[1], f)).toEqual({
      'escrow:<order>': 250_000,
      'freelancer_payable:<freelancer>': -237_500,
      platform_fee_revenue: -12_500,
    });
  });

  test('partial X = 100,000 (QRIS): escrow partial_released, the freelancer nets 95,000, the client gets 157,500 back to its source', async () => {
    const client = await k.freshClient();
    const f = await k.order('disputed', { client });
    const before = await k.freelancerBalance();
    const res = await k.resolve(f.escrowId!, 'partial', { jumlah_freelancer: 100_000 });
    expect(res.status).toBe(200);
    // the freelancer's balance: the escrow leaves "held", X's net becomes withdrawable
    const after = await k.freelancerBalance();
    expect([after.ditahan - before.ditahan, after.dapat_dicairkan - before.dapat_dicairkan]).toEqual([
      -250_000, 95_000,
    ]);
    expect(res.body.data).toMatchObject({
      dispute: { status: 'resolved', keputusan: 'partial', jumlah_freelancer: 100_000 },
      escrow: {
        status: 'partial_released',
        jumlah_ditahan: 250_000,
        jumlah_dirilis: 100_000,
        biaya_platform: 5_000,
        jumlah_bersih: 95_000,
      },
      order_status: 'selesai',
      refund: { id: expect.any(String), jumlah: 157_500 },
    });
    const refundId = res.body.data.refund.id;
    expect(res.body.data.escrow.refund_id).toBe(refundId);
    expect((await k.orderRow(f.orderId)).status).toBe('selesai');

    const done = await k.settledRefund(refundId);
    expect(done).toMatchObject({
      status: 'completed',
      jumlah: 157_500,
      jenis: 'escrow_refund',
      metode: 'source',
      pembayaran_id: f.paymentId,
      pesanan_id: f.orderId,
      client_id: client.id,
      referensi_gateway: expect.stringMatching(/^RFD-/),
      selesai_pada: expect.any(String),
    });
    const byClient = await k.readRefund(refundId, client);
    expect([byClient.status, byClient.body.data.status]).toEqual([200, 'completed']);
    expect(await stack.db('mock_gateway_refunds').where({ idempotency_key: refundId })).toEqual([
      expect.objectContaining({ transaction_id: f.transactionId, amount: 157_500 }),
    ]);
    // the refund is named on the payment, the escrow and the order (for the client and admins), not for the freelancer
    expect((await k.by(client).get(`/api/payments/${f.paymentId}`)).body.data.refund_id).toBe(refundId);
    expect((await k.by(client).get(`/api/payments/escrow/${f.escrowId}`)).body.data.refund_id).toBe(refundId);
    expect((await k.by('admin').get(`/api/orders/${f.orderId}`)).body.data.refund_id).toBe(refundId);
    expect((await k.by('freelancer').get(`/api/payments/escrow/${f.escrowId}`)).body.data.refund_id).toBeNull();
    expect((await k.by('freelancer').get(`/api/orders/${f.orderId}`)).body.data.refund_id).toBeNull();

    const w = await k.withdraw(f.escrowId!);
    expect(w.status).toBe(201);
    expect(w.body.data).toMatchObject({ jumlah: 100_000, biaya_platform: 5_000, jumlah_bersih: 95_000 });
    const paid = await k.settledWithdrawal(w.body.data.withdrawal_id);
    expect(paid.status).toBe('completed');
    expect(
      Number(
        (await stack.db('mock_gateway_payouts').where({ idempotency_key: w.body.data.withdrawal_id }).first()).amount,
      ),
    ).toBe(95_000);

    // the ledger: what the client paid = freelancer net + platform revenue + the gateway's fee + what the client got back
    const j = await k.journals(f.orderId);
    const of = (kind: string) =>
      k.netOf(
        j.find((x) => x.kind === kind),
        f,
      );
    expect(j.map((x) => x.kind).sort()).toEqual([
      'escrow_partially_released',
      'payment_settled',
      'payout_completed',
      'payout_sent',
      'refund_owed',
      'refund_paid',
    ]);
    expect(of('payment_settled')).toEqual(SETTLED);
    expect(of('escrow_partially_released')).toEqual({
      'escrow:<order>': 100_000,
      'freelancer_payable:<freelancer>': -95_000,
      platform_fee_revenue: -5_000,
    });
    expect(of('refund_owed')).toEqual({
      'escrow:<order>': 150_000,
      platform_fee_revenue: 7_500,
      'client_refund_payable:<client>': -157_500,
    });
    expect(of('refund_paid')).toEqual({ 'client_refund_payable:<client>': 157_500, gateway_clearing: -157_500 });
    const total: Record<string, number> = {};
    for (const x of j) for (const [a, v] of Object.entries(k.netOf(x, f))) total[a] = (total[a] ?? 0) + v;
    expect(total['escrow:<order>']).toBe(0);
    expect(-total.platform_fee_revenue).toBe(10_000);
    expect(95_000 + -total.platform_fee_revenue + 2_500 + 157_500).toBe(265_000);
    expect(await k.balance(`escrow:${f.orderId}`)).toBe(0);
    expect(await k.balance(`client_refund_payable:${client.id}`)).toBe(0);
  });

  test('refund: escrow refunded, order refunded, 262,500 back to the client; the freelancer cannot withdraw', async () => {
    const client = await k.freshClient();
    const f = await k.order('disputed', { client, disputedBy: 'freelancer' });
    const res = await k.resolve(f.escrowId!, 'REFUND'); // decisions are case-insensitive
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      escrow: { status: 'refunded' },
      order_status: 'refunded',
      refund: { jumlah: 262_500 },
    });
    expect((await k.orderRow(f.orderId)).status).toBe('refunded');
    const done = await k.settledRefund(res.body.data.refund.id);
    expect(done).toMatchObject({ status: 'completed', jumlah: 262_500 });
    const w = await k.withdraw(f.escrowId!);
    expect(err(w)).toEqual([409, 'INVALID_TRANSITION']);
    const j = await k.journals(f.orderId);
    expect(j.map((x) => x.kind)).toEqual(['payment_settled', 'refund_owed', 'refund_paid']);
    expect(k.netOf(j[1], f)).toEqual({
      'escrow:<order>': 250_000,
      platform_fee_revenue: 12_500,
      'client_refund_payable:<client>': -262_500,
    });
    expect(await k.balance(`client_refund_payable:${client.id}`)).toBe(0);
    const state = await waitFor(
      () => k.workflowState(f.orderId),
      (s) => s.refund?.status === 'completed',
    );
    expect(state.history.map((h) => h.event)).toContain(`refund ${done.id} completed: Rp 262500 back to the client`);
    // the lifecycle as each party reads it: the refund's amount is the client's (and admins'), the decision everyone's
    const lifecycle = async (who: Parameters<typeof k.by>[0]) =>
      (
        (await k.by(who).get(`/api/orders/${f.orderId}/lifecycle`)).body.data.history as {
          topic: string;
          event: string;
        }[]
      ).map((h) => h.event);
    const seenByClient = await lifecycle(client);
    const seenByFreelancer = await lifecycle('freelancer');
    expect(seenByClient).toContain(`Rp 262500 owed back to the client (refund ${done.id})`);
    expect(seenByFreelancer.some((e) => /dispute decided by admin .*: refunded to the client/.test(e))).toBe(true);
    expect(seenByFreelancer.filter((e) => e.includes('262500'))).toEqual([]);
  });
});

describe(`refused decisions (${dbLabel()})`, () => {
  test.each([
    ['X = 250,000 (all of it: decide release)', { jumlah_freelancer: 250_000 }],
    ['X above the escrow', { jumlah_freelancer: 300_000 }],
    ['X = 0', { jumlah_freelancer: 0 }],
    ['X not whole', { jumlah_freelancer: 100.5 }],
    ['no jumlah_freelancer', {}],
  ])('partial with %s → 400 naming jumlah_freelancer; still disputed', async (_name, extra) => {
    const f = await k.order('disputed');
    const res = await k.resolve(f.escrowId!, 'partial', extra);
    expect(err(res)).toEqual([400, 'VALIDATION_ERROR']);
    expect(res.body.error.details).toMatchObject({ field: 'jumlah_freelancer' });
    expect((await k.escrowRow(f.escrowId!)).status).toBe('disputed');
    expect((await k.resolve(f.escrowId!, 'release')).status).toBe(200);
  });

  test('bad bodies → 400: jumlah_freelancer on release, an unknown decision, no alasan', async () => {
    const f = await k.order('disputed');
    expect((await k.resolve(f.escrowId!, 'release', { jumlah_freelancer: 1_000 })).body.error.details).toMatchObject({
      field: 'jumlah_freelancer',
    });
    expect((await k.resolve(f.escrowId!, 'split')).body.error.details).toMatchObject({ field: 'keputusan' });
    expect((await k.resolve(f.escrowId!, 'refund', { alasan: '' })).body.error.details).toMatchObject({
      field: 'alasan',
    });
    expect((await k.escrowRow(f.escrowId!)).status).toBe('disputed');
    expect(err(await k.resolve(randomUUID(), 'release'))).toEqual([404, 'NOT_FOUND']);
    expect((await k.resolve(f.escrowId!, 'release')).status).toBe(200);
  });

  test('a held (not disputed) escrow → 409; a released one → 409', async () => {
    const f = await k.order('dibayar');
    const res = await k.resolve(f.escrowId!, 'refund');
    expect(err(res)).toEqual([409, 'INVALID_TRANSITION']);
    expect(res.body.error.message).toBe('escrow is held; only a disputed escrow can be decided');
    expect((await k.escrowRow(f.escrowId!)).status).toBe('held');
    expect(await k.refundRows(f.orderId)).toHaveLength(0);
    const released = await k.order('released');
    expect(err(await k.resolve(released.escrowId!, 'release'))).toEqual([409, 'INVALID_TRANSITION']);
  });

  test('deciding twice → the second 409, the first decision stands; two admins at once → one 200, one 409', async () => {
    const f = await k.order('disputed');
    expect((await k.resolve(f.escrowId!, 'release')).status).toBe(200);
    const again = await k.resolve(f.escrowId!, 'refund');
    expect(err(again)).toEqual([409, 'INVALID_TRANSITION']);
    expect(again.body.error.message).toBe('escrow is released; only a disputed escrow can be decided');
    expect((await k.escrowRow(f.escrowId!)).status).toBe('released');
    expect(await k.refundRows(f.orderId)).toHaveLength(0);

    const g = await k.order('disputed');
    const both = await Promise.all([
      k.resolve(g.escrowId!, 'refund'),
      k.resolve(g.escrowId!, 'partial', { jumlah_freelancer: 50_000 }),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = both.find((r) => r.status === 200)!.body.data;
    expect((await k.escrowRow(g.escrowId!)).status).toBe(winner.escrow.status);
    const refunds = await k.refundRows(g.orderId);
    expect(refunds.map((r: { jumlah: number }) => Number(r.jumlah))).toEqual([
      winner.escrow.status === 'refunded' ? 262_500 : 200_000 + 10_000,
    ]);
    await k.settledRefund(refunds[0].id);
  });
});

describe(`the auto-release never releases a disputed escrow (ESCROW_AUTO_RELEASE_AFTER 3s, ${dbLabel()})`, () => {
  let timed: Stack;
  let timedTokens: Record<UserName, string>;
  beforeAll(async () => {
    timed = await startStack({ ESCROW_AUTO_RELEASE_AFTER: '3s' });
    timedTokens = await tokensFor(timed.config.auth.jwtSecret);
  }, 180_000);
  afterAll(async () => timed?.stop());
  const t = escrowKit(
    () => timed,
    () => timedTokens,
  );

  test('disputed at once, still disputed well after the review period; an undisputed one beside it auto-releases', async () => {
    const disputed = await t.order('disputed');
    const plain = await t.order('dibayar');
    const released = await waitFor(
      () => t.escrowRow(plain.escrowId!),
      (e) => e.status === 'released',
      15_000,
    );
    expect(released.status).toBe('released');
    await new Promise((r) => setTimeout(r, 2000));
    expect((await t.escrowRow(disputed.escrowId!)).status).toBe('disputed');
    expect((await t.orderRow(disputed.orderId)).status).toBe('dispute');
    expect(await timed.db('ledger_journals').where({ record_id: disputed.escrowId })).toHaveLength(0);
    expect((await t.resolve(disputed.escrowId!, 'release')).status).toBe(200);
  }, 60_000);

  test('a dispute racing the auto-release at the mark: one wins cleanly', async () => {
    const f = await t.order('dibayar');
    const due = Date.parse((await t.escrowRow(f.escrowId!)).akan_dirilis_pada);
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now() - 30)));
    const res = await t.dispute('client', f.escrowId!);
    expect([201, 409]).toContain(res.status);
    const escrow = await waitFor(
      () => t.escrowRow(f.escrowId!),
      (e) => e.status !== 'held',
      15_000,
    );
    expect(escrow.status).toBe(res.status === 201 ? 'disputed' : 'released');
    if (res.status === 201) expect((await t.resolve(f.escrowId!, 'release')).status).toBe(200);
  }, 60_000);
});
