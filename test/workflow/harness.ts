import { randomUUID } from 'node:crypto';
import { WorkflowHandle, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, QueryDefinition } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, WorkflowBundleWithSourceMap, bundleWorkflowCode } from '@temporalio/worker';
import type { OrderActivities } from '../../activities';
import { paymentFees, payoutAmounts, refundSplit } from '../../domain/money';
import { refundsToSource } from '../../domain/methods';
import type { RefundState } from '../../gateway/mock-gateway';
import type { EscrowView, PaymentOutcome, PaymentView, RefundRecord } from '../../domain/records';
import type { OrderStatus } from '../../domain/statuses';
import {
  OrderState,
  OrderWorkflowInput,
  PayoutState,
  REFUND_WORKFLOW_TYPE,
  RefundView,
  RefundWorkflowInput,
  WithdrawRequest,
  paymentCreatedSignal,
  paymentOutcomeSignal,
  payoutResultSignal,
  refundStatusQuery,
  statusQuery,
  withdrawUpdate,
} from '../../workflows/messages';
import type { refundWorkflow } from '../../workflows/refund';
import { refundWorkflowId } from '../../domain/ids';
import { createTimeSkippingEnv } from '../helpers/temporal';
import { findBinary } from '../../scripts/temporal-binaries';
import {
  DisputeStatusKey,
  EscrowStatusKey,
  OrderIdKey,
  OrderStatusKey,
  PaymentStatusKey,
  RefundStatusKey,
  SEARCH_ATTRIBUTE_NAMES,
  TransactionIdKey,
  WithdrawalStatusKey,
} from '../../workflows/search-attributes';

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
/** The payment behind each escrow the harness made (escrowFor): what a dispute's decision or a cancellation refunds. */
export const escrowPayments = new Map<string, PaymentView>();
/** Escrows whose next dispute or cancellation the fake database refuses (it finds the escrow moved). */
export const refusedInDatabase = new Set<string>();
/** The fake gateway's refunds to source by refund id, and how many refund requests fail temporarily before one goes through. */
export const gatewayRefunds = new Map<string, RefundState>();
export const refundFailures = { remaining: 0 };
/** How many accounts the client has given, by refund (the fake database's `rekening_ke`). */
export const accountsGiven = new Map<string, number>();
/** Payments (by transaction id) whose refund to source the gateway refuses for good (REFUND_REFUSED: nothing settled). */
export const refusedRefunds = new Set<string>();
export const callsFor = (id: string, name?: keyof OrderActivities) =>
  calls.filter((c) => JSON.stringify(c.args).includes(id) && (!name || c.name === name));

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
    return (
      databaseDecided.get(e.payment_id) ?? {
        payment_id: e.payment_id,
        status: 'kadaluarsa',
        gateway_status: null,
        dibayar_pada: null,
        escrow: null,
      }
    );
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
  async openDispute(d) {
    calls.push({ name: 'openDispute', args: d });
    await gates.get(`dispute:${d.escrow_id}`);
    if (refusedInDatabase.delete(d.escrow_id))
      return { kind: 'refused', escrow_status: 'released', order_status: 'selesai' };
    const at = d.at;
    const payment = escrowPayments.get(d.escrow_id)!;
    return {
      kind: 'opened',
      dispute: {
        id: d.id,
        escrow_id: d.escrow_id,
        pesanan_id: payment.pesanan_id,
        client_id: 'client-1',
        freelancer_id: 'freelancer-1',
        dibuka_oleh: d.user_id,
        peran_pembuka: d.role,
        alasan: d.alasan,
        status: 'open',
        keputusan: null,
        jumlah_freelancer: null,
        diputuskan_oleh: null,
        alasan_keputusan: null,
        dibuka_pada: at,
        diputuskan_pada: null,
        created_at: at,
        updated_at: at,
      },
    };
  },
  async resolveDispute(r) {
    calls.push({ name: 'resolveDispute', args: r });
    await gates.get(`resolve:${r.escrow_id}`);
    const payment = escrowPayments.get(r.escrow_id)!;
    const x = r.keputusan === 'partial' ? r.jumlah_freelancer! : r.keputusan === 'release' ? payment.jumlah : 0;
    const share = payoutAmounts(x || payment.jumlah);
    const status = r.keputusan === 'release' ? 'released' : r.keputusan === 'partial' ? 'partial_released' : 'refunded';
    const escrow = {
      id: r.escrow_id,
      pembayaran_id: payment.payment_id,
      pesanan_id: payment.pesanan_id,
      client_id: 'client-1',
      freelancer_id: 'freelancer-1',
      jumlah_ditahan: payment.jumlah,
      biaya_platform: share.biaya_platform,
      jumlah_bersih: share.jumlah_bersih,
      status,
      ditahan_pada: r.at,
      akan_dirilis_pada: r.at,
      dirilis_pada: r.keputusan === 'refund' ? null : r.at,
      dirilis_oleh: r.keputusan === 'refund' ? null : 'admin',
      alasan: r.alasan,
      jumlah_dirilis: r.keputusan === 'partial' ? x : null,
      created_at: r.at,
      updated_at: r.at,
    } as const;
    const dispute = {
      id: 'd',
      escrow_id: r.escrow_id,
      pesanan_id: payment.pesanan_id,
      client_id: 'client-1',
      freelancer_id: 'freelancer-1',
      dibuka_oleh: 'client-1',
      peran_pembuka: 'client',
      alasan: '',
      status: 'resolved',
      keputusan: r.keputusan,
      jumlah_freelancer: r.keputusan === 'partial' ? x : null,
      diputuskan_oleh: r.admin_id,
      alasan_keputusan: r.alasan,
      dibuka_pada: r.at,
      diputuskan_pada: r.at,
      created_at: r.at,
      updated_at: r.at,
    } as const;
    const refund =
      r.keputusan === 'release' ? null : fakeRefund(r.refund_id, payment, refundSplit(payment, x).jumlah_refund, r.at);
    return { kind: 'resolved', dispute, escrow, refund };
  },
  async refundEscrow(c) {
    calls.push({ name: 'refundEscrow', args: c });
    await gates.get(`cancel:${c.escrow_id}`);
    if (refusedInDatabase.delete(c.escrow_id))
      return { kind: 'refused', escrow_status: 'released', order_status: 'selesai' };
    const payment = escrowPayments.get(c.escrow_id)!;
    return {
      kind: 'refunded',
      refund: fakeRefund(c.refund_id, payment, refundSplit(payment, 0).jumlah_refund, new Date().toISOString()),
    };
  },
  async refundToSource(r) {
    calls.push({ name: 'refundToSource', args: r });
    await gates.get(`refund:${r.transaction_id}`);
    if (refusedRefunds.has(r.transaction_id))
      throw ApplicationFailure.nonRetryable(
        `transaction ${r.transaction_id} has not settled; there is nothing to refund`,
        'REFUND_REFUSED',
      );
    const known = gatewayRefunds.get(r.refund_id);
    if (known) return known;
    if (refundFailures.remaining > 0) {
      refundFailures.remaining--;
      throw ApplicationFailure.retryable('the gateway could not process the refund now', 'GATEWAY_UNAVAILABLE');
    }
    const done = {
      idempotency_key: r.refund_id,
      transaction_id: r.transaction_id,
      amount: r.amount,
      reference: `RFD-${r.refund_id.slice(0, 8)}`,
      refunded_at: new Date().toISOString(),
    };
    gatewayRefunds.set(r.refund_id, done);
    return done;
  },
  async recordRefundAccount(a) {
    calls.push({ name: 'recordRefundAccount', args: a });
    await gates.get(`account:${a.refund_id}`);
    // the database counts the accounts given: the n-th is paid out under `<id>:n`
    const attempt = (accountsGiven.get(a.refund_id) ?? 0) + 1;
    accountsGiven.set(a.refund_id, attempt);
    return { changed: true, status: 'processing' as const, attempt };
  },
  async completeRefund(c) {
    calls.push({ name: 'completeRefund', args: c });
  },
  async failRefund(f) {
    calls.push({ name: 'failRefund', args: f });
    await gates.get(`fail-refund:${f.refund_id}`);
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
    return {
      reference: `TRF-${p.withdrawal_id.slice(0, 8)}`,
      bukti_transfer: `https://mock-bank.com/transfer/${p.withdrawal_id}.pdf`,
      completed_at: new Date().toISOString(),
    };
  },
  // The bank as the payout desk sees it: idempotent by withdrawal id, with the sandbox's test accounts
  // (000… closed, 999… two temporary failures first). Tests complete a queued payout by changing `bank`.
  async requestPayout(p) {
    calls.push({ name: 'requestPayout', args: p });
    await gates.get(p.withdrawal_id);
    if (failingPayouts.has(p.nama_pemilik))
      throw ApplicationFailure.retryable('the receiving bank is temporarily unavailable', 'BANK_UNAVAILABLE');
    const known = bank.get(p.withdrawal_id);
    if (known) return known;
    if (p.nomor_rekening.startsWith('999')) {
      const n = (bankRequests.get(p.withdrawal_id) ?? 0) + 1;
      bankRequests.set(p.withdrawal_id, n);
      if (n <= 2)
        throw ApplicationFailure.retryable('the receiving bank is temporarily unavailable', 'BANK_UNAVAILABLE');
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
    const cancelled = {
      idempotency_key: c.withdrawal_id,
      reference: `TRF-${c.withdrawal_id.slice(0, 8)}`,
      amount: c.amount,
      status: 'failed' as const,
      bukti_transfer: null,
      completed_at: null,
      failure_reason: `CANCELLED: ${c.reason}`,
    };
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
    await gates.get(`end-withdrawal:${e.withdrawal_id}`);
  },
  async completeWithdrawal(c) {
    calls.push({ name: 'completeWithdrawal', args: c });
  },
};

/** The refund record the fake database writes: to the source for QRIS, e-wallet and card payments, else waiting for an account. */
function fakeRefund(id: string, payment: PaymentView, jumlah: number, at: string): RefundRecord {
  const toSource = refundsToSource(payment.metode_pembayaran);
  return {
    id,
    pembayaran_id: payment.payment_id,
    pesanan_id: payment.pesanan_id,
    client_id: 'client-1',
    jumlah,
    jenis: 'escrow_refund',
    alasan: '',
    metode: 'source',
    channel: null,
    nomor_rekening: null,
    nama_pemilik: null,
    status: toSource ? 'processing' : 'menunggu_rekening',
    rekening_ke: 0,
    referensi_gateway: null,
    failure_reason: null,
    workflow_started: false,
    selesai_pada: null,
    created_at: at,
    updated_at: at,
  };
}

export interface Harness {
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundleWithSourceMap;
  stop(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const env = await createTimeSkippingEnv();
  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: new DefaultLogger('ERROR'),
  });
  return withWorker(env, bundle);
}

/** A worker with the fake activities on TASK_QUEUE of `env`; stop() shuts it down and tears the server down. */
async function withWorker(env: TestWorkflowEnvironment, bundle: WorkflowBundleWithSourceMap): Promise<Harness> {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowBundle: bundle,
    activities: fakeActivities,
  });
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
export async function startWithPayment(
  h: Harness,
  input = newOrder(),
  expiryMs = DAY,
  taskQueue = TASK_QUEUE,
  overrides: Partial<PaymentView> = {},
) {
  const payment = { ...paymentFor(input, await h.env.currentTimeMs(), expiryMs), ...overrides };
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
export function escrowFor(
  input: OrderWorkflowInput,
  payment: PaymentView,
  at: number,
  autoReleaseMs = 7 * DAY,
): EscrowView {
  const a = payoutAmounts(payment.jumlah);
  const id = randomUUID();
  escrowPayments.set(id, payment);
  return {
    escrow_id: id,
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

export async function settledOutcome(
  h: Harness,
  input: OrderWorkflowInput,
  payment: PaymentView,
  autoReleaseMs = 7 * DAY,
): Promise<PaymentOutcome> {
  const at = await h.env.currentTimeMs();
  return {
    payment_id: payment.payment_id,
    status: 'berhasil',
    gateway_status: 'settlement',
    dibayar_pada: new Date(at).toISOString(),
    escrow: escrowFor(input, payment, at, autoReleaseMs),
  };
}

/** The API's part after the database settled the payment: one signal. Resolves once the workflow holds the escrow. */
export async function settle(
  h: Harness,
  handle: WorkflowHandle,
  input: OrderWorkflowInput,
  payment: PaymentView,
  autoReleaseMs = 7 * DAY,
): Promise<OrderState> {
  await handle.signal(paymentOutcomeSignal, await settledOutcome(h, input, payment, autoReleaseMs));
  return eventually(handle, (s) => s.escrow !== null);
}

/**
 * What `query` answers once `done` holds (or after 30 s, the last answer): a timer firing is followed by an
 * activity, so give it a moment; on a loaded 2-core machine (two suites side by side) one workflow task has taken 8 s.
 */
async function queryUntil<T>(handle: WorkflowHandle, query: QueryDefinition<T>, done: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const v = await handle.query(query);
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The order workflow's state once `done` holds. */
export const eventually = (handle: WorkflowHandle, done: (s: OrderState) => boolean): Promise<OrderState> =>
  queryUntil(handle, statusQuery, done);

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

/** A virtual account payment: its refund waits for the client's account (QRIS, the default, is refunded to its source). */
export const VIRTUAL_ACCOUNT: Partial<PaymentView> = { metode_pembayaran: 'virtual_account', channel: 'bca' };

/** An order whose payment settled: the escrow is held (7 days unless `input` says otherwise). */
export async function paidOrder(h: Harness, overrides: Partial<PaymentView> = {}, input = newOrder()) {
  const { handle, payment } = await startWithPayment(h, input, DAY, TASK_QUEUE, overrides);
  const state = await settle(h, handle, input, payment);
  return { input, handle, payment, escrow: state.escrow! };
}

/** How many updates (of one name, if given) the workflow's history shows accepted: an accepted update may still be waiting inside the workflow. */
export async function acceptedUpdates(handle: WorkflowHandle, name?: string): Promise<number> {
  const events = (await handle.fetchHistory()).events ?? [];
  return events.filter(
    (e) =>
      e.workflowExecutionUpdateAcceptedEventAttributes &&
      (name === undefined || e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest?.input?.name === name),
  ).length;
}

/** Polls (in real time) until `what` holds (30 s by default: see queryUntil). */
export async function until(what: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Holds the activity behind `key` (see `gates`) until the returned function is called. */
export function hold(key: string): () => void {
  let open!: () => void;
  gates.set(key, new Promise<void>((r) => (open = r)));
  return () => {
    open();
    gates.delete(key);
  };
}

/** A refund workflow's handle (refund-<id>), and its state once `done` holds. */
export function refundHandle(h: Harness, refundId: string): WorkflowHandle<typeof refundWorkflow> {
  return h.env.client.workflow.getHandle(refundWorkflowId(refundId));
}
export const refundEventually = (handle: WorkflowHandle, done: (r: RefundView) => boolean): Promise<RefundView> =>
  queryUntil(handle, refundStatusQuery, done);

/** Starts a refund's workflow directly (as the sweep does), on the harness's queue. */
export async function startRefundWorkflow(h: Harness, overrides: Partial<RefundWorkflowInput> = {}) {
  const input: RefundWorkflowInput = {
    refund_id: randomUUID(),
    pesanan_id: randomUUID(),
    client_id: 'client-1',
    jumlah: 262_500,
    status: 'processing',
    to_source: true,
    transaction_id: `PAY-${await h.env.currentTimeMs()}-${randomUUID().slice(0, 6).toUpperCase()}`,
    ...overrides,
  };
  const handle = await h.env.client.workflow.start<typeof refundWorkflow>(REFUND_WORKFLOW_TYPE, {
    taskQueue: TASK_QUEUE,
    workflowId: refundWorkflowId(input.refund_id),
    args: [input],
  });
  return { input, handle };
}

/**
 * Resolves once the workflow is idle: its last workflow task completed (updates' events may follow it). The
 * time-skipping server never skips time again after a workflow is terminated while one of its workflow tasks
 * is in flight, and a history fetched then ends mid-task.
 */
export async function untilIdle(handle: WorkflowHandle): Promise<void> {
  await until(async () => {
    const events = (await handle.fetchHistory()).events ?? [];
    const task = events
      .filter(
        (e) =>
          e.workflowTaskScheduledEventAttributes ||
          e.workflowTaskStartedEventAttributes ||
          e.workflowTaskCompletedEventAttributes ||
          e.workflowTaskFailedEventAttributes ||
          e.workflowTaskTimedOutEventAttributes,
      )
      .at(-1);
    return task?.workflowTaskCompletedEventAttributes != null;
  });
}

/** Terminates a workflow (unless it has ended) once it is idle. */
export async function terminateWhenIdle(handle: WorkflowHandle): Promise<void> {
  await untilIdle(handle);
  if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test done');
}

/** The freelancer's withdraw request (auto-processed: paid out at once). */
export function withdrawRequest(o: Partial<WithdrawRequest> = {}): WithdrawRequest {
  return {
    freelancer_id: 'freelancer-1',
    metode_pencairan: 'transfer_bank',
    channel: 'bca',
    nomor_rekening: '1234567890',
    nama_pemilik: 'John Doe',
    auto_process: true,
    payout_max_attempts: 8,
    payout_status_check_after: '1m',
    ...o,
  };
}

/** Withdraws (auto-processed), lets the bank complete the payout, and answers the withdrawal, its record and the request the gateway got. */
export async function withdrawAndPay(handle: WorkflowHandle, pesananId: string) {
  const answer = handle.executeUpdate(withdrawUpdate, { args: [withdrawRequest()] });
  const created = () => calls.find((c) => c.name === 'createWithdrawal' && c.args.pesanan_id === pesananId);
  await until(() => created() !== undefined);
  const id: string = created()!.args.id;
  await until(() => bank.has(id));
  await handle.signal(payoutResultSignal, bankCompletes(id));
  const withdrawal = await answer;
  return { withdrawal, created: created()!.args, payout: callsFor(id, 'requestPayout')[0].args };
}

const SEARCH_ATTRIBUTE_KEYS = [
  OrderIdKey,
  TransactionIdKey,
  PaymentStatusKey,
  EscrowStatusKey,
  OrderStatusKey,
  WithdrawalStatusKey,
  DisputeStatusKey,
  RefundStatusKey,
];

/**
 * A real server (`temporal server start-dev`, in memory) with a worker on the harness's queue: for races whose
 * timing the time-skipping server cannot run. Its clock is the wall clock.
 */
export async function startDevServerHarness(bundle: WorkflowBundleWithSourceMap): Promise<Harness> {
  const missing = SEARCH_ATTRIBUTE_NAMES.filter((n) => !SEARCH_ATTRIBUTE_KEYS.some((k) => k.name === n));
  if (missing.length) throw new Error(`add ${missing.join(', ')} to SEARCH_ATTRIBUTE_KEYS (harness.ts)`);
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: findBinary('temporal') },
      searchAttributes: SEARCH_ATTRIBUTE_KEYS,
    },
  });
  return withWorker(env, bundle);
}
