import request from 'supertest';
import { issueToken } from '../../api/auth';
import { runDemo } from '../../scripts/demo';
import { USERS } from '../helpers/auth';
import { Stack, dbLabel, startStack } from '../helpers/stack';

/**
 * `npm run demo` walks the seed flow against the running service and prints
 * every step with the workflow's Web UI link; then the admin's analytics read
 * the books that one flow left.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 180_000);
afterAll(async () => stack?.stop());

test(`the demo walks the seed flow to a completed payout, printing amounts and links (${dbLabel()})`, async () => {
  const lines: string[] = [];
  const result = await runDemo({
    baseUrl: stack.url,
    jwtSecret: stack.config.auth.jwtSecret,
    uiUrl: 'http://ui.example:8233',
    namespace: 'default',
    log: (l) => lines.push(l),
  });
  expect(result).toMatchObject({
    orderStatus: 'selesai',
    paymentStatus: 'berhasil',
    escrowStatus: 'completed',
    withdrawalStatus: 'completed',
  });
  const text = lines.join('\n');
  for (const n of [1, 2, 3, 4, 5, 6, 7]) expect(text).toMatch(new RegExp(`^${n}\\. `, 'm'));
  expect(text).toContain(`http://ui.example:8233/namespaces/default/workflows/order-${result.orderId}`);
  expect(text).toContain('Rp 250.000 + biaya platform Rp 12.500 + biaya gateway Rp 2.500 = Rp 265.000');
  expect(text).toContain('Rp 237.500 to the freelancer, Rp 12.500 commission');
  expect(result.history.join('\n')).toMatch(
    /payment settled[\s\S]*escrow released by the client[\s\S]*payout .* completed/,
  );
});

test(`analytics over the demo's books: counts and sums by status and method, revenue, fees, escrow, hold time, rates (${dbLabel()})`, async () => {
  const admin = await issueToken(stack.config.auth.jwtSecret, { sub: USERS.admin, role: 'admin' });
  const get = (q: string, token = admin) =>
    request(stack.url).get(`/api/admin/analytics${q}`).set('Authorization', `Bearer ${token}`);
  const from = new Date(Date.now() - 3600_000).toISOString();
  const res = await get(`?from=${from}`);
  expect(res.status).toBe(200);
  expect(res.body.data).toMatchObject({
    currency: 'IDR',
    payments: [{ status: 'berhasil', metode_pembayaran: 'qris', count: 1, total_bayar: 265_000 }],
    platform_revenue: 25_000, // the client's 5% and the freelancer's 5%
    gateway_fees: { paid: 2_500, recovered: 2_500, absorbed: 0 },
    escrow_held_now: 0,
    released_in_period: 1,
    dispute_rate: 0,
    refund_rate: 0,
  });
  expect(res.body.data.average_hold_to_release_seconds).toBeGreaterThanOrEqual(0);
  expect(res.body.data.average_hold_to_release_seconds).toBeLessThan(60);
  // a period before anything happened
  const empty = await get('?from=2020-01-01&to=2020-02-01');
  expect(empty.body.data).toMatchObject({
    payments: [],
    platform_revenue: 0,
    released_in_period: 0,
    average_hold_to_release_seconds: null,
    dispute_rate: null,
    refund_rate: null,
  });
  for (const q of [
    '?from=yesterday',
    '?from=1',
    '?from=Nov%201%202026',
    '?from=2026-11-01T00:00:00',
    '?from=2026-02-01&to=2026-01-01',
    '?from=2020-01-01&to=2026-01-01',
    '?month=11',
  ])
    expect([q, (await get(q)).status]).toEqual([q, 400]);
  expect((await get(`?from=${encodeURIComponent('2026-11-01T00:00:00+07:00')}`)).status).toBe(200);
  for (const who of ['client', 'freelancer'] as const) {
    expect((await get('', await issueToken(stack.config.auth.jwtSecret, { sub: USERS[who], role: who }))).status).toBe(
      403,
    );
  }
});
