import { temporal } from '@temporalio/proto';
import { ERROR_TYPES, releaseEscrowUpdate, statusQuery, withdrawUpdate } from '../../workflows/messages';
import { Harness, calls, callsFor, eventually, expectRejected, failingPayouts, gates, newOrder, settle, startHarness, startWithPayment } from './harness';

/** After the payment: the escrow's release (by the client or automatically) and the payout. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 180_000);
afterAll(async () => h?.stop());

test('ESCROW_AUTO_RELEASE_AFTER overrides the auto-release timer and akan_dirilis_pada', async () => {
  const { input, handle, payment } = await startWithPayment(h, newOrder({ escrow_auto_release_after: '5s' }));
  await settle(h, handle, input, payment, 5000);
  const held = (await handle.query(statusQuery)).escrow!;
  expect(Date.parse(held.akan_dirilis_pada) - Date.parse(held.ditahan_pada)).toBe(5000);
  await h.env.sleep('5s');
  expect((await eventually(handle, (s) => s.escrow?.status === 'released')).escrow?.dirilis_oleh).toBe('auto');
});

test('a release before 7 days cancels the auto-release', async () => {
  const { input, handle, payment } = await startWithPayment(h);
  await settle(h, handle, input, payment);
  await h.env.sleep('2d');
  await expectRejected(handle.executeUpdate(releaseEscrowUpdate, { args: [{ user_id: 'someone-else', reason: null }] }), ERROR_TYPES.forbidden);
  const released = await handle.executeUpdate(releaseEscrowUpdate, { args: [{ user_id: 'client-1', reason: 'Work approved' }] });
  expect(released).toMatchObject({ status: 'released', dirilis_oleh: 'client', alasan: 'Work approved' });
  await expectRejected(handle.executeUpdate(releaseEscrowUpdate, { args: [{ user_id: 'client-1', reason: null }] }), ERROR_TYPES.invalidTransition, /escrow is released/);
  await h.env.sleep('8d');
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
  const { input, handle, payment } = await startWithPayment(h);
  await settle(h, handle, input, payment);
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
  const { input, handle, payment } = await startWithPayment(h);
  await settle(h, handle, input, payment);
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

test('a client release that arrives while the auto-release is being recorded is refused, not merged', async () => {
  const { input, handle, payment } = await startWithPayment(h, newOrder({ escrow_auto_release_after: '5s' }));
  await settle(h, handle, input, payment, 5000);
  let open!: () => void;
  gates.set(input.pesanan_id, new Promise<void>((r) => (open = r)));
  await h.env.sleep('5s');
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
  const { input, handle, payment } = await startWithPayment(h);
  await settle(h, handle, input, payment);
  await handle.executeUpdate(releaseEscrowUpdate, { args: [{ user_id: 'client-1', reason: null }] });
  failingPayouts.add('Slow Bank');
  const answer = handle.executeUpdate(withdrawUpdate, {
    args: [{ freelancer_id: 'freelancer-1', metode_pencairan: 'transfer_bank', nomor_rekening: '1234567890', nama_pemilik: 'Slow Bank', auto_process: true }],
  });
  await h.env.sleep('15s');
  const w = await answer;
  expect(w.status).toBe('processing');
  const attempts = () => calls.filter((c) => c.name === 'payout' && c.args.withdrawal_id === w.withdrawal_id);
  expect(attempts().length).toBeGreaterThanOrEqual(2);
  failingPayouts.delete('Slow Bank');
  await h.env.sleep('10m');
  const result = await handle.result();
  expect(result.withdrawal).toMatchObject({ withdrawal_id: w.withdrawal_id, status: 'completed' });
  expect(new Set(attempts().map((c) => c.args.withdrawal_id))).toEqual(new Set([w.withdrawal_id]));
  expect(calls.filter((c) => c.name === 'completeWithdrawal' && c.args.withdrawal_id === w.withdrawal_id)).toHaveLength(1);
});
