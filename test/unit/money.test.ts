import { GATEWAY_FEE_PERCENT, PLATFORM_FEE_PERCENT, paymentFees, payoutAmounts, percentOf } from '../../domain/money';

describe('percentOf (half-up, integer arithmetic)', () => {
  test('fee percentages are 5% platform and 1% gateway', () => {
    expect(PLATFORM_FEE_PERCENT).toBe(5);
    expect(GATEWAY_FEE_PERCENT).toBe(1);
  });

  test('rounds exact halves up and anything below a half down', () => {
    const cases: Array<[number, number, number]> = [
      [10, 5, 1], // 0.5 -> 1
      [9, 5, 0], // 0.45 -> 0
      [50, 1, 1], // 0.5 -> 1
      [49, 1, 0], // 0.49 -> 0
      [30, 5, 2], // 1.5 -> 2
      [29, 5, 1], // 1.45 -> 1
      [0, 5, 0],
    ];
    for (const [amount, percent, expected] of cases) {
      expect({ amount, percent, result: percentOf(amount, percent) }).toEqual({ amount, percent, result: expected });
    }
  });

  test('large amounts: 10_000_001 -> 500000 (.05 down), 10_000_010 -> 500001 (.5 up), 100_000_000 exact', () => {
    expect(percentOf(10_000_001, 5)).toBe(500_000);
    expect(percentOf(10_000_010, 5)).toBe(500_001);
    expect(percentOf(100_000_000, 5)).toBe(5_000_000);
    expect(percentOf(100_000_000, 1)).toBe(1_000_000);
  });

  test('rejects negative, fractional, NaN, infinite and unsafe amounts with RangeError', () => {
    for (const amount of [-1, 10.5, NaN, Infinity, Number.MAX_SAFE_INTEGER + 1]) {
      expect(() => percentOf(amount, 5)).toThrow(RangeError);
      expect(() => percentOf(amount, 5)).toThrow('amount must be a non-negative whole number of rupiah');
    }
  });
});

describe('paymentFees', () => {
  test('seed example: 250000 -> 12500 platform, 2500 gateway, 265000 total', () => {
    expect(paymentFees(250_000)).toEqual({
      jumlah: 250_000,
      biaya_platform: 12_500,
      biaya_gateway: 2_500,
      total_bayar: 265_000,
    });
  });

  test('rounds each fee separately: 30 -> 2 + 0 = 32', () => {
    expect(paymentFees(30)).toEqual({ jumlah: 30, biaya_platform: 2, biaya_gateway: 0, total_bayar: 32 });
  });

  test('50 -> platform 2.5->3, gateway 0.5->1, total 54', () => {
    expect(paymentFees(50)).toEqual({ jumlah: 50, biaya_platform: 3, biaya_gateway: 1, total_bayar: 54 });
  });

  test('large amount 100_000_000', () => {
    expect(paymentFees(100_000_000)).toEqual({
      jumlah: 100_000_000,
      biaya_platform: 5_000_000,
      biaya_gateway: 1_000_000,
      total_bayar: 106_000_000,
    });
  });

  test('rejects negative, fractional and NaN jumlah with RangeError', () => {
    for (const amount of [-250_000, 1000.5, NaN]) expect(() => paymentFees(amount)).toThrow(RangeError);
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

  test('rejects negative, fractional and NaN jumlah with RangeError', () => {
    for (const amount of [-1, 0.1, NaN]) expect(() => payoutAmounts(amount)).toThrow(RangeError);
  });
});
