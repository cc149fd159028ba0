import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Worker, WorkflowBundleWithSourceMap, bundleWorkflowCode } from '@temporalio/worker';
import { defaultPayloadConverter } from '@temporalio/common';
import { PAYMENT_DECIDED_BY_DATABASE } from '../../workflows/order';
import {
  PAYMENT_CAN_BE_RETRIED,
  PAYOUTS_CAN_FAIL,
  cancelOrderUpdate,
  decideWithdrawalUpdate,
  paymentCreatedSignal,
  paymentOutcomeSignal,
  deliverWorkUpdate,
  openDisputeUpdate,
  payoutResultSignal,
  releaseEscrowUpdate,
  resolveDisputeUpdate,
  startWorkUpdate,
  withdrawUpdate,
} from '../../workflows/messages';
import { lateRefundAmount } from '../../domain/money';
import {
  Harness,
  VIRTUAL_ACCOUNT,
  bankCompletes,
  eventually,
  newOrder,
  paidOrder,
  paymentFor,
  refundEventually,
  refundHandle,
  settle,
  startHarness,
  startRefundWorkflow,
  startWithPayment,
  terminateWhenIdle,
  untilIdle,
  withdrawAndPay,
} from './harness';

/**
 * Determinism: today's histories and the recorded ones in histories/ replay
 * against the current workflow code. The files named without a prefix were
 * recorded before the payment path moved into the database (in-workflow
 * payment, no patch marker); `db-decided-*` after, with the payout as it was
 * before payouts could fail; `payouts-*` after that (PAYOUTS_CAN_FAIL). A
 * change to orderWorkflow that breaks any needs `patched()`.
 * RECORD_HISTORIES=1 writes today's as `payouts-*` fixtures; keep the old ones.
 * Today's include work progress (start, deliver) before the release.
 * `disputes-*` are of the held escrow's other exits and the refunds they
 * decide, recorded after paying again was possible (PAYMENT_CAN_BE_RETRIED);
 * one is a refund's own workflow (refundWorkflow). RECORD_DISPUTE_HISTORIES=1
 * writes those that are missing (delete one to record it again).
 */
const HISTORIES = path.join(__dirname, 'histories');
let h: Harness;
let checkingBundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  h = await startHarness();
  checkingBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    workflowInterceptorModules: [require.resolve('./replay-interceptors')],
    logger: new DefaultLogger('ERROR'),
  });
}, 180_000);
afterAll(async () => h?.stop());

async function lifecycles(): Promise<{ name: string; handle: WorkflowHandle }[]> {
  const recorded: { name: string; handle: WorkflowHandle }[] = [];
  {
    const { input, handle, payment } = await startWithPayment(h);
    await settle(h, handle, input, payment);
    await handle.executeUpdate(releaseEscrowUpdate, { args: [{ user_id: 'client-1', reason: 'Work approved' }] });
    const w = await handle.executeUpdate(withdrawUpdate, {
      args: [
        {
          freelancer_id: 'freelancer-1',
          metode_pencairan: 'transfer_bank',
          channel: 'bca',
          nomor_rekening: '1234567890',
          nama_pemilik: 'John',
          auto_process: true,
          payout_max_attempts: 8,
          payout_status_check_after: '1m',
        },
      ],
    });
    await handle.signal(payoutResultSignal, bankCompletes(w.withdrawal_id));
    await handle.result();
    recorded.push({ name: 'released-withdrawn', handle });
  }
  {
    // rejected by an admin, refused by the bank (a closed account), then paid: found by the status check
    const { input, handle, payment } = await startWithPayment(h);
    await settle(h, handle, input, payment);
    await handle.executeUpdate(releaseEscrowUpdate, { args: [{ user_id: 'client-1', reason: null }] });
    const req = {
      freelancer_id: 'freelancer-1',
      metode_pencairan: 'transfer_bank' as const,
      channel: 'bca',
      nama_pemilik: 'John',
      payout_max_attempts: 8,
      payout_status_check_after: '1m',
    };
    const pending = await handle.executeUpdate(withdrawUpdate, {
      args: [{ ...req, nomor_rekening: '1234567890', auto_process: false }],
    });
    await handle.executeUpdate(decideWithdrawalUpdate, {
      args: [
        {
          withdrawal_id: pending.withdrawal_id,
          decision: 'reject',
          admin_id: 'admin-1',
          alasan: 'name does not match',
        },
      ],
    });
    await handle.executeUpdate(withdrawUpdate, {
      args: [{ ...req, nomor_rekening: '0001234567', auto_process: true }],
    });
    const paid = await handle.executeUpdate(withdrawUpdate, {
      args: [{ ...req, nomor_rekening: '2234567890', auto_process: false }],
    });
    await handle.executeUpdate(decideWithdrawalUpdate, {
      args: [{ withdrawal_id: paid.withdrawal_id, decision: 'approve', admin_id: 'admin-1', alasan: null }],
    });
    bankCompletes(paid.withdrawal_id);
    await h.env.sleep('61s');
    await handle.result();
    recorded.push({ name: 'rejected-failed-then-paid', handle });
  }
  {
    const { input, handle, payment } = await startWithPayment(h, newOrder({ escrow_auto_release_after: '5s' }));
    await settle(h, handle, input, payment, 5000);
    await h.env.sleep('5s');
    await eventually(handle, (s) => s.escrow?.status === 'released');
    recorded.push({ name: 'auto-released-held', handle });
  }
  {
    // work progress: started and delivered by the freelancer, then released by the client
    const { input, handle, payment } = await startWithPayment(h);
    await settle(h, handle, input, payment);
    await handle.executeUpdate(startWorkUpdate, { args: [{ user_id: 'freelancer-1' }] });
    await handle.executeUpdate(deliverWorkUpdate, { args: [{ user_id: 'freelancer-1' }] });
    await handle.executeUpdate(releaseEscrowUpdate, { args: [{ user_id: 'client-1', reason: null }] });
    recorded.push({ name: 'started-delivered-released', handle });
  }
  {
    // work started, then auto-released from dikerjakan
    const { input, handle, payment } = await startWithPayment(h, newOrder({ escrow_auto_release_after: '5s' }));
    await settle(h, handle, input, payment, 5000);
    await handle.executeUpdate(startWorkUpdate, { args: [{ user_id: 'freelancer-1' }] });
    await h.env.sleep('5s');
    await eventually(handle, (s) => s.escrow?.status === 'released');
    recorded.push({ name: 'started-auto-released', handle });
  }
  {
    const { handle } = await startWithPayment(h, newOrder({ payment_expiry: '5s' }), 5000);
    await h.env.sleep('5s');
    await handle.result();
    recorded.push({ name: 'expired', handle });
  }
  {
    // paying again (PAYMENT_CAN_BE_RETRIED): declined, a second payment in the same window, settled
    const { input, handle, payment } = await startWithPayment(h);
    await handle.signal(paymentOutcomeSignal, {
      payment_id: payment.payment_id,
      status: 'gagal',
      gateway_status: 'deny',
      dibayar_pada: null,
      escrow: null,
    });
    await eventually(handle, (s) => s.payment?.status === 'gagal');
    const second = { ...paymentFor(input, await h.env.currentTimeMs()), expires_at: payment.expires_at };
    await handle.signal(paymentCreatedSignal, second);
    await eventually(handle, (s) => s.payment?.payment_id === second.payment_id);
    await settle(h, handle, input, second);
    await handle.executeUpdate(releaseEscrowUpdate, { args: [{ user_id: 'client-1', reason: null }] });
    recorded.push({ name: 'declined-paid-again-released', handle });
  }
  {
    // cancelled by the client, nothing more: the window closes and the order is cancelled
    const { handle, payment } = await startWithPayment(h, newOrder({ payment_expiry: '5s' }), 5000);
    await handle.signal(paymentOutcomeSignal, {
      payment_id: payment.payment_id,
      status: 'gagal',
      gateway_status: 'cancel',
      dibayar_pada: null,
      escrow: null,
    });
    await eventually(handle, (s) => s.payment?.status === 'gagal');
    await h.env.sleep('5s');
    await handle.result();
    recorded.push({ name: 'cancelled-window-closed', handle });
  }
  return recorded;
}

const decode = (file: string) => temporal.api.history.v1.History.decode(fs.readFileSync(path.join(HISTORIES, file)));
const hasPatchMarker = (history: temporal.api.history.v1.IHistory, patch = PAYMENT_DECIDED_BY_DATABASE) =>
  history.events!.some((e) => {
    const m = e.markerRecordedEventAttributes;
    if (m?.markerName !== 'core_patch') return false;
    const data = m.details?.['patch-data']?.payloads?.[0]?.data;
    return data ? JSON.parse(Buffer.from(data).toString()).id === patch : false;
  });
const withdrew = (history: temporal.api.history.v1.IHistory) =>
  history.events!.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'createWithdrawal');

test("today's histories, and the recorded ones of both payment paths, replay against the current workflow code", async () => {
  const fresh = await Promise.all(
    (await lifecycles()).map(async (r) => ({ name: r.name, history: await r.handle.fetchHistory() })),
  );
  if (process.env.RECORD_HISTORIES === '1') {
    fs.mkdirSync(HISTORIES, { recursive: true });
    for (const f of fresh)
      fs.writeFileSync(
        path.join(HISTORIES, `payouts-${f.name}.binpb`),
        temporal.api.history.v1.History.encode(f.history).finish(),
      );
  }
  const fixtures = fs.readdirSync(HISTORIES).filter((f) => f.endsWith('.binpb'));
  const legacy = fixtures.filter(
    (f) => !f.startsWith('db-decided-') && !f.startsWith('payouts-') && !f.startsWith('disputes-'),
  );
  const dbDecided = fixtures.filter((f) => f.startsWith('db-decided-'));
  const payouts = fixtures.filter((f) => f.startsWith('payouts-'));
  expect(legacy.length).toBeGreaterThanOrEqual(3);
  expect(dbDecided.length).toBeGreaterThanOrEqual(3);
  expect(payouts.length).toBeGreaterThanOrEqual(2);
  // the old fixtures really are of the old paths, and today's carry the patches
  for (const f of legacy) expect([f, hasPatchMarker(decode(f))]).toEqual([f, false]);
  for (const f of [...dbDecided, ...payouts].map(decode)) expect(hasPatchMarker(f)).toBe(true);
  for (const f of fresh.map((x) => x.history)) expect(hasPatchMarker(f)).toBe(true);
  // paying again: today's histories carry its patch; every one recorded before it predates it (and replays on the
  // one-payment rule); the disputes-* ones came after it (their checks: the test below)
  for (const f of fresh.map((x) => x.history)) expect(hasPatchMarker(f, PAYMENT_CAN_BE_RETRIED)).toBe(true);
  for (const f of [...legacy, ...dbDecided, ...payouts])
    expect([f, hasPatchMarker(decode(f), PAYMENT_CAN_BE_RETRIED)]).toEqual([f, false]);
  for (const f of [...legacy, ...dbDecided].filter((x) => withdrew(decode(x))))
    expect([f, hasPatchMarker(decode(f), PAYOUTS_CAN_FAIL)]).toEqual([f, false]);
  for (const f of [...payouts.map(decode), ...fresh.map((x) => x.history)].filter(withdrew))
    expect(hasPatchMarker(f, PAYOUTS_CAN_FAIL)).toBe(true);
  const all = [
    ...fresh.map((f) => ({ workflowId: `fresh-${f.name}`, history: f.history })),
    ...fixtures.map((f) => ({ workflowId: `fixture-${f}`, history: decode(f) })),
  ];
  for (const x of all) {
    await expect(
      Worker.runReplayHistory({ workflowBundle: h.bundle }, x.history, x.workflowId),
    ).resolves.toBeUndefined();
  }
});

// ---- disputes, cancellations and refunds --------------------------------------------------------------

const DISPUTE_FIXTURES = [
  'disputes-cancelled-va-refund-waiting.binpb',
  'disputes-late-payment.binpb',
  'disputes-partial.binpb',
];

/**
 * The lifecycles recorded as disputes-<name>, each history fetched as soon as it is complete: the time-skipping
 * server skips to any workflow's next deadline while a test awaits a result, and a workflow left waiting would
 * soon end in the server's ten-year execution timeout.
 */
async function disputeLifecycles(): Promise<{ name: string; history: temporal.api.history.v1.IHistory }[]> {
  const recorded: { name: string; history: temporal.api.history.v1.IHistory }[] = [];
  {
    // disputed on day 1, decided partially (X = 100,000): the rest is refunded to the source by the refund's
    // workflow, and the freelancer withdraws X and is paid
    const { input, handle } = await paidOrder(h);
    await h.env.sleep('1d');
    await handle.executeUpdate(openDisputeUpdate, {
      args: [{ user_id: 'client-1', role: 'client', alasan: 'half of the work is missing' }],
    });
    const decided = await handle.executeUpdate(resolveDisputeUpdate, {
      args: [{ admin_id: 'admin-1', keputusan: 'partial', jumlah_freelancer: 100_000, alasan: 'half delivered' }],
    });
    await refundHandle(h, decided.refund!.refund_id).result();
    await withdrawAndPay(handle, input.pesanan_id);
    await handle.result();
    recorded.push({ name: 'partial', history: await handle.fetchHistory() });
  }
  {
    // paid by virtual account, cancelled by the client: the order waits on its refund's workflow, which waits for an account
    const { handle } = await paidOrder(h, VIRTUAL_ACCOUNT);
    const answer = await handle.executeUpdate(cancelOrderUpdate, {
      args: [{ user_id: 'client-1', role: 'client', alasan: 'ordered by mistake' }],
    });
    const refund = refundHandle(h, answer.refund_id!);
    await refundEventually(refund, (r) => r.status === 'menunggu_rekening');
    await eventually(handle, (s) => s.history.some((e) => e.event.startsWith(`refund ${answer.refund_id} started`)));
    await untilIdle(handle);
    recorded.push({ name: 'cancelled-va-refund-waiting', history: await handle.fetchHistory() });
    await terminateWhenIdle(handle);
    await terminateWhenIdle(refund);
  }
  {
    // the payment expires; the gateway settles it late, and the refund's workflow (started as the API does) pays it back to the source
    const { input, handle, payment } = await startWithPayment(h, newOrder({ payment_expiry: '5s' }), 5000);
    await h.env.sleep('5s');
    await handle.result();
    const { handle: refund } = await startRefundWorkflow(h, {
      pesanan_id: input.pesanan_id,
      jumlah: lateRefundAmount(payment),
      status: 'processing',
      to_source: true,
      transaction_id: payment.transaction_id,
    });
    await refund.result();
    recorded.push({ name: 'late-payment', history: await refund.fetchHistory() });
  }
  return recorded;
}

const workflowType = (history: temporal.api.history.v1.IHistory) =>
  history.events![0].workflowExecutionStartedEventAttributes!.workflowType!.name;
const has = (history: temporal.api.history.v1.IHistory, attribute: keyof temporal.api.history.v1.IHistoryEvent) =>
  history.events!.some((e) => e[attribute] != null);

/** What each disputes-* history must show (fresh or recorded). */
function checkDisputeHistory(name: string, history: temporal.api.history.v1.IHistory): void {
  const acts = recordedActivities(history);
  const args = (type: string) => acts.filter((a) => a.type === type).map((a) => a.args[0]);
  const orderPatches = [PAYMENT_DECIDED_BY_DATABASE, PAYMENT_CAN_BE_RETRIED].map((p) => hasPatchMarker(history, p));
  if (name === 'partial') {
    expect([name, workflowType(history), orderPatches, hasPatchMarker(history, PAYOUTS_CAN_FAIL)]).toEqual([
      name,
      'orderWorkflow',
      [true, true],
      true,
    ]);
    expect(args('resolveDispute')).toEqual([
      expect.objectContaining({ keputusan: 'partial', jumlah_freelancer: 100_000 }),
    ]);
    expect(args('createWithdrawal')).toEqual([
      expect.objectContaining({ jumlah: 100_000, biaya_platform: 5_000, jumlah_bersih: 95_000 }),
    ]);
    expect(args('requestPayout')).toEqual([expect.objectContaining({ amount: 95_000 })]);
    expect(acts.map((a) => a.type)).toEqual(
      expect.arrayContaining([
        'openDispute',
        'resolveDispute',
        'createWithdrawal',
        'requestPayout',
        'completeWithdrawal',
      ]),
    );
    expect([
      has(history, 'childWorkflowExecutionCompletedEventAttributes'),
      has(history, 'workflowExecutionCompletedEventAttributes'),
    ]).toEqual([true, true]);
  } else if (name === 'cancelled-va-refund-waiting') {
    expect([name, workflowType(history), orderPatches]).toEqual([name, 'orderWorkflow', [true, true]]);
    expect(args('refundEscrow')).toEqual([
      expect.objectContaining({ fromOrder: ['dibayar'], actor: { type: 'user', id: 'client-1', role: 'client' } }),
    ]);
    const child = history.events!.find(
      (e) => e.startChildWorkflowExecutionInitiatedEventAttributes,
    )!.startChildWorkflowExecutionInitiatedEventAttributes!;
    expect(defaultPayloadConverter.fromPayload(child.input!.payloads![0])).toMatchObject({
      jumlah: 262_500,
      status: 'menunggu_rekening',
      to_source: false,
    });
    // still running: the child started, nothing after it but the order's record of it
    const ended = history.events!.some(
      (e) =>
        e.workflowExecutionCompletedEventAttributes ||
        e.workflowExecutionFailedEventAttributes ||
        e.workflowExecutionTimedOutEventAttributes ||
        e.workflowExecutionTerminatedEventAttributes,
    );
    expect([
      has(history, 'childWorkflowExecutionStartedEventAttributes'),
      has(history, 'childWorkflowExecutionCompletedEventAttributes'),
      ended,
    ]).toEqual([true, false, false]);
  } else if (name === 'late-payment') {
    expect([name, workflowType(history), orderPatches]).toEqual([name, 'refundWorkflow', [false, false]]);
    expect(acts.map((a) => a.type)).toEqual(['refundToSource', 'completeRefund']);
    expect(args('refundToSource')).toEqual([expect.objectContaining({ amount: 265_000 })]);
    expect(has(history, 'workflowExecutionCompletedEventAttributes')).toBe(true);
  } else {
    throw new Error(`no checks for disputes-${name}`);
  }
}

test("disputes, cancellations and refunds: today's histories and the recorded disputes-* ones (orders and refunds) replay against the current code", async () => {
  const fresh = await disputeLifecycles();
  if (process.env.RECORD_DISPUTE_HISTORIES === '1') {
    for (const f of fresh) {
      const file = path.join(HISTORIES, `disputes-${f.name}.binpb`);
      // a recorded fixture is never overwritten (it stands for the code it was recorded with): delete it to record again
      if (!fs.existsSync(file))
        fs.writeFileSync(file, temporal.api.history.v1.History.encode(f.history).finish(), { flag: 'wx' });
    }
  }
  const fixtures = fs.readdirSync(HISTORIES).filter((f) => f.startsWith('disputes-') && f.endsWith('.binpb'));
  expect(fixtures.sort()).toEqual(expect.arrayContaining(DISPUTE_FIXTURES));
  expect(fresh.map((f) => `disputes-${f.name}.binpb`).sort()).toEqual(DISPUTE_FIXTURES);
  for (const f of fresh) checkDisputeHistory(f.name, f.history);
  for (const f of fixtures) checkDisputeHistory(f.replace(/^disputes-|\.binpb$/g, ''), decode(f));
  const all = [
    ...fresh.map((f) => ({ workflowId: `fresh-disputes-${f.name}`, history: f.history })),
    ...fixtures.map((f) => ({ workflowId: `fixture-${f}`, history: decode(f) })),
  ];
  for (const x of all) {
    await expect(
      Worker.runReplayHistory({ workflowBundle: h.bundle }, x.history, x.workflowId),
    ).resolves.toBeUndefined();
  }
});

/** The activities (type and arguments) a history recorded, in order. */
function recordedActivities(history: temporal.api.history.v1.IHistory): { type: string; args: unknown[] }[] {
  return history
    .events!.filter((e) => e.activityTaskScheduledEventAttributes)
    .map((e) => {
      const a = e.activityTaskScheduledEventAttributes!;
      return {
        type: a.activityType!.name!,
        args: (a.input?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p)),
      };
    });
}

test('replaying a recorded history schedules every activity with the arguments it recorded (ids drawn from the seeded random included)', async () => {
  const fixtures = fs.readdirSync(HISTORIES).filter((f) => f.endsWith('.binpb'));
  let compared = 0;
  for (const f of fixtures) {
    const history = decode(f);
    const replayed: { type: string; args: unknown[] }[] = [];
    await Worker.runReplayHistory(
      {
        workflowBundle: checkingBundle,
        sinks: {
          replayCheck: {
            activity: {
              fn: (_info, type: string, args: unknown[]) => void replayed.push({ type, args }),
              callDuringReplay: true,
            },
          },
        },
      },
      history,
      `args-${f}`,
    );
    const recorded = recordedActivities(history);
    expect([f, replayed]).toEqual([f, recorded]);
    compared += recorded.length;
  }
  expect(compared).toBeGreaterThanOrEqual(10); // the old path's fixtures schedule createPayment, settlePayment, releaseEscrow, payout, ...
});
