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

export interface RefundSplit {
  /** what the freelancer receives (X, its commission and net); null when nothing is released */
  freelancer: PayoutAmounts | null;
  /** the part of the escrow going back to the client: jumlah − X */
  dari_escrow: number;
  /** the client's platform fee given back: biaya_platform − 5% of X (the platform keeps its fee only on what the freelancer receives) */
  biaya_platform_kembali: number;
  /** what the client gets back: dari_escrow + biaya_platform_kembali (the gateway fee is never returned: the gateway kept it) */
  jumlah_refund: number;
}

/**
 * How a held escrow is split when it does not all go to the freelancer: a
 * full refund (`jumlahFreelancer` 0) or a partial release of X
 * (1 ≤ X < jumlah). The client paid `payment`; the escrow holds its `jumlah`.
 * Seed example (jumlah 250,000, client fee 12,500): full refund 262,500;
 * X = 100,000 gives the freelancer 95,000 net and the client 150,000 + 7,500.
 */
export function refundSplit(
  payment: Pick<PaymentFees, 'jumlah' | 'biaya_platform'>,
  jumlahFreelancer = 0,
): RefundSplit {
  assertWholeRupiah(jumlahFreelancer, 'jumlah_freelancer');
  if (jumlahFreelancer >= payment.jumlah && jumlahFreelancer !== 0)
    throw new RangeError('jumlah_freelancer must be below the held amount');
  const freelancer = jumlahFreelancer > 0 ? payoutAmounts(jumlahFreelancer) : null;
  const dari_escrow = payment.jumlah - jumlahFreelancer;
  const biaya_platform_kembali =
    payment.biaya_platform - (freelancer ? percentOf(jumlahFreelancer, PLATFORM_FEE_PERCENT) : 0);
  return { freelancer, dari_escrow, biaya_platform_kembali, jumlah_refund: dari_escrow + biaya_platform_kembali };
}

/** A late payment (settled after it expired, failed or was cancelled) is refunded in full: total_bayar; the platform absorbs the gateway fee. */
export function lateRefundAmount(payment: Pick<PaymentFees, 'total_bayar'>): number {
  return payment.total_bayar;
}
