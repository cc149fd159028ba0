import { runDemo } from '../../scripts/demo';
import { Stack, dbLabel, startStack } from '../helpers/stack';

/** `npm run demo` walks the seed flow against the running service and prints every step with the workflow's Web UI link. */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 180_000);
afterAll(async () => stack?.stop());

test(`the demo walks the seed flow to a completed payout, printing amounts and links (${dbLabel()})`, async () => {
  const lines: string[] = [];
  const result = await runDemo({ baseUrl: stack.url, jwtSecret: stack.config.auth.jwtSecret, uiUrl: 'http://ui.example:8233', namespace: 'default', log: (l) => lines.push(l) });
  expect(result).toMatchObject({ orderStatus: 'selesai', paymentStatus: 'berhasil', escrowStatus: 'completed', withdrawalStatus: 'completed' });
  const text = lines.join('\n');
  for (const n of [1, 2, 3, 4, 5, 6, 7]) expect(text).toMatch(new RegExp(`^${n}\\. `, 'm'));
  expect(text).toContain(`http://ui.example:8233/namespaces/default/workflows/order-${result.orderId}`);
  expect(text).toContain('Rp 250.000 + biaya platform Rp 12.500 + biaya gateway Rp 2.500 = Rp 265.000');
  expect(text).toContain('Rp 237.500 to the freelancer, Rp 12.500 commission');
  expect(result.history.join('\n')).toMatch(/payment settled[\s\S]*escrow released by the client[\s\S]*payout .* completed/);
});
