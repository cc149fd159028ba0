import {
  ACCOUNTS,
  escrowPartiallyReleased,
  escrowReleased,
  latePaymentReceived,
  paymentSettled,
  refundOwed,
  refundPaid,
} from '../../domain/ledger';
import { refundsToSource } from '../../domain/methods';
import { lateRefundAmount, paymentFees, payoutAmounts, refundSplit } from '../../domain/money';
import { cancellationRefusal } from '../../domain/statuses';

/** The refund policy's amounts, and the journals that prove them: what the client paid = freelancer net + platform revenue + gateway fee + refunds. */
describe('refundSplit', () => {
  const seed = paymentFees(250_000);

  test('seed example: a full refund returns jumlah + biaya_platform = 262,500 (the gateway fee stays with the gateway)', () => {
    expect(refundSplit(seed)).toEqual({
      freelancer: null,
      dari_escrow: 250_000,
      biaya_platform_kembali: 12_500,
      jumlah_refund: 262_500,
    });
  });

  test('seed example: partial with X = 100,000 nets the freelancer 95,000 and returns 150,000 + 7,500 = 157,500', () => {
    expect(refundSplit(seed, 100_000)).toEqual({
      freelancer: { jumlah: 100_000, biaya_platform: 5_000, jumlah_bersih: 95_000 },
      dari_escrow: 150_000,
      biaya_platform_kembali: 7_500,
      jumlah_refund: 157_500,
    });
  });

  test('the edges: X = 1 and X = jumlah − 1, and odd amounts, always add up to what the client paid', () => {
    for (const jumlah of [10, 99_999, 250_000, 10_000_001]) {
      const p = paymentFees(jumlah);
      for (const x of [0, 1, 9, 10, Math.floor(jumlah / 2), jumlah - 1].filter((v) => v < jumlah)) {
        const s = refundSplit(p, x);
        const freelancerNet = s.freelancer?.jumlah_bersih ?? 0;
        const platform = p.biaya_platform - s.biaya_platform_kembali + (s.freelancer?.biaya_platform ?? 0);
        expect([jumlah, x, freelancerNet + platform + p.biaya_gateway + s.jumlah_refund]).toEqual([
          jumlah,
          x,
          p.total_bayar,
        ]);
        expect(s.biaya_platform_kembali).toBeGreaterThanOrEqual(0);
      }
    }
  });

  test('refuses X that is not below the held amount, negative or fractional', () => {
    for (const x of [250_000, 250_001, -1, 1.5, NaN]) expect(() => refundSplit(seed, x)).toThrow(RangeError);
  });

  test('a late payment is refunded in full, total_bayar', () => {
    expect(lateRefundAmount(seed)).toBe(265_000);
  });
});

describe('the refund journals', () => {
  const pesanan_id = 'order-1';
  const client_id = 'client-1';
  const freelancer_id = 'freelancer-1';
  const payment = { id: 'pay-1', pesanan_id, transaction_id: 'PAY-1', user_id: client_id, ...paymentFees(250_000) };
  const refund = { id: 'refund-1', pesanan_id, client_id };
  const sum = (js: { entries: { account: string; debit: number; credit: number }[] }[], account: string) =>
    js
      .flatMap((j) => j.entries)
      .filter((e) => e.account === account)
      .reduce((s, e) => s + e.debit - e.credit, 0);

  test('a full refund: the escrow ends at 0, the platform keeps no fee, the client is owed 262,500 and then paid', () => {
    const owed = refundOwed(refund, payment, 0);
    const js = [paymentSettled(payment), owed, refundPaid({ ...refund, jumlah: 262_500 })];
    expect(sum(js, ACCOUNTS.escrow(pesanan_id))).toBe(0);
    expect(sum(js, ACCOUNTS.platformFeeRevenue)).toBe(0);
    expect(sum(js, ACCOUNTS.clientRefundPayable(client_id))).toBe(0);
    expect(sum([paymentSettled(payment), owed], ACCOUNTS.clientRefundPayable(client_id))).toBe(-262_500);
    // the gateway received 262,500 (265,000 less its fee) and paid 262,500 back
    expect(sum(js, ACCOUNTS.gatewayClearing)).toBe(0);
    expect(sum(js, ACCOUNTS.gatewayFeeExpense) + sum(js, ACCOUNTS.gatewayFeeRecovered)).toBe(0);
  });

  test("a partial release of 100,000: the escrow splits into the freelancer's 95,000 + 5,000 commission and the client's 157,500", () => {
    const share = payoutAmounts(100_000);
    const escrow = {
      id: 'escrow-1',
      pesanan_id,
      freelancer_id,
      jumlah_dirilis: 100_000,
      biaya_platform: share.biaya_platform,
      jumlah_bersih: share.jumlah_bersih,
    };
    const js = [paymentSettled(payment), escrowPartiallyReleased(escrow), refundOwed(refund, payment, 100_000)];
    expect(sum(js, ACCOUNTS.escrow(pesanan_id))).toBe(0);
    expect(sum(js, ACCOUNTS.freelancerPayable(freelancer_id))).toBe(-95_000);
    expect(sum(js, ACCOUNTS.clientRefundPayable(client_id))).toBe(-157_500);
    // the platform keeps 5% of X from the client and 5% of X from the freelancer
    expect(sum(js, ACCOUNTS.platformFeeRevenue)).toBe(-10_000);
  });

  test('a release and a late payment are unchanged: 237,500 to the freelancer; 265,000 owed back', () => {
    expect(
      escrowReleased({ id: 'e', pesanan_id, freelancer_id, ...payoutAmounts(250_000), jumlah_ditahan: 250_000 })
        .entries,
    ).toContainEqual({ account: ACCOUNTS.freelancerPayable(freelancer_id), debit: 0, credit: 237_500 });
    expect(sum([latePaymentReceived(payment)], ACCOUNTS.clientRefundPayable(client_id))).toBe(-265_000);
  });
});

describe('refunds to source, and who may cancel', () => {
  test('QRIS, e-wallet and card go back to their source; virtual account and bank transfer wait for an account', () => {
    expect(['qris', 'e_wallet', 'kartu_kredit', 'virtual_account', 'transfer_bank'].map(refundsToSource)).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });

  test('the cancellation table', () => {
    const allowed = (status: Parameters<typeof cancellationRefusal>[0]) =>
      (['client', 'freelancer', 'admin'] as const).filter((r) => cancellationRefusal(status, r) === null);
    expect(allowed('menunggu_pembayaran')).toEqual(['client', 'admin']);
    expect(allowed('dibayar')).toEqual(['client', 'freelancer', 'admin']);
    expect(allowed('dikerjakan')).toEqual(['freelancer', 'admin']);
    expect(allowed('menunggu_review')).toEqual(['freelancer', 'admin']);
    for (const s of ['selesai', 'refunded', 'dibatalkan', 'dispute'] as const) expect(allowed(s)).toEqual([]);
    expect(cancellationRefusal('dikerjakan', 'client')).toMatch(/open a dispute/);
  });
});
