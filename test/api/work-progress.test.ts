import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import request from 'supertest';
import { statusQuery } from '../../workflows/messages';
import { Stack, dbLabel, startStack } from '../helpers/stack';
import { USERS, UserName, as, tokensFor } from '../helpers/auth';

/**
 * Work progress over HTTP against the real stack: the order's freelancer
 * starts the work (dibayar → dikerjakan) and delivers it (dikerjakan →
 * menunggu_review) through the order workflow; the escrow stays held and the
 * client may release from any of the three. Every role and owner/non-owner,
 * every 409, and what the order, the lifecycle, the audit trail and the
 * notifications outbox hold afterwards.
 */
let stack: Stack;
let tokens: Record<UserName, string>;
const WHO: UserName[] = ['client', 'otherClient', 'freelancer', 'otherFreelancer', 'admin'];

beforeAll(async () => {
  stack = await startStack();
  tokens = await tokensFor(stack.config.auth.jwtSecret);
}, 180_000);
afterAll(async () => stack?.stop());

const by = (who: UserName) => as(stack.url, tokens[who]);
const start = (who: UserName, orderId: string, body?: unknown) => by(who).post(`/api/orders/${orderId}/start`, body);
const deliver = (who: UserName, orderId: string, body?: unknown) =>
  by(who).post(`/api/orders/${orderId}/deliver`, body);

type Stage = 'created' | 'pending' | 'dibayar' | 'dikerjakan' | 'menunggu_review';
/** An order of `client` assigned to `freelancer`, taken to the given stage. */
async function fixture(stage: Stage) {
  const order = (
    await by('client').post('/api/orders', {
      client_id: USERS.client,
      freelancer_id: USERS.freelancer,
      judul: 'Work progress',
      harga: 100_000,
    })
  ).body.data;
  const out: { orderId: string; escrowId?: string } = { orderId: order.id };
  if (stage === 'created') return out;
  const pay = (
    await by('client').post('/api/payments/create', {
      pesanan_id: order.id,
      user_id: USERS.client,
      jumlah: 100_000,
      metode_pembayaran: 'qris',
    })
  ).body.data;
  if (stage === 'pending') return out;
  out.escrowId = (
    await request(stack.url).post('/api/payments/mock/trigger-success').send({ transaction_id: pay.transaction_id })
  ).body.data.escrow_id;
  if (stage === 'dibayar') return out;
  expect((await start('freelancer', order.id)).status).toBe(200);
  if (stage === 'dikerjakan') return out;
  expect((await deliver('freelancer', order.id)).status).toBe(200);
  return out;
}

const release = (orderEscrow: { escrowId?: string }) =>
  by('client').post('/api/payments/escrow/release', { escrow_id: orderEscrow.escrowId, user_id: USERS.client });
const orderStatus = async (orderId: string) =>
  (await stack.db('pesanan').where({ id: orderId }).first()).status as string;
const workflowState = (orderId: string) =>
  new Client({ connection: stack.api.connection }).workflow.getHandle(`order-${orderId}`).query(statusQuery);

/** What a refused request must leave unchanged: the order row, its escrow, the workflow's state, the audit trail. */
async function snapshot(orderId: string) {
  await stack.outboxDrained();
  const order = await stack.db('pesanan').where({ id: orderId }).first();
  const escrow = await stack.db('escrow').where({ pesanan_id: orderId }).first();
  const workflow = order.pembayaran_id ? await workflowState(orderId) : null;
  const [{ n }] = await stack.db('audit_log').where({ pesanan_id: orderId }).count({ n: '*' });
  return {
    order: order.status,
    escrow: escrow?.status ?? null,
    workflow: workflow && { order_status: workflow.order_status, history: workflow.history.length },
    audit: Number(n),
  };
}

describe(`who may start and deliver (${dbLabel()})`, () => {
  const EXPECTED: Record<UserName, number> = {
    client: 403,
    otherClient: 404,
    freelancer: 200,
    otherFreelancer: 404,
    admin: 403,
  };

  test.each(WHO.map((who) => [who, EXPECTED[who]] as const))('start as %s → %i', async (who, status) => {
    const f = await fixture('dibayar');
    const before = await snapshot(f.orderId);
    const res = await start(who, f.orderId);
    expect([res.status, res.body.error?.code]).toEqual([
      status,
      { 200: undefined, 403: 'FORBIDDEN', 404: 'NOT_FOUND' }[status],
    ]);
    if (status === 200) {
      expect(res.body).toMatchObject({
        success: true,
        message: 'Work started',
        data: { id: f.orderId, status: 'dikerjakan', escrow_id: f.escrowId },
      });
      expect(await orderStatus(f.orderId)).toBe('dikerjakan');
    } else {
      if (status === 404) expect(res.body.error.message).toBe('order not found'); // exactly like an id that does not exist
      expect(await snapshot(f.orderId)).toEqual(before);
    }
  });

  test.each(WHO.map((who) => [who, EXPECTED[who]] as const))('deliver as %s → %i', async (who, status) => {
    const f = await fixture('dikerjakan');
    const before = await snapshot(f.orderId);
    const res = await deliver(who, f.orderId);
    expect(res.status).toBe(status);
    if (status === 200) {
      expect(res.body).toMatchObject({ success: true, data: { id: f.orderId, status: 'menunggu_review' } });
      expect(await orderStatus(f.orderId)).toBe('menunggu_review');
    } else {
      expect(await snapshot(f.orderId)).toEqual(before);
    }
  });

  test("an unknown order answers 404 like another freelancer's; no token 401", async () => {
    expect((await start('freelancer', randomUUID())).status).toBe(404);
    expect((await deliver('freelancer', randomUUID())).status).toBe(404);
    expect((await start('freelancer', 'not-a-uuid')).status).toBe(400);
    const f = await fixture('dibayar');
    const anonymous = await request(stack.url).post(`/api/orders/${f.orderId}/start`);
    expect(anonymous.status).toBe(401);
    expect(await orderStatus(f.orderId)).toBe('dibayar');
  });

  test('no body or an empty object; any field is refused (400 naming it)', async () => {
    const f = await fixture('dibayar');
    const bad = await start('freelancer', f.orderId, { user_id: USERS.freelancer });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'user_id' } });
    expect(await orderStatus(f.orderId)).toBe('dibayar');
    expect((await start('freelancer', f.orderId, {})).status).toBe(200);
    expect((await deliver('freelancer', f.orderId)).status).toBe(200);
  });
});

describe(`wrong state: 409 with the reason (${dbLabel()})`, () => {
  const conflictOf = (res: request.Response) => ({
    status: res.status,
    code: res.body.error?.code,
    message: res.body.error?.message,
  });

  test('start before payment (no payment, a waiting payment) → 409; deliver too', async () => {
    for (const stage of ['created', 'pending'] as const) {
      const f = await fixture(stage);
      expect(conflictOf(await start('freelancer', f.orderId))).toEqual({
        status: 409,
        code: 'INVALID_TRANSITION',
        message: 'order is menunggu_pembayaran; work can only start on a dibayar order',
      });
      expect(conflictOf(await deliver('freelancer', f.orderId))).toEqual({
        status: 409,
        code: 'INVALID_TRANSITION',
        message: 'order is menunggu_pembayaran; work can only be delivered on a dikerjakan order',
      });
      expect(await orderStatus(f.orderId)).toBe('menunggu_pembayaran');
    }
  });

  test('deliver before start, start twice, deliver twice → 409', async () => {
    const f = await fixture('dibayar');
    const early = await deliver('freelancer', f.orderId);
    expect(conflictOf(early)).toEqual({
      status: 409,
      code: 'INVALID_TRANSITION',
      message: 'order is dibayar; work can only be delivered on a dikerjakan order',
    });
    expect(early.body.error.details).toEqual({ status: 'dibayar' });
    expect((await start('freelancer', f.orderId)).status).toBe(200);
    expect(conflictOf(await start('freelancer', f.orderId))).toEqual({
      status: 409,
      code: 'INVALID_TRANSITION',
      message: 'order is dikerjakan; work can only start on a dibayar order',
    });
    expect((await deliver('freelancer', f.orderId)).status).toBe(200);
    expect(conflictOf(await deliver('freelancer', f.orderId))).toEqual({
      status: 409,
      code: 'INVALID_TRANSITION',
      message: 'order is menunggu_review; work can only be delivered on a dikerjakan order',
    });
    expect(conflictOf(await start('freelancer', f.orderId))).toMatchObject({
      status: 409,
      message: 'order is menunggu_review; work can only start on a dibayar order',
    });
    expect(await orderStatus(f.orderId)).toBe('menunggu_review');
  });

  test('two concurrent starts: one 200, the other 409; one change recorded', async () => {
    const f = await fixture('dibayar');
    const answers = (await Promise.all([start('freelancer', f.orderId), start('freelancer', f.orderId)]))
      .map((r) => r.status)
      .sort();
    expect(answers).toEqual([200, 409]);
    const changes = await stack
      .db('audit_log')
      .where({ pesanan_id: f.orderId, action: 'order.status_changed', status_after: 'dikerjakan' });
    expect(changes).toHaveLength(1);
  });

  test('after release → 409 for both, and the order stays selesai', async () => {
    const f = await fixture('dibayar');
    expect((await release(f)).status).toBe(200);
    expect(conflictOf(await start('freelancer', f.orderId))).toEqual({
      status: 409,
      code: 'INVALID_TRANSITION',
      message: 'order is selesai; work can only start on a dibayar order',
    });
    expect(conflictOf(await deliver('freelancer', f.orderId))).toEqual({
      status: 409,
      code: 'INVALID_TRANSITION',
      message: 'order is selesai; work can only be delivered on a dikerjakan order',
    });
    expect(await orderStatus(f.orderId)).toBe('selesai');
  });
});

describe(`the client releases from dikerjakan and menunggu_review (${dbLabel()})`, () => {
  test.each(['dikerjakan', 'menunggu_review'] as const)(
    'release from %s → escrow released, order selesai',
    async (stage) => {
      const f = await fixture(stage);
      expect((await by('client').get(`/api/orders/${f.orderId}`)).body.data.status).toBe(stage);
      const res = await release(f);
      expect([res.status, res.body.data?.status]).toEqual([200, 'released']);
      expect((await by('client').get(`/api/orders/${f.orderId}`)).body.data.status).toBe('selesai');
      expect((await by('freelancer').get(`/api/payments/escrow/${f.escrowId}`)).body.data).toMatchObject({
        status: 'released',
        dirilis_oleh: 'client',
      });
      const finished = await stack
        .db('audit_log')
        .where({ pesanan_id: f.orderId, action: 'order.status_changed', status_after: 'selesai' });
      expect(finished.map((r: { status_before: string; actor_id: string }) => [r.status_before, r.actor_id])).toEqual([
        [stage, USERS.client],
      ]);
      expect((await workflowState(f.orderId)).order_status).toBe('selesai');
      // the freelancer withdraws as after any release
      const w = await by('freelancer').post('/api/payments/withdraw', {
        escrow_id: f.escrowId,
        freelancer_id: USERS.freelancer,
        metode_pencairan: 'transfer_bank',
        nomor_rekening: '1234567890',
        nama_pemilik: 'Free Lancer',
      });
      expect(w.status).toBe(201);
    },
  );
});

describe(`the whole way, as everyone sees it (${dbLabel()})`, () => {
  test('start → deliver → release: the order, the lifecycle, the audit trail and the notifications', async () => {
    const f = await fixture('dibayar');
    const started = await start('freelancer', f.orderId);
    expect(started.status).toBe(200);
    for (const who of ['client', 'freelancer', 'admin'] as const)
      expect((await by(who).get(`/api/orders/${f.orderId}`)).body.data.status).toBe('dikerjakan');
    expect((await by('client').get(`/api/payments/escrow/${f.escrowId}`)).body.data.status).toBe('held');
    const delivered = await deliver('freelancer', f.orderId);
    expect(delivered.body).toMatchObject({
      success: true,
      message: "Work delivered; waiting for the client's review",
      data: { status: 'menunggu_review' },
    });
    for (const who of ['client', 'freelancer', 'admin'] as const)
      expect((await by(who).get(`/api/orders/${f.orderId}`)).body.data.status).toBe('menunggu_review');
    expect((await by('client').get(`/api/payments/escrow/${f.escrowId}`)).body.data.status).toBe('held');
    expect((await release(f)).status).toBe(200);

    // the lifecycle: readable lines, in order, for each party
    for (const who of ['client', 'freelancer', 'admin'] as const) {
      const life = (await by(who).get(`/api/orders/${f.orderId}/lifecycle`)).body.data;
      expect(life.order_status).toBe('selesai');
      const events = life.history.map((h: { event: string }) => h.event);
      const at = (e: string) => events.indexOf(e);
      expect(at('work started by the freelancer')).toBeGreaterThan(-1);
      expect(at("work delivered; waiting for the client's review")).toBeGreaterThan(
        at('work started by the freelancer'),
      );
      expect(at('escrow released by the client')).toBeGreaterThan(
        at("work delivered; waiting for the client's review"),
      );
    }

    // the audit trail (admins' read): each change with its actor and before/after, and the requests that asked for them
    const trail = (await by('admin').get(`/api/admin/audit?record_id=${f.orderId}`)).body.data.entries as {
      action: string;
      actor_id: string | null;
      actor_role: string | null;
      request_id: string | null;
      status_before: string;
      status_after: string;
      record_type: string;
    }[];
    const changes = trail
      .filter((e) => e.action === 'order.status_changed')
      .map((e) => [e.status_before, e.status_after, e.actor_role]);
    expect(changes).toEqual([
      ['menunggu_pembayaran', 'dibayar', null],
      ['dibayar', 'dikerjakan', 'freelancer'],
      ['dikerjakan', 'menunggu_review', 'freelancer'],
      ['menunggu_review', 'selesai', 'client'],
    ]);
    expect(
      trail
        .filter((e) => e.action === 'order.status_changed' && e.actor_role === 'freelancer')
        .every((e) => e.actor_id === USERS.freelancer),
    ).toBe(true);
    const requests = trail.filter((e) => e.action.startsWith('order.work_'));
    expect(requests.map((e) => [e.action, e.status_before, e.status_after, e.actor_id])).toEqual([
      ['order.work_start_requested', 'dibayar', 'dikerjakan', USERS.freelancer],
      ['order.work_delivery_requested', 'dikerjakan', 'menunggu_review', USERS.freelancer],
    ]);
    expect(requests.every((e) => typeof e.request_id === 'string' && e.request_id.length > 0)).toBe(true);

    // the notifications outbox: one order.status_changed event per change, to both parties, with before/after
    const rows = await stack
      .db('notifications')
      .where({ pesanan_id: f.orderId, type: 'order.status_changed' })
      .orderBy('seq');
    const bodies = rows.map((r: { body: string }) => JSON.parse(r.body));
    expect(
      bodies.map((b: { data: { status_before: string; status_after: string } }) => [
        b.data.status_before,
        b.data.status_after,
      ]),
    ).toEqual([
      [null, 'menunggu_pembayaran'],
      ['menunggu_pembayaran', 'dibayar'],
      ['dibayar', 'dikerjakan'],
      ['dikerjakan', 'menunggu_review'],
      ['menunggu_review', 'selesai'],
    ]);
    for (const b of bodies.slice(2)) expect([...b.recipients].sort()).toEqual([USERS.client, USERS.freelancer].sort());
    // the requests' own audit rows are not events
    expect(
      await stack
        .db('notifications')
        .where({ pesanan_id: f.orderId })
        .whereNotIn('type', ['order.status_changed', 'payment.succeeded', 'escrow.held', 'escrow.released']),
    ).toEqual([]);
    // and the freelancer polls them
    const polled: { type: string; pesanan_id: string; data: { status_after: string } }[] = [];
    for (let since = '0', page = 0; page < 50; page++) {
      const answer = (await by('freelancer').get(`/api/notifications?since=${since}&limit=100`)).body.data;
      polled.push(...answer.items);
      if (answer.items.length === 0) break;
      since = answer.next_cursor;
    }
    expect(
      polled
        .filter((n) => n.pesanan_id === f.orderId && n.type === 'order.status_changed')
        .map((n) => n.data.status_after),
    ).toEqual(expect.arrayContaining(['dikerjakan', 'menunggu_review', 'selesai']));
  });
});
