/** Payment and payout methods, and the channels each accepts (case-insensitive). */
export const PAYMENT_METHODS = ['qris', 'virtual_account', 'e_wallet', 'transfer_bank', 'kartu_kredit'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

export const VA_BANKS = ['bca', 'bni', 'mandiri', 'bri', 'permata'] as const;
export const E_WALLETS = ['gopay', 'ovo', 'dana', 'linkaja'] as const;

/** Channels per method; a method with a single implicit channel lists just that one (its default). */
export const PAYMENT_CHANNELS: Record<PaymentMethod, readonly string[]> = {
  qris: ['qris'],
  virtual_account: VA_BANKS,
  e_wallet: E_WALLETS,
  transfer_bank: ['transfer_bank', 'bca', 'bni', 'mandiri', 'bri', 'permata'],
  kartu_kredit: ['kartu_kredit', 'card', 'visa', 'mastercard', 'jcb'],
};
/** Methods whose channel must be named because there is more than one and no default. */
export const CHANNEL_REQUIRED: readonly PaymentMethod[] = ['virtual_account', 'e_wallet'];

export const PAYOUT_METHODS = ['transfer_bank', 'e_wallet'] as const;
export type PayoutMethod = (typeof PAYOUT_METHODS)[number];

/**
 * Where a payout goes: a bank for `transfer_bank`, a provider for `e_wallet`.
 * Without a channel the seed's body stays valid: `bca` and `gopay` are the defaults.
 * Bank account numbers have the bank's length (digits); e-wallet accounts are
 * Indonesian mobile numbers (08…, +628… or 628…), stored as 08….
 */
export const PAYOUT_CHANNELS: Record<PayoutMethod, readonly string[]> = {
  transfer_bank: VA_BANKS,
  e_wallet: E_WALLETS,
};
export const DEFAULT_PAYOUT_CHANNEL: Record<PayoutMethod, string> = { transfer_bank: 'bca', e_wallet: 'gopay' };
export const BANK_ACCOUNT_DIGITS: Record<(typeof VA_BANKS)[number], [number, number]> = {
  bca: [10, 10],
  bni: [10, 10],
  mandiri: [13, 13],
  bri: [15, 15],
  permata: [10, 16],
};

/** An Indonesian mobile number (e-wallet accounts): 08…, +628… or 628…, 10 to 13 digits from the 0. */
export const MOBILE_NUMBER = /^(?:\+62|62|0)(8[1-9][0-9]{7,10})$/;

/** The normalised payout channel and account number, or an error naming the field. */
export function resolvePayoutAccount(
  method: PayoutMethod,
  channel: string | undefined,
  account: string,
): { channel: string; nomor_rekening: string } | { field: 'channel' | 'nomor_rekening'; error: string } {
  const ch = channel === undefined || channel === '' ? DEFAULT_PAYOUT_CHANNEL[method] : channel.trim().toLowerCase();
  if (!PAYOUT_CHANNELS[method].includes(ch))
    return {
      field: 'channel',
      error: `"${channel}" is not valid for ${method}: one of ${PAYOUT_CHANNELS[method].join(', ')}`,
    };
  if (method === 'e_wallet') {
    const m = MOBILE_NUMBER.exec(account);
    if (!m)
      return { field: 'nomor_rekening', error: `must be an Indonesian mobile number for ${ch} (08…, 10 to 13 digits)` };
    return { channel: ch, nomor_rekening: `0${m[1]}` };
  }
  const [min, max] = BANK_ACCOUNT_DIGITS[ch as keyof typeof BANK_ACCOUNT_DIGITS];
  if (!new RegExp(`^\\d{${min},${max}}$`).test(account)) {
    return {
      field: 'nomor_rekening',
      error: `must be ${min === max ? min : `${min} to ${max}`} digits for a ${ch.toUpperCase()} account`,
    };
  }
  return { channel: ch, nomor_rekening: account };
}

/**
 * The normalised (lower-case) channel for a method, or an error message naming
 * what is wrong. A missing channel defaults to the method's own one where it has one.
 */
export function resolveChannel(
  method: PaymentMethod,
  channel: string | undefined,
): { channel: string } | { error: string } {
  if (channel === undefined || channel === '') {
    if (CHANNEL_REQUIRED.includes(method)) {
      return { error: `is required for ${method}: one of ${PAYMENT_CHANNELS[method].join(', ')}` };
    }
    return { channel: PAYMENT_CHANNELS[method][0] };
  }
  const normalised = channel.trim().toLowerCase();
  if (!PAYMENT_CHANNELS[method].includes(normalised)) {
    return { error: `"${channel}" is not valid for ${method}: one of ${PAYMENT_CHANNELS[method].join(', ')}` };
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

/**
 * QRIS, e-wallet and card payments are refunded to their source through the
 * gateway. Virtual account and bank transfer payments cannot be (the
 * Indonesian gateways cannot do it by API either): their refund waits for an
 * account the client gives, and is paid out to it.
 */
export function refundsToSource(method: string): boolean {
  return method === 'qris' || method === 'e_wallet' || method === 'kartu_kredit';
}
