import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { Knex } from 'knex';
import { createDb } from '../../db/connection';
import { migrateLatest } from '../../migrations';
import {
  ACCOUNTS,
  Journal,
  payoutCompleted,
  payoutReinstated,
  payoutReturned,
  payoutReversed,
  payoutSent,
  refundPayoutConfirmed,
  refundPayoutReturned,
} from '../../domain/ledger';
import {
  correctionMove,
  correctionNeeded,
  payoutVerdict,
  recordedRefundPayout,
  recordedWithdrawalPayout,
} from '../../domain/payout-truth';
import { MockBank } from '../../gateway/mock-bank';
import { loadConfig } from '../../domain/config';

/** The payout truth rule's pure parts, the books of a correction, and the mock bank's sandbox accounts that report what their record does not say. */
describe("payoutVerdict: what the gateway's record means for what the service recorded", () => {
  test.each([
    ['in_flight', 'queued', 'wait'],
    ['in_flight', 'completed', 'outcome'],
    ['in_flight', 'failed', 'outcome'],
    ['completed', 'completed', 'same'],
    ['failed', 'failed', 'same'],
    ['completed', 'failed', 'contradiction'], // returned by the bank
    ['failed', 'completed', 'contradiction'], // paid after all
    ['failed', 'queued', 'contradiction'], // recorded failed while the bank still has it
    ['not_sent', 'completed', 'contradiction'], // paid without being sent
    ['not_sent', 'failed', 'same'], // cancelled or refused: nothing moved
    ['in_flight', undefined, 'unknown'],
    ['completed', undefined, 'unknown'],
  ] as const)('recorded %s, gateway %s → %s', (recorded, gateway, verdict) => {
    expect(payoutVerdict(recorded, gateway)).toBe(verdict);
  });

  test('only a final outcome other than the one recorded moves money', () => {
    expect(correctionNeeded('failed', 'completed')).toBe(true);
    expect(correctionNeeded('not_sent', 'completed')).toBe(true);
    expect(correctionNeeded('completed', 'failed')).toBe(true);
    expect(correctionNeeded('failed', 'queued')).toBe(false);
    expect(correctionNeeded('failed', 'failed')).toBe(false);
    expect(correctionNeeded('not_sent', 'failed')).toBe(false);
  });

  test("records as recorded payouts: a withdrawal by status; a refund's earlier account was recorded failed", () => {
    expect(['pending', 'processing', 'completed', 'failed', 'rejected'].map(recordedWithdrawalPayout)).toEqual([
      'not_sent',
      'in_flight',
      'completed',
      'failed',
      'not_sent',
    ]);
    expect(recordedRefundPayout('completed', false)).toBe('failed');
    expect(
      ['menunggu_rekening', 'processing', 'completed', 'failed'].map((s) => recordedRefundPayout(s, true)),
    ).toEqual(['not_sent', 'in_flight', 'completed', 'failed']);
  });

  test('correctionMove: paid, returned, or nothing (a refund completed by another account stays as it was)', () => {
    expect(correctionMove({ corrected: true, record_status_before: 'failed', record_status_after: 'completed' })).toBe(
      'paid',
    );
    expect(correctionMove({ corrected: true, record_status_before: 'completed', record_status_after: 'failed' })).toBe(
      'returned',
    );
    expect(
      correctionMove({ corrected: true, record_status_before: 'completed', record_status_after: 'completed' }),
    ).toBe('none');
    expect(correctionMove({ corrected: false, record_status_before: 'failed', record_status_after: 'failed' })).toBe(
      'none',
    );
  });
});

describe('the books of a correction follow the gateway', () => {
  const w = { id: 'w1', pesanan_id: 'o1', freelancer_id: 'f1', jumlah_bersih: 237_500 };
  const net = (...js: Journal[]) => {
    const out: Record<string, number> = {};
    for (const j of js) for (const e of j.entries) out[e.account] = (out[e.account] ?? 0) + e.debit - e.credit;
    return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== 0));
  };

  test('recorded failed, paid by the bank: as if it had completed (the payable taken again, nothing left in transit)', () => {
    expect(
      net(payoutSent(w), payoutReversed({ ...w, status: 'failed' }), payoutReinstated(w), payoutCompleted(w)),
    ).toEqual(net(payoutSent(w), payoutCompleted(w)));
  });

  test('recorded completed, returned by the bank: as if it had failed (the payable back, the gateway holds the money)', () => {
    expect(
      net(payoutSent(w), payoutCompleted(w), payoutReturned(w), payoutReversed({ ...w, status: 'failed' })),
    ).toEqual({});
    expect(net(payoutReturned(w))).toEqual({
      [ACCOUNTS.gatewayClearing]: 237_500,
      [ACCOUNTS.payoutInTransit]: -237_500,
    });
  });

  test('a refund payout confirmed and returned cancel out; each is keyed by its contradiction', () => {
    const r = { id: 'r1', pesanan_id: 'o1', client_id: 'c1', jumlah: 262_500 };
    expect(net(refundPayoutConfirmed(r, 'r1:2', 'k1'))).toEqual({
      [ACCOUNTS.clientRefundPayable('c1')]: 262_500,
      [ACCOUNTS.gatewayClearing]: -262_500,
    });
    expect(net(refundPayoutConfirmed(r, 'r1:2', 'k1'), refundPayoutReturned(r, 'r1:2', 'k2'))).toEqual({});
    expect(refundPayoutConfirmed(r, 'r1:2', 'k1').record_id).toBe('k1');
  });
});

describe("the mock bank's sandbox accounts that report what their record does not say", () => {
  let db: Knex;
  const delivered: { status: string; recordAtDelivery: string }[] = [];
  let bank: MockBank;
  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mock-bank-'));
    const config = loadConfig({ NODE_ENV: 'test', DB_FILE: path.join(dir, 'bank.sqlite'), DATA_DIR: dir });
    db = await createDb(config.db);
    await migrateLatest(db);
    bank = new MockBank({
      db,
      secret: 'test-secret',
      logger: pino({ level: 'silent' }),
      payoutDelayMs: 100,
      notifications: true,
      receiptUrl: (ref) => `http://bank.test/${ref}`,
      deliver: async (body, key) => {
        const { status } = JSON.parse(body);
        const row = await db('mock_gateway_payouts').where({ idempotency_key: key }).first();
        delivered.push({ status, recordAtDelivery: row.status });
        return { status: 200, body: null, attempts: 1 };
      },
    });
  });
  afterAll(async () => {
    bank.close();
    await db.destroy();
  });
  const until = async (f: () => boolean) => {
    for (let i = 0; i < 100 && !f(); i++) await new Promise((r) => setTimeout(r, 20));
  };

  test('998…: a transient failed notification while the record is still queued, then the completion', async () => {
    delivered.length = 0;
    expect(
      (
        await bank.payout({
          idempotency_key: 'k998',
          amount: 1000,
          method: 'transfer_bank',
          channel: 'bca',
          nomor_rekening: '9981234567',
          nama_pemilik: 'X',
        })
      ).status,
    ).toBe('queued');
    await until(() => delivered.length >= 2);
    expect(delivered).toEqual([
      { status: 'failed', recordAtDelivery: 'queued' },
      { status: 'completed', recordAtDelivery: 'completed' },
    ]);
  });

  test('997…: completed, then returned by the receiving bank (the record turns failed)', async () => {
    delivered.length = 0;
    await bank.payout({
      idempotency_key: 'k997',
      amount: 1000,
      method: 'transfer_bank',
      channel: 'bca',
      nomor_rekening: '9971234567',
      nama_pemilik: 'X',
    });
    await until(() => delivered.length >= 2);
    expect(delivered).toEqual([
      { status: 'completed', recordAtDelivery: 'completed' },
      { status: 'failed', recordAtDelivery: 'failed' },
    ]);
    expect(await bank.getPayout('k997')).toMatchObject({
      status: 'failed',
      failure_reason: expect.stringMatching(/^RETURNED/),
    });
  });
});
