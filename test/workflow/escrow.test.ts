import { temporal } from '@temporalio/proto';
import { ERROR_TYPES, releaseEscrowUpdate, statusQuery } from '../../workflows/messages';
import { Harness, callsFor, eventually, expectRejected, gates, newOrder, settle, startHarness, startWithPayment } from './harness';

/** After the payment: the escrow's release, by the client or automatically (the payout: payout.test.ts). */
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
