import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import request from 'supertest';
import { statusQuery } from '../../workflows/messages';
import { Stack, dbLabel, startStack } from '../helpers/stack';
import { USERS, UserName, as, tokensFor } from '../helpers/auth';
import { waitFor } from '../helpers/wait';

/**
 * Object-level authorization, table-driven: every endpoint × every role ×
 * owner / non-owner. Objects a caller may not see answer 404 (ids reveal
 * nothing); actions on visible objects that are not the caller's, or bodies
 * naming someone else, answer 403; and nothing changes when refused.
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

type Stage = 'created' | 'pending' | 'held' | 'disputed' | 'refund_va' | 'released' | 'withdrawn';
/** An order of `client` assigned to `freelancer`, taken to the given stage (`refund_va`: paid by virtual account and cancelled, its refund waiting for the client's account). */
async function fixture(stage: Stage) {
  const order = (
    await by('client').post('/api/orders', {
      client_id: USERS.client,
      freelancer_id: USERS.freelancer,
      judul: 'Access test',
      harga: 100_000,
    })
  ).body.data;
  const out: {
    orderId: string;
    paymentId?: string;
    transactionId?: string;
    escrowId?: string;
    withdrawalId?: string;
    refundId?: string;
  } = { orderId: order.id };
  if (stage === 'created') return out;
  const method =
    stage === 'refund_va' ? { metode_pembayaran: 'virtual_account', channel: 'bca' } : { metode_pembayaran: 'qris' };
  const pay = (
    await by('client').post('/api/payments/create', {
      pesanan_id: order.id,
      user_id: USERS.client,
      jumlah: 100_000,
      ...method,
    })
  ).body.data;
  Object.assign(out, { paymentId: pay.payment_id, transactionId: pay.transaction_id });
  if (stage === 'pending') return out;
  out.escrowId = (
    await request(stack.url).post('/api/payments/mock/trigger-success').send({ transaction_id: pay.transaction_id })
  ).body.data.escrow_id;
  // the workflow has adopted the settlement before anyone acts on the escrow (an action sent while its first task is pending gets a spurious 409)
  await stack.outboxDrained();
  await waitFor(
    () => workflowOf(out.orderId).catch(() => null),
    (st) => st?.escrow != null,
    15_000,
  );
  if (stage === 'held') return out;
  if (stage === 'disputed') {
    expect(
      (
        await by('freelancer').post('/api/payments/escrow/dispute', {
          escrow_id: out.escrowId,
          user_id: USERS.freelancer,
          alasan: 'Access test',
        })
      ).status,
    ).toBe(201);
    return out;
  }
  if (stage === 'refund_va') {
    out.refundId = (
      await by('client').post(`/api/orders/${out.orderId}/cancel`, { alasan: 'Access test' })
    ).body.data.refund_id;
    expect((await stack.db('refunds').where({ id: out.refundId }).first()).status).toBe('menunggu_rekening');
    // the order's workflow has started the refund's own workflow (a later snapshot must not catch it doing so)
    await waitFor(
      () => workflowOf(out.orderId),
      (st) => st.history.some((h) => h.event.startsWith(`refund ${out.refundId} started`)),
      15_000,
    );
    return out;
  }
  await by('client').post('/api/payments/escrow/release', { escrow_id: out.escrowId, user_id: USERS.client });
  if (stage === 'released') return out;
  out.withdrawalId = (
    await by('freelancer').post('/api/payments/withdraw', {
      escrow_id: out.escrowId,
      freelancer_id: USERS.freelancer,
      metode_pencairan: 'transfer_bank',
      nomor_rekening: '1234567890',
      nama_pemilik: 'Free Lancer',
    })
  ).body.data.withdrawal_id;
  return out;
}

const workflowOf = (orderId: string) =>
  new Client({ connection: stack.api.connection }).workflow.getHandle(`order-${orderId}`).query(statusQuery);

async function snapshot(f: { orderId: string }) {
  await stack.outboxDrained(); // what the relay still had to tell a workflow is not the action's doing
  const order = await stack.db('pesanan').where({ id: f.orderId }).first();
  const workflow = order.pembayaran_id ? await workflowOf(f.orderId) : null;
  const counts = await Promise.all(
    ['pembayaran', 'escrow', 'pencairan_dana', 'disputes'].map((t) =>
      stack.db(t).where({ pesanan_id: f.orderId }).count({ n: '*' }),
    ),
  );
  const escrow = await stack.db('escrow').where({ pesanan_id: f.orderId }).first();
  const refunds = await stack
    .db('refunds')
    .where({ pesanan_id: f.orderId })
    .orderBy('id')
    .select('id', 'status', 'nomor_rekening');
  const payment = order.pembayaran_id
    ? (await stack.db('pembayaran').where({ id: order.pembayaran_id }).first()).status
    : null;
  return {
    order: order.status,
    payments: Number(counts[0][0].n),
    escrows: Number(counts[1][0].n),
    withdrawals: Number(counts[2][0].n),
    disputes: Number(counts[3][0].n),
    escrow: escrow?.status ?? null,
    payment,
    refunds,
    workflow,
  };
}

describe(`reads (${dbLabel()})`, () => {
  let f: Awaited<ReturnType<typeof fixture>>;
  beforeAll(async () => {
    f = await fixture('withdrawn');
  });

  const READS: [string, (x: typeof f) => string, Record<UserName, number>][] = [
    [
      'GET order',
      (x) => `/api/orders/${x.orderId}`,
      { client: 200, otherClient: 404, freelancer: 200, otherFreelancer: 404, admin: 200 },
    ],
    [
      'GET order lifecycle',
      (x) => `/api/orders/${x.orderId}/lifecycle`,
      { client: 200, otherClient: 404, freelancer: 200, otherFreelancer: 404, admin: 200 },
    ],
    [
      'GET payment',
      (x) => `/api/payments/${x.paymentId}`,
      { client: 200, otherClient: 404, freelancer: 404, otherFreelancer: 404, admin: 200 },
    ],
    [
      'GET payment by transaction id',
      (x) => `/api/payments/${x.transactionId}`,
      { client: 200, otherClient: 404, freelancer: 404, otherFreelancer: 404, admin: 200 },
    ],
    [
      'GET escrow',
      (x) => `/api/payments/escrow/${x.escrowId}`,
      { client: 200, otherClient: 404, freelancer: 200, otherFreelancer: 404, admin: 200 },
    ],
    [
      'GET withdrawal',
      (x) => `/api/payments/withdrawals/${x.withdrawalId}`,
      { client: 404, otherClient: 404, freelancer: 200, otherFreelancer: 404, admin: 200 },
    ],
    // lists: each caller's own (payment-desk.test.ts checks what each sees); roles without such records get 403
    [
      'GET withdrawals list',
      () => '/api/payments/withdrawals',
      { client: 403, otherClient: 403, freelancer: 200, otherFreelancer: 200, admin: 200 },
    ],
    [
      'GET payments list',
      () => '/api/payments',
      { client: 200, otherClient: 200, freelancer: 403, otherFreelancer: 403, admin: 200 },
    ],
    [
      'GET balance',
      () => '/api/freelancers/me/balance',
      { client: 403, otherClient: 403, freelancer: 200, otherFreelancer: 200, admin: 403 },
    ],
    [
      'GET approval queue',
      () => '/api/admin/withdrawals',
      { client: 403, otherClient: 403, freelancer: 403, otherFreelancer: 403, admin: 200 },
    ],
    [
      'GET disputes list',
      () => '/api/admin/disputes?status=open',
      { client: 403, otherClient: 403, freelancer: 403, otherFreelancer: 403, admin: 200 },
    ],
  ];

  test.each(READS.flatMap(([name, path, expected]) => WHO.map((who) => [name, who, path, expected[who]] as const)))(
    '%s as %s',
    async (_name, who, path, status) => {
      const res = await by(who).get(path(f));
      expect(res.status).toBe(status);
      if (status === 404) {
        // indistinguishable from an id that does not exist
        expect(res.body).toEqual({
          success: false,
          error: { code: 'NOT_FOUND', message: expect.stringMatching(/not found$/) },
        });
      }
    },
  );

  test.each(READS.map(([name, path]) => [name, path] as const))('%s without a token → 401', async (_name, path) => {
    const res = await request(stack.url).get(path(f));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  test('the lifecycle shows payment and withdrawal details only to those who may read them', async () => {
    const path = `/api/orders/${f.orderId}/lifecycle`;
    const forClient = (await by('client').get(path)).body.data;
    const forFreelancer = (await by('freelancer').get(path)).body.data;
    const forAdmin = (await by('admin').get(path)).body.data;
    expect(forClient.payment.transaction_id).toBe(f.transactionId);
    expect(forClient.withdrawal).toEqual({ status: 'completed' });
    expect(forFreelancer.payment).toEqual({ status: 'berhasil' });
    expect(forFreelancer.withdrawal.withdrawal_id).toBe(f.withdrawalId);
    expect(forAdmin.payment.transaction_id).toBe(f.transactionId);
    expect(forAdmin.withdrawal.withdrawal_id).toBe(f.withdrawalId);
    // the readable history follows the same rules
    const text = (d: { history: { event: string }[] }) => d.history.map((h) => h.event).join('\n');
    expect(text(forAdmin)).toContain(f.transactionId!);
    expect(text(forAdmin)).toMatch(/payout TRF-/);
    expect(text(forClient)).toContain(f.transactionId!);
    expect(text(forClient)).not.toMatch(/payout|withdrawal/);
    expect(text(forFreelancer)).not.toContain(f.transactionId!);
    expect(text(forFreelancer)).toMatch(/payout TRF-/);
    expect(text(forFreelancer)).toMatch(/escrow released by the client/);
  });

  test("the lists hold only the caller's own records (admins: everyone's)", async () => {
    const ids = async (who: UserName, path: string) =>
      (await by(who).get(path)).body.data.items.map((x: { id: string }) => x.id);
    expect(await ids('freelancer', '/api/payments/withdrawals?limit=100')).toContain(f.withdrawalId);
    expect(await ids('otherFreelancer', '/api/payments/withdrawals?limit=100')).not.toContain(f.withdrawalId);
    expect(await ids('admin', `/api/payments/withdrawals?freelancer_id=${USERS.freelancer}&limit=100`)).toContain(
      f.withdrawalId,
    );
    expect(await ids('client', '/api/payments?limit=100')).toContain(f.paymentId);
    expect(await ids('otherClient', '/api/payments?limit=100')).not.toContain(f.paymentId);
    expect(await ids('admin', `/api/payments?user_id=${USERS.client}&limit=100`)).toContain(f.paymentId);
  });

  test('the withdrawal shows the full account number to its owner and admins', async () => {
    for (const who of ['freelancer', 'admin'] as const) {
      expect((await by(who).get(`/api/payments/withdrawals/${f.withdrawalId}`)).body.data.nomor_rekening).toBe(
        '1234567890',
      );
    }
  });
});

describe(`actions (${dbLabel()})`, () => {
  type Action = {
    name: string;
    stage: Parameters<typeof fixture>[0];
    call: (who: UserName, x: Awaited<ReturnType<typeof fixture>>, bodyUser: string) => Promise<request.Response>;
    expected: Record<UserName, number>;
    success: number;
    /** false: the body names no user (the path or the object decides who may act) */
    namesUser?: boolean;
  };
  const ACTIONS: Action[] = [
    {
      name: 'create payment',
      stage: 'created',
      call: (who, x, user) =>
        by(who).post('/api/payments/create', {
          pesanan_id: x.orderId,
          user_id: user,
          jumlah: 100_000,
          metode_pembayaran: 'qris',
        }),
      expected: { client: 201, otherClient: 404, freelancer: 403, otherFreelancer: 403, admin: 403 },
      success: 201,
    },
    {
      name: 'release escrow',
      stage: 'held',
      call: (who, x, user) => by(who).post('/api/payments/escrow/release', { escrow_id: x.escrowId, user_id: user }),
      expected: { client: 200, otherClient: 404, freelancer: 403, otherFreelancer: 404, admin: 403 },
      success: 200,
    },
    {
      name: 'withdraw',
      stage: 'released',
      call: (who, x, user) =>
        by(who).post('/api/payments/withdraw', {
          escrow_id: x.escrowId,
          freelancer_id: user,
          metode_pencairan: 'transfer_bank',
          nomor_rekening: '1234567890',
          nama_pemilik: 'Free Lancer',
        }),
      expected: { client: 403, otherClient: 404, freelancer: 201, otherFreelancer: 404, admin: 403 },
      success: 201,
    },
    {
      name: 'open a dispute',
      stage: 'held',
      call: (who, x, user) =>
        by(who).post('/api/payments/escrow/dispute', { escrow_id: x.escrowId, user_id: user, alasan: 'Access test' }),
      // the order's two parties; admins decide disputes, they do not open them
      expected: { client: 201, otherClient: 404, freelancer: 201, otherFreelancer: 404, admin: 403 },
      success: 201,
    },
    {
      name: 'resolve a dispute',
      stage: 'disputed',
      call: (who, x) =>
        by(who).post('/api/admin/disputes/resolve', {
          escrow_id: x.escrowId,
          keputusan: 'refund',
          alasan: 'Access test',
        }),
      expected: { client: 403, otherClient: 403, freelancer: 403, otherFreelancer: 403, admin: 200 },
      success: 200,
      namesUser: false,
    },
    {
      name: 'cancel an unpaid order',
      stage: 'pending',
      call: (who, x) => by(who).post(`/api/orders/${x.orderId}/cancel`, { alasan: 'Access test' }),
      expected: { client: 200, otherClient: 404, freelancer: 403, otherFreelancer: 404, admin: 200 },
      success: 200,
      namesUser: false,
    },
    {
      name: 'cancel a paid order',
      stage: 'held',
      call: (who, x) => by(who).post(`/api/orders/${x.orderId}/cancel`, { alasan: 'Access test' }),
      expected: { client: 200, otherClient: 404, freelancer: 200, otherFreelancer: 404, admin: 200 },
      success: 200,
      namesUser: false,
    },
    {
      name: "give a refund's account",
      stage: 'refund_va',
      call: (who, x) =>
        by(who).post(`/api/payments/refunds/${x.refundId}/account`, {
          metode_pencairan: 'transfer_bank',
          nomor_rekening: '1234567890',
          nama_pemilik: 'Access Test',
        }),
      // the refund is the client's: invisible to the freelancers, refused to admins (only the client gives its own account)
      expected: { client: 200, otherClient: 404, freelancer: 404, otherFreelancer: 404, admin: 403 },
      success: 200,
      namesUser: false,
    },
  ];

  test.each(ACTIONS.flatMap((a) => WHO.map((who) => [a.name, who, a] as const)))(
    '%s as %s, with its own id in the body',
    async (_name, who, action) => {
      const f = await fixture(action.stage);
      const before = await snapshot(f);
      const res = await action.call(who, f, USERS[who]);
      expect(res.status).toBe(action.expected[who]);
      if (res.status !== action.success) expect(await snapshot(f)).toEqual(before);
    },
  );

  test.each(ACTIONS.filter((a) => a.namesUser !== false).map((a) => [a.name, a] as const))(
    '%s by its rightful actor naming someone else in the body → 403',
    async (_name, action) => {
      const f = await fixture(action.stage);
      const actor = (Object.keys(action.expected) as UserName[]).find((w) => action.expected[w] === action.success)!;
      const before = await snapshot(f);
      const res = await action.call(actor, f, USERS[actor === 'client' ? 'otherClient' : 'otherFreelancer']);
      expect(res.status).toBe(403);
      expect(await snapshot(f)).toEqual(before);
    },
  );

  test.each([
    ['client', USERS.client, 201],
    ['otherClient', USERS.client, 403],
    ['freelancer', USERS.freelancer, 403],
    ['admin', USERS.admin, 403],
  ] as const)('create order as %s → %i', async (who, clientId, status) => {
    const res = await by(who).post('/api/orders', {
      client_id: clientId,
      freelancer_id: USERS.otherFreelancer,
      judul: 'x',
      harga: 10_000,
    });
    expect(res.status).toBe(status);
  });

  test("unknown ids answer 404 exactly like other users' ids", async () => {
    const res = await by('client').post('/api/payments/escrow/release', {
      escrow_id: randomUUID(),
      user_id: USERS.client,
    });
    expect(res.status).toBe(404);
  });
});

describe(`refunds and disputes: reads (${dbLabel()})`, () => {
  let va: Awaited<ReturnType<typeof fixture>>;
  let disputed: Awaited<ReturnType<typeof fixture>>;
  beforeAll(async () => {
    va = await fixture('refund_va');
    disputed = await fixture('disputed');
  });
  afterAll(async () => {
    // leave no open dispute behind (its escrow still owes the freelancer or the client)
    await by('admin').post('/api/admin/disputes/resolve', {
      escrow_id: disputed.escrowId,
      keputusan: 'release',
      alasan: 'Access test',
    });
  });

  const READS: [string, () => string, Record<UserName, number>][] = [
    // the refund is the client's money: its client and admins only
    [
      'GET refund',
      () => `/api/payments/refunds/${va.refundId}`,
      { client: 200, otherClient: 404, freelancer: 404, otherFreelancer: 404, admin: 200 },
    ],
    [
      'GET disputed escrow',
      () => `/api/payments/escrow/${disputed.escrowId}`,
      { client: 200, otherClient: 404, freelancer: 200, otherFreelancer: 404, admin: 200 },
    ],
    [
      'GET refunded order',
      () => `/api/orders/${va.orderId}`,
      { client: 200, otherClient: 404, freelancer: 200, otherFreelancer: 404, admin: 200 },
    ],
  ];
  test.each(READS.flatMap(([name, path, expected]) => WHO.map((who) => [name, who, path, expected[who]] as const)))(
    '%s as %s',
    async (_name, who, path, status) => {
      const res = await by(who).get(path());
      expect(res.status).toBe(status);
      if (status === 404)
        expect(res.body).toEqual({
          success: false,
          error: { code: 'NOT_FOUND', message: expect.stringMatching(/not found$/) },
        });
    },
  );

  test('the dispute is shown to the parties and admins; the refund id to the client and admins only', async () => {
    for (const who of ['client', 'freelancer', 'admin'] as const) {
      const escrow = (await by(who).get(`/api/payments/escrow/${disputed.escrowId}`)).body.data;
      expect(escrow.dispute).toMatchObject({
        status: 'open',
        dibuka_oleh: USERS.freelancer,
        peran_pembuka: 'freelancer',
        alasan: 'Access test',
      });
    }
    const refundIdFor = async (who: UserName) => (await by(who).get(`/api/orders/${va.orderId}`)).body.data.refund_id;
    expect(await refundIdFor('client')).toBe(va.refundId);
    expect(await refundIdFor('admin')).toBe(va.refundId);
    expect(await refundIdFor('freelancer')).toBeNull();
    expect((await by('freelancer').get(`/api/payments/escrow/${va.escrowId}`)).body.data.refund_id).toBeNull();
    expect((await by('client').get(`/api/payments/escrow/${va.escrowId}`)).body.data.refund_id).toBe(va.refundId);
  });

  test.each([
    ['GET refund', 'get', (): string => `/api/payments/refunds/${va.refundId}`],
    ["give a refund's account", 'post', (): string => `/api/payments/refunds/${va.refundId}/account`],
    ['open a dispute', 'post', (): string => '/api/payments/escrow/dispute'],
    ['resolve a dispute', 'post', (): string => '/api/admin/disputes/resolve'],
    ['GET disputes list', 'get', (): string => '/api/admin/disputes'],
    ['cancel an order', 'post', (): string => `/api/orders/${va.orderId}/cancel`],
  ] as const)('%s without a token → 401', async (_name, method, path) => {
    const agent = request(stack.url);
    const res = await agent[method](path()).send(method === 'post' ? { alasan: 'x' } : undefined);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  test("unknown ids answer 404 like other users' ids", async () => {
    expect((await by('client').get(`/api/payments/refunds/${randomUUID()}`)).status).toBe(404);
    expect(
      (
        await by('client').post(`/api/payments/refunds/${randomUUID()}/account`, {
          metode_pencairan: 'transfer_bank',
          nomor_rekening: '1234567890',
          nama_pemilik: 'A B',
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await by('client').post('/api/payments/escrow/dispute', {
          escrow_id: randomUUID(),
          user_id: USERS.client,
          alasan: 'x',
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await by('admin').post('/api/admin/disputes/resolve', {
          escrow_id: randomUUID(),
          keputusan: 'release',
          alasan: 'x',
        })
      ).status,
    ).toBe(404);
    expect((await by('client').post(`/api/orders/${randomUUID()}/cancel`, { alasan: 'x' })).status).toBe(404);
  });
});
