import { temporal } from '@temporalio/proto';
import type { WorkflowHandle } from '@temporalio/client';
import {
  ERROR_TYPES,
  OrderState,
  deliverWorkUpdate,
  releaseEscrowUpdate,
  startWorkUpdate,
  statusQuery,
} from '../../workflows/messages';
import {
  DAY,
  Harness,
  calls,
  callsFor,
  eventually,
  expectRejected,
  gates,
  newOrder,
  orderInDatabase,
  settle,
  startHarness,
  startWithPayment,
} from './harness';

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
  await expectRejected(
    handle.executeUpdate(releaseEscrowUpdate, { args: [{ user_id: 'someone-else', reason: null }] }),
    ERROR_TYPES.forbidden,
  );
  const released = await handle.executeUpdate(releaseEscrowUpdate, {
    args: [{ user_id: 'client-1', reason: 'Work approved' }],
  });
  expect(released).toMatchObject({ status: 'released', dirilis_oleh: 'client', alasan: 'Work approved' });
  await expectRejected(
    handle.executeUpdate(releaseEscrowUpdate, { args: [{ user_id: 'client-1', reason: null }] }),
    ERROR_TYPES.invalidTransition,
    /escrow is released/,
  );
  await h.env.sleep('8d');
  expect(callsFor(input.pesanan_id, 'releaseEscrow').map((c) => c.args.dirilis_oleh)).toEqual(['client']);
  // The auto-release timer itself (found by its summary) was started and then cancelled.
  const history = await handle.fetchHistory();
  const summaryOf = (e: temporal.api.history.v1.IHistoryEvent) =>
    e.userMetadata?.summary?.data ? Buffer.from(e.userMetadata.summary.data).toString() : '';
  const autoRelease = history.events!.find(
    (e) => e.timerStartedEventAttributes && summaryOf(e).includes('escrow auto-release'),
  );
  expect(autoRelease).toBeDefined();
  const cancelled = history
    .events!.filter((e) => e.timerCanceledEventAttributes)
    .map((e) => Number(e.timerCanceledEventAttributes!.startedEventId));
  expect(cancelled).toContain(Number(autoRelease!.eventId));
  expect(
    history.events!.some(
      (e) =>
        e.timerFiredEventAttributes &&
        Number(e.timerFiredEventAttributes.startedEventId) === Number(autoRelease!.eventId),
    ),
  ).toBe(false);
});

test('a client release that arrives while the auto-release is being recorded is refused, not merged', async () => {
  const { input, handle, payment } = await startWithPayment(h, newOrder({ escrow_auto_release_after: '5s' }));
  await settle(h, handle, input, payment, 5000);
  let open!: () => void;
  gates.set(input.pesanan_id, new Promise<void>((r) => (open = r)));
  await h.env.sleep('5s');
  // the auto-release activity is now held at its gate
  const deadline = Date.now() + 5000;
  while (callsFor(input.pesanan_id, 'releaseEscrow').length === 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  await expectRejected(
    handle.executeUpdate(releaseEscrowUpdate, { args: [{ user_id: 'client-1', reason: 'late approval' }] }),
    ERROR_TYPES.invalidTransition,
    /automatically/,
  );
  open();
  const state = await eventually(handle, (s) => s.escrow?.status === 'released');
  expect(state.escrow).toMatchObject({ status: 'released', dirilis_oleh: 'auto' });
  expect(callsFor(input.pesanan_id, 'releaseEscrow')).toHaveLength(1);
});

// ---- work progress: start → deliver while the escrow is held ------------------------------------

const FREELANCER = { user_id: 'freelancer-1' };
const events = (s: OrderState) => s.history.map((x) => x.event);
const progressCalls = (pesananId: string) =>
  callsFor(pesananId, 'changeOrderStatus').map((c) => `${c.args.from}→${c.args.to}`);
/** The workflow's history events (type names) that show whether the auto-release timer fired. */
async function autoReleaseTimerFired(handle: WorkflowHandle): Promise<boolean> {
  const history = await handle.fetchHistory();
  const summaryOf = (e: temporal.api.history.v1.IHistoryEvent) =>
    e.userMetadata?.summary?.data ? Buffer.from(e.userMetadata.summary.data).toString() : '';
  const timer = history.events!.find(
    (e) => e.timerStartedEventAttributes && summaryOf(e).includes('escrow auto-release'),
  );
  return (
    !!timer &&
    history.events!.some(
      (e) =>
        e.timerFiredEventAttributes && Number(e.timerFiredEventAttributes.startedEventId) === Number(timer.eventId),
    )
  );
}
async function until(what: () => boolean | Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('the freelancer starts and delivers the work; the client releases from menunggu_review', async () => {
  const { input, handle, payment } = await startWithPayment(h);
  // not before the payment settles
  await expectRejected(
    handle.executeUpdate(startWorkUpdate, { args: [FREELANCER] }),
    ERROR_TYPES.invalidTransition,
    /^order is menunggu_pembayaran; work can only start on a dibayar order$/,
  );
  await settle(h, handle, input, payment);
  // only the order's freelancer; deliver only after start
  await expectRejected(
    handle.executeUpdate(startWorkUpdate, { args: [{ user_id: 'client-1' }] }),
    ERROR_TYPES.forbidden,
    /freelancer/,
  );
  await expectRejected(
    handle.executeUpdate(startWorkUpdate, { args: [{ user_id: 'freelancer-2' }] }),
    ERROR_TYPES.forbidden,
  );
  await expectRejected(
    handle.executeUpdate(deliverWorkUpdate, { args: [FREELANCER] }),
    ERROR_TYPES.invalidTransition,
    /^order is dibayar; work can only be delivered on a dikerjakan order$/,
  );
  expect(progressCalls(input.pesanan_id)).toEqual([]);

  await h.env.sleep('1d');
  // ids compare in lower case, as the release's do
  expect(await handle.executeUpdate(startWorkUpdate, { args: [{ user_id: 'FREELANCER-1' }] })).toEqual({
    pesanan_id: input.pesanan_id,
    order_status: 'dikerjakan',
  });
  let state = await handle.query(statusQuery);
  expect(state.order_status).toBe('dikerjakan');
  expect(state.escrow!.status).toBe('held');
  expect(events(state).at(-1)).toBe('work started by the freelancer');
  expect((await handle.describe()).searchAttributes).toMatchObject({
    OrderStatus: ['dikerjakan'],
    EscrowStatus: ['held'],
  });
  expect(callsFor(input.pesanan_id, 'changeOrderStatus')[0].args).toEqual({
    pesanan_id: input.pesanan_id,
    from: 'dibayar',
    to: 'dikerjakan',
    actor: { type: 'user', id: 'freelancer-1', role: 'freelancer' },
  });
  await expectRejected(
    handle.executeUpdate(startWorkUpdate, { args: [FREELANCER] }),
    ERROR_TYPES.invalidTransition,
    /^order is dikerjakan; work can only start on a dibayar order$/,
  );
  await expectRejected(
    handle.executeUpdate(deliverWorkUpdate, { args: [{ user_id: 'client-1' }] }),
    ERROR_TYPES.forbidden,
  );

  await h.env.sleep('2d');
  expect(await handle.executeUpdate(deliverWorkUpdate, { args: [FREELANCER] })).toEqual({
    pesanan_id: input.pesanan_id,
    order_status: 'menunggu_review',
  });
  state = await handle.query(statusQuery);
  expect(state.order_status).toBe('menunggu_review');
  expect(state.escrow!.status).toBe('held');
  expect(events(state).at(-1)).toBe("work delivered; waiting for the client's review");
  expect((await handle.describe()).searchAttributes).toMatchObject({ OrderStatus: ['menunggu_review'] });
  await expectRejected(
    handle.executeUpdate(deliverWorkUpdate, { args: [FREELANCER] }),
    ERROR_TYPES.invalidTransition,
    /^order is menunggu_review;/,
  );

  const released = await handle.executeUpdate(releaseEscrowUpdate, {
    args: [{ user_id: 'client-1', reason: 'Looks good' }],
  });
  expect(released).toMatchObject({ status: 'released', dirilis_oleh: 'client' });
  state = await handle.query(statusQuery);
  expect(state.order_status).toBe('selesai');
  expect(events(state).slice(-3)).toEqual([
    'work started by the freelancer',
    "work delivered; waiting for the client's review",
    'escrow released by the client',
  ]);
  // after the release: no more progress, and the auto-release never comes
  await expectRejected(
    handle.executeUpdate(startWorkUpdate, { args: [FREELANCER] }),
    ERROR_TYPES.invalidTransition,
    /^order is selesai;/,
  );
  await expectRejected(
    handle.executeUpdate(deliverWorkUpdate, { args: [FREELANCER] }),
    ERROR_TYPES.invalidTransition,
    /^order is selesai;/,
  );
  await h.env.sleep('8d');
  expect(callsFor(input.pesanan_id, 'releaseEscrow').map((c) => c.args.dirilis_oleh)).toEqual(['client']);
  expect(progressCalls(input.pesanan_id)).toEqual(['dibayar→dikerjakan', 'dikerjakan→menunggu_review']);
});

test.each([
  ['dikerjakan', [startWorkUpdate]],
  ['menunggu_review', [startWorkUpdate, deliverWorkUpdate]],
] as const)('the auto-release still comes 7 days after ditahan_pada, from %s', async (status, steps) => {
  const { input, handle, payment } = await startWithPayment(h);
  const held = (await settle(h, handle, input, payment)).escrow!;
  await h.env.sleep('3d');
  for (const step of steps) await handle.executeUpdate(step, { args: [FREELANCER] });
  expect((await handle.query(statusQuery)).order_status).toBe(status);
  // day 6 after the hold (3 days after the work started): still held
  await h.env.sleep('3d');
  expect((await handle.query(statusQuery)).escrow!.status).toBe('held');
  await h.env.sleep('1d');
  const state = await eventually(handle, (s) => s.escrow?.status === 'released');
  expect(state.escrow).toMatchObject({ status: 'released', dirilis_oleh: 'auto' });
  expect(state.order_status).toBe('selesai');
  // the timer ran from ditahan_pada, not from the start of the work
  expect(Date.parse(state.escrow!.dirilis_pada!) - Date.parse(held.ditahan_pada)).toBeGreaterThanOrEqual(7 * DAY);
  expect(Date.parse(state.escrow!.dirilis_pada!) - Date.parse(held.ditahan_pada)).toBeLessThan(7 * DAY + 60_000);
  expect(events(state).at(-1)).toBe('escrow auto-released after 7d');
  expect(callsFor(input.pesanan_id, 'releaseEscrow').map((c) => c.args.dirilis_oleh)).toEqual(['auto']);
});

test('a deliver being recorded when the 7 days end is recorded first, then the escrow is auto-released', async () => {
  const { input, handle, payment } = await startWithPayment(h);
  await settle(h, handle, input, payment);
  await handle.executeUpdate(startWorkUpdate, { args: [FREELANCER] });
  await h.env.sleep(7 * DAY - 1500);
  let open!: () => void;
  gates.set(`progress:${input.pesanan_id}`, new Promise<void>((r) => (open = r)));
  const delivering = handle.executeUpdate(deliverWorkUpdate, { args: [FREELANCER] });
  await until(() => progressCalls(input.pesanan_id).includes('dikerjakan→menunggu_review'));
  // the clock reaches the 7-day mark while the deliver's activity is held: the timer fires, the release waits
  await until(() => autoReleaseTimerFired(handle), 20_000);
  await expectRejected(
    handle.executeUpdate(deliverWorkUpdate, { args: [FREELANCER] }),
    ERROR_TYPES.invalidTransition,
    /already being delivered/,
  );
  await expectRejected(
    handle.executeUpdate(releaseEscrowUpdate, { args: [{ user_id: 'client-1', reason: null }] }),
    ERROR_TYPES.invalidTransition,
    /automatically/,
  );
  expect(callsFor(input.pesanan_id, 'releaseEscrow')).toEqual([]);
  open();
  expect(await delivering).toEqual({ pesanan_id: input.pesanan_id, order_status: 'menunggu_review' });
  const state = await eventually(handle, (s) => s.escrow?.status === 'released');
  expect(state).toMatchObject({ order_status: 'selesai', escrow: { status: 'released', dirilis_oleh: 'auto' } });
  expect(events(state).slice(-2)).toEqual([
    "work delivered; waiting for the client's review",
    'escrow auto-released after 7d',
  ]);
  const order = calls.filter((c) => c.args.pesanan_id === input.pesanan_id).map((c) => c.name);
  expect(order.slice(-2)).toEqual(['changeOrderStatus', 'releaseEscrow']);
  gates.delete(`progress:${input.pesanan_id}`);
});

test('a deliver that comes while the auto-release is being recorded is refused; no progress after it', async () => {
  const { input, handle, payment } = await startWithPayment(h);
  await settle(h, handle, input, payment);
  await handle.executeUpdate(startWorkUpdate, { args: [FREELANCER] });
  let open!: () => void;
  gates.set(input.pesanan_id, new Promise<void>((r) => (open = r)));
  await h.env.sleep('7d');
  await until(() => callsFor(input.pesanan_id, 'releaseEscrow').length > 0);
  await expectRejected(
    handle.executeUpdate(deliverWorkUpdate, { args: [FREELANCER] }),
    ERROR_TYPES.invalidTransition,
    /released automatically/,
  );
  open();
  const state = await eventually(handle, (s) => s.escrow?.status === 'released');
  expect(state).toMatchObject({ order_status: 'selesai', escrow: { status: 'released', dirilis_oleh: 'auto' } });
  expect(events(state)).not.toContain("work delivered; waiting for the client's review");
  expect(progressCalls(input.pesanan_id)).toEqual(['dibayar→dikerjakan']);
  gates.delete(input.pesanan_id);
});

test('a deliver racing the auto-release at the 7-day mark: one of the two wins cleanly', async () => {
  const { input, handle, payment } = await startWithPayment(h);
  await settle(h, handle, input, payment);
  await handle.executeUpdate(startWorkUpdate, { args: [FREELANCER] });
  await h.env.sleep(7 * DAY - 200);
  const [deliver] = await Promise.allSettled([
    handle.executeUpdate(deliverWorkUpdate, { args: [FREELANCER] }),
    h.env.sleep('1s'),
  ]);
  const state = await eventually(handle, (s) => s.escrow?.status === 'released');
  expect(state).toMatchObject({ order_status: 'selesai', escrow: { status: 'released', dirilis_oleh: 'auto' } });
  expect(callsFor(input.pesanan_id, 'releaseEscrow')).toHaveLength(1);
  const last = events(state).slice(-2);
  if (deliver.status === 'fulfilled') {
    // the deliver won: recorded, then released
    expect(deliver.value).toEqual({ pesanan_id: input.pesanan_id, order_status: 'menunggu_review' });
    expect(last).toEqual(["work delivered; waiting for the client's review", 'escrow auto-released after 7d']);
    expect(progressCalls(input.pesanan_id)).toEqual(['dibayar→dikerjakan', 'dikerjakan→menunggu_review']);
  } else {
    // the auto-release won: the deliver was refused before anything was written
    await expectRejected(
      Promise.reject(deliver.reason),
      ERROR_TYPES.invalidTransition,
      /released automatically|order is selesai/,
    );
    expect(last).toEqual(['work started by the freelancer', 'escrow auto-released after 7d']);
    expect(progressCalls(input.pesanan_id)).toEqual(['dibayar→dikerjakan']);
  }
  // nothing moves after the release
  await expectRejected(
    handle.executeUpdate(deliverWorkUpdate, { args: [FREELANCER] }),
    ERROR_TYPES.invalidTransition,
    /order is selesai|work can only be delivered/,
  );
});

test("a second start while the first is being recorded is refused; the database's word is kept", async () => {
  const { input, handle, payment } = await startWithPayment(h);
  await settle(h, handle, input, payment);
  let open!: () => void;
  gates.set(`progress:${input.pesanan_id}`, new Promise<void>((r) => (open = r)));
  const first = handle.executeUpdate(startWorkUpdate, { args: [FREELANCER] });
  await until(() => progressCalls(input.pesanan_id).length === 1);
  await expectRejected(
    handle.executeUpdate(startWorkUpdate, { args: [FREELANCER] }),
    ERROR_TYPES.invalidTransition,
    /already being started/,
  );
  open();
  expect((await first).order_status).toBe('dikerjakan');
  expect(progressCalls(input.pesanan_id)).toEqual(['dibayar→dikerjakan']);
  gates.delete(`progress:${input.pesanan_id}`);

  // the database holds the order elsewhere (nothing written): the step is refused and the workflow keeps its state
  orderInDatabase.set(input.pesanan_id, 'dibatalkan');
  await expectRejected(
    handle.executeUpdate(deliverWorkUpdate, { args: [FREELANCER] }),
    ERROR_TYPES.invalidTransition,
    /^order is dibatalkan;/,
  );
  const state = await handle.query(statusQuery);
  expect(state.order_status).toBe('dikerjakan');
  expect(events(state).at(-1)).toBe('work started by the freelancer');
});
