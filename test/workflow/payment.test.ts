import { Worker } from '@temporalio/worker';
import {
  LATE_FAILURE_RECORDED,
  OrderState,
  paymentCreatedSignal,
  paymentOutcomeSignal,
  statusQuery,
} from '../../workflows/messages';
import {
  DAY,
  Harness,
  callsFor,
  databaseDecided,
  eventually,
  gates,
  newOrder,
  paymentFor,
  settle,
  settledOutcome,
  startHarness,
  startWithPayment,
} from './harness';

/** The payment phase: the database decides, the workflow follows and runs the expiry timer. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 180_000);
afterAll(async () => h?.stop());

test('the workflow starts with its payment (signal-with-start) and shows it in search attributes and state', async () => {
  const { input, handle, payment } = await startWithPayment(h);
  const state = await eventually(handle, (s) => s.payment !== null);
  expect(state.payment).toMatchObject({
    payment_id: payment.payment_id,
    status: 'menunggu',
    total_bayar: 265_000,
    biaya_platform: 12_500,
    biaya_gateway: 2_500,
  });
  expect(state.order_status).toBe('menunggu_pembayaran');
  const described = await handle.describe();
  expect(described.searchAttributes).toMatchObject({
    OrderId: [input.pesanan_id],
    TransactionId: [payment.transaction_id],
    PaymentStatus: ['menunggu'],
    OrderStatus: ['menunggu_pembayaran'],
  });
  // the hot path runs no activity at all
  expect(callsFor(input.pesanan_id)).toHaveLength(0);
  await handle.terminate('test done');
});

test('a repeated payment signal (a retried request, the sweep) and a second signal-with-start change nothing', async () => {
  const { input, handle, payment } = await startWithPayment(h);
  await handle.signal(paymentCreatedSignal, payment);
  await h.env.client.workflow.signalWithStart('orderWorkflow', {
    taskQueue: 'order-workflow-test',
    workflowId: `order-${input.pesanan_id}`,
    args: [{ ...input, payment }],
    signal: paymentCreatedSignal,
    // another payment older than the current one (a stale delivery): the current one stands. (A newer one is
    // adopted: the database lets a payment follow only a failed one; see the tests of paying again below.)
    signalArgs: [paymentFor(input, Date.parse(payment.created_at) - 1000)],
  });
  const state = await handle.query(statusQuery);
  expect(state.payment?.payment_id).toBe(payment.payment_id);
  expect(state.history.filter((e) => e.event.includes('created')).length).toBe(1);
  await handle.terminate('test done');
});

test('a payment nobody pays expires at its expires_at: the workflow asks the database, once', async () => {
  const { input, handle, payment } = await startWithPayment(h);
  await h.env.sleep('23h');
  expect((await handle.query(statusQuery)).payment?.status).toBe('menunggu');
  expect(callsFor(payment.payment_id, 'expirePayment')).toHaveLength(0);
  await h.env.sleep('1h');
  const result: OrderState = await handle.result();
  expect(result.payment?.status).toBe('kadaluarsa');
  expect(result.order_status).toBe('dibatalkan');
  expect(result.escrow).toBeNull();
  // the window (from this, the first payment) closes: the database expires its live payment and cancels the order
  expect(callsFor(payment.payment_id, 'expirePayment').map((c) => c.args)).toEqual([
    { payment_id: payment.payment_id, pesanan_id: input.pesanan_id, close_window: true },
  ]);
  const described = await handle.describe();
  expect(described.searchAttributes).toMatchObject({ PaymentStatus: ['kadaluarsa'], OrderStatus: ['dibatalkan'] });
});

test('a payment window shorter than 24 h (PAYMENT_EXPIRY) is honoured through expires_at', async () => {
  const { handle } = await startWithPayment(h, newOrder({ payment_expiry: '5s' }), 5000);
  await h.env.sleep('5s');
  expect((await handle.result()).payment?.status).toBe('kadaluarsa');
});

test('a failure decided in the database leaves the order waiting for another payment until the window closes; then it is cancelled', async () => {
  const { input, handle, payment } = await startWithPayment(h);
  await handle.signal(paymentOutcomeSignal, {
    payment_id: payment.payment_id,
    status: 'gagal',
    gateway_status: 'deny',
    dibayar_pada: null,
    escrow: null,
  });
  const waiting = await eventually(handle, (s) => s.payment?.status === 'gagal');
  expect(waiting).toMatchObject({
    order_status: 'menunggu_pembayaran',
    escrow: null,
    payment: { status: 'gagal', gateway_status: 'deny' },
  });
  expect(waiting.history.map((e) => e.event)).toContain(
    `payment ${payment.transaction_id} failed (deny); waiting for another payment until ${payment.expires_at}`,
  );
  expect((await handle.describe()).status.name).toBe('RUNNING');
  // nothing more comes: the window closes 24 h after the first payment, and the database is asked, once
  await h.env.sleep('23h');
  expect(callsFor(payment.payment_id, 'expirePayment')).toHaveLength(0);
  databaseDecided.set(payment.payment_id, {
    payment_id: payment.payment_id,
    status: 'gagal',
    gateway_status: 'deny',
    dibayar_pada: null,
    escrow: null,
  });
  await h.env.sleep('1h');
  const result: OrderState = await handle.result();
  expect(result).toMatchObject({
    order_status: 'dibatalkan',
    escrow: null,
    payment: { payment_id: payment.payment_id, status: 'gagal' },
  });
  expect(callsFor(payment.payment_id, 'expirePayment').map((c) => c.args)).toEqual([
    { payment_id: payment.payment_id, pesanan_id: input.pesanan_id, close_window: true },
  ]);
  expect(result.history.at(-1)?.event).toBe(
    `payment window closed at ${payment.expires_at} without a settled payment (payment ${payment.transaction_id} gagal); order cancelled`,
  );
  expect((await handle.describe()).searchAttributes).toMatchObject({
    PaymentStatus: ['gagal'],
    OrderStatus: ['dibatalkan'],
  });
});

test('fail, then a second payment (another method) settles: its escrow is held and the window timer no longer matters', async () => {
  const { input, handle, payment } = await startWithPayment(h);
  await handle.signal(paymentOutcomeSignal, {
    payment_id: payment.payment_id,
    status: 'gagal',
    gateway_status: 'deny',
    dibayar_pada: null,
    escrow: null,
  });
  await eventually(handle, (s) => s.payment?.status === 'gagal');
  await h.env.sleep('2h');
  const second = {
    ...paymentFor(input, await h.env.currentTimeMs()),
    metode_pembayaran: 'virtual_account' as const,
    channel: 'bca',
    expires_at: payment.expires_at,
  };
  await handle.signal(paymentCreatedSignal, second);
  await handle.signal(paymentCreatedSignal, payment); // the first again (a late repeat): changes nothing
  const adopted = await eventually(handle, (s) => s.payment?.payment_id === second.payment_id);
  expect(adopted.payment).toMatchObject({
    payment_id: second.payment_id,
    status: 'menunggu',
    metode_pembayaran: 'virtual_account',
  });
  // a late outcome for the first payment changes nothing
  await handle.signal(paymentOutcomeSignal, {
    payment_id: payment.payment_id,
    status: 'gagal',
    gateway_status: 'deny',
    dibayar_pada: null,
    escrow: null,
  });
  const held = await settle(h, handle, input, second);
  expect(held).toMatchObject({
    order_status: 'dibayar',
    payment: { payment_id: second.payment_id, status: 'berhasil' },
    escrow: { status: 'held', pembayaran_id: second.payment_id, jumlah_ditahan: 250_000 },
  });
  expect((await handle.describe()).searchAttributes).toMatchObject({
    TransactionId: [second.transaction_id],
    PaymentStatus: ['berhasil'],
    EscrowStatus: ['held'],
    OrderStatus: ['dibayar'],
  });
  await h.env.sleep('1d');
  expect(callsFor(input.pesanan_id, 'expirePayment')).toHaveLength(0);
  expect((await handle.query(statusQuery)).escrow?.status).toBe('held');
  await handle.terminate('test done');
});

test('a payment cancelled by the client, then one created late in the window: it expires when the window closes (from the first payment)', async () => {
  const { input, handle, payment } = await startWithPayment(h);
  await handle.signal(paymentOutcomeSignal, {
    payment_id: payment.payment_id,
    status: 'gagal',
    gateway_status: 'cancel',
    dibayar_pada: null,
    escrow: null,
  });
  const waiting = await eventually(handle, (s) => s.payment?.status === 'gagal');
  expect(waiting.history.map((e) => e.event)).toContain(
    `payment ${payment.transaction_id} cancelled by the client; waiting for another payment until ${payment.expires_at}`,
  );
  await h.env.sleep('20h');
  // the API gives the new payment the window's end, not its own creation + 24 h
  const late = { ...paymentFor(input, await h.env.currentTimeMs()), expires_at: payment.expires_at };
  await handle.signal(paymentCreatedSignal, late);
  await eventually(handle, (s) => s.payment?.payment_id === late.payment_id);
  await h.env.sleep('3h');
  expect(callsFor(input.pesanan_id, 'expirePayment')).toHaveLength(0);
  await h.env.sleep('1h'); // 24 h after the first payment
  const result: OrderState = await handle.result();
  expect(result).toMatchObject({
    order_status: 'dibatalkan',
    escrow: null,
    payment: { payment_id: late.payment_id, status: 'kadaluarsa' },
  });
  expect(callsFor(input.pesanan_id, 'expirePayment').map((c) => c.args)).toEqual([
    { payment_id: late.payment_id, pesanan_id: input.pesanan_id, close_window: true },
  ]);
});

test("a new payment's signal that arrives before the failure of the one it replaced is adopted; the old failure is told once in the history and changes nothing else", async () => {
  const { input, handle, payment } = await startWithPayment(h);
  await h.env.sleep('1h');
  const second = { ...paymentFor(input, await h.env.currentTimeMs()), expires_at: payment.expires_at };
  await handle.signal(paymentCreatedSignal, second);
  const failure = {
    payment_id: payment.payment_id,
    status: 'gagal' as const,
    gateway_status: 'deny',
    dibayar_pada: null,
    escrow: null,
  };
  await handle.signal(paymentOutcomeSignal, failure);
  await handle.signal(paymentOutcomeSignal, failure); // the sweep's repeat
  const failedLine = `payment ${payment.transaction_id} failed (deny); told after the order's next payment was created`;
  const state = await eventually(handle, (s) => s.history.some((e) => e.event === failedLine));
  expect(state.payment).toMatchObject({ payment_id: second.payment_id, status: 'menunggu' });
  expect(state.order_status).toBe('menunggu_pembayaran');
  expect(state.history.filter((e) => e.event === failedLine)).toHaveLength(1);
  // the failure of a payment the workflow never adopted is not told
  await handle.signal(paymentOutcomeSignal, { ...failure, payment_id: 'not-this-order' });
  expect((await handle.query(statusQuery)).history.filter((e) => e.event.includes('failed'))).toHaveLength(1);
  await settle(h, handle, input, second);
  // the line is behind its patch (recording upserts search attributes), and the history replays with it
  const history = await handle.fetchHistory();
  const patches = history
    .events!.map((e) => e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data)
    .filter((d) => d);
  expect(patches.map((d) => JSON.parse(Buffer.from(d!).toString()).id)).toContain(LATE_FAILURE_RECORDED);
  await expect(
    Worker.runReplayHistory({ workflowBundle: h.bundle }, history, handle.workflowId),
  ).resolves.toBeUndefined();
  await handle.terminate('test done');
});

test("race: a failure arrives as the window closes: the database's answer decides, and the order is cancelled once", async () => {
  const { input, handle, payment } = await startWithPayment(h);
  let open!: () => void;
  gates.set(payment.payment_id, new Promise<void>((r) => (open = r)));
  // the deny's transaction committed just before the window closed; its signal is still on the way
  databaseDecided.set(payment.payment_id, {
    payment_id: payment.payment_id,
    status: 'gagal',
    gateway_status: 'deny',
    dibayar_pada: null,
    escrow: null,
  });
  await h.env.sleep('1d');
  const deadline = Date.now() + 5000;
  while (callsFor(payment.payment_id, 'expirePayment').length === 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  await handle.signal(paymentOutcomeSignal, {
    payment_id: payment.payment_id,
    status: 'gagal',
    gateway_status: 'deny',
    dibayar_pada: null,
    escrow: null,
  });
  open();
  const result: OrderState = await handle.result();
  expect(result).toMatchObject({
    order_status: 'dibatalkan',
    escrow: null,
    payment: { status: 'gagal', gateway_status: 'deny' },
  });
  expect(result.history.filter((e) => /order cancelled/.test(e.event))).toHaveLength(1);
  // (a local activity may run more than once; each asks the same idempotent question)
  expect(new Set(callsFor(input.pesanan_id, 'expirePayment').map((c) => JSON.stringify(c.args)))).toEqual(
    new Set([JSON.stringify({ payment_id: payment.payment_id, pesanan_id: input.pesanan_id, close_window: true })]),
  );
});

test("race: the window closes while a second payment's settlement is still on its way: the database names it and the workflow holds its escrow", async () => {
  const { input, handle, payment } = await startWithPayment(h);
  await handle.signal(paymentOutcomeSignal, {
    payment_id: payment.payment_id,
    status: 'gagal',
    gateway_status: 'deny',
    dibayar_pada: null,
    escrow: null,
  });
  await eventually(handle, (s) => s.payment?.status === 'gagal');
  await h.env.sleep('12h');
  // a second payment the workflow was never told about settled; the window closes before its signals arrive
  const second = { ...paymentFor(input, await h.env.currentTimeMs()), expires_at: payment.expires_at };
  const outcome = await settledOutcome(h, input, second);
  databaseDecided.set(payment.payment_id, {
    ...outcome,
    payment: { ...second, status: 'berhasil', gateway_status: 'settlement', dibayar_pada: outcome.dibayar_pada },
  });
  await h.env.sleep('12h');
  const state = await eventually(handle, (s) => s.escrow !== null);
  expect(state).toMatchObject({
    order_status: 'dibayar',
    payment: { payment_id: second.payment_id, status: 'berhasil' },
    escrow: { escrow_id: outcome.escrow!.escrow_id, status: 'held' },
  });
  await handle.terminate('test done');
});

test('duplicate outcome signals, and one for another payment, change nothing', async () => {
  const { input, handle, payment } = await startWithPayment(h);
  await handle.signal(paymentOutcomeSignal, {
    payment_id: 'another-payment',
    status: 'gagal',
    gateway_status: 'deny',
    dibayar_pada: null,
    escrow: null,
  });
  const first = await settle(h, handle, input, payment);
  await handle.signal(paymentOutcomeSignal, await settledOutcome(h, input, payment)); // a second escrow id: ignored
  await handle.signal(paymentOutcomeSignal, {
    payment_id: payment.payment_id,
    status: 'gagal',
    gateway_status: 'deny',
    dibayar_pada: null,
    escrow: null,
  });
  const state = await handle.query(statusQuery);
  expect(state.payment?.status).toBe('berhasil');
  expect(state.escrow).toEqual(first.escrow);
  expect(state.escrow).toMatchObject({
    status: 'held',
    jumlah_ditahan: 250_000,
    biaya_platform: 12_500,
    jumlah_bersih: 237_500,
  });
  expect(state.history.filter((e) => e.event.startsWith('payment settled')).length).toBe(1);
  expect((await handle.describe()).searchAttributes).toMatchObject({
    PaymentStatus: ['berhasil'],
    EscrowStatus: ['held'],
    OrderStatus: ['dibayar'],
  });
  await handle.terminate('test done');
});

test('race: the timer fires as a settlement commits: the database answers settled, and the workflow holds the escrow', async () => {
  const { input, handle, payment } = await startWithPayment(h);
  const decided = await settledOutcome(h, input, payment);
  databaseDecided.set(payment.payment_id, decided); // the webhook's transaction won; its signal is still on the way
  await h.env.sleep('1d');
  const state = await eventually(handle, (s) => s.escrow !== null);
  expect(state.payment?.status).toBe('berhasil');
  expect(state.escrow?.escrow_id).toBe(decided.escrow!.escrow_id);
  expect(state.order_status).toBe('dibayar');
  await handle.signal(paymentOutcomeSignal, decided); // the late signal is a duplicate
  expect((await handle.query(statusQuery)).history.filter((e) => e.event.startsWith('payment settled')).length).toBe(1);
  await handle.terminate('test done');
});

test("race: a settlement signal arrives while the expiry asks the database: one decision, the database's", async () => {
  const { input, handle, payment } = await startWithPayment(h);
  const decided = await settledOutcome(h, input, payment);
  let open!: () => void;
  gates.set(payment.payment_id, new Promise<void>((r) => (open = r)));
  databaseDecided.set(payment.payment_id, decided);
  await h.env.sleep('1d');
  const deadline = Date.now() + 5000;
  while (callsFor(payment.payment_id, 'expirePayment').length === 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  await handle.signal(paymentOutcomeSignal, decided);
  const state = await eventually(handle, (s) => s.escrow !== null);
  open();
  await new Promise((r) => setTimeout(r, 200));
  const after = await handle.query(statusQuery);
  expect(state.escrow?.escrow_id).toBe(decided.escrow!.escrow_id);
  expect(after.payment?.status).toBe('berhasil');
  expect(
    after.history.filter((e) => /payment settled|payment expired/.test(e.event)).map((e) => e.event.split(' (')[0]),
  ).toEqual(['payment settled']);
  await handle.terminate('test done');
});

test('a settled payment holds its escrow until akan_dirilis_pada, then is auto-released', async () => {
  const { input, handle, payment } = await startWithPayment(h);
  const held = await settle(h, handle, input, payment);
  expect(Date.parse(held.escrow!.akan_dirilis_pada) - Date.parse(held.escrow!.ditahan_pada)).toBe(7 * DAY);
  await h.env.sleep('6d');
  expect((await handle.query(statusQuery)).escrow?.status).toBe('held');
  await h.env.sleep('1d');
  const state = await eventually(handle, (s) => s.escrow?.status === 'released');
  expect(state.escrow).toMatchObject({ status: 'released', dirilis_oleh: 'auto' });
  expect(state.order_status).toBe('selesai');
  expect(callsFor(input.pesanan_id, 'releaseEscrow').map((c) => c.args.dirilis_oleh)).toEqual(['auto']);
});
