import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import request from 'supertest';
import { verifyNotificationSignature } from '../../domain/signature';
import { EVENT_OF_ACTION } from '../../domain/notifications';
import { audit } from '../../db/audit';
import * as repo from '../../db/repositories';
import { Notifier } from '../../worker/notifier';
import { SEQ_GAP_WAIT_MS, visibleUpTo } from '../../db/notifications';
import { Stack, dbLabel, startStack } from '../helpers/stack';
import { USERS, UserName, as, tokensFor } from '../helpers/auth';
import { waitFor } from '../helpers/wait';

/**
 * The notifications outbox against the real stack: events recorded in the
 * transaction of their change, delivered signed to NOTIFICATION_WEBHOOK_URL in
 * order per order, retried with backoff, dead after NOTIFICATION_MAX_ATTEMPTS,
 * listed and redelivered by admins, polled by their recipients, and counted
 * in /metrics.
 */
const SECRET = 'notification-secret-for-the-test-suite';
interface Received {
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: {
    id: string;
    type: string;
    occurred_at: string;
    pesanan_id: string;
    recipients: string[];
    data: Record<string, unknown>;
  };
}
const received: Received[] = [];
/** Every delivery attempt, answered or refused, in arrival order. */
const attempts: { id: string; type: string; pesanan_id: string; status: number; at: number }[] = [];
/** The receiver's answer per event: 204 unless a test says otherwise. */
let answer: (body: Received['body']) => number = () => 204;
let receiver: http.Server;
let stack: Stack;
let tokens: Record<UserName, string>;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw);
      const status = answer(body);
      attempts.push({ id: body.id, type: body.type, pesanan_id: body.pesanan_id, status, at: Date.now() });
      if (status >= 200 && status < 300) received.push({ headers: req.headers, raw, body });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  stack = await startStack({
    NOTIFICATION_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`,
    NOTIFICATION_SECRET: SECRET,
    NOTIFICATION_MAX_ATTEMPTS: '3',
    NOTIFICATION_POLL_INTERVAL: '100ms',
  });
  tokens = await tokensFor(stack.config.auth.jwtSecret);
}, 180_000);
afterAll(async () => {
  try {
    await stack?.stop();
  } finally {
    receiver?.closeAllConnections();
    await new Promise((r) => receiver?.close(r));
  }
});

const by = (who: UserName) => as(stack.url, tokens[who]);
const eventsOf = (orderId: string) => received.filter((r) => r.body.pesanan_id === orderId);
const sorted = (ids: string[]) => [...ids].sort();

async function paidOrder() {
  const order = (
    await by('client').post('/api/orders', {
      client_id: USERS.client,
      freelancer_id: USERS.freelancer,
      judul: 'Logo',
      harga: 250_000,
    })
  ).body.data;
  const pay = (
    await by('client').post('/api/payments/create', {
      pesanan_id: order.id,
      user_id: USERS.client,
      jumlah: 250_000,
      metode_pembayaran: 'qris',
    })
  ).body.data;
  const trig = await request(stack.url)
    .post('/api/payments/mock/trigger-success')
    .send({ transaction_id: pay.transaction_id });
  expect(trig.status).toBe(200);
  return {
    orderId: order.id as string,
    escrowId: trig.body.data.escrow_id as string,
    transactionId: pay.transaction_id as string,
  };
}

describe(`notifications (${dbLabel()})`, () => {
  test('the whole flow is delivered signed, in order, each event once with its recipients and the data they may read', async () => {
    const o = await paidOrder();
    expect(
      (await by('client').post('/api/payments/escrow/release', { escrow_id: o.escrowId, user_id: USERS.client }))
        .status,
    ).toBe(200);
    const w = await by('freelancer').post('/api/payments/withdraw', {
      escrow_id: o.escrowId,
      freelancer_id: USERS.freelancer,
      metode_pencairan: 'transfer_bank',
      nomor_rekening: '1234567890',
      nama_pemilik: 'John Doe',
    });
    expect(w.status).toBe(201);
    const types = [
      'order.status_changed', // created: menunggu_pembayaran
      'payment.succeeded', // the client's copy
      'payment.succeeded', // the freelancer's (who may not read the payment)
      'order.status_changed', // dibayar
      'escrow.held',
      'escrow.released',
      'order.status_changed', // selesai
      'withdrawal.requested',
      'withdrawal.completed', // the freelancer's copy
      'withdrawal.completed', // the client's (who may not read the withdrawal)
    ];
    const got = await waitFor(
      async () => eventsOf(o.orderId),
      (e) => e.length >= types.length,
      30_000,
    );
    expect(got.map((e) => e.body.type)).toEqual(types);
    expect(
      got
        .filter((e) => e.body.type === 'order.status_changed')
        .map((e) => [e.body.data.status_before, e.body.data.status_after]),
    ).toEqual([
      [null, 'menunggu_pembayaran'],
      ['menunggu_pembayaran', 'dibayar'],
      ['dibayar', 'selesai'],
    ]);
    for (const e of got) {
      // signed over the exact bytes received, with the timestamp header
      expect(
        verifyNotificationSignature(
          e.raw,
          e.headers['x-skillconnect-timestamp'] as string,
          e.headers['x-skillconnect-signature'],
          SECRET,
        ),
      ).toBe(true);
      expect(
        verifyNotificationSignature(
          e.raw,
          e.headers['x-skillconnect-timestamp'] as string,
          e.headers['x-skillconnect-signature'],
          'another-secret',
        ),
      ).toBe(false);
      expect(e.headers['x-skillconnect-event-id']).toBe(e.body.id);
      expect(Object.keys(e.body).sort()).toEqual(['data', 'id', 'occurred_at', 'pesanan_id', 'recipients', 'type']);
      expect(Date.parse(e.body.occurred_at)).not.toBeNaN();
    }
    expect(new Set(got.map((e) => e.body.id)).size).toBe(got.length);
    const copyOf = (t: string, who: UserName) =>
      got.find((e) => e.body.type === t && e.body.recipients.includes(USERS[who]))!.body;
    // the seed's list: the freelancer after payment success, both on release, the client after withdrawal
    expect(copyOf('payment.succeeded', 'client').recipients).toEqual([USERS.client]);
    expect(copyOf('payment.succeeded', 'client').data).toMatchObject({
      transaction_id: o.transactionId,
      jumlah: 250_000,
      total_bayar: 265_000,
      metode_pembayaran: 'qris',
      channel: 'qris',
    });
    // the freelancer may not read the payment: its copy says what its reads of the order say (the payment's id and status)
    expect(copyOf('payment.succeeded', 'freelancer')).toMatchObject({
      recipients: [USERS.freelancer],
      data: { status_before: 'menunggu', status_after: 'berhasil', payment_id: expect.any(String) },
    });
    expect(Object.keys(copyOf('payment.succeeded', 'freelancer').data).sort()).toEqual([
      'payment_id',
      'status_after',
      'status_before',
    ]);
    expect(copyOf('escrow.released', 'client')).toBe(copyOf('escrow.released', 'freelancer')); // both read the escrow: one event
    expect(sorted(copyOf('escrow.released', 'client').recipients)).toEqual(sorted([USERS.client, USERS.freelancer]));
    expect(copyOf('escrow.released', 'client').data).toMatchObject({
      escrow_id: o.escrowId,
      released_by: USERS.client,
      jumlah_bersih: 237_500,
    });
    expect(copyOf('withdrawal.completed', 'freelancer')).toMatchObject({
      recipients: [USERS.freelancer],
      data: { jumlah_bersih: 237_500, status_after: 'completed' },
    });
    // the client may not read the withdrawal: its id (on the order and the escrow) and status only
    expect(copyOf('withdrawal.completed', 'client')).toMatchObject({ recipients: [USERS.client] });
    expect(copyOf('withdrawal.completed', 'client').data).toEqual({
      status_before: 'processing',
      status_after: 'completed',
      withdrawal_id: w.body.data.withdrawal_id,
      escrow_id: o.escrowId,
    });
    // the payout account, channel and receipt are in no event
    for (const key of ['nomor_rekening', 'channel', 'bukti_transfer', 'metode_pencairan'])
      expect(copyOf('withdrawal.completed', 'freelancer').data).not.toHaveProperty(key);
    expect(JSON.stringify(got.map((e) => e.body))).not.toContain('7890');
  }, 90_000);

  test('a receiver that fails: retried with backoff, dead after NOTIFICATION_MAX_ATTEMPTS, later events of the order wait, redelivered with the same id', async () => {
    const failing = new Set<string>();
    // the client's copy of payment.succeeded is refused; the freelancer's copy comes after it
    answer = (body) => {
      if (body.type === 'payment.succeeded' && body.recipients.includes(USERS.client) && !failing.has('ok')) return 503;
      return 204;
    };
    try {
      const o = await paidOrder();
      const dead = await waitFor(
        async () =>
          (await by('admin').get(`/api/admin/notifications?status=dead&pesanan_id=${o.orderId}`)).body.data.items,
        (items) => items.length === 1,
        40_000,
      );
      expect(dead[0]).toMatchObject({
        type: 'payment.succeeded',
        status: 'dead',
        attempts: 3,
        last_error: 'the receiver answered 503',
      });
      // in order per order: what followed the dead event was held back until it was dead, then sent
      const after = await waitFor(
        async () => eventsOf(o.orderId).map((e) => e.body.type),
        (t) => t.includes('escrow.held'),
        20_000,
      );
      expect(after).toEqual(['order.status_changed', 'payment.succeeded', 'order.status_changed', 'escrow.held']);
      expect(eventsOf(o.orderId)[1].body.recipients).toEqual([USERS.freelancer]);
      // the events after it were first tried only once it was dead: 3 refused attempts, spaced by the backoff (2 s, 4 s)
      const mine = attempts.filter((a) => a.pesanan_id === o.orderId);
      const refused = mine.filter((a) => a.id === dead[0].id);
      expect(refused.map((a) => a.status)).toEqual([503, 503, 503]);
      expect(refused[1].at - refused[0].at).toBeGreaterThanOrEqual(1900);
      expect(refused[2].at - refused[1].at).toBeGreaterThanOrEqual(3900);
      const firstAfter = mine.findIndex(
        (a) =>
          a.type === 'escrow.held' ||
          (a.type === 'payment.succeeded' && a.id !== dead[0].id) ||
          (a.type === 'order.status_changed' && a.at > refused[0].at),
      );
      expect(firstAfter).toBeGreaterThan(mine.indexOf(refused[2]));
      const metricsText = (await request(stack.url).get('/metrics')).text;
      expect(metricsText).toMatch(/skillconnect_notifications\{status="dead"\} [1-9]/);
      expect(metricsText).toMatch(
        /skillconnect_notification_deliveries_total\{type="payment.succeeded",outcome="dead"\} [1-9]/,
      );
      expect(metricsText).toMatch(
        /skillconnect_notification_deliveries_total\{type="payment.succeeded",outcome="failed"\} [2-9]/,
      );

      failing.add('ok');
      const again = await by('admin').post(`/api/admin/notifications/${dead[0].id}/redeliver`);
      expect(again.status).toBe(200);
      expect(again.body.data).toMatchObject({ id: dead[0].id, status: 'pending', attempts: 0 });
      const redelivered = await waitFor(
        async () => eventsOf(o.orderId).find((e) => e.body.id === dead[0].id),
        (e) => e !== undefined,
        20_000,
      );
      expect(redelivered!.body.recipients).toEqual([USERS.client]);
      expect(redelivered!.body).toEqual(dead[0].body);
      expect(
        (
          await by('admin').get(`/api/admin/notifications?pesanan_id=${o.orderId}&status=delivered`)
        ).body.data.items.map((n: { type: string }) => n.type),
      ).toContain('payment.succeeded');
    } finally {
      answer = () => 204;
    }
  }, 120_000);

  test('GET /api/notifications: each user polls its own events with a cursor; nobody else sees them', async () => {
    const o = await paidOrder();
    const mine = async (who: UserName, since = '0') =>
      (await by(who).get(`/api/notifications?since=${since}&limit=100`)).body.data;
    const client = await waitFor(
      () => mine('client'),
      (d) =>
        d.items.some(
          (e: { pesanan_id: string; type: string }) => e.pesanan_id === o.orderId && e.type === 'escrow.held',
        ),
      15_000,
    );
    for (const e of client.items) expect(e.recipients).toContain(USERS.client);
    const freelancer = await mine('freelancer');
    expect(
      freelancer.items.some(
        (e: { type: string; pesanan_id: string }) => e.type === 'payment.succeeded' && e.pesanan_id === o.orderId,
      ),
    ).toBe(true);
    // payment.failed and payment.expired go to the client only; nothing of this order reaches other users
    expect((await mine('otherClient')).items.filter((e: { pesanan_id: string }) => e.pesanan_id === o.orderId)).toEqual(
      [],
    );
    expect((await mine('admin')).items).toEqual([]);
    // the cursor: nothing new after the last one seen
    const rest = await mine('client', client.next_cursor);
    expect(rest.items.every((e: { id: string }) => !client.items.some((x: { id: string }) => x.id === e.id))).toBe(
      true,
    );
    expect(Number(rest.next_cursor)).toBeGreaterThanOrEqual(Number(client.next_cursor));
    for (const q of ['since=-1', 'since=abc', 'limit=101', 'x=1'])
      expect([q, (await by('client').get(`/api/notifications?${q}`)).status]).toEqual([q, 400]);
    expect((await request(stack.url).get('/api/notifications')).status).toBe(401);
  }, 60_000);

  test("each recipient polls what its own reads show: the freelancer's payment.succeeded lacks the client's transaction id, total, method and channel; the client's has them", async () => {
    const o = await paidOrder();
    /** Every event `who` may poll for the order, page after page. */
    const polled = async (who: UserName) => {
      const out: { type: string; recipients: string[]; data: Record<string, unknown> }[] = [];
      for (let since = '0', page = 0; page < 100; page++) {
        const answer = (await by(who).get(`/api/notifications?since=${since}&limit=100`)).body.data;
        out.push(...answer.items.filter((e: { pesanan_id: string }) => e.pesanan_id === o.orderId));
        if (answer.items.length < 100) break;
        since = answer.next_cursor;
      }
      return out.filter((e) => e.type === 'payment.succeeded');
    };
    const [client] = await waitFor(
      () => polled('client'),
      (e) => e.length > 0,
      15_000,
    );
    const freelancerCopies = await waitFor(
      () => polled('freelancer'),
      (e) => e.length > 0,
      15_000,
    );
    expect(await polled('client')).toHaveLength(1);
    expect(freelancerCopies).toHaveLength(1);
    const [freelancer] = freelancerCopies;

    // the client reads the payment: its event carries what GET /api/payments/:id shows it
    const payment = (await by('client').get(`/api/payments/${o.transactionId}`)).body.data;
    expect(client.recipients).toEqual([USERS.client]);
    expect(client.data).toMatchObject({
      transaction_id: o.transactionId,
      total_bayar: 265_000,
      metode_pembayaran: 'qris',
      channel: 'qris',
      jumlah: 250_000,
      biaya_platform: 12_500,
      biaya_gateway: 2_500,
    });
    for (const key of [
      'transaction_id',
      'total_bayar',
      'metode_pembayaran',
      'channel',
      'jumlah',
      'biaya_platform',
      'biaya_gateway',
    ])
      expect([key, client.data[key]]).toEqual([key, payment[key]]);

    // the freelancer may not read the payment (404): its event says what its read of the order shows, the payment's id and status
    expect((await by('freelancer').get(`/api/payments/${o.transactionId}`)).status).toBe(404);
    const seen = (await by('freelancer').get(`/api/orders/${o.orderId}`)).body.data.payments;
    expect(seen).toEqual([
      { id: payment.id, status: 'berhasil', created_at: expect.any(String), expires_at: expect.any(String) },
    ]);
    expect(freelancer).toMatchObject({
      recipients: [USERS.freelancer],
      data: { status_before: 'menunggu', status_after: 'berhasil', payment_id: payment.id },
    });
    for (const key of [
      'transaction_id',
      'total_bayar',
      'metode_pembayaran',
      'channel',
      'biaya_platform',
      'biaya_gateway',
      'jumlah',
    ])
      expect(freelancer.data).not.toHaveProperty(key);
    expect(JSON.stringify(freelancer)).not.toContain(o.transactionId);
  }, 60_000);

  test('admin routes: admins only; redelivering a pending event is 409, an unknown one 404; bad queries 400', async () => {
    for (const who of ['client', 'freelancer'] as UserName[]) {
      expect((await by(who).get('/api/admin/notifications')).status).toBe(403);
      expect((await by(who).post(`/api/admin/notifications/${randomUUID()}/redeliver`)).status).toBe(403);
    }
    expect((await request(stack.url).get('/api/admin/notifications')).status).toBe(401);
    expect((await by('admin').post(`/api/admin/notifications/${randomUUID()}/redeliver`)).status).toBe(404);
    expect((await by('admin').post('/api/admin/notifications/not-an-id/redeliver')).status).toBe(404);
    const pendingId = randomUUID();
    await stack.db('notifications').insert({
      id: pendingId,
      type: 'payment.failed',
      pesanan_id: null,
      occurred_at: '2026-01-01 00:00:00.000',
      body: '{}',
      status: 'pending',
      attempts: 0,
      next_attempt_at: '2999-01-01 00:00:00.000',
    });
    const busy = await by('admin').post(`/api/admin/notifications/${pendingId}/redeliver`);
    expect([busy.status, busy.body.error.message]).toEqual([409, expect.stringMatching(/already pending/)]);
    await stack.db('notifications').where({ id: pendingId }).update({ status: 'dead' }); // kept (a deleted row would be a hole in the sequence)
    for (const q of ['status=lost', 'limit=0', 'cursor=abc', 'nope=1'])
      expect([q, (await by('admin').get(`/api/admin/notifications?${q}`)).status]).toEqual([q, 400]);
  });

  test('a poll never passes an event whose transaction is still open: it stops below the first recent hole in the sequence', async () => {
    const order = await repo.insertOrder(stack.db, {
      id: randomUUID(),
      client_id: USERS.otherClient,
      freelancer_id: USERS.otherFreelancer,
      judul: 'holes',
      harga: 250_000,
    });
    const poll = async (since = '0') =>
      (await by('otherClient').get(`/api/notifications?since=${since}&limit=100`)).body.data;
    const before = await poll();
    expect(before.items.map((e: { pesanan_id: string }) => e.pesanan_id)).toContain(order.id);
    if (stack.config.db.client === 'mysql2') {
      // MySQL hands out the seq at insert: an open transaction holds one while a later one commits
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const open = stack.db.transaction(async (trx) => {
        await audit(
          trx,
          { type: 'system' },
          {
            action: 'order.status_changed',
            record_type: 'order',
            record_id: order.id,
            pesanan_id: order.id,
            status_before: 'x',
            status_after: 'open-1',
          },
        );
        await held;
      });
      await new Promise((r) => setTimeout(r, 200));
      await stack.db.transaction((trx) =>
        audit(
          trx,
          { type: 'system' },
          {
            action: 'order.status_changed',
            record_type: 'order',
            record_id: order.id,
            pesanan_id: order.id,
            status_before: 'x',
            status_after: 'committed-2',
          },
        ),
      );
      const meanwhile = await poll(before.next_cursor);
      expect(meanwhile.items).toEqual([]);
      expect(meanwhile.next_cursor).toBe(before.next_cursor);
      release();
      await open;
      const after = await poll(meanwhile.next_cursor);
      expect(after.items.map((e: { data: { status_after: string } }) => e.data.status_after)).toEqual([
        'open-1',
        'committed-2',
      ]);
    }
    // on every database: a recent hole (a row gone, as a rolled-back insert leaves it) holds polls back for SEQ_GAP_WAIT_MS, then no longer
    const rows = [];
    for (const step of ['h-1', 'h-2', 'h-3']) {
      await stack.db.transaction((trx) =>
        audit(
          trx,
          { type: 'system' },
          {
            action: 'order.status_changed',
            record_type: 'order',
            record_id: order.id,
            pesanan_id: order.id,
            status_before: 'x',
            status_after: step,
          },
        ),
      );
      rows.push(await stack.db('notifications').where({ pesanan_id: order.id }).orderBy('seq', 'desc').first());
    }
    await stack.db('notification_recipients').where({ notification_seq: rows[1].seq }).del();
    await stack.db('notifications').where({ seq: rows[1].seq }).del();
    expect(await visibleUpTo(stack.db)).toBe(Number(rows[1].seq) - 1);
    expect(await visibleUpTo(stack.db, Date.now() + SEQ_GAP_WAIT_MS + 1000)).toBeGreaterThanOrEqual(
      Number(rows[2].seq),
    );
    const held = await poll(String(Number(rows[0].seq) - 1));
    expect(held.items.map((e: { data: { status_after: string } }) => e.data.status_after)).toEqual(['h-1']);
    // the late row lands (as the open transaction's would): polls go on past it
    const { seq, ...late } = rows[1];
    await stack.db('notifications').insert({ seq, ...late });
    await stack
      .db('notification_recipients')
      .insert([USERS.otherClient, USERS.otherFreelancer].map((user_id) => ({ user_id, notification_seq: seq })));
    const all = await poll(String(Number(rows[0].seq) - 1));
    expect(all.items.map((e: { data: { status_after: string } }) => e.data.status_after)).toEqual([
      'h-1',
      'h-2',
      'h-3',
    ]);
  }, 60_000);

  test('every audited change that means an event has it (one copy per view), written in the same transaction (a rolled-back change leaves none)', async () => {
    const o = await paidOrder();
    await stack.outboxDrained();
    const trail = (await stack.db('audit_log').where({ pesanan_id: o.orderId }).orderBy('id')).map(
      (a: { action: string }) => a.action,
    );
    expect(trail).toEqual([
      'order.created',
      'payment.created',
      'payment.settled',
      'order.status_changed',
      'escrow.held',
    ]);
    const both = sorted([USERS.client, USERS.freelancer]);
    const events = (await stack.db('notifications').where({ pesanan_id: o.orderId }).orderBy('seq')).map(
      (n: { type: string; body: string }) => {
        const body = JSON.parse(n.body);
        return [n.type, body.data.status_after, sorted(body.recipients)];
      },
    );
    expect(events).toEqual([
      ['order.status_changed', 'menunggu_pembayaran', both],
      // the parties read the payment differently: a copy each
      ['payment.succeeded', 'berhasil', [USERS.client]],
      ['payment.succeeded', 'berhasil', [USERS.freelancer]],
      ['order.status_changed', 'dibayar', both],
      ['escrow.held', 'held', both],
    ]);
    // every audited action that is an event has its event (payment.settled: a copy per view, each recipient in one)
    expect(trail.filter((a: string) => EVENT_OF_ACTION[a]).map((a: string) => EVENT_OF_ACTION[a].type)).toEqual([
      'order.status_changed',
      'payment.succeeded',
      'order.status_changed',
      'escrow.held',
    ]);
    // the order's status as events tell it is the order's status
    expect(events.filter((e: string[]) => e[0] === 'order.status_changed').pop()![1]).toBe(
      (await repo.getOrder(stack.db, o.orderId))!.status,
    );
    const ghost = randomUUID();
    await expect(
      stack.db.transaction(async (trx) => {
        await audit(
          trx,
          { type: 'system' },
          {
            action: 'order.status_changed',
            record_type: 'order',
            record_id: ghost,
            pesanan_id: ghost,
            status_before: 'a',
            status_after: 'b',
          },
        );
        throw new Error('the change fails after its audit row');
      }),
    ).rejects.toThrow('fails');
    expect(await stack.db('notifications').where({ pesanan_id: ghost }).first()).toBeUndefined();
  }, 60_000);

  test('three notifiers draining at once (three workers), every first attempt refused: each event sent twice exactly (no send before its backoff), delivered once, in order per order', async () => {
    const logger = pino({ level: 'silent' });
    const refusedOnce = new Set<string>();
    answer = (body) => {
      if (body.data.judul !== 'race' && body.data.status_after !== 'race-2' && body.data.status_after !== 'race-3')
        return 204;
      if (refusedOnce.has(body.id)) return 204;
      refusedOnce.add(body.id);
      return 503;
    };
    const extra = [1, 2].map(() =>
      new Notifier(stack.db, {
        url: stack.config.notifications.webhookUrl,
        secret: SECRET,
        maxAttempts: 3,
        intervalMs: 10,
        logger,
      }).start(),
    );
    try {
      const orders = await Promise.all(
        Array.from({ length: 10 }, async () => {
          const order = await repo.insertOrder(stack.db, {
            id: randomUUID(),
            client_id: USERS.client,
            freelancer_id: USERS.freelancer,
            judul: 'race',
            harga: 250_000,
          });
          for (const step of ['race-2', 'race-3']) {
            await stack.db.transaction((trx) =>
              audit(
                trx,
                { type: 'system' },
                {
                  action: 'order.status_changed',
                  record_type: 'order',
                  record_id: order.id,
                  pesanan_id: order.id,
                  status_before: null,
                  status_after: step,
                },
              ),
            );
          }
          return order.id;
        }),
      );
      const ids = new Set(orders);
      await waitFor(
        async () => received.filter((r) => ids.has(r.body.pesanan_id)).length,
        (n) => n >= 30,
        40_000,
        200,
      );
      await new Promise((r) => setTimeout(r, 500)); // a duplicate would arrive by now
      const got = received.filter((r) => ids.has(r.body.pesanan_id));
      expect(got).toHaveLength(30);
      expect(new Set(got.map((r) => r.body.id)).size).toBe(30);
      const tried = attempts.filter((a) => ids.has(a.pesanan_id));
      for (const id of new Set(tried.map((a) => a.id)))
        expect([id, tried.filter((a) => a.id === id).map((a) => a.status)]).toEqual([id, [503, 204]]);
      for (const orderId of orders) {
        const seqs = await stack.db('notifications').where({ pesanan_id: orderId }).orderBy('seq').pluck('id');
        expect(got.filter((r) => r.body.pesanan_id === orderId).map((r) => r.body.id)).toEqual(seqs);
        expect(tried.filter((a) => a.pesanan_id === orderId && a.status === 204).map((a) => a.id)).toEqual(seqs);
      }
    } finally {
      answer = () => 204;
      await Promise.all(extra.map((n) => n.stop()));
    }
  }, 90_000);

  test('without NOTIFICATION_WEBHOOK_URL events are recorded and stay pending; nothing is sent', async () => {
    // the suite's own notifier (with a URL) is stopped for this last test
    await stack.worker.notifier.stop();
    const order = await repo.insertOrder(stack.db, {
      id: randomUUID(),
      client_id: USERS.client,
      freelancer_id: USERS.freelancer,
      judul: 'quiet',
      harga: 250_000,
    });
    const off = new Notifier(stack.db, {
      url: undefined,
      secret: SECRET,
      maxAttempts: 3,
      intervalMs: 50,
      logger: pino({ level: 'silent' }),
    }).start();
    await new Promise((r) => setTimeout(r, 300));
    await off.stop();
    expect(await off.drain()).toBe(0);
    const row = await stack.db('notifications').where({ pesanan_id: order.id }).first();
    expect([row.type, row.status, row.attempts, row.last_error]).toEqual(['order.status_changed', 'pending', 0, null]);
    expect(attempts.filter((a) => a.pesanan_id === order.id)).toEqual([]);
  });
});
