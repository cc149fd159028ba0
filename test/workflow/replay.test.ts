import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Worker, WorkflowBundleWithSourceMap, bundleWorkflowCode } from '@temporalio/worker';
import { defaultPayloadConverter } from '@temporalio/common';
import { PAYMENT_DECIDED_BY_DATABASE } from '../../workflows/order';
import { PAYMENT_CAN_BE_RETRIED, PAYOUTS_CAN_FAIL, decideWithdrawalUpdate, paymentCreatedSignal, paymentOutcomeSignal, deliverWorkUpdate, payoutResultSignal, releaseEscrowUpdate, startWorkUpdate, withdrawUpdate } from '../../workflows/messages';
import { Harness, bankCompletes, eventually, newOrder, paymentFor, settle, startHarness, startWithPayment } from './harness';

/**
 * Determinism: today's histories and the recorded ones in histories/ replay
 * against the current workflow code. The files named without a prefix were
 * recorded before the payment path moved into the database (in-workflow
 * payment, no patch marker); `db-decided-*` after, with the payout as it was
 * before payouts could fail; `payouts-*` after that (PAYOUTS_CAN_FAIL). A
 * change to orderWorkflow that breaks any needs `patched()`.
 * RECORD_HISTORIES=1 writes today's as `payouts-*` fixtures; keep the old ones.
 * Today's include work progress (start, deliver) before the release.
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
      args: [{ freelancer_id: 'freelancer-1', metode_pencairan: 'transfer_bank', channel: 'bca', nomor_rekening: '1234567890', nama_pemilik: 'John', auto_process: true, payout_max_attempts: 8, payout_status_check_after: '1m' }],
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
    const req = { freelancer_id: 'freelancer-1', metode_pencairan: 'transfer_bank' as const, channel: 'bca', nama_pemilik: 'John', payout_max_attempts: 8, payout_status_check_after: '1m' };
    const pending = await handle.executeUpdate(withdrawUpdate, { args: [{ ...req, nomor_rekening: '1234567890', auto_process: false }] });
    await handle.executeUpdate(decideWithdrawalUpdate, { args: [{ withdrawal_id: pending.withdrawal_id, decision: 'reject', admin_id: 'admin-1', alasan: 'name does not match' }] });
    await handle.executeUpdate(withdrawUpdate, { args: [{ ...req, nomor_rekening: '0001234567', auto_process: true }] });
    const paid = await handle.executeUpdate(withdrawUpdate, { args: [{ ...req, nomor_rekening: '2234567890', auto_process: false }] });
    await handle.executeUpdate(decideWithdrawalUpdate, { args: [{ withdrawal_id: paid.withdrawal_id, decision: 'approve', admin_id: 'admin-1', alasan: null }] });
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
    await handle.signal(paymentOutcomeSignal, { payment_id: payment.payment_id, status: 'gagal', gateway_status: 'deny', dibayar_pada: null, escrow: null });
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
    await handle.signal(paymentOutcomeSignal, { payment_id: payment.payment_id, status: 'gagal', gateway_status: 'cancel', dibayar_pada: null, escrow: null });
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

test('today\'s histories, and the recorded ones of both payment paths, replay against the current workflow code', async () => {
  const fresh = await Promise.all((await lifecycles()).map(async (r) => ({ name: r.name, history: await r.handle.fetchHistory() })));
  if (process.env.RECORD_HISTORIES === '1') {
    fs.mkdirSync(HISTORIES, { recursive: true });
    for (const f of fresh) fs.writeFileSync(path.join(HISTORIES, `payouts-${f.name}.binpb`), temporal.api.history.v1.History.encode(f.history).finish());
  }
  const fixtures = fs.readdirSync(HISTORIES).filter((f) => f.endsWith('.binpb'));
  const legacy = fixtures.filter((f) => !f.startsWith('db-decided-') && !f.startsWith('payouts-'));
  const dbDecided = fixtures.filter((f) => f.startsWith('db-decided-'));
  const payouts = fixtures.filter((f) => f.startsWith('payouts-'));
  expect(legacy.length).toBeGreaterThanOrEqual(3);
  expect(dbDecided.length).toBeGreaterThanOrEqual(3);
  expect(payouts.length).toBeGreaterThanOrEqual(2);
  // the old fixtures really are of the old paths, and today's carry the patches
  for (const f of legacy) expect([f, hasPatchMarker(decode(f))]).toEqual([f, false]);
  for (const f of [...dbDecided, ...payouts].map(decode)) expect(hasPatchMarker(f)).toBe(true);
  for (const f of fresh.map((x) => x.history)) expect(hasPatchMarker(f)).toBe(true);
  // paying again: today's histories carry its patch; every recorded one predates it (and replays on the one-payment rule)
  for (const f of fresh.map((x) => x.history)) expect(hasPatchMarker(f, PAYMENT_CAN_BE_RETRIED)).toBe(true);
  for (const f of fixtures) expect([f, hasPatchMarker(decode(f), PAYMENT_CAN_BE_RETRIED)]).toEqual([f, false]);
  for (const f of [...legacy, ...dbDecided].filter((x) => withdrew(decode(x)))) expect([f, hasPatchMarker(decode(f), PAYOUTS_CAN_FAIL)]).toEqual([f, false]);
  for (const f of [...payouts.map(decode), ...fresh.map((x) => x.history)].filter(withdrew)) expect(hasPatchMarker(f, PAYOUTS_CAN_FAIL)).toBe(true);
  const all = [
    ...fresh.map((f) => ({ workflowId: `fresh-${f.name}`, history: f.history })),
    ...fixtures.map((f) => ({ workflowId: `fixture-${f}`, history: decode(f) })),
  ];
  for (const x of all) {
    await expect(Worker.runReplayHistory({ workflowBundle: h.bundle }, x.history, x.workflowId)).resolves.toBeUndefined();
  }
});

/** The activities (type and arguments) a history recorded, in order. */
function recordedActivities(history: temporal.api.history.v1.IHistory): { type: string; args: unknown[] }[] {
  return history
    .events!.filter((e) => e.activityTaskScheduledEventAttributes)
    .map((e) => {
      const a = e.activityTaskScheduledEventAttributes!;
      return { type: a.activityType!.name!, args: (a.input?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p)) };
    });
}

test('replaying a recorded history schedules every activity with the arguments it recorded (ids drawn from the seeded random included)', async () => {
  const fixtures = fs.readdirSync(HISTORIES).filter((f) => f.endsWith('.binpb'));
  let compared = 0;
  for (const f of fixtures) {
    const history = decode(f);
    const replayed: { type: string; args: unknown[] }[] = [];
    await Worker.runReplayHistory(
      { workflowBundle: checkingBundle, sinks: { replayCheck: { activity: { fn: (_info, type: string, args: unknown[]) => void replayed.push({ type, args }), callDuringReplay: true } } } },
      history,
      `args-${f}`,
    );
    const recorded = recordedActivities(history);
    expect([f, replayed]).toEqual([f, recorded]);
    compared += recorded.length;
  }
  expect(compared).toBeGreaterThanOrEqual(10); // the old path's fixtures schedule createPayment, settlePayment, releaseEscrow, payout, ...
});
