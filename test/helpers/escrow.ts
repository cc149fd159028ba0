import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import request from 'supertest';
import { issueToken } from '../../api/auth';
import { refundStatusQuery, statusQuery } from '../../workflows/messages';
import type { Stack } from './stack';
import { USERS, UserName, as } from './auth';
import { waitFor } from './wait';

/**
 * Orders taken to a stage over HTTP against the real stack (the seed's order:
 * harga 250,000, the client pays 265,000), and the calls the dispute,
 * cancellation and refund suites make. `who` is one of the test users or a
 * fresh party made by `freshClient` (its own ledger account, untouched by
 * other tests).
 */
export const HARGA = 250_000;
export const ACCOUNT = {
  metode_pencairan: 'transfer_bank',
  nomor_rekening: '1234567890',
  nama_pemilik: 'Klien Satu',
} as const;

/** Pass as a field's value to leave the field out of the body (an `undefined` argument takes the default). */
export const OMIT = Symbol('omit');

export type Party = { id: string; token: string };
export type Who = UserName | Party;
export type Stage = 'created' | 'pending' | 'dibayar' | 'dikerjakan' | 'menunggu_review' | 'disputed' | 'released';
export interface Fixture {
  orderId: string;
  clientId: string;
  paymentId?: string;
  transactionId?: string;
  paymentUrl?: string;
  escrowId?: string;
  disputeId?: string;
}
export interface JournalEntry {
  account: string;
  debit: number;
  credit: number;
}
export interface JournalRow {
  kind: string;
  record_id: string;
  entries: JournalEntry[];
}

export function escrowKit(stack: () => Stack, tokens: () => Record<UserName, string>) {
  const party = (who: Who): Party => (typeof who === 'string' ? { id: USERS[who], token: tokens()[who] } : who);
  const by = (who: Who) => as(stack().url, party(who).token);
  const gateway = (path: string, body: object) => request(stack().url).post(path).send(body);
  const settle = (transactionId: string) =>
    gateway('/api/payments/mock/trigger-success', { transaction_id: transactionId });

  /** A client no other test uses: its `client_refund_payable:<id>` account holds only this test's refunds. */
  const freshClient = async (): Promise<Party> => {
    const id = randomUUID();
    return { id, token: await issueToken(stack().config.auth.jwtSecret, { sub: id, role: 'client' }) };
  };

  /** An order of `client` (default the test client) assigned to the test freelancer, taken to `stage`; paid with `method` (default QRIS). */
  async function order(
    stage: Stage,
    o: {
      method?: string;
      channel?: string;
      client?: Who;
      disputedBy?: 'client' | 'freelancer';
      waitForWorkflow?: boolean;
    } = {},
  ): Promise<Fixture> {
    const client = party(o.client ?? 'client');
    const created = await by(client).post('/api/orders', {
      client_id: client.id,
      freelancer_id: USERS.freelancer,
      judul: 'Escrow exits',
      harga: HARGA,
    });
    expect(created.status).toBe(201);
    const f: Fixture = { orderId: created.body.data.id, clientId: client.id };
    if (stage === 'created') return f;
    const pay = await by(client).post('/api/payments/create', {
      pesanan_id: f.orderId,
      user_id: client.id,
      jumlah: HARGA,
      metode_pembayaran: o.method ?? 'qris',
      ...(o.channel ? { channel: o.channel } : {}),
    });
    expect(pay.status).toBe(201);
    Object.assign(f, {
      paymentId: pay.body.data.payment_id,
      transactionId: pay.body.data.transaction_id,
      paymentUrl: pay.body.data.payment_url,
    });
    if (stage === 'pending') return f;
    const settled = await settle(f.transactionId!);
    expect([settled.status, settled.body.data?.status]).toEqual([200, 'berhasil']);
    f.escrowId = settled.body.data.escrow_id;
    if (o.waitForWorkflow === false) return f; // acting at once, as a client may right after a 200 settlement
    await workflowHolds(f.orderId);
    if (stage === 'dibayar') return f;
    if (stage === 'released') {
      expect((await release(client, f.escrowId!)).status).toBe(200);
      return f;
    }
    if (stage === 'disputed') {
      const opener: Who = o.disputedBy === 'freelancer' ? 'freelancer' : client;
      const d = await dispute(opener, f.escrowId!, 'Pekerjaan tidak sesuai brief');
      expect(d.status).toBe(201);
      f.disputeId = d.body.data.dispute.id;
      return f;
    }
    expect((await by('freelancer').post(`/api/orders/${f.orderId}/start`)).status).toBe(200);
    if (stage === 'dikerjakan') return f;
    expect((await by('freelancer').post(`/api/orders/${f.orderId}/deliver`)).status).toBe(200);
    return f;
  }

  /**
   * Waits until the order's workflow has adopted the settlement (it holds the escrow), so a test's next step
   * starts from a known state. (Acting at once is taken too since the payment phase registers its handlers
   * first: test/workflow/first-task.test.ts, and the cancel/release race in cancellations.test.ts.)
   */
  async function workflowHolds(orderId: string) {
    await stack().outboxDrained();
    const state = await waitFor(
      () => workflowState(orderId).catch(() => null),
      (s) => s?.escrow != null,
      15_000,
    );
    expect(state?.escrow?.status).toBe('held');
  }

  const release = (who: Who, escrowId: string) =>
    by(who).post('/api/payments/escrow/release', { escrow_id: escrowId, user_id: party(who).id });
  const dispute = (
    who: Who,
    escrowId: string,
    alasan: unknown = 'Pekerjaan tidak sesuai brief',
    userId = party(who).id,
  ) =>
    by(who).post('/api/payments/escrow/dispute', {
      escrow_id: escrowId,
      user_id: userId,
      ...(alasan === OMIT ? {} : { alasan }),
    });
  const resolve = (escrowId: string, keputusan: string, extra: Record<string, unknown> = {}, who: Who = 'admin') =>
    by(who).post('/api/admin/disputes/resolve', {
      escrow_id: escrowId,
      keputusan,
      alasan: 'Bukti kedua pihak sudah diperiksa',
      ...extra,
    });
  const cancel = (who: Who, orderId: string, alasan: unknown = 'Tidak jadi') =>
    by(who).post(`/api/orders/${orderId}/cancel`, alasan === OMIT ? {} : { alasan });
  const withdraw = (escrowId: string, extra: Record<string, unknown> = {}) =>
    by('freelancer').post('/api/payments/withdraw', {
      escrow_id: escrowId,
      freelancer_id: USERS.freelancer,
      metode_pencairan: 'transfer_bank',
      nomor_rekening: '1234567890',
      nama_pemilik: 'Free Lancer',
      ...extra,
    });

  const readRefund = (id: string, who: Who = 'admin') => by(who).get(`/api/payments/refunds/${id}`);
  const giveAccount = (id: string, account: Record<string, unknown> = ACCOUNT, who: Who = 'client') =>
    by(who).post(`/api/payments/refunds/${id}/account`, account);
  /** The refund once it is `completed` or `failed` (or whichever `done` says), read by an admin. */
  const settledRefund = (
    id: string,
    done: (status: string) => boolean = (s) => s === 'completed' || s === 'failed',
    timeoutMs = 30_000,
  ) =>
    waitFor(
      async () => (await readRefund(id)).body.data,
      (r) => done(r.status),
      timeoutMs,
    );
  const settledWithdrawal = (id: string) =>
    waitFor(
      async () => (await by('admin').get(`/api/payments/withdrawals/${id}`)).body.data,
      (w) => ['completed', 'failed'].includes(w.status),
    );

  const orderRow = (id: string) => stack().db('pesanan').where({ id }).first();
  const escrowRow = (id: string) => stack().db('escrow').where({ id }).first();
  const refundRows = (orderId: string) => stack().db('refunds').where({ pesanan_id: orderId });
  const temporal = () => new Client({ connection: stack().api.connection });
  const workflowState = (orderId: string) => temporal().workflow.getHandle(`order-${orderId}`).query(statusQuery);
  const refundWorkflowState = (refundId: string) =>
    temporal().workflow.getHandle(`refund-${refundId}`).query(refundStatusQuery);

  /** The order's journals (and its records'), oldest first. */
  const journals = async (recordId: string): Promise<JournalRow[]> => {
    const res = await by('admin').get(`/api/admin/ledger/journals?record_id=${recordId}`);
    expect(res.status).toBe(200);
    return res.body.data.journals;
  };
  /** One journal's entries as account → debit − credit (order-specific accounts named by their prefix). */
  const netOf = (j: JournalRow | undefined, f: Pick<Fixture, 'orderId' | 'clientId'>) => {
    const out: Record<string, number> = {};
    for (const e of j?.entries ?? []) {
      const name = e.account
        .replace(f.orderId, '<order>')
        .replace(f.clientId, '<client>')
        .replace(USERS.freelancer, '<freelancer>');
      out[name] = (out[name] ?? 0) + e.debit - e.credit;
    }
    return out;
  };
  /** An account's balance (debit − credit), 0 when it has no entries. */
  const balance = async (account: string) => {
    const res = await by('admin').get(`/api/admin/ledger/accounts?prefix=${encodeURIComponent(account)}`);
    expect(res.status).toBe(200);
    return (
      (res.body.data.accounts as { account: string; balance: number }[]).find((a) => a.account === account)?.balance ??
      0
    );
  };

  /** The test freelancer's balance: held, withdrawable, in flight, paid out. */
  const freelancerBalance = async () => {
    const { ditahan, dapat_dicairkan, dalam_proses, sudah_dicairkan } = (
      await by('freelancer').get('/api/freelancers/me/balance')
    ).body.data;
    return { ditahan, dapat_dicairkan, dalam_proses, sudah_dicairkan } as Record<
      'ditahan' | 'dapat_dicairkan' | 'dalam_proses' | 'sudah_dicairkan',
      number
    >;
  };

  return {
    freelancerBalance,
    by,
    party,
    gateway,
    settle,
    freshClient,
    order,
    workflowHolds,
    release,
    dispute,
    resolve,
    cancel,
    withdraw,
    readRefund,
    giveAccount,
    settledRefund,
    settledWithdrawal,
    orderRow,
    escrowRow,
    refundRows,
    workflowState,
    refundWorkflowState,
    journals,
    netOf,
    balance,
  };
}

/** The seed payment's settlement journal (QRIS, 265,000 paid): the same for every exit. */
export const SETTLED = {
  gateway_clearing: 262_500,
  gateway_fee_expense: 2_500,
  'escrow:<order>': -250_000,
  platform_fee_revenue: -12_500,
  gateway_fee_recovered: -2_500,
};
