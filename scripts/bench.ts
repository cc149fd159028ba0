import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { issueToken } from '../api/auth';
import { loadConfig } from '../domain/config';
import { signWebhook } from '../domain/signature';

/**
 * Latency of payment creation and of the settlement webhook under concurrency,
 * against a running service (`npm start` first). Prints p50/p95/p99/max.
 *
 *   npm run bench -- [--url http://localhost:5001] [--n 100] [--secret mock-secret]
 */
function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const BASE = arg('url', process.env.BENCH_URL ?? 'http://localhost:5001');
const N = Number(arg('n', '100'));
const SECRET = arg('secret', process.env.MOCK_PAYMENT_SECRET ?? 'mock-secret');

async function postJson(path: string, body: unknown, token?: string): Promise<{ status: number; json: any; ms: number }> {
  const t0 = performance.now();
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${BASE}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const json = await res.json();
  return { status: res.status, json, ms: performance.now() - t0 };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function report(label: string, samples: number[], wallMs: number, failures: number) {
  const s = [...samples].sort((a, b) => a - b);
  const f = (n: number) => `${n.toFixed(1)} ms`;
  console.log(
    `${label.padEnd(16)} n=${samples.length} failed=${failures} p50=${f(percentile(s, 50))} p95=${f(percentile(s, 95))} p99=${f(percentile(s, 99))} max=${f(s[s.length - 1])} wall=${f(wallMs)} (${((samples.length / wallMs) * 1000).toFixed(0)}/s)`,
  );
}

async function main() {
  console.log(`benchmark against ${BASE}: ${N} concurrent payments`);
  // One client per payment (payment creation is rate-limited per user), tokens signed with JWT_SECRET.
  const secret = loadConfig().auth.jwtSecret;
  const users = await Promise.all(
    Array.from({ length: N }, async () => {
      const client = randomUUID();
      return { client, freelancer: randomUUID(), token: await issueToken(secret, { sub: client, role: 'client' }) };
    }),
  );
  const orders = await Promise.all(
    users.map((u, i) => postJson('/api/orders', { client_id: u.client, freelancer_id: u.freelancer, judul: `bench ${i}`, harga: 250_000 }, u.token)),
  );
  const ids = orders.map((o) => o.json.data.id as string);

  let t0 = performance.now();
  const created = await Promise.all(
    ids.map((id, i) => postJson('/api/payments/create', { pesanan_id: id, user_id: users[i].client, jumlah: 250_000, metode_pembayaran: 'qris' }, users[i].token)),
  );
  report('create payment', created.map((r) => r.ms), performance.now() - t0, created.filter((r) => r.status !== 201).length);

  t0 = performance.now();
  const webhooks = await Promise.all(
    created.map((c) => {
      const fields = { transaction_id: c.json.data.transaction_id, transaction_status: 'settlement', gross_amount: String(c.json.data.total_bayar), timestamp: String(Math.floor(Date.now() / 1000)) };
      return postJson('/api/payments/webhook', { ...fields, signature: signWebhook(fields, SECRET) });
    }),
  );
  report('webhook (settle)', webhooks.map((r) => r.ms), performance.now() - t0, webhooks.filter((r) => r.status !== 200 || r.json.status !== 'berhasil').length);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
