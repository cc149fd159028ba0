/**
 * A payout's truth is the gateway's own record of it, read by its idempotency
 * key. A notification only wakes the service; what the service recorded for a
 * payout is compared with the gateway's record, never with the notification.
 *
 * Payout keys: a withdrawal's payout is keyed by the withdrawal id; a refund
 * paid to the client's account by `<refund>` for the first account and
 * `<refund>:n` for the n-th (domain/ids.ts refundPayoutKey).
 */

/** The gateway's record of a payout: `failed` is final; `completed` may still turn `failed` when the bank returns it. */
export type GatewayPayoutStatus = 'queued' | 'completed' | 'failed';

export const CONTRADICTION_STATUSES = ['open', 'resolved'] as const;
export type ContradictionStatus = (typeof CONTRADICTION_STATUSES)[number];

/** Where a contradiction was found: a payout notification, the check before a new attempt, or a status check. */
export type ContradictionSource = 'notification' | 'precheck' | 'status_check';

/**
 * What the service had recorded for one payout attempt:
 * - `not_sent`: the attempt was never sent to the gateway (a pending or
 *   rejected withdrawal, a refund waiting for its account);
 * - `in_flight`: sent, the outcome not yet recorded;
 * - `completed` / `failed`: the outcome recorded (money paid, or given back).
 */
export type RecordedPayout = 'not_sent' | 'in_flight' | 'completed' | 'failed';

/**
 * What the gateway's record means for a payout the service recorded as
 * `recorded`:
 * - `unknown`: the gateway has no such payout;
 * - `wait`: it is still queued at the bank, and the service waits too;
 * - `outcome`: the bank has decided a payout in flight: record it;
 * - `same`: the gateway agrees with what is recorded (a repeat);
 * - `contradiction`: the gateway disagrees with a recorded outcome (or has a
 *   payout the service never sent): the money is frozen and the books follow
 *   the gateway.
 */
export type PayoutVerdict = 'unknown' | 'wait' | 'outcome' | 'same' | 'contradiction';

export function payoutVerdict(recorded: RecordedPayout, gateway: GatewayPayoutStatus | undefined): PayoutVerdict {
  if (gateway === undefined) return 'unknown';
  // a payout the service never sent: nothing moved if the gateway cancelled or refused it
  if (recorded === 'not_sent') return gateway === 'failed' ? 'same' : 'contradiction';
  if (recorded === 'in_flight') return gateway === 'queued' ? 'wait' : 'outcome';
  return recorded === gateway ? 'same' : 'contradiction';
}

/** A withdrawal's status as a recorded payout. */
export function recordedWithdrawalPayout(status: string): RecordedPayout {
  if (status === 'processing') return 'in_flight';
  if (status === 'completed') return 'completed';
  if (status === 'failed') return 'failed';
  return 'not_sent'; // pending, rejected
}

/** A refund attempt as a recorded payout: an earlier account's payout was recorded failed (another account was given only then). */
export function recordedRefundPayout(status: string, current: boolean): RecordedPayout {
  if (!current) return 'failed';
  if (status === 'processing') return 'in_flight';
  if (status === 'completed') return 'completed';
  if (status === 'failed') return 'failed';
  return 'not_sent'; // menunggu_rekening
}

/** Whether a contradiction's gateway record moves the money: a final outcome other than the one recorded. */
export function correctionNeeded(recorded: RecordedPayout, gateway: GatewayPayoutStatus): boolean {
  if (gateway === 'queued') return false;
  if (gateway === 'completed') return recorded !== 'completed';
  return recorded === 'completed';
}

export interface PayoutContradictionRecord {
  id: string;
  payout_key: string;
  record_type: 'withdrawal' | 'refund';
  record_id: string;
  escrow_id: string | null;
  pesanan_id: string;
  party_id: string;
  amount: number;
  recorded_status: RecordedPayout;
  gateway_status: GatewayPayoutStatus;
  gateway_reference: string | null;
  gateway_failure_reason: string | null;
  record_status_before: string;
  record_status_after: string;
  corrected: boolean;
  detected_by: ContradictionSource;
  status: ContradictionStatus;
  resolved_by: string | null;
  resolution: string | null;
  detected_at: string;
  resolved_at: string | null;
  updated_at: string;
}

/**
 * What a corrected contradiction did to its withdrawal or refund: `paid` (its
 * status moved to completed: the gateway paid what was recorded failed),
 * `returned` (moved from completed to failed), or `none` (the record was left
 * as it was: for a refund already completed by another account's payout).
 */
export function correctionMove(
  c: Pick<PayoutContradictionRecord, 'corrected' | 'record_status_before' | 'record_status_after'>,
): 'paid' | 'returned' | 'none' {
  if (!c.corrected || c.record_status_before === c.record_status_after) return 'none';
  return c.record_status_after === 'completed' ? 'paid' : 'returned';
}
