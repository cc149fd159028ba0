import { refundSplit } from './money';
import type { EscrowRecord, PaymentRecord, RefundRecord, WithdrawalRecord } from './records';

/**
 * The books: double-entry journals in whole rupiah (IDR). Every money movement
 * posts one journal, built here from the records it moves, and every journal
 * balances (Σ debit = Σ credit). Balances are read debit-normal: a positive
 * balance is a debit balance (assets, expenses), a negative one a credit
 * balance (liabilities, revenue).
 *
 * The chart of accounts (the text after `:` is the id):
 * - `gateway_clearing` (asset): what the gateway holds for the platform.
 * - `escrow:<pesanan_id>` (liability): money held for one order.
 * - `freelancer_payable:<freelancer_id>` (liability): released, not yet paid out.
 * - `payout_in_transit` (liability): withdrawals requested (pending approval
 *   or sent to the bank) and not yet confirmed. A liability, not a
 *   contra-asset, because the money is still owed until the bank confirms: it
 *   moves out of `freelancer_payable` when the withdrawal is requested, out of
 *   `gateway_clearing` when the payout completes, and back to
 *   `freelancer_payable` when the withdrawal is rejected or fails.
 * - `client_refund_payable:<client_id>` (liability): refunds owed to a client.
 * - `platform_fee_revenue` (revenue): the 5% from the client and the 5%
 *   commission from the freelancer.
 * - `gateway_fee_expense` (expense) and `gateway_fee_recovered` (revenue): the
 *   1% the gateway keeps of every settlement, and what the client paid
 *   towards it. Two accounts rather than one netted account, so the cost of
 *   the gateway stays visible when it is not recovered (a late payment is
 *   refunded in full, fee included).
 */
export const ACCOUNTS = {
  gatewayClearing: 'gateway_clearing',
  payoutInTransit: 'payout_in_transit',
  platformFeeRevenue: 'platform_fee_revenue',
  gatewayFeeExpense: 'gateway_fee_expense',
  gatewayFeeRecovered: 'gateway_fee_recovered',
  escrow: (pesananId: string) => `escrow:${pesananId}`,
  freelancerPayable: (freelancerId: string) => `freelancer_payable:${freelancerId}`,
  clientRefundPayable: (clientId: string) => `client_refund_payable:${clientId}`,
} as const;

export const JOURNAL_KINDS = [
  'payment_settled',
  'late_payment_received',
  'escrow_released',
  'escrow_partially_released',
  'refund_owed',
  'refund_paid',
  'payout_sent',
  'payout_completed',
  'payout_reversed',
  // the gateway's record contradicted an outcome already recorded (db/payout-truth.ts): the books follow the gateway
  'payout_reinstated',
  'payout_returned',
  'refund_payout_confirmed',
  'refund_payout_returned',
] as const;
export type JournalKind = (typeof JOURNAL_KINDS)[number];
export type LedgerRecordType = 'payment' | 'escrow' | 'withdrawal' | 'refund';

export interface Entry {
  account: string;
  debit: number;
  credit: number;
}

export interface Journal {
  kind: JournalKind;
  record_type: LedgerRecordType;
  record_id: string;
  pesanan_id: string;
  description: string;
  entries: Entry[];
}

const dr = (account: string, amount: number): Entry => ({ account, debit: amount, credit: 0 });
const cr = (account: string, amount: number): Entry => ({ account, debit: 0, credit: amount });

/** Throws unless every amount is a non-negative whole rupiah and Σ debit = Σ credit. */
export function assertBalanced(j: Pick<Journal, 'kind' | 'record_id' | 'entries'>): void {
  let debit = 0;
  let credit = 0;
  for (const e of j.entries) {
    for (const v of [e.debit, e.credit])
      if (!Number.isSafeInteger(v) || v < 0)
        throw new RangeError(`journal ${j.kind} ${j.record_id}: ${e.account} has a bad amount ${v}`);
    debit += e.debit;
    credit += e.credit;
  }
  if (debit !== credit || debit === 0)
    throw new RangeError(`journal ${j.kind} ${j.record_id} does not balance: debit ${debit}, credit ${credit}`);
}

function journal(j: Journal): Journal {
  const entries = j.entries.filter((e) => e.debit > 0 || e.credit > 0);
  assertBalanced({ ...j, entries });
  return { ...j, entries };
}

type PaymentAmounts = Pick<
  PaymentRecord,
  'id' | 'pesanan_id' | 'transaction_id' | 'jumlah' | 'biaya_platform' | 'biaya_gateway' | 'total_bayar'
>;

/** Settled: the gateway holds total_bayar less its fee; the order's price is held in escrow; the client's platform fee is earned. */
export function paymentSettled(p: PaymentAmounts): Journal {
  return journal({
    kind: 'payment_settled',
    record_type: 'payment',
    record_id: p.id,
    pesanan_id: p.pesanan_id,
    description: `payment ${p.transaction_id} settled: Rp ${p.total_bayar}`,
    entries: [
      dr(ACCOUNTS.gatewayClearing, p.total_bayar - p.biaya_gateway),
      dr(ACCOUNTS.gatewayFeeExpense, p.biaya_gateway),
      cr(ACCOUNTS.escrow(p.pesanan_id), p.jumlah),
      cr(ACCOUNTS.platformFeeRevenue, p.biaya_platform),
      cr(ACCOUNTS.gatewayFeeRecovered, p.biaya_gateway),
    ],
  });
}

/** Money for a payment that had already expired or failed: held for the client, to be refunded in full (total_bayar); the gateway's fee is not recovered. */
export function latePaymentReceived(p: PaymentAmounts & Pick<PaymentRecord, 'user_id'>): Journal {
  return journal({
    kind: 'late_payment_received',
    record_type: 'payment',
    record_id: p.id,
    pesanan_id: p.pesanan_id,
    description: `late settlement of ${p.transaction_id}: Rp ${p.total_bayar} owed back to the client`,
    entries: [
      dr(ACCOUNTS.gatewayClearing, p.total_bayar - p.biaya_gateway),
      dr(ACCOUNTS.gatewayFeeExpense, p.biaya_gateway),
      cr(ACCOUNTS.clientRefundPayable(p.user_id), p.total_bayar),
    ],
  });
}

/** Released (by the client or automatically): the held price goes to the freelancer less the 5% commission. */
export function escrowReleased(
  e: Pick<EscrowRecord, 'id' | 'pesanan_id' | 'freelancer_id' | 'jumlah_ditahan' | 'biaya_platform' | 'jumlah_bersih'>,
): Journal {
  return journal({
    kind: 'escrow_released',
    record_type: 'escrow',
    record_id: e.id,
    pesanan_id: e.pesanan_id,
    description: `escrow released: Rp ${e.jumlah_bersih} to the freelancer, Rp ${e.biaya_platform} commission`,
    entries: [
      dr(ACCOUNTS.escrow(e.pesanan_id), e.jumlah_ditahan),
      cr(ACCOUNTS.freelancerPayable(e.freelancer_id), e.jumlah_bersih),
      cr(ACCOUNTS.platformFeeRevenue, e.biaya_platform),
    ],
  });
}

type WithdrawalAmounts = Pick<WithdrawalRecord, 'id' | 'pesanan_id' | 'freelancer_id' | 'jumlah_bersih'>;

/** A withdrawal was requested (pending approval, or sent at once): the money is reserved for it until the bank confirms. */
export function payoutSent(w: WithdrawalAmounts): Journal {
  return journal({
    kind: 'payout_sent',
    record_type: 'withdrawal',
    record_id: w.id,
    pesanan_id: w.pesanan_id,
    description: `payout of Rp ${w.jumlah_bersih} sent`,
    entries: [
      dr(ACCOUNTS.freelancerPayable(w.freelancer_id), w.jumlah_bersih),
      cr(ACCOUNTS.payoutInTransit, w.jumlah_bersih),
    ],
  });
}

/** The bank confirmed the payout: the money has left the gateway. */
export function payoutCompleted(w: WithdrawalAmounts): Journal {
  return journal({
    kind: 'payout_completed',
    record_type: 'withdrawal',
    record_id: w.id,
    pesanan_id: w.pesanan_id,
    description: `payout of Rp ${w.jumlah_bersih} completed`,
    entries: [dr(ACCOUNTS.payoutInTransit, w.jumlah_bersih), cr(ACCOUNTS.gatewayClearing, w.jumlah_bersih)],
  });
}

/** The withdrawal was rejected by an admin or refused by the bank: the reserved money is the freelancer's to withdraw again. */
export function payoutReversed(w: WithdrawalAmounts & Pick<WithdrawalRecord, 'status'>): Journal {
  return journal({
    kind: 'payout_reversed',
    record_type: 'withdrawal',
    record_id: w.id,
    pesanan_id: w.pesanan_id,
    description: `withdrawal ${w.status}: Rp ${w.jumlah_bersih} back to the freelancer`,
    entries: [
      dr(ACCOUNTS.payoutInTransit, w.jumlah_bersih),
      cr(ACCOUNTS.freelancerPayable(w.freelancer_id), w.jumlah_bersih),
    ],
  });
}

/**
 * A dispute's partial release: X of the escrow goes to the freelancer less
 * the 5% commission on X (the escrow's biaya_platform and jumlah_bersih are
 * X's); the rest of the escrow is owed back to the client (refundOwed, posted
 * in the same transaction).
 */
export function escrowPartiallyReleased(
  e: Pick<EscrowRecord, 'id' | 'pesanan_id' | 'freelancer_id' | 'jumlah_dirilis' | 'biaya_platform' | 'jumlah_bersih'>,
): Journal {
  const x = e.jumlah_dirilis ?? 0;
  return journal({
    kind: 'escrow_partially_released',
    record_type: 'escrow',
    record_id: e.id,
    pesanan_id: e.pesanan_id,
    description: `escrow partially released: Rp ${x} of it to the freelancer (Rp ${e.jumlah_bersih} net, Rp ${e.biaya_platform} commission)`,
    entries: [
      dr(ACCOUNTS.escrow(e.pesanan_id), x),
      cr(ACCOUNTS.freelancerPayable(e.freelancer_id), e.jumlah_bersih),
      cr(ACCOUNTS.platformFeeRevenue, e.biaya_platform),
    ],
  });
}

/**
 * An escrow refund is decided (a cancellation, or a dispute's refund or
 * partial decision): what the escrow gives back (jumlah − X) and the client
 * fee the platform returns (biaya_platform − 5% of X) are owed to the client.
 * `jumlahFreelancer` is X (0 for a full refund). A late payment's refund owes
 * nothing new: late_payment_received already owes it.
 */
export function refundOwed(
  r: Pick<RefundRecord, 'id' | 'pesanan_id' | 'client_id'>,
  payment: Pick<PaymentRecord, 'jumlah' | 'biaya_platform'>,
  jumlahFreelancer: number,
): Journal {
  const split = refundSplit(payment, jumlahFreelancer);
  return journal({
    kind: 'refund_owed',
    record_type: 'refund',
    record_id: r.id,
    pesanan_id: r.pesanan_id,
    description: `refund of Rp ${split.jumlah_refund} owed to the client: Rp ${split.dari_escrow} from the escrow, Rp ${split.biaya_platform_kembali} platform fee returned`,
    entries: [
      dr(ACCOUNTS.escrow(r.pesanan_id), split.dari_escrow),
      dr(ACCOUNTS.platformFeeRevenue, split.biaya_platform_kembali),
      cr(ACCOUNTS.clientRefundPayable(r.client_id), split.jumlah_refund),
    ],
  });
}

/**
 * The gateway confirmed the refund: the money has left it for the client.
 * Keyed by the payout that paid it (`key`: the refund id for a refund to
 * source or the first account, `<refund>:n` for the n-th account), so a
 * refund paid again after the bank returned its payout has a journal of its own.
 */
export function refundPaid(
  r: Pick<RefundRecord, 'id' | 'pesanan_id' | 'client_id' | 'jumlah'>,
  key: string = r.id,
): Journal {
  return journal({
    kind: 'refund_paid',
    record_type: 'refund',
    record_id: key,
    pesanan_id: r.pesanan_id,
    description: `refund of Rp ${r.jumlah} paid to the client${key === r.id ? '' : ` (payout ${key})`}`,
    entries: [dr(ACCOUNTS.clientRefundPayable(r.client_id), r.jumlah), cr(ACCOUNTS.gatewayClearing, r.jumlah)],
  });
}

/**
 * The gateway completed a payout the service had recorded as failed (its
 * money had gone back to the freelancer): the money is taken out of
 * `freelancer_payable` again and into transit, where `payoutCompleted` (posted
 * with it) takes it out of the gateway. The freelancer's payable may go
 * negative: the bank paid more than was released (an overpayment, frozen for
 * an admin).
 */
export function payoutReinstated(w: WithdrawalAmounts): Journal {
  return journal({
    kind: 'payout_reinstated',
    record_type: 'withdrawal',
    record_id: w.id,
    pesanan_id: w.pesanan_id,
    description: `payout of Rp ${w.jumlah_bersih} recorded failed, completed at the gateway`,
    entries: [
      dr(ACCOUNTS.freelancerPayable(w.freelancer_id), w.jumlah_bersih),
      cr(ACCOUNTS.payoutInTransit, w.jumlah_bersih),
    ],
  });
}

/**
 * The bank returned a payout the service had recorded as completed (Midtrans
 * Iris documents `completed` turning `failed`): the money is back at the
 * gateway and in transit, where `payoutReversed` (posted with it) gives it
 * back to the freelancer.
 */
export function payoutReturned(w: WithdrawalAmounts): Journal {
  return journal({
    kind: 'payout_returned',
    record_type: 'withdrawal',
    record_id: w.id,
    pesanan_id: w.pesanan_id,
    description: `payout of Rp ${w.jumlah_bersih} recorded completed, returned by the bank`,
    entries: [dr(ACCOUNTS.gatewayClearing, w.jumlah_bersih), cr(ACCOUNTS.payoutInTransit, w.jumlah_bersih)],
  });
}

type RefundPayoutAmounts = Pick<RefundRecord, 'id' | 'pesanan_id' | 'client_id' | 'jumlah'>;

/**
 * The gateway completed a refund payout (`key`: `<refund>` or `<refund>:n`)
 * the service had recorded as failed (the journal is the contradiction's,
 * `contradictionId`: a refund may have more than one payout): the money left the gateway for the
 * client. If the refund was also paid under another key, the client's
 * refund payable goes positive (an overpayment, frozen for an admin).
 */
export function refundPayoutConfirmed(r: RefundPayoutAmounts, key: string, contradictionId: string): Journal {
  return journal({
    kind: 'refund_payout_confirmed',
    record_type: 'refund',
    record_id: contradictionId,
    pesanan_id: r.pesanan_id,
    description: `refund payout ${key} of Rp ${r.jumlah} recorded failed, completed at the gateway`,
    entries: [dr(ACCOUNTS.clientRefundPayable(r.client_id), r.jumlah), cr(ACCOUNTS.gatewayClearing, r.jumlah)],
  });
}

/** The bank returned a refund payout (`key`) the service had recorded as completed: the client is owed the refund again. */
export function refundPayoutReturned(r: RefundPayoutAmounts, key: string, contradictionId: string): Journal {
  return journal({
    kind: 'refund_payout_returned',
    record_type: 'refund',
    record_id: contradictionId,
    pesanan_id: r.pesanan_id,
    description: `refund payout ${key} of Rp ${r.jumlah} recorded completed, returned by the bank`,
    entries: [dr(ACCOUNTS.gatewayClearing, r.jumlah), cr(ACCOUNTS.clientRefundPayable(r.client_id), r.jumlah)],
  });
}
