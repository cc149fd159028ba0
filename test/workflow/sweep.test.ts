import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import pino from 'pino';
import { PaymentPath } from '../../api/payment-path';
import { OrderWorkflows } from '../../api/workflow-calls';
import { Config, loadConfig } from '../../domain/config';
import { heldEscrow } from '../../domain/records';
import * as repo from '../../db/repositories';
import { MockGateway } from '../../gateway/mock-gateway';
import { statusQuery } from '../../workflows/messages';
import { strandedPayment } from '../helpers/payments';
import { freshDb, testEnv } from '../helpers/stack';
import { DAY, Harness, TASK_QUEUE, callsFor, eventually, startHarness } from './harness';

/**
 * A process killed between the database and Temporal: the payment row exists,
 * its workflow was never told. The sweep (the worker runs it every
 * PAYMENT_SWEEP_INTERVAL) finds it on the real database and starts the
 * workflow, whose expiry then happens on time: at the row's expires_at, not
 * 24 h after the sweep.
 */
let h: Harness;
let db: Knex;
let config: Config;
let payments: PaymentPath;
const GRACE = 30_000;

beforeAll(async () => {
  h = await startHarness();
  config = loadConfig(testEnv());
  db = await freshDb(config);
  const logger = pino({ level: 'silent' });
  const gateway = new MockGateway({
    db,
    backendUrl: 'http://localhost:1',
    secret: 'x',
    autoSuccess: false,
    autoSuccessDelayMs: 0,
    logger,
  });
  payments = new PaymentPath({ db, gateway, workflows: new OrderWorkflows(h.env.client, TASK_QUEUE), config, logger });
}, 180_000);
afterAll(async () => {
  await db?.destroy();
  await h?.stop();
});

const afterGrace = () => new Date(Date.now() + GRACE + 1000);

test('a payment row whose workflow was never started is picked up by the sweep and expires at its expires_at', async () => {
  const createdAt = (await h.env.currentTimeMs()) - 3600_000; // the API died an hour ago
  const { order, payment } = await strandedPayment(db, createdAt);
  const handle = h.env.client.workflow.getHandle(`order-${order.id}`);
  await expect(handle.describe()).rejects.toThrow(/not found/i);
  // within the grace period a request may still be finishing: the sweep leaves it alone
  expect(await payments.sweep(GRACE)).toBe(0);
  expect(await payments.sweep(GRACE, 100, afterGrace())).toBe(1);

  const row = (await repo.getPayment(db, payment.id))!;
  expect(row.workflow_synced_status).toBe('menunggu');
  expect(row.payment_url).toMatch(/\/mock-payment\/MOCK-/); // the charge was opened on the way
  expect(await db('mock_gateway_charges').where({ transaction_id: payment.transaction_id })).toHaveLength(1);
  const state = await eventually(handle, (s) => s.payment !== null);
  expect(state.payment).toMatchObject({ payment_id: payment.id, status: 'menunggu', expires_at: payment.expires_at });
  expect(await payments.sweep(GRACE, 100, afterGrace())).toBe(0); // delivered: not swept again

  await h.env.sleep(22 * 3600_000 + 50 * 60_000); // 23h50m after creation
  expect((await handle.query(statusQuery)).payment?.status).toBe('menunggu');
  expect(callsFor(payment.id, 'expirePayment')).toHaveLength(0);
  await h.env.sleep('20m');
  const result = await handle.result();
  expect(result).toMatchObject({ order_status: 'dibatalkan', payment: { status: 'kadaluarsa' } });
  expect(callsFor(payment.id, 'expirePayment')).toHaveLength(1);
});

test('a settlement decided in the database whose signal was lost reaches a never-started workflow through the sweep', async () => {
  const now = await h.env.currentTimeMs();
  const { order, payment } = await strandedPayment(db, now);
  const escrow = heldEscrow(randomUUID(), payment, order, new Date(now), 7 * DAY);
  const decided = await repo.decidePayment(db, {
    payment_id: payment.id,
    status: 'berhasil',
    gateway_status: 'settlement',
    at: new Date(now).toISOString(),
    escrow,
  });
  expect(decided.kind).toBe('applied');
  expect(await payments.sweep(GRACE, 100, afterGrace())).toBe(1);
  const handle = h.env.client.workflow.getHandle(`order-${order.id}`);
  const state = await eventually(handle, (s) => s.escrow !== null);
  expect(state).toMatchObject({
    order_status: 'dibayar',
    payment: { status: 'berhasil' },
    escrow: { escrow_id: escrow.id, status: 'held', akan_dirilis_pada: escrow.akan_dirilis_pada },
  });
  expect((await repo.getPayment(db, payment.id))!.workflow_synced_status).toBe('berhasil');
  await h.env.sleep('7d');
  expect((await eventually(handle, (s) => s.escrow?.status === 'released')).escrow?.dirilis_oleh).toBe('auto');
});

test("a waiting payment whose workflow an operator terminated gets a new run; once its window is over the sweep's backstop expires it in the database", async () => {
  const createdAt = await h.env.currentTimeMs();
  const { order, payment } = await strandedPayment(db, createdAt);
  expect(await payments.sweep(GRACE, 100, afterGrace())).toBe(1);
  const handle = h.env.client.workflow.getHandle(`order-${order.id}`);
  await eventually(handle, (s) => s.payment !== null);
  await handle.terminate('an operator ended it');
  // something makes the payment owed again (another delivery attempt): the workflow is gone, so it stays owed
  await db('pembayaran').where({ id: payment.id }).update({ workflow_synced_status: null, workflow_pending: 1 });
  expect(await payments.deliver(payment.id)).toBe(true); // terminated, not completed: a new run may start for it
  const rerun = await eventually(h.env.client.workflow.getHandle(`order-${order.id}`), (s) => s.payment !== null);
  expect(rerun.payment?.payment_id).toBe(payment.id);
  await h.env.client.workflow.getHandle(`order-${order.id}`).terminate('an operator ended it again');

  const overdueAt = new Date(Date.parse(payment.expires_at) + GRACE + 1000);
  await payments.expireOverdue(GRACE, 100, new Date(Date.parse(payment.expires_at) - 1000));
  expect((await repo.getPayment(db, payment.id))!.status).toBe('menunggu'); // its window is still open
  expect(await payments.expireOverdue(GRACE, 100, overdueAt)).toBeGreaterThanOrEqual(1);
  expect((await repo.getPayment(db, payment.id))!).toMatchObject({ status: 'kadaluarsa', workflow_pending: true });
  expect((await repo.getOrder(db, order.id))!.status).toBe('dibatalkan');
  expect(await payments.deliver(payment.id)).toBe(true); // decided, and its workflow closed: nothing waits to be told
  expect((await repo.getPayment(db, payment.id))!).toMatchObject({
    workflow_synced_status: 'kadaluarsa',
    workflow_pending: false,
  });
});

test("an order whose payment failed and whose window closed with nothing more is cancelled by the sweep's backstop, in the database", async () => {
  const { order, payment } = await strandedPayment(db, Date.now());
  expect((await repo.getOrder(db, order.id))!.workflow_version).toBe(repo.RETRYABLE_PAYMENTS_VERSION);
  expect(
    (
      await repo.decidePayment(db, {
        payment_id: payment.id,
        status: 'gagal',
        gateway_status: 'deny',
        at: new Date().toISOString(),
      })
    ).kind,
  ).toBe('applied');
  expect((await repo.getOrder(db, order.id))!.status).toBe('menunggu_pembayaran'); // open for another payment
  expect(await payments.closeOverdueWindows(GRACE, 100, new Date(Date.parse(payment.expires_at) + GRACE - 1000))).toBe(
    0,
  );
  expect((await repo.getOrder(db, order.id))!.status).toBe('menunggu_pembayaran');
  expect(await payments.closeOverdueWindows(GRACE, 100, new Date(Date.parse(payment.expires_at) + GRACE + 1000))).toBe(
    1,
  );
  expect((await repo.getOrder(db, order.id))!.status).toBe('dibatalkan');
  const trail = await db('audit_log').where({ record_id: order.id, action: 'order.status_changed' });
  expect(trail.map((a) => [a.actor_type, a.status_before, a.status_after])).toEqual([
    ['system', 'menunggu_pembayaran', 'dibatalkan'],
  ]);
  expect(await payments.closeOverdueWindows(GRACE, 100, new Date(Date.parse(payment.expires_at) + GRACE + 1000))).toBe(
    0,
  ); // once
});
