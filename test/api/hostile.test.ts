import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import { SignJWT } from 'jose';
import request from 'supertest';
import { signWebhook } from '../../domain/signature';
import { statusQuery } from '../../workflows/messages';
import { Stack, dbLabel, startStack } from '../helpers/stack';
import { USERS, UserName, tokensFor } from '../helpers/auth';

/**
 * Hostile input across every endpoint. Each request asserts its exact status,
 * that no answer is a 500 or leaks internals, and that the database rows and
 * every order workflow's state are exactly what they were before.
 */
let stack: Stack;
let tokens: Record<UserName, string>;
let client: Client;
let expiredToken = '';
const fx = {} as {
  big: string;
  huge: string;
  fresh: string;
  pendingOrder: string;
  txPending: string;
  paymentPending: string;
  heldOrder: string;
  escrowHeld: string;
  releasedOrder: string;
  escrowReleased: string;
};

const TABLES = ['pesanan', 'pembayaran', 'escrow', 'pencairan_dana', 'mock_gateway_charges', 'mock_gateway_payouts'];

async function snapshot() {
  await stack.outboxDrained(); // what the relay still had to tell a workflow is not the attack's doing
  const rows: Record<string, unknown[]> = {};
  for (const t of TABLES)
    rows[t] = await stack
      .db(t)
      .select()
      .orderBy(
        t.startsWith('mock_gateway_payouts')
          ? 'idempotency_key'
          : t === 'mock_gateway_charges'
            ? 'transaction_id'
            : 'id',
      );
  const workflows = await Promise.all(
    [fx.pendingOrder, fx.heldOrder, fx.releasedOrder].map((id) =>
      client.workflow.getHandle(`order-${id}`).query(statusQuery),
    ),
  );
  return { rows, workflows };
}

beforeAll(async () => {
  stack = await startStack();
  tokens = await tokensFor(stack.config.auth.jwtSecret);
  client = new Client({ connection: stack.api.connection });
  const as = (who: UserName) => ({
    post: (p: string, b: object) => request(stack.url).post(p).set('Authorization', `Bearer ${tokens[who]}`).send(b),
  });
  const order = async () =>
    (
      await as('client').post('/api/orders', {
        client_id: USERS.client,
        freelancer_id: USERS.freelancer,
        judul: 'Hostile',
        harga: 250_000,
      })
    ).body.data.id as string;
  const pay = async (id: string) =>
    (
      await as('client').post('/api/payments/create', {
        pesanan_id: id,
        user_id: USERS.client,
        jumlah: 250_000,
        metode_pembayaran: 'qris',
      })
    ).body.data;
  const settle = async (tx: string) =>
    (await request(stack.url).post('/api/payments/mock/trigger-success').send({ transaction_id: tx })).body.data
      .escrow_id as string;
  expiredToken = await new SignJWT({ role: 'client' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(USERS.client)
    .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
    .sign(new TextEncoder().encode(stack.config.auth.jwtSecret));
  fx.fresh = await order();
  const priced = async (harga: number) =>
    (
      await as('client').post('/api/orders', {
        client_id: USERS.client,
        freelancer_id: USERS.freelancer,
        judul: 'Big',
        harga,
      })
    ).body.data.id as string;
  fx.big = await priced(15_000_000);
  fx.huge = await priced(25_000_000);
  fx.pendingOrder = await order();
  const pending = await pay(fx.pendingOrder);
  fx.txPending = pending.transaction_id;
  fx.paymentPending = pending.payment_id;
  fx.heldOrder = await order();
  fx.escrowHeld = await settle((await pay(fx.heldOrder)).transaction_id);
  fx.releasedOrder = await order();
  fx.escrowReleased = await settle((await pay(fx.releasedOrder)).transaction_id);
  await as('client').post('/api/payments/escrow/release', { escrow_id: fx.escrowReleased, user_id: USERS.client });
}, 180_000);
afterAll(async () => stack?.stop());

/** name, request, exact status, and (where the status alone could hide the wrong reason) the message it must give */
type Case = [name: string, send: () => request.Test, status: number, message?: RegExp];
const now = () => Math.floor(Date.now() / 1000);
const bearer = (who: UserName) => `Bearer ${tokens[who]}`;
const postAs = (who: UserName | null, path: string, body: unknown, raw = false) => {
  let r = request(stack.url).post(path);
  if (who) r = r.set('Authorization', bearer(who));
  return raw ? r.set('content-type', 'application/json').send(body as string) : r.send(body as object);
};
const getAs = (who: UserName, path: string) => request(stack.url).get(path).set('Authorization', bearer(who));

const SQLI = "' OR '1'='1'; DROP TABLE pembayaran; --";
const XSS = '<script>alert(document.cookie)</script>';

const payBody = (patch: Record<string, unknown> = {}) => {
  const body: Record<string, unknown> = {
    pesanan_id: fx.fresh,
    user_id: USERS.client,
    jumlah: 250_000,
    metode_pembayaran: 'qris',
    ...patch,
  };
  for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
  return body;
};
const releaseBody = (patch: Record<string, unknown> = {}) => ({
  escrow_id: fx.escrowHeld,
  user_id: USERS.client,
  ...patch,
});
const withdrawBody = (patch: Record<string, unknown> = {}) => {
  const body: Record<string, unknown> = {
    escrow_id: fx.escrowReleased,
    freelancer_id: USERS.freelancer,
    metode_pencairan: 'transfer_bank',
    nomor_rekening: '1234567890',
    nama_pemilik: 'Free Lancer',
    ...patch,
  };
  for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
  return body;
};
const hook = (
  fields: Record<string, string>,
  opts: { secret?: string; tamper?: Record<string, unknown>; drop?: string[] } = {},
) => {
  const signed = {
    transaction_id: fx.txPending,
    transaction_status: 'settlement',
    gross_amount: '265000',
    timestamp: String(now()),
    ...fields,
  };
  const body: Record<string, unknown> = {
    ...signed,
    signature: signWebhook(signed as never, opts.secret ?? stack.config.mock.secret),
    ...opts.tamper,
  };
  for (const k of opts.drop ?? []) delete body[k];
  return request(stack.url).post('/api/payments/webhook').send(body);
};

const CASES: Case[] = [
  // ---- create payment: amounts ----
  [
    'pay: negative jumlah',
    () => postAs('client', '/api/payments/create', payBody({ jumlah: -250_000 })),
    400,
    /^jumlah must be at least 10000$/,
  ],
  [
    'pay: zero jumlah',
    () => postAs('client', '/api/payments/create', payBody({ jumlah: 0 })),
    400,
    /^jumlah must be at least 10000$/,
  ],
  [
    'pay: fractional jumlah',
    () => postAs('client', '/api/payments/create', payBody({ jumlah: 250_000.5 })),
    400,
    /^jumlah must be a whole number/,
  ],
  [
    'pay: string jumlah',
    () => postAs('client', '/api/payments/create', payBody({ jumlah: '250000' })),
    400,
    /^jumlah must be a number$/,
  ],
  [
    'pay: huge jumlah',
    () => postAs('client', '/api/payments/create', payBody({ jumlah: 1e20 })),
    400,
    /^jumlah must be (a whole number|at most)/,
  ],
  [
    'pay: jumlah below the minimum',
    () => postAs('client', '/api/payments/create', payBody({ jumlah: 9_999 })),
    400,
    /^jumlah must be at least 10000$/,
  ],
  [
    'pay: above the overall maximum (VA)',
    () =>
      postAs(
        'client',
        '/api/payments/create',
        payBody({ jumlah: 100_000_001, metode_pembayaran: 'virtual_account', channel: 'bca' }),
      ),
    400,
    /^jumlah must be at most 100000000$/,
  ],
  [
    'pay: QRIS above its maximum',
    () => postAs('client', '/api/payments/create', payBody({ pesanan_id: fx.big, jumlah: 15_000_000 })),
    400,
    /^jumlah must be at most 10000000 for qris$/,
  ],
  [
    'pay: e-wallet above its maximum',
    () =>
      postAs(
        'client',
        '/api/payments/create',
        payBody({ pesanan_id: fx.huge, jumlah: 25_000_000, metode_pembayaran: 'e_wallet', channel: 'gopay' }),
      ),
    400,
    /^jumlah must be at most 20000000 for e_wallet$/,
  ],
  ['pay: null jumlah', () => postAs('client', '/api/payments/create', payBody({ jumlah: null })), 400],
  ['pay: boolean jumlah', () => postAs('client', '/api/payments/create', payBody({ jumlah: true })), 400],
  ['pay: array jumlah', () => postAs('client', '/api/payments/create', payBody({ jumlah: [250_000] })), 400],
  ['pay: object jumlah', () => postAs('client', '/api/payments/create', payBody({ jumlah: { $gt: 0 } })), 400],
  ['pay: missing jumlah', () => postAs('client', '/api/payments/create', payBody({ jumlah: undefined })), 400],
  ['pay: jumlah not the order price', () => postAs('client', '/api/payments/create', payBody({ jumlah: 20_000 })), 400],
  // ---- create payment: fields ----
  ['pay: extra field', () => postAs('client', '/api/payments/create', payBody({ status: 'berhasil' })), 400],
  [
    'pay: e-wallet with a bank channel',
    () => postAs('client', '/api/payments/create', payBody({ metode_pembayaran: 'e_wallet', channel: 'bca' })),
    400,
  ],
  [
    'pay: VA with a wallet channel',
    () => postAs('client', '/api/payments/create', payBody({ metode_pembayaran: 'virtual_account', channel: 'gopay' })),
    400,
  ],
  [
    'pay: SQL injection in metode_pembayaran',
    () => postAs('client', '/api/payments/create', payBody({ metode_pembayaran: SQLI })),
    400,
  ],
  [
    'pay: SQL injection in pesanan_id',
    () => postAs('client', '/api/payments/create', payBody({ pesanan_id: SQLI })),
    400,
  ],
  ['pay: script in pesanan_id', () => postAs('client', '/api/payments/create', payBody({ pesanan_id: XSS })), 400],
  ['pay: SQL injection in user_id', () => postAs('client', '/api/payments/create', payBody({ user_id: SQLI })), 400],
  [
    'pay: script in channel',
    () => postAs('client', '/api/payments/create', payBody({ metode_pembayaran: 'virtual_account', channel: XSS })),
    400,
  ],
  [
    'pay: 10 kB channel',
    () =>
      postAs(
        'client',
        '/api/payments/create',
        payBody({ metode_pembayaran: 'virtual_account', channel: 'b'.repeat(10_000) }),
      ),
    400,
  ],
  ['pay: body is an array', () => postAs('client', '/api/payments/create', [payBody()]), 400],
  ['pay: body is a JSON string', () => postAs('client', '/api/payments/create', '"hello"', true), 400],
  ['pay: malformed JSON', () => postAs('client', '/api/payments/create', '{"pesanan_id": "x",', true), 400],
  ['pay: unknown order', () => postAs('client', '/api/payments/create', payBody({ pesanan_id: randomUUID() })), 404],
  // ---- create payment: who ----
  ['pay: no token', () => postAs(null, '/api/payments/create', payBody()), 401],
  [
    'pay: another client in the body',
    () => postAs('client', '/api/payments/create', payBody({ user_id: USERS.otherClient })),
    403,
  ],
  [
    'pay: another client with its own id',
    () => postAs('otherClient', '/api/payments/create', payBody({ user_id: USERS.otherClient })),
    404,
  ],
  [
    'pay: a freelancer',
    () => postAs('freelancer', '/api/payments/create', payBody({ user_id: USERS.freelancer })),
    403,
  ],
  ['pay: an admin', () => postAs('admin', '/api/payments/create', payBody({ user_id: USERS.admin })), 403],
  [
    'pay: an expired token',
    () =>
      request(stack.url).post('/api/payments/create').set('Authorization', `Bearer ${expiredToken}`).send(payBody()),
    401,
  ],
  // ---- orders ----
  [
    'order: negative harga',
    () =>
      postAs('client', '/api/orders', {
        client_id: USERS.client,
        freelancer_id: USERS.freelancer,
        judul: 'x',
        harga: -1,
      }),
    400,
  ],
  [
    'order: string harga',
    () =>
      postAs('client', '/api/orders', {
        client_id: USERS.client,
        freelancer_id: USERS.freelancer,
        judul: 'x',
        harga: 'abc',
      }),
    400,
  ],
  [
    'order: fractional harga',
    () =>
      postAs('client', '/api/orders', {
        client_id: USERS.client,
        freelancer_id: USERS.freelancer,
        judul: 'x',
        harga: 10_000.5,
      }),
    400,
  ],
  [
    'order: control characters in judul',
    () =>
      postAs('client', '/api/orders', {
        client_id: USERS.client,
        freelancer_id: USERS.freelancer,
        judul: 'a\u0000b',
        harga: 10_000,
      }),
    400,
  ],
  [
    'order: judul too long',
    () =>
      postAs('client', '/api/orders', {
        client_id: USERS.client,
        freelancer_id: USERS.freelancer,
        judul: 'j'.repeat(256),
        harga: 10_000,
      }),
    400,
  ],
  [
    'order: path traversal as freelancer_id',
    () =>
      postAs('client', '/api/orders', {
        client_id: USERS.client,
        freelancer_id: '../../etc/passwd',
        judul: 'x',
        harga: 10_000,
      }),
    400,
  ],
  [
    'order: extra status field',
    () =>
      postAs('client', '/api/orders', {
        client_id: USERS.client,
        freelancer_id: USERS.freelancer,
        judul: 'x',
        harga: 10_000,
        status: 'selesai',
      }),
    400,
  ],
  [
    'order: for another client',
    () =>
      postAs('client', '/api/orders', {
        client_id: USERS.otherClient,
        freelancer_id: USERS.freelancer,
        judul: 'x',
        harga: 10_000,
      }),
    403,
  ],
  [
    'order: client and freelancer the same',
    () =>
      postAs('client', '/api/orders', {
        client_id: USERS.client,
        freelancer_id: USERS.client,
        judul: 'x',
        harga: 10_000,
      }),
    400,
  ],
  // ---- release ----
  [
    'release: SQL injection as escrow_id',
    () => postAs('client', '/api/payments/escrow/release', releaseBody({ escrow_id: SQLI })),
    400,
  ],
  [
    'release: another user in the body',
    () => postAs('client', '/api/payments/escrow/release', releaseBody({ user_id: USERS.otherClient })),
    403,
  ],
  [
    'release: reason too long',
    () => postAs('client', '/api/payments/escrow/release', releaseBody({ reason: 'r'.repeat(501) })),
    400,
  ],
  [
    'release: control characters in reason',
    () => postAs('client', '/api/payments/escrow/release', releaseBody({ reason: 'ok\u001b[31m' })),
    400,
  ],
  [
    'release: operator object as reason',
    () => postAs('client', '/api/payments/escrow/release', releaseBody({ reason: { $ne: null } })),
    400,
  ],
  [
    'release: extra status field',
    () => postAs('client', '/api/payments/escrow/release', releaseBody({ status: 'released' })),
    400,
  ],
  [
    'release: unknown escrow',
    () => postAs('client', '/api/payments/escrow/release', releaseBody({ escrow_id: randomUUID() })),
    404,
  ],
  [
    'release: by the freelancer',
    () => postAs('freelancer', '/api/payments/escrow/release', releaseBody({ user_id: USERS.freelancer })),
    403,
  ],
  [
    'release: by another client',
    () => postAs('otherClient', '/api/payments/escrow/release', releaseBody({ user_id: USERS.otherClient })),
    404,
  ],
  ['release: no token', () => postAs(null, '/api/payments/escrow/release', releaseBody()), 401],
  // ---- withdraw ----
  [
    'withdraw: SQL injection in nomor_rekening',
    () => postAs('freelancer', '/api/payments/withdraw', withdrawBody({ nomor_rekening: "12345' OR '1'='1" })),
    400,
  ],
  [
    'withdraw: numeric nomor_rekening',
    () => postAs('freelancer', '/api/payments/withdraw', withdrawBody({ nomor_rekening: 1234567890 })),
    400,
  ],
  [
    'withdraw: script in nomor_rekening',
    () => postAs('freelancer', '/api/payments/withdraw', withdrawBody({ nomor_rekening: XSS })),
    400,
  ],
  [
    'withdraw: script in nama_pemilik',
    () => postAs('freelancer', '/api/payments/withdraw', withdrawBody({ nama_pemilik: XSS })),
    400,
  ],
  [
    'withdraw: SQL injection in nama_pemilik',
    () =>
      postAs(
        'freelancer',
        '/api/payments/withdraw',
        withdrawBody({ nama_pemilik: "Robert'); DROP TABLE pencairan_dana;--" }),
      ),
    400,
  ],
  [
    'withdraw: card as payout method',
    () => postAs('freelancer', '/api/payments/withdraw', withdrawBody({ metode_pencairan: 'kartu_kredit' })),
    400,
  ],
  [
    'withdraw: missing nama_pemilik',
    () => postAs('freelancer', '/api/payments/withdraw', withdrawBody({ nama_pemilik: undefined })),
    400,
  ],
  [
    'withdraw: extra jumlah field',
    () => postAs('freelancer', '/api/payments/withdraw', withdrawBody({ jumlah: 999_999_999 })),
    400,
  ],
  [
    'withdraw: another freelancer in the body',
    () => postAs('freelancer', '/api/payments/withdraw', withdrawBody({ freelancer_id: USERS.otherFreelancer })),
    403,
  ],
  [
    'withdraw: by the client',
    () => postAs('client', '/api/payments/withdraw', withdrawBody({ freelancer_id: USERS.client })),
    403,
  ],
  [
    'withdraw: by another freelancer',
    () => postAs('otherFreelancer', '/api/payments/withdraw', withdrawBody({ freelancer_id: USERS.otherFreelancer })),
    404,
  ],
  [
    'withdraw: from a held escrow',
    () => postAs('freelancer', '/api/payments/withdraw', withdrawBody({ escrow_id: fx.escrowHeld })),
    409,
  ],
  // ---- webhook ----
  ['webhook: stale timestamp', () => hook({ timestamp: String(now() - 600) }), 401],
  ['webhook: future timestamp', () => hook({ timestamp: String(now() + 600) }), 401],
  ['webhook: tampered amount after signing', () => hook({}, { tamper: { gross_amount: '1' } }), 401],
  [
    'webhook: tampered status after signing',
    () => hook({ transaction_status: 'pending' }, { tamper: { transaction_status: 'settlement' } }),
    401,
  ],
  ['webhook: forged signature', () => hook({}, { secret: 'not-the-gateway-secret' }), 401],
  ['webhook: missing signature', () => hook({}, { drop: ['signature'] }), 401],
  ['webhook: missing timestamp', () => hook({}, { drop: ['timestamp'] }), 401],
  ['webhook: extra field', () => hook({}, { tamper: { escrow_id: 'x' } }), 401],
  [
    'webhook: objects instead of fields',
    () =>
      request(stack.url)
        .post('/api/payments/webhook')
        .send({ gross_amount: { toString: 1 }, transaction_id: ['x'] }),
    401,
  ],
  ['webhook: fractional timestamp', () => hook({}, { tamper: { timestamp: now() + 0.5 } }), 401],
  ['webhook: signed but wrong amount', () => hook({ gross_amount: '1000' }), 400],
  ['webhook: signed but unknown status', () => hook({ transaction_status: 'paid' }), 400],
  ['webhook: signed SQL injection as transaction id', () => hook({ transaction_id: SQLI }), 404],
  [
    'webhook: malformed JSON',
    () =>
      request(stack.url)
        .post('/api/payments/webhook')
        .set('content-type', 'application/json')
        .send('{"transaction_id":'),
    400,
  ],
  ['webhook: empty body', () => request(stack.url).post('/api/payments/webhook'), 400],
  // ---- reads and the gateway's triggers ----
  ['read: SQL injection as payment id', () => getAs('client', `/api/payments/${encodeURIComponent(SQLI)}`), 400],
  ['read: script as order id', () => getAs('client', `/api/orders/${encodeURIComponent(XSS)}`), 400],
  ["read: another client's payment", () => getAs('otherClient', `/api/payments/${fx.paymentPending}`), 404],
  ['read: undecodable path', () => getAs('client', '/api/orders/%ZZ'), 400],
  ['read: undecodable payment path', () => getAs('client', '/api/payments/%E0%A4%A'), 400],
  ['checkout page: undecodable reference', () => request(stack.url).get('/mock-payment/%ZZ'), 400],
  [
    'trigger: SQL injection as transaction id',
    () => request(stack.url).post('/api/payments/mock/trigger-success').send({ transaction_id: SQLI }),
    400,
  ],
  [
    'trigger: control characters in the decline reason',
    () =>
      request(stack.url)
        .post('/api/payments/mock/trigger-failure')
        .send({ transaction_id: fx.txPending, reason: 'declined\u001b[31m' }),
    400,
    /^reason must not contain control characters$/,
  ],
  [
    'withdraw: empty nomor_rekening',
    () => postAs('freelancer', '/api/payments/withdraw', withdrawBody({ nomor_rekening: '' })),
    400,
    /^nomor_rekening must not be empty$/,
  ],
  [
    'pay: unknown field named once',
    () => postAs('client', '/api/payments/create', payBody({ status: 'berhasil' })),
    400,
    /^status is not a known field$/,
  ],
  [
    'read: analytics for a day February does not have',
    () => getAs('admin', '/api/admin/analytics?from=2026-02-30&to=2026-03-10'),
    400,
    /^from is not a real date: 2026-02 has 28 days$/,
  ],
  [
    'read: analytics with to equal to from',
    () => getAs('admin', '/api/admin/analytics?from=2026-11-01&to=2026-11-01'),
    400,
    /^to must be after from$/,
  ],
  [
    'read: a cursor this API did not hand out',
    () => getAs('client', '/api/payments?cursor=eyJ4IjoxfQ'),
    400,
    /^cursor is not one this API returned$/,
  ],
  [
    'trigger: extra field',
    () =>
      request(stack.url).post('/api/payments/mock/trigger-success').send({ transaction_id: fx.txPending, amount: 1 }),
    400,
  ],
];

describe(`hostile input (${dbLabel()})`, () => {
  test('the suite is large enough', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
  });

  test.each(CASES.map(([name, send, status, message]) => [name, status, send, message] as const))(
    '%s → %i, nothing changes',
    async (_name, status, send, message) => {
      const before = await snapshot();
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.body.success).toBe(false);
      if (message) expect(res.body.error.message).toMatch(message);
      // a failed check never says which check failed
      if (status === 401) {
        expect([
          { success: false, error: { code: 'UNAUTHORIZED', message: 'a valid bearer token is required' } },
          { success: false, error: { code: 'WEBHOOK_REJECTED', message: 'webhook verification failed' } },
        ]).toContainEqual(res.body);
      }
      const text = JSON.stringify(res.body);
      expect(text).not.toMatch(/\n\s+at |node_modules|select |insert into|sqlite|mysql|knex/i);
      expect(text).not.toContain(stack.config.mock.secret);
      expect(text).not.toContain(stack.config.auth.jwtSecret);
      expect(await snapshot()).toEqual(before);
    },
  );

  test.each([
    ['SQL injection', SQLI],
    ['script injection', XSS],
  ])('%s in an order title is stored and returned verbatim, and nothing else changes', async (_name, judul) => {
    const before = await snapshot();
    const res = await postAs('client', '/api/orders', {
      client_id: USERS.client,
      freelancer_id: USERS.freelancer,
      judul,
      harga: 10_000,
    });
    expect(res.status).toBe(201);
    expect(res.body.data.judul).toBe(judul);
    expect((await stack.db('pesanan').where({ id: res.body.data.id }).first()).judul).toBe(judul);
    const after = await snapshot();
    after.rows.pesanan = (after.rows.pesanan as { id: string }[]).filter((r) => r.id !== res.body.data.id);
    expect(after).toEqual(before);
    expect(res.headers['content-type']).toMatch(/application\/json/);
  });
});
