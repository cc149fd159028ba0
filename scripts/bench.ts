import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { Knex } from 'knex';
import { issueToken } from '../api/auth';
import { createDb } from '../db/connection';
import { loadConfig } from '../domain/config';
import { signWebhook } from '../domain/signature';

/**
 * Throughput and latency of the request path against a running service
 * (`npm start` first), next to the raw `workflow.start` rate of the same
 * Temporal server. Per run: raw starts, payment creation, settlement webhooks,
 * webhook -> escrow `held` (database and workflow search attribute), a summary
 * against the targets, then cleanup of everything the run created.
 *
 *   npm run bench -- [--url http://localhost:5001] [--n 100] [--runs 1] [--warmup 10]
 *                    [--secret mock-secret] [--temporal 127.0.0.1:7233] [--keep]
 *
 * Before the runs, --warmup orders go through create and settle unreported;
 * between phases it pauses 2 s so each phase meets a quiet server.
 *
 * It reads the service's database with the service's configuration (DB_HOST /
 * DB_FILE / DATA_DIR ...), so run it with the same environment as the service.
 */
function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
function count(name: string, fallback: number): number {
  const n = Number(arg(name, String(fallback)));
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number`);
  return n;
}
const config = loadConfig();
const BASE = arg('url', process.env.BENCH_URL ?? `http://localhost:${config.port}`).replace(/\/+$/, '');
const N = count('n', 100);
const RUNS = count('runs', 1);
const SECRET = arg('secret', config.mock.secret);
const TEMPORAL = arg('temporal', config.temporal.address ?? `127.0.0.1:${config.temporal.port}`);
const KEEP = process.argv.includes('--keep');
const WARMUP = Number(arg('warmup', '10'));
if (!Number.isInteger(WARMUP) || WARMUP < 0) throw new Error('--warmup must be a whole number');
const PAUSE_MS = 2000;
const DB_POLL_MS = 10;
const WORKFLOW_POLL_MS = 100;
const WAIT_CAP_MS = 30_000;
const AMOUNT = 250_000;

// ---- figures ------------------------------------------------------------
interface Phase {
  samples: number[]; // latencies (ms) of the samples that succeeded
  failures: number;
  wallMs?: number;
  attempted: number;
}
const throughput = (p: Phase) => (p.wallMs ? (p.attempted / p.wallMs) * 1000 : NaN);

function percentile(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
}
const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(1)} ms` : '-');

function report(label: string, p: Phase, ps: number[]) {
  const cols = ps.map((q) => `p${q}=${ms(percentile(p.samples, q)).padEnd(10)}`).join(' ');
  const max = `max=${ms(p.samples.length ? Math.max(...p.samples) : NaN).padEnd(10)}`;
  const rate = p.wallMs ? ` wall=${ms(p.wallMs)} → ${throughput(p).toFixed(1)}/s` : '';
  console.log(
    `  ${label.padEnd(34)} n=${String(p.attempted).padEnd(5)} failed=${String(p.failures).padEnd(4)} ${cols} ${max}${rate}`,
  );
}

// ---- HTTP ---------------------------------------------------------------
interface Res {
  status: number; // 0 when the request itself failed (connection refused, reset...)
  json: any;
  ms: number;
}
async function postJson(path: string, body: unknown, token?: string): Promise<Res> {
  const t0 = performance.now();
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    const res = await fetch(`${BASE}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const json = await res.json().catch(() => null);
    return { status: res.status, json, ms: performance.now() - t0 };
  } catch (err) {
    return { status: 0, json: { message: String(err) }, ms: performance.now() - t0 };
  }
}

/** What one run created, for cleanup (filled as things are created). */
interface Leftovers {
  rawIds: string[];
  orderIds: string[];
  txIds: string[];
}

// ---- 1. raw workflow starts ---------------------------------------------
async function rawStarts(client: Client, left: Leftovers): Promise<Phase> {
  const taskQueue = `bench-raw-${randomUUID().slice(0, 8)}`; // no worker polls it
  const ids = Array.from({ length: N }, () => `bench-raw-${randomUUID()}`);
  const t0 = performance.now();
  const results = await Promise.all(
    ids.map(async (workflowId) => {
      const s = performance.now();
      try {
        await client.workflow.start('benchRawStart', { taskQueue, workflowId });
        left.rawIds.push(workflowId);
        return performance.now() - s;
      } catch {
        return null;
      }
    }),
  );
  const samples = results.filter((r): r is number => r !== null);
  return { samples, failures: N - samples.length, attempted: N, wallMs: performance.now() - t0 };
}

// ---- 2. orders and payment creation -------------------------------------
interface BenchOrder {
  id: string;
  client: string;
  token: string;
}
/** One client user per order: payment creation is rate-limited per user. Not measured. */
async function makeOrders(left: Leftovers, n = N): Promise<BenchOrder[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const client = randomUUID();
      const token = await issueToken(config.auth.jwtSecret, { sub: client, role: 'client' });
      const res = await postJson(
        '/api/orders',
        { client_id: client, freelancer_id: randomUUID(), judul: `bench ${i}`, harga: AMOUNT },
        token,
      );
      if (res.status !== 201)
        throw new Error(`setup: POST /api/orders answered ${res.status}: ${JSON.stringify(res.json)}`);
      left.orderIds.push(res.json.data.id);
      return { id: res.json.data.id as string, client, token };
    }),
  );
}

async function createPayments(orders: BenchOrder[], left: Leftovers): Promise<{ phase: Phase; results: Res[] }> {
  const t0 = performance.now();
  const results = await Promise.all(
    orders.map((o) =>
      postJson(
        '/api/payments/create',
        { pesanan_id: o.id, user_id: o.client, jumlah: AMOUNT, metode_pembayaran: 'qris' },
        o.token,
      ),
    ),
  );
  const wallMs = performance.now() - t0;
  const ok = results.filter((r) => r.status === 201);
  left.txIds.push(...ok.map((r) => r.json.data.transaction_id as string));
  return {
    phase: { samples: ok.map((r) => r.ms), failures: orders.length - ok.length, attempted: orders.length, wallMs },
    results,
  };
}

// ---- 3./4. webhooks and the wait for `held` -----------------------------
/**
 * Watches many orders at once with one query per poll (a query per order would
 * load the very service being measured): records, for each order, the time
 * from its webhook being sent until `found` first lists it.
 */
class HeldWatcher {
  private readonly pending = new Map<string, { t0: number; resolve: (ms: number | null) => void }>();
  private running = false;
  constructor(
    private readonly found: (orderIds: string[]) => Promise<string[]>,
    private readonly intervalMs: number,
  ) {}

  watch(orderId: string, t0: number): Promise<number | null> {
    const p = new Promise<number | null>((resolve) => this.pending.set(orderId, { t0, resolve }));
    if (!this.running) void this.loop();
    return p;
  }

  /** A refused settlement will never hold its escrow: stop waiting for it. */
  drop(orderId: string): void {
    this.pending.get(orderId)?.resolve(null);
    this.pending.delete(orderId);
  }

  private async loop(): Promise<void> {
    this.running = true;
    while (this.pending.size > 0) {
      const ids = [...this.pending.keys()];
      const held = await this.found(ids).catch(() => [] as string[]);
      const now = performance.now();
      for (const id of held) {
        const w = this.pending.get(id);
        if (!w) continue;
        w.resolve(now - w.t0);
        this.pending.delete(id);
      }
      for (const [id, w] of this.pending) {
        if (now - w.t0 > WAIT_CAP_MS) this.drop(id);
      }
      await sleep(this.intervalMs);
    }
    this.running = false;
  }
}

const heldInDb = (db: Knex) => async (ids: string[]) =>
  db('escrow').whereIn('pesanan_id', ids).andWhere({ status: 'held' }).pluck('pesanan_id');
const heldInWorkflows = (client: Client) => async (ids: string[]) => {
  const out: string[] = [];
  const query = `EscrowStatus = 'held' AND OrderId IN (${ids.map((id) => `'${id}'`).join(', ')})`;
  for await (const wf of client.workflow.list({ query })) out.push(wf.workflowId.replace(/^order-/, ''));
  return out;
};

async function settleAll(
  created: Res[],
  db: Knex,
  client: Client,
): Promise<{ webhook: Phase; dbHeld: Phase; wfHeld: Phase }> {
  const payments = created
    .filter((r) => r.status === 201)
    .map((r) => r.json.data as { transaction_id: string; total_bayar: number; pesanan_id: string });
  const dbWatch = new HeldWatcher(heldInDb(db), DB_POLL_MS);
  const wfWatch = new HeldWatcher(heldInWorkflows(client), WORKFLOW_POLL_MS);
  const t0 = performance.now();
  const runs = payments.map((p) => {
    const fields = {
      transaction_id: p.transaction_id,
      transaction_status: 'settlement',
      gross_amount: String(p.total_bayar),
      timestamp: String(Math.floor(Date.now() / 1000)),
    };
    const sent = performance.now();
    const held = Promise.all([dbWatch.watch(p.pesanan_id, sent), wfWatch.watch(p.pesanan_id, sent)]);
    const request = postJson('/api/payments/webhook', { ...fields, signature: signWebhook(fields, SECRET) }).then(
      (r) => {
        const ok = r.status === 200 && r.json?.status === 'berhasil';
        if (!ok) [dbWatch, wfWatch].forEach((w) => w.drop(p.pesanan_id));
        return { ...r, ok };
      },
    );
    return { request, held };
  });
  const responses = await Promise.all(runs.map((r) => r.request));
  const wallMs = performance.now() - t0;
  const held = await Promise.all(runs.map((r) => r.held));
  const phase = (xs: (number | null)[]): Phase => {
    const samples = xs.filter((x): x is number => x !== null);
    return { samples, failures: xs.length - samples.length, attempted: xs.length };
  };
  const ok = responses.filter((r) => r.ok);
  return {
    webhook: {
      samples: ok.map((r) => r.ms),
      failures: responses.length - ok.length,
      attempted: responses.length,
      wallMs,
    },
    dbHeld: phase(held.map((h) => h[0])),
    wfHeld: phase(held.map((h) => h[1])),
  };
}

// ---- 5. summary ---------------------------------------------------------
function summary(raw: Phase, create: Phase, webhook: Phase, dbHeld: Phase) {
  const rawRate = throughput(raw);
  const ratio = (p: Phase) => throughput(p) / rawRate;
  console.log(`  summary`);
  console.log(
    `    create  throughput ${throughput(create).toFixed(1)}/s = ${ratio(create).toFixed(2)} × raw start (${rawRate.toFixed(1)}/s)`,
  );
  console.log(`    webhook throughput ${throughput(webhook).toFixed(1)}/s = ${ratio(webhook).toFixed(2)} × raw start`);
  const p99 = (p: Phase) => percentile(p.samples, 99);
  const failed = create.failures + webhook.failures;
  const never = dbHeld.failures ? ` (${dbHeld.failures} never held)` : '';
  const targets: [string, boolean, string][] = [
    ['p99 create ≤ 500 ms', p99(create) <= 500, ms(p99(create))],
    ['p99 webhook ≤ 500 ms', p99(webhook) <= 500, ms(p99(webhook))],
    ['webhook→escrow held (db) p99 ≤ 1.5 s', p99(dbHeld) <= 1500 && !dbHeld.failures, ms(p99(dbHeld)) + never],
    ['create throughput ≥ 0.7 × raw start', ratio(create) >= 0.7, `${ratio(create).toFixed(2)} ×`],
    ['0 failed requests', failed === 0, `${failed} (create ${create.failures}, webhook ${webhook.failures})`],
  ];
  for (const [name, pass, figure] of targets)
    console.log(`    ${pass ? 'PASS' : 'MISS'}  ${name.padEnd(38)} ${figure}`);
}

// ---- 6. cleanup ---------------------------------------------------------
/**
 * The bench's own orders, and everything they wrote. (The books are
 * append-only for real orders; the bench removes its synthetic ones whole,
 * journals included, so `npm run reconcile` stays at 0 afterwards.)
 */
const DB_ROWS: [table: string, column: string, key: 'orderIds' | 'txIds'][] = [
  ['audit_log', 'pesanan_id', 'orderIds'],
  ['escrow', 'pesanan_id', 'orderIds'],
  ['pembayaran', 'pesanan_id', 'orderIds'],
  ['pesanan', 'id', 'orderIds'],
  ['webhook_log', 'transaction_id', 'txIds'],
  ['mock_gateway_charges', 'transaction_id', 'txIds'],
];

async function terminateAll(client: Client, ids: string[]): Promise<string> {
  const outcomes = await Promise.all(
    ids.map((id) =>
      client.workflow
        .getHandle(id)
        .terminate('bench cleanup')
        .then(() => 'terminated')
        .catch((err) =>
          err instanceof WorkflowNotFoundError || /not found|already completed/i.test(String(err))
            ? 'already closed'
            : `error: ${err}`,
        ),
    ),
  );
  const tally = new Map<string, number>();
  for (const o of outcomes) tally.set(o, (tally.get(o) ?? 0) + 1);
  return [...tally].map(([k, v]) => `${v} ${k}`).join(', ') || 'none';
}

async function cleanup(db: Knex, client: Client, left: Leftovers, silent = false) {
  const log = silent ? () => undefined : console.log;
  if (KEEP) {
    console.log(`  cleanup skipped (--keep): ${left.rawIds.length} raw workflows, ${left.orderIds.length} orders kept`);
    return;
  }
  const raw = await terminateAll(client, left.rawIds);
  const orders = await terminateAll(
    client,
    left.orderIds.map((id) => `order-${id}`),
  );
  log(`  cleanup: raw workflows: ${raw}; order workflows: ${orders}`);
  // a payment whose create answered an error may still exist: take its transaction id from the database
  const chunks = (xs: string[]) =>
    Array.from({ length: Math.ceil(xs.length / 500) }, (_, i) => xs.slice(i * 500, i * 500 + 500));
  if (await db.schema.hasTable('pembayaran')) {
    for (const ids of chunks(left.orderIds))
      left.txIds.push(...(await db('pembayaran').whereIn('pesanan_id', ids).pluck('transaction_id')));
  }
  const deleted: string[] = [];
  if (await db.schema.hasTable('ledger_journals')) {
    let entries = 0;
    let journals = 0;
    for (const ids of chunks(left.orderIds)) {
      const journalIds: string[] = await db('ledger_journals').whereIn('pesanan_id', ids).pluck('id');
      for (const js of chunks(journalIds)) entries += await db('ledger_entries').whereIn('journal_id', js).del();
      journals += await db('ledger_journals').whereIn('pesanan_id', ids).del();
    }
    deleted.push(`ledger_journals ${journals}`, `ledger_entries ${entries}`);
  }
  if (await db.schema.hasTable('notifications')) {
    // the orders' notification events (and who may read them); a poll waits up to a minute past the holes this leaves
    let events = 0;
    for (const ids of chunks(left.orderIds)) {
      const seqs = (await db('notifications').whereIn('pesanan_id', ids).pluck('seq')).map(Number);
      for (let i = 0; i < seqs.length; i += 500)
        await db('notification_recipients')
          .whereIn('notification_seq', seqs.slice(i, i + 500))
          .del();
      events += await db('notifications').whereIn('pesanan_id', ids).del();
    }
    deleted.push(`notifications ${events}`);
  }
  for (const [table, column, key] of DB_ROWS) {
    if (!(await db.schema.hasTable(table))) continue;
    let rows = 0;
    for (const ids of chunks([...new Set(left[key])])) rows += await db(table).whereIn(column, ids).del();
    deleted.push(`${table} ${rows}`);
  }
  log(`  cleanup: deleted rows: ${deleted.join(', ')}`);
}

// ---- main ---------------------------------------------------------------
/** Lets the server finish the previous phase's background work (the relay's signals, workflow tasks) so each phase is measured on its own. */
const settleDown = () => sleep(PAUSE_MS);

async function runOnce(run: number, db: Knex, client: Client) {
  console.log(`\nrun ${run}/${RUNS}: ${N} concurrent`);
  const left: Leftovers = { rawIds: [], orderIds: [], txIds: [] };
  try {
    const raw = await rawStarts(client, left);
    report('raw workflow.start', raw, [50, 95, 99]);
    const orders = await makeOrders(left);
    await settleDown();
    const { phase: create, results } = await createPayments(orders, left);
    report('POST /api/payments/create', create, [50, 95, 99]);
    await settleDown();
    const { webhook, dbHeld, wfHeld } = await settleAll(results, db, client);
    report('POST /api/payments/webhook', webhook, [50, 95, 99]);
    report('webhook → escrow held (db)', dbHeld, [50, 99]);
    report('webhook → EscrowStatus=held (wf)', wfHeld, [50, 99]);
    summary(raw, create, webhook, dbHeld);
  } finally {
    await cleanup(db, client, left);
  }
}

/** A few orders through create and settle first, unreported: the first requests of a fresh process pay for compiling its code. */
async function warmUp(db: Knex, client: Client) {
  if (WARMUP === 0) return;
  const left: Leftovers = { rawIds: [], orderIds: [], txIds: [] };
  try {
    const orders = await makeOrders(left, WARMUP);
    const { results } = await createPayments(orders, left);
    await settleAll(results, db, client);
  } finally {
    await cleanup(db, client, left, true);
  }
  console.log(`warm-up: ${WARMUP} orders created and settled (not reported)`);
  await settleDown();
}

async function main() {
  const where =
    config.db.client === 'mysql2'
      ? `MySQL ${config.db.host}:${config.db.port}/${config.db.database}`
      : `SQLite ${config.db.filename}`;
  console.log(`bench: API ${BASE}, Temporal ${TEMPORAL} (namespace ${config.temporal.namespace}), database ${where}`);
  console.log(
    `       n=${N} concurrent, ${RUNS} run(s); polls (one query for all orders): database every ${DB_POLL_MS} ms, workflow visibility every ${WORKFLOW_POLL_MS} ms, cap ${WAIT_CAP_MS / 1000} s`,
  );
  const db = await createDb(config.db);
  const connection = await Connection.connect({ address: TEMPORAL }).catch(async (err) => {
    await db.destroy();
    throw err;
  });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  try {
    await warmUp(db, client);
    for (let run = 1; run <= RUNS; run++) await runOnce(run, db, client);
  } finally {
    await connection.close();
    await db.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
