import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import request from 'supertest';
import { heldEscrow } from '../../domain/records';
import { signWebhook } from '../../domain/signature';
import * as repo from '../../db/repositories';
import { USERS, UserName, as, tokensFor } from '../helpers/auth';
import { strandedPayment } from '../helpers/payments';
import { waitFor } from '../helpers/wait';
import { Stack, dbLabel, startStack } from '../helpers/stack';

/**
 * The hot paths under duplicates, races and crashes, on the real service:
 * the database decides every exactly-once rule, each request waits for at most
 * one Temporal write, and a process killed between two steps leaves nothing
 * stranded (the worker's sweep runs every second here, with a 1 s grace).
 */
let stack: Stack;
let tokens: Record<UserName, string>;
beforeAll(async () => {
  stack = await startStack({ PAYMENT_SWEEP_INTERVAL: '1s', PAYMENT_SWEEP_GRACE: '1s' });
  tokens = await tokensFor(stack.config.auth.jwtSecret);
}, 180_000);
afterAll(async () => stack?.stop());

const client = () => new Client({ connection: stack.api.connection });
const by = (who: UserName) => as(stack.url, tokens[who]);
const rows = (table: string, where: Record<string, unknown>) => stack.db(table).where(where);

async function createOrder() {
  const res = await by('client').post('/api/orders', {
    client_id: USERS.client,
    freelancer_id: USERS.freelancer,
    judul: 'Hot path',
    harga: 250_000,
  });
  expect(res.status).toBe(201);
  return res.body.data.id as string;
}
const createPayment = (orderId: string) =>
  by('client').post('/api/payments/create', {
    pesanan_id: orderId,
    user_id: USERS.client,
    jumlah: 250_000,
    metode_pembayaran: 'qris',
  });
/** The gateway's webhook, as the gateway sends it: a settlement is in its books first. */
async function webhook(transactionId: string, status = 'settlement', gross = '265000') {
  if (status === 'settlement') await stack.gateway.recordSettlement(transactionId);
  const fields = {
    transaction_id: transactionId,
    transaction_status: status,
    gross_amount: gross,
    timestamp: String(Math.floor(Date.now() / 1000)),
  };
  return request(stack.url)
    .post('/api/payments/webhook')
    .send({ ...fields, signature: signWebhook(fields, stack.config.mock.secret) });
}
/** The order workflow's state; null until the relay has started it (it is off the request path). */
const workflowState = (orderId: string) =>
  client()
    .workflow.getHandle(`order-${orderId}`)
    .query<any>('status')
    .catch(() => null);

describe(`duplicates (${dbLabel()})`, () => {
  test('100 concurrent creates for one order: one payment, one charge, one 201 and 99 × 200 with the same transaction_id', async () => {
    const id = await createOrder();
    const answers = await Promise.all(Array.from({ length: 100 }, () => createPayment(id)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(99);
    const created = answers.find((a) => a.status === 201)!.body;
    expect(created.message).toBe('Payment created successfully');
    expect(new Set(answers.map((a) => a.body.data.transaction_id))).toEqual(new Set([created.data.transaction_id]));
    expect(new Set(answers.map((a) => a.body.data.payment_url))).toEqual(new Set([created.data.payment_url]));
    expect(
      answers.filter((a) => a.status === 200).every((a) => a.body.message === 'Payment already exists for this order'),
    ).toBe(true);
    expect(await rows('pembayaran', { pesanan_id: id })).toHaveLength(1);
    expect(await rows('mock_gateway_charges', { transaction_id: created.data.transaction_id })).toHaveLength(1);
    const state = await waitFor(
      () => workflowState(id),
      (s) => s?.payment != null,
    );
    expect(state.payment.transaction_id).toBe(created.data.transaction_id);
  });

  test('100 concurrent duplicate settlement webhooks: one escrow, 100 × 200 naming it, and the workflow holds it', async () => {
    const id = await createOrder();
    const tx = (await createPayment(id)).body.data.transaction_id;
    const answers = await Promise.all(Array.from({ length: 100 }, () => webhook(tx)));
    expect(answers.map((a) => a.status)).toEqual(Array(100).fill(200));
    expect(new Set(answers.map((a) => a.body.status))).toEqual(new Set(['berhasil']));
    const escrows = await rows('escrow', { pesanan_id: id });
    expect(escrows).toHaveLength(1);
    expect(new Set(answers.map((a) => a.body.escrow_id))).toEqual(new Set([escrows[0].id]));
    expect((await rows('webhook_log', { transaction_id: tx })).map((l) => l.http_status)).toEqual(Array(100).fill(200));
    const state = await waitFor(
      () => workflowState(id),
      (s) => s?.escrow != null,
    );
    expect(state).toMatchObject({
      order_status: 'dibayar',
      payment: { status: 'berhasil' },
      escrow: { escrow_id: escrows[0].id, status: 'held' },
    });
    expect(state.history.filter((e: { event: string }) => e.event.startsWith('payment settled'))).toHaveLength(1);
    expect((await rows('pembayaran', { transaction_id: tx }))[0].workflow_synced_status).toBe('berhasil');
  });

  test('a settlement and a deny for one payment at once: the first to commit decides; the other gets 409, nothing else moves', async () => {
    const id = await createOrder();
    const tx = (await createPayment(id)).body.data.transaction_id;
    let [settle, deny] = await Promise.all([webhook(tx, 'settlement'), webhook(tx, 'deny')]);
    // on MySQL the two may deadlock: the victim answers 503 with Retry-After, and the gateway sends it again
    if (settle.status === 503) settle = await webhook(tx, 'settlement');
    if (deny.status === 503) deny = await webhook(tx, 'deny');
    const [payment] = await rows('pembayaran', { transaction_id: tx });
    const winner = payment.status === 'berhasil' ? settle : deny;
    const loser = payment.status === 'berhasil' ? deny : settle;
    expect(winner.status).toBe(200);
    expect(winner.body.status).toBe(payment.status);
    if (payment.status === 'berhasil') {
      expect(loser.status).toBe(409);
      expect(await rows('escrow', { pesanan_id: id })).toHaveLength(1);
    } else {
      expect([loser.status, loser.body.refund_status]).toEqual([200, 'due']); // settled after a failure: late money, refunded
      expect(await rows('escrow', { pesanan_id: id })).toHaveLength(0);
    }
    const state = await waitFor(
      () => workflowState(id),
      (s) => s != null && s.payment.status !== 'menunggu',
    );
    expect(state.payment.status).toBe(payment.status);
  });
});

describe(`the database, not Temporal's retention, decides (${dbLabel()})`, () => {
  async function deleteWorkflow(orderId: string) {
    await stack.api.connection.workflowService.deleteWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: `order-${orderId}` },
    });
    // (a running workflow is deleted at once; the dev server takes about 30 s for a closed one)
    const seen = await waitFor(
      () =>
        client()
          .workflow.getHandle(`order-${orderId}`)
          .describe()
          .then(
            (d) => `there:${d.status.name}`,
            () => 'gone',
          ),
      (s) => s === 'gone',
    );
    expect(seen).toBe('gone');
  }

  test('a finished order whose workflow was deleted refuses a new payment with 409; a repeated settlement still answers 200', async () => {
    const id = await createOrder();
    const tx = (await createPayment(id)).body.data.transaction_id;
    const settled = await webhook(tx);
    const escrowId = settled.body.escrow_id;
    await waitFor(
      () => workflowState(id),
      (s) => s?.escrow != null,
    );
    expect(
      (await by('client').post('/api/payments/escrow/release', { escrow_id: escrowId, user_id: USERS.client })).status,
    ).toBe(200);
    expect((await by('client').get(`/api/orders/${id}`)).body.data.status).toBe('selesai');
    await deleteWorkflow(id); // finished for the order (selesai); gone from Temporal

    const again = await createPayment(id);
    expect([again.status, again.body.error?.code]).toEqual([409, 'INVALID_TRANSITION']);
    expect(again.body.error.message).toMatch(/selesai/);
    const repeat = await webhook(tx);
    expect([repeat.status, repeat.body.status, repeat.body.escrow_id]).toEqual([200, 'berhasil', escrowId]);
    expect(await rows('pembayaran', { pesanan_id: id })).toHaveLength(1);
    expect(await rows('escrow', { pesanan_id: id })).toHaveLength(1);
    await expect(client().workflow.getHandle(`order-${id}`).describe()).rejects.toThrow(/not found/); // nothing restarted it
  });

  test('a live order whose workflow was deleted keeps its one payment: a new create answers it and restarts its workflow', async () => {
    const id = await createOrder();
    const first = await createPayment(id);
    await waitFor(
      () => workflowState(id),
      (s) => s?.payment != null,
    ); // the relay started it
    await deleteWorkflow(id);
    const again = await createPayment(id);
    expect([again.status, again.body.data.transaction_id]).toEqual([200, first.body.data.transaction_id]);
    expect(await rows('pembayaran', { pesanan_id: id })).toHaveLength(1);
    const state = await waitFor(
      () => workflowState(id),
      (s) => s?.payment != null,
    );
    expect(state.payment).toMatchObject({
      transaction_id: first.body.data.transaction_id,
      expires_at: first.body.data.expires_at,
    });
  });
});

describe(`crash windows: the sweep finishes what a dead request started (${dbLabel()})`, () => {
  const orderWithStrandedPayment = () =>
    strandedPayment(stack.db, Date.now(), { client_id: USERS.client, freelancer_id: USERS.freelancer });

  test('killed after the payment row, before the charge: the sweep opens the charge and starts the workflow', async () => {
    const { order, payment } = await orderWithStrandedPayment();
    const state = await waitFor(
      () => workflowState(order.id),
      (s) => s?.payment != null,
    );
    expect(state.payment).toMatchObject({ payment_id: payment.id, status: 'menunggu', expires_at: payment.expires_at });
    const row = (await repo.getPayment(stack.db, payment.id))!;
    expect(row).toMatchObject({
      workflow_synced_status: 'menunggu',
      payment_url: expect.stringMatching(/\/mock-payment\/MOCK-/),
    });
    expect(await rows('mock_gateway_charges', { transaction_id: payment.transaction_id })).toHaveLength(1);
    // the client asking again now gets the payment with its charge
    const again = await createPayment(order.id);
    expect([again.status, again.body.data.payment_url]).toEqual([200, row.payment_url]);
  });

  test('killed after the charge, before the signal: the sweep reuses the charge (one charge) and starts the workflow', async () => {
    const { order, payment } = await orderWithStrandedPayment();
    await stack.gateway.createCharge({
      transaction_id: payment.transaction_id,
      method: 'qris',
      channel: 'qris',
      gross_amount: payment.total_bayar,
      expires_at: payment.expires_at,
    });
    const state = await waitFor(
      () => workflowState(order.id),
      (s) => s?.payment != null,
    );
    expect(state.payment.payment_id).toBe(payment.id);
    expect(await rows('mock_gateway_charges', { transaction_id: payment.transaction_id })).toHaveLength(1);
  });

  test('killed after the settlement committed, before its signal: the sweep tells the workflow, which holds the escrow', async () => {
    const id = await createOrder();
    const created = (await createPayment(id)).body.data;
    const payment = (await repo.getPayment(stack.db, created.payment_id))!;
    const order = (await repo.getOrder(stack.db, id))!;
    const escrow = heldEscrow(randomUUID(), payment, order, new Date(), stack.config.escrowAutoReleaseMs);
    await stack.gateway.recordSettlement(payment.transaction_id);
    const decided = await repo.decidePayment(stack.db, {
      payment_id: payment.id,
      status: 'berhasil',
      gateway_status: 'settlement',
      at: new Date().toISOString(),
      escrow,
    });
    expect(decided.kind).toBe('applied');
    const state = await waitFor(
      () => workflowState(id),
      (s) => s?.escrow != null,
    ); // (its start may still be on the way too)
    expect(state).toMatchObject({ order_status: 'dibayar', escrow: { escrow_id: escrow.id, status: 'held' } });
    // and the client can release it as usual
    expect(
      (await by('client').post('/api/payments/escrow/release', { escrow_id: escrow.id, user_id: USERS.client })).status,
    ).toBe(200);
  });
});

describe(`orders from before the payment path moved (${dbLabel()})`, () => {
  test('an old order whose workflow still waits for its first payment: that workflow is retired and the payment gets a new one', async () => {
    const id = await createOrder();
    await stack.db('pesanan').where({ id }).update({ workflow_version: 0 }); // as the migration marks orders without a payment
    // the old code's workflow, started by a create that then failed at the gateway: running, without the patch marker
    const legacy = await client().workflow.start('orderWorkflow', {
      workflowId: `order-${id}`,
      taskQueue: `old-release-${id}`,
      args: [{ pesanan_id: id }],
    });
    const created = await createPayment(id);
    expect(created.status).toBe(201);
    expect((await client().workflow.getHandle(`order-${id}`, legacy.firstExecutionRunId).describe()).status.name).toBe(
      'TERMINATED',
    );
    const state = await waitFor(
      () => workflowState(id),
      (s) => s?.payment != null,
    );
    expect(state.payment.transaction_id).toBe(created.body.data.transaction_id);
    const described = await client().workflow.getHandle(`order-${id}`).describe();
    expect(described.runId).not.toBe(legacy.firstExecutionRunId);
    expect(described.searchAttributes.TemporalChangeVersion).toContain('payment-decided-by-database');
  });
});
