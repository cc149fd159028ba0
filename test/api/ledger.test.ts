import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, WorkflowFailedError } from '@temporalio/client';
import request from 'supertest';
import { ACCOUNTS } from '../../domain/ledger';
import * as repo from '../../db/repositories';
import { RECONCILE_SCHEDULE_ID } from '../../worker/worker';
import { USERS, UserName, as, tokensFor } from '../helpers/auth';
import { Stack, dbLabel, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';

/**
 * The books on the running service: the seed flow posts exactly its journals,
 * a retried write posts once, admins read balances and journals, and
 * `npm run reconcile` names any record that tampering put out of line.
 */
let stack: Stack;
let tokens: Record<UserName, string>;
beforeAll(async () => {
  stack = await startStack();
  tokens = await tokensFor(stack.config.auth.jwtSecret);
}, 180_000);
afterAll(async () => stack?.stop());

const by = (who: UserName) => as(stack.url, tokens[who]);
const balance = async (account: string) => {
  const res = await by('admin').get(`/api/admin/ledger/accounts?prefix=${encodeURIComponent(account)}`);
  expect(res.status).toBe(200);
  return (
    (res.body.data.accounts as { account: string; balance: number }[]).find((a) => a.account === account)?.balance ?? 0
  );
};
const journals = async (recordId: string) =>
  (await by('admin').get(`/api/admin/ledger/journals?record_id=${recordId}`)).body.data.journals as {
    kind: string;
    record_id: string;
    entries: { account: string; debit: number; credit: number; currency: string }[];
  }[];
const entries = (j: { entries: { account: string; debit: number; credit: number }[] }) =>
  j.entries.map((e) => [e.account, e.debit, e.credit]).sort();

async function paidOrder() {
  const order = (
    await by('client').post('/api/orders', {
      client_id: USERS.client,
      freelancer_id: USERS.freelancer,
      judul: 'Books',
      harga: 250_000,
    })
  ).body.data;
  const pay = (
    await by('client').post('/api/payments/create', {
      pesanan_id: order.id,
      user_id: USERS.client,
      jumlah: 250_000,
      metode_pembayaran: 'qris',
    })
  ).body.data;
  const settled = await request(stack.url)
    .post('/api/payments/mock/trigger-success')
    .send({ transaction_id: pay.transaction_id });
  expect(settled.status).toBe(200);
  return { order, pay, escrowId: settled.body.data.escrow_id as string };
}

describe(`the ledger (${dbLabel()})`, () => {
  test('the seed flow posts exactly its journals: settlement, release, payout sent and completed, with the seed amounts', async () => {
    const before = {
      fees: await balance(ACCOUNTS.platformFeeRevenue),
      clearing: await balance(ACCOUNTS.gatewayClearing),
    };
    const { order, pay, escrowId } = await paidOrder();
    expect(await balance(ACCOUNTS.escrow(order.id))).toBe(-250_000); // a credit balance: held for the order
    expect(
      (await by('client').post('/api/payments/escrow/release', { escrow_id: escrowId, user_id: USERS.client })).status,
    ).toBe(200);
    const w = await by('freelancer').post('/api/payments/withdraw', {
      escrow_id: escrowId,
      freelancer_id: USERS.freelancer,
      metode_pencairan: 'transfer_bank',
      nomor_rekening: '1234567890',
      nama_pemilik: 'John Doe',
    });
    expect(w.body.data.status).toBe('completed');

    const js = await journals(order.id);
    expect(js.map((j) => j.kind)).toEqual(['payment_settled', 'escrow_released', 'payout_sent', 'payout_completed']);
    expect(js.map((j) => j.record_id)).toEqual([
      pay.payment_id,
      escrowId,
      w.body.data.withdrawal_id,
      w.body.data.withdrawal_id,
    ]);
    expect(js.every((j) => j.entries.every((e) => e.currency === 'IDR'))).toBe(true);
    expect(entries(js[0])).toEqual(
      [
        [ACCOUNTS.gatewayClearing, 262_500, 0],
        [ACCOUNTS.gatewayFeeExpense, 2_500, 0],
        [ACCOUNTS.escrow(order.id), 0, 250_000],
        [ACCOUNTS.platformFeeRevenue, 0, 12_500],
        [ACCOUNTS.gatewayFeeRecovered, 0, 2_500],
      ].sort(),
    );
    expect(entries(js[1])).toEqual(
      [
        [ACCOUNTS.escrow(order.id), 250_000, 0],
        [ACCOUNTS.freelancerPayable(USERS.freelancer), 0, 237_500],
        [ACCOUNTS.platformFeeRevenue, 0, 12_500],
      ].sort(),
    );
    expect(entries(js[2])).toEqual(
      [
        [ACCOUNTS.freelancerPayable(USERS.freelancer), 237_500, 0],
        [ACCOUNTS.payoutInTransit, 0, 237_500],
      ].sort(),
    );
    expect(entries(js[3])).toEqual(
      [
        [ACCOUNTS.payoutInTransit, 237_500, 0],
        [ACCOUNTS.gatewayClearing, 0, 237_500],
      ].sort(),
    );

    expect(await balance(ACCOUNTS.escrow(order.id))).toBe(0);
    expect(await balance(ACCOUNTS.platformFeeRevenue)).toBe(before.fees - 25_000); // up by 25,000 (a credit balance)
    expect(await balance(ACCOUNTS.gatewayClearing)).toBe(before.clearing + 262_500 - 237_500);
  });

  test('a retried write posts once: settlement, late payment, release and payout completion', async () => {
    const { order, pay, escrowId } = await paidOrder();
    const payment = (await repo.getPayment(stack.db, pay.payment_id))!;
    // the same settlement again (a duplicate webhook or a retried write)
    const again = await repo.decidePayment(stack.db, {
      payment_id: payment.id,
      status: 'berhasil',
      gateway_status: 'settlement',
      at: new Date().toISOString(),
      escrow: { ...(await repo.getEscrow(stack.db, escrowId))!, id: 'x' } as never,
    });
    expect(again.kind).toBe('duplicate');
    const release = {
      escrow_id: escrowId,
      pesanan_id: order.id,
      dirilis_pada: new Date().toISOString(),
      dirilis_oleh: 'client' as const,
      alasan: null,
    };
    await repo.releaseEscrow(stack.db, release);
    await repo.releaseEscrow(stack.db, release);
    const withdrawal = {
      id: '3f1c2b7e-1111-4aaa-8bbb-000000000001',
      escrow_id: escrowId,
      pesanan_id: order.id,
      freelancer_id: USERS.freelancer,
      jumlah: 250_000,
      biaya_platform: 12_500,
      jumlah_bersih: 237_500,
      metode_pencairan: 'transfer_bank',
      nomor_rekening: '1234567890',
      nama_pemilik: 'John',
      status: 'processing' as const,
      created_at: new Date().toISOString(),
    };
    await repo.insertWithdrawalIfAbsent(stack.db, withdrawal);
    await repo.insertWithdrawalIfAbsent(stack.db, withdrawal);
    await stack.gateway.payout({
      idempotency_key: withdrawal.id,
      amount: 237_500,
      method: 'transfer_bank',
      nomor_rekening: '1234567890',
      nama_pemilik: 'John',
    });
    await stack.gateway.completePayout(withdrawal.id); // the bank completes it (its notification finds the withdrawal done)
    const done = {
      withdrawal_id: withdrawal.id,
      escrow_id: escrowId,
      bukti_transfer: 'https://mock-bank.com/transfer/x.pdf',
      referensi_payout: 'TRF-1',
      dicairkan_pada: new Date().toISOString(),
    };
    await repo.completeWithdrawal(stack.db, done);
    await repo.completeWithdrawal(stack.db, done);
    expect((await journals(order.id)).map((j) => j.kind)).toEqual([
      'payment_settled',
      'escrow_released',
      'payout_sent',
      'payout_completed',
    ]);
    // (the order's workflow is still waiting for a withdrawal the API never sent it: end it, the books are whole)
    await stack.api.connection.workflowService.terminateWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: `order-${order.id}` },
      reason: 'test done',
    });
  });

  test('a late settlement owes the client the whole total_bayar (the gateway fee is not recovered), and its refund pays it back once', async () => {
    const order = (
      await by('client').post('/api/orders', {
        client_id: USERS.client,
        freelancer_id: USERS.freelancer,
        judul: 'Late',
        harga: 250_000,
      })
    ).body.data;
    const pay = (
      await by('client').post('/api/payments/create', {
        pesanan_id: order.id,
        user_id: USERS.client,
        jumlah: 250_000,
        metode_pembayaran: 'qris',
      })
    ).body.data;
    await request(stack.url).post('/api/payments/mock/trigger-failure').send({ transaction_id: pay.transaction_id });
    const owed = await balance(ACCOUNTS.clientRefundPayable(USERS.client));
    const late = await request(stack.url)
      .post('/api/payments/mock/trigger-success')
      .send({ transaction_id: pay.transaction_id });
    expect(late.body.data.status).toBe('gagal');
    await request(stack.url).post('/api/payments/mock/trigger-success').send({ transaction_id: pay.transaction_id }); // the gateway retries
    const js = await journals(pay.payment_id);
    expect(js.map((j) => j.kind)).toEqual(['late_payment_received']);
    expect(entries(js[0])).toEqual(
      [
        [ACCOUNTS.gatewayClearing, 262_500, 0],
        [ACCOUNTS.gatewayFeeExpense, 2_500, 0],
        [ACCOUNTS.clientRefundPayable(USERS.client), 0, 265_000],
      ].sort(),
    );
    // the refund (total_bayar, back to the QRIS source) is paid by its own workflow: owed, then paid, once
    const refund = (await repo.getRefundOfPayment(stack.db, pay.payment_id))!;
    expect([refund.jenis, refund.jumlah]).toEqual(['late_payment', 265_000]);
    const paid = await waitFor(
      () => repo.getRefund(stack.db, refund.id),
      (r) => r?.status === 'completed',
    );
    expect(paid?.status).toBe('completed');
    const refundJournals = await journals(refund.id);
    expect(refundJournals.map((j) => j.kind)).toEqual(['refund_paid']);
    expect(entries(refundJournals[0])).toEqual(
      [
        [ACCOUNTS.clientRefundPayable(USERS.client), 265_000, 0],
        [ACCOUNTS.gatewayClearing, 0, 265_000],
      ].sort(),
    );
    expect(await balance(ACCOUNTS.clientRefundPayable(USERS.client))).toBe(owed);
  });

  test('an old order (in-workflow path) whose payment failed: a late settlement is booked and owed back as on the new path', async () => {
    const order = (
      await by('client').post('/api/orders', {
        client_id: USERS.client,
        freelancer_id: USERS.freelancer,
        judul: 'Old late',
        harga: 250_000,
      })
    ).body.data;
    const pay = (
      await by('client').post('/api/payments/create', {
        pesanan_id: order.id,
        user_id: USERS.client,
        jumlah: 250_000,
        metode_pembayaran: 'qris',
      })
    ).body.data;
    await request(stack.url).post('/api/payments/mock/trigger-failure').send({ transaction_id: pay.transaction_id });
    await stack.db('pesanan').where({ id: order.id }).update({ workflow_version: 1 }); // as an order paid before the change
    const late = await request(stack.url)
      .post('/api/payments/mock/trigger-success')
      .send({ transaction_id: pay.transaction_id });
    expect([late.status, late.body.data.status]).toEqual([200, 'gagal']);
    expect((await repo.getPayment(stack.db, pay.payment_id))!.refund_status).toBe('due');
    expect((await journals(pay.payment_id)).map((j) => j.kind)).toEqual(['late_payment_received']);
  });

  test('admin reads only: 401 without a token, 403 for others, 400 for a bad query', async () => {
    expect((await request(stack.url).get('/api/admin/ledger/accounts')).status).toBe(401);
    expect((await by('client').get('/api/admin/ledger/accounts')).status).toBe(403);
    expect((await by('freelancer').get(`/api/admin/ledger/journals?record_id=${USERS.client}`)).status).toBe(403);
    expect((await by('admin').get('/api/admin/ledger/journals?record_id=nope')).body.error).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { field: 'record_id' },
    });
    expect((await by('admin').get('/api/admin/ledger/accounts?prefix=%25')).status).toBe(400);
    expect((await by('admin').get('/api/admin/ledger/accounts?prefix=escrow:&x=1')).status).toBe(400);
    const all = await by('admin').get('/api/admin/ledger/accounts');
    expect(all.body.data.sign).toMatch(/debit/);
    const sum = (all.body.data.accounts as { balance: number }[]).reduce((s, a) => s + a.balance, 0);
    expect(sum).toBe(0); // double entry: all balances together net to zero
  });
});

describe(`npm run reconcile (${dbLabel()})`, () => {
  const exec = promisify(execFile);
  const ROOT = path.resolve(__dirname, '../..');
  async function reconcileCli(): Promise<{ code: number; out: string }> {
    const db = stack.config.db;
    const env = {
      ...process.env,
      NODE_ENV: 'test',
      ...(db.client === 'mysql2'
        ? {
            DB_HOST: db.host,
            DB_PORT: String(db.port),
            DB_NAME: db.database,
            DB_USER: db.user,
            DB_PASSWORD: db.password ?? '',
          }
        : { DB_HOST: '', DB_FILE: db.filename }),
    } as NodeJS.ProcessEnv;
    try {
      const { stdout } = await exec(path.join(ROOT, 'node_modules/.bin/tsx'), ['scripts/reconcile.ts'], {
        cwd: ROOT,
        env,
      });
      return { code: 0, out: stdout };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, out: e.stdout + e.stderr };
    }
  }

  test("0 differences on the suite's books; tampering exits 1 naming the record", async () => {
    const clean = await reconcileCli();
    expect([clean.code, clean.out]).toEqual([0, expect.stringContaining('0 difference(s)')]);

    const { escrowId } = await paidOrder();
    await stack.db('escrow').where({ id: escrowId }).update({ jumlah_ditahan: 240_000 });
    let run = await reconcileCli();
    expect(run.code).toBe(1);
    expect(run.out).toContain(escrowId);
    await stack.db('escrow').where({ id: escrowId }).update({ jumlah_ditahan: 250_000 });

    const [entry] = await stack
      .db('ledger_entries')
      .where('account', 'like', 'escrow:%')
      .orderBy('id', 'desc')
      .limit(1);
    await stack.db('ledger_entries').where({ id: entry.id }).del();
    run = await reconcileCli();
    expect(run.code).toBe(1);
    expect(run.out).toContain(entry.journal_id);
    await stack.db('ledger_entries').insert(entry);

    const order = (await repo.getOrder(stack.db, (await repo.getEscrow(stack.db, escrowId))!.pesanan_id))!;
    const ghost = {
      id: '9e7a1d52-2222-4bbb-8ccc-000000000002',
      escrow_id: escrowId,
      pesanan_id: order.id,
      freelancer_id: USERS.freelancer,
      jumlah: 250_000,
      biaya_platform: 12_500,
      jumlah_bersih: 237_500,
      metode_pencairan: 'transfer_bank',
      nomor_rekening: '1234567890',
      nama_pemilik: 'Ghost',
      status: 'completed',
      created_at: '2026-11-28 10:00:00.000',
      updated_at: '2026-11-28 10:00:00.000',
    };
    await stack.db('pencairan_dana').insert(ghost); // a payout row with no journal
    run = await reconcileCli();
    expect(run.code).toBe(1);
    expect(run.out).toContain(ghost.id);
    await stack.db('pencairan_dana').where({ id: ghost.id }).del();

    expect((await reconcileCli()).code).toBe(0);
  }, 60_000);

  test('money the gateway holds without its journal: in flight for a few minutes, then a difference naming the payment', async () => {
    const order = (
      await by('client').post('/api/orders', {
        client_id: USERS.client,
        freelancer_id: USERS.freelancer,
        judul: 'In flight',
        harga: 250_000,
      })
    ).body.data;
    const pay = (
      await by('client').post('/api/payments/create', {
        pesanan_id: order.id,
        user_id: USERS.client,
        jumlah: 250_000,
        metode_pembayaran: 'qris',
      })
    ).body.data;
    await stack.gateway.recordSettlement(pay.transaction_id); // the gateway has the money; its webhook is still on the way
    expect((await reconcileCli()).code).toBe(0);
    await stack
      .db('mock_gateway_charges')
      .where({ transaction_id: pay.transaction_id })
      .update({ settled_at: new Date(Date.now() - 10 * 60_000).toISOString() });
    const late = await reconcileCli(); // ten minutes and still not booked
    expect(late.code).toBe(1);
    expect(late.out).toContain(pay.payment_id);
    await request(stack.url).post('/api/payments/mock/trigger-success').send({ transaction_id: pay.transaction_id }); // the webhook arrives
    expect((await reconcileCli()).code).toBe(0);
  }, 60_000);
});

describe(`the reconcile Schedule (${dbLabel()})`, () => {
  const runs = async () => {
    const out: { id: string; status: string }[] = [];
    for await (const w of new Client({ connection: stack.api.connection }).workflow.list({
      query: `WorkflowType = 'reconcileWorkflow'`,
    }))
      out.push({ id: w.workflowId, status: w.status.name });
    return out;
  };
  async function triggerAndWait(before: number) {
    const client = new Client({ connection: stack.api.connection });
    await client.schedule.getHandle(RECONCILE_SCHEDULE_ID).trigger();
    for (let i = 0; i < 100; i++) {
      const done = (await runs()).filter((r) => r.status !== 'RUNNING');
      if (done.length > before) {
        const latest = (await client.schedule.getHandle(RECONCILE_SCHEDULE_ID).describe()).info.recentActions.at(-1)!;
        return client.workflow.getHandle(latest.action.workflow.workflowId, latest.action.workflow.firstExecutionRunId);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('the triggered reconcile run did not finish');
  }

  test('the worker registers it every RECONCILE_EVERY; a run passes on clean books and fails, naming the record, on tampered ones', async () => {
    const client = new Client({ connection: stack.api.connection });
    const described = await client.schedule.getHandle(RECONCILE_SCHEDULE_ID).describe();
    expect(described.spec.intervals?.[0]?.every).toBe(3_600_000);
    expect(described.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'reconcileWorkflow',
      taskQueue: stack.config.temporal.taskQueue,
    });

    const ok = await triggerAndWait(0);
    await expect(ok.result()).resolves.toMatchObject({ differences: 0 });

    const { escrowId } = await paidOrder();
    await stack.db('escrow').where({ id: escrowId }).update({ jumlah_ditahan: 1 });
    try {
      const failed = await triggerAndWait(1);
      const err = await failed.result().then(
        () => null,
        (e) => e,
      );
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(String(err.cause?.cause?.message ?? err.cause?.message)).toContain(escrowId);
    } finally {
      await stack.db('escrow').where({ id: escrowId }).update({ jumlah_ditahan: 250_000 });
    }
  }, 60_000);
});

describe(`the audit trail (${dbLabel()})`, () => {
  test('every change of the seed flow is audited: who, what, which record, before and after, and the request id', async () => {
    const run = Date.now();
    const rid = (n: number) => `test-request-${n}-${run}`;
    const order = await by('client')
      .post('/api/orders', { client_id: USERS.client, freelancer_id: USERS.freelancer, judul: 'Audit', harga: 250_000 })
      .set('X-Request-Id', rid(1));
    expect(order.headers['x-request-id']).toBe(rid(1));
    const orderId = order.body.data.id as string;
    const pay = await by('client')
      .post('/api/payments/create', {
        pesanan_id: orderId,
        user_id: USERS.client,
        jumlah: 250_000,
        metode_pembayaran: 'qris',
      })
      .set('X-Request-Id', rid(2));
    const settled = await request(stack.url)
      .post('/api/payments/mock/trigger-success')
      .send({ transaction_id: pay.body.data.transaction_id });
    const escrowId = settled.body.data.escrow_id as string;
    const releaseId = rid(3);
    expect(
      (
        await by('client')
          .post('/api/payments/escrow/release', { escrow_id: escrowId, user_id: USERS.client })
          .set('X-Request-Id', releaseId)
      ).status,
    ).toBe(200);
    const w = await by('freelancer').post('/api/payments/withdraw', {
      escrow_id: escrowId,
      freelancer_id: USERS.freelancer,
      metode_pencairan: 'transfer_bank',
      nomor_rekening: '1234567890',
      nama_pemilik: 'John Doe',
    });
    expect(w.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/); // generated when none was sent

    const trail = (await by('admin').get(`/api/admin/audit?record_id=${orderId}`)).body.data.entries as Record<
      string,
      unknown
    >[];
    const line = (e: Record<string, unknown>) => [
      e.action,
      e.actor_type,
      e.actor_role,
      e.status_before,
      e.status_after,
    ];
    expect(trail.map(line)).toEqual([
      ['order.created', 'user', 'client', null, 'menunggu_pembayaran'],
      ['payment.created', 'user', 'client', null, 'menunggu'],
      ['payment.settled', 'gateway', null, 'menunggu', 'berhasil'],
      ['order.status_changed', 'gateway', null, 'menunggu_pembayaran', 'dibayar'],
      ['escrow.held', 'gateway', null, null, 'held'],
      ['escrow.released', 'user', 'client', 'held', 'released'],
      ['order.status_changed', 'user', 'client', 'dibayar', 'selesai'],
      ['escrow.release_requested', 'user', 'client', 'held', 'released'],
      ['withdrawal.requested', 'user', 'freelancer', null, 'processing'],
      ['escrow.completed', 'system', null, 'released', 'completed'],
      ['withdrawal.completed', 'system', null, 'processing', 'completed'],
      ['withdrawal.request_accepted', 'user', 'freelancer', null, 'completed'],
    ]);
    expect(trail[0]).toMatchObject({
      actor_id: USERS.client,
      request_id: rid(1),
      record_type: 'order',
      record_id: orderId,
    });
    expect(trail[1]).toMatchObject({ request_id: rid(2), record_id: pay.body.data.payment_id });
    expect(trail[2].request_id).toEqual(expect.any(String)); // the webhook's own request
    expect(trail[7]).toMatchObject({ request_id: releaseId, record_id: escrowId });
    expect(trail[11]).toMatchObject({ request_id: w.headers['x-request-id'], actor_id: USERS.freelancer });
    expect(JSON.stringify(trail)).not.toContain('1234567890'); // no account numbers
    expect((await by('client').get(`/api/admin/audit?record_id=${orderId}`)).status).toBe(403);
  });

  test('a malformed X-Request-Id is replaced, not echoed', async () => {
    for (const bad of ['short', 'has spaces in it', 'x'.repeat(65), '<script>alert(1)</script>']) {
      const res = await by('client').get(`/api/orders/${USERS.client}`).set('X-Request-Id', bad);
      expect([bad, res.headers['x-request-id']]).toEqual([bad, expect.stringMatching(/^[0-9a-f-]{36}$/)]);
    }
  });
});
