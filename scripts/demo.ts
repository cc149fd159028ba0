import { randomUUID } from 'node:crypto';
import { issueToken } from '../api/auth';
import type { Role } from '../domain/access';
import { startAll } from './all-in-one';
import { configOrExit, fatal, onShutdown } from './run';

/**
 * `npm run demo`: the seed's whole flow against a running service (DEMO_URL,
 * default http://localhost:$PORT), or against one it starts itself when none
 * answers: create order, pay, settle, escrow, release, withdraw (approved by an
 * admin when auto-withdrawal is off). Each step prints its amounts and the
 * order workflow's link in the Temporal Web UI; the end prints the order's
 * lifecycle as the workflow tells it.
 */
export interface DemoOptions {
  baseUrl: string;
  jwtSecret: string;
  /** the Temporal Web UI, e.g. http://localhost:8233 */
  uiUrl: string;
  namespace: string;
  log: (line: string) => void;
}

export interface DemoResult {
  orderId: string;
  orderStatus: string;
  paymentStatus: string;
  escrowStatus: string;
  withdrawalStatus: string;
  history: string[];
}

const rupiah = (n: number) => `Rp ${n.toLocaleString('id-ID')}`;

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const ids = { client: randomUUID(), freelancer: randomUUID(), admin: randomUUID() };
  const token = (role: Role) => issueToken(o.jwtSecret, { sub: ids[role], role });
  const tokens = { client: await token('client'), freelancer: await token('freelancer'), admin: await token('admin') };
  const call = async (who: Role, method: 'GET' | 'POST', path: string, body?: unknown) => {
    const res = await fetch(`${o.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as { success: boolean; data?: any; error?: { message: string } };
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${json.error?.message ?? 'no message'}`);
    return json.data;
  };
  const step = (n: number, title: string, lines: string[]) => {
    o.log(`\n${n}. ${title}`);
    for (const l of lines) o.log(`   ${l}`);
  };

  const order = await call('client', 'POST', '/api/orders', {
    client_id: ids.client,
    freelancer_id: ids.freelancer,
    judul: 'Demo: logo design',
    harga: 250_000,
  });
  const ui = `${o.uiUrl}/namespaces/${o.namespace}/workflows/order-${order.id}`;
  step(1, 'Create the order', [
    `order ${order.id}: ${rupiah(order.harga)}, ${order.status}`,
    `workflow (once paid): ${ui}`,
  ]);

  const pay = await call('client', 'POST', '/api/payments/create', {
    pesanan_id: order.id,
    user_id: ids.client,
    jumlah: 250_000,
    metode_pembayaran: 'qris',
  });
  step(2, 'Pay (QRIS)', [
    `${pay.transaction_id}: harga ${rupiah(pay.jumlah)} + biaya platform ${rupiah(pay.biaya_platform)} + biaya gateway ${rupiah(pay.biaya_gateway)} = ${rupiah(pay.total_bayar)}`,
    `checkout page: ${pay.payment_url}`,
    `workflow: ${ui}`,
  ]);

  const settled = await fetch(`${o.baseUrl}/api/payments/mock/trigger-success`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ transaction_id: pay.transaction_id }),
  });
  const settledBody = (await settled.json()) as {
    data?: { status: string; escrow_id: string };
    error?: { message: string };
  };
  if (!settled.ok || !settledBody.data)
    throw new Error(`the mock gateway could not settle the payment: ${settledBody.error?.message ?? settled.status}`);
  step(3, 'The gateway settles it (signed webhook)', [`payment ${settledBody.data.status}`, `workflow: ${ui}`]);

  const escrow = await call('client', 'GET', `/api/payments/escrow/${settledBody.data.escrow_id}`);
  step(4, 'The money is held in escrow', [
    `escrow ${escrow.id}: ${rupiah(escrow.jumlah_ditahan)} ${escrow.status}, released automatically at ${escrow.akan_dirilis_pada}`,
    `workflow: ${ui}`,
  ]);

  const released = await call('client', 'POST', '/api/payments/escrow/release', {
    escrow_id: escrow.id,
    user_id: ids.client,
    reason: 'Work approved',
  });
  step(5, 'The client approves the work and releases it', [
    `escrow ${released.status}: ${rupiah(released.jumlah_bersih)} to the freelancer, ${rupiah(released.biaya_platform)} commission`,
    `workflow: ${ui}`,
  ]);

  let w = await call('freelancer', 'POST', '/api/payments/withdraw', {
    escrow_id: escrow.id,
    freelancer_id: ids.freelancer,
    metode_pencairan: 'transfer_bank',
    channel: 'bca',
    nomor_rekening: '1234567890',
    nama_pemilik: 'Demo Freelancer',
  });
  const lines = [`withdrawal ${w.withdrawal_id}: ${rupiah(w.jumlah_bersih)} to BCA, ${w.status}`];
  if (w.status === 'pending') {
    await call('admin', 'POST', `/api/admin/withdrawals/${w.withdrawal_id}/approve`);
    lines.push('approved by an admin (auto-withdrawal is off)');
  }
  const deadline = Date.now() + 30_000;
  while (!['completed', 'failed'].includes(w.status) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    w = await call('freelancer', 'GET', `/api/payments/withdrawals/${w.withdrawal_id ?? w.id}`);
  }
  lines.push(`payout ${w.status}${w.bukti_transfer ? `: ${w.bukti_transfer}` : ''}`, `workflow: ${ui}`);
  step(6, 'The freelancer withdraws; the mock bank pays out', lines);

  const final = await call('client', 'GET', `/api/orders/${order.id}`);
  const lifecycle = await call('admin', 'GET', `/api/orders/${order.id}/lifecycle`);
  const history = (lifecycle.history as { at: string; event: string }[]).map((h) => `${h.at}  ${h.event}`);
  step(7, `The order's lifecycle (order ${final.status})`, history);
  return {
    orderId: order.id,
    orderStatus: final.status,
    paymentStatus: settledBody.data.status,
    escrowStatus: (await call('client', 'GET', `/api/payments/escrow/${escrow.id}`)).status,
    withdrawalStatus: w.status,
    history,
  };
}

async function main() {
  const config = configOrExit();
  const baseUrl = (process.env.DEMO_URL ?? `http://localhost:${config.port}`).replace(/\/+$/, '');
  // any answer means a service is there (an unhealthy one too: starting another would only collide with its ports)
  const running = await fetch(`${baseUrl}/health`).then(
    () => true,
    () => false,
  );
  // a service the demo starts itself stays quiet unless LOG_LEVEL says otherwise: the steps are the output
  const all = running ? null : await startAll(process.env.LOG_LEVEL ? config : { ...config, logLevel: 'warn' });
  if (all) onShutdown(all.stop); // Ctrl-C or a TERM stops what the demo started, dev server included
  console.log(
    running ? `Using the service at ${baseUrl}` : `No service answered at ${baseUrl}: started one (${all!.apiUrl})`,
  );
  try {
    const result = await runDemo({
      baseUrl: all?.apiUrl ?? baseUrl,
      jwtSecret: config.auth.jwtSecret,
      uiUrl: process.env.TEMPORAL_UI_URL ?? all?.devServer?.uiUrl ?? `http://localhost:${config.temporal.uiPort}`,
      namespace: config.temporal.namespace,
      log: (line) => console.log(line),
    });
    console.log(
      `\nDone: order ${result.orderStatus}, payment ${result.paymentStatus}, escrow ${result.escrowStatus}, withdrawal ${result.withdrawalStatus}.`,
    );
  } finally {
    await all?.stop();
  }
}

if (require.main === module) main().then(() => process.exit(0), fatal);
