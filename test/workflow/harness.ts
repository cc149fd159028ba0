import { randomUUID } from 'node:crypto';
import { WorkflowHandle, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, WorkflowBundleWithSourceMap, bundleWorkflowCode } from '@temporalio/worker';
import type { OrderActivities } from '../../activities';
import { paymentFees, payoutAmounts } from '../../domain/money';
import type { EscrowView, PaymentOutcome, PaymentView } from '../../domain/records';
import type { OrderStatus } from '../../domain/statuses';
import { OrderState, OrderWorkflowInput, PayoutState, paymentCreatedSignal, paymentOutcomeSignal, statusQuery } from '../../workflows/messages';
import { createTimeSkippingEnv } from '../helpers/temporal';

/**
 * orderWorkflow on the time-skipping test server, with activities replaced by
 * recorders: what the workflow decides, which side effects it asks for, and
 * how often. The payment arrives as the API sends it (signal-with-start with
 * the payment in the input), outcomes as the API signals them after the
 * database decided.
 */
export const TASK_QUEUE = 'order-workflow-test';
export const DAY = 24 * 3600 * 1000;

export type Call = { name: keyof OrderActivities; args: any };
export const calls: Call[] = [];
/** Tests hold an activity for a given order, payment or withdrawal holder by putting a gate here. */
export const gates = new Map<string, Promise<void>>();
export const failingPayouts = new Set<string>();
/** The fake gateway's payouts by withdrawal id, and how often each was requested (the 999 test accounts). */
export const bank = new Map<string, PayoutState>();
export const bankRequests = new Map<string, number>();
/** The bank completes a queued payout (the gateway's books change; no notification is sent). */
export function bankCompletes(withdrawalId: string, at = new Date().toISOString()): PayoutState {
  const p = bank.get(withdrawalId)!;
  const done = { ...p, status: 'completed' as const, completed_at: at };
  bank.set(withdrawalId, done);
  return done;
}
/** What the fake database answers when a payment's expiry timer fires: by default, it expires. */
export const databaseDecided = new Map<string, PaymentOutcome>();
/** The order's status in the fake database, once a work step moved it (or a test put it elsewhere). */
export const orderInDatabase = new Map<string, OrderStatus>();
export const callsFor = (id: string, name?: keyof OrderActivities) => calls.filter((c) => JSON.stringify(c.args).includes(id) && (!name || c.name === name));

const unused = (name: string) => async () => {
  throw new Error(`${name} belongs to the in-workflow payment path; new orders never call it`);
};

// Side-effect-free activity doubles that record every call.
export const fakeActivities: OrderActivities = {
  createPayment: unused('createPayment') as OrderActivities['createPayment'],
  settlePayment: unused('settlePayment') as OrderActivities['settlePayment'],
  closePayment: unused('closePayment') as OrderActivities['closePayment'],
  cancelOrder: unused('cancelOrder') as OrderActivities['cancelOrder'],
  async reconcileBooks() {
    return { checks: 0, differences: 0 };
  },
  async expirePayment(e) {
    calls.push({ name: 'expirePayment', args: e });
    await gates.get(e.payment_id);
    return databaseDecided.get(e.payment_id) ?? { payment_id: e.payment_id, status: 'kadaluarsa', gateway_status: null, dibayar_pada: null, escrow: null };
  },
  // the order row as the guarded update finds it: in `from` unless a test says otherwise (orderInDatabase)
  async changeOrderStatus(c) {
    calls.push({ name: 'changeOrderStatus', args: c });
    await gates.get(`progress:${c.pesanan_id}`);
    const found = orderInDatabase.get(c.pesanan_id) ?? c.from;
    if (found !== c.from) return { changed: false, status: found };
    orderInDatabase.set(c.pesanan_id, c.to);
    return { changed: true, status: c.to };
  },
  async releaseEscrow(r) {
    calls.push({ name: 'releaseEscrow', args: r });
    await gates.get(r.pesanan_id);
  },
  async createWithdrawal(w) {
    calls.push({ name: 'createWithdrawal', args: w });
    await gates.get(`withdrawal:${w.pesanan_id}`);
  },
  async payout(p) {
    calls.push({ name: 'payout', args: p });
    if (failingPayouts.has(p.nama_pemilik)) throw new Error('bank unavailable');
    return { reference: `TRF-${p.withdrawal_id.slice(0, 8)}`, bukti_transfer: `https://mock-bank.com/transfer/${p.withdrawal_id}.pdf`, completed_at: new Date().toISOString() };
  },
  // The bank as the payout desk sees it: idempotent by withdrawal id, with the sandbox's test accounts
  // (000… closed, 999… two temporary failures first). Tests complete a queued payout by changing `bank`.
  async requestPayout(p) {
    calls.push({ name: 'requestPayout', args: p });
    await gates.get(p.withdrawal_id);
    if (failingPayouts.has(p.nama_pemilik)) throw ApplicationFailure.retryable('the receiving bank is temporarily unavailable', 'BANK_UNAVAILABLE');
    const known = bank.get(p.withdrawal_id);
    if (known) return known;
    if (p.nomor_rekening.startsWith('999')) {
      const n = (bankRequests.get(p.withdrawal_id) ?? 0) + 1;
      bankRequests.set(p.withdrawal_id, n);
      if (n <= 2) throw ApplicationFailure.retryable('the receiving bank is temporarily unavailable', 'BANK_UNAVAILABLE');
    }
    const closed = p.nomor_rekening.startsWith('000');
    const state = {
      idempotency_key: p.withdrawal_id,
      reference: `TRF-${p.withdrawal_id.slice(0, 8)}`,
      amount: p.amount,
      status: closed ? ('failed' as const) : ('queued' as const),
      bukti_transfer: closed ? null : `http://gw/mock-bank/transfer/TRF-${p.withdrawal_id.slice(0, 8)}`,
      completed_at: null,
      failure_reason: closed ? 'ACCOUNT_CLOSED: the receiving account is closed' : null,
    };
    bank.set(p.withdrawal_id, state);
    return state;
  },
  async cancelPayout(c) {
    calls.push({ name: 'cancelPayout', args: c });
    const known = bank.get(c.withdrawal_id);
    if (known) return known;
    const cancelled = { idempotency_key: c.withdrawal_id, reference: `TRF-${c.withdrawal_id.slice(0, 8)}`, amount: c.amount, status: 'failed' as const, bukti_transfer: null, completed_at: null, failure_reason: `CANCELLED: ${c.reason}` };
    bank.set(c.withdrawal_id, cancelled);
    return cancelled;
  },
  async checkPayout(c) {
    calls.push({ name: 'checkPayout', args: c });
    return bank.get(c.withdrawal_id) ?? null;
  },
  async approveWithdrawal(a) {
    calls.push({ name: 'approveWithdrawal', args: a });
  },
  async endWithdrawal(e) {
    calls.push({ name: 'endWithdrawal', args: e });
  },
  async completeWithdrawal(c) {
    calls.push({ name: 'completeWithdrawal', args: c });
  },
};

export interface Harness {
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundleWithSourceMap;
  stop(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const env = await createTimeSkippingEnv();
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: new DefaultLogger('ERROR') });
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle: bundle, activities: fakeActivities });
  const running = worker.run();
  return {
    env,
    bundle,
    async stop() {
      worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}

export function newOrder(overrides: Partial<OrderWorkflowInput> = {}): OrderWorkflowInput {
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

/** The payment as the API records it: the seed fees, expiring `expiryMs` after `createdAt`. */
export function paymentFor(input: OrderWorkflowInput, createdAt: number, expiryMs = DAY): PaymentView {
  const id = randomUUID();
  return {
    payment_id: id,
    pesanan_id: input.pesanan_id,
    transaction_id: `PAY-${createdAt}-${id.slice(0, 6).toUpperCase()}`,
    nomor_invoice: `INV/2026/11/${id.slice(0, 10).toUpperCase()}`,
    ...paymentFees(input.harga),
    metode_pembayaran: 'qris',
    channel: 'qris',
    status: 'menunggu',
    payment_url: `http://gw/mock-payment/MOCK-${id}`,
    payment_instructions: { type: 'QRIS', title: 'Scan', steps: [] },
    created_at: new Date(createdAt).toISOString(),
    expires_at: new Date(createdAt + expiryMs).toISOString(),
    dibayar_pada: null,
    gateway_status: null,
  };
}

/** Starts the order's workflow the way the API does: signal-with-start, the payment in the input and in the signal. */
export async function startWithPayment(h: Harness, input = newOrder(), expiryMs = DAY, taskQueue = TASK_QUEUE) {
  const payment = paymentFor(input, await h.env.currentTimeMs(), expiryMs);
  const handle = await h.env.client.workflow.signalWithStart('orderWorkflow', {
    taskQueue,
    workflowId: `order-${input.pesanan_id}`,
    args: [{ ...input, payment }],
    signal: paymentCreatedSignal,
    signalArgs: [payment],
  });
  return { input, handle: handle as WorkflowHandle, payment };
}

/** The escrow the database holds for a payment settled at `at`. */
export function escrowFor(input: OrderWorkflowInput, payment: PaymentView, at: number, autoReleaseMs = 7 * DAY): EscrowView {
  const a = payoutAmounts(payment.jumlah);
  return {
    escrow_id: randomUUID(),
    pembayaran_id: payment.payment_id,
    pesanan_id: input.pesanan_id,
    jumlah_ditahan: a.jumlah,
    biaya_platform: a.biaya_platform,
    jumlah_bersih: a.jumlah_bersih,
    status: 'held',
    ditahan_pada: new Date(at).toISOString(),
    akan_dirilis_pada: new Date(at + autoReleaseMs).toISOString(),
    dirilis_pada: null,
    dirilis_oleh: null,
    alasan: null,
  };
}

export async function settledOutcome(h: Harness, input: OrderWorkflowInput, payment: PaymentView, autoReleaseMs = 7 * DAY): Promise<PaymentOutcome> {
  const at = await h.env.currentTimeMs();
  return { payment_id: payment.payment_id, status: 'berhasil', gateway_status: 'settlement', dibayar_pada: new Date(at).toISOString(), escrow: escrowFor(input, payment, at, autoReleaseMs) };
}

/** The API's part after the database settled the payment: one signal. Resolves once the workflow holds the escrow. */
export async function settle(h: Harness, handle: WorkflowHandle, input: OrderWorkflowInput, payment: PaymentView, autoReleaseMs = 7 * DAY): Promise<OrderState> {
  await handle.signal(paymentOutcomeSignal, await settledOutcome(h, input, payment, autoReleaseMs));
  return eventually(handle, (s) => s.escrow !== null);
}

/** The workflow's state once `done` holds: a timer firing is followed by an activity, so give it a moment. */
export async function eventually(handle: WorkflowHandle, done: (s: OrderState) => boolean): Promise<OrderState> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const state = await handle.query(statusQuery);
    if (done(state) || Date.now() > deadline) return state;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function expectRejected(p: Promise<unknown>, type: string, message?: RegExp) {
  const err = await p.then(
    () => undefined,
    (e) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(err.cause).toBeInstanceOf(ApplicationFailure);
  expect(err.cause.type).toBe(type);
  if (message) expect(err.cause.message).toMatch(message);
}
