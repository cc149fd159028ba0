/**
 * Money and fees. All amounts are whole rupiah held as integers.
 *
 * The client pays `jumlah` + platform fee (5%) + gateway fee (1%); the
 * freelancer receives `jumlah` - platform fee. Each fee is rounded half up
 * to a whole rupiah, computed in integers so no floating point error creeps in.
 */
export const PLATFORM_FEE_PERCENT = 5;
export const GATEWAY_FEE_PERCENT = 1;

/** percent% of a whole-rupiah amount, rounded half up, in integer arithmetic. */
export function percentOf(amount: number, percent: number): number {
  assertWholeRupiah(amount, 'amount');
  return Math.floor((amount * percent + 50) / 100);
}

export function assertWholeRupiah(amount: number, field = 'jumlah'): void {
  if (!Number.isSafeInteger(amount) || amount < 0) {
    throw new RangeError(`${field} must be a non-negative whole number of rupiah`);
  }
}

export interface PaymentFees {
  jumlah: number;
  biaya_platform: number;
  biaya_gateway: number;
  total_bayar: number;
}

/** What the client pays for an order priced `jumlah`. */
export function paymentFees(jumlah: number): PaymentFees {
  const biaya_platform = percentOf(jumlah, PLATFORM_FEE_PERCENT);
  const biaya_gateway = percentOf(jumlah, GATEWAY_FEE_PERCENT);
  return { jumlah, biaya_platform, biaya_gateway, total_bayar: jumlah + biaya_platform + biaya_gateway };
}

export interface PayoutAmounts {
  jumlah: number;
  biaya_platform: number;
  jumlah_bersih: number;
}

/** What the escrow holds and the freelancer nets for an order priced `jumlah`. */
export function payoutAmounts(jumlah: number): PayoutAmounts {
  const biaya_platform = percentOf(jumlah, PLATFORM_FEE_PERCENT);
  return { jumlah, biaya_platform, jumlah_bersih: jumlah - biaya_platform };
}
