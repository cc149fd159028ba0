import { WorkflowFailedError, WorkflowHandle } from '@temporalio/client';
import { RefundStatusKey } from '../../workflows/search-attributes';
import {
  ERROR_TYPES,
  OrderState,
  RefundAccountRequest,
  RefundView,
  cancelOrderUpdate,
  payoutResultSignal,
  refundAccountUpdate,
  refundStatusQuery,
} from '../../workflows/messages';
import {
  Harness,
  acceptedUpdates,
  bank,
  bankCompletes,
  calls,
  callsFor,
  expectRejected,
  gatewayRefunds,
  hold,
  paidOrder,
  refundEventually,
  refundFailures,
  refundHandle,
  refusedRefunds,
  startHarness,
  startRefundWorkflow,
  until,
} from './harness';

/**
 * The refund workflow (refund-<id>): to the payment's source through the
 * gateway, or, for virtual account and bank transfer payments, to an account
 * the client gives, paid out like a withdrawal (idempotency key the refund id,
 * then <id>:2, … for each account given after the bank refused one).
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 180_000);
afterAll(async () => h?.stop());

const ACCOUNT: RefundAccountRequest = {
  user_id: 'client-1',
  metode_pencairan: 'transfer_bank',
  channel: 'bca',
  nomor_rekening: '1234567890',
  nama_pemilik: 'Client One',
};
const giveAccount = (handle: WorkflowHandle, o: Partial<RefundAccountRequest> = {}) =>
  handle.executeUpdate(refundAccountUpdate, { args: [{ ...ACCOUNT, ...o }] });
const payoutKeys = (refundId: string) => callsFor(refundId, 'requestPayout').map((c) => c.args.withdrawal_id as string);
/** A refund of a virtual account payment: it waits for the client's account. */
const waitingRefund = () => startRefundWorkflow(h, { status: 'menunggu_rekening', to_source: false, jumlah: 262_500 });

test('to the source: two temporary gateway failures, then paid exactly once', async () => {
  refundFailures.remaining = 2;
  const { input, handle } = await startRefundWorkflow(h, { jumlah: 157_500 });
  await expectRejected(
    giveAccount(handle),
    ERROR_TYPES.invalidTransition,
    /back to the payment's source; it needs no account/,
  );
  const result: RefundView = await handle.result(); // skips the retries' backoff (2 s, 4 s)
  expect(result).toEqual({
    refund_id: input.refund_id,
    pesanan_id: input.pesanan_id,
    client_id: 'client-1',
    jumlah: 157_500,
    status: 'completed',
    to_source: true,
  });
  expect(refundFailures.remaining).toBe(0);
  // three requests under the one refund's key; one refund at the gateway; recorded once
  expect(callsFor(input.refund_id, 'refundToSource').map((c) => c.args)).toEqual(
    Array(3).fill({ refund_id: input.refund_id, transaction_id: input.transaction_id, amount: 157_500 }),
  );
  expect([...gatewayRefunds.values()].filter((r) => r.transaction_id === input.transaction_id)).toEqual([
    gatewayRefunds.get(input.refund_id),
  ]);
  expect(callsFor(input.refund_id, 'completeRefund').map((c) => c.args)).toEqual([
    {
      refund_id: input.refund_id,
      referensi_gateway: `RFD-${input.refund_id.slice(0, 8)}`,
      selesai_pada: gatewayRefunds.get(input.refund_id)!.refunded_at,
    },
  ]);
  expect(callsFor(input.refund_id, 'requestPayout')).toEqual([]);
  expect((await handle.describe()).typedSearchAttributes.get(RefundStatusKey)).toBe('completed');
  const { history } = await handle.query(refundStatusQuery);
  expect(history.map((e) => e.event)).toEqual([
    `refund of Rp 157500 to the payment's source`,
    `refund of Rp 157500 completed (RFD-${input.refund_id.slice(0, 8)})`,
  ]);
});

test("to an account: waits in menunggu_rekening for days, then pays out to the account the client gives, on the bank's notification", async () => {
  const { input, handle } = await waitingRefund();
  await h.env.sleep('5d');
  expect(await handle.query(refundStatusQuery)).toMatchObject({ status: 'menunggu_rekening', to_source: false });
  expect((await handle.describe()).typedSearchAttributes.get(RefundStatusKey)).toBe('menunggu_rekening');
  expect(callsFor(input.refund_id, 'requestPayout')).toEqual([]);
  expect(callsFor(input.refund_id, 'refundToSource')).toEqual([]);

  await expectRejected(
    giveAccount(handle, { user_id: 'freelancer-1' }),
    ERROR_TYPES.forbidden,
    /only the order's client/,
  );
  await expectRejected(giveAccount(handle, { user_id: 'client-2' }), ERROR_TYPES.forbidden);
  expect(callsFor(input.refund_id, 'recordRefundAccount')).toEqual([]);

  const given = await giveAccount(handle, { user_id: 'CLIENT-1' });
  expect(given).toMatchObject({ refund_id: input.refund_id, status: 'processing' });
  expect(callsFor(input.refund_id, 'recordRefundAccount').map((c) => c.args)).toEqual([
    {
      refund_id: input.refund_id,
      metode: 'transfer_bank',
      channel: 'bca',
      nomor_rekening: '1234567890',
      nama_pemilik: 'Client One',
      client_id: 'client-1',
    },
  ]);
  await expectRejected(giveAccount(handle), ERROR_TYPES.invalidTransition, /refund is processing/);
  await until(() => bank.get(input.refund_id)?.status === 'queued');
  expect(callsFor(input.refund_id, 'requestPayout').map((c) => c.args)).toEqual([
    {
      withdrawal_id: input.refund_id,
      amount: 262_500,
      method: 'transfer_bank',
      channel: 'bca',
      nomor_rekening: '1234567890',
      nama_pemilik: 'Client One',
    },
  ]);
  expect(callsFor(input.refund_id, 'completeRefund')).toEqual([]);

  const done = bankCompletes(input.refund_id);
  await handle.signal(payoutResultSignal, done);
  await handle.signal(payoutResultSignal, done); // the gateway's retry changes nothing
  expect(await handle.result()).toMatchObject({ status: 'completed', jumlah: 262_500 });
  expect(callsFor(input.refund_id, 'completeRefund').map((c) => c.args)).toEqual([
    { refund_id: input.refund_id, referensi_gateway: done.reference, selesai_pada: done.completed_at },
  ]);
  expect(payoutKeys(input.refund_id)).toEqual([input.refund_id]);
  expect(callsFor(input.refund_id, 'failRefund')).toEqual([]);
});

test("to an account whose notification never comes: the gateway's status endpoint finds it paid", async () => {
  const { input, handle } = await waitingRefund();
  await giveAccount(handle);
  await until(() => bank.get(input.refund_id)?.status === 'queued');
  bankCompletes(input.refund_id); // paid, but the notification is lost
  await h.env.sleep('61s');
  expect(await handle.result()).toMatchObject({ status: 'completed' });
  expect(callsFor(input.refund_id, 'checkPayout').length).toBeGreaterThanOrEqual(1);
  expect(callsFor(input.refund_id, 'completeRefund')).toHaveLength(1);
  expect(payoutKeys(input.refund_id)).toEqual([input.refund_id]);
});

test('the account given twice at once: one is recorded, the other refused', async () => {
  const { input, handle } = await waitingRefund();
  const open = hold(`account:${input.refund_id}`);
  const first = giveAccount(handle);
  await until(() => callsFor(input.refund_id, 'recordRefundAccount').length === 1);
  await expectRejected(
    giveAccount(handle, { nomor_rekening: '2234567890' }),
    ERROR_TYPES.invalidTransition,
    /already being recorded/,
  );
  open();
  expect((await first).status).toBe('processing');
  // and truly concurrently, on another refund: exactly one of the two
  const other = await waitingRefund();
  const both = await Promise.allSettled([
    giveAccount(other.handle),
    giveAccount(other.handle, { nomor_rekening: '2234567890' }),
  ]);
  expect(both.map((b) => b.status).sort()).toEqual(['fulfilled', 'rejected']);
  const refused = both.find((b): b is PromiseRejectedResult => b.status === 'rejected')!;
  await expectRejected(
    Promise.reject(refused.reason),
    ERROR_TYPES.invalidTransition,
    /already being recorded|refund is processing/,
  );
  expect(callsFor(other.input.refund_id, 'recordRefundAccount')).toHaveLength(1);
  for (const r of [input, other.input]) {
    await until(() => bank.has(r.refund_id));
    expect(payoutKeys(r.refund_id)).toEqual([r.refund_id]);
    await h.env.client.workflow
      .getHandle(`refund-${r.refund_id}`)
      .signal(payoutResultSignal, bankCompletes(r.refund_id));
  }
  expect(await handle.result()).toMatchObject({ status: 'completed' });
  expect(await other.handle.result()).toMatchObject({ status: 'completed' });
});

test('a closed account (000…): the refund fails until the client gives another, which is paid under <id>:2', async () => {
  const { input, handle } = await waitingRefund();
  await giveAccount(handle, { nomor_rekening: '0001234567' });
  const failed = await refundEventually(handle, (r) => r.status === 'failed');
  expect(failed.status).toBe('failed');
  expect(callsFor(input.refund_id, 'failRefund').map((c) => c.args)).toEqual([
    { refund_id: input.refund_id, reason: 'ACCOUNT_CLOSED: the receiving account is closed' },
  ]);
  expect((await handle.describe()).typedSearchAttributes.get(RefundStatusKey)).toBe('failed');
  await h.env.sleep('2d');
  expect(payoutKeys(input.refund_id)).toEqual([input.refund_id]); // nothing more without an account
  await expectRejected(giveAccount(handle, { user_id: 'freelancer-1' }), ERROR_TYPES.forbidden);

  expect((await giveAccount(handle, { nomor_rekening: '2234567890' })).status).toBe('processing');
  const second = `${input.refund_id}:2`;
  await until(() => bank.get(second)?.status === 'queued');
  expect(callsFor(second, 'requestPayout').map((c) => c.args)).toEqual([
    expect.objectContaining({ withdrawal_id: second, amount: 262_500, nomor_rekening: '2234567890' }),
  ]);
  await handle.signal(payoutResultSignal, bankCompletes(second));
  expect(await handle.result()).toMatchObject({ status: 'completed' });
  expect(payoutKeys(input.refund_id)).toEqual([input.refund_id, second]);
  expect(callsFor(input.refund_id, 'failRefund')).toHaveLength(1);
  expect(callsFor(input.refund_id, 'completeRefund').map((c) => c.args.referensi_gateway)).toEqual([
    bank.get(second)!.reference,
  ]);
  const events = (await handle.query(refundStatusQuery)).history.map((e) => e.event);
  expect(events).toEqual([
    "refund of Rp 262500 waiting for the client's account",
    'account given by the client (transfer_bank, bca); paying the refund out to it',
    'the bank refused the account: ACCOUNT_CLOSED: the receiving account is closed; waiting for the client to give another',
    'account given by the client (transfer_bank, bca); paying the refund out to it',
    `refund of Rp 262500 completed (${bank.get(second)!.reference})`,
  ]);
  expect(
    calls.filter((c) => c.name === 'requestPayout' && c.args.withdrawal_id.startsWith(input.refund_id)),
  ).toHaveLength(2);
});

test('race: the client gives another account as soon as the database says failed, before the workflow has heard it: accepted, paid under <id>:2', async () => {
  const { input, handle } = await waitingRefund();
  const committed = hold(`fail-refund:${input.refund_id}`);
  let given!: ReturnType<typeof giveAccount>;
  try {
    await giveAccount(handle, { nomor_rekening: '0001234567' });
    // the bank refused it; the failure is being recorded (the client polling the refund may already read `failed`)
    await until(() => callsFor(input.refund_id, 'failRefund').length === 1);
    expect((await handle.query(refundStatusQuery)).status).toBe('processing');
    given = giveAccount(handle, { nomor_rekening: '2234567890' });
    // accepted (it waits inside the workflow for the failure to be recorded); a third account meanwhile is refused
    await until(async () => (await acceptedUpdates(handle, 'giveRefundAccount')) === 2);
    await expectRejected(
      giveAccount(handle, { nomor_rekening: '3234567890' }),
      ERROR_TYPES.invalidTransition,
      /already being recorded/,
    );
  } finally {
    committed(); // (also when a check above fails: a held activity would keep the worker from stopping)
  }
  expect((await given).status).toBe('processing');
  const second = `${input.refund_id}:2`;
  await until(() => bank.get(second)?.status === 'queued');
  await handle.signal(payoutResultSignal, bankCompletes(second));
  expect(await handle.result()).toMatchObject({ status: 'completed' });
  expect(payoutKeys(input.refund_id)).toEqual([input.refund_id, second]);
  expect(callsFor(input.refund_id, 'recordRefundAccount').map((c) => c.args.nomor_rekening)).toEqual([
    '0001234567',
    '2234567890',
  ]);
  expect((await handle.query(refundStatusQuery)).history.map((e) => e.event)).toEqual([
    "refund of Rp 262500 waiting for the client's account",
    'account given by the client (transfer_bank, bca); paying the refund out to it',
    'the bank refused the account: ACCOUNT_CLOSED: the receiving account is closed; waiting for the client to give another',
    'account given by the client (transfer_bank, bca); paying the refund out to it',
    `refund of Rp 262500 completed (${bank.get(second)!.reference})`,
  ]);
});

test("a new run of a refund (the sweep, after its account was given) pays under the key of the account the database counted, never a refused one's", async () => {
  // the client gave a third account (the first two refused under <id> and <id>:2); the refund's run is started again with it
  const account = {
    user_id: 'client-1',
    metode_pencairan: 'transfer_bank' as const,
    channel: 'bca',
    nomor_rekening: '3234567890',
    nama_pemilik: 'Client Satu',
  };
  const { input, handle } = await startRefundWorkflow(h, {
    status: 'processing',
    to_source: false,
    account,
    account_attempt: 3,
  });
  const third = `${input.refund_id}:3`;
  await until(() => bank.get(third)?.status === 'queued');
  expect(payoutKeys(input.refund_id)).toEqual([third]);
  await handle.signal(payoutResultSignal, bankCompletes(third));
  expect(await handle.result()).toMatchObject({ status: 'completed' });
  expect(callsFor(input.refund_id, 'completeRefund').map((c) => c.args.referensi_gateway)).toEqual([
    bank.get(third)!.reference,
  ]);
});

test('a refund the gateway refuses for good fails its own workflow; the order that started it records that and finishes', async () => {
  const { handle: order, payment } = await paidOrder(h);
  refusedRefunds.add(payment.transaction_id);
  const answer = await order.executeUpdate(cancelOrderUpdate, {
    args: [{ user_id: 'admin-1', role: 'admin', alasan: 'duplicate order' }],
  });
  const refund = refundHandle(h, answer.refund_id!);
  await expect(refund.result()).rejects.toThrow(WorkflowFailedError);
  expect((await refund.describe()).status.name).toBe('FAILED');
  expect(callsFor(answer.refund_id!, 'refundToSource')).toHaveLength(1); // refused for good: not retried
  expect(callsFor(answer.refund_id!, 'completeRefund')).toEqual([]);
  const result: OrderState = await order.result();
  expect(result).toMatchObject({
    order_status: 'refunded',
    escrow: { status: 'refunded' },
    refund: { refund_id: answer.refund_id, status: 'processing' },
  });
  // it names the gateway's own reason (the innermost cause), not the child's "Activity task failed"
  expect(result.history.at(-1)!.event).toMatch(
    new RegExp(
      `^refund ${answer.refund_id} did not complete \\(.*nothing to refund.*\\); see workflow refund-${answer.refund_id}$`,
    ),
  );
  refusedRefunds.delete(payment.transaction_id);
});
