import { GATEWAY_FEE_PERCENT, PLATFORM_FEE_PERCENT, paymentFees, payoutAmounts, percentOf } from '../../domain/money';

describe('percentOf (half-up, integer arithmetic)', () => {
  test('fee percentages are 5% platform and 1% gateway', () => {
    expect(PLATFORM_FEE_PERCENT).toBe(5);
    expect(GATEWAY_FEE_PERCENT).toBe(1);
  });

  test.each([
    [10, 5, 1], // 0.5 rounds up
    [9, 5, 0], // 0.45 rounds down
    [50, 1, 1], // 0.5 rounds up
    [49, 1, 0], // 0.49 rounds down
    [30, 5, 2], // 1.5 rounds up
    [10_000_001, 5, 500_000], // 500000.05 rounds down
    [10_000_010, 5, 500_001], // 500000.5 rounds up
    [100_000_000, 5, 5_000_000],
    [100_000_000, 1, 1_000_000],
    [0, 5, 0],
  ])('%p at %p%% = %p', (amount, percent, expected) => {
    expect(percentOf(amount, percent)).toBe(expected);
  });

  test.each([[-1], [10.5], [NaN], [Infinity], [Number.MAX_SAFE_INTEGER + 1]])('rejects amount %p with RangeError', (amount) => {
    expect(() => percentOf(amount, 5)).toThrow(RangeError);
    expect(() => percentOf(amount, 5)).toThrow('amount must be a non-negative whole number of rupiah');
  });
});

describe('paymentFees', () => {
  test('seed example: 250000 -> 12500 platform, 2500 gateway, 265000 total', () => {
    expect(paymentFees(250_000)).toEqual({ jumlah: 250_000, biaya_platform: 12_500, biaya_gateway: 2_500, total_bayar: 265_000 });
  });

  test('rounds each fee separately: 30 -> 2 + 0 = 32', () => {
    expect(paymentFees(30)).toEqual({ jumlah: 30, biaya_platform: 2, biaya_gateway: 0, total_bayar: 32 });
  });

  test('50 -> platform 2.5->3, gateway 0.5->1, total 54', () => {
    expect(paymentFees(50)).toEqual({ jumlah: 50, biaya_platform: 3, biaya_gateway: 1, total_bayar: 54 });
  });

  test('large amount 100_000_000', () => {
    expect(paymentFees(100_000_000)).toEqual({ jumlah: 100_000_000, biaya_platform: 5_000_000, biaya_gateway: 1_000_000, total_bayar: 106_000_000 });
  });

  test.each([[-250_000], [1000.5], [NaN]])('rejects %p with RangeError', (amount) => {
    expect(() => paymentFees(amount)).toThrow(RangeError);
  });
});

describe('payoutAmounts', () => {
  test('seed example: 250000 -> jumlah_bersih 237500', () => {
    expect(payoutAmounts(250_000)).toEqual({ jumlah: 250_000, biaya_platform: 12_500, jumlah_bersih: 237_500 });
  });

  test('platform fee matches paymentFees and jumlah_bersih + fee = jumlah for odd amounts', () => {
    for (const jumlah of [1, 9, 10, 30, 99_999, 10_000_001, 123_456_789]) {
      const p = payoutAmounts(jumlah);
      expect(p.biaya_platform).toBe(paymentFees(jumlah).biaya_platform);
      expect(p.jumlah_bersih + p.biaya_platform).toBe(jumlah);
    }
    expect(payoutAmounts(10_000_001).jumlah_bersih).toBe(9_500_001);
  });

  test.each([[-1], [0.1], [NaN]])('rejects %p with RangeError', (amount) => {
    expect(() => payoutAmounts(amount)).toThrow(RangeError);
  });
});
