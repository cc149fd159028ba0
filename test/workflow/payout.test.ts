import { Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import type { OrderActivities } from '../../activities';
import {
  ERROR_TYPES,
  WithdrawRequest,
  decideWithdrawalUpdate,
  payoutResultSignal,
  releaseEscrowUpdate,
  withdrawUpdate,
} from '../../workflows/messages';
import {
  Harness,
  TASK_QUEUE,
  acceptedUpdates,
  bank,
  bankCompletes,
  calls,
  eventually,
  expectRejected,
  failingPayouts,
  fakeActivities,
  gates,
  hold,
  newOrder,
  settle,
  startHarness,
  startWithPayment,
  until,
} from './harness';

/**
 * The payout desk on the time-skipping server: approval, rejection, payouts
 * the bank refuses for good or for a while, notifications that never come,
 * and a worker that stops in the middle of a payout. The gateway is the
 * harness's fake bank (idempotent by withdrawal id, with the sandbox's 000 and
 * 999 test accounts).
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 180_000);
afterAll(async () => h?.stop());

const request = (o: Partial<WithdrawRequest> = {}): WithdrawRequest => ({
  freelancer_id: 'freelancer-1',
  metode_pencairan: 'transfer_bank',
  channel: 'bca',
  nomor_rekening: '1234567890',
  nama_pemilik: 'John Doe',
  auto_process: true,
  payout_max_attempts: 8,
  payout_status_check_after: '1m',
  ...o,
});

async function released(taskQueue = TASK_QUEUE) {
  const { input, handle, payment } = await startWithPayment(h, newOrder(), undefined, taskQueue);
  await settle(h, handle, input, payment);
  await handle.executeUpdate(releaseEscrowUpdate, { args: [{ user_id: 'client-1', reason: null }] });
  return { input, handle };
}

const callsOf = (name: keyof OrderActivities, withdrawalId: string) =>
  calls.filter((c) => c.name === name && c.args.withdrawal_id === withdrawalId);
/** The withdrawals an order recorded, and what reached the (fake) gateway for any of them. */
const withdrawalsOf = (pesananId: string) =>
  calls.filter((c) => c.name === 'createWithdrawal' && c.args.pesanan_id === pesananId).map((c) => c.args.id as string);
const payoutRequestsOf = (pesananId: string) =>
  calls.filter((c) => c.name === 'requestPayout' && withdrawalsOf(pesananId).includes(c.args.withdrawal_id));
const gatewayPayoutsOf = (pesananId: string) => withdrawalsOf(pesananId).filter((id) => bank.has(id));
const withdraw = (handle: WorkflowHandle, o: Partial<WithdrawRequest> = {}) =>
  handle.executeUpdate(withdrawUpdate, { args: [request(o)] });
const decide = (
  handle: WorkflowHandle,
  withdrawal_id: string,
  decision: 'approve' | 'reject',
  alasan: string | null = null,
) => handle.executeUpdate(decideWithdrawalUpdate, { args: [{ withdrawal_id, decision, admin_id: 'admin-1', alasan }] });

async function waitForCall(name: keyof OrderActivities, pred: (args: any) => boolean) {
  const deadline = Date.now() + 10_000;
  while (!calls.some((c) => c.name === name && pred(c.args)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  return calls.find((c) => c.name === name && pred(c.args))!;
}

test("auto-processed: the payout is requested once with the withdrawal id as idempotency key and completes on the bank's notification", async () => {
  const { input, handle } = await released();
  await expectRejected(withdraw(handle, { freelancer_id: 'intruder' }), ERROR_TYPES.forbidden);
  const answer = withdraw(handle);
  const sent = await waitForCall(
    'requestPayout',
    (a) =>
      a.nomor_rekening === '1234567890' &&
      calls.some(
        (c) => c.name === 'createWithdrawal' && c.args.id === a.withdrawal_id && c.args.pesanan_id === input.pesanan_id,
      ),
  );
  const id = sent.args.withdrawal_id;
  await eventually(handle, () => bank.has(id));
  await handle.signal(payoutResultSignal, bankCompletes(id));
  await handle.signal(payoutResultSignal, bank.get(id)!); // the gateway's retry: a repeat changes nothing
  const done = await answer;
  expect(done).toMatchObject({
    withdrawal_id: id,
    status: 'completed',
    jumlah: 250_000,
    biaya_platform: 12_500,
    jumlah_bersih: 237_500,
    channel: 'bca',
  });
  const result = await handle.result();
  expect(result.escrow?.status).toBe('completed');
  expect(callsOf('requestPayout', id)).toHaveLength(1);
  expect(callsOf('requestPayout', id)[0].args).toMatchObject({ amount: 237_500, channel: 'bca' });
  expect(callsOf('completeWithdrawal', id)).toHaveLength(1);
  expect(callsOf('completeWithdrawal', id)[0].args.bukti_transfer).toContain('/mock-bank/transfer/');
  const described = await handle.describe();
  expect(described.searchAttributes.WithdrawalStatus).toEqual(['completed']);
  expect(described.searchAttributes.EscrowStatus).toEqual(['completed']);
});

test('approval: a pending withdrawal pays nothing until an admin approves; then it completes; a second decision is refused', async () => {
  const { handle } = await released();
  const pending = await withdraw(handle, { auto_process: false });
  expect(pending.status).toBe('pending');
  await expectRejected(withdraw(handle), ERROR_TYPES.invalidTransition, /pending withdrawal/);
  await h.env.sleep('3d');
  expect(callsOf('requestPayout', pending.withdrawal_id)).toHaveLength(0);
  await expectRejected(decide(handle, 'not-this-one', 'approve'), ERROR_TYPES.notFound);
  const approved = await decide(handle, pending.withdrawal_id, 'approve');
  expect(approved.status).toBe('processing');
  await expectRejected(
    decide(handle, pending.withdrawal_id, 'reject', 'too late'),
    ERROR_TYPES.invalidTransition,
    /withdrawal is processing/,
  );
  expect(callsOf('approveWithdrawal', pending.withdrawal_id)).toEqual([
    { name: 'approveWithdrawal', args: { withdrawal_id: pending.withdrawal_id, admin_id: 'admin-1' } },
  ]);
  await eventually(handle, () => bank.has(pending.withdrawal_id));
  await handle.signal(payoutResultSignal, bankCompletes(pending.withdrawal_id));
  expect((await handle.result()).withdrawal).toMatchObject({
    withdrawal_id: pending.withdrawal_id,
    status: 'completed',
  });
  expect(callsOf('requestPayout', pending.withdrawal_id)).toHaveLength(1);
});

test('an admin deciding while the withdrawal is still being recorded gets 409 (try again), not 404; then the decision goes through', async () => {
  const { input, handle } = await released();
  let open!: () => void;
  gates.set(`withdrawal:${input.pesanan_id}`, new Promise<void>((r) => (open = r)));
  const answer = withdraw(handle, { auto_process: false });
  const created = await waitForCall('createWithdrawal', (a) => a.pesanan_id === input.pesanan_id);
  await expectRejected(
    decide(handle, created.args.id, 'reject', 'too early'),
    ERROR_TYPES.invalidTransition,
    /still being recorded/,
  );
  open();
  expect((await answer).status).toBe('pending');
  expect((await decide(handle, created.args.id, 'reject', 'now')).status).toBe('rejected');
});

test('rejection returns the money: the freelancer withdraws again, and the second withdrawal completes', async () => {
  const { handle } = await released();
  const first = await withdraw(handle, { auto_process: false });
  const rejected = await decide(handle, first.withdrawal_id, 'reject', "the account holder's name does not match");
  expect(rejected).toMatchObject({ status: 'rejected', alasan: "the account holder's name does not match" });
  expect(callsOf('endWithdrawal', first.withdrawal_id)).toEqual([
    {
      name: 'endWithdrawal',
      args: {
        withdrawal_id: first.withdrawal_id,
        status: 'rejected',
        alasan: "the account holder's name does not match",
        admin_id: 'admin-1',
      },
    },
  ]);
  expect(callsOf('requestPayout', first.withdrawal_id)).toHaveLength(0);
  const second = await withdraw(handle, { auto_process: false, nomor_rekening: '2234567890' });
  expect(second.withdrawal_id).not.toBe(first.withdrawal_id);
  await decide(handle, second.withdrawal_id, 'approve');
  await eventually(handle, () => bank.has(second.withdrawal_id));
  await handle.signal(payoutResultSignal, bankCompletes(second.withdrawal_id));
  expect((await handle.result()).withdrawal).toMatchObject({
    withdrawal_id: second.withdrawal_id,
    status: 'completed',
  });
});

test("a closed account (000…) fails at once with the bank's reason, without retries; a withdrawal to a good account then completes", async () => {
  const { handle } = await released();
  const failed = await withdraw(handle, { nomor_rekening: '0001234567' });
  expect(failed).toMatchObject({ status: 'failed', alasan: 'ACCOUNT_CLOSED: the receiving account is closed' });
  expect(callsOf('requestPayout', failed.withdrawal_id)).toHaveLength(1);
  expect(callsOf('endWithdrawal', failed.withdrawal_id).map((c) => c.args)).toEqual([
    {
      withdrawal_id: failed.withdrawal_id,
      status: 'failed',
      alasan: 'ACCOUNT_CLOSED: the receiving account is closed',
      admin_id: null,
    },
  ]);
  const answer = withdraw(handle, { nomor_rekening: '1234567890' });
  const sent = await waitForCall(
    'requestPayout',
    (a) =>
      a.withdrawal_id !== failed.withdrawal_id &&
      calls.some(
        (c) => c.name === 'createWithdrawal' && c.args.id === a.withdrawal_id && c.args.escrow_id === failed.escrow_id,
      ),
  );
  await eventually(handle, () => bank.has(sent.args.withdrawal_id));
  await handle.signal(payoutResultSignal, bankCompletes(sent.args.withdrawal_id));
  expect(await answer).toMatchObject({ status: 'completed' });
  expect((await handle.result()).escrow?.status).toBe('completed');
});

test('race: the freelancer withdraws again as soon as the database says failed, before the workflow has heard it: accepted, and paid', async () => {
  const { input, handle } = await released();
  // the withdrawal's id is known once it is being recorded: its failure is held from then on
  const recorded = hold(`withdrawal:${input.pesanan_id}`);
  const firstAnswer = withdraw(handle, { nomor_rekening: '0001234567' });
  const first = await waitForCall('createWithdrawal', (a) => a.pesanan_id === input.pesanan_id);
  const committed = hold(`end-withdrawal:${first.args.id}`);
  recorded();
  let again!: ReturnType<typeof withdraw>;
  try {
    // the bank refused it; the failure is being recorded (a freelancer reading the withdrawal may already see `failed`)
    await waitForCall('endWithdrawal', (a) => a.withdrawal_id === first.args.id);
    again = withdraw(handle, { nomor_rekening: '1234567890' });
    // accepted (the first withdrawal, this one), waiting inside the workflow; a third meanwhile is refused
    await until(async () => (await acceptedUpdates(handle, 'withdraw')) === 2);
    await expectRejected(
      withdraw(handle, { nomor_rekening: '2234567890' }),
      ERROR_TYPES.invalidTransition,
      /already being requested/,
    );
  } finally {
    committed(); // (also when a check above fails: a held activity would keep the worker from stopping)
  }
  expect(await firstAnswer).toMatchObject({
    withdrawal_id: first.args.id,
    status: 'failed',
    alasan: 'ACCOUNT_CLOSED: the receiving account is closed',
  });
  const sent = await waitForCall(
    'requestPayout',
    (a) =>
      a.withdrawal_id !== first.args.id &&
      calls.some(
        (c) =>
          c.name === 'createWithdrawal' && c.args.id === a.withdrawal_id && c.args.escrow_id === first.args.escrow_id,
      ),
  );
  await eventually(handle, () => bank.has(sent.args.withdrawal_id));
  await handle.signal(payoutResultSignal, bankCompletes(sent.args.withdrawal_id));
  expect(await again).toMatchObject({ withdrawal_id: sent.args.withdrawal_id, status: 'completed' });
  expect((await handle.result()).escrow?.status).toBe('completed');
  expect(withdrawalsOf(first.args.pesanan_id)).toEqual([first.args.id, sent.args.withdrawal_id]);
});

test('a 999… account completes after two temporary failures, with exactly one payout at the gateway', async () => {
  const { input, handle } = await released();
  const answer = withdraw(handle, { nomor_rekening: '9991234567' });
  await h.env.sleep('30s'); // the retries' backoff (2 s, 4 s)
  const w = await answer;
  await eventually(handle, () => bank.has(w.withdrawal_id));
  // three requests, all under the one withdrawal's key; one payout at the gateway
  expect(withdrawalsOf(input.pesanan_id)).toEqual([w.withdrawal_id]);
  expect(payoutRequestsOf(input.pesanan_id).map((c) => c.args.withdrawal_id)).toEqual([
    w.withdrawal_id,
    w.withdrawal_id,
    w.withdrawal_id,
  ]);
  expect(gatewayPayoutsOf(input.pesanan_id)).toEqual([w.withdrawal_id]);
  await handle.signal(payoutResultSignal, bankCompletes(w.withdrawal_id));
  expect((await handle.result()).withdrawal?.status).toBe('completed');
});

test('a bank that stays unavailable for PAYOUT_MAX_ATTEMPTS: the payout is cancelled at the gateway, the withdrawal fails and returns the money', async () => {
  const { handle } = await released();
  failingPayouts.add('Down Bank');
  const answer = withdraw(handle, { nama_pemilik: 'Down Bank', payout_max_attempts: 3 });
  await h.env.sleep('1m');
  const w = await answer;
  const state = await eventually(handle, (s) => s.withdrawal?.status === 'failed');
  expect(state.withdrawal?.alasan).toMatch(
    /^CANCELLED: the bank could not take the payout after 3 attempts.*temporarily unavailable/,
  );
  expect(callsOf('requestPayout', w.withdrawal_id)).toHaveLength(3);
  expect(callsOf('cancelPayout', w.withdrawal_id)).toHaveLength(1);
  // a request still in flight finds the payout cancelled and never pays
  failingPayouts.delete('Down Bank');
  expect(
    await fakeActivities.requestPayout({
      withdrawal_id: w.withdrawal_id,
      amount: 237_500,
      method: 'transfer_bank',
      channel: 'bca',
      nomor_rekening: '1234567890',
      nama_pemilik: 'Down Bank',
    }),
  ).toMatchObject({ status: 'failed' });
  expect(callsOf('endWithdrawal', w.withdrawal_id)[0].args).toMatchObject({ status: 'failed' });
  // the money is withdrawable again
  expect(await withdraw(handle, { auto_process: false })).toMatchObject({ status: 'pending', jumlah_bersih: 237_500 });
});

test('a payout whose notification never comes is resolved by asking the gateway for its status', async () => {
  const { handle } = await released();
  const answer = withdraw(handle);
  await h.env.sleep('15s');
  const w = await answer;
  expect(w.status).toBe('processing');
  bankCompletes(w.withdrawal_id); // the bank paid, but its notification is lost
  await h.env.sleep('61s');
  const result = await handle.result();
  expect(result.withdrawal).toMatchObject({ status: 'completed' });
  expect(callsOf('checkPayout', w.withdrawal_id).length).toBeGreaterThanOrEqual(1);
  expect(callsOf('completeWithdrawal', w.withdrawal_id)).toHaveLength(1);
});

test('the notification and the status check arriving together: the payout is completed once', async () => {
  const { input, handle } = await released();
  const answer = withdraw(handle, { payout_status_check_after: '10s' });
  const sent = await waitForCall('requestPayout', (a) => withdrawalsOf(input.pesanan_id).includes(a.withdrawal_id));
  const id: string = sent.args.withdrawal_id;
  await eventually(handle, () => bank.has(id));
  // the bank has paid: its notification and the workflow's status check (due in 10 s) race
  const done = bankCompletes(id);
  await Promise.all([
    handle.signal(payoutResultSignal, done),
    h.env.sleep('10s'),
    handle.signal(payoutResultSignal, done),
  ]);
  const state = await eventually(
    handle,
    (s) => s.withdrawal?.status === 'completed' && s.escrow?.status === 'completed',
  );
  expect(state.withdrawal).toMatchObject({ withdrawal_id: id, status: 'completed' });
  expect(callsOf('completeWithdrawal', id)).toHaveLength(1);
  expect((await answer).withdrawal_id).toBe(id);
});

test("out of attempts, but the bank took the last one: the gateway's word (queued) wins over the failure, and the payout completes", async () => {
  const { handle } = await released();
  failingPayouts.add('Late Bank');
  const answer = withdraw(handle, { nama_pemilik: 'Late Bank', payout_max_attempts: 2 });
  // the bank takes the payout although every answer the service saw was an error
  const sent = await waitForCall('requestPayout', (a) => a.nama_pemilik === 'Late Bank');
  bank.set(sent.args.withdrawal_id, {
    idempotency_key: sent.args.withdrawal_id,
    reference: 'TRF-LATE',
    amount: sent.args.amount,
    status: 'queued',
    bukti_transfer: 'http://gw/r',
    completed_at: null,
    failure_reason: null,
  });
  await h.env.sleep('1m');
  failingPayouts.delete('Late Bank');
  const w = await answer;
  expect(callsOf('cancelPayout', w.withdrawal_id)).toHaveLength(1);
  expect(callsOf('endWithdrawal', w.withdrawal_id)).toHaveLength(0);
  await handle.signal(payoutResultSignal, bankCompletes(w.withdrawal_id));
  expect((await handle.result()).withdrawal).toMatchObject({ status: 'completed' });
});

test('a worker that stops in the middle of a payout: another worker finishes it, and the gateway paid once', async () => {
  const queue = 'payout-restart';
  let stuck!: () => void;
  const held = new Promise<void>((r) => (stuck = r));
  // worker A: the gateway takes the payout, then the worker shuts down before the answer reaches Temporal
  // (its activity is cancelled by the shutdown and the attempt fails; Temporal retries it elsewhere)
  const workerA = await Worker.create({
    connection: h.env.nativeConnection,
    taskQueue: queue,
    workflowBundle: h.bundle,
    activities: {
      ...fakeActivities,
      async requestPayout(p: Parameters<OrderActivities['requestPayout']>[0]) {
        const taken = await fakeActivities.requestPayout(p);
        stuck();
        await Context.current().cancelled; // rejects when the worker shuts down: the answer is lost
        return taken;
      },
    },
    shutdownGraceTime: '100ms',
    // no sticky queue: the time-skipping test server never moves a dead worker's sticky tasks back to the task queue
    maxCachedWorkflows: 0,
  });
  const runningA = workerA.run();
  const { input, handle } = await released(queue);
  // the request's own answer may be lost with the worker (the freelancer would ask GET /withdrawals/:id)
  withdraw(handle).catch(() => undefined);
  await held;
  workerA.shutdown();
  await runningA;
  const workerB = await Worker.create({
    connection: h.env.nativeConnection,
    taskQueue: queue,
    workflowBundle: h.bundle,
    activities: fakeActivities,
  });
  const runningB = workerB.run();
  try {
    await h.env.sleep('15s'); // the retry's backoff
    const created = calls.find((c) => c.name === 'createWithdrawal' && c.args.pesanan_id === input.pesanan_id)!.args;
    const w = { withdrawal_id: created.id as string };
    // one request on each worker, under the one withdrawal's key; one payout at the gateway
    expect(withdrawalsOf(input.pesanan_id)).toEqual([w.withdrawal_id]);
    expect(payoutRequestsOf(input.pesanan_id).map((c) => c.args.withdrawal_id)).toEqual([
      w.withdrawal_id,
      w.withdrawal_id,
    ]);
    expect(gatewayPayoutsOf(input.pesanan_id)).toEqual([w.withdrawal_id]);
    await handle.signal(payoutResultSignal, bankCompletes(w.withdrawal_id));
    expect((await handle.result()).withdrawal?.status).toBe('completed');
    expect(callsOf('completeWithdrawal', w.withdrawal_id)).toHaveLength(1);
  } finally {
    workerB.shutdown();
    await runningB;
  }
}, 60_000);
