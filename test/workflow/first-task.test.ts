import { Worker } from '@temporalio/worker';
import {
  cancelOrderUpdate,
  deliverWorkUpdate,
  openDisputeUpdate,
  paymentOutcomeSignal,
  releaseEscrowUpdate,
  startWorkUpdate,
} from '../../workflows/messages';
import {
  Harness,
  callsFor,
  eventually,
  fakeActivities,
  settledOutcome,
  startHarness,
  startWithPayment,
  newOrder,
} from './harness';

/**
 * The workflow's first task may carry everything at once: the payment it was
 * started with, the settlement's outcome signal, and an action the client or
 * freelancer sent right after the settlement's 200 (its worker was busy or
 * down). The action must be checked against the escrow the settlement holds,
 * not refused for "no escrow yet": the payment phase applies its messages first.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 180_000);
afterAll(async () => h?.stop());

/** Starts the order on a queue no worker polls, sends the outcome and the action, then starts a worker: one first task with all of it. */
async function firstTaskWith<T>(
  queue: string,
  act: (handle: Awaited<ReturnType<typeof startWithPayment>>['handle']) => Promise<T>,
) {
  const { input, handle, payment } = await startWithPayment(h, newOrder(), undefined, queue);
  const outcome = await settledOutcome(h, input, payment);
  await handle.signal(paymentOutcomeSignal, outcome);
  const answer = act(handle).then(
    (v) => ({ ok: true as const, v }),
    (e) => ({ ok: false as const, e }),
  );
  await new Promise((r) => setTimeout(r, 300)); // the update is admitted to the workflow before any worker polls
  const worker = await Worker.create({
    connection: h.env.nativeConnection,
    taskQueue: queue,
    workflowBundle: h.bundle,
    activities: fakeActivities,
    maxCachedWorkflows: 0,
  });
  const running = worker.run();
  try {
    return { input, handle, escrowId: outcome.escrow!.escrow_id, result: await answer };
  } finally {
    worker.shutdown();
    await running;
  }
}

test('a release sent with the settlement in the first task is accepted and releases the escrow', async () => {
  const { input, result } = await firstTaskWith('first-task-release', (handle) =>
    handle.executeUpdate(releaseEscrowUpdate, { args: [{ user_id: 'client-1', reason: 'ok' }] }),
  );
  expect(result.ok ? result.v.status : String(result.e?.cause?.message)).toBe('released');
  expect(callsFor(input.pesanan_id, 'releaseEscrow')).toHaveLength(1);
});

test('a cancellation sent with the settlement in the first task refunds the escrow', async () => {
  const { escrowId, result } = await firstTaskWith('first-task-cancel', (handle) =>
    handle.executeUpdate(cancelOrderUpdate, {
      args: [{ user_id: 'freelancer-1', role: 'freelancer', alasan: 'cannot take it' }],
    }),
  );
  expect(result.ok ? result.v.escrow_status : String(result.e?.cause?.message)).toBe('refunded');
  expect(callsFor(escrowId, 'refundEscrow')).toHaveLength(1);
});

test('a dispute and a work step sent with the settlement in the first task are taken', async () => {
  const disputed = await firstTaskWith('first-task-dispute', (handle) =>
    handle.executeUpdate(openDisputeUpdate, {
      args: [{ user_id: 'client-1', role: 'client', alasan: 'not as agreed' }],
    }),
  );
  expect(disputed.result.ok ? disputed.result.v.status : String(disputed.result.e?.cause?.message)).toBe('open');
  const started = await firstTaskWith('first-task-start', (handle) =>
    handle.executeUpdate(startWorkUpdate, { args: [{ user_id: 'freelancer-1' }] }),
  );
  expect(started.result.ok ? started.result.v.order_status : String(started.result.e?.cause?.message)).toBe(
    'dikerjakan',
  );
  // the workflow carries on from there: deliver, on a worker that keeps running
  const worker = await Worker.create({
    connection: h.env.nativeConnection,
    taskQueue: 'first-task-start',
    workflowBundle: h.bundle,
    activities: fakeActivities,
  });
  const running = worker.run();
  try {
    expect(
      (await started.handle.executeUpdate(deliverWorkUpdate, { args: [{ user_id: 'freelancer-1' }] })).order_status,
    ).toBe('menunggu_review');
    expect((await eventually(started.handle, (s) => s.order_status === 'menunggu_review')).escrow?.status).toBe('held');
  } finally {
    worker.shutdown();
    await running;
  }
});
