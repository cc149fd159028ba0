import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Worker, WorkflowBundleWithSourceMap, bundleWorkflowCode } from '@temporalio/worker';
import { defaultPayloadConverter } from '@temporalio/common';
import { PAYMENT_DECIDED_BY_DATABASE } from '../../workflows/order';
import { releaseEscrowUpdate, withdrawUpdate } from '../../workflows/messages';
import { Harness, eventually, newOrder, settle, startHarness, startWithPayment } from './harness';

/**
 * Determinism: today's histories and the recorded ones in histories/ replay
 * against the current workflow code. The files named without a prefix were
 * recorded before the payment path moved into the database (in-workflow
 * payment, no patch marker); `db-decided-*` after. A change to orderWorkflow
 * that breaks either needs `patched()`. RECORD_HISTORIES=1 writes today's as
 * `db-decided-*` fixtures; keep the old ones.
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
    await handle.executeUpdate(withdrawUpdate, {
      args: [{ freelancer_id: 'freelancer-1', metode_pencairan: 'transfer_bank', nomor_rekening: '1234567890', nama_pemilik: 'John', auto_process: true }],
    });
    await handle.result();
    recorded.push({ name: 'released-withdrawn', handle });
  }
  {
    const { input, handle, payment } = await startWithPayment(h, newOrder({ escrow_auto_release_after: '5s' }));
    await settle(h, handle, input, payment, 5000);
    await h.env.sleep('5s');
    await eventually(handle, (s) => s.escrow?.status === 'released');
    recorded.push({ name: 'auto-released-held', handle });
  }
  {
    const { handle } = await startWithPayment(h, newOrder({ payment_expiry: '5s' }), 5000);
    await h.env.sleep('5s');
    await handle.result();
    recorded.push({ name: 'expired', handle });
  }
  return recorded;
}

const decode = (file: string) => temporal.api.history.v1.History.decode(fs.readFileSync(path.join(HISTORIES, file)));
const hasPatchMarker = (history: temporal.api.history.v1.IHistory) =>
  history.events!.some((e) => {
    const m = e.markerRecordedEventAttributes;
    if (m?.markerName !== 'core_patch') return false;
    const data = m.details?.['patch-data']?.payloads?.[0]?.data;
    return data ? JSON.parse(Buffer.from(data).toString()).id === PAYMENT_DECIDED_BY_DATABASE : false;
  });

test('today\'s histories, and the recorded ones of both payment paths, replay against the current workflow code', async () => {
  const fresh = await Promise.all((await lifecycles()).map(async (r) => ({ name: r.name, history: await r.handle.fetchHistory() })));
  if (process.env.RECORD_HISTORIES === '1') {
    fs.mkdirSync(HISTORIES, { recursive: true });
    for (const f of fresh) fs.writeFileSync(path.join(HISTORIES, `db-decided-${f.name}.binpb`), temporal.api.history.v1.History.encode(f.history).finish());
  }
  const fixtures = fs.readdirSync(HISTORIES).filter((f) => f.endsWith('.binpb'));
  const legacy = fixtures.filter((f) => !f.startsWith('db-decided-'));
  const current = fixtures.filter((f) => f.startsWith('db-decided-'));
  expect(legacy.length).toBeGreaterThanOrEqual(3);
  expect(current.length).toBeGreaterThanOrEqual(3);
  // the old fixtures really are of the old path, and today's carry the patch
  for (const f of legacy) expect([f, hasPatchMarker(decode(f))]).toEqual([f, false]);
  for (const f of [...current.map(decode), ...fresh.map((x) => x.history)]) expect(hasPatchMarker(f)).toBe(true);
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
