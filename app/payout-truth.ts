import type { Knex } from 'knex';
import type { Logger } from 'pino';
import * as repo from '../db/repositories';
import {
  ContradictionSource,
  PayoutContradictionRecord,
  PayoutVerdict,
  RecordedPayout,
  payoutVerdict,
  recordedRefundPayout,
  recordedWithdrawalPayout,
} from '../domain/payout-truth';
import { refundIdOfPayoutKey, refundPayoutKey } from '../domain/ids';
import type { RefundRecord, WithdrawalRecord } from '../domain/records';
import { openContradictionOfEscrow, openContradictionOfRefund, recordContradiction } from '../db/payout-truth';
import type { PaymentGateway } from '../gateway/port';
import type { PayoutState } from '../gateway/mock-bank';

/**
 * The payout truth rule, shared by the payout webhook (api/) and the payout
 * activity (activities/): what the service acts on is the gateway's own record
 * of a payout, read by its idempotency key; a notification only wakes it.
 *
 * - `payoutAttemptOf`: which withdrawal or refund account a payout key pays,
 *   and what the service recorded of it.
 * - `confirmAgainstGateway`: the gateway's record against that; a
 *   contradiction is recorded (the money frozen, the books following the
 *   gateway; db/payout-truth.ts).
 * - `holdBeforePayout`: before a new attempt for an escrow or a refund, every
 *   earlier attempt must have failed at the gateway for good, and nothing may
 *   be frozen, so even a wrong `failed` can never lead to a second payment.
 */
export interface PayoutTruthDeps {
  db: Knex;
  gateway: Pick<PaymentGateway, 'getPayout'>;
  logger: Logger;
}

export type PayoutAttempt = { key: string; recorded: RecordedPayout; amount: number } & (
  | { record_type: 'withdrawal'; withdrawal: WithdrawalRecord }
  | { record_type: 'refund'; refund: RefundRecord; attempt: number }
);

const withdrawalAttempt = (w: WithdrawalRecord): PayoutAttempt => ({
  key: w.id,
  record_type: 'withdrawal',
  withdrawal: w,
  recorded: recordedWithdrawalPayout(w.status),
  amount: w.jumlah_bersih,
});

function refundAttempt(refund: RefundRecord, attempt: number): PayoutAttempt {
  return {
    key: refundPayoutKey(refund.id, attempt),
    record_type: 'refund',
    refund,
    attempt,
    recorded: recordedRefundPayout(refund.status, attempt === refund.rekening_ke),
    amount: refund.jumlah,
  };
}

/** The withdrawal, or the refund's n-th account, that a payout key pays (undefined: none this service sent). */
export async function payoutAttemptOf(db: Knex, key: string): Promise<PayoutAttempt | undefined> {
  if (key.length <= 36) {
    const w = await repo.getWithdrawal(db, key);
    if (w) return withdrawalAttempt(w);
  }
  const refund = await repo.getRefund(db, refundIdOfPayoutKey(key));
  if (!refund || refund.metode === 'source') return undefined;
  const n = key === refund.id ? 1 : Number(key.slice(refund.id.length + 1));
  if (!Number.isSafeInteger(n) || n < 1 || n > refund.rekening_ke || refundPayoutKey(refund.id, n) !== key)
    return undefined;
  return refundAttempt(refund, n);
}

/**
 * What the service recorded of this attempt. A refund is completed by one
 * payout, the one whose reference it records: a refund completed by an
 * earlier account's payout (a contradiction's correction) did not record its
 * current account's payout completed.
 */
function recordedOf(attempt: PayoutAttempt, gateway: PayoutState | undefined): RecordedPayout {
  if (
    attempt.record_type === 'refund' &&
    attempt.recorded === 'completed' &&
    gateway &&
    attempt.refund.referensi_gateway !== gateway.reference
  )
    return 'failed';
  return attempt.recorded;
}

/** The gateway's record of the attempt against what the service recorded; a contradiction is recorded once (and logged, and counted). */
export async function confirmAgainstGateway(
  deps: PayoutTruthDeps,
  attempt: PayoutAttempt,
  gateway: PayoutState | undefined,
  detectedBy: ContradictionSource,
): Promise<{ verdict: PayoutVerdict; contradiction?: PayoutContradictionRecord }> {
  const verdict = payoutVerdict(recordedOf(attempt, gateway), gateway?.status);
  if (verdict !== 'contradiction' || !gateway) return { verdict };
  const { contradiction, created } = await recordContradiction(deps.db, {
    payout_key: attempt.key,
    record_type: attempt.record_type,
    record_id: attempt.record_type === 'withdrawal' ? attempt.withdrawal.id : attempt.refund.id,
    recorded: recordedOf(attempt, gateway),
    gateway,
    detected_by: detectedBy,
  });
  if (created) {
    deps.logger.error(
      {
        contradiction_id: contradiction.id,
        payout_key: attempt.key,
        record_type: attempt.record_type,
        recorded: contradiction.recorded_status,
        gateway: gateway.status,
        detected_by: detectedBy,
      },
      "the gateway's record of a payout contradicts the outcome recorded: the books follow the gateway, and the money is frozen until an admin resolves it",
    );
  }
  return { verdict, contradiction };
}

/**
 * Before paying out under `key`: every earlier attempt for the same escrow
 * (its other withdrawals) or refund (its earlier accounts) is read at the
 * gateway; one still queued, or completed, holds the new attempt (and a
 * completed one the service recorded failed is a contradiction, recorded
 * here); so does an open contradiction. Answers null to go ahead, or why not.
 */
export async function holdBeforePayout(deps: PayoutTruthDeps, key: string): Promise<string | null> {
  const attempt = await payoutAttemptOf(deps.db, key);
  if (!attempt) return null;
  // already sent (a retry of this attempt): its own record decides, nothing is held
  if (await deps.gateway.getPayout(key)) return null;
  const earlier =
    attempt.record_type === 'withdrawal'
      ? (
          (await deps
            .db('pencairan_dana')
            .where({ escrow_id: attempt.withdrawal.escrow_id })
            .whereNot({ id: key })
            .select('id')) as { id: string }[]
        ).map((r) => r.id)
      : Array.from({ length: attempt.attempt - 1 }, (_, i) => refundPayoutKey(attempt.refund.id, i + 1));
  for (const k of earlier) {
    const before = await payoutAttemptOf(deps.db, k);
    if (!before) continue;
    const record = await deps.gateway.getPayout(k);
    const { verdict } = await confirmAgainstGateway(deps, before, record, 'precheck');
    if (verdict === 'contradiction')
      return `earlier payout ${k} is ${record!.status} at the gateway, but was recorded ${before.recorded}`;
    if (verdict === 'wait' || verdict === 'outcome')
      return `earlier payout ${k} is still ${record!.status} at the gateway`;
  }
  const frozen =
    attempt.record_type === 'withdrawal'
      ? await openContradictionOfEscrow(deps.db, attempt.withdrawal.escrow_id)
      : await openContradictionOfRefund(deps.db, attempt.refund.id);
  return frozen
    ? `payout contradiction ${frozen.id} (payout ${frozen.payout_key}) is open: nothing more is paid until an admin resolves it`
    : null;
}

/**
 * After an outcome is recorded (by the workflow's activity), the gateway's
 * record is read once more: a payout the bank returned, or paid after all,
 * while its first outcome was being recorded is a contradiction found now
 * (a notification that came in that moment was taken for a payout in flight).
 * `key`: the payout key, or a refund's id (its current account's key).
 */
export async function confirmRecordedPayout(deps: PayoutTruthDeps, key: string): Promise<void> {
  let attempt = await payoutAttemptOf(deps.db, key);
  if (attempt?.record_type === 'refund' && attempt.key === attempt.refund.id && attempt.refund.rekening_ke > 1)
    attempt = refundAttempt(attempt.refund, attempt.refund.rekening_ke);
  if (!attempt || attempt.recorded === 'in_flight' || attempt.recorded === 'not_sent') return;
  await confirmAgainstGateway(deps, attempt, await deps.gateway.getPayout(attempt.key), 'status_check');
}
