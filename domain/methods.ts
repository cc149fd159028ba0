/** Payment and payout methods, and the channels each accepts (case-insensitive). */
export const PAYMENT_METHODS = ['qris', 'virtual_account', 'e_wallet', 'transfer_bank', 'kartu_kredit'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

export const VA_BANKS = ['bca', 'bni', 'mandiri', 'bri', 'permata'] as const;
export const E_WALLETS = ['gopay', 'ovo', 'dana', 'linkaja'] as const;

/** Channels per method; a method with a single implicit channel lists just that one. */
const CHANNELS: Record<PaymentMethod, readonly string[]> = {
  qris: ['qris'],
  virtual_account: VA_BANKS,
  e_wallet: E_WALLETS,
  transfer_bank: ['transfer_bank', 'bca', 'bni', 'mandiri', 'bri', 'permata'],
  kartu_kredit: ['kartu_kredit', 'card', 'visa', 'mastercard', 'jcb'],
};
/** Methods whose channel must be named because there is more than one and no default. */
const CHANNEL_REQUIRED: readonly PaymentMethod[] = ['virtual_account', 'e_wallet'];

export const PAYOUT_METHODS = ['transfer_bank', 'e_wallet'] as const;
export type PayoutMethod = (typeof PAYOUT_METHODS)[number];

/**
 * The normalised (lower-case) channel for a method, or an error message naming
 * what is wrong. A missing channel defaults to the method's own one where it has one.
 */
export function resolveChannel(method: PaymentMethod, channel: string | undefined): { channel: string } | { error: string } {
  if (channel === undefined || channel === '') {
    if (CHANNEL_REQUIRED.includes(method)) {
      return { error: `channel is required for ${method}: one of ${CHANNELS[method].join(', ')}` };
    }
    return { channel: CHANNELS[method][0] };
  }
  const normalised = channel.trim().toLowerCase();
  if (!CHANNELS[method].includes(normalised)) {
    return { error: `channel "${channel}" is not valid for ${method}: one of ${CHANNELS[method].join(', ')}` };
  }
  return { channel: normalised };
}

/** Per-method amount limits for `jumlah` (whole rupiah); configurable (see domain/config.ts). */
export interface AmountLimits {
  min: number;
  max: Record<PaymentMethod, number>;
}

export const DEFAULT_AMOUNT_LIMITS: AmountLimits = {
  min: 10_000,
  max: {
    qris: 10_000_000,
    e_wallet: 20_000_000,
    virtual_account: 100_000_000,
    transfer_bank: 100_000_000,
    kartu_kredit: 100_000_000,
  },
};

/** The largest amount any method accepts: the ceiling for an order's price. */
export function overallMaxAmount(limits: AmountLimits): number {
  return Math.max(...Object.values(limits.max));
}
