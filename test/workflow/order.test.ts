import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowHandle, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, DefaultLogger, Worker, bundleWorkflowCode, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { OrderActivities } from '../../activities';
import {
  ERROR_TYPES,
  OrderState,
  OrderWorkflowInput,
  createPaymentUpdate,
  paymentNotificationUpdate,
  releaseEscrowUpdate,
  statusQuery,
  withdrawUpdate,
} from '../../workflows/messages';
import { createTimeSkippingEnv } from '../helpers/temporal';

/**
 * orderWorkflow on the time-skipping test server, with activities replaced by
 * recorders: what the workflow decides, which side effects it asks for, and
 * how often.
 */
const TASK_QUEUE = 'order-workflow-test';
const DAY = 24 * 3600 * 1000;

type Call = { name: keyof OrderActivities; args: any };
const calls: Call[] = [];
/** Tests hold an activity for a given order or withdrawal holder by putting a gate here. */
const gates = new Map<string, Promise<void>>();
const failingPayouts = new Set<string>();
const callsFor = (pesananId: string, name?: keyof OrderActivities) =>
  calls.filter((c) => JSON.stringify(c.args).includes(pesananId) && (!name || c.name === name));

// Side-effect-free activity doubles that record every call.
const fakeActivities: OrderActivities = {
  async createPayment(p) {
    calls.push({ name: 'createPayment', args: p });
    return { payment_url: `http://gw/mock-payment/MOCK-${p.transaction_id}`, payment_instructions: { type: 'QRIS', title: 'Scan', steps: [] }, gateway_reference: `MOCK-${p.transaction_id}` };
  },
  async settlePayment(s) {
    calls.push({ name: 'settlePayment', args: s });
  },
  async closePayment(c) {
    calls.push({ name: 'closePayment', args: c });
  },
  async releaseEscrow(r) {
    calls.push({ name: 'releaseEscrow', args: r });
    await gates.get(r.pesanan_id);
  },
  async cancelOrder(c) {
    calls.push({ name: 'cancelOrder', args: c });
  },
  async createWithdrawal(w) {
    calls.push({ name: 'createWithdrawal', args: w });
  },
  async payout(p) {
    calls.push({ name: 'payout', args: p });
    if (failingPayouts.has(p.nama_pemilik)) throw new Error('bank unavailable');
    return { reference: `TRF-${p.withdrawal_id.slice(0, 8)}`, bukti_transfer: `https://mock-bank.com/transfer/${p.withdrawal_id}.pdf`, completed_at: new Date().toISOString() };
  },
  async completeWithdrawal(c) {
    calls.push({ name: 'completeWithdrawal', args: c });
  },
};

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  env = await createTimeSkippingEnv();
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: new DefaultLogger('ERROR') });
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle: bundle, activities: fakeActivities });
  running = worker.run();
}, 180_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

function newOrder(overrides: Partial<OrderWorkflowInput> = {}): OrderWorkflowInput {
  return {
    pesanan_id: randomUUID(),
    client_id: 'client-1',
    freelancer_id: 'freelancer-1',
    harga: 250_000,
    payment_expiry: '24h',
    escrow_auto_release_after: '7d',
    ...overrides,
  };
}

async function startWithPayment(input = newOrder()) {
  const handle = await env.client.workflow.start('orderWorkflow', { taskQueue: TASK_QUEUE, workflowId: `order-${input.pesanan_id}`, args: [input] });
  const payment = await handle.executeUpdate(createPaymentUpdate, {
    args: [{ user_id: input.client_id, jumlah: input.harga, metode_pembayaran: 'qris', channel: 'qris' }],
  });
  return { input, handle: handle as WorkflowHandle, payment };
}

async function settle(handle: WorkflowHandle, transactionId: string, gross = 265_000) {
  return handle.executeUpdate(paymentNotificationUpdate, { args: [{ transaction_id: transactionId, transaction_status: 'settlement', gross_amount: gross }] });
}

/** The workflow's state once `done` holds: a timer firing is followed by an activity, so give it a moment. */
async function eventually(handle: WorkflowHandle, done: (s: OrderState) => boolean): Promise<OrderState> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const state = await handle.query(statusQuery);
    if (done(state) || Date.now() > deadline) return state;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function expectRejected(p: Promise<unknown>, type: string, message?: RegExp) {
  const err = await p.then(
    () => undefined,
    (e) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(err.cause).toBeInstanceOf(ApplicationFailure);
  expect(err.cause.type).toBe(type);
  if (message) expect(err.cause.message).toMatch(message);
}

test('a payment is created once with the seed fees, and repeated or concurrent requests return the same payment', async () => {
  const input = newOrder();
  const handle = await env.client.workflow.start('orderWorkflow', { taskQueue: TASK_QUEUE, workflowId: `order-${input.pesanan_id}`, args: [input] });
  const req = { user_id: 'client-1', jumlah: 250_000, metode_pembayaran: 'qris' as const, channel: 'qris' };
  const [a, b] = await Promise.all([
    handle.executeUpdate(createPaymentUpdate, { args: [req] }),
    handle.executeUpdate(createPaymentUpdate, { args: [req] }),
  ]);
  const c = await handle.executeUpdate(createPaymentUpdate, { args: [req] });
  expect(a.transaction_id).toMatch(/^PAY-\d{13}-[A-Z0-9]{6}$/);
  expect(a.nomor_invoice).toMatch(/^INV\/\d{4}\/\d{2}\/[A-Z0-9]{6}$/);
  expect(b.payment_id).toBe(a.payment_id);
  expect(c.payment_id).toBe(a.payment_id);
  expect({ jumlah: a.jumlah, fee: a.biaya_platform, gw: a.biaya_gateway, total: a.total_bayar }).toEqual({ jumlah: 250_000, fee: 12_500, gw: 2_500, total: 265_000 });
  expect(Date.parse(a.expires_at) - Date.parse(a.created_at)).toBe(DAY);
  expect(callsFor(input.pesanan_id, 'createPayment')).toHaveLength(1);
  const described = await handle.describe();
  expect(described.searchAttributes.PaymentStatus).toEqual(['menunggu']);
  expect(described.searchAttributes.TransactionId).toEqual([a.transaction_id]);
});

test('a payment nobody pays expires after 24 hours and cancels the order', async () => {
  const { input, handle, payment } = await startWithPayment();
  await env.sleep('23h');
  expect((await handle.query(statusQuery)).payment?.status).toBe('menunggu');
  await env.sleep('1h');
  const result: OrderState = await handle.result();
  expect(result.payment?.status).toBe('kadaluarsa');
  expect(result.order_status).toBe('dibatalkan');
  expect(result.escrow).toBeNull();
  expect(callsFor(input.pesanan_id, 'closePayment').map((c) => c.args)).toEqual([
    { payment_id: payment.payment_id, pesanan_id: input.pesanan_id, status: 'kadaluarsa', gateway_status: null },
  ]);
  expect(callsFor(input.pesanan_id, 'settlePayment')).toHaveLength(0);
  const described = await handle.describe();
  expect(described.searchAttributes.PaymentStatus).toEqual(['kadaluarsa']);
  expect(described.searchAttributes.OrderStatus).toEqual(['dibatalkan']);
});

test('PAYMENT_EXPIRY overrides the payment timer', async () => {
  const { handle } = await startWithPayment(newOrder({ payment_expiry: '5s' }));
  await env.sleep('5s');
  expect((await handle.result()).payment?.status).toBe('kadaluarsa');
});

test('a denied payment fails, cancels the order and nothing is held', async () => {
  const { input, handle, payment } = await startWithPayment();
  const answer = await handle.executeUpdate(paymentNotificationUpdate, {
    args: [{ transaction_id: payment.transaction_id, transaction_status: 'deny', gross_amount: 265_000 }],
  });
  expect(answer).toMatchObject({ status: 'gagal', changed: true, escrow_id: null });
  const result = await handle.result();
  expect(result.order_status).toBe('dibatalkan');
  expect(callsFor(input.pesanan_id, 'closePayment')[0].args.status).toBe('gagal');
  expect(callsFor(input.pesanan_id, 'settlePayment')).toHaveLength(0);
});

test('duplicate and conflicting payment notifications change nothing', async () => {
  const { input, handle, payment } = await startWithPayment();
  const first = await settle(handle, payment.transaction_id);
  const again = await settle(handle, payment.transaction_id);
  const capture = await handle.executeUpdate(paymentNotificationUpdate, {
    args: [{ transaction_id: payment.transaction_id, transaction_status: 'capture', gross_amount: 265_000 }],
  });
  expect(first).toMatchObject({ status: 'berhasil', changed: true });
  expect(first.escrow_id).toEqual(expect.any(String));
  expect(again).toEqual({ ...first, changed: false });
  expect(capture).toEqual({ ...first, changed: false });
  await expectRejected(
    handle.executeUpdate(paymentNotificationUpdate, { args: [{ transaction_id: payment.transaction_id, transaction_status: 'deny', gross_amount: 265_000 }] }),
    ERROR_TYPES.invalidTransition,
    /payment is berhasil/,
  );
  await expectRejected(settle(handle, payment.transaction_id, 1), ERROR_TYPES.invalidInput);
  await expectRejected(settle(handle, 'PAY-0000000000000-XXXXXX'), ERROR_TYPES.notFound);
  expect(callsFor(input.pesanan_id, 'settlePayment')).toHaveLength(1);
  const state = await handle.query(statusQuery);
  expect(state.payment?.status).toBe('berhasil');
  expect(state.escrow).toMatchObject({ status: 'held', jumlah_ditahan: 250_000, biaya_platform: 12_500, jumlah_bersih: 237_500 });
});

test('a settled payment is held in escrow and auto-released after 7 days', async () => {
  const { input, handle, payment } = await startWithPayment();
  await settle(handle, payment.transaction_id);
  let state = await handle.query(statusQuery);
  expect(Date.parse(state.escrow!.akan_dirilis_pada) - Date.parse(state.escrow!.ditahan_pada)).toBe(7 * DAY);
  expect((await handle.describe()).searchAttributes.EscrowStatus).toEqual(['held']);
  await env.sleep('6d');
  expect((await handle.query(statusQuery)).escrow?.status).toBe('held');
  await env.sleep('1d');
  state = await eventually(handle, (s) => s.escrow?.status === 'released');
  expect(state.escrow).toMatchObject({ status: 'released', dirilis_oleh: 'auto' });
  expect(state.order_status).toBe('selesai');
  expect(callsFor(input.pesanan_id, 'releaseEscrow').map((c) => c.args.dirilis_oleh)).toEqual(['auto']);
  expect((await handle.describe()).searchAttributes.EscrowStatus).toEqual(['released']);
});

test('ESCROW_AUTO_RELEASE_AFTER overrides the auto-release timer and akan_dirilis_pada', async () => {
  const { handle, payment } = await startWithPayment(newOrder({ escrow_auto_release_after: '5s' }));
  await settle(handle, payment.transaction_id);
  const held = (await handle.query(statusQuery)).escrow!;
  expect(Date.parse(held.akan_dirilis_pada) - Date.parse(held.ditahan_pada)).toBe(5000);
  await env.sleep('5s');
  expect((await eventually(handle, (s) => s.escrow?.status === 'released')).escrow?.dirilis_oleh).toBe('auto');
});

test('a release before 7 days cancels the auto-release', async () => {
  const { input, handle, payment } = await startWithPayment();
  await settle(handle, payment.transaction_id);
  await env.sleep('2d');
  await expectRejected(handle.executeUpdate(releaseEscrowUpdate, { args: [{ user_id: 'someone-else', reason: null }] }), ERROR_TYPES.forbidden);
  const released = await handle.executeUpdate(releaseEscrowUpdate, { args: [{ user_id: 'client-1', reason: 'Work approved' }] });
  expect(released).toMatchObject({ status: 'released', dirilis_oleh: 'client', alasan: 'Work approved' });
  await expectRejected(handle.executeUpdate(releaseEscrowUpdate, { args: [{ user_id: 'client-1', reason: null }] }), ERROR_TYPES.invalidTransition, /escrow is released/);
  await env.sleep('8d');
  expect(callsFor(input.pesanan_id, 'releaseEscrow').map((c) => c.args.dirilis_oleh)).toEqual(['client']);
  // The auto-release timer itself (found by its summary) was started and then cancelled.
  const history = await handle.fetchHistory();
  const summaryOf = (e: temporal.api.history.v1.IHistoryEvent) => (e.userMetadata?.summary?.data ? Buffer.from(e.userMetadata.summary.data).toString() : '');
  const autoRelease = history.events!.find((e) => e.timerStartedEventAttributes && summaryOf(e).includes('escrow auto-release'));
  expect(autoRelease).toBeDefined();
  const cancelled = history.events!.filter((e) => e.timerCanceledEventAttributes).map((e) => Number(e.timerCanceledEventAttributes!.startedEventId));
  expect(cancelled).toContain(Number(autoRelease!.eventId));
  expect(history.events!.some((e) => e.timerFiredEventAttributes && Number(e.timerFiredEventAttributes.startedEventId) === Number(autoRelease!.eventId))).toBe(false);
});

test('withdrawal: only after release, once, paid out with the withdrawal id as idempotency key', async () => {
  const { input, handle, payment } = await startWithPayment();
  await settle(handle, payment.transaction_id);
  const withdrawal = { freelancer_id: 'freelancer-1', metode_pencairan: 'transfer_bank' as const, nomor_rekening: '1234567890', nama_pemilik: 'John Doe', auto_process: true };
  await expectRejected(handle.executeUpdate(withdrawUpdate, { args: [withdrawal] }), ERROR_TYPES.invalidTransition, /only after it is released/);
  await handle.executeUpdate(releaseEscrowUpdate, { args: [{ user_id: 'client-1', reason: null }] });
  await expectRejected(handle.executeUpdate(withdrawUpdate, { args: [{ ...withdrawal, freelancer_id: 'intruder' }] }), ERROR_TYPES.forbidden);
  const done = await handle.executeUpdate(withdrawUpdate, { args: [withdrawal] });
  expect(done).toMatchObject({ status: 'completed', jumlah: 250_000, biaya_platform: 12_500, jumlah_bersih: 237_500 });
  expect(done.bukti_transfer).toContain(done.withdrawal_id);
  const result = await handle.result();
  expect(result.escrow?.status).toBe('completed');
  expect(result.withdrawal?.status).toBe('completed');
  const payouts = callsFor(input.pesanan_id, 'payout');
  expect(payouts).toHaveLength(0); // the payout carries no order id: look it up by withdrawal id
  const byWithdrawal = calls.filter((c) => c.name === 'payout' && c.args.withdrawal_id === done.withdrawal_id);
  expect(byWithdrawal).toHaveLength(1);
  expect(byWithdrawal[0].args.amount).toBe(237_500);
  expect(calls.filter((c) => c.name === 'completeWithdrawal' && c.args.withdrawal_id === done.withdrawal_id)).toHaveLength(1);
  const described = await handle.describe();
  expect(described.searchAttributes.WithdrawalStatus).toEqual(['completed']);
  expect(described.searchAttributes.EscrowStatus).toEqual(['completed']);
});

test('without auto-withdrawal the withdrawal stays pending and nothing is paid out', async () => {
  const { handle, payment } = await startWithPayment();
  await settle(handle, payment.transaction_id);
  await handle.executeUpdate(releaseEscrowUpdate, { args: [{ user_id: 'client-1', reason: null }] });
  const pending = await handle.executeUpdate(withdrawUpdate, {
    args: [{ freelancer_id: 'freelancer-1', metode_pencairan: 'e_wallet', nomor_rekening: '081234567890', nama_pemilik: 'Jane', auto_process: false }],
  });
  expect(pending.status).toBe('pending');
  expect(calls.filter((c) => c.name === 'payout' && c.args.withdrawal_id === pending.withdrawal_id)).toHaveLength(0);
  await expectRejected(
    handle.executeUpdate(withdrawUpdate, { args: [{ freelancer_id: 'freelancer-1', metode_pencairan: 'e_wallet', nomor_rekening: '081234567890', nama_pemilik: 'Jane', auto_process: true }] }),
    ERROR_TYPES.invalidTransition,
    /already been withdrawn/,
  );
});

test('creating a payment with the wrong amount or by someone else is rejected before anything happens', async () => {
  const input = newOrder();
  const handle = await env.client.workflow.start('orderWorkflow', { taskQueue: TASK_QUEUE, workflowId: `order-${input.pesanan_id}`, args: [input] });
  await expectRejected(handle.executeUpdate(createPaymentUpdate, { args: [{ user_id: 'client-1', jumlah: 1, metode_pembayaran: 'qris', channel: 'qris' }] }), ERROR_TYPES.invalidInput);
  await expectRejected(handle.executeUpdate(createPaymentUpdate, { args: [{ user_id: 'intruder', jumlah: 250_000, metode_pembayaran: 'qris', channel: 'qris' }] }), ERROR_TYPES.forbidden);
  expect(callsFor(input.pesanan_id)).toHaveLength(0);
  await handle.terminate('test done');
});

const HISTORIES = path.join(__dirname, 'histories');

/** Runs one lifecycle of each kind; with RECORD_HISTORIES=1 their histories become the replay fixtures. */
test('today\'s histories, and the recorded ones in test/workflow/histories, replay against the current workflow code', async () => {
  const recorded: { name: string; handle: WorkflowHandle }[] = [];
  {
    const { handle, payment } = await startWithPayment();
    await settle(handle, payment.transaction_id);
    await handle.executeUpdate(releaseEscrowUpdate, { args: [{ user_id: 'client-1', reason: 'Work approved' }] });
    await handle.executeUpdate(withdrawUpdate, {
      args: [{ freelancer_id: 'freelancer-1', metode_pencairan: 'transfer_bank', nomor_rekening: '1234567890', nama_pemilik: 'John', auto_process: true }],
    });
    await handle.result();
    recorded.push({ name: 'released-withdrawn', handle });
  }
  {
    const { handle, payment } = await startWithPayment(newOrder({ escrow_auto_release_after: '5s' }));
    await settle(handle, payment.transaction_id);
    await env.sleep('5s');
    await eventually(handle, (s) => s.escrow?.status === 'released');
    recorded.push({ name: 'auto-released-held', handle });
  }
  {
    const { handle } = await startWithPayment(newOrder({ payment_expiry: '5s' }));
    await env.sleep('5s');
    await handle.result();
    recorded.push({ name: 'expired', handle });
  }
  const fresh = await Promise.all(recorded.map(async (r) => ({ name: r.name, history: await r.handle.fetchHistory() })));
  if (process.env.RECORD_HISTORIES === '1') {
    fs.mkdirSync(HISTORIES, { recursive: true });
    for (const f of fresh) fs.writeFileSync(path.join(HISTORIES, `${f.name}.binpb`), temporal.api.history.v1.History.encode(f.history).finish());
  }
  const fixtures = fs.existsSync(HISTORIES) ? fs.readdirSync(HISTORIES).filter((f) => f.endsWith('.binpb')) : [];
  expect(fixtures.length).toBeGreaterThanOrEqual(3);
  const all = [
    ...fresh.map((f) => ({ workflowId: `fresh-${f.name}`, history: f.history })),
    ...fixtures.map((f) => ({ workflowId: `fixture-${f}`, history: temporal.api.history.v1.History.decode(fs.readFileSync(path.join(HISTORIES, f))) })),
  ];
  for (const h of all) {
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, h.history, h.workflowId)).resolves.toBeUndefined();
  }
});

test('a payment never created within the window cancels the order in the database too', async () => {
  const input = newOrder({ payment_expiry: '5s' });
  const handle = await env.client.workflow.start('orderWorkflow', { taskQueue: TASK_QUEUE, workflowId: `order-${input.pesanan_id}`, args: [input] });
  await env.sleep('5s');
  const result = await handle.result();
  expect(result.order_status).toBe('dibatalkan');
  expect(callsFor(input.pesanan_id, 'cancelOrder').map((c) => c.args)).toEqual([{ pesanan_id: input.pesanan_id }]);
});

test('a client release that arrives while the auto-release is being recorded is refused, not merged', async () => {
  const { input, handle, payment } = await startWithPayment(newOrder({ escrow_auto_release_after: '5s' }));
  await settle(handle, payment.transaction_id);
  let open!: () => void;
  gates.set(input.pesanan_id, new Promise<void>((r) => (open = r)));
  await env.sleep('5s');
  // the auto-release activity is now held at its gate
  const deadline = Date.now() + 5000;
  while (callsFor(input.pesanan_id, 'releaseEscrow').length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await expectRejected(handle.executeUpdate(releaseEscrowUpdate, { args: [{ user_id: 'client-1', reason: 'late approval' }] }), ERROR_TYPES.invalidTransition, /automatically/);
  open();
  const state = await eventually(handle, (s) => s.escrow?.status === 'released');
  expect(state.escrow).toMatchObject({ status: 'released', dirilis_oleh: 'auto' });
  expect(callsFor(input.pesanan_id, 'releaseEscrow')).toHaveLength(1);
});

test('a slow payout answers processing, keeps retrying with the same idempotency key, and completes', async () => {
  const { handle, payment } = await startWithPayment();
  await settle(handle, payment.transaction_id);
  await handle.executeUpdate(releaseEscrowUpdate, { args: [{ user_id: 'client-1', reason: null }] });
  failingPayouts.add('Slow Bank');
  const answer = handle.executeUpdate(withdrawUpdate, {
    args: [{ freelancer_id: 'freelancer-1', metode_pencairan: 'transfer_bank', nomor_rekening: '1234567890', nama_pemilik: 'Slow Bank', auto_process: true }],
  });
  await env.sleep('15s');
  const w = await answer;
  expect(w.status).toBe('processing');
  const attempts = () => calls.filter((c) => c.name === 'payout' && c.args.withdrawal_id === w.withdrawal_id);
  expect(attempts().length).toBeGreaterThanOrEqual(2);
  failingPayouts.delete('Slow Bank');
  await env.sleep('10m');
  const result = await handle.result();
  expect(result.withdrawal).toMatchObject({ withdrawal_id: w.withdrawal_id, status: 'completed' });
  expect(new Set(attempts().map((c) => c.args.withdrawal_id))).toEqual(new Set([w.withdrawal_id]));
  expect(calls.filter((c) => c.name === 'completeWithdrawal' && c.args.withdrawal_id === w.withdrawal_id)).toHaveLength(1);
});
